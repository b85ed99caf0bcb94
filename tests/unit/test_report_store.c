/* The report store, one suite for both backends: this file runs it against
 * SQLite; test_report_pg.c includes it with REPORT_TEST_PG defined and runs
 * it against a real PostgreSQL cluster (tests/support/pg.sh).
 * Checks: folders are walked for *.jsonl only; ingest is idempotent (twice
 * adds nothing, a grown file adds its new lines, a rewritten line is new
 * history); the latest state follows the files' times, not ingest order;
 * malformed lines are reported as file:line and skipped, an unfinished last
 * line is left for later; hostile strings round-trip byte for byte and come
 * out escaped in CSV and HTML; summary counts, failures and progress match
 * what was written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cpuu/report.h"
#include "testutil.h"

#ifndef REPORT_TEST_PG
#include <sqlite3.h>
#endif

#ifdef REPORT_TEST_PG
#include <libpq-fe.h>
#endif

static char *g_dir;      /* per test */
static char g_url[4200]; /* per test */

#ifdef REPORT_TEST_PG
static char *g_pgdir;
static char g_pgurl[512];
static int g_pg_started;

static void pg_stop(void)
{
	if (!g_pg_started)
		return;
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "bash '%s/tests/support/pg.sh' stop '%s'", CPUU_SOURCE_DIR, g_pgdir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: pg.sh stop failed\n");
	g_pg_started = 0;
}

/* 0 started, 77 not installed, other: failure. */
static int pg_start(void)
{
	g_pgdir = test_tmpdir("reportpg");
	if (!g_pgdir)
		return 1;
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "bash '%s/tests/support/pg.sh' start '%s' %ld", CPUU_SOURCE_DIR, g_pgdir,
		 (long)getpid());
	int rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		return 1;
	if (WEXITSTATUS(rc) != 0)
		return WEXITSTATUS(rc);
	g_pg_started = 1;
	char *envp = test_path(g_pgdir, "env");
	size_t len;
	char *text = (char *)test_read_file(envp, &len);
	free(envp);
	if (!text)
		return 1;
	char *p = strstr(text, "PG_URL='");
	if (p) {
		p += 8;
		size_t n = strcspn(p, "'");
		snprintf(g_pgurl, sizeof g_pgurl, "%.*s", (int)n, p);
	}
	free(text);
	return g_pgurl[0] ? 0 : 1;
}

/* A fresh schema for every test. */
static void pg_reset(void)
{
	PGconn *c = PQconnectdb(g_pgurl);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "SET client_min_messages = warning;"
				"DROP VIEW IF EXISTS report_latest; DROP TABLE IF EXISTS report_records, report_files");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
}
#endif

static int setup(void **state)
{
	(void)state;
	g_dir = test_tmpdir("report");
	if (!g_dir)
		return -1;
#ifdef REPORT_TEST_PG
	pg_reset();
	snprintf(g_url, sizeof g_url, "%s", g_pgurl);
#else
	snprintf(g_url, sizeof g_url, "sqlite:%s/store.sqlite", g_dir);
#endif
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(g_dir);
	g_dir = NULL;
	return 0;
}

