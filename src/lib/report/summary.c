/* Reading the store: users first (done, waiting, failed, not seen), then
 * account records, feature records apart, the latest state, progress over
 * time, and the summary in text, JSON and CSV. Site/OU: records carry
 * neither yet, so nothing is grouped by them (docs/report.md). */
#include "report/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int count_row(void *ctx, int ncol, const char *const *v)
{
	if (ncol > 0 && v[0])
		*(size_t *)ctx = (size_t)strtoull(v[0], NULL, 10);
	return 0;
}

int report_count(cpuu_report *rep, size_t *out, const char *sql)
{
	*out = 0;
	return rep->be->query(rep, sql, count_row, out);
}

static char *dup_opt(const char *s, int *oom)
{
	if (!s)
		return NULL;
	char *p = cpuu_strdup(s);
	if (!p)
		*oom = 1;
	return p;
}

int report_state_from_row(cpuu_report_state *st, const char *const *v)
{
	int oom = 0;
	memset(st, 0, sizeof *st);
	st->rec.user = dup_opt(v[0] ? v[0] : "", &oom);
	st->rec.hive = dup_opt(v[1] ? v[1] : "", &oom);
	st->rec.profile = dup_opt(v[2], &oom);
	st->rec.account = dup_opt(v[3], &oom);
	st->rec.mode = dup_opt(v[4] ? v[4] : "", &oom);
	st->rec.outcome = dup_opt(v[5] ? v[5] : "", &oom);
	st->rec.changes = v[6] ? strtoll(v[6], NULL, 10) : 0;
	st->rec.message = dup_opt(v[7], &oom);
	st->rec.duration_ms = v[8] ? strtod(v[8], NULL) : 0;
	st->observed_at = v[9] ? strtoll(v[9], NULL, 10) : 0;
	st->seq = v[10] ? strtoll(v[10], NULL, 10) : 0;
	if (oom) {
		report_state_clear(st);
		return cpuu_error_oom();
	}
	return CPUU_OK;
}

void report_state_clear(cpuu_report_state *st)
{
	cpuu_report_record_clear(&st->rec);
	st->observed_at = 0;
}

#define STATE_COLS "user_name, hive, profile, account, mode, outcome, changes, message, duration_ms, observed_at, id"

/* The kinds of rows the summary reads (report_rows): each its conversion. */
static int fill_state(void *item, const report_rows *l, const char *const *v)
{
	(void)l;
	return report_state_from_row(item, v);
}

static void clear_state(void *item)
{
	report_state_clear(item);
}

static const report_row_shape state_rows = { sizeof(cpuu_report_state), 11, fill_state, clear_state };

static int fill_count(void *item, const report_rows *l, const char *const *v)
{
	(void)l;
	cpuu_report_count *c = item;
	if (!(c->name = cpuu_strdup(v[0] ? v[0] : "")))
		return cpuu_error_oom();
	c->count = v[1] ? (size_t)strtoull(v[1], NULL, 10) : 0;
	return 0;
}

static void clear_count(void *item)
{
	free(((cpuu_report_count *)item)->name);
}

static const report_row_shape count_rows = { sizeof(cpuu_report_count), 2, fill_count, clear_count };

static int fill_feature(void *item, const report_rows *l, const char *const *v)
{
	(void)l;
	cpuu_report_feature_count *f = item;
	f->feature = cpuu_strdup(v[0] ? v[0] : "");
	f->outcome = cpuu_strdup(v[1] ? v[1] : "");
	f->count = v[2] ? (size_t)strtoull(v[2], NULL, 10) : 0;
	if (!f->feature || !f->outcome) {
		free(f->feature);
		free(f->outcome);
		return cpuu_error_oom();
	}
	return 0;
}

static void clear_feature(void *item)
{
	cpuu_report_feature_count *f = item;
	free(f->feature);
	free(f->outcome);
}

static const report_row_shape feature_rows = { sizeof(cpuu_report_feature_count), 3, fill_feature, clear_feature };

/* (time, accounts that got there then): the running total is the point. */
static int fill_point(void *item, const report_rows *l, const char *const *v)
{
	if (!v[0] || !v[1])
		return cpuu_error_set(CPUU_EIO, "report store: unexpected row shape");
	const cpuu_report_point *prev = l->count ? (const cpuu_report_point *)l->items + l->count - 1 : NULL;
	cpuu_report_point *p = item;
	p->t = strtoll(v[0], NULL, 10);
	p->done = (prev ? prev->done : 0) + (size_t)strtoull(v[1], NULL, 10);
	return 0;
}

