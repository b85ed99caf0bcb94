/* The strict result-record reader: the documented example and what
 * cpuu_results_to_jsonl writes parse to the right fields; escapes and UTF-8
 * decode exactly; every kind of malformed line is refused with a message
 * (never a crash, nothing left allocated); every prefix and single-byte
 * corruption of a valid line either parses or is refused cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/outcome.h"
#include "cpuu/report.h"
#include "testutil.h"

#include <dirent.h>

#define CPUU_FUZZ_ENTRY fuzz_results_one
#include "../../fuzz/fuzz_results.c"

static const char example[] =
	"{\"user\":\"alice\",\"hive\":\"/srv/profiles/alice/NTUSER.DAT\",\"profile\":\"Outlook\","
	"\"account\":\"alice@source.example\",\"mode\":\"update\",\"outcome\":\"switched\",\"changes\":17,"
	"\"message\":null,\"duration_ms\":1.859}";

static int parse(cpuu_report_record *r, const char *s)
{
	return cpuu_report_record_parse(r, s, strlen(s));
}

static void test_example(void **state)
{
	(void)state;
	cpuu_report_record r;
	assert_int_equal(parse(&r, example), CPUU_OK);
	assert_string_equal(r.user, "alice");
	assert_string_equal(r.hive, "/srv/profiles/alice/NTUSER.DAT");
	assert_string_equal(r.profile, "Outlook");
	assert_string_equal(r.account, "alice@source.example");
	assert_string_equal(r.mode, "update");
	assert_string_equal(r.outcome, "switched");
	assert_int_equal(r.changes, 17);
	assert_null(r.message);
	assert_true(r.duration_ms > 1.8589 && r.duration_ms < 1.8591);
	cpuu_report_record_clear(&r);
	assert_null(r.user);
}

static void test_spacing_order_and_unknown_keys(void **state)
{
	(void)state;
	cpuu_report_record r;
	const char *s = " { \"duration_ms\" : 0 , \"changes\":0,\"outcome\":\"no_match\",\"mode\":\"rollback\",\t"
			"\"site\":\"Paris\",\"extra\":null,\"n\":-1.5e3,\"user\":\"bob\",\"hive\":\"h\"}\r\n";
	assert_int_equal(parse(&r, s), CPUU_OK);
	assert_string_equal(r.user, "bob");
	assert_null(r.profile);
	assert_null(r.account);
	assert_null(r.message);
	assert_string_equal(r.mode, "rollback");
	cpuu_report_record_clear(&r);
}

static void test_escapes(void **state)
{
	(void)state;
	cpuu_report_record r;
	const char *s = "{\"user\":\"a\\\"b\\\\c\\/d\",\"hive\":\"C:\\\\Users\\\\x\\\\NTUSER.DAT\",\"profile\":"
			"\"\\u00e9t\\u00C9 \\ud83d\\ude00\",\"account\":\"\xc3\xa9\xe2\x82\xac\",\"mode\":\"update\","
			"\"outcome\":\"error\",\"changes\":0,\"message\":\"l1\\nl2\\t\\b\\f\\r\",\"duration_ms\":1e2}";
	assert_int_equal(parse(&r, s), CPUU_OK);
	assert_string_equal(r.user, "a\"b\\c/d");
	assert_string_equal(r.hive, "C:\\Users\\x\\NTUSER.DAT");
	assert_string_equal(r.profile, "\xc3\xa9t\xc3\x89 \xf0\x9f\x98\x80");
	assert_string_equal(r.account, "\xc3\xa9\xe2\x82\xac");
	assert_string_equal(r.message, "l1\nl2\t\b\f\r");
	assert_true(r.duration_ms == 100.0);
	cpuu_report_record_clear(&r);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"   ",
		"[]",
		"null",
		"{",
		"{}",
		"{\"user\":\"a\"}",
		"{\"user\":\"a\",\"user\":\"b\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1} x",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1,}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"exploded\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"upgrade\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":1.5,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":-1,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":\"1\",\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1e999}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":01}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1.}",
		"{\"user\":null,\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1,\"x\":true}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1,\"x\":{}}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1,\"x\":[1]}",
		"{\"user\":\"a\\x\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\\u12\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"\\ud800\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"\\udc00x\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\\u0000\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\tb\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"\xc0\xaf\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"\xed\xa0\x80\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"\xff\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1}",
		"{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\",\"changes\":0,\"duration_ms\":1",
		"{\"user\":\"a",
		"{'user':'a'}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cpuu_report_record r;
		int rc = parse(&r, bad[i]);
		if (rc != CPUU_EINVALID)
			fail_msg("accepted #%zu: %s", i, bad[i]);
		assert_non_null(cpuu_error_last()->message);
		assert_true(strlen(cpuu_error_last()->message) > 0);
		assert_null(r.user);
		assert_null(r.hive);
		assert_null(r.mode);
	}
}

static void test_embedded_nul_and_long_line(void **state)
{
	(void)state;
	cpuu_report_record r;
	char buf[sizeof example + 1];
	memcpy(buf, example, sizeof example);
	buf[10] = '\0'; /* inside "alice" */
	assert_int_equal(cpuu_report_record_parse(&r, buf, sizeof example - 1), CPUU_EINVALID);
	size_t n = (1u << 20) + 10;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(cpuu_report_record_parse(&r, big, n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "longer"));
	free(big);
}