/* Writes dir/name (making dir/sub folders) and sets its mtime (0: now). */
static char *put(const char *name, const char *text, long mtime)
{
	char *p = test_path(g_dir, name);
	assert_non_null(p);
	for (char *s = strchr(p + strlen(g_dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	assert_int_equal(test_write_file(p, text, strlen(text)), 0);
	if (mtime) {
		struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
		assert_int_equal(utimes(p, tv), 0);
	}
	return p;
}

static void append(const char *path, const char *text, long mtime)
{
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	assert_int_equal(utimes(path, tv), 0);
}

/* One record line; profile/account/message "" give null. */
static char *line(const char *user, const char *profile, const char *account, const char *mode,
		  const char *outcome, int changes, const char *message)
{
	static char buf[8][4096];
	static int k;
	char *b = buf[k++ % 8];
	char p[300], a[300], m[300];
	snprintf(p, sizeof p, *profile ? "\"%s\"" : "null", profile);
	snprintf(a, sizeof a, *account ? "\"%s\"" : "null", account);
	snprintf(m, sizeof m, *message ? "\"%s\"" : "null", message);
	snprintf(b, 4096,
		 "{\"user\":\"%s\",\"hive\":\"/srv/profiles/%s/NTUSER.DAT\",\"profile\":%s,\"account\":%s,"
		 "\"mode\":\"%s\",\"outcome\":\"%s\",\"changes\":%d,\"message\":%s,\"duration_ms\":%d.125}\n",
		 user, user, p, a, mode, outcome, changes, m, changes);
	return b;
}

typedef struct warnings {
	char *text[16];
	size_t n;
} warnings;

static void collect(void *ctx, const char *msg)
{
	warnings *w = ctx;
	if (w->n < 16)
		w->text[w->n++] = strdup(msg);
}

static void warnings_free(warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->text[i]);
	w->n = 0;
}

static cpuu_report *open_store(void)
{
	cpuu_report *rep = NULL;
	int rc = cpuu_report_open(&rep, g_url);
	if (rc)
		fail_msg("open %s: %s", g_url, cpuu_error_last()->message);
#ifdef REPORT_TEST_PG
	assert_string_equal(cpuu_report_backend(rep), "postgresql");
#else
	assert_string_equal(cpuu_report_backend(rep), "sqlite");
#endif
	return rep;
}

static cpuu_report_ingest_stats ingest(cpuu_report *rep, const char *rel, warnings *w)
{
	cpuu_report_ingest_stats st = { 0 };
	char *p = test_path(g_dir, rel);
	int rc = cpuu_report_ingest(rep, p, &st, w ? collect : NULL, w);
	if (rc)
		fail_msg("ingest %s: %s", p, cpuu_error_last()->message);
	free(p);
	return st;
}

static cpuu_report_summary *summary(cpuu_report *rep)
{
	cpuu_report_summary *s = NULL;
	assert_int_equal(cpuu_report_summary_get(&s, rep), CPUU_OK);
	return s;
}

/* The store's summary counts records from files. */
static void expect_records(cpuu_report *rep, size_t records, size_t files)
{
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->records, records);
	assert_int_equal(s->files, files);
	cpuu_report_summary_free(s);
}

static size_t count_of(const cpuu_report_count *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return c[i].count;
	return 0;
}

static void tree(void)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%s%s",
		 line("alice", "Outlook", "alice@source.example", "update", "switched", 17, ""),
		 line("alice", "Outlook", "shared@source.example", "update", "not_switched", 0, "mailbox not moved yet"),
		 line("bob", "Outlook", "bob@source.example", "update", "error", 0, "hive is dirty"));
	free(put("logs/ws1.jsonl", text, 1700000000));
	/* Windows line ends, a blank line, spaces. */
	snprintf(text, sizeof text, "%.*s\r\n\r\n  \n%s",
		 (int)strlen(line("carol", "Main", "carol@source.example", "update", "already_switched", 0, "")) - 1,
		 line("carol", "Main", "carol@source.example", "update", "already_switched", 0, ""),
		 line("dave", "", "", "update", "skipped", 0, "no Outlook profile"));
	free(put("logs/site2/ws2.jsonl", text, 1700000600));
	free(put("logs/notes.txt", "not records at all\n", 0));
	free(put("logs/.partial.jsonl", "{ half", 0));
}

/* A rollback's records name profiles, not accounts, so the accounts' own
 * latest records still say switched: the user is waiting again, not done,
 * until a later update switches them again. Later = a newer file, or a later
 * line of the same file. */
static void test_rolled_back_users_are_not_done(void **state)
{
	(void)state;
	char text[4096];
	/* jack: switched on day 1, rolled back on day 2 (another file). */
	free(put("rb/day1/jack.jsonl", line("jack", "Outlook", "jack@source.example", "update", "switched", 9, ""),
		 1700000000));
	free(put("rb/day2/jack.jsonl", line("jack", "Outlook", "", "rollback", "rolled_back", 9, ""), 1700090000));
	/* kate: rolled back, then switched again, all in one file. */
	snprintf(text, sizeof text, "%s%s%s", line("kate", "Outlook", "kate@source.example", "update", "switched", 9, ""),
		 line("kate", "Outlook", "", "rollback", "rolled_back", 9, ""),
		 line("kate", "Outlook", "kate@source.example", "update", "switched", 9, ""));
	free(put("rb/day1/kate.jsonl", text, 1700000000));
	/* liam: switched then rolled back in one file. */
	snprintf(text, sizeof text, "%s%s", line("liam", "Outlook", "liam@source.example", "update", "switched", 9, ""),
		 line("liam", "Outlook", "", "rollback", "rolled_back", 9, ""));
	free(put("rb/day1/liam.jsonl", text, 1700000000));
	cpuu_report *rep = open_store();
	assert_int_equal(ingest(rep, "rb", NULL).added, 7);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->users, 3);
	assert_int_equal(s->users_done, 1);    /* kate */
	assert_int_equal(s->users_waiting, 2); /* jack, liam */
	char *csv = NULL;
	assert_int_equal(cpuu_report_summary_format(&csv, rep, s, CPUU_REPORT_CSV), CPUU_OK);
	assert_non_null(strstr(csv, "\"jack@source.example\",\"update\",\"switched\",9,,9.125,2023-11-14 22:13:20Z,account,waiting"));
	assert_non_null(strstr(csv, "\"kate@source.example\",\"update\",\"switched\",9,,9.125,2023-11-14 22:13:20Z,account,done"));
	cpuu_free(csv);
	cpuu_report_summary_free(s);
	cpuu_report_free(rep);
}

static void test_ingest_folder(void **state)
{
	(void)state;
	tree();
	cpuu_report *rep = open_store();
	warnings w = { 0 };
	cpuu_report_ingest_stats st = ingest(rep, "logs", &w);
	assert_int_equal(w.n, 0);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.added, 5);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.malformed, 0);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->records, 5);
	assert_int_equal(s->files, 2);
	assert_int_equal(s->users, 4);
	/* dave's record is hive-wide (no profile, no account): not an account. */
	assert_int_equal(s->accounts, 4);
	assert_int_equal(s->others, 1);
	assert_int_equal(s->done, 2);
	/* alice waits for shared@, bob failed, carol done, dave not seen. */
	assert_int_equal(s->users_done, 1);
	assert_int_equal(s->users_waiting, 1);
	assert_int_equal(s->users_failed, 1);
	assert_int_equal(s->users_not_seen, 1);
	cpuu_report_summary_free(s);
	cpuu_report_free(rep);
}

