/* The text helpers with fast paths (issue 15: an update's instructions):
 * cpuu_aprintf concatenates formats of plain "%s" itself and must give what
 * snprintf gives; cpuu_strcasecmp_ascii folds only ASCII letters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"

static void test_plain_s_formats_as_snprintf(void **state)
{
	(void)state;
	char want[256];
	const char *a = "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook", *b = "9375CFF0413111d3B88A00104B2A6676";
	char *got = cpuu_aprintf("%s\\%s", a, b);
	snprintf(want, sizeof want, "%s\\%s", a, b);
	assert_string_equal(got, want);
	free(got);
	got = cpuu_aprintf("backup-%s-%s.reg", "20261231T120000Z", "");
	assert_string_equal(got, "backup-20261231T120000Z-.reg");
	free(got);
	got = cpuu_aprintf("%s", "");
	assert_string_equal(got, "");
	free(got);
	got = cpuu_aprintf("no argument at all");
	assert_string_equal(got, "no argument at all");
	free(got);
}

/* Formats the fast path must leave to vsnprintf: the same text comes out. */
static void test_other_formats_unchanged(void **state)
{
	(void)state;
	char want[256];
	char *got = cpuu_aprintf("%s|%u|%%|%5s|%.2s", "x", 42u, "ab", "abc");
	snprintf(want, sizeof want, "%s|%u|%%|%5s|%.2s", "x", 42u, "ab", "abc");
	assert_string_equal(got, want);
	free(got);
	/* A NULL string: whatever the C library prints for it, the same. */
	const char *volatile null = NULL;
	got = cpuu_aprintf("a%sb", null);
	char *ref = NULL;
	int n = snprintf(NULL, 0, "a%sb", null);
	assert_true(n >= 0);
	ref = malloc((size_t)n + 1);
	assert_non_null(ref);
	snprintf(ref, (size_t)n + 1, "a%sb", null);
	assert_string_equal(got, ref);
	free(ref);
	free(got);
}

static void test_strcasecmp_ascii(void **state)
{
	(void)state;
	assert_int_equal(cpuu_strcasecmp_ascii("Software\\Microsoft", "SOFTWARE\\microsoft"), 0);
	assert_true(cpuu_strcasecmp_ascii("abc", "abd") < 0);
	assert_true(cpuu_strcasecmp_ascii("ABD", "abc") > 0);
	assert_true(cpuu_strcasecmp_ascii("ab", "abc") < 0);
	assert_true(cpuu_strcasecmp_ascii("abc", "ab") > 0);
	/* Only ASCII letters fold: '[' (0x5B) is not '{' (0x7B), nor is a byte over 0x7F. */
	assert_true(cpuu_strcasecmp_ascii("[", "{") != 0);
	assert_true(cpuu_strcasecmp_ascii("\xc3\x89", "\xc3\xa9") != 0);
	assert_int_equal(cpuu_strcasecmp_ascii("", ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_s_formats_as_snprintf),
		cmocka_unit_test(test_other_formats_unchanged),
		cmocka_unit_test(test_strcasecmp_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
