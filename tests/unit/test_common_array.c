/* The doubling array every module grows its lists with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "common/internal.h"

static void test_grows_and_keeps_contents(void **state)
{
	(void)state;
	int *items = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < 1000; i++) {
		int *p = cpuu_array_reserve(items, &cap, i + 1, sizeof *p);
		assert_non_null(p);
		assert_true(cap >= i + 1);
		items = p;
		items[i] = (int)i;
	}
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(items[i], (int)i);
	/* Enough room already: the same block, the same capacity. */
	size_t before = cap;
	assert_ptr_equal(cpuu_array_reserve(items, &cap, 10, sizeof *items), items);
	assert_int_equal(cap, before);
	free(items);
}

static void test_overflow_refused_untouched(void **state)
{
	(void)state;
	size_t cap = 0;
	char *items = cpuu_array_reserve(NULL, &cap, 4, 1);
	assert_non_null(items);
	size_t before = cap;
	assert_null(cpuu_array_reserve(items, &cap, SIZE_MAX, 1));
	assert_int_equal(cap, before);
	assert_null(cpuu_array_reserve(items, &cap, SIZE_MAX / 4 + 1, 8));
	assert_int_equal(cap, before);
	free(items);
}

/* Arrays without a capacity field (public structs with only a count). */
static void test_exact_size_without_capacity(void **state)
{
	(void)state;
	int *items = NULL;
	for (size_t i = 0; i < 100; i++) {
		int *p = cpuu_array_reserve(items, NULL, i + 1, sizeof *p);
		assert_non_null(p);
		items = p;
		items[i] = (int)i * 3;
	}
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(items[i], (int)i * 3);
	/* The size in bytes would wrap to a few bytes: refused, the block kept. */
	assert_null(cpuu_array_reserve(items, NULL, SIZE_MAX / sizeof *items + 2, sizeof *items));
	assert_int_equal(items[99], 297);
	free(items);
}

static void test_first_capacity_asked(void **state)
{
	(void)state;
	size_t cap = 4;
	char *items = cpuu_array_reserve(NULL, &cap, 1, 1);
	assert_non_null(items);
	assert_int_equal(cap, 4);
	items = cpuu_array_reserve(items, &cap, 5, 1);
	assert_non_null(items);
	assert_int_equal(cap, 8);
	free(items);
}

/* The byte buffer grows through the same helper: a length that would wrap
 * the size is refused (the buffer marked failed) instead of overrunning. */
static void test_buffer_refuses_wrapping_length(void **state)
{
	(void)state;
	cpuu_buf b = { 0 };
	cpuu_buf_puts(&b, "abc");
	for (int i = 0; i < 200; i++)
		cpuu_buf_puts(&b, "0123456789");
	assert_false(b.failed);
	assert_int_equal(b.len, 2003);
	cpuu_buf_append(&b, "x", SIZE_MAX - 1);
	assert_true(b.failed);
	assert_int_equal(b.len, 2003);
	assert_null(cpuu_buf_detach(&b, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_keeps_contents),
		cmocka_unit_test(test_overflow_refused_untouched),
		cmocka_unit_test(test_exact_size_without_capacity),
		cmocka_unit_test(test_first_capacity_asked),
		cmocka_unit_test(test_buffer_refuses_wrapping_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