/* Feature records (autocomplete, autodiscover:<v>, caches, signatures,
 * additional:<mailbox>) and nothing_to_do are kept apart from accounts and
 * never make a user done; the users' statuses computed by the store (SQL)
 * and by the CSV writer (C) agree; result files written before
 * nothing_to_do existed (autocomplete records saying already_switched, a
 * rollback's "autodiscover:" without its version) still ingest. */
static void test_users_first_and_features_apart(void **state)
{
	(void)state;
	char text[8192];
	/* line() keeps 8 buffers: at most 6 lines per call below. */
	snprintf(text, sizeof text, "%s%s%s%s%s%s",
		 /* erin: account not switched yet; her autocomplete had nothing to do */
		 line("erin", "Outlook", "erin@source.example", "update", "not_switched", 0, ""),
		 line("erin", "Outlook", "autocomplete", "update", "nothing_to_do", 0, "no entry of a switched mailbox"),
		 /* fred: only feature records (no Exchange account seen) */
		 line("fred", "", "autodiscover:16.0", "update", "switched", 2, ""),
		 line("fred", "", "caches", "update", "nothing_to_do", 0, ""),
		 /* gina: switched, features fine, an additional mailbox waiting */
		 line("gina", "Outlook", "gina@source.example", "update", "switched", 12, ""),
		 line("gina", "Outlook", "additional:boss@source.example", "update", "not_switched", 0, ""));
	size_t tl = strlen(text);
	snprintf(text + tl, sizeof text - tl, "%s%s%s%s%s",
		 line("gina", "", "signatures", "update", "switched", 1, ""),
		 /* hugo: switched, but his autocomplete failed */
		 line("hugo", "Outlook", "hugo@source.example", "update", "switched", 12, ""),
		 line("hugo", "Outlook", "autocomplete", "update", "error", 0, "stream does not parse"),
		 /* an old file: autocomplete said already_switched, rollback said "autodiscover:" */
		 line("ivan", "Outlook", "autocomplete", "update", "already_switched", 0, "no autocomplete entry"),
		 line("ivan", "", "autodiscover:", "rollback", "rolled_back", 3, ""));
	free(put("feat/all.jsonl", text, 1700000000));
	cpuu_report *rep = open_store();
	warnings w = { 0 };
	assert_int_equal(ingest(rep, "feat", &w).added, 11);
	assert_int_equal(w.n, 0);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->users, 5);
	assert_int_equal(s->accounts, 3); /* erin, gina, hugo */
	assert_int_equal(s->done, 2);
	assert_int_equal(s->features, 8);
	assert_int_equal(s->others, 0);
	assert_int_equal(s->nothing_to_do, 2);
	assert_int_equal(s->users_done, 1);     /* gina */
	assert_int_equal(s->users_waiting, 1);  /* erin */
	assert_int_equal(s->users_failed, 1);   /* hugo */
	assert_int_equal(s->users_not_seen, 2); /* fred, ivan: no account record */
	assert_int_equal(count_of(s->by_outcome, s->n_outcomes, "nothing_to_do"), 0);
	size_t feat = 0, ntd = 0, ad = 0;
	for (size_t i = 0; i < s->n_features; i++) {
		feat += s->by_feature[i].count;
		ntd += !strcmp(s->by_feature[i].outcome, "nothing_to_do") ? s->by_feature[i].count : 0;
		ad += !strcmp(s->by_feature[i].feature, "autodiscover") ? s->by_feature[i].count : 0;
	}
	assert_int_equal(feat, 8);
	assert_int_equal(ntd, 2);
	assert_int_equal(ad, 2);
	/* Text and JSON lead with users. */
	char *txt = NULL, *json = NULL, *csv = NULL;
	assert_int_equal(cpuu_report_summary_format(&txt, rep, s, CPUU_REPORT_TEXT), CPUU_OK);
	static const char want_txt[] = "users 5: done 1 (20.0%), waiting for their switch 1, failed 1, not seen 2\n";
	assert_memory_equal(txt, want_txt, sizeof want_txt - 1);
	assert_int_equal(cpuu_report_summary_format(&json, rep, s, CPUU_REPORT_JSON), CPUU_OK);
	static const char want_json[] = "{\"users\":{\"total\":5,\"done\":1,\"waiting\":1,\"failed\":1,\"not_seen\":2},";
	assert_memory_equal(json, want_json, sizeof want_json - 1);
	assert_non_null(strstr(json, "\"autocomplete\":{\"already_switched\":1,\"error\":1,\"nothing_to_do\":1}"));
	/* CSV: each row's kind and its user's status, computed in C. */
	assert_int_equal(cpuu_report_summary_format(&csv, rep, s, CPUU_REPORT_CSV), CPUU_OK);
	static const char *const want[][2] = {
		{ "\"erin\"", ",waiting\r\n" }, { "\"fred\"", ",not_seen\r\n" }, { "\"gina\"", ",done\r\n" },
		{ "\"hugo\"", ",failed\r\n" }, { "\"ivan\"", ",not_seen\r\n" },
	};
	static const char *const kinds[] = { ",account,waiting", ",autocomplete,waiting", ",autodiscover,not_seen",
					     ",caches,not_seen", ",account,done", ",additional,done", ",signatures,done",
					     ",account,failed", ",autocomplete,failed", ",autocomplete,not_seen" };
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		if (!strstr(csv, kinds[k]))
			fail_msg("no csv row with kind and status %s", kinds[k]);
	size_t counted[4] = { 0 };
	static const char *const st[] = { ",done\r\n", ",waiting\r\n", ",failed\r\n", ",not_seen\r\n" };
	for (char *l = strchr(csv, '\n') + 1; *l;) {
		char *end = strchr(l, '\n');
		assert_non_null(end);
		char row[1024];
		snprintf(row, sizeof row, "%.*s", (int)(end - l + 1), l);
		for (size_t u = 0; u < 5; u++)
			if (!strncmp(row, want[u][0], strlen(want[u][0])) && !strstr(row, want[u][1]))
				fail_msg("csv row: %s", row);
		for (size_t k = 0; k < 4; k++)
			counted[k] += strstr(row, st[k]) != NULL;
		l = end + 1;
	}
	/* Rows per status agree with the store's per-user counts (rows, not users). */
	assert_int_equal(counted[0], 3); /* gina's 3 rows */
	assert_int_equal(counted[1], 2);
	assert_int_equal(counted[2], 2);
	assert_int_equal(counted[3], 4);
	cpuu_free(txt);
	cpuu_free(json);
	cpuu_free(csv);
	/* The dashboard leads with users. */
	char *out = test_path(g_dir, "dash-users");
	assert_int_equal(cpuu_report_html(rep, out), CPUU_OK);
	char *index = test_path(out, "index.html");
	size_t len;
	char *html = (char *)test_read_file(index, &len);
	assert_non_null(html);
	char *users = strstr(html, "id=\"users-done\">1<");
	assert_non_null(users);
	assert_non_null(strstr(html, "id=\"users-not-seen\">2<"));
	assert_non_null(strstr(html, "id=\"feature-autocomplete-nothing_to_do\">1<"));
	assert_true(users < strstr(html, "id=\"n-accounts\""));
	assert_true(users < strstr(html, "id=\"outcomes\""));
	free(html);
	free(index);
	free(out);
	cpuu_report_summary_free(s);
	cpuu_report_free(rep);
}