static const report_row_shape point_rows = { sizeof(cpuu_report_point), 2, fill_point, NULL };

static void items_free(const report_row_shape *shape, void *items, size_t n)
{
	report_rows l = { shape, items, n, n };
	report_rows_free(&l);
}

/* Users by status: the latest state folded user by user (the rows come
 * sorted by user), with the rules of report_user_tally_status; the CSV
 * writer uses the same fold, so the two cannot disagree. */
static int count_users(cpuu_report_summary *s, cpuu_report *rep)
{
	cpuu_report_states *all = NULL;
	int rc = cpuu_report_latest(&all, rep);
	if (rc)
		return rc;
	for (size_t u = 0; u < all->count;) {
		report_user_tally t = { 0 };
		size_t end = report_user_tally_fold(&t, all, u);
		switch (report_user_tally_status(&t)) {
		case CPUU_REPORT_USER_DONE: s->users_done++; break;
		case CPUU_REPORT_USER_WAITING: s->users_waiting++; break;
		case CPUU_REPORT_USER_FAILED: s->users_failed++; break;
		case CPUU_REPORT_USER_NOT_SEEN: s->users_not_seen++; break;
		}
		u = end;
	}
	cpuu_report_states_free(all);
	return CPUU_OK;
}

void cpuu_report_summary_free(cpuu_report_summary *s)
{
	if (!s)
		return;
	items_free(&feature_rows, s->by_feature, s->n_features);
	items_free(&count_rows, s->by_outcome, s->n_outcomes);
	items_free(&count_rows, s->by_mode, s->n_modes);
	items_free(&state_rows, s->failures, s->n_failures);
	free(s);
}

int cpuu_report_summary_get(cpuu_report_summary **out, cpuu_report *rep)
{
	*out = NULL;
	cpuu_report_summary *s = calloc(1, sizeof *s);
	if (!s)
		return cpuu_error_oom();
	report_rows oc = { 0 }, mc = { 0 }, fe = { 0 }, fl = { 0 };
	int rc = report_count(rep, &s->records, "SELECT count(*) FROM report_records");
	if (!rc)
		rc = report_count(rep, &s->files, "SELECT count(*) FROM report_files");
	if (!rc)
		rc = report_count(rep, &s->users, "SELECT count(DISTINCT user_name) FROM report_records");
	if (!rc)
		rc = count_users(s, rep);
	if (!rc)
		rc = report_count(rep, &s->accounts, "SELECT count(*) FROM report_latest WHERE " REPORT_IS_ACCOUNT_SQL);
	if (!rc)
		rc = report_count(rep, &s->done, "SELECT count(*) FROM report_latest WHERE " REPORT_IS_ACCOUNT_SQL
						 " AND outcome IN ('switched', 'already_switched')");
	if (!rc)
		rc = report_count(rep, &s->features,
				  "SELECT count(*) FROM report_latest WHERE " REPORT_FEATURE_SQL " IS NOT NULL");
	if (!rc)
		rc = report_count(rep, &s->nothing_to_do, "SELECT count(*) FROM report_latest WHERE outcome = 'nothing_to_do'");
	if (!rc)
		rc = report_rows_query(&oc, rep, &count_rows,
				       "SELECT outcome, count(*) FROM report_latest WHERE " REPORT_IS_ACCOUNT_SQL
				       " GROUP BY outcome ORDER BY outcome");
	if (!rc)
		rc = report_rows_query(&mc, rep, &count_rows,
				       "SELECT mode, count(*) FROM report_latest WHERE " REPORT_IS_ACCOUNT_SQL
				       " GROUP BY mode ORDER BY mode");
	if (!rc)
		rc = report_rows_query(&fe, rep, &feature_rows,
				       "SELECT feature, outcome, count(*) FROM (SELECT " REPORT_FEATURE_SQL
				       " AS feature, outcome FROM report_latest) x WHERE feature IS NOT NULL"
				       " GROUP BY feature, outcome ORDER BY feature, outcome");
	if (!rc)
		rc = report_rows_query(&fl, rep, &state_rows,
				       "SELECT " STATE_COLS " FROM report_latest WHERE outcome IN ('error', 'ambiguous')"
				       " ORDER BY user_name, coalesce(profile, ''), coalesce(account, '')");
	size_t latest = 0;
	if (!rc)
		rc = report_count(rep, &latest, "SELECT count(*) FROM report_latest");
	s->others = latest - s->accounts - s->features;
	s->by_feature = fe.items;
	s->n_features = fe.count;
	s->by_outcome = oc.items;
	s->n_outcomes = oc.count;
	s->by_mode = mc.items;
	s->n_modes = mc.count;
	s->failures = fl.items;
	s->n_failures = fl.count;
	if (rc) {
		cpuu_report_summary_free(s);
		return rc;
	}
	*out = s;
	return CPUU_OK;
}

