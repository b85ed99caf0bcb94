/* Every libFuzzer target's regression inputs (tests/data/fuzz-regressions/
 * <target>/: inputs that once crashed or broke an invariant, kept by
 * scripts/fuzz.sh) replayed in the ordinary test run, plus a few thousand
 * seeded random inputs per target: the harnesses abort() when one of their
 * invariants breaks, so a regression fails here without clang or libFuzzer.
 * (Named test_fixture_* to link the whole library.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPUU_FUZZ_ENTRY fuzz_entry_regtext
#include "../../fuzz/fuzz_regtext.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_ini
#include "../../fuzz/fuzz_ini.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_mapping
#include "../../fuzz/fuzz_mapping.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_results
#include "../../fuzz/fuzz_results.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_autocomplete
#include "../../fuzz/fuzz_autocomplete.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_mapi_value
#include "../../fuzz/fuzz_mapi_value.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_entryid
#include "../../fuzz/fuzz_entryid.c"
#undef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY fuzz_entry_hive_plan
#define CPUU_FUZZ_HIVE_SEEDS /* its seed hives, built from fixtures */
#include "../../fuzz/fuzz_hive_plan.c"
#undef CPUU_FUZZ_ENTRY

typedef int (*fuzz_entry)(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	fuzz_entry run;
} targets[] = {
	{ "fuzz_regtext", fuzz_entry_regtext },       { "fuzz_ini", fuzz_entry_ini },
	{ "fuzz_mapping", fuzz_entry_mapping },       { "fuzz_results", fuzz_entry_results },
	{ "fuzz_autocomplete", fuzz_entry_autocomplete }, { "fuzz_mapi_value", fuzz_entry_mapi_value },
	{ "fuzz_entryid", fuzz_entry_entryid },       { "fuzz_hive_plan", fuzz_entry_hive_plan },
};

static void test_regressions_replay(void **state)
{
	(void)state;
	size_t replayed = 0;
	for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/tests/data/fuzz-regressions/%s", CPUU_SOURCE_DIR, targets[t].name);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char *p = test_path(dir, e->d_name);
			size_t n = 0;
			uint8_t *data = test_read_file(p, &n);
			assert_non_null(data);
			targets[t].run(data, n);
			free(data);
			free(p);
			replayed++;
		}
		if (d)
			closedir(d);
	}
	printf("replayed %zu regression input(s)\n", replayed);
}

/* Small xorshift PRNG: the same inputs every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_inputs(void **state)
{
	(void)state;
	/* Text-like and binary-like inputs, short and long. */
	static const char alphabet[] = "[]=\\\"\r\n,;#:-@/ 0123456789abcdefABCDEF{}hex(2)dword:REGEDIT4X500SMTP";
	uint8_t buf[2048];
	for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
		for (int i = 0; i < 1500; i++) {
			size_t n = (size_t)(rng() % (i < 1000 ? 64 : sizeof buf));
			int text = i % 2;
			for (size_t k = 0; k < n; k++)
				buf[k] = text ? (uint8_t)alphabet[rng() % (sizeof alphabet - 1)] : (uint8_t)rng();
			targets[t].run(buf, n);
		}
}

/* Valid inputs, mutated: byte flips and truncations reach the deep paths
 * that random bytes never do. */
static void test_mutated_valid_inputs(void **state)
{
	(void)state;
	static const struct {
		fuzz_entry run;
		const char *sample;
	} samples[] = {
		{ fuzz_entry_regtext, "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\A\\B]\r\n"
				      "\"x\"=\"y z\"\r\n@=dword:00000010\r\n\"b\"=hex:01,02,00\r\n\"m\"=hex(7):61,00,00,00,00,00\r\n"
				      "\"gone\"=-\r\n\r\n[-HKEY_CURRENT_USER\\A\\C]\r\n" },
		{ fuzz_entry_ini, "; comment\n[General]\nMode = update\nDryRun = yes\n[Profiles]\nProfiles = Outlook, \"b,c\"\n"
				  "CachedProfiles = listed\n[Source]\nUrl = ldaps://dc.example:636\nTimeoutSeconds = 5\n" },
		{ fuzz_entry_mapping, "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,"
				      "target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"
				      "/o=S/cn=Recipients/cn=a,a@s.example,11111111-2222-4333-8444-555555555555,/o=Old/cn=a,"
				      "/o=T/cn=Recipients/cn=a,a@t.example,,\"A, B\",onprem,x@t.example,true\n" },
		{ fuzz_entry_results, "{\"user\":\"alice\",\"hive\":\"/p/NTUSER.DAT\",\"profile\":\"Outlook\",\"account\":"
				      "\"a@s.example\",\"mode\":\"update\",\"outcome\":\"switched\",\"changes\":17,"
				      "\"message\":null,\"duration_ms\":1.5}\n" },
	};
	uint8_t buf[1024];
	for (size_t t = 0; t < sizeof samples / sizeof samples[0]; t++) {
		size_t n = strlen(samples[t].sample);
		samples[t].run((const uint8_t *)samples[t].sample, n); /* the valid one itself */
		for (int i = 0; i < 2000; i++) {
			memcpy(buf, samples[t].sample, n);
			size_t len = n;
			int edits = 1 + (int)(rng() % 3);
			for (int k = 0; k < edits; k++)
				buf[rng() % n] = (uint8_t)rng();
			if (i % 4 == 0)
				len = (size_t)(rng() % (n + 1));
			samples[t].run(buf, len);
		}
	}
}

/* The hive harness on its seed corpus (hives built from fixtures, as
 * seed_hive_plan writes them) and on corruptions of it: flipped bytes in
 * the header, the first bins and anywhere, and truncations. */
static void test_hive_plan_corpus(void **state)
{
	(void)state;
	size_t runs = 0;
	for (size_t i = 0; i < FHP_NSEEDS; i++) {
		uint8_t *hive = NULL;
		size_t n = 0;
		assert_int_equal(fhp_seed_hive(&hive, &n, i), 0);
		assert_true(n >= 8192);
		uint8_t *buf = malloc(n);
		assert_non_null(buf);
		size_t plans = fhp_plans;
		fuzz_entry_hive_plan(hive, n);
		/* The seeds reach the planner: seed 0 an account and its additional
		 * mailbox, seed 1 two accounts, each planned twice; seed 2 none. */
		assert_int_equal(fhp_plans - plans, i == 2 ? 0 : 4);
		for (int k = 0; k < 400; k++, runs++) {
			memcpy(buf, hive, n);
			size_t len = n;
			int edits = 1 + (int)(rng() % 4);
			for (int e = 0; e < edits; e++) {
				/* Half the edits inside the header and first bins. */
				size_t at = (size_t)(rng() % (k % 2 ? n : 8192));
				buf[at] = (uint8_t)rng();
			}
			if (k % 8 == 0)
				len = (size_t)(rng() % (n + 1));
			fuzz_entry_hive_plan(buf, len);
		}
		free(buf);
		free(hive);
	}
	printf("hive_plan: %zu seed(s), %zu corrupted input(s)\n", FHP_NSEEDS, runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions_replay),
		cmocka_unit_test(test_random_inputs),
		cmocka_unit_test(test_mutated_valid_inputs),
		cmocka_unit_test(test_hive_plan_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