static void test_idempotent(void **state)
{
	(void)state;
	tree();
	cpuu_report *rep = open_store();
	ingest(rep, "logs", NULL);
	cpuu_report_free(rep);
	/* A second process, the folder again, then one file by another path. */
	rep = open_store();
	cpuu_report_ingest_stats st = ingest(rep, "logs", NULL);
	/* Incremental: nothing new, so no file is even opened. */
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.bytes_read, 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.added, 0);
	st = ingest(rep, "logs/site2/../ws1.jsonl", NULL);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.added, 0);
	/* A file touched but not grown is read from where the last ingest
	 * stopped: no byte again, nothing added twice. */
	char *p = test_path(g_dir, "logs/ws1.jsonl");
	append(p, "", 1800000000);
	free(p);
	st = ingest(rep, "logs", NULL);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.bytes_read, 0);
	assert_int_equal(st.added, 0);
	expect_records(rep, 5, 2);
	cpuu_report_free(rep);
}

/* Several paths in one command (cpuu report ingest --from A --from B):
 * what the store knows is read once, and what one path read is known to
 * the next, so a file under two paths is read once and stored once. The
 * first error stops, after what came before it was committed. */
static void test_ingest_paths_in_one_command(void **state)
{
	(void)state;
	tree();
	char *p0 = test_path(g_dir, "logs/site2"), *p1 = test_path(g_dir, "logs"),
	     *p2 = test_path(g_dir, "logs/ws1.jsonl"), *missing = test_path(g_dir, "nowhere");
	struct stat a, b;
	assert_int_equal(stat(p2, &a), 0);
	char *ws2 = test_path(g_dir, "logs/site2/ws2.jsonl");
	assert_int_equal(stat(ws2, &b), 0);
	free(ws2);
	cpuu_report *rep = open_store();
	const char *paths[] = { p0, p1, p2 };
	cpuu_report_ingest_stats st = { 0 };
	if (cpuu_report_ingest_paths(rep, paths, 3, &st, NULL, NULL))
		fail_msg("ingest: %s", cpuu_error_last()->message);
	/* site2/ws2 read by the first path, ws1 by the second; then each seen
	 * again: unchanged, not opened. */
	assert_int_equal(st.files, 2);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.bytes_read, (size_t)(a.st_size + b.st_size));
	assert_int_equal(st.added, 5);
	assert_int_equal(st.duplicates, 0);
	/* A path that is not there stops the command after the one before. */
	const char *bad[] = { p1, missing, p2 };
	st = (cpuu_report_ingest_stats){ 0 };
	assert_int_equal(cpuu_report_ingest_paths(rep, bad, 3, &st, NULL, NULL), CPUU_ENOTFOUND);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.files, 0);
	expect_records(rep, 5, 2);
	cpuu_report_free(rep);
	free(p0);
	free(p1);
	free(p2);
	free(missing);
}

