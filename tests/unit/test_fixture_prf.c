/* Signatures and the PRF route over fixture profiles: the in-place switch
 * (cpuu_run_hive) leaves an account's signature choices byte-identical, and
 * a profile read back from a hive gives a .prf with its PST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/mapping.h"
#include "cpuu/prf.h"
#include "cpuu/profile.h"
#include "cpuu/unicode.h"
#include "cpuu/update.h"
#include "fixture.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRC_AG "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
#define TRG_AG "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

static const char fixture_text[] =
	"[profile Outlook]\nversion = 16.0\ndefault = yes\n"
	"[exchange]\ndisplay_name = Alice Example\nsmtp = alice@source.example\n"
	"legacy_dn = " SRC_AG "alice\nmailbox_guid = 11111111-2222-4333-8444-555555555555\ncached = yes\n"
	"[pst]\npath = C:\\Users\\alice\\Documents\\Outlook Files\\Archive.pst\ndisplay_name = Archive\n";

static const char mapping_csv[] =
	"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
	"target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"
	SRC_AG "alice,alice@source.example,11111111-2222-4333-8444-555555555555,," TRG_AG
	"alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,"
	"aaaaaaaa-2222-4333-8444-555555555555@target.example,true\n";

static int lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	return cpuu_mapping_lookup(m, st, ctx, key);
}

static cpuu_profile_set *load(const char *hive)
{
	cpuu_reg *reg = NULL;
	cpuu_profile_set *set = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	assert_int_equal(cpuu_profiles_load(&set, reg), CPUU_OK);
	cpuu_reg_free(reg);
	return set;
}

static const cpuu_account *exchange_of(const cpuu_profile_set *set)
{
	assert_int_equal(set->nprofiles, 1);
	for (size_t i = 0; i < set->profiles[0].naccounts; i++)
		if (set->profiles[0].accounts[i].kind == CPUU_ACCOUNT_EXCHANGE)
			return &set->profiles[0].accounts[i];
	fail_msg("no Exchange account");
	return NULL;
}

/* A fixture hive whose Exchange account has both signature values, one in
 * each of the types found in the wild. *subkey gets the account subkey path. */
static char *make_hive(const char *dir, char **subkey, uint8_t **bin, size_t *binlen, uint8_t **sz, size_t *szlen)
{
	char *hive = test_path(dir, "NTUSER.DAT");
	assert_int_equal(cpuu_hive_create_blank(hive, NULL), CPUU_OK);
	cpuu_reg *reg = NULL;
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_fixture_parse(&f, fixture_text, strlen(fixture_text)), CPUU_OK);
	assert_int_equal(cpuu_fixture_apply(reg, f), CPUU_OK);
	cpuu_fixture_free(f);
	cpuu_profile_set *set = NULL;
	assert_int_equal(cpuu_profiles_load(&set, reg), CPUU_OK);
	const cpuu_account *a = exchange_of(set);
	assert_non_null(a->account_key);
	size_t n = strlen(set->profiles[0].path) + strlen(a->account_key) + 40;
	*subkey = malloc(n);
	assert_non_null(*subkey);
	snprintf(*subkey, n, "%s\\9375CFF0413111d3B88A00104B2A6676\\%s", set->profiles[0].path, a->account_key);
	cpuu_profile_set_free(set);

	assert_int_equal(cpuu_utf8_to_utf16le(bin, binlen, "Firma B\xc3\xbcro (alice@source.example)", 1), CPUU_OK);
	assert_int_equal(cpuu_utf8_to_utf16le(sz, szlen, "Antwort", 1), CPUU_OK);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, *subkey), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "New Signature", CPUU_REG_BINARY, *bin, *binlen), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "Reply-Forward Signature", CPUU_REG_SZ, *sz, *szlen), CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts no_backup = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &no_backup), CPUU_OK);
	cpuu_reg_free(reg);
	return hive;
}

static void assert_value(const char *hive, const char *key, const char *name, uint32_t type, const uint8_t *data,
			 size_t len)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, key), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, name), CPUU_OK);
	assert_int_equal(v.type, type);
	assert_int_equal(v.len, len);
	assert_memory_equal(v.data, data, len);
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
}

