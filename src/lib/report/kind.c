/* What a record is about and where its user stands (docs/report.md
 * "Records by kind" and "Users"). The kind rules are written once more as
 * SQL in internal.h (REPORT_FEATURE_SQL, REPORT_IS_ACCOUNT_SQL) so the store
 * can count records; tests check the two agree. */
#include "report/internal.h"

#include <string.h>

cpuu_report_kind cpuu_report_record_kind(const char *profile, const char *account, const char **feature)
{
	static const char *const whole[] = { "autocomplete", "caches", "signatures" };
	if (feature)
		*feature = NULL;
	if (!account)
		return profile ? CPUU_REPORT_KIND_PROFILE : CPUU_REPORT_KIND_HIVE;
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
		if (!strcmp(account, whole[i])) {
			if (feature)
				*feature = whole[i];
			return CPUU_REPORT_KIND_FEATURE;
		}
	/* Prefixes: an SMTP address has an '@' before any ':', a legacyDN
	 * starts with '/', a service UID is hex: none starts like these. */
	if (!strncmp(account, "autodiscover:", 13) || !strncmp(account, "additional:", 11)) {
		if (feature)
			*feature = !strncmp(account, "autodiscover:", 13) ? "autodiscover" : "additional";
		return CPUU_REPORT_KIND_FEATURE;
	}
	return profile ? CPUU_REPORT_KIND_ACCOUNT : CPUU_REPORT_KIND_HIVE;
}

const char *cpuu_report_user_status_name(cpuu_report_user_status st)
{
	switch (st) {
	case CPUU_REPORT_USER_DONE: return "done";
	case CPUU_REPORT_USER_WAITING: return "waiting";
	case CPUU_REPORT_USER_FAILED: return "failed";
	case CPUU_REPORT_USER_NOT_SEEN: return "not_seen";
	}
	return "unknown";
}

static int later(int64_t t, int64_t seq, int64_t than_t, int64_t than_seq)
{
	return t > than_t || (t == than_t && seq > than_seq);
}

void report_user_tally_add(report_user_tally *t, const cpuu_report_state *st)
{
	const cpuu_report_record *r = &st->rec;
	t->failed |= !strcmp(r->outcome, "error") || !strcmp(r->outcome, "ambiguous") ||
		     !strcmp(r->outcome, "invalid");
	if (!strcmp(r->mode, "rollback") && !strcmp(r->outcome, "rolled_back") &&
	    (!t->has_rb || later(st->observed_at, st->seq, t->rb_t, t->rb_seq))) {
		t->has_rb = 1;
		t->rb_t = st->observed_at;
		t->rb_seq = st->seq;
	}
	if (cpuu_report_record_kind(r->profile, r->account, NULL) != CPUU_REPORT_KIND_ACCOUNT)
		return;
	t->accounts++;
	if (strcmp(r->outcome, "switched") && strcmp(r->outcome, "already_switched"))
		return;
	t->at_target++;
	if (!t->has_up || later(st->observed_at, st->seq, t->up_t, t->up_seq)) {
		t->has_up = 1;
		t->up_t = st->observed_at;
		t->up_seq = st->seq;
	}
}

size_t report_user_tally_fold(report_user_tally *t, const cpuu_report_states *all, size_t from)
{
	size_t end = from;
	while (end < all->count && !strcmp(all->items[end].rec.user, all->items[from].rec.user))
		report_user_tally_add(t, &all->items[end++]);
	return end;
}

cpuu_report_user_status report_user_tally_status(const report_user_tally *t)
{
	if (t->failed)
		return CPUU_REPORT_USER_FAILED;
	if (!t->accounts)
		return CPUU_REPORT_USER_NOT_SEEN;
	if (t->at_target == t->accounts && !(t->has_rb && later(t->rb_t, t->rb_seq, t->up_t, t->up_seq)))
		return CPUU_REPORT_USER_DONE;
	return CPUU_REPORT_USER_WAITING;
}