static void test_grown_and_rewritten_file(void **state)
{
	(void)state;
	char *p = put("share/ws9.jsonl", line("erin", "Outlook", "erin@source.example", "update", "not_switched", 0, "wait"),
		      1700000000);
	cpuu_report *rep = open_store();
	assert_int_equal(ingest(rep, "share", NULL).added, 1);
	/* The next logon appends its result. */
	const char *grown = line("erin", "Outlook", "erin@source.example", "update", "switched", 12, "");
	size_t grown_len = strlen(grown);
	append(p, grown, 1700003600);
	cpuu_report_ingest_stats st = ingest(rep, "share", NULL);
	/* Only the new line is read: the first is not read (nor counted) again. */
	assert_int_equal(st.added, 1);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.bytes_read, grown_len);
	/* Rewritten from scratch: line 1 now holds another record: new history. */
	free(put("share/ws9.jsonl", line("erin", "Outlook", "erin@source.example", "update", "already_switched", 0, ""),
		 1700007200));
	st = ingest(rep, "share", NULL);
	assert_int_equal(st.added, 1);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->records, 3);
	assert_int_equal(s->accounts, 1);
	assert_int_equal(count_of(s->by_outcome, s->n_outcomes, "already_switched"), 1);
	cpuu_report_summary_free(s);
	/* Progress: first done at the append's time. */
	cpuu_report_progress *pr = NULL;
	assert_int_equal(cpuu_report_progress_get(&pr, rep), CPUU_OK);
	assert_int_equal(pr->count, 1);
	assert_int_equal(pr->items[0].t, 1700003600);
	assert_int_equal(pr->items[0].done, 1);
	cpuu_report_progress_free(pr);
	/* Replaced by a longer file with other first bytes: read from its start,
	 * not from the old offset (line 2 is the same record at the same line as
	 * before: stored once). */
	char big[4096];
	snprintf(big, sizeof big, "%s", line("erin", "Outlook", "erin@source.example", "update", "rolled_back", 0, "undo"));
	snprintf(big + strlen(big), sizeof big - strlen(big), "%s%s",
		 line("erin", "Outlook", "erin@source.example", "update", "switched", 12, ""),
		 line("erin", "Outlook", "erin@source.example", "update", "switched", 12, ""));
	free(put("share/ws9.jsonl", big, 1700010800));
	st = ingest(rep, "share", NULL);
	assert_int_equal(st.bytes_read, strlen(big));
	assert_int_equal(st.records, 3);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.duplicates, 1);
	cpuu_report_free(rep);
	free(p);
}

static void test_latest_follows_file_time(void **state)
{
	(void)state;
	free(put("new/b.jsonl", line("frank", "Outlook", "frank@source.example", "update", "switched", 3, ""),
		 1700090000));
	free(put("old/a.jsonl", line("frank", "Outlook", "frank@source.example", "update", "not_switched", 0, "later"),
		 1700000000));
	cpuu_report *rep = open_store();
	ingest(rep, "new", NULL); /* newest first */
	ingest(rep, "old", NULL);
	cpuu_report_states *l = NULL;
	assert_int_equal(cpuu_report_latest(&l, rep), CPUU_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].rec.outcome, "switched");
	assert_int_equal(l->items[0].rec.changes, 3);
	assert_int_equal(l->items[0].observed_at, 1700090000);
	assert_true(l->items[0].rec.duration_ms == 3.125);
	cpuu_report_states_free(l);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->records, 2);
	cpuu_report_summary_free(s);
	cpuu_report_free(rep);
}

static void test_malformed_lines(void **state)
{
	(void)state;
	char text[4096];
	snprintf(text, sizeof text, "%s{\"user\":\"x\",broken}\n%s{\"user\":\"y\",\"hive\":\"h\",\"mode\":\"update\"",
		 line("gina", "Outlook", "gina@source.example", "update", "switched", 1, ""),
		 line("hank", "Outlook", "hank@source.example", "update", "no_match", 0, "no target"));
	free(put("bad/x.jsonl", text, 1700000000));
	cpuu_report *rep = open_store();
	warnings w = { 0 };
	cpuu_report_ingest_stats st = ingest(rep, "bad", &w);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(w.n, 2);
	assert_non_null(strstr(w.text[0], "x.jsonl:2: "));
	assert_non_null(strstr(w.text[1], "x.jsonl:4: incomplete last line"));
	warnings_free(&w);
	/* The writer finishes the line: the next ingest takes it. */
	char *p = test_path(g_dir, "bad/x.jsonl");
	append(p, ",\"outcome\":\"switched\",\"changes\":2,\"duration_ms\":1}\n", 1700000100);
	free(p);
	st = ingest(rep, "bad", &w);
	assert_int_equal(st.added, 1);
	/* Read from the end of line 3: line 2 is not read, nor reported, again. */
	assert_int_equal(st.malformed, 0);
	assert_int_equal(w.n, 0);
	warnings_free(&w);
	/* Missing paths and unknown stores are errors with a message. */
	cpuu_report_ingest_stats none = { 0 };
	char *missing = test_path(g_dir, "nope");
	assert_int_equal(cpuu_report_ingest(rep, missing, &none, NULL, NULL), CPUU_ENOTFOUND);
	assert_non_null(strstr(cpuu_error_last()->message, "nope"));
	free(missing);
	cpuu_report_free(rep);
	cpuu_report *other = NULL;
	assert_int_equal(cpuu_report_open(&other, "mysql://u:pw@db/x"), CPUU_EUNSUPPORTED);
	assert_null(other);
	assert_null(strstr(cpuu_error_last()->message, "pw@")); /* never echo a URL's password */
}

