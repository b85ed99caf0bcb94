/* The run log: placeholders, hostile names kept inside the folder, the two
 * files, the copy to the share, and the exit bits when writing fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/runlog.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_placeholders(void **state)
{
	(void)state;
	char *s = NULL;
	assert_int_equal(cpuu_runlog_expand(&s, "logs/#u_#h_#d_#t.log ##1 #x", "alice", "PC-01"), CPUU_OK);
	/* logs/alice_PC-01_YYYYMMDD_HHMMSS.log #1 #x */
	assert_memory_equal(s, "logs/alice_PC-01_", 17);
	for (int i = 17; i < 25; i++)
		assert_true(s[i] >= '0' && s[i] <= '9');
	assert_int_equal(s[25], '_');
	assert_string_equal(s + 32, ".log #1 #x");
	free(s);
	/* Names are data: no separator, no drive, no leading dot survive. */
	assert_int_equal(cpuu_runlog_expand(&s, "/srv/logs/#u.log", "../../etc/passwd", NULL), CPUU_OK);
	assert_string_equal(s, "/srv/logs/_._.._etc_passwd.log");
	free(s);
	assert_int_equal(cpuu_runlog_expand(&s, "#u-#h", "C:\\x\n", ""), CPUU_OK);
	assert_string_equal(s, "C__x_-_");
	free(s);
}

static char *slurp(const char *path)
{
	size_t n;
	uint8_t *d = test_read_file(path, &n);
	if (!d)
		return NULL;
	char *s = realloc(d, n + 1);
	s[n] = '\0';
	return s;
}

static void test_files_and_share(void **state)
{
	(void)state;
	char *dir = test_tmpdir("runlog");
	char *share = test_path(dir, "share");
	mkdir(share, 0700);
	char *logpat = test_path(dir, "cpuu-#u.log");
	char *respat = test_path(dir, "cpuu-#u.jsonl");
	cpuu_runlog_opts o = { .log_file = logpat, .result_file = respat, .log_share = share, .user = "alice",
			       .host = "pc1" };
	cpuu_runlog *l = NULL;
	assert_int_equal(cpuu_runlog_open(&l, &o), CPUU_OK);
	cpuu_result r = { .user = (char *)"alice", .profile = (char *)"Outlook", .account = (char *)"a@s.example",
			  .mode = CPUU_MODE_UPDATE, .outcome = CPUU_OUTCOME_SWITCHED, .changes = 17 };
	cpuu_results res = { .items = &r, .count = 1, .exit_mask = CPUU_EXIT_SUCCESS };
	cpuu_runlog_line(l, "cpuu %s started", "update");
	cpuu_runlog_results(l, &res);
	assert_int_equal(cpuu_runlog_close(l), 0);

	char *local = test_path(dir, "cpuu-alice.log"), *copy = test_path(share, "cpuu-alice.log");
	char *text = slurp(local);
	assert_non_null(text);
	assert_non_null(strstr(text, "cpuu update started"));
	assert_non_null(strstr(text, "update alice profile 'Outlook' a@s.example: switched (17 changes)"));
	assert_true(test_files_equal(local, copy));
	free(text);
	char *jl = test_path(share, "cpuu-alice.jsonl");
	text = slurp(jl);
	assert_non_null(strstr(text, "\"outcome\":\"switched\""));
	free(text);

	/* A share that is not there: the run goes on, bit 256 says so. */
	char *gone = test_path(dir, "no-such-share");
	o.log_share = gone;
	assert_int_equal(cpuu_runlog_open(&l, &o), CPUU_OK);
	cpuu_runlog_results(l, &res);
	assert_int_equal(cpuu_runlog_close(l), CPUU_EXIT_FAILED_TO_COPY_LOG);
	/* A log that cannot be written: bit 64. */
	char *badlog = test_path(dir, "no-such-dir/x.log");
	o.log_file = badlog;
	o.result_file = NULL;
	o.log_share = NULL;
	assert_int_equal(cpuu_runlog_open(&l, &o), CPUU_OK);
	cpuu_runlog_line(l, "lost");
	assert_int_equal(cpuu_runlog_close(l), CPUU_EXIT_FAILED_TO_WRITE_LOG);

	free(badlog);
	free(gone);
	free(jl);
	free(local);
	free(copy);
	free(logpat);
	free(respat);
	free(share);
	test_tmpdir_remove(dir);
}

/* [Logging] Level: each level keeps its own lines and the more severe ones;
 * the result file keeps every record whatever the level. */
static void test_levels(void **state)
{
	(void)state;
	char *dir = test_tmpdir("runlog-levels");
	cpuu_result r[3] = {
		{ .user = (char *)"u", .mode = CPUU_MODE_UPDATE, .outcome = CPUU_OUTCOME_ERROR },
		{ .user = (char *)"u", .mode = CPUU_MODE_UPDATE, .outcome = CPUU_OUTCOME_AMBIGUOUS },
		{ .user = (char *)"u", .mode = CPUU_MODE_UPDATE, .outcome = CPUU_OUTCOME_SWITCHED },
	};
	cpuu_results res = { .items = r, .count = 3 };
	static const struct {
		cpuu_log_level level;
		int error, ambiguous, switched, debug;
	} cases[] = {
		{ CPUU_LOG_ERROR, 1, 0, 0, 0 },   { CPUU_LOG_WARNING, 1, 1, 0, 0 }, { CPUU_LOG_INFO, 1, 1, 1, 0 },
		{ CPUU_LOG_DEFAULT, 1, 1, 1, 0 }, { CPUU_LOG_DEBUG, 1, 1, 1, 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char name[32], rname[32];
		snprintf(name, sizeof name, "l%zu.log", i);
		snprintf(rname, sizeof rname, "l%zu.jsonl", i);
		char *log = test_path(dir, name), *rf = test_path(dir, rname);
		cpuu_runlog_opts o = { .log_file = log, .result_file = rf, .user = "u", .host = "h", .level = cases[i].level };
		cpuu_runlog *l = NULL;
		assert_int_equal(cpuu_runlog_open(&l, &o), CPUU_OK);
		cpuu_runlog_results(l, &res);
		cpuu_runlog_msg(l, CPUU_LOG_DEBUG, "setting x=1");
		assert_int_equal(cpuu_runlog_close(l), 0);
		char *text = slurp(log);
		assert_non_null(text);
		assert_int_equal(strstr(text, ": error") != NULL, cases[i].error);
		assert_int_equal(strstr(text, ": ambiguous") != NULL, cases[i].ambiguous);
		assert_int_equal(strstr(text, ": switched") != NULL, cases[i].switched);
		assert_int_equal(strstr(text, "setting x=1") != NULL, cases[i].debug);
		free(text);
		text = slurp(rf);
		assert_non_null(strstr(text, "\"outcome\":\"error\""));
		assert_non_null(strstr(text, "\"outcome\":\"switched\""));
		free(text);
		free(log);
		free(rf);
	}
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_files_and_share),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