void cpuu_report_states_free(cpuu_report_states *s)
{
	if (!s)
		return;
	items_free(&state_rows, s->items, s->count);
	free(s);
}

int cpuu_report_latest(cpuu_report_states **out, cpuu_report *rep)
{
	*out = NULL;
	report_rows l;
	int rc = report_rows_query(&l, rep, &state_rows,
				   "SELECT " STATE_COLS " FROM report_latest"
				   " ORDER BY user_name, coalesce(profile, ''), coalesce(account, '')");
	cpuu_report_states *s = rc ? NULL : calloc(1, sizeof *s);
	if (!s) {
		report_rows_free(&l);
		return rc ? rc : cpuu_error_oom();
	}
	s->items = l.items;
	s->count = l.count;
	*out = s;
	return CPUU_OK;
}

void cpuu_report_progress_free(cpuu_report_progress *p)
{
	if (!p)
		return;
	free(p->items);
	free(p);
}

int cpuu_report_progress_get(cpuu_report_progress **out, cpuu_report *rep)
{
	*out = NULL;
	report_rows l;
	int rc = report_rows_query(&l, rep, &point_rows,
				   "SELECT t, count(*) FROM (SELECT min(observed_at) AS t FROM report_records"
				   " WHERE outcome IN ('switched', 'already_switched') AND " REPORT_IS_ACCOUNT_SQL
				   " GROUP BY user_name, coalesce(profile, ''), coalesce(account, '')) x GROUP BY t ORDER BY t");
	cpuu_report_progress *p = rc ? NULL : calloc(1, sizeof *p);
	if (!p) {
		report_rows_free(&l);
		return rc ? rc : cpuu_error_oom();
	}
	p->items = l.items;
	p->count = l.count;
	*out = p;
	return CPUU_OK;
}

void report_format_time(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

void report_html_escape(cpuu_buf *b, const char *s)
{
	if (!s)
		return;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': cpuu_buf_puts(b, "&amp;"); break;
		case '<': cpuu_buf_puts(b, "&lt;"); break;
		case '>': cpuu_buf_puts(b, "&gt;"); break;
		case '"': cpuu_buf_puts(b, "&quot;"); break;
		case '\'': cpuu_buf_puts(b, "&#39;"); break;
		default: cpuu_buf_append(b, p, 1);
		}
	}
}

void report_csv_field(cpuu_buf *b, const char *s)
{
	if (!s)
		return;
	/* A cell starting with = + - @ (or tab/CR) is a formula to a
	 * spreadsheet: a record must never run anything on the admin's PC. */
	int formula = strchr("=+-@\t\r", s[0]) && s[0];
	cpuu_buf_puts(b, "\"");
	if (formula)
		cpuu_buf_puts(b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			cpuu_buf_puts(b, "\"\"");
		else
			cpuu_buf_append(b, p, 1);
	}
	cpuu_buf_puts(b, "\"");
}

/* Terminal text: outside data shown escaped (include/cpuu/display.h), so a
 * record cannot move the cursor, change colours, forge a line or reverse
 * the text around it. */
static void text_field(cpuu_buf *b, const char *s)
{
	if (!s) {
		cpuu_buf_puts(b, "-");
		return;
	}
	cpuu_buf_display(b, s);
}

static void count_line(cpuu_buf *b, const cpuu_report_count *c)
{
	size_t start = b->len;
	cpuu_buf_puts(b, "  ");
	text_field(b, c->name);
	size_t w = b->len - start;
	cpuu_buf_printf(b, "%*s %8zu\n", w < 20 ? (int)(20 - w) : 0, "", c->count);
}