/* A value decoded from \u001b must not reach the admin's terminal through
 * a warning. */
static void test_warnings_have_no_control_characters(void **state)
{
	(void)state;
	free(put("esc/e.jsonl",
		 "{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"\\u001b]0;owned\\u0007\","
		 "\"changes\":0,\"duration_ms\":1}\n",
		 1700000000));
	cpuu_report *rep = open_store();
	warnings w = { 0 };
	cpuu_report_ingest_stats st = ingest(rep, "esc", &w);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.text[0], "unknown outcome"));
	for (const unsigned char *p = (const unsigned char *)w.text[0]; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7F);
	warnings_free(&w);
	cpuu_report_free(rep);
}

static const char *const hostile[] = {
	"o'brien\"; DROP TABLE report_records; --",
	"<script>alert(1)</script>",
	"=HYPERLINK(\"http://evil\")",
	"back\\slash & \"quotes\" 'single'",
	"\xc3\xa9l\xc3\xa8ve \xe2\x82\xac \xf0\x9f\x98\x80",
};

static void test_hostile_strings_round_trip(void **state)
{
	(void)state;
	/* JSON-escaped forms of the strings above. */
	static const char *const json[] = {
		"o'brien\\\"; DROP TABLE report_records; --",
		"<script>alert(1)</script>",
		"=HYPERLINK(\\\"http://evil\\\")",
		"back\\\\slash & \\\"quotes\\\" 'single'",
		"\\u00e9l\\u00e8ve \xe2\x82\xac \\ud83d\\ude00",
	};
	char text[8192] = "";
	for (size_t i = 0; i < 5; i++) {
		char user[32];
		snprintf(user, sizeof user, "u%zu", i);
		strcat(text, line(user, json[i], json[i], "update", "error", 0, json[i]));
	}
	free(put("h/h.jsonl", text, 1700000000));
	cpuu_report *rep = open_store();
	assert_int_equal(ingest(rep, "h", NULL).added, 5);
	cpuu_report_states *l = NULL;
	assert_int_equal(cpuu_report_latest(&l, rep), CPUU_OK);
	assert_int_equal(l->count, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(l->items[i].rec.profile, hostile[i]);
		assert_string_equal(l->items[i].rec.account, hostile[i]);
		assert_string_equal(l->items[i].rec.message, hostile[i]);
	}
	cpuu_report_states_free(l);

	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->n_failures, 5);
	char *csv = NULL, *js = NULL;
	assert_int_equal(cpuu_report_summary_format(&csv, rep, s, CPUU_REPORT_CSV), CPUU_OK);
	assert_non_null(strstr(csv, "\"'=HYPERLINK(\"\"http://evil\"\")\""));
	assert_non_null(strstr(csv, "\"o'brien\"\"; DROP TABLE"));
	assert_int_equal(cpuu_report_summary_format(&js, rep, s, CPUU_REPORT_JSON), CPUU_OK);
	assert_non_null(strstr(js, "\"message\":\"back\\\\slash & \\\"quotes\\\" 'single'\""));
	cpuu_free(csv);
	cpuu_free(js);
	cpuu_report_summary_free(s);

	char *out = test_path(g_dir, "html");
	assert_int_equal(cpuu_report_html(rep, out), CPUU_OK);
	char *index = test_path(out, "index.html");
	size_t len;
	char *html = (char *)test_read_file(index, &len);
	assert_non_null(html);
	/* In the embedded JSON: nothing that could end the script element. */
	assert_null(strstr(html, "<script>alert"));
	assert_null(strstr(html, "</script>\""));
	assert_non_null(strstr(html, "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"));
	assert_non_null(strstr(html, "o\\u0027brien\\\"; DROP TABLE"));
	assert_non_null(strstr(html, "back\\\\slash \\u0026 \\\"quotes\\\""));
	free(html);
	free(index);
	free(out);
	cpuu_report_free(rep);
}

