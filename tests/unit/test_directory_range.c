/* The ranged-values loop (src/lib/directory/ldap_range.c) on answers a DC
 * could give, including ones a Samba DC never gives (an answer that does not
 * advance, a first range not at 0): the continuation requests it makes, the
 * merged attribute, and the refusals that keep it from looping forever. The
 * loop against a real DC: test_directory_samba.c (rangebox, 3,000 values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory/internal.h"

/* Builds an entry with one attribute "name" holding values first..first+n-1
 * ("v<index>"). */
static void make_entry(dir_entry *e, const char *name, unsigned first, unsigned n)
{
	memset(e, 0, sizeof *e);
	e->dn = strdup("CN=box,DC=example");
	e->attrs = calloc(1, sizeof *e->attrs);
	assert_non_null(e->dn);
	assert_non_null(e->attrs);
	e->count = 1;
	e->attrs[0].name = strdup(name);
	e->attrs[0].vals = n ? calloc(n, sizeof *e->attrs[0].vals) : NULL;
	for (unsigned i = 0; i < n; i++) {
		char buf[32];
		snprintf(buf, sizeof buf, "v%u", first + i);
		e->attrs[0].vals[i].data = strdup(buf);
		e->attrs[0].vals[i].len = strlen(buf);
	}
	e->attrs[0].count = n;
}

/* A scripted server: the answers to successive continuation requests, and
 * the requests it saw. */
typedef struct script {
	const char *names[8];   /* attribute name answered (NULL: no attribute) */
	unsigned first[8], n[8];
	int fail_at;            /* answer index that fails (-1: none) */
	size_t calls;
	char seen[8][64];
} script;

static int scripted_read(dir_entry *out, void *ctx, const char *dn, const char *req)
{
	script *s = ctx;
	assert_string_equal(dn, "CN=box,DC=example");
	size_t i = s->calls++;
	assert_true(i < 8);
	snprintf(s->seen[i], sizeof s->seen[i], "%s", req);
	if ((int)i == s->fail_at)
		return cpuu_error_set(CPUU_ENETWORK, "ldap://dc: search: timed out after 1 s");
	if (!s->names[i]) {
		make_entry(out, "other", 0, 0);
		return CPUU_OK;
	}
	make_entry(out, s->names[i], s->first[i], s->n[i]);
	return CPUU_OK;
}

static void test_follows_to_the_star(void **state)
{
	(void)state;
	unsetenv("CPUU_TEST_LDAP_RANGE_STEP");
	dir_entry e;
	make_entry(&e, "proxyAddresses;range=0-1499", 0, 1500);
	script s = { .names = { "proxyAddresses;range=1500-2999", "proxyAddresses;range=3000-*" },
		     .first = { 1500, 3000 }, .n = { 1500, 7 }, .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &s), CPUU_OK);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.seen[0], "proxyAddresses;range=1500-*");
	assert_string_equal(s.seen[1], "proxyAddresses;range=3000-*");
	assert_string_equal(e.attrs[0].name, "proxyAddresses");
	assert_int_equal(e.attrs[0].count, 3007);
	for (unsigned i = 0; i < 3007; i += 1000) {
		char want[32];
		snprintf(want, sizeof want, "v%u", i);
		assert_string_equal(e.attrs[0].vals[i].data, want);
	}
	assert_string_equal(e.attrs[0].vals[3006].data, "v3006");
	dir_entry_clear(&e);
}

static void test_case_and_other_options(void **state)
{
	(void)state;
	/* "Range" in any case; an option before it is kept. */
	dir_entry e;
	make_entry(&e, "member;binary;Range=0-*", 0, 3);
	script s = { .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &s), CPUU_OK);
	assert_int_equal(s.calls, 0);
	assert_string_equal(e.attrs[0].name, "member;binary");
	dir_entry_clear(&e);
	/* Not a range option: left alone. */
	make_entry(&e, "proxyAddresses;rangeX=0-1", 0, 2);
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &s), CPUU_OK);
	assert_string_equal(e.attrs[0].name, "proxyAddresses;rangeX=0-1");
	dir_entry_clear(&e);
}

static void test_test_hook_step(void **state)
{
	(void)state;
	setenv("CPUU_TEST_LDAP_RANGE_STEP", "10", 1);
	dir_entry e;
	make_entry(&e, "proxyAddresses;range=0-9", 0, 10);
	script s = { .names = { "proxyAddresses;range=10-19", "proxyAddresses;range=20-*" }, .first = { 10, 20 },
		     .n = { 10, 3 }, .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &s), CPUU_OK);
	assert_string_equal(s.seen[0], "proxyAddresses;range=10-19");
	assert_string_equal(s.seen[1], "proxyAddresses;range=20-29");
	assert_int_equal(e.attrs[0].count, 23);
	dir_entry_clear(&e);
	const char *attrs[] = { "proxyAddresses", "1.1", NULL };
	char **ranged = dir_range_attrs(attrs, dir_range_step());
	assert_non_null(ranged);
	assert_string_equal(ranged[0], "proxyAddresses;range=0-9");
	assert_string_equal(ranged[1], "1.1");
	assert_null(ranged[2]);
	dir_range_attrs_free(ranged);
	setenv("CPUU_TEST_LDAP_RANGE_STEP", "x", 1);
	assert_int_equal(dir_range_step(), 0);
	unsetenv("CPUU_TEST_LDAP_RANGE_STEP");
}

static void test_ends_when_absent(void **state)
{
	(void)state;
	/* The values past 1499 were removed meanwhile: no attribute in the
	 * continuation ends it with what was read. */
	dir_entry e;
	make_entry(&e, "proxyAddresses;range=0-1499", 0, 1500);
	script s = { .names = { NULL }, .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &s), CPUU_OK);
	assert_int_equal(s.calls, 1);
	assert_int_equal(e.attrs[0].count, 1500);
	dir_entry_clear(&e);
}

static void test_refusals(void **state)
{
	(void)state;
	dir_entry e;
	/* The same range again: no progress, an error instead of a loop. */
	make_entry(&e, "proxyAddresses;range=0-1", 0, 2);
	script again = { .names = { "proxyAddresses;range=0-1" }, .n = { 2 }, .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &again), CPUU_ERROR);
	assert_non_null(strstr(cpuu_error_last()->message, "does not advance"));
	assert_int_equal(again.calls, 1);
	dir_entry_clear(&e);
	/* No values with a range that does not end. */
	make_entry(&e, "proxyAddresses;range=0-1", 0, 2);
	script empty = { .names = { "proxyAddresses;range=2-3" }, .first = { 2 }, .n = { 0 }, .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &empty), CPUU_ERROR);
	dir_entry_clear(&e);
	/* A first answer that does not start at 0. */
	make_entry(&e, "proxyAddresses;range=5-*", 5, 2);
	script none = { .fail_at = -1 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &none), CPUU_ERROR);
	assert_int_equal(none.calls, 0);
	dir_entry_clear(&e);
	/* A failing continuation: its code, with the attribute and DN named. */
	make_entry(&e, "proxyAddresses;range=0-1", 0, 2);
	script down = { .fail_at = 0 };
	assert_int_equal(dir_entry_complete_ranges(&e, scripted_read, &down), CPUU_ENETWORK);
	assert_non_null(strstr(cpuu_error_last()->message, "proxyAddresses"));
	assert_non_null(strstr(cpuu_error_last()->message, "timed out"));
	dir_entry_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_to_the_star),  cmocka_unit_test(test_case_and_other_options),
		cmocka_unit_test(test_test_hook_step),       cmocka_unit_test(test_ends_when_absent),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
