/* Replays every input in tests/data/fuzz-regressions/fuzz_mapi_value/ and
 * fuzz_entryid/ (crashes scripts/fuzz.sh found) through the same harness code
 * the fuzzers run: the harness aborts on any broken invariant, and ASan/UBSan
 * builds catch memory errors. Also checks the harnesses on inputs built here,
 * so the test asserts something even while those folders are empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapi.h"
#include "testutil.h"

#define CPUU_FUZZ_ENTRY fuzz_mapi_value_one
#include "../../fuzz/fuzz_mapi_value.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entryid_one
#include "../../fuzz/fuzz_entryid.c"
#undef CPUU_FUZZ_ENTRY

typedef int (*harness_fn)(const uint8_t *, size_t);

static int replay_dir(const char *target, harness_fn fn)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests/data/fuzz-regressions/%s", CPUU_SOURCE_DIR, target);
	DIR *d = opendir(dir);
	if (!d)
		return 0; /* no crash recorded yet */
	int count = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".md"))
			continue;
		char *path = test_path(dir, de->d_name);
		size_t len = 0;
		uint8_t *data = test_read_file(path, &len);
		if (!data)
			fail_msg("cannot read %s", path);
		/* An exact-size copy, so ASan sees any read past the end. */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, data, len);
		print_message("replay %s/%s (%zu bytes)\n", target, de->d_name, len);
		assert_int_equal(fn(copy, len), 0);
		free(copy);
		free(data);
		free(path);
		count++;
	}
	closedir(d);
	return count;
}

static void test_replay_mapi_value(void **state)
{
	(void)state;
	int n = replay_dir("fuzz_mapi_value", fuzz_mapi_value_one);
	print_message("%d regression inputs\n", n);
}

static void test_replay_entryid(void **state)
{
	(void)state;
	int n = replay_dir("fuzz_entryid", fuzz_entryid_one);
	print_message("%d regression inputs\n", n);
}

/* The harness on inputs made here: every prefix and one-byte corruption of
 * valid encodings must pass its invariants (no abort, no ASan report). */
static void test_harness_value_mutations(void **state)
{
	(void)state;
	static const struct { uint32_t tag; uint8_t sel; const char *hex; } seeds[] = {
		{ 0x6613101Eu, 0, "020000000c000000160000006e63616c7270633a5300616200" },
		{ 0x6613101Fu, 0, "01000000080000006100000000" },
		{ 0x3D051102u, 0, "0200000001000000140000000000000018000000ab000000" },
		{ 0x6602001Eu, 1, "610062000000" },
		{ 0x662A001Fu, 0, "3dd800de0000" },
		{ 0x3D18000Bu, 0, "01000000" },
		{ CPUU_PROP_TAG(CPUU_PT_FLOAT, 1), 0, "0100807f" },
		{ CPUU_PROP_TAG(CPUU_PT_MV_CLSID, 1), 0, "000102030405060708090a0b0c0d0e0f" },
	};
	for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
		uint8_t in[64];
		size_t hl = strlen(seeds[s].hex) / 2;
		in[0] = (uint8_t)seeds[s].tag;
		in[1] = (uint8_t)(seeds[s].tag >> 8);
		in[2] = (uint8_t)(seeds[s].tag >> 16);
		in[3] = (uint8_t)(seeds[s].tag >> 24);
		in[4] = seeds[s].sel;
		for (size_t i = 0; i < hl; i++) {
			unsigned x;
			sscanf(seeds[s].hex + 2 * i, "%2x", &x);
			in[5 + i] = (uint8_t)x;
		}
		size_t n = 5 + hl;
		/* The seed itself decodes. */
		cpuu_mapi_value v;
		uint32_t rt = seeds[s].sel == 1 ? CPUU_MAPI_REG_SZ : CPUU_MAPI_REG_BINARY;
		if (cpuu_mapi_value_decode(&v, seeds[s].tag, rt, in + 5, hl) != CPUU_OK)
			fail_msg("seed %zu: %s", s, cpuu_error_last()->message);
		cpuu_mapi_value_clear(&v);
		for (size_t k = 0; k <= n; k++) {
			uint8_t *c = malloc(k ? k : 1);
			memcpy(c, in, k);
			assert_int_equal(fuzz_mapi_value_one(c, k), 0);
			free(c);
		}
		for (size_t i = 5; i < n; i++)
			for (int bit = 0; bit < 8; bit++) {
				uint8_t c[64];
				memcpy(c, in, n);
				c[i] ^= (uint8_t)(1u << bit);
				assert_int_equal(fuzz_mapi_value_one(c, n), 0);
			}
	}
}

static void test_harness_entryid_mutations(void **state)
{
	(void)state;
	cpuu_store_eid e = { .wrapped_type = CPUU_STORE_EID_PRIVATE };
	memcpy(e.wrapped_provider, cpuu_mapi_uid_private_mdb, 16);
	e.server = "EXMBX01";
	e.mailbox_dn = "/o=Contoso/cn=Recipients/cn=jdoe";
	e.server_dn = "/o=Contoso/cn=Servers/cn=EXMBX01";
	e.server_fqdn = "exmbx01.contoso.com";
	uint8_t *eid;
	size_t n;
	assert_int_equal(cpuu_store_eid_build(&eid, &n, &e), CPUU_OK);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *c = malloc(k ? k : 1);
		memcpy(c, eid, k);
		assert_int_equal(fuzz_entryid_one(c, k), 0);
		free(c);
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *c = malloc(n);
		memcpy(c, eid, n);
		c[i] ^= 0x41;
		assert_int_equal(fuzz_entryid_one(c, n), 0);
		free(c);
	}
	cpuu_free(eid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_mapi_value),
		cmocka_unit_test(test_replay_entryid),
		cmocka_unit_test(test_harness_value_mutations),
		cmocka_unit_test(test_harness_entryid_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
