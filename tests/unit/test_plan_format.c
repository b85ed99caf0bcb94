/* The plan as text (cpuu_plan_format, what a dry run shows): values that
 * are not text appear as "hex:" or "hex(<type>):" and their bytes, exactly
 * as "%x" and "%02x" print them (long values, every byte value, odd
 * registry types). The expected text is printed here with snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/plan.h"
#include "registry_fixture.h"

#include <stdio.h>
#include <string.h>

#define KEY "Software\\Vendor\\Alpha"

/* "hex:..." or "hex(t):..." as the printf family writes it. */
static void expected_hex(char *out, size_t cap, uint32_t type, const uint8_t *data, size_t len)
{
	size_t n = (size_t)(type == CPUU_REG_BINARY ? snprintf(out, cap, "hex:")
						    : snprintf(out, cap, "hex(%x):", (unsigned)type));
	for (size_t i = 0; i < len; i++)
		n += (size_t)snprintf(out + n, cap - n, i ? ",%02x" : "%02x", data[i]);
}

static void test_format_hex(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	uint8_t old[4] = { 0x0a, 0, 0, 0 }, dword[4] = { 0xff, 0x10, 0x00, 0x7f };
	uint8_t all[300];
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, KEY), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "Count", CPUU_REG_DWORD, old, sizeof old), CPUU_OK);
	cpuu_reg_key_free(k);

	cpuu_plan *plan = NULL;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KEY, "Count", CPUU_REG_DWORD, dword, sizeof dword, "dword"),
			 CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KEY, "Blob", CPUU_REG_BINARY, all, sizeof all, "long"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KEY, "Odd", 0x7fff0001u, all, 5, "odd type"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KEY, "None", CPUU_REG_NONE, all, 1, "type 0"), CPUU_OK);
	assert_int_equal(cpuu_plan_set_value(plan, reg, KEY, "Empty", CPUU_REG_BINARY, all, 0, "no bytes"), CPUU_OK);
	char *text = NULL;
	assert_int_equal(cpuu_plan_format(&text, plan), CPUU_OK);

	static char want[4096], hex[2048];
	size_t n = (size_t)snprintf(want, sizeof want, "[" KEY "]\n; dword\n");
	expected_hex(hex, sizeof hex, CPUU_REG_DWORD, old, sizeof old);
	n += (size_t)snprintf(want + n, sizeof want - n, "-\"Count\"=%s\n", hex);
	expected_hex(hex, sizeof hex, CPUU_REG_DWORD, dword, sizeof dword);
	n += (size_t)snprintf(want + n, sizeof want - n, "+\"Count\"=%s\n; long\n", hex);
	expected_hex(hex, sizeof hex, CPUU_REG_BINARY, all, sizeof all);
	n += (size_t)snprintf(want + n, sizeof want - n, "+\"Blob\"=%s\n; odd type\n", hex);
	expected_hex(hex, sizeof hex, 0x7fff0001u, all, 5);
	n += (size_t)snprintf(want + n, sizeof want - n, "+\"Odd\"=%s\n; type 0\n", hex);
	expected_hex(hex, sizeof hex, CPUU_REG_NONE, all, 1);
	n += (size_t)snprintf(want + n, sizeof want - n, "+\"None\"=%s\n; no bytes\n", hex);
	snprintf(want + n, sizeof want - n, "+\"Empty\"=hex:\n");
	assert_string_equal(text, want);
	/* Spot checks of the printf forms themselves. */
	assert_non_null(strstr(text, "=hex(4):0a,00,00,00\n"));
	assert_non_null(strstr(text, "=hex(7fff0001):03,0a,11,18,1f\n"));
	assert_non_null(strstr(text, "=hex(0):03\n"));
	free(text);
	cpuu_plan_free(plan);
	cpuu_reg_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_hex, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