static void test_fixture_prf_switch_keeps_signatures(void **state)
{
	(void)state;
	char *dir = test_tmpdir("fixture-prf");
	assert_non_null(dir);
	char *subkey = NULL;
	uint8_t *bin = NULL, *sz = NULL;
	size_t binlen = 0, szlen = 0;
	char *hive = make_hive(dir, &subkey, &bin, &binlen, &sz, &szlen);

	cpuu_mapping *map = NULL;
	assert_int_equal(cpuu_mapping_load_buffer(&map, mapping_csv, strlen(mapping_csv)), CPUU_OK);
	cpuu_match_source resolver = { lookup, map };
	cpuu_run_opts o;
	cpuu_run_opts_init(&o);
	o.user = "alice";
	char *state_dir = test_path(dir, "state");
	o.state_dir = state_dir;
	cpuu_results *r = NULL;
	assert_int_equal(cpuu_run_hive(&r, hive, &o, &resolver), CPUU_OK);
	size_t switched = 0;
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].outcome == CPUU_OUTCOME_SWITCHED && r->items[i].account &&
		    !strcmp(r->items[i].account, "alice@source.example"))
			switched++;
	assert_int_equal(switched, 1);
	assert_int_equal(r->exit_mask, CPUU_EXIT_SUCCESS);
	cpuu_results_free(r);

	/* The switch did edit this very subkey ("Account Name" held the source
	 * address)... */
	cpuu_profile_set *set = load(hive);
	const cpuu_account *a = exchange_of(set);
	assert_string_equal(a->smtp, "alice@target.example");
	assert_string_equal(a->account_name, "alice@target.example");
	cpuu_profile_set_free(set);
	/* ...and left both signature choices byte for byte. */
	assert_value(hive, subkey, "New Signature", CPUU_REG_BINARY, bin, binlen);
	assert_value(hive, subkey, "Reply-Forward Signature", CPUU_REG_SZ, sz, szlen);

	cpuu_mapping_free(map);
	free(state_dir);
	free(hive);
	free(subkey);
	free(bin);
	free(sz);
	test_tmpdir_remove(dir);
}

/* The PRF route over a profile read back from a hive: the .prf carries the
 * PST the fixture wrote, and the signature choices are recorded for the new
 * account. */
static void test_fixture_prf_route_from_hive(void **state)
{
	(void)state;
	char *dir = test_tmpdir("fixture-prf");
	assert_non_null(dir);
	char *subkey = NULL;
	uint8_t *bin = NULL, *sz = NULL;
	size_t binlen = 0, szlen = 0;
	char *hive = make_hive(dir, &subkey, &bin, &binlen, &sz, &szlen);
	cpuu_mapping *map = NULL;
	assert_int_equal(cpuu_mapping_load_buffer(&map, mapping_csv, strlen(mapping_csv)), CPUU_OK);
	const cpuu_match *m = NULL;
	cpuu_lookup_status st;
	assert_int_equal(cpuu_mapping_lookup(&m, &st, map, SRC_AG "alice"), CPUU_OK);
	assert_int_equal(st, CPUU_LOOKUP_FOUND);

	cpuu_reg *reg = NULL;
	cpuu_profile_set *set = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_profiles_load(&set, reg), CPUU_OK);
	const cpuu_profile *p = &set->profiles[0];
	const cpuu_account *a = exchange_of(set);
	cpuu_prf_opts po;
	cpuu_prf_opts_init(&po);
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, p, a, m, &po), CPUU_OK);
	assert_non_null(strstr(text, "\r\nProfileName=Outlook\r\nDefaultProfile=Yes\r\n"));
	assert_non_null(strstr(text, "\r\nService2=Unicode Personal Folders\r\n"));
	assert_non_null(strstr(text, "\r\n[Service2]\r\nUniqueService=No\r\nName=Archive\r\n"
				     "PathToPersonalFolders=C:\\Users\\alice\\Documents\\Outlook Files\\Archive.pst\r\n"));
	assert_non_null(strstr(text, "\r\nMailboxName=" TRG_AG "alice\r\n"));
	assert_non_null(strstr(text, "\r\nCachedExchangeMode=0x00000002\r\n"));
	free(text);

	cpuu_plan *plan = NULL;
	size_t count = 0;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_signatures_record(plan, &count, reg, p, a, m, NULL), CPUU_OK);
	assert_int_equal(count, 2);
	assert_int_equal(cpuu_prf_plan_import(plan, reg, p->outlook_version,
					      "C:\\Users\\alice\\AppData\\Local\\cpuu\\Outlook.prf"),
			 CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 3);
	cpuu_plan_free(plan);
	cpuu_profile_set_free(set);
	cpuu_reg_free(reg);
	cpuu_mapping_free(map);
	free(hive);
	free(subkey);
	free(bin);
	free(sz);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_prf_switch_keeps_signatures),
		cmocka_unit_test(test_fixture_prf_route_from_hive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
