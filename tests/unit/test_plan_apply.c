/* The plan's own bookkeeping on a real hive: edits found again by key and
 * name in any letter case, edits that restore the old state dropped, and
 * cpuu_plan_apply's runs of edits per key (a missing key created once, a key
 * met again later, a key spelled in another case) or its refusal when the
 * registry changed after planning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/plan.h"
#include "registry_fixture.h"

#include <string.h>

#define KA "Software\\Vendor\\Alpha"
#define KB "Software\\Vendor\\Beta"

static const uint8_t ONE[] = { 1, 0, 0, 0 };
static const uint8_t TWO[] = { 2, 0, 0, 0 };
static const uint8_t THREE[] = { 3, 0, 0, 0 };

/* Alpha holds x = ONE and w = TWO (REG_BINARY); Beta does not exist. */
static cpuu_reg *seeded(const fx *f)
{
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, KA), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "x", CPUU_REG_BINARY, ONE, sizeof ONE), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "w", CPUU_REG_BINARY, TWO, sizeof TWO), CPUU_OK);
	cpuu_reg_key_free(k);
	return reg;
}

/* 1 when key\name holds exactly data (REG_BINARY), 0 when absent. */
static int holds(cpuu_reg *reg, const char *key, const char *name, const uint8_t *data, size_t len)
{
	cpuu_reg_key *k = NULL;
	cpuu_reg_value v = { 0 };
	if (cpuu_reg_key_open(&k, reg, NULL, key))
		return 0;
	int rc = cpuu_reg_value_get(&v, reg, k, name);
	cpuu_reg_key_free(k);
	if (rc)
		return 0;
	int same = v.type == CPUU_REG_BINARY && v.len == len && !memcmp(v.data, data, len);
	cpuu_reg_value_clear(&v);
	assert_true(same);
	return 1;
}

static void test_plan_finds_edits_again(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = seeded(f);
	cpuu_plan *plan = NULL;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	/* Asked as "X" under another spelling of the key: one edit, kept under
	 * the stored name, replaced by the later rule. */
	assert_int_equal(cpuu_plan_set_value(plan, reg, KA, "x", CPUU_REG_BINARY, TWO, sizeof TWO, "first"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, "software\\VENDOR\\alpha", "X", CPUU_REG_BINARY, THREE,
					     sizeof THREE, "second"),
			 CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 1);
	const cpuu_edit *e = cpuu_plan_edit(plan, 0);
	assert_string_equal(e->key, KA);
	assert_string_equal(e->name, "x");
	assert_string_equal(e->why, "second");
	assert_int_equal(e->len, sizeof THREE);
	assert_memory_equal(e->data, THREE, sizeof THREE);
	assert_true(e->had_old);
	assert_memory_equal(e->old_data, ONE, sizeof ONE);
	/* A later rule that puts the old bytes back leaves nothing to do. */
	assert_int_equal(cpuu_plan_set_value(plan, reg, KA, "X", CPUU_REG_BINARY, ONE, sizeof ONE, "back"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 0);
	/* Unchanged values and absent deletions are never planned. */
	assert_int_equal(cpuu_plan_set_value(plan, reg, KA, "w", CPUU_REG_BINARY, TWO, sizeof TWO, "same"), CPUU_OK);
	assert_int_equal(cpuu_plan_delete_value(plan, reg, KB, "y", "absent"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 0);
	/* A value planned new, then deleted again: nothing either. */
	assert_int_equal(cpuu_plan_set_value(plan, reg, KB, "y", CPUU_REG_BINARY, ONE, sizeof ONE, "new"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 1);
	assert_int_equal(cpuu_plan_delete_value(plan, reg, "SOFTWARE\\Vendor\\BETA", "Y", "gone"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 0);
	cpuu_plan_free(plan);
	cpuu_reg_free(reg);
}

static void test_apply_runs_of_keys(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = seeded(f);
	cpuu_plan *plan = NULL;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	/* Runs: Alpha | Beta (missing: created once), Beta | Alpha, alpha (one
	 * run in two spellings) | Beta again. */
	assert_int_equal(cpuu_plan_set_value(plan, reg, KA, "x", CPUU_REG_BINARY, THREE, sizeof THREE, "a"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KB, "y", CPUU_REG_BINARY, ONE, sizeof ONE, "b"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KB, "z", CPUU_REG_BINARY, TWO, sizeof TWO, "c"), CPUU_OK);
	assert_int_equal(cpuu_plan_delete_value(plan, reg, KA, "w", "d"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, "software\\vendor\\ALPHA", "v", CPUU_REG_BINARY, ONE, sizeof ONE,
					     "e"),
			 CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KB, "u", CPUU_REG_BINARY, THREE, sizeof THREE, "f"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 6);
	assert_int_equal(cpuu_plan_apply(reg, plan), CPUU_OK);
	assert_true(holds(reg, KA, "x", THREE, sizeof THREE));
	assert_false(holds(reg, KA, "w", TWO, sizeof TWO));
	assert_true(holds(reg, KA, "v", ONE, sizeof ONE));
	assert_true(holds(reg, KB, "y", ONE, sizeof ONE));
	assert_true(holds(reg, KB, "z", TWO, sizeof TWO));
	assert_true(holds(reg, KB, "u", THREE, sizeof THREE));
	/* "alpha" is the same key, not a second one. */
	cpuu_strlist subs = { 0 };
	cpuu_reg_key *vendor = NULL;
	assert_int_equal(cpuu_reg_key_open(&vendor, reg, NULL, "Software\\Vendor"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_subkeys(&subs, reg, vendor), CPUU_OK);
	assert_int_equal(subs.count, 2);
	cpuu_strlist_free(&subs);
	cpuu_reg_key_free(vendor);
	/* Applied: planning the same again finds nothing to do. */
	cpuu_plan_free(plan);
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KB, "y", CPUU_REG_BINARY, ONE, sizeof ONE, "b"), CPUU_OK);
	assert_int_equal(cpuu_plan_delete_value(plan, reg, KA, "w", "d"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 0);
	cpuu_plan_free(plan);
	cpuu_reg_free(reg);
}

static void test_apply_refuses_a_changed_registry(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = seeded(f);
	cpuu_plan *plan = NULL;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KB, "y", CPUU_REG_BINARY, ONE, sizeof ONE, "b"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KA, "x", CPUU_REG_BINARY, THREE, sizeof THREE, "a"), CPUU_OK);
	/* Alpha\x changes after planning: nothing of the plan is applied, not
	 * even Beta, which comes first. */
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, KA), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "x", CPUU_REG_BINARY, TWO, sizeof TWO), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_plan_apply(reg, plan), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "changed since the plan was made"));
	assert_true(holds(reg, KA, "x", TWO, sizeof TWO));
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, KB), CPUU_ENOTFOUND);
	cpuu_plan_free(plan);
	cpuu_reg_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_finds_edits_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_runs_of_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_refuses_a_changed_registry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