/* Every prefix and every single-byte change of a valid line: parse or a
 * clean refusal, never a crash or a leak (ASan run). */
static void test_prefixes_and_corruptions(void **state)
{
	(void)state;
	size_t n = strlen(example);
	char *buf = malloc(n + 1);
	assert_non_null(buf);
	size_t ok = 0;
	for (size_t k = 0; k <= n; k++) {
		cpuu_report_record r;
		memcpy(buf, example, k);
		if (cpuu_report_record_parse(&r, buf, k) == CPUU_OK)
			ok++;
		cpuu_report_record_clear(&r);
	}
	assert_int_equal(ok, 1); /* only the whole line */
	static const unsigned char subst[] = { 0, '"', '\\', '{', '}', ',', ':', 'x', '1', 0x80, 0xff, ' ' };
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof subst; j++) {
			cpuu_report_record r;
			memcpy(buf, example, n);
			buf[i] = (char)subst[j];
			int rc = cpuu_report_record_parse(&r, buf, n);
			assert_true(rc == CPUU_OK || rc == CPUU_EINVALID);
			if (rc == CPUU_OK)
				assert_non_null(r.user);
			cpuu_report_record_clear(&r);
		}
	}
	free(buf);
}

/* The fuzz harness's invariants on hand-made files, then every input in
 * tests/data/fuzz-regressions/fuzz_results/ (crashes scripts/fuzz.sh found). */
static void test_fuzz_harness_and_regressions(void **state)
{
	(void)state;
	static const char *const files[] = {
		example,
		"{\"user\":\"\\u00e9\\\"x\",\"hive\":\"h\",\"profile\":\"<p>\",\"account\":null,\"mode\":\"cleanup\","
		"\"outcome\":\"cleaned\",\"changes\":0,\"message\":\"a\\nb\",\"duration_ms\":1e-3}\n\n{broken\n",
		"\xff\xfe{}\r\n[]",
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		fuzz_results_one((const uint8_t *)files[i], strlen(files[i]));
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests/data/fuzz-regressions/fuzz_results", CPUU_SOURCE_DIR);
	DIR *d = opendir(dir);
	if (!d)
		return; /* no crash found so far */
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strstr(e->d_name, ".md"))
			continue;
		char *p = test_path(dir, e->d_name);
		size_t len;
		uint8_t *data = test_read_file(p, &len);
		assert_non_null(data);
		fuzz_results_one(data, len);
		free(data);
		free(p);
	}
	closedir(d);
}

/* Every mode and outcome the engine can write is one the ingest accepts: the
 * names come from one table (cpuu/outcome.h), so adding an outcome can never
 * make report ingest reject records. */
static void test_every_mode_and_outcome_ingests(void **state)
{
	(void)state;
	for (int m = 0; m < CPUU_MODE_COUNT; m++)
		for (int o = 0; o < CPUU_OUTCOME_COUNT; o++) {
			char line[512];
			snprintf(line, sizeof line,
				 "{\"user\":\"u\",\"hive\":\"h\",\"mode\":\"%s\",\"outcome\":\"%s\","
				 "\"changes\":0,\"duration_ms\":0}",
				 cpuu_mode_name((cpuu_mode)m), cpuu_outcome_name((cpuu_outcome)o));
			assert_string_not_equal(cpuu_outcome_name((cpuu_outcome)o), "unknown");
			cpuu_report_record r;
			assert_int_equal(parse(&r, line), CPUU_OK);
			assert_string_equal(r.outcome, cpuu_outcome_name((cpuu_outcome)o));
			cpuu_report_record_clear(&r);
		}
	cpuu_report_record r;
	assert_int_equal(parse(&r, "{\"user\":\"u\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":"
				   "\"done_somehow\",\"changes\":0,\"duration_ms\":0}"),
			 CPUU_EINVALID);
	assert_string_equal(cpuu_outcome_name((cpuu_outcome)CPUU_OUTCOME_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_spacing_order_and_unknown_keys),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_embedded_nul_and_long_line),
		cmocka_unit_test(test_prefixes_and_corruptions),
		cmocka_unit_test(test_fuzz_harness_and_regressions),
		cmocka_unit_test(test_every_mode_and_outcome_ingests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