static void pct(cpuu_buf *b, size_t n, size_t of)
{
	if (of)
		cpuu_buf_printf(b, " (%.1f%%)", 100.0 * (double)n / (double)of);
}

static void format_text(cpuu_buf *b, const cpuu_report_summary *s)
{
	cpuu_buf_printf(b, "users %zu: done %zu", s->users, s->users_done);
	pct(b, s->users_done, s->users);
	cpuu_buf_printf(b, ", waiting for their switch %zu, failed %zu, not seen %zu\n", s->users_waiting,
			s->users_failed, s->users_not_seen);
	cpuu_buf_printf(b, "records %zu (files %zu), accounts %zu, done %zu", s->records, s->files, s->accounts,
			s->done);
	pct(b, s->done, s->accounts);
	cpuu_buf_printf(b, "; feature records %zu, profile and hive records %zu, nothing to do %zu\n", s->features,
			s->others, s->nothing_to_do);
	cpuu_buf_puts(b, "\naccounts by outcome (latest state):\n");
	for (size_t i = 0; i < s->n_outcomes; i++)
		count_line(b, &s->by_outcome[i]);
	cpuu_buf_puts(b, "\naccounts by mode:\n");
	for (size_t i = 0; i < s->n_modes; i++)
		count_line(b, &s->by_mode[i]);
	cpuu_buf_puts(b, "\nfeatures by outcome (latest state; not accounts):\n");
	for (size_t i = 0; i < s->n_features; i++) {
		char *name = cpuu_aprintf("%s %s", s->by_feature[i].feature, s->by_feature[i].outcome);
		cpuu_report_count c = { name, s->by_feature[i].count };
		count_line(b, &c);
		free(name);
	}
	cpuu_buf_printf(b, "\nfailures (error, ambiguous): %zu\n", s->n_failures);
	for (size_t i = 0; i < s->n_failures; i++) {
		const cpuu_report_state *f = &s->failures[i];
		char when[32];
		report_format_time(when, f->observed_at);
		cpuu_buf_puts(b, "  ");
		text_field(b, f->rec.user);
		cpuu_buf_puts(b, "  ");
		text_field(b, f->rec.profile);
		cpuu_buf_puts(b, "  ");
		text_field(b, f->rec.account);
		cpuu_buf_puts(b, "  ");
		text_field(b, f->rec.outcome);
		cpuu_buf_printf(b, " %s  ", when);
		text_field(b, f->rec.message);
		cpuu_buf_puts(b, "\n");
	}
}

static void json_counts(cpuu_buf *b, const cpuu_report_count *c, size_t n)
{
	cpuu_buf_puts(b, "{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			cpuu_buf_puts(b, ",");
		cpuu_buf_json_string(b, c[i].name);
		cpuu_buf_printf(b, ":%zu", c[i].count);
	}
	cpuu_buf_puts(b, "}");
}

static void json_state(cpuu_buf *b, const cpuu_report_state *f)
{
	char when[32];
	report_format_time(when, f->observed_at);
	cpuu_buf_puts(b, "{\"user\":");
	cpuu_buf_json_string(b, f->rec.user);
	cpuu_buf_puts(b, ",\"hive\":");
	cpuu_buf_json_string(b, f->rec.hive);
	cpuu_buf_puts(b, ",\"profile\":");
	cpuu_buf_json_string(b, f->rec.profile);
	cpuu_buf_puts(b, ",\"account\":");
	cpuu_buf_json_string(b, f->rec.account);
	cpuu_buf_puts(b, ",\"mode\":");
	cpuu_buf_json_string(b, f->rec.mode);
	cpuu_buf_puts(b, ",\"outcome\":");
	cpuu_buf_json_string(b, f->rec.outcome);
	cpuu_buf_printf(b, ",\"changes\":%lld,\"message\":", (long long)f->rec.changes);
	cpuu_buf_json_string(b, f->rec.message);
	cpuu_buf_printf(b, ",\"duration_ms\":%.3f,\"observed_at\":\"%s\"}", f->rec.duration_ms, when);
}