/* 60 users: outcome and mode by index, a second account for every third. */
static void test_summary_and_html_numbers(void **state)
{
	(void)state;
	static const char *const outs[] = { "switched", "not_switched", "error", "already_switched", "ambiguous" };
	size_t want[5] = { 0 }, accounts = 0, rollback = 0;
	char *text = calloc(1, 200000);
	assert_non_null(text);
	for (int u = 0; u < 60; u++) {
		char user[32], acct[64], msg[64];
		snprintf(user, sizeof user, "user%02d", u);
		snprintf(acct, sizeof acct, "%s@source.example", user);
		snprintf(msg, sizeof msg, u % 5 == 2 ? "commit failed for %s" : u % 5 == 4 ? "two targets for %s" : "",
			 user);
		const char *mode = u % 7 == 0 ? "rollback" : "update";
		strcat(text, line(user, "Outlook", acct, mode, outs[u % 5], u, msg));
		want[u % 5]++;
		accounts++;
		rollback += u % 7 == 0;
		if (u % 3 == 0) {
			snprintf(acct, sizeof acct, "%s-archive@source.example", user);
			strcat(text, line(user, "Outlook", acct, "update", "switched", 1, ""));
			want[0]++;
			accounts++;
		}
	}
	free(put("many/all.jsonl", text, 1700000000));
	free(text);
	cpuu_report *rep = open_store();
	assert_int_equal(ingest(rep, "many", NULL).added, accounts);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->accounts, accounts);
	assert_int_equal(s->users, 60);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(count_of(s->by_outcome, s->n_outcomes, outs[i]), want[i]);
	assert_int_equal(count_of(s->by_mode, s->n_modes, "rollback"), rollback);
	assert_int_equal(count_of(s->by_mode, s->n_modes, "update"), accounts - rollback);
	assert_int_equal(s->done, want[0] + want[3]);
	assert_int_equal(s->n_failures, want[2] + want[4]);
	for (size_t i = 0; i < s->n_failures; i++) {
		const char *o = s->failures[i].rec.outcome;
		assert_true(!strcmp(o, "error") || !strcmp(o, "ambiguous"));
		assert_non_null(strstr(s->failures[i].rec.message, s->failures[i].rec.user));
	}
	char *txt = NULL;
	assert_int_equal(cpuu_report_summary_format(&txt, rep, s, CPUU_REPORT_TEXT), CPUU_OK);
	assert_non_null(strstr(txt, "commit failed for user02"));
	cpuu_free(txt);

	char *out = test_path(g_dir, "dash");
	assert_int_equal(cpuu_report_html(rep, out), CPUU_OK);
	char *index = test_path(out, "index.html");
	size_t len;
	char *html = (char *)test_read_file(index, &len);
	assert_non_null(html);
	char want_s[128];
	snprintf(want_s, sizeof want_s, "id=\"n-accounts\">%zu<", accounts);
	assert_non_null(strstr(html, want_s));
	snprintf(want_s, sizeof want_s, "id=\"outcome-error\">%zu<", want[2]);
	assert_non_null(strstr(html, want_s));
	snprintf(want_s, sizeof want_s, "data-final=\"%zu\"", want[0] + want[3]);
	assert_non_null(strstr(html, want_s));
	/* Nothing external: no links, no sources, no URLs in CSS. */
	assert_null(strstr(html, " src="));
	assert_null(strstr(html, " href="));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	free(html);
	free(index);
	free(out);
	cpuu_report_summary_free(s);
	cpuu_report_free(rep);
}

/* More files than one batch holds and more statements than one PostgreSQL
 * pipeline round: every record stored once, counts right on a second pass. */
static void test_many_files_span_batches(void **state)
{
	(void)state;
	char name[64], text[2048];
	for (int i = 0; i < 700; i++) {
		char user[32], a1[64], a2[64];
		snprintf(user, sizeof user, "ws%04d", i);
		snprintf(a1, sizeof a1, "%s@source.example", user);
		snprintf(a2, sizeof a2, "%s-shared@source.example", user);
		snprintf(text, sizeof text, "%s%s", line(user, "Outlook", a1, "update", "switched", 2, ""),
			 line(user, "Outlook", a2, "update", i % 2 ? "no_match" : "error", 0, i % 2 ? "" : "x"));
		snprintf(name, sizeof name, "storm/%02d/%s.jsonl", i % 7, user);
		free(put(name, text, 1700000000 + i));
	}
	cpuu_report *rep = open_store();
	cpuu_report_ingest_stats st = ingest(rep, "storm", NULL);
	assert_int_equal(st.files, 700);
	assert_int_equal(st.records, 1400);
	assert_int_equal(st.added, 1400);
	assert_int_equal(st.duplicates, 0);
	st = ingest(rep, "storm", NULL);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.unchanged, 700);
	assert_int_equal(st.bytes_read, 0);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->records, 1400);
	assert_int_equal(s->files, 700);
	assert_int_equal(s->done, 700);
	assert_int_equal(s->n_failures, 350);
	cpuu_report_summary_free(s);
	cpuu_report_progress *pr = NULL;
	assert_int_equal(cpuu_report_progress_get(&pr, rep), CPUU_OK);
	assert_int_equal(pr->count, 700);
	assert_int_equal(pr->items[699].done, 700);
	assert_int_equal(pr->items[699].t, 1700000699);
	cpuu_report_progress_free(pr);
	cpuu_report_free(rep);
}

#ifdef REPORT_TEST_PG
/* A role with SELECT rights only (a dashboard job) can summarize: opening an
 * existing store runs no DDL. */
