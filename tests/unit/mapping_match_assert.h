/* Field-by-field comparison of two cpuu_match, shared by the mapping tests
 * (include after cmocka.h). empty_is_null: "" and NULL are the same value,
 * as after a round trip through the CSV writer. */
#ifndef CPUU_TEST_MAPPING_MATCH_ASSERT_H
#define CPUU_TEST_MAPPING_MATCH_ASSERT_H

#include <string.h>

#include "cpuu/directory.h"

static int mm_str_eq(const char *a, const char *b, int empty_is_null)
{
	if (empty_is_null) {
		if (!a || !*a)
			return !b || !*b;
		return b && !strcmp(a, b);
	}
	return (!a || !b) ? a == b : !strcmp(a, b);
}

static void assert_match_same(const cpuu_match *a, const cpuu_match *b, int empty_is_null)
{
	assert_true(mm_str_eq(a->source_legacy_dn, b->source_legacy_dn, empty_is_null));
	assert_true(mm_str_eq(a->source_smtp, b->source_smtp, empty_is_null));
	assert_true(mm_str_eq(a->source_mailbox_guid, b->source_mailbox_guid, empty_is_null));
	assert_int_equal(a->source_x500.count, b->source_x500.count);
	for (size_t i = 0; i < a->source_x500.count; i++)
		assert_string_equal(a->source_x500.items[i], b->source_x500.items[i]);
	assert_true(mm_str_eq(a->target_legacy_dn, b->target_legacy_dn, empty_is_null));
	assert_true(mm_str_eq(a->target_smtp, b->target_smtp, empty_is_null));
	assert_true(mm_str_eq(a->target_mailbox_guid, b->target_mailbox_guid, empty_is_null));
	assert_true(mm_str_eq(a->target_display_name, b->target_display_name, empty_is_null));
	assert_int_equal(a->target_kind, b->target_kind);
	assert_true(mm_str_eq(a->target_server, b->target_server, empty_is_null));
	assert_int_equal(a->switched, b->switched);
}

#endif