static void format_json(cpuu_buf *b, const cpuu_report_summary *s)
{
	cpuu_buf_printf(b, "{\"users\":{\"total\":%zu,\"done\":%zu,\"waiting\":%zu,\"failed\":%zu,\"not_seen\":%zu},",
			s->users, s->users_done, s->users_waiting, s->users_failed, s->users_not_seen);
	cpuu_buf_printf(b, "\"records\":%zu,\"files\":%zu,\"accounts\":%zu,\"done\":%zu,\"features\":%zu,"
			   "\"others\":%zu,\"nothing_to_do\":%zu,\"by_feature\":{",
			s->records, s->files, s->accounts, s->done, s->features, s->others, s->nothing_to_do);
	for (size_t i = 0; i < s->n_features; i++) {
		const cpuu_report_feature_count *f = &s->by_feature[i];
		int first = !i || strcmp(f->feature, s->by_feature[i - 1].feature);
		if (first) {
			cpuu_buf_puts(b, i ? "}," : "");
			cpuu_buf_json_string(b, f->feature);
			cpuu_buf_puts(b, ":{");
		} else {
			cpuu_buf_puts(b, ",");
		}
		cpuu_buf_json_string(b, f->outcome);
		cpuu_buf_printf(b, ":%zu", f->count);
	}
	cpuu_buf_puts(b, s->n_features ? "}}," : "},");
	cpuu_buf_puts(b, "\"by_outcome\":");
	json_counts(b, s->by_outcome, s->n_outcomes);
	cpuu_buf_puts(b, ",\"by_mode\":");
	json_counts(b, s->by_mode, s->n_modes);
	cpuu_buf_puts(b, ",\"failures\":[");
	for (size_t i = 0; i < s->n_failures; i++) {
		if (i)
			cpuu_buf_puts(b, ",");
		json_state(b, &s->failures[i]);
	}
	cpuu_buf_puts(b, "]}\n");
}

static int format_csv(cpuu_buf *b, cpuu_report *rep)
{
	cpuu_report_states *all = NULL;
	int rc = cpuu_report_latest(&all, rep);
	if (rc)
		return rc;
	cpuu_buf_puts(b, "user,hive,profile,account,mode,outcome,changes,message,duration_ms,observed_at,kind,"
			 "user_status\r\n");
	/* Rows come sorted by user: each user's status from all their rows. */
	for (size_t u = 0; u < all->count;) {
		report_user_tally t = { 0 };
		size_t end = report_user_tally_fold(&t, all, u);
		const char *status = cpuu_report_user_status_name(report_user_tally_status(&t));
		for (size_t i = u; i < end; i++) {
			const cpuu_report_state *x = &all->items[i];
			char when[32];
			const char *feature = NULL;
			cpuu_report_kind k = cpuu_report_record_kind(x->rec.profile, x->rec.account, &feature);
			report_format_time(when, x->observed_at);
			report_csv_field(b, x->rec.user);
			cpuu_buf_puts(b, ",");
			report_csv_field(b, x->rec.hive);
			cpuu_buf_puts(b, ",");
			report_csv_field(b, x->rec.profile);
			cpuu_buf_puts(b, ",");
			report_csv_field(b, x->rec.account);
			cpuu_buf_puts(b, ",");
			report_csv_field(b, x->rec.mode);
			cpuu_buf_puts(b, ",");
			report_csv_field(b, x->rec.outcome);
			cpuu_buf_printf(b, ",%lld,", (long long)x->rec.changes);
			report_csv_field(b, x->rec.message);
			cpuu_buf_printf(b, ",%.3f,%s,%s,%s\r\n", x->rec.duration_ms, when,
					k == CPUU_REPORT_KIND_ACCOUNT   ? "account"
					: k == CPUU_REPORT_KIND_FEATURE ? feature
					: k == CPUU_REPORT_KIND_PROFILE ? "profile"
									: "hive",
					status);
		}
		u = end;
	}
	cpuu_report_states_free(all);
	return CPUU_OK;
}

int cpuu_report_summary_format(char **out, cpuu_report *rep, const cpuu_report_summary *s, cpuu_report_format fmt)
{
	*out = NULL;
	cpuu_buf b = { 0 };
	int rc = CPUU_OK;
	if (fmt == CPUU_REPORT_TEXT)
		format_text(&b, s);
	else if (fmt == CPUU_REPORT_JSON)
		format_json(&b, s);
	else if (fmt == CPUU_REPORT_CSV)
		rc = format_csv(&b, rep);
	else
		rc = cpuu_error_set(CPUU_EINVALID, "unknown summary format %d", (int)fmt);
	if (rc) {
		cpuu_buf_dispose(&b);
		return rc;
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}