static void test_pg_read_only_reader(void **state)
{
	(void)state;
	free(put("r/a.jsonl", line("ivan", "Outlook", "ivan@source.example", "update", "error", 0, "boom"), 1700000000));
	cpuu_report *rep = open_store();
	assert_int_equal(ingest(rep, "r", NULL).added, 1);
	cpuu_report_free(rep);
	PGconn *c = PQconnectdb(g_pgurl);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "SET client_min_messages = warning; DROP ROLE IF EXISTS cpuu_reader; CREATE ROLE cpuu_reader LOGIN;"
				"GRANT SELECT ON report_files, report_records, report_latest TO cpuu_reader");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	char url[600];
	const char *at = strstr(g_pgurl, "cpuu@");
	assert_non_null(at);
	snprintf(url, sizeof url, "postgresql://cpuu_reader@%s", at + 5);
	cpuu_report *ro = NULL;
	if (cpuu_report_open(&ro, url))
		fail_msg("read-only open: %s", cpuu_error_last()->message);
	cpuu_report_summary *s = summary(ro);
	assert_int_equal(s->n_failures, 1);
	assert_string_equal(s->failures[0].rec.message, "boom");
	cpuu_report_summary_free(s);
	/* Writing is refused with the server's reason, and nothing crashes. */
	cpuu_report_ingest_stats st = { 0 };
	char *a = test_path(g_dir, "r/a.jsonl");
	append(a, line("ivan", "Outlook", "ivan@source.example", "update", "switched", 1, ""), 1700000100);
	free(a);
	char *p = test_path(g_dir, "r");
	assert_int_equal(cpuu_report_ingest(ro, p, &st, NULL, NULL), CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "permission denied"));
	free(p);
	cpuu_report_free(ro);
	r = PQexec(c, "REVOKE ALL ON report_files, report_records, report_latest FROM cpuu_reader; DROP ROLE cpuu_reader");
	PQclear(r);
	PQfinish(c);
}

static void test_pg_unreachable(void **state)
{
	(void)state;
	cpuu_report *rep = NULL;
	int rc = cpuu_report_open(&rep, "postgresql://cpuu@127.0.0.1:1/postgres?connect_timeout=2");
	assert_int_equal(rc, CPUU_ENETWORK);
	assert_null(rep);
	assert_non_null(strstr(cpuu_error_last()->message, "postgresql"));
}
#endif

/* A store made before ingest became incremental (no consumed/lines/head
 * columns) is upgraded when opened: its files are read whole once more, which
 * adds nothing twice, and from then on incrementally. */
static void run_sql(const char *sql)
{
#ifdef REPORT_TEST_PG
	PGconn *c = PQconnectdb(g_pgurl);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	int st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
#else
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(g_url + 7, &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s", err);
	sqlite3_close(db);
#endif
}

static void test_store_of_an_older_version_upgrades(void **state)
{
	(void)state;
	char *p = put("old/ws1.jsonl", line("olga", "Outlook", "olga@source.example", "update", "switched", 4, ""),
		      1700000000);
	cpuu_report *rep = open_store();
	assert_int_equal(ingest(rep, "old", NULL).added, 1);
	cpuu_report_free(rep);
	/* Back to the old layout, as an earlier cpuu left it. */
#ifdef REPORT_TEST_PG
	run_sql("ALTER TABLE report_files DROP COLUMN consumed, DROP COLUMN lines, DROP COLUMN head");
#else
	run_sql("CREATE TABLE f2 (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, mtime INTEGER NOT NULL,"
		" size INTEGER NOT NULL, ingested_at INTEGER NOT NULL);"
		"INSERT INTO f2 SELECT id, path, mtime, size, ingested_at FROM report_files;"
		"PRAGMA foreign_keys=OFF; DROP VIEW report_latest; DROP TABLE report_files;"
		"ALTER TABLE f2 RENAME TO report_files;");
#endif
	rep = open_store();
	cpuu_report_ingest_stats st = ingest(rep, "old", NULL);
	assert_int_equal(st.files, 1); /* read whole once more */
	assert_int_equal(st.added, 0);
	assert_int_equal(st.duplicates, 1);
	st = ingest(rep, "old", NULL);
	assert_int_equal(st.unchanged, 1);
	append(p, line("olga", "Outlook", "olga@source.example", "update", "already_switched", 0, ""), 1700000100);
	st = ingest(rep, "old", NULL);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.duplicates, 0);
	cpuu_report_summary *s = summary(rep);
	assert_int_equal(s->records, 2);
	cpuu_report_summary_free(s);
	cpuu_report_free(rep);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users_first_and_features_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rolled_back_users_are_not_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest_paths_in_one_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grown_and_rewritten_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_follows_file_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warnings_have_no_control_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_and_html_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_files_span_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_of_an_older_version_upgrades, setup, teardown),
#ifdef REPORT_TEST_PG
		cmocka_unit_test_setup_teardown(test_pg_read_only_reader, setup, teardown),
		cmocka_unit_test(test_pg_unreachable),
#endif
	};
#ifdef REPORT_TEST_PG
	int started = pg_start();
	if (started == TEST_SKIP_EXIT) {
		printf("SKIP: PostgreSQL server not installed (initdb missing): apt-get install postgresql\n");
		return TEST_SKIP_EXIT;
	}
	if (started != 0) {
		pg_stop();
		fprintf(stderr, "FAIL: could not start the test PostgreSQL cluster\n");
		return 1;
	}
	int rc = cmocka_run_group_tests_name("report_store_postgresql", tests, NULL, NULL);
	pg_stop();
	test_tmpdir_remove(g_pgdir);
	return rc;
#else
	return cmocka_run_group_tests_name("report_store_sqlite", tests, NULL, NULL);
#endif
}
