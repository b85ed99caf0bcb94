/* The shared vocabulary of common: error names, the errno mapping and the
 * one hash (FNV-1a, whose published test vectors pin it: a changed hash
 * would orphan stored report records and change fixture UIDs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/internal.h"

static void test_aborted_is_a_named_code(void **state)
{
	(void)state;
	assert_int_equal(CPUU_EABORTED, -15);
	assert_string_equal(cpuu_error_name(CPUU_EABORTED), "EABORTED");
	assert_string_equal(cpuu_error_name(CPUU_ELOCKED), "ELOCKED");
	/* Every code up to the last has a name of its own. */
	for (int c = CPUU_OK; c >= CPUU_ELOCKED; c--)
		assert_string_not_equal(cpuu_error_name(c), "UNKNOWN");
	assert_string_equal(cpuu_error_name(CPUU_ELOCKED - 1), "UNKNOWN");
}

static void test_errno_mapping(void **state)
{
	(void)state;
	assert_int_equal(cpuu_error_of_errno(ENOENT, CPUU_ERRNO_READ), CPUU_ENOTFOUND);
	assert_int_equal(cpuu_error_of_errno(ENOTDIR, CPUU_ERRNO_READ), CPUU_ENOTFOUND);
	assert_int_equal(cpuu_error_of_errno(EACCES, CPUU_ERRNO_READ), CPUU_EIO);
	assert_int_equal(cpuu_error_of_errno(EIO, CPUU_ERRNO_READ), CPUU_EIO);
	assert_int_equal(cpuu_error_of_errno(EACCES, CPUU_ERRNO_WRITE), CPUU_EREADONLY);
	assert_int_equal(cpuu_error_of_errno(EPERM, CPUU_ERRNO_WRITE), CPUU_EREADONLY);
	assert_int_equal(cpuu_error_of_errno(EROFS, CPUU_ERRNO_WRITE), CPUU_EREADONLY);
	assert_int_equal(cpuu_error_of_errno(ENOSPC, CPUU_ERRNO_WRITE), CPUU_EIO);
	assert_int_equal(cpuu_error_of_errno(ENOENT, CPUU_ERRNO_WRITE), CPUU_EIO);
}

static void test_hash_is_fnv1a(void **state)
{
	(void)state;
	/* Vectors of the FNV reference (draft-eastlake-fnv, test suite). */
	assert_true(cpuu_hash_str(CPUU_HASH_INIT, "") == 0xcbf29ce484222325ull);
	assert_true(cpuu_hash_str(CPUU_HASH_INIT, "a") == 0xaf63dc4c8601ec8cull);
	assert_true(cpuu_hash_str(CPUU_HASH_INIT, "foobar") == 0x85944171f73967e8ull);
	assert_true(cpuu_hash_bytes(CPUU_HASH_INIT, "foobar", 6) == 0x85944171f73967e8ull);
	/* Chained calls hash the concatenation. */
	assert_true(cpuu_hash_str(cpuu_hash_str(CPUU_HASH_INIT, "foo"), "bar") == 0x85944171f73967e8ull);
	assert_true(cpuu_hash_byte(CPUU_HASH_INIT, 'a') == 0xaf63dc4c8601ec8cull);
}

static void test_fold_hash_ignores_ascii_case_only(void **state)
{
	(void)state;
	assert_true(cpuu_hash_str_fold(CPUU_HASH_INIT, "FooBAR") == 0x85944171f73967e8ull);
	assert_true(cpuu_hash_str_fold(7, "Profiles") == cpuu_hash_str_fold(7, "pROFILES"));
	assert_true(cpuu_hash_str_fold(7, "Profiles") != cpuu_hash_str_fold(8, "Profiles"));
	/* Only A-Z fold: the bytes of a non-ASCII letter are hashed as they are. */
	assert_true(cpuu_hash_str_fold(CPUU_HASH_INIT, "\xc3\x84") == cpuu_hash_str(CPUU_HASH_INIT, "\xc3\x84"));
	assert_true(cpuu_hash_str_fold(CPUU_HASH_INIT, "@[`{") == cpuu_hash_str(CPUU_HASH_INIT, "@[`{"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aborted_is_a_named_code),
		cmocka_unit_test(test_errno_mapping),
		cmocka_unit_test(test_hash_is_fnv1a),
		cmocka_unit_test(test_fold_hash_ignores_ascii_case_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
