/* cpuu_shard_of: the split of a share between N hosts is FNV-1a 64 of the
 * folder name (ASCII folded) modulo N, so it must match the published
 * FNV-1a test vectors and not depend on case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "cpuu/shard.h"

/* FNV-1a 64 test vectors (the FNV reference's test suite): "" and "a",
 * "foobar". */
static void test_matches_fnv1a_vectors(void **state)
{
	(void)state;
	const struct { const char *s; uint64_t h; } v[] = {
		{ "", 0xcbf29ce484222325ull },
		{ "a", 0xaf63dc4c8601ec8cull },
		{ "foobar", 0x85944171f73967e8ull },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		for (unsigned n = 1; n <= 97; n++)
			assert_int_equal(cpuu_shard_of(v[i].s, n), (unsigned)(v[i].h % n));
}

static void test_case_folded_ascii_only(void **state)
{
	(void)state;
	for (unsigned n = 2; n < 50; n++) {
		assert_int_equal(cpuu_shard_of("ALICE.Smith", n), cpuu_shard_of("alice.smith", n));
		assert_int_equal(cpuu_shard_of("FooBar", n), (unsigned)(0x85944171f73967e8ull % n));
	}
	/* Bytes above ASCII are hashed as they are (no locale folding). */
	int differ = 0;
	for (unsigned n = 2; n < 50; n++)
		differ |= cpuu_shard_of("\xc3\x89lise", n) != cpuu_shard_of("\xc3\xa9lise", n);
	assert_true(differ);
}

/* Every name lands in range and no shard is starved on a realistic set. */
static void test_in_range_and_spread(void **state)
{
	(void)state;
	unsigned counts[8] = { 0 };
	char name[32];
	for (int i = 0; i < 4000; i++) {
		snprintf(name, sizeof name, "user%04d", i);
		unsigned s = cpuu_shard_of(name, 8);
		assert_true(s < 8);
		counts[s]++;
	}
	for (int k = 0; k < 8; k++)
		assert_true(counts[k] > 300 && counts[k] < 700);
	assert_int_equal(cpuu_shard_of("anyone", 0), 0);
	assert_int_equal(cpuu_shard_of("anyone", 1), 0);
	assert_int_equal(cpuu_shard_of(NULL, 5), cpuu_shard_of("", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_fnv1a_vectors),
		cmocka_unit_test(test_case_folded_ascii_only),
		cmocka_unit_test(test_in_range_and_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
