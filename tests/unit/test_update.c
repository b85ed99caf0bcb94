#define _GNU_SOURCE /* memmem */
/* Update / Rollback / Cleanup over fixture profiles in blank and real hives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/autocomplete.h"
#include <hivex.h>
#include "cpuu/mapi.h"
#include "cpuu/mapping.h"
#include "cpuu/prf.h"
#include "cpuu/profile.h"
#include "cpuu/regtext.h"
#include "cpuu/unicode.h"
#include "cpuu/update.h"
#include "fixture.h"
#include "update/internal.h"
#include "testutil.h"
#include "update_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SRC_AG "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
#define TRG_AG "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
#define PROFILE16 "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"
/* alice's source personality server, UTF-16LE with its NUL */
static const uint8_t U16_SRC_SERVER[] = {
#define C(x) x, 0
	C('1'), C('1'), C('1'), C('1'), C('1'), C('1'), C('1'), C('1'), C('-'), C('2'), C('2'), C('2'), C('2'), C('-'),
	C('4'), C('3'), C('3'), C('3'), C('-'), C('8'), C('4'), C('4'), C('4'), C('-'), C('5'), C('5'), C('5'), C('5'),
	C('5'), C('5'), C('5'), C('5'), C('5'), C('5'), C('5'), C('5'), C('@'), C('s'), C('o'), C('u'), C('r'), C('c'),
	C('e'), C('.'), C('e'), C('x'), C('a'), C('m'), C('p'), C('l'), C('e'), 0, 0
#undef C
};
#define SECURE_SECTION "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\13dbb0c8aa05101a9bb000aa002fc45a"
#define SECRET "DPAPI-protected-blob: not for backups"
#define AD16 "Software\\Microsoft\\Office\\16.0\\Outlook\\AutoDiscover"
#define AD15 "Software\\Microsoft\\Office\\15.0\\Outlook\\AutoDiscover"

static const char fixture_text[] =
	"[profile Outlook]\nversion = 16.0\ndefault = yes\n"
	"[exchange]\ndisplay_name = Alice Example\nsmtp = alice@source.example\n"
	"legacy_dn = " SRC_AG "alice\nmailbox_guid = 11111111-2222-4333-8444-555555555555\ncached = yes\n"
	"ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost\n"
	"lkg_autodiscover = https://autodiscover.source.example/autodiscover/autodiscover.xml\n"
	"additional = " SRC_AG "sales | Sales Shared\n"
	"additional = " SRC_AG "board | Board Room\n"
	"[exchange]\ndisplay_name = Bob Second\nsmtp = bob@source.example\n"
	"legacy_dn = " SRC_AG "bob\nmailbox_guid = 22222222-2222-4333-8444-555555555555\ncached = no\n"
	"[pst]\npath = C:\\Users\\alice\\Documents\\Archive.pst\ndisplay_name = Archive\n"
	"[profile Old]\nversion = 15.0\nstrings = string8\n"
	"[exchange]\ndisplay_name = carol@source.example\nsmtp = carol@source.example\n"
	"legacy_dn = " SRC_AG "carol\nmailbox_guid = 33333333-2222-4333-8444-555555555555\ncached = yes\n"
	"ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\carol.ost\n";

static const char mapping_header[] =
	"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
	"target_mailbox_guid,target_display_name,target_kind,target_server,switched\n";

static const char mapping_rows[] =
	SRC_AG "alice,alice@source.example,11111111-2222-4333-8444-555555555555,," TRG_AG
	"alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,"
	"aaaaaaaa-2222-4333-8444-555555555555@target.example,true\n"
	SRC_AG "bob,bob@source.example,22222222-2222-4333-8444-555555555555,," TRG_AG
	"bob,bob@target.example,bbbbbbbb-2222-4333-8444-555555555555,Bob Second,onprem,"
	"bbbbbbbb-2222-4333-8444-555555555555@target.example,false\n"
	SRC_AG "carol,carol@source.example,33333333-2222-4333-8444-555555555555,,"
	",carol@target.onmicrosoft.com,,Carol,online,,true\n"
	SRC_AG "sales,sales@source.example,,," TRG_AG "sales,sales@target.example,,Sales Shared,onprem,"
	"cccccccc-2222-4333-8444-555555555555@target.example,true\n"
	SRC_AG "board,board@source.example,,," TRG_AG "board,board@target.example,,Board Room,onprem,,false\n";

typedef struct env {
	update_env u; /* NTUSER.DAT with the fixture profiles, the mapping */
	char *user_dir; /* NULL: files are left alone */
	int prf;        /* the PRF route instead of rewriting in place */
	int no_signatures; /* [Features] Signatures = false */
	unsigned off;      /* OFF_*: [Features] switches turned off */
	int hook_calls;    /* before_change calls seen */
	int hook_refuse;   /* before_change refuses (CPUU_EABORTED) */
	unsigned critical; /* CPUU_CRITICAL_* (-Critical) */
	const cpuu_strlist *services; /* [General] AllowAdditionalServices; NULL: All */
} env;

enum { OFF_ADDBOXES = 1, OFF_AUTOCOMPLETE = 2, OFF_SCP = 4, OFF_ADRESET = 8 };

/* A hive with the fixture profiles: blank, or a copy of a real hive. */
static void env_setup(env *e, const char *real_base, const char *extra_rows)
{
	memset(e, 0, sizeof *e);
	cpuu_reg *reg = update_env_open(&e->u, "update", "NTUSER.DAT", real_base, fixture_text);
	/* Autodiscover overrides of a user: one for the source domain, one for
	 * an unrelated domain (16.0 only: 15.0 has no such key). */
	cpuu_reg_key *ad = NULL;
	assert_int_equal(cpuu_reg_key_create(&ad, reg, NULL, AD16), CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(reg, ad, "source.example", "C:\\ad\\source.xml"), CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(reg, ad, "other.example", "C:\\ad\\other.xml"), CPUU_OK);
	assert_int_equal(cpuu_reg_set_dword(reg, ad, "PreferLocalXML", 1), CPUU_OK);
	cpuu_reg_key_free(ad);
	/* A secure (DPAPI) value: cached credentials never go into a backup. */
	cpuu_reg_key *sec = NULL;
	assert_int_equal(cpuu_reg_key_open(&sec, reg, NULL, SECURE_SECTION), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, sec, "S001f6700", CPUU_REG_BINARY, (const uint8_t *)SECRET,
					    sizeof SECRET - 1),
			 CPUU_OK);
	cpuu_reg_key_free(sec);
	update_env_commit(reg);

	char csv[8192];
	snprintf(csv, sizeof csv, "%s%s%s", mapping_header, mapping_rows, extra_rows ? extra_rows : "");
	update_env_map(&e->u, csv);
}

static void env_teardown(env *e)
{
	free(e->user_dir);
	update_env_free(&e->u);
}

/* cpuu_run_opts.before_change as the live logon uses it (stopping Outlook),
 * counted; refused on demand. */
static int before_change(void *ctx)
{
	env *e = ctx;
	e->hook_calls++;
	return e->hook_refuse ? cpuu_error_set(CPUU_EABORTED, "the user kept Outlook open") : CPUU_OK;
}

static unsigned run(env *e, cpuu_mode mode, int dry_run, cpuu_results **keep)
{
	cpuu_run_opts o;
	update_env_opts(&o, &e->u, mode, dry_run);
	o.user_dir = e->user_dir;
	o.prf_route = e->prf;
	o.signatures = !e->no_signatures;
	o.add_boxes = !(e->off & OFF_ADDBOXES);
	o.autocomplete = !(e->off & OFF_AUTOCOMPLETE);
	o.exclude_scp_lookup = !(e->off & OFF_SCP);
	o.autodiscover_reset = !(e->off & OFF_ADRESET);
	o.before_change = before_change;
	o.before_change_ctx = e;
	o.critical = e->critical;
	o.allowed_services = e->services;
	cpuu_results *r = NULL;
	update_env_check(cpuu_run_hive(&r, e->u.hive, &o, &e->u.resolver));
	unsigned mask = r->exit_mask;
	if (keep)
		*keep = r;
	else
		cpuu_results_free(r);
	return mask;
}

static const cpuu_result *find(const cpuu_results *r, const char *profile, const char *account)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].profile && !strcmp(r->items[i].profile, profile) &&
		    ((!account && !r->items[i].account) ||
		     (account && r->items[i].account && !strcmp(r->items[i].account, account))))
			return &r->items[i];
	fail_msg("no result for %s / %s", profile, account ? account : "-");
	return NULL;
}

/* A hive-wide record (profile null) by its account label. */
static const cpuu_result *find_wide(const cpuu_results *r, const char *account)
{
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].profile && r->items[i].account && !strcmp(r->items[i].account, account))
			return &r->items[i];
	fail_msg("no hive-wide result for %s", account);
	return NULL;
}

/* A subtree (NULL: the whole hive) as .reg text: what "byte-identical" is
 * checked against. */
static char *dump_at(const char *hive, const char *subkey)
{
	char *text = update_env_regtext(hive, subkey, NULL);
	assert_non_null(text);
	return text;
}

static char *dump(const char *hive)
{
	return dump_at(hive, NULL);
}

static const cpuu_account *account_by_uid(const cpuu_profile_set *set, const char *profile, const char *smtp_before,
					  const char *uid)
{
	(void)smtp_before;
	for (size_t i = 0; i < set->nprofiles; i++) {
		if (strcmp(set->profiles[i].name, profile))
			continue;
		for (size_t j = 0; j < set->profiles[i].naccounts; j++)
			if (set->profiles[i].accounts[j].service_uid &&
			    !strcmp(set->profiles[i].accounts[j].service_uid, uid))
				return &set->profiles[i].accounts[j];
	}
	fail_msg("no account %s in %s", uid, profile);
	return NULL;
}

static cpuu_profile_set *load(const char *hive)
{
	cpuu_reg *reg = NULL;
	cpuu_profile_set *set = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	int rc = cpuu_profiles_load(&set, reg);
	if (rc)
		fprintf(stderr, "load: %s\n", cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
	cpuu_reg_free(reg);
	return set;
}

static void test_update_switches_switched_accounts_only(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	cpuu_profile_set *before = load(e.u.hive);
	/* Remember the service UIDs: the identity values are what changes. */
	char alice_uid[33], bob_uid[33], carol_uid[33];
	snprintf(alice_uid, sizeof alice_uid, "%s", before->profiles[0].accounts[0].service_uid);
	snprintf(bob_uid, sizeof bob_uid, "%s", before->profiles[0].accounts[1].service_uid);
	const cpuu_profile *old = !strcmp(before->profiles[0].name, "Old") ? &before->profiles[0] : &before->profiles[1];
	snprintf(carol_uid, sizeof carol_uid, "%s", old->accounts[0].service_uid);
	if (!strcmp(before->profiles[0].name, "Old")) {
		snprintf(alice_uid, sizeof alice_uid, "%s", before->profiles[1].accounts[0].service_uid);
		snprintf(bob_uid, sizeof bob_uid, "%s", before->profiles[1].accounts[1].service_uid);
	}
	cpuu_profile_set_free(before);

	/* Address-book sections that cache the source server: alice's own (from
	 * her service's PR_AB_PROVIDERS) and the well-known MUIDEMSAB one. */
	char ab_path[512], svc_path[512];
	snprintf(svc_path, sizeof svc_path, "%s\\%s", PROFILE16, alice_uid);
	{
		cpuu_reg *areg = NULL;
		cpuu_reg_key *ak = NULL;
		cpuu_reg_value v;
		assert_int_equal(cpuu_reg_open_hive(&areg, e.u.hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
		assert_int_equal(cpuu_reg_key_open(&ak, areg, NULL, svc_path), CPUU_OK);
		assert_int_equal(cpuu_reg_value_get(&v, areg, ak, "01023d01"), CPUU_OK);
		char uid[33];
		for (int i = 0; i < 16; i++)
			snprintf(uid + 2 * i, 3, "%02x", v.data[i]);
		cpuu_reg_value_clear(&v);
		cpuu_reg_key_free(ak);
		snprintf(ab_path, sizeof ab_path, "%s\\%s", PROFILE16, uid);
		const char *paths[2] = { ab_path, PROFILE16 "\\dca740c8c042101ab4b908002b2fe182" };
		for (int i = 0; i < 2; i++) {
			assert_int_equal(cpuu_reg_key_create(&ak, areg, NULL, paths[i]), CPUU_OK);
			assert_int_equal(cpuu_reg_value_set(areg, ak, "001f6602", CPUU_REG_BINARY, U16_SRC_SERVER, sizeof U16_SRC_SERVER),
					 CPUU_OK);
			assert_int_equal(cpuu_reg_value_set(areg, ak, "001f662a", CPUU_REG_BINARY, (const uint8_t *)"m\0x\0\0", 6),
					 CPUU_OK);
			cpuu_reg_key_free(ak);
		}
		cpuu_reg_commit_opts nb = { .no_backup = 1 };
		assert_int_equal(cpuu_reg_commit(areg, &nb), CPUU_OK);
		cpuu_reg_free(areg);
	}

	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_int_equal(mask, CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
	assert_true(find(r, "Outlook", "alice@source.example")->changes > 5);
	assert_int_equal(find(r, "Outlook", "bob@source.example")->outcome, CPUU_OUTCOME_NOT_SWITCHED);
	assert_int_equal(find(r, "Old", "carol@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
	assert_int_equal(find(r, "Outlook", "additional:" SRC_AG "sales")->outcome, CPUU_OUTCOME_SWITCHED);
	assert_int_equal(find(r, "Outlook", "additional:" SRC_AG "board")->outcome, CPUU_OUTCOME_SKIPPED);
	assert_int_equal(find_wide(r, "autodiscover:16.0")->outcome, CPUU_OUTCOME_SWITCHED);
	assert_int_equal(find_wide(r, "autodiscover:15.0")->outcome, CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);

	cpuu_profile_set *after = load(e.u.hive);
	const cpuu_account *alice = account_by_uid(after, "Outlook", NULL, alice_uid);
	assert_string_equal(alice->legacy_dn, TRG_AG "alice");
	assert_string_equal(alice->smtp, "alice@target.example");
	assert_string_equal(alice->home_server, "aaaaaaaa-2222-4333-8444-555555555555@target.example");
	assert_string_equal(alice->mailbox_guid, "aaaaaaaa-2222-4333-8444-555555555555");
	assert_string_equal(alice->server_dn,
			    "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/"
			    "cn=aaaaaaaa-2222-4333-8444-555555555555@target.example");
	/* A different mailbox: a new OST beside the old one. */
	assert_string_equal(alice->ost_path, "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@target.example.ost");
	assert_int_equal(alice->cached, 1);
	/* Shared mailboxes follow their owners: sales moved, board did not. */
	assert_int_equal(alice->nadditional, 2);
	for (size_t i = 0; i < alice->nadditional; i++) {
		const cpuu_additional_mailbox *mb = &alice->additional[i];
		if (!strcmp(mb->display_name, "Sales Shared")) {
			assert_string_equal(mb->mailbox_dn, TRG_AG "sales");
			assert_string_equal(mb->server, "cccccccc-2222-4333-8444-555555555555@target.example");
		} else {
			assert_string_equal(mb->display_name, "Board Room");
			assert_string_equal(mb->mailbox_dn, SRC_AG "board");
		}
	}
	const cpuu_account *bob = account_by_uid(after, "Outlook", NULL, bob_uid);
	assert_string_equal(bob->legacy_dn, SRC_AG "bob");
	assert_string_equal(bob->smtp, "bob@source.example");
	/* Exchange Online: an Autodiscover-only account on the target address. */
	const cpuu_account *carol = account_by_uid(after, "Old", NULL, carol_uid);
	assert_string_equal(carol->smtp, "carol@target.onmicrosoft.com");
	assert_null(carol->legacy_dn);
	assert_null(carol->home_server);
	assert_string_equal(carol->display_name, "carol@target.onmicrosoft.com");
	cpuu_profile_set_free(after);

	/* Autodiscover: SCP lookups off for both versions, the source domain's
	 * override gone, the rest kept. */
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	uint32_t dw = 0;
	char *str = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, AD16), CPUU_OK);
	assert_int_equal(cpuu_reg_get_dword(&dw, reg, k, "ExcludeScpLookup"), CPUU_OK);
	assert_int_equal(dw, 1);
	assert_int_equal(cpuu_reg_get_string(&str, reg, k, "source.example"), CPUU_ENOTFOUND);
	assert_int_equal(cpuu_reg_get_string(&str, reg, k, "other.example"), CPUU_OK);
	assert_string_equal(str, "C:\\ad\\other.xml");
	free(str);
	assert_int_equal(cpuu_reg_get_dword(&dw, reg, k, "PreferLocalXML"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, AD15), CPUU_OK);
	assert_int_equal(cpuu_reg_get_dword(&dw, reg, k, "ExcludeScpLookup"), CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);

	/* Both address-book sections now name the target server, no FQDN. */
	{
		cpuu_reg *areg = NULL;
		assert_int_equal(cpuu_reg_open_hive(&areg, e.u.hive, 0), CPUU_OK);
		const char *paths[2] = { ab_path, PROFILE16 "\\dca740c8c042101ab4b908002b2fe182" };
		for (int i = 0; i < 2; i++) {
			cpuu_reg_key *ak = NULL;
			char *astr = NULL;
			cpuu_reg_value v;
			assert_int_equal(cpuu_reg_key_open(&ak, areg, NULL, paths[i]), CPUU_OK);
			assert_int_equal(cpuu_reg_value_get(&v, areg, ak, "001f6602"), CPUU_OK);
			assert_int_equal(cpuu_utf16le_to_utf8(&astr, NULL, v.data, v.len, 0), CPUU_OK);
			assert_string_equal(astr, "aaaaaaaa-2222-4333-8444-555555555555@target.example");
			free(astr);
			cpuu_reg_value_clear(&v);
			assert_int_equal(cpuu_reg_value_get(&v, areg, ak, "001f662a"), CPUU_ENOTFOUND);
			cpuu_reg_key_free(ak);
		}
		cpuu_reg_free(areg);
	}

	/* A second run changes nothing, not a byte. */
	char *copy = test_path(e.u.dir, "after-first-run.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_int_equal(mask, CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	assert_int_equal(find(r, "Outlook", "alice@target.example")->outcome, CPUU_OUTCOME_ALREADY_SWITCHED);
	assert_int_equal(find(r, "Old", "carol@target.onmicrosoft.com")->outcome, CPUU_OUTCOME_ALREADY_SWITCHED);
	assert_int_equal(find(r, "Outlook", "additional:" TRG_AG "sales")->outcome, CPUU_OUTCOME_ALREADY_SWITCHED);
	/* A feature with nothing of the source left says so: no switch of the
	 * user is claimed (issue 14; it was already_switched). */
	assert_int_equal(find_wide(r, "autodiscover:16.0")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	assert_int_equal(find_wide(r, "autodiscover:16.0")->changes, 0);
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));
	free(copy);
	env_teardown(&e);
}

static void check_rollback_exact(const char *real_base)
{
	env e;
	env_setup(&e, real_base, NULL);
	char *original = dump(e.u.hive);
	assert_int_equal(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS, CPUU_EXIT_SUCCESS);
	char *switched = dump(e.u.hive);
	assert_string_not_equal(original, switched);

	/* The backup holds the secure value's place, not its bytes. */
	if (!real_base) {
		DIR *d = opendir(e.u.state);
		assert_non_null(d);
		struct dirent *de;
		char *file = NULL;
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".reg"))
				file = test_path(e.u.state, de->d_name);
		closedir(d);
		assert_non_null(file);
		cpuu_regtext *doc = NULL;
		assert_int_equal(cpuu_regtext_read_file(&doc, file), CPUU_OK);
		free(file);
		int placeholder = 0;
		for (size_t i = 0; i < doc->nkeys; i++)
			for (size_t j = 0; j < doc->keys[i].nvalues; j++)
				if (!strcmp(doc->keys[i].values[j].name, "S001f6700")) {
					assert_int_equal(doc->keys[i].values[j].type, CPUU_REG_NONE);
					assert_int_equal(doc->keys[i].values[j].len, 0);
					placeholder++;
				}
		assert_int_equal(placeholder, 1);
		cpuu_regtext_free(doc);
	}

	cpuu_results *r = NULL;
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, &r), CPUU_EXIT_SUCCESS);
	assert_int_equal(find(r, "Outlook", NULL)->outcome, CPUU_OUTCOME_ROLLED_BACK);
	assert_int_equal(find(r, "Old", NULL)->outcome, CPUU_OUTCOME_ROLLED_BACK);
	/* Named as Update names them, with the Office version. */
	assert_int_equal(find_wide(r, "autodiscover:16.0")->outcome, CPUU_OUTCOME_ROLLED_BACK);
	assert_int_equal(find_wide(r, "autodiscover:15.0")->outcome, CPUU_OUTCOME_ROLLED_BACK);
	for (size_t i = 0; i < r->count; i++)
		assert_true(!r->items[i].account || strcmp(r->items[i].account, "autodiscover:"));
	cpuu_results_free(r);
	char *restored = dump(e.u.hive);
	assert_string_equal(original, restored);

	/* Twice is safe: nothing left to undo, and the file is not touched. */
	char *copy = test_path(e.u.dir, "after-rollback.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, &r), CPUU_EXIT_CANNOT_START);
	assert_int_equal(r->items[0].outcome, CPUU_OUTCOME_NOTHING_TO_UNDO);
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));
	free(copy);
	free(original);
	free(switched);
	free(restored);
	env_teardown(&e);
}

/* before_change comes once, before the first change, and only when the run
 * changes something: not in a dry run, not on a second (no-op) update, not
 * in a rollback or cleanup with nothing to undo. Refused, nothing changes. */
static void test_before_change_only_when_changing(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	char *before = dump(e.u.hive);
	e.hook_refuse = 1;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, NULL);
	assert_int_equal(e.hook_calls, 1);
	assert_true(mask & CPUU_EXIT_SWITCH_ERR);
	assert_false(mask & CPUU_EXIT_SUCCESS);
	char *after = dump(e.u.hive);
	assert_string_equal(before, after);
	free(after);
	e.hook_refuse = 0;
	e.hook_calls = 0;
	run(&e, CPUU_MODE_UPDATE, 1, NULL);
	assert_int_equal(e.hook_calls, 0);
	run(&e, CPUU_MODE_ROLLBACK, 0, NULL);
	assert_int_equal(e.hook_calls, 0);
	run(&e, CPUU_MODE_CLEANUP, 0, NULL);
	assert_int_equal(e.hook_calls, 0);
	mask = run(&e, CPUU_MODE_UPDATE, 0, NULL);
	assert_int_equal(e.hook_calls, 1);
	assert_true(mask & CPUU_EXIT_SUCCESS);
	run(&e, CPUU_MODE_UPDATE, 0, NULL);
	assert_int_equal(e.hook_calls, 1);
	run(&e, CPUU_MODE_ROLLBACK, 1, NULL);
	assert_int_equal(e.hook_calls, 1);
	run(&e, CPUU_MODE_ROLLBACK, 0, NULL);
	assert_int_equal(e.hook_calls, 2);
	after = dump(e.u.hive);
	assert_string_equal(before, after);
	free(after);
	run(&e, CPUU_MODE_ROLLBACK, 0, NULL);
	assert_int_equal(e.hook_calls, 2);
	free(before);
	env_teardown(&e);
}

static void test_rollback_restores_exactly(void **state)
{
	(void)state;
	check_rollback_exact(NULL);
}

static void test_rollback_exact_in_real_hives(void **state)
{
	(void)state;
	const char *names[] = { "win7pro-NTUSER.DAT", "win81-NTUSER.DAT" };
	int ran = 0;
	for (size_t i = 0; i < 2; i++) {
		char *p = test_real_hive(names[i]);
		if (!p)
			continue;
		check_rollback_exact(p);
		free(p);
		ran++;
	}
	if (!ran)
		skip();
}

static void test_cleanup_drops_backups(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	run(&e, CPUU_MODE_UPDATE, 0, NULL);
	/* Cleanup drops cpuu's backup index; the profiles stay as switched. */
	char *switched = dump_at(e.u.hive, "Software\\Microsoft\\Office");
	cpuu_results *r = NULL;
	assert_int_equal(run(&e, CPUU_MODE_CLEANUP, 0, &r), CPUU_EXIT_SUCCESS);
	assert_int_equal(find(r, "Outlook", NULL)->outcome, CPUU_OUTCOME_CLEANED);
	cpuu_results_free(r);
	/* The backups are gone with the state folder... */
	assert_int_not_equal(access(e.u.state, F_OK), 0);
	/* ...so Rollback has nothing to undo, and Cleanup twice is harmless. */
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, &r), CPUU_EXIT_CANNOT_START);
	assert_int_equal(r->items[0].outcome, CPUU_OUTCOME_NOTHING_TO_UNDO);
	cpuu_results_free(r);
	assert_int_equal(run(&e, CPUU_MODE_CLEANUP, 0, NULL), CPUU_EXIT_CANNOT_START);
	char *after = dump_at(e.u.hive, "Software\\Microsoft\\Office");
	assert_string_equal(switched, after);
	/* The switch markers survive Cleanup: Update still knows its work. */
	assert_int_equal(run(&e, CPUU_MODE_UPDATE, 0, &r), CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	assert_int_equal(find(r, "Outlook", "alice@target.example")->outcome, CPUU_OUTCOME_ALREADY_SWITCHED);
	cpuu_results_free(r);
	free(switched);
	free(after);
	env_teardown(&e);
}

static void test_dry_run_writes_nothing(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	cpuu_results *r = NULL;
	assert_int_equal(run(&e, CPUU_MODE_UPDATE, 1, &r), CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_PLANNED);
	assert_non_null(r->plan_text);
	assert_non_null(strstr(r->plan_text, "+\"001f6603\"=\"" TRG_AG "alice\""));
	assert_non_null(strstr(r->plan_text, "-\"001f664a\""));
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));
	assert_int_not_equal(access(e.u.state, F_OK), 0);
	free(copy);
	env_teardown(&e);
}

static void test_ambiguous_is_never_switched(void **state)
{
	(void)state;
	env e;
	/* A second row claiming alice's SMTP address makes her ambiguous. */
	env_setup(&e, NULL,
		  "/o=Other/cn=Recipients/cn=x,alice@source.example,,," TRG_AG "x,x@target.example,,,onprem,,true\n");
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_true(mask & CPUU_EXIT_SWITCH_ERR);
	assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_AMBIGUOUS);
	cpuu_results_free(r);
	/* carol was still switched, alice's values are untouched. */
	cpuu_profile_set *set = load(e.u.hive);
	for (size_t i = 0; i < set->nprofiles; i++)
		for (size_t j = 0; j < set->profiles[i].naccounts; j++)
			if (set->profiles[i].accounts[j].legacy_dn &&
			    strstr(set->profiles[i].accounts[j].legacy_dn, "cn=alice"))
				assert_string_equal(set->profiles[i].accounts[j].legacy_dn, SRC_AG "alice");
	cpuu_profile_set_free(set);
	free(copy);
	env_teardown(&e);
}

static void test_bad_hive_changes_nothing(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	/* Not a hive at all. */
	assert_int_equal(test_write_file(e.u.hive, "not a hive, just text\n", 22), 0);
	cpuu_run_opts o;
	cpuu_run_opts_init(&o);
	o.state_dir = e.u.state;
	cpuu_results *r = NULL;
	assert_int_equal(cpuu_run_hive(&r, e.u.hive, &o, &e.u.resolver), CPUU_ECORRUPT);
	assert_true(r->exit_mask & CPUU_EXIT_GLOBAL_ERR);
	assert_int_equal(r->items[0].outcome, CPUU_OUTCOME_ERROR);
	cpuu_results_free(r);
	size_t n;
	uint8_t *data = test_read_file(e.u.hive, &n);
	assert_int_equal(n, 22);
	free(data);
	env_teardown(&e);
}

static void test_results_jsonl(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	cpuu_results *r = NULL;
	run(&e, CPUU_MODE_UPDATE, 0, &r);
	char *text = NULL;
	assert_int_equal(cpuu_results_to_jsonl(&text, r), CPUU_OK);
	size_t lines = 0;
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, r->count);
	assert_non_null(strstr(text, "\"user\":\"alice\""));
	assert_non_null(strstr(text, "\"outcome\":\"switched\""));
	assert_non_null(strstr(text, "\"mode\":\"update\""));
	cpuu_free(text);
	cpuu_results_free(r);
	env_teardown(&e);
}

static void test_local_paths_stay_in_the_user_folder(void **state)
{
	(void)state;
	char *p = upd_local_path("/u/alice", "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\a.ost");
	assert_string_equal(p, "/u/alice/AppData/Local/Microsoft/Outlook/a.ost");
	free(p);
	p = upd_local_path("/u/alice", "d:\\users\\ALICE\\x.ost");
	assert_string_equal(p, "/u/alice/x.ost");
	free(p);
	static const char *const refused[] = {
		"C:\\Users\\alice\\..\\..\\etc\\passwd", "C:\\Users\\alice\\AppData\\..\\x.ost",
		"C:\\Users\\alice\\.\\x.ost", "D:\\Data\\x.ost", "\\\\server\\share\\x.ost",
		"C:\\Users\\alice\\", "C:\\Users\\alice\\a\\\\b.ost", "relative\\x.ost", "",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if ((p = upd_local_path("/u/alice", refused[i]))) {
			free(p);
			fail_msg("accepted %s", refused[i]);
		}
	assert_null(upd_local_path(NULL, "C:\\Users\\alice\\x.ost"));
}

/* A different target mailbox: the old OST is renamed aside after the commit,
 * never deleted, and Rollback brings it back with its bytes. */
static void test_old_ost_renamed_aside_and_back(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	e.user_dir = test_path(e.u.dir, "alice");
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/AppData/Local/Microsoft/Outlook'", e.user_dir);
	assert_int_equal(system(cmd), 0);
	char ost[4200], aside[4300];
	snprintf(ost, sizeof ost, "%s/AppData/Local/Microsoft/Outlook/alice@source.example.ost", e.user_dir);
	snprintf(aside, sizeof aside, "%s.cpuu-old", ost);
	assert_int_equal(test_write_file(ost, "!BDN offline data", 17), 0);
	/* The source's offline address book and a cached Autodiscover answer. */
	char oab[4200], oab_file[4400], xml[4300];
	snprintf(oab, sizeof oab, "%s/AppData/Local/Microsoft/Outlook/Offline Address Books", e.user_dir);
	snprintf(oab_file, sizeof oab_file, "%s/udetails.oab", oab);
	snprintf(xml, sizeof xml, "%s/AppData/Local/Microsoft/Outlook/1f2e3d - Autodiscover.xml", e.user_dir);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", oab);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(test_write_file(oab_file, "OAB", 3), 0);
	assert_int_equal(test_write_file(xml, "<Autodiscover/>", 15), 0);

	assert_true(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS);
	assert_int_not_equal(access(ost, F_OK), 0);
	assert_int_not_equal(access(oab, F_OK), 0);
	assert_int_not_equal(access(xml, F_OK), 0);
	char oab_aside[4400], xml_aside[4400];
	snprintf(oab_aside, sizeof oab_aside, "%s.cpuu-old/udetails.oab", oab);
	snprintf(xml_aside, sizeof xml_aside, "%s.cpuu-old", xml);
	assert_int_equal(access(oab_aside, F_OK), 0);
	assert_int_equal(access(xml_aside, F_OK), 0);
	size_t n;
	uint8_t *data = test_read_file(aside, &n);
	assert_non_null(data);
	assert_int_equal(n, 17);
	free(data);
	/* carol's OST (C:\Users\alice\...\carol.ost) was never there: nothing to move. */
	assert_int_equal(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SWITCH_ERR, 0);

	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	data = test_read_file(ost, &n);
	assert_non_null(data);
	assert_memory_equal(data, "!BDN offline data", 17);
	free(data);
	assert_int_not_equal(access(aside, F_OK), 0);
	data = test_read_file(oab_file, &n);
	assert_non_null(data);
	assert_memory_equal(data, "OAB", 3);
	free(data);
	data = test_read_file(xml, &n);
	assert_non_null(data);
	assert_memory_equal(data, "<Autodiscover/>", 15);
	free(data);
	env_teardown(&e);
}

/* A batch (bulk runs: one filesystem sync for many hives) gives exactly what
 * single runs give; a bad hive in it fails alone. */
static void test_batch_equals_single_runs(void **state)
{
	(void)state;
	env single, batch[3];
	env_setup(&single, NULL, NULL);
	run(&single, CPUU_MODE_UPDATE, 0, NULL);
	char *want = dump_at(single.u.hive, "Software\\Microsoft\\Office");
	for (int i = 0; i < 3; i++)
		env_setup(&batch[i], NULL, NULL);
	assert_int_equal(test_write_file(batch[1].u.hive, "garbage, not a hive", 19), 0);
	const char *paths[3] = { batch[0].u.hive, batch[1].u.hive, batch[2].u.hive };
	cpuu_results *res[3] = { 0 };
	cpuu_run_opts o;
	cpuu_run_opts_init(&o);
	o.user = "alice";
	assert_int_equal(cpuu_run_hives(res, paths, 3, &o, &batch[0].u.resolver), CPUU_OK);
	assert_int_equal(res[0]->exit_mask, CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	assert_true(res[1]->exit_mask & CPUU_EXIT_GLOBAL_ERR);
	assert_int_equal(res[2]->exit_mask, CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	for (int i = 0; i < 3; i += 2) {
		char *got = dump_at(batch[i].u.hive, "Software\\Microsoft\\Office");
		assert_string_equal(got, want);
		free(got);
		/* ...and rolls back like any other run (backups beside each hive). */
		cpuu_results *r = NULL;
		o.mode = CPUU_MODE_ROLLBACK;
		assert_int_equal(cpuu_run_hive(&r, batch[i].u.hive, &o, NULL), CPUU_OK);
		assert_int_equal(r->exit_mask, CPUU_EXIT_SUCCESS);
		cpuu_results_free(r);
		o.mode = CPUU_MODE_UPDATE;
	}
	for (int i = 0; i < 3; i++) {
		cpuu_results_free(res[i]);
		env_teardown(&batch[i]);
	}
	free(want);
	env_teardown(&single);
}

#define CONTAB_SECTION "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\c0a1b2c3d4e5f60718293a4b5c6d7e8f"

static void put_mv(cpuu_reg *reg, cpuu_reg_key *k, cpuu_mapi_value *v)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char name[10];
	cpuu_mapi_tag_format(name, v->tag, 0);
	assert_int_equal(cpuu_mapi_value_encode(&data, &len, v, CPUU_REG_BINARY), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, name, CPUU_REG_BINARY, data, len), CPUU_OK);
	free(data);
}

/* An Outlook Address Book section listing alice's and bob's contacts folders. */
static void add_contab(const char *hive)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, CONTAB_SECTION), CPUU_OK);
	cpuu_mapi_bin stores[2], folders[2];
	const char *dns[2] = { SRC_AG "alice", SRC_AG "bob" };
	for (int i = 0; i < 2; i++) {
		cpuu_store_eid e;
		memset(&e, 0, sizeof e);
		memcpy(e.wrapped_provider, cpuu_mapi_uid_private_mdb, 16);
		e.wrapped_type = 0x0C;
		e.server = (char *)"mbx.source.example";
		e.mailbox_dn = (char *)dns[i];
		assert_int_equal(cpuu_store_eid_build(&stores[i].data, &stores[i].len, &e), CPUU_OK);
		/* A folder entry ID (MS-OXCDATA 2.2.4.1): 46 bytes; content opaque here. */
		folders[i].len = 46;
		folders[i].data = calloc(1, 46);
		folders[i].data[20] = (uint8_t)(0x10 + i);
	}
	char *names[2] = { (char *)"Contacts", (char *)"Bob Contacts" };
	int32_t masks[2] = { 0x1, 0x2 };
	cpuu_mapi_value v;
	memset(&v, 0, sizeof v);
	v.tag = CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x6626);
	v.u.mv.count = 2;
	v.u.mv.v.bin = stores;
	put_mv(reg, k, &v);
	v.tag = CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x6620);
	v.u.mv.v.bin = folders;
	put_mv(reg, k, &v);
	v.tag = CPUU_PROP_TAG(CPUU_PT_MV_UNICODE, 0x6623);
	v.u.mv.v.str = names;
	put_mv(reg, k, &v);
	v.tag = CPUU_PROP_TAG(CPUU_PT_MV_LONG, 0x6621);
	v.u.mv.v.l = masks;
	put_mv(reg, k, &v);
	for (int i = 0; i < 2; i++) {
		free(stores[i].data);
		free(folders[i].data);
	}
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_free(reg);
}

static cpuu_mapi_value get_mv(const char *hive, uint32_t tag)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	cpuu_reg_value rv;
	char name[10];
	cpuu_mapi_tag_format(name, tag, 0);
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, CONTAB_SECTION), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&rv, reg, k, name), CPUU_OK);
	cpuu_mapi_value v;
	assert_int_equal(cpuu_mapi_value_decode(&v, tag, rv.type, rv.data, rv.len), CPUU_OK);
	cpuu_reg_value_clear(&rv);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	return v;
}

/* The Outlook Address Book follows the mailbox: a different target mailbox
 * drops its folder entries (the folder IDs cannot be valid there), the same
 * mailbox keeps them with its store entry rebuilt; others stay. */
static void test_contab_follows_the_mailbox(void **state)
{
	(void)state;
	for (int same = 0; same < 2; same++) {
		env e;
		/* same: alice's target keeps her mailbox GUID (a move that preserves it). */
		env_setup(&e, NULL, NULL);
		if (same) {
			cpuu_mapping_free(e.u.map);
			char csv[8192];
			snprintf(csv, sizeof csv, "%s%s%s", mapping_header,
				 SRC_AG "alice,alice@source.example,11111111-2222-4333-8444-555555555555,," TRG_AG
				 "alice,alice@target.example,11111111-2222-4333-8444-555555555555,Alice,onprem,"
				 "11111111-2222-4333-8444-555555555555@target.example,true\n",
				 SRC_AG "bob,bob@source.example,,," TRG_AG "bob,bob@target.example,,Bob,onprem,,false\n");
			assert_int_equal(cpuu_mapping_load_buffer(&e.u.map, csv, strlen(csv)), CPUU_OK);
			e.u.resolver.ctx = e.u.map;
		}
		add_contab(e.u.hive);
		char *before = dump(e.u.hive);
		assert_true(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS);
		cpuu_mapi_value stores = get_mv(e.u.hive, CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x6626));
		cpuu_mapi_value folders = get_mv(e.u.hive, CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x6620));
		cpuu_mapi_value names = get_mv(e.u.hive, CPUU_PROP_TAG(CPUU_PT_MV_UNICODE, 0x6623));
		cpuu_mapi_value masks = get_mv(e.u.hive, CPUU_PROP_TAG(CPUU_PT_MV_LONG, 0x6621));
		assert_int_equal(stores.u.mv.count, same ? 2 : 1);
		assert_int_equal(folders.u.mv.count, stores.u.mv.count);
		assert_int_equal(names.u.mv.count, stores.u.mv.count);
		assert_int_equal(masks.u.mv.count, stores.u.mv.count);
		cpuu_store_eid eid;
		size_t bob = same ? 1 : 0;
		assert_string_equal(names.u.mv.v.str[bob], "Bob Contacts");
		assert_int_equal(masks.u.mv.v.l[bob], 0x2);
		assert_int_equal(folders.u.mv.v.bin[bob].data[20], 0x11);
		assert_int_equal(cpuu_store_eid_parse(&eid, stores.u.mv.v.bin[bob].data, stores.u.mv.v.bin[bob].len), CPUU_OK);
		assert_string_equal(eid.mailbox_dn, SRC_AG "bob");
		cpuu_store_eid_clear(&eid);
		if (same) {
			assert_int_equal(cpuu_store_eid_parse(&eid, stores.u.mv.v.bin[0].data, stores.u.mv.v.bin[0].len),
					 CPUU_OK);
			assert_string_equal(eid.mailbox_dn, TRG_AG "alice");
			assert_string_equal(eid.server, "11111111-2222-4333-8444-555555555555@target.example");
			cpuu_store_eid_clear(&eid);
			assert_int_equal(folders.u.mv.v.bin[0].data[20], 0x10);
		}
		cpuu_mapi_value_clear(&stores);
		cpuu_mapi_value_clear(&folders);
		cpuu_mapi_value_clear(&names);
		cpuu_mapi_value_clear(&masks);
		/* Idempotent, and rolled back exactly. */
		char *copy = test_path(e.u.dir, "switched.DAT");
		assert_int_equal(test_copy_file(e.u.hive, copy), 0);
		run(&e, CPUU_MODE_UPDATE, 0, NULL);
		assert_true(test_files_equal(copy, e.u.hive));
		run(&e, CPUU_MODE_ROLLBACK, 0, NULL);
		char *after = dump(e.u.hive);
		assert_string_equal(before, after);
		free(copy);
		free(before);
		free(after);
		env_teardown(&e);
	}
}

/* An autocomplete stream (outlook-profile.md §5; 12/0 as in RoamCache), by
 * hand from the documented layout: magic, version, rows of properties
 * {tag, reserved, 8-byte union, [count + data]}, extra info, FILETIME. */
static void ac_u32(uint8_t **p, uint32_t v)
{
	(*p)[0] = (uint8_t)v;
	(*p)[1] = (uint8_t)(v >> 8);
	(*p)[2] = (uint8_t)(v >> 16);
	(*p)[3] = (uint8_t)(v >> 24);
	*p += 4;
}

static void ac_text(uint8_t **p, uint32_t tag, const char *ascii)
{
	ac_u32(p, tag);
	ac_u32(p, 0);
	memset(*p, 0, 8);
	*p += 8;
	size_t n = strlen(ascii);
	ac_u32(p, (uint32_t)(2 * n + 2));
	for (size_t i = 0; i <= n; i++) {
		(*p)[2 * i] = (uint8_t)ascii[i];
		(*p)[2 * i + 1] = 0;
	}
	*p += 2 * n + 2;
}

static void ac_long(uint8_t **p, uint32_t tag, uint32_t v)
{
	ac_u32(p, tag);
	ac_u32(p, 0);
	ac_u32(p, v);
	ac_u32(p, 0);
}

/* with_alice: 0 no row of alice, 1 her row, AC_ALICE_KEPT_WHOLE her row
 * with PR_ACCOUNT (0x3A00001F) holding her source address as text, a
 * property cpuu does not rebuild (docs/autocomplete.md): the row can only
 * be kept whole. */
#define AC_ALICE_KEPT_WHOLE 2
static size_t make_stream_rows(uint8_t *buf, int with_alice)
{
	uint8_t *p = buf;
	ac_u32(&p, 0xBAADF00Du);
	ac_u32(&p, 12);
	ac_u32(&p, 0);
	ac_u32(&p, with_alice ? 2 : 1);
	/* alice, by her source legacyExchangeDN */
	if (with_alice) {
		ac_u32(&p, with_alice == AC_ALICE_KEPT_WHOLE ? 6 : 5);
		ac_text(&p, 0x6001001F, "Alice Example");
		ac_text(&p, 0x3002001F, "EX");
		ac_text(&p, 0x3003001F, SRC_AG "alice");
		ac_text(&p, 0x39FE001F, "alice@source.example");
		if (with_alice == AC_ALICE_KEPT_WHOLE)
			ac_text(&p, 0x3A00001F, "alice@source.example");
		ac_long(&p, 0x60040003, 0x4000);
	}
	/* someone outside the migration, by SMTP only */
	ac_u32(&p, 3);
	ac_text(&p, 0x6001001F, "Zed Outside");
	ac_text(&p, 0x3002001F, "SMTP");
	ac_long(&p, 0x60040003, 0x2000);
	ac_u32(&p, 0);            /* extra info */
	memset(p, 0x11, 8);       /* FILETIME */
	p += 8;
	return (size_t)(p - buf);
}

/* A CONTAB section whose arrays disagree is refused for that account, with
 * the value named, and nothing of the account changes. */
static void test_contab_inconsistent_refused(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	add_contab(e.u.hive);
	/* One folder name too many. */
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, CONTAB_SECTION), CPUU_OK);
	char *names[3] = { (char *)"Contacts", (char *)"Bob Contacts", (char *)"Extra" };
	cpuu_mapi_value v;
	memset(&v, 0, sizeof v);
	v.tag = CPUU_PROP_TAG(CPUU_PT_MV_UNICODE, 0x6623);
	v.u.mv.count = 3;
	v.u.mv.v.str = names;
	put_mv(reg, k, &v);
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_free(reg);
	char *before = dump_at(e.u.hive, PROFILE16);

	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_true(mask & CPUU_EXIT_SWITCH_ERR);
	const cpuu_result *alice = find(r, "Outlook", "alice@source.example");
	assert_int_equal(alice->outcome, CPUU_OUTCOME_ERROR);
	assert_non_null(strstr(alice->message, "6623"));
	assert_non_null(strstr(alice->message, "3 entries where the store list has 2"));
	cpuu_results_free(r);
	/* alice's profile as it was (carol's, elsewhere, was switched). */
	char *after = dump_at(e.u.hive, PROFILE16);
	assert_string_equal(before, after);
	free(before);
	free(after);
	env_teardown(&e);
}

/* A user folder with one autocomplete stream (alice's row or not, as
 * make_stream_rows); nk2[4400]: where the hand-over of profile "Outlook"
 * goes. */
static void ac_env_setup(env *e, char *nk2, int with_alice)
{
	env_setup(e, NULL, NULL);
	e->user_dir = test_path(e->u.dir, "alice");
	char cmd[4400], stream[4400];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/AppData/Local/Microsoft/Outlook/RoamCache' '%s/AppData/Roaming/Microsoft/Outlook'",
		 e->user_dir, e->user_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(stream, sizeof stream, "%s/AppData/Local/Microsoft/Outlook/RoamCache/Stream_Autocomplete_0_0123456789ABCDEF0123456789ABCDEF.dat",
		 e->user_dir);
	snprintf(nk2, 4400, "%s/AppData/Roaming/Microsoft/Outlook/Outlook.nk2", e->user_dir);
	uint8_t buf[4096];
	size_t n = make_stream_rows(buf, with_alice);
	assert_int_equal(test_write_file(stream, buf, n), 0);
}

/* The autocomplete cache follows: rewritten, handed to Outlook as
 * <profile>.nk2 with a RunOnce import, once; Rollback takes it all back. */
static void test_autocomplete_handed_over(void **state)
{
	(void)state;
	env e;
	char nk2[4400], pending[4500];
	ac_env_setup(&e, nk2, 1);
	snprintf(pending, sizeof pending, "%s.cpuu-old", nk2);
	char *original = dump(e.u.hive);

	cpuu_results *r = NULL;
	assert_true(run(&e, CPUU_MODE_UPDATE, 0, &r) & CPUU_EXIT_SUCCESS);
	const cpuu_result *ac = find(r, "Outlook", "autocomplete");
	assert_int_equal(ac->outcome, CPUU_OUTCOME_SWITCHED);
	assert_int_equal(ac->changes, 1);
	cpuu_results_free(r);

	/* The handed-over file holds alice's target identity, the rest as it was. */
	size_t len;
	uint8_t *data = test_read_file(nk2, &len);
	assert_non_null(data);
	cpuu_autocomplete *parsed = NULL;
	assert_int_equal(cpuu_autocomplete_parse(&parsed, data, len), CPUU_OK);
	char *dn = NULL;
	assert_int_equal(cpuu_ac_prop_string(&dn, cpuu_ac_row_find(&parsed->rows[0], 0x3003001F)), CPUU_OK);
	assert_string_equal(dn, TRG_AG "alice");
	free(dn);
	assert_int_equal(parsed->row_count, 2);
	assert_int_equal(parsed->major, 10); /* what /importnk2 reads */
	cpuu_autocomplete_free(parsed);
	free(data);
	/* Outlook is told to import it once. */
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	cpuu_reg_value *vals = NULL;
	size_t nvals = 0;
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_values(&vals, &nvals, reg, k), CPUU_OK);
	/* Both profiles switched (the streams cannot be told apart by profile:
	 * docs/autocomplete.md), each imports its own .nk2. */
	assert_int_equal(nvals, 2);
	int outlook = 0, old = 0;
	for (size_t i = 0; i < nvals; i++) {
		char *cmdline = NULL;
		assert_int_equal(cpuu_reg_get_string(&cmdline, reg, k, vals[i].name), CPUU_OK);
		outlook += !strcmp(cmdline, "outlook.exe /importnk2 /profile \"Outlook\"");
		old += !strcmp(cmdline, "outlook.exe /importnk2 /profile \"Old\"");
		free(cmdline);
	}
	assert_true(outlook == 1 && old == 1);
	cpuu_reg_values_free(vals, nvals);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);

	/* Once: a second run hands nothing over again. */
	char *copy = test_path(e.u.dir, "switched.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	run(&e, CPUU_MODE_UPDATE, 0, NULL);
	assert_true(test_files_equal(copy, e.u.hive));
	assert_int_not_equal(access(pending, F_OK), 0);

	/* Rollback: the file goes, the registry is as before; the RunOnce key's
	 * record is named after the step that made it. */
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, &r), CPUU_EXIT_SUCCESS);
	assert_int_equal(find_wide(r, "autocomplete")->outcome, CPUU_OUTCOME_ROLLED_BACK);
	cpuu_results_free(r);
	assert_int_not_equal(access(nk2, F_OK), 0);
	char *back = dump(e.u.hive);
	assert_string_equal(back, original);
	free(back);
	free(copy);
	free(original);
	env_teardown(&e);
}

/* An autocomplete cache with no entry of a switched mailbox: the step has
 * nothing to do and says so (nothing_to_do, no exit bit), hands nothing
 * over and arms no import (issue 14; it said already_switched). */
static void test_autocomplete_nothing_to_do(void **state)
{
	(void)state;
	env e;
	char nk2[4400];
	ac_env_setup(&e, nk2, 0);

	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_int_equal(mask, CPUU_EXIT_SUCCESS | CPUU_EXIT_NO_SWITCH_MSG);
	const cpuu_result *ac = find(r, "Outlook", "autocomplete");
	assert_int_equal(ac->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	assert_string_equal(cpuu_outcome_name(ac->outcome), "nothing_to_do");
	assert_int_equal(ac->changes, 0);
	cpuu_results_free(r);
	assert_int_equal(upd_outcome_bits(CPUU_OUTCOME_NOTHING_TO_DO), 0);
	assert_int_not_equal(access(nk2, F_OK), 0);
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"),
			 CPUU_ENOTFOUND);
	cpuu_reg_free(reg);
	env_teardown(&e);
}

/* An autocomplete cache whose only row of a switched mailbox cannot be
 * rebuilt whole for the target: the row is kept as it was, never half
 * rewritten, and the step says so. Not nothing_to_do (the entry still names
 * the source): skipped, with the count and why; the cache file is left byte
 * for byte, nothing is handed over and no import is armed. */
static void test_autocomplete_kept_whole_only_is_skipped(void **state)
{
	(void)state;
	env e;
	char nk2[4400], stream[4400];
	ac_env_setup(&e, nk2, AC_ALICE_KEPT_WHOLE);
	snprintf(stream, sizeof stream,
		 "%s/AppData/Local/Microsoft/Outlook/RoamCache/Stream_Autocomplete_0_0123456789ABCDEF0123456789ABCDEF.dat",
		 e.user_dir);
	char *copy = test_path(e.u.dir, "stream-before.dat");
	assert_int_equal(test_copy_file(stream, copy), 0);

	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_true(mask & CPUU_EXIT_SUCCESS);
	assert_false(mask & CPUU_EXIT_SWITCH_ERR);
	assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
	const cpuu_result *ac = find(r, "Outlook", "autocomplete");
	assert_int_equal(ac->outcome, CPUU_OUTCOME_SKIPPED);
	assert_string_equal(cpuu_outcome_name(ac->outcome), "skipped");
	assert_int_equal(ac->changes, 0);
	assert_string_equal(ac->message, "1 entry of switched mailboxes could not be rebuilt whole for the target and "
					 "is kept as it was");
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, stream));
	assert_int_not_equal(access(nk2, F_OK), 0);
	char *whole = dump(e.u.hive);
	assert_null(strstr(whole, "importnk2"));
	free(whole);
	free(copy);
	env_teardown(&e);
}

/* Records whose account label starts with prefix. */
static size_t count_labels(const cpuu_results *r, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++)
		n += r->items[i].account && !strncmp(r->items[i].account, prefix, strlen(prefix));
	return n;
}

/* Each [Features] switch of the step table turns its step off, and only it. */
static void test_feature_switches_turn_steps_off(void **state)
{
	(void)state;
	static const struct {
		unsigned off;
		size_t additional, autocomplete, autodiscover;
	} cases[] = {
		{ 0, 2, 2, 2 },
		{ OFF_ADDBOXES, 0, 2, 2 },
		{ OFF_AUTOCOMPLETE, 2, 0, 2 },
		{ OFF_SCP, 2, 2, 2 },
		{ OFF_SCP | OFF_ADRESET, 2, 2, 0 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		env e;
		char nk2[4400];
		ac_env_setup(&e, nk2, 1);
		e.off = cases[c].off;
		cpuu_results *r = NULL;
		run(&e, CPUU_MODE_UPDATE, 0, &r);
		assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
		assert_int_equal(count_labels(r, "additional:"), cases[c].additional);
		assert_int_equal(count_labels(r, "autocomplete"), cases[c].autocomplete);
		assert_int_equal(count_labels(r, "autodiscover:"), cases[c].autodiscover);
		assert_int_equal(access(nk2, F_OK) == 0, cases[c].autocomplete > 0);
		cpuu_results_free(r);
		/* ExcludeScpLookup only where that switch is on. */
		cpuu_reg *reg = NULL;
		cpuu_reg_key *k = NULL;
		uint32_t dw = 0;
		assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
		int have_key = cpuu_reg_key_open(&k, reg, NULL, AD16) == CPUU_OK;
		assert_true(have_key);
		assert_int_equal(cpuu_reg_get_dword(&dw, reg, k, "ExcludeScpLookup") == CPUU_OK, !(cases[c].off & OFF_SCP));
		cpuu_reg_key_free(k);
		cpuu_reg_free(reg);
		env_teardown(&e);
	}
}

/* -Critical (docs/compat.md): the autocomplete hand-over of profile
 * "Outlook" fails (injected). Without Autocomplete critical the profile is
 * switched all the same; with it, nothing of that profile changes (keys,
 * markers, hand-over, RunOnce), its account records are errors, SWITCH_ERR
 * is set, and profile "Old" is switched as usual. */
static void test_critical_feature_keeps_profile(void **state)
{
	(void)state;
	for (int critical = 0; critical < 2; critical++) {
		env e;
		char nk2[4400];
		ac_env_setup(&e, nk2, 1);
		e.critical = critical ? CPUU_CRITICAL_AUTOCOMPLETE | CPUU_CRITICAL_ADDBOXES : 0;
		/* "Old" handed its cache over in an earlier run: only "Outlook" fails. */
		cpuu_reg *pre = NULL;
		assert_int_equal(cpuu_reg_open_hive(&pre, e.u.hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
		assert_int_equal(upd_state_set(pre, UPD_AUTOCOMPLETE_KEY, "Old", "handed over"), CPUU_OK);
		cpuu_reg_commit_opts no_backup = { .no_backup = 1 };
		assert_int_equal(cpuu_reg_commit(pre, &no_backup), CPUU_OK);
		cpuu_reg_free(pre);
		char *profile_before = dump_at(e.u.hive, PROFILE16);
		setenv("CPUU_FAULT", "autocomplete:write:fail", 1);
		cpuu_results *r = NULL;
		unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
		unsetenv("CPUU_FAULT");
		assert_true(mask & CPUU_EXIT_SWITCH_ERR);
		assert_int_equal(find(r, "Outlook", "autocomplete")->outcome, CPUU_OUTCOME_ERROR);
		const cpuu_result *alice = find(r, "Outlook", "alice@source.example");
		assert_int_equal(alice->outcome, critical ? CPUU_OUTCOME_ERROR : CPUU_OUTCOME_SWITCHED);
		if (critical)
			assert_non_null(strstr(alice->message, "critical feature of step 'autocomplete'"));
		assert_int_equal(find(r, "Old", "carol@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
		cpuu_results_free(r);
		char *profile_after = dump_at(e.u.hive, PROFILE16);
		assert_int_equal(strcmp(profile_before, profile_after) == 0, critical);
		char *whole = dump(e.u.hive);
		assert_null(strstr(whole, "importnk2")); /* no hand-over: no import */
		free(whole);
		assert_int_equal(access(nk2, F_OK), -1);
		cpuu_reg *reg = NULL;
		assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
		char *set_alice = NULL, *set_carol = NULL;
		cpuu_profile_set *set = NULL;
		assert_int_equal(cpuu_profiles_load(&set, reg), CPUU_OK);
		for (size_t i = 0; i < set->nprofiles; i++)
			for (size_t j = 0; j < set->profiles[i].naccounts; j++) {
				const cpuu_account *a = &set->profiles[i].accounts[j];
				if (a->legacy_dn && strstr(a->legacy_dn, "cn=alice"))
					set_alice = a->legacy_dn;
				if (a->smtp && strstr(a->smtp, "carol"))
					set_carol = a->smtp;
			}
		assert_non_null(set_alice);
		assert_non_null(set_carol);
		assert_int_equal(strstr(set_alice, "/o=Source/") != NULL, critical);
		assert_non_null(strstr(set_carol, "target"));
		/* No marker of a switch that did not happen. */
		cpuu_strlist names = { 0 };
		assert_int_equal(upd_state_names(&names, reg, UPD_SWITCHED_KEY), CPUU_OK);
		int outlook_marked = 0;
		for (size_t i = 0; i < names.count; i++)
			outlook_marked |= !strncmp(names.items[i], "Outlook|", 8);
		assert_int_equal(outlook_marked, !critical);
		cpuu_strlist_free(&names);
		cpuu_profile_set_free(set);
		cpuu_reg_free(reg);
		/* Rollback still brings back the original of what did switch. */
		assert_true(run(&e, CPUU_MODE_ROLLBACK, 0, NULL) & CPUU_EXIT_SUCCESS);
		char *rolled = dump_at(e.u.hive, PROFILE16);
		assert_string_equal(rolled, profile_before);
		free(rolled);
		free(profile_before);
		free(profile_after);
		env_teardown(&e);
	}
}

/* INVALID_SWITCH_MSG (docs/exit-codes.md): alice's only mapping row has an
 * invalid target_smtp (skipped by the loader with a warning), carol's is
 * marked switched but names no target. Neither is switched, each record
 * says "invalid", the mask has 512; the profiles are unchanged. */
static void test_invalid_correspondence(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	cpuu_mapping_free(e.u.map);
	static const char csv[] =
		"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
		"target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"
		SRC_AG "alice,alice@source.example,11111111-2222-4333-8444-555555555555,," TRG_AG
		"alice,not an address,,Alice Example,onprem,,true\n"
		SRC_AG "carol,carol@source.example,33333333-2222-4333-8444-555555555555,,,,,Carol,online,,true\n"
		SRC_AG "bob,bob@source.example,22222222-2222-4333-8444-555555555555,," TRG_AG
		"bob,bob@target.example,,Bob Second,onprem,,false\n";
	assert_int_equal(cpuu_mapping_load_buffer(&e.u.map, csv, strlen(csv)), CPUU_OK);
	assert_int_equal(cpuu_mapping_warnings(e.u.map)->count, 1);
	e.u.resolver.ctx = e.u.map;
	char *before = dump(e.u.hive);
	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_true(mask & CPUU_EXIT_INVALID_SWITCH_MSG);
	assert_false(mask & CPUU_EXIT_SUCCESS);
	assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_INVALID);
	assert_int_equal(find(r, "Old", "carol@source.example")->outcome, CPUU_OUTCOME_INVALID);
	assert_non_null(strstr(find(r, "Old", "carol@source.example")->message, "no target"));
	assert_int_equal(find(r, "Outlook", "bob@source.example")->outcome, CPUU_OUTCOME_NOT_SWITCHED);
	assert_string_equal(cpuu_outcome_name(CPUU_OUTCOME_INVALID), "invalid");
	cpuu_results_free(r);
	char *after = dump(e.u.hive);
	assert_string_equal(before, after);
	free(before);
	free(after);
	env_teardown(&e);
}

/* A --profiles name no profile has: an error record naming it (SWITCH_ERR),
 * not a silent success; the named profile that exists is processed. */
static void test_missing_profile_name(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	char *items[] = { "old", "No Such Profile" };
	cpuu_strlist names = { items, 2 };
	cpuu_run_opts o;
	update_env_opts(&o, &e.u, CPUU_MODE_UPDATE, 0);
	o.profiles = &names;
	cpuu_results *r = NULL;
	assert_int_equal(cpuu_run_hive(&r, e.u.hive, &o, &e.u.resolver), CPUU_OK);
	assert_true(r->exit_mask & CPUU_EXIT_SWITCH_ERR);
	assert_true(r->exit_mask & CPUU_EXIT_SUCCESS);
	const cpuu_result *x = find(r, "No Such Profile", NULL);
	assert_int_equal(x->outcome, CPUU_OUTCOME_ERROR);
	assert_non_null(strstr(x->message, "no profile of this name"));
	assert_int_equal(find(r, "Old", "carol@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
	for (size_t i = 0; i < r->count; i++)
		assert_false(r->items[i].profile && !strcmp(r->items[i].profile, "old")); /* matched, case aside */
	cpuu_results_free(r);
	env_teardown(&e);
}

/* AllowAdditionalServices: profile "Outlook" holds a PST (MSUPST MS). Not
 * listed, the profile is skipped and unchanged; listed, it is switched. */
static void test_allowed_services(void **state)
{
	(void)state;
	for (int with_pst = 0; with_pst < 2; with_pst++) {
		env e;
		env_setup(&e, NULL, NULL);
		char *items[] = { "MSEMS", "MSUPST MS" };
		cpuu_strlist allowed = { items, with_pst ? 2 : 1 };
		e.services = &allowed;
		char *before = dump_at(e.u.hive, PROFILE16);
		cpuu_results *r = NULL;
		run(&e, CPUU_MODE_UPDATE, 0, &r);
		if (!with_pst) {
			const cpuu_result *p = find(r, "Outlook", NULL);
			assert_non_null(p);
			assert_int_equal(p->outcome, CPUU_OUTCOME_SKIPPED);
			assert_non_null(strstr(p->message, "AllowAdditionalServices"));
			for (size_t i = 0; i < r->count; i++)
				assert_false(r->items[i].account && !strcmp(r->items[i].account, "alice@source.example"));
		} else {
			assert_int_equal(find(r, "Outlook", "alice@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
		}
		assert_int_equal(find(r, "Old", "carol@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
		cpuu_results_free(r);
		char *after = dump_at(e.u.hive, PROFILE16);
		assert_int_equal(strcmp(before, after) == 0, !with_pst);
		free(before);
		free(after);
		env_teardown(&e);
	}
}

/* A profile named outside ASCII ("Büro", as Windows creates it): switched
 * and rolled back exactly, although cpuu itself never creates such a key
 * (hivex hashes non-ASCII names unlike Windows). The key is made here with
 * hivex itself; the profile's sections (ASCII UIDs) are copied below it from
 * a fixture profile through a .reg document. */
#define PROFILES "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles"
static void test_non_ascii_profile_name(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL); /* profiles "Outlook" (16.0) and "Old" (15.0) */
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	cpuu_regtext *doc = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, PROFILES "\\Outlook"), CPUU_OK);
	assert_int_equal(cpuu_regtext_export(&doc, reg, k, "HKEY_CURRENT_USER\\" PROFILES "\\Büro"), CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);

	/* A fresh hive: "Büro" made by hivex, then the sections applied below it. */
	char *hive = test_path(e.u.dir, "buero.DAT");
	assert_int_equal(cpuu_hive_create_blank(hive, NULL), CPUU_OK);
	hive_h *h = hivex_open(hive, HIVEX_OPEN_WRITE);
	assert_non_null(h);
	hive_node_h n = hivex_root(h);
	const char *parts[] = { "Software", "Microsoft", "Office", "16.0", "Outlook", "Profiles", "Büro" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		hive_node_h c = hivex_node_get_child(h, n, parts[i]);
		n = c ? c : hivex_node_add_child(h, n, parts[i]);
		assert_true(n != 0);
	}
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_regtext_apply(reg, doc, "HKEY_CURRENT_USER"), CPUU_OK);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_free(reg);
	cpuu_regtext_free(doc);

	free(e.u.hive);
	e.u.hive = hive;
	char *original = dump(e.u.hive);
	cpuu_results *r = NULL;
	assert_true(run(&e, CPUU_MODE_UPDATE, 0, &r) & CPUU_EXIT_SUCCESS);
	assert_int_equal(find(r, "Büro", "alice@source.example")->outcome, CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);
	cpuu_profile_set *set = load(e.u.hive);
	assert_string_equal(set->profiles[0].name, "Büro");
	assert_string_equal(set->profiles[0].accounts[0].smtp, "alice@target.example");
	cpuu_profile_set_free(set);
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	char *back = dump(e.u.hive);
	assert_string_equal(back, original);
	free(back);
	free(original);
	env_teardown(&e);
}

/* The PRF route with a user folder; carol's account (profile "Old") has a
 * default new-mail signature that must reach the recreated account. */
static void prf_env_setup(env *e)
{
	env_setup(e, NULL, NULL);
	e->user_dir = test_path(e->u.dir, "alice");
	assert_int_equal(mkdir(e->user_dir, 0700), 0);
	e->prf = 1;
	const char *hive = e->u.hive;
	cpuu_reg *sreg = NULL;
	cpuu_reg_key *sk = NULL;
	assert_int_equal(cpuu_reg_open_hive(&sreg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&sk, sreg, NULL,
					   "Software\\Microsoft\\Office\\15.0\\Outlook\\Profiles\\Old\\"
					   "9375CFF0413111d3B88A00104B2A6676\\00000001"),
			 CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(sreg, sk, "New Signature", "Corporate"), CPUU_OK);
	cpuu_reg_key_free(sk);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(sreg, &nb), CPUU_OK);
	cpuu_reg_free(sreg);
}

/* The PRF route: the profile is left as it is, Outlook recreates it from a
 * .prf at its next start; refused where the file would lose an account. */
static void test_prf_route(void **state)
{
	(void)state;
	env e;
	prf_env_setup(&e);
	char *original = dump(e.u.hive);
	cpuu_results *r = NULL;
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, &r);
	/* "Outlook" holds two Exchange accounts: recreating it would lose bob's. */
	const cpuu_result *alice = find(r, "Outlook", "alice@source.example");
	assert_int_equal(alice->outcome, CPUU_OUTCOME_ERROR);
	assert_true(mask & CPUU_EXIT_SWITCH_ERR);
	const cpuu_result *carol = find(r, "Old", "carol@source.example");
	if (carol->outcome != CPUU_OUTCOME_SWITCHED)
		fail_msg("carol: %s: %s", cpuu_outcome_name(carol->outcome), carol->message ? carol->message : "");
	assert_non_null(strstr(carol->message, "Outlook recreates profile 'Old'"));
	cpuu_results_free(r);

	char *prf = test_path(e.user_dir, "AppData/Local/cpuu/Old.prf");
	size_t n;
	uint8_t *text = test_read_file(prf, &n);
	assert_non_null(text);
	assert_non_null(memmem(text, n, "carol@target.onmicrosoft.com", 28));
	free(text);
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	char *path = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Office\\15.0\\Outlook\\Setup"), CPUU_OK);
	assert_int_equal(cpuu_reg_get_string(&path, reg, k, "ImportPRF"), CPUU_OK);
	assert_string_equal(path, "C:\\Users\\alice\\AppData\\Local\\cpuu\\Old.prf");
	free(path);
	cpuu_reg_key_free(k);
	cpuu_reg_value *pend = NULL;
	size_t npend = 0;
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, CPUU_PRF_PENDING_KEY), CPUU_OK);
	assert_int_equal(cpuu_reg_key_values(&pend, &npend, reg, k), CPUU_OK);
	assert_int_equal(npend, 1);
	assert_non_null(strstr(pend[0].name, "carol@target.onmicrosoft.com"));
	cpuu_reg_values_free(pend, npend);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	/* Nothing rewritten in place: Outlook will recreate the profile. */
	cpuu_profile_set *set = load(e.u.hive);
	for (size_t i = 0; i < set->nprofiles; i++)
		if (!strcmp(set->profiles[i].name, "Old"))
			assert_string_equal(set->profiles[i].accounts[0].smtp, "carol@source.example");
	cpuu_profile_set_free(set);

	/* Armed once: a second run changes nothing. */
	char *copy = test_path(e.u.dir, "armed.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	run(&e, CPUU_MODE_UPDATE, 0, &r);
	assert_int_equal(find(r, "Old", "carol@source.example")->outcome, CPUU_OUTCOME_ALREADY_SWITCHED);
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));

	/* Rollback: the .prf goes, the registry is as before; the Setup key's
	 * record is the PRF step's, with its Office version. */
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, &r), CPUU_EXIT_SUCCESS);
	assert_int_equal(find_wide(r, "prf:15.0")->outcome, CPUU_OUTCOME_ROLLED_BACK);
	cpuu_results_free(r);
	assert_int_not_equal(access(prf, F_OK), 0);
	char *back = dump(e.u.hive);
	assert_string_equal(back, original);
	free(back);
	free(copy);
	free(prf);
	free(original);
	env_teardown(&e);
}

/* [Features] Signatures off: the PRF route arms the import but records no
 * signature choice to carry. */
static void test_prf_route_without_signatures(void **state)
{
	(void)state;
	env e;
	prf_env_setup(&e);
	e.no_signatures = 1;
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	cpuu_results *r = NULL;
	run(&e, CPUU_MODE_UPDATE, 0, &r);
	const cpuu_result *carol = find(r, "Old", "carol@source.example");
	assert_int_equal(carol->outcome, CPUU_OUTCOME_SWITCHED);
	assert_null(strstr(carol->message, "signature"));
	cpuu_results_free(r);
	assert_int_equal(cpuu_reg_open_hive(&reg, e.u.hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Office\\15.0\\Outlook\\Setup"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, CPUU_PRF_PENDING_KEY), CPUU_ENOTFOUND);
	cpuu_reg_free(reg);
	env_teardown(&e);
}

/* One update in a child process with CPUU_FAULT set (NULL: none). */
static void run_with_fault(env *e, const char *fault)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (fault)
			setenv("CPUU_FAULT", fault, 1);
		cpuu_run_opts o;
		update_env_opts(&o, &e->u, CPUU_MODE_UPDATE, 0);
		o.user_dir = e->user_dir;
		o.prf_route = e->prf;
		cpuu_results *r = NULL;
		int rc = cpuu_run_hive(&r, e->u.hive, &o, &e->u.resolver);
		cpuu_results_free(r);
		_exit(rc == CPUU_OK ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), fault ? 1 : 0);
}

/* A run in a child the fault kills (nothing asserted of how it ended but
 * that the kill point was reached). */
static void run_with_fault_kill(env *e, const char *fault)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("CPUU_FAULT", fault, 1);
		cpuu_run_opts o;
		update_env_opts(&o, &e->u, CPUU_MODE_UPDATE, 0);
		o.user_dir = e->user_dir;
		cpuu_results *r = NULL;
		cpuu_run_hive(&r, e->u.hive, &o, &e->u.resolver);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
}

/* The journal: file effects done before the commit (autocomplete hand-over,
 * the PRF route's .prf) are undone when the commit fails, and those meant
 * for after it (old OST, OAB moved aside) never happen; with a commit, they
 * all do. */
static void test_failed_commit_undoes_file_effects(void **state)
{
	(void)state;
	for (int fail = 0; fail < 2; fail++) {
		env e;
		char nk2[4400];
		ac_env_setup(&e, nk2, 1);
		char *ost = test_path(e.user_dir, "AppData/Local/Microsoft/Outlook/alice@source.example.ost");
		char *oab = test_path(e.user_dir, "AppData/Local/Microsoft/Outlook/Offline Address Books");
		char ost_aside[4500], oab_aside[4500];
		snprintf(ost_aside, sizeof ost_aside, "%s.cpuu-old", ost);
		snprintf(oab_aside, sizeof oab_aside, "%s.cpuu-old", oab);
		assert_int_equal(test_write_file(ost, (const uint8_t *)"ost", 3), 0);
		assert_int_equal(mkdir(oab, 0700), 0);
		char *before = dump(e.u.hive);
		run_with_fault(&e, fail ? "commit:write:fail" : NULL);
		char *after = dump(e.u.hive);
		assert_int_equal(access(nk2, F_OK) == 0, !fail);
		assert_int_equal(access(ost, F_OK) == 0, fail);
		assert_int_equal(access(ost_aside, F_OK) == 0, !fail);
		assert_int_equal(access(oab, F_OK) == 0, fail);
		assert_int_equal(access(oab_aside, F_OK) == 0, !fail);
		assert_int_equal(strcmp(before, after) == 0, fail);
		free(before);
		free(after);
		free(ost);
		free(oab);
		env_teardown(&e);

		prf_env_setup(&e);
		char *prf = test_path(e.user_dir, "AppData/Local/cpuu/Old.prf");
		run_with_fault(&e, fail ? "commit:write:fail" : NULL);
		assert_int_equal(access(prf, F_OK) == 0, !fail);
		free(prf);
		env_teardown(&e);
	}
}

/* Each write step fails in turn, or the process is killed there: afterwards
 * the hive is either fully old or fully new, opens cleanly, and Rollback
 * brings back the original. */
static void test_faults_leave_old_or_new(void **state)
{
	(void)state;
	static const char *const points[] = { "update:backup", "update:before-commit", "commit:write",
					       "commit:fsync", "commit:rename", "commit:dirsync" };
	static const char *const kinds[] = { "fail", "kill" };
	const char *office = "Software\\Microsoft\\Office";

	/* What a clean run produces, for comparison. */
	env ref;
	env_setup(&ref, NULL, NULL);
	char *original = dump(ref.u.hive);
	run(&ref, CPUU_MODE_UPDATE, 0, NULL);
	char *switched_office = dump_at(ref.u.hive, office);
	env_teardown(&ref);

	/* Each fault in a single run and in a batch (bulk runs' two-phase commit). */
	for (size_t p = 0; p < sizeof points / sizeof points[0]; p++)
		for (size_t k = 0; k < 4; k++) {
			int batch = k >= 2;
			env e;
			env_setup(&e, NULL, NULL);
			char fault[64];
			snprintf(fault, sizeof fault, "%s:%s", points[p], kinds[k % 2]);
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				setenv("CPUU_FAULT", fault, 1);
				cpuu_run_opts o;
				cpuu_run_opts_init(&o);
				o.state_dir = e.u.state;
				cpuu_results *r[1] = { NULL };
				const char *paths[1] = { e.u.hive };
				int rc = batch ? cpuu_run_hives(r, paths, 1, &o, &e.u.resolver)
					       : cpuu_run_hive(&r[0], e.u.hive, &o, &e.u.resolver);
				/* A batch reports per hive: its failure is in the results. */
				if (batch && !rc && r[0] && (r[0]->exit_mask & (CPUU_EXIT_GLOBAL_ERR | CPUU_EXIT_SWITCH_ERR)))
					rc = CPUU_ERROR;
				_exit(rc == CPUU_OK ? 0 : 1);
			}
			int status = 0;
			assert_int_equal(waitpid(pid, &status, 0), pid);
			int kill_kind = k % 2 == 1;
			int reached = 1;
			if (kill_kind && reached)
				assert_true(WIFSIGNALED(status)); /* the kill point was reached */
			if (!kill_kind && reached && strcmp(points[p], "update:before-commit"))
				if (!(WIFEXITED(status) && WEXITSTATUS(status) == 1))
					fail_msg("%s%s: the failure was not reported", fault, batch ? " (batch)" : "");

			char *now = dump(e.u.hive); /* also proves the hive still opens */
			char *now_office = dump_at(e.u.hive, office);
			int is_old = !strcmp(now, original);
			int is_new = !strcmp(now_office, switched_office);
			if (!is_old && !is_new)
				fail_msg("%s: hive is neither the original nor the switched one", fault);
			/* A failure before the rename must leave the original. */
			if (k % 2 == 0 && strcmp(points[p], "commit:dirsync") && strcmp(points[p], "update:before-commit") &&
			    !is_old)
				fail_msg("%s%s: a failed write changed the hive", fault, batch ? " (batch)" : "");

			/* Rollback restores the original whatever happened. */
			run(&e, CPUU_MODE_ROLLBACK, 0, NULL);
			char *back = dump(e.u.hive);
			if (strcmp(back, original))
				fail_msg("%s: rollback did not restore the original", fault);
			/* And a clean run afterwards switches as usual. */
			assert_true(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS);
			char *again = dump_at(e.u.hive, office);
			assert_string_equal(again, switched_office);
			free(now);
			free(now_office);
			free(back);
			free(again);
			env_teardown(&e);
		}
	free(original);
	free(switched_office);
}

/* A failed fsync of the hive's folder after the rename: the new hive is in
 * place but may not survive a crash, and the hive's results say so (an
 * ERROR record and GLOBAL_ERR), in a batch as in a single run. */
static void test_failed_folder_sync_is_an_error(void **state)
{
	(void)state;
	for (int batch = 0; batch < 2; batch++) {
		env e;
		env_setup(&e, NULL, NULL);
		cpuu_run_opts o;
		update_env_opts(&o, &e.u, CPUU_MODE_UPDATE, 0);
		cpuu_results *r[1] = { NULL };
		const char *paths[1] = { e.u.hive };
		setenv("CPUU_FAULT", "commit:dirsync:fail", 1);
		int rc = batch ? cpuu_run_hives(r, paths, 1, &o, &e.u.resolver) : cpuu_run_hive(&r[0], e.u.hive, &o, &e.u.resolver);
		unsetenv("CPUU_FAULT");
		assert_int_not_equal(rc, CPUU_OK);
		assert_non_null(r[0]);
		assert_true(r[0]->exit_mask & CPUU_EXIT_GLOBAL_ERR);
		int errors = 0;
		for (size_t i = 0; i < r[0]->count; i++)
			if (r[0]->items[i].outcome == CPUU_OUTCOME_ERROR && r[0]->items[i].message &&
			    strstr(r[0]->items[i].message, "sync"))
				errors++;
		assert_int_equal(errors, 1);
		cpuu_results_free(r[0]);
		env_teardown(&e);
	}
}

/* Secrets planted in the profile: account manager passwords (by name) and
 * a DPAPI blob under a name that says nothing. */
#define ACCT_MGR PROFILE16 "\\9375CFF0413111d3B88A00104B2A6676\\00000002"
#define DPAPI_HDR "\x01\x00\x00\x00\xd0\x8c\x9d\xdf\x01\x15\xd1\x11\x8c\x7a\x00\xc0\x4f\xc2\x97\xeb"
static const char *const planted_secrets[] = { "pop3-secret-7Qx", "imap-secret-9Kz", "dpapi-secret-4Wm" };

static void plant_secrets(const char *hive)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	uint8_t blob[128];
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, ACCT_MGR), CPUU_OK);
	/* Outlook's form: one prefix byte, then the DPAPI blob. */
	blob[0] = 2;
	memcpy(blob + 1, DPAPI_HDR, 20);
	memcpy(blob + 21, planted_secrets[0], strlen(planted_secrets[0]));
	assert_int_equal(cpuu_reg_value_set(reg, k, "POP3 Password", CPUU_REG_BINARY, blob, 21 + strlen(planted_secrets[0])),
			 CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "IMAP Password", CPUU_REG_BINARY,
					    (const uint8_t *)planted_secrets[1], strlen(planted_secrets[1])),
			 CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(reg, k, "Account Name", "pop account"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, SECURE_SECTION), CPUU_OK);
	memcpy(blob, DPAPI_HDR, 20);
	memcpy(blob + 20, planted_secrets[2], strlen(planted_secrets[2]));
	assert_int_equal(cpuu_reg_value_set(reg, k, "01020fff", CPUU_REG_BINARY, blob, 20 + strlen(planted_secrets[2])),
			 CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts no_backup = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &no_backup), CPUU_OK);
	cpuu_reg_free(reg);
}

/* Does the text hold s, plainly, in UTF-16LE, or as .reg hex ("70,6f,...")? */
static int holds_secret(const uint8_t *data, size_t len, const char *s)
{
	char u16[64], hex[256];
	size_t n = strlen(s), h = 0;
	for (size_t i = 0; i < n; i++) {
		u16[2 * i] = s[i];
		u16[2 * i + 1] = 0;
		h += (size_t)snprintf(hex + h, sizeof hex - h, "%s%02x", i ? "," : "", (unsigned char)s[i]);
	}
	/* hex is searched by its first 5 bytes: a .reg line may wrap later. */
	return memmem(data, len, s, n) || memmem(data, len, u16, 2 * n) || memmem(data, len, hex, 14);
}

/* Every file below dir except the hive itself: no planted secret. */
static void assert_no_secret_in_files(const char *dir, const char *hive)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *full = test_path(dir, de->d_name);
		struct stat st;
		assert_int_equal(lstat(full, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			assert_no_secret_in_files(full, hive);
		} else if (strcmp(full, hive)) {
			size_t len = 0;
			uint8_t *data = test_read_file(full, &len);
			assert_non_null(data);
			for (size_t i = 0; i < 3; i++)
				if (holds_secret(data, len, planted_secrets[i]))
					fail_msg("%s holds the secret %s", full, planted_secrets[i]);
			free(data);
			/* A .reg file is also read back: no value holds one. */
			cpuu_regtext *doc = NULL;
			if (strstr(de->d_name, ".reg") && cpuu_regtext_read_file(&doc, full) == CPUU_OK) {
				for (size_t k = 0; k < doc->nkeys; k++)
					for (size_t v = 0; v < doc->keys[k].nvalues; v++)
						for (size_t i = 0; doc->keys[k].values[v].data && i < 3; i++)
							assert_null(memmem(doc->keys[k].values[v].data, doc->keys[k].values[v].len,
									   planted_secrets[i], strlen(planted_secrets[i])));
				cpuu_regtext_free(doc);
			}
		}
		free(full);
	}
	closedir(d);
}

/* Issue 16 item 5: no password or DPAPI blob in any file cpuu writes
 * (backups, the .reg temp a killed run leaves, results), and Rollback is
 * still exact: the secrets come from the hive itself. */
static void test_secrets_never_leave_the_hive(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	plant_secrets(e.u.hive);
	char *original = dump(e.u.hive);
	/* The secrets are there to be found (the search itself works). */
	size_t hlen = 0;
	uint8_t *hbytes = test_read_file(e.u.hive, &hlen);
	for (size_t i = 0; i < 3; i++)
		assert_true(holds_secret(hbytes, hlen, planted_secrets[i]));
	free(hbytes);
	assert_true(holds_secret((const uint8_t *)original, strlen(original), planted_secrets[0]));

	/* A run killed right after its backup is written, then a full run. */
	run_with_fault_kill(&e, "update:before-commit:kill");
	assert_no_secret_in_files(e.u.dir, e.u.hive);
	cpuu_results *r = NULL;
	assert_true(run(&e, CPUU_MODE_UPDATE, 0, &r) & CPUU_EXIT_SUCCESS);
	char *text = NULL;
	assert_int_equal(cpuu_results_to_jsonl(&text, r), CPUU_OK);
	for (size_t i = 0; i < 3; i++)
		assert_false(holds_secret((const uint8_t *)text, strlen(text), planted_secrets[i]));
	cpuu_free(text);
	cpuu_results_free(r);
	assert_no_secret_in_files(e.u.dir, e.u.hive);

	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	char *restored = dump(e.u.hive);
	assert_string_equal(original, restored);
	assert_no_secret_in_files(e.u.dir, e.u.hive);
	free(original);
	free(restored);
	env_teardown(&e);
}

/* The whole hive exports as want. */
static void assert_hive_is(const char *hive, const char *want)
{
	char *now = dump(hive);
	assert_string_equal(now, want);
	free(now);
}

/* The files in dir whose names start with prefix (count; *first: one). */
static size_t files_named(const char *dir, const char *prefix, char **first)
{
	size_t n = 0;
	if (first)
		*first = NULL;
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));)
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			if (first && !*first)
				*first = strdup(de->d_name);
			n++;
		}
	if (d)
		closedir(d);
	return n;
}

/* The backup file the hive's entry for profile names. */
static char *entry_file(const char *hive, const char *profile)
{
	cpuu_reg *reg = NULL;
	char *entry = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	assert_int_equal(upd_state_get(&entry, reg, UPD_BACKUPS_KEY, profile), CPUU_OK);
	cpuu_reg_free(reg);
	assert_non_null(entry);
	*strchr(entry, '|') = '\0';
	return entry;
}

/* Issue 16 item 3: a backup's life. A killed run's backup (and a temp of
 * it) is removed by the next run, others' files are not; the committed
 * backup is kept by later runs; a failed run leaves none; Rollback retires
 * its backup, Cleanup finds and removes it. */
static void test_backup_lifecycle(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	char *original = dump(e.u.hive);

	/* A failed commit: its backup goes with it. */
	run_with_fault(&e, "commit:write:fail");
	assert_int_equal(files_named(e.u.state, "backup-", NULL), 0);

	/* Killed between backup and commit: an orphan (and its temp). */
	run_with_fault_kill(&e, "update:before-commit:kill");
	char *orphan = NULL;
	assert_int_equal(files_named(e.u.state, "backup-", &orphan), 1);
	char name[600];
	snprintf(name, sizeof name, "%s/%s.tmp.Ab12Cd", e.u.state, orphan);
	assert_int_equal(test_write_file(name, "partial", 7), 0);
	/* Files that are not this hive's: another hive's backup, the admin's. */
	char *foreign = test_path(e.u.state, "backup-20260101T000000Z-000000000000.reg");
	char *notes = test_path(e.u.state, "notes.txt");
	assert_int_equal(test_write_file(foreign, "other hive", 10), 0);
	assert_int_equal(test_write_file(notes, "admin", 5), 0);
	assert_hive_is(e.u.hive, original);

	assert_true(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS);
	char *made = entry_file(e.u.hive, "Outlook");
	char *first = NULL;
	assert_int_equal(files_named(e.u.state, "backup-2", NULL), 2); /* ours and the foreign one */
	char *made_path = test_path(e.u.state, made);
	assert_int_equal(access(made_path, F_OK), 0);
	snprintf(name, sizeof name, "%s/%s", e.u.state, orphan);
	if (strcmp(orphan, made))
		assert_int_not_equal(access(name, F_OK), 0);
	snprintf(name, sizeof name, "%s/%s.tmp.Ab12Cd", e.u.state, orphan);
	assert_int_not_equal(access(name, F_OK), 0);
	assert_int_equal(access(foreign, F_OK), 0);
	assert_int_equal(access(notes, F_OK), 0);

	/* Later runs keep the backup the committed hive names, byte for byte. */
	char *keep = test_path(e.u.dir, "backup-copy");
	assert_int_equal(test_copy_file(made_path, keep), 0);
	run(&e, CPUU_MODE_UPDATE, 0, NULL);
	assert_true(test_files_equal(keep, made_path));

	/* Rollback: exact, and its backup retired (not removed). */
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	assert_hive_is(e.u.hive, original);
	assert_int_not_equal(access(made_path, F_OK), 0);
	assert_int_equal(files_named(e.u.state, "retired-", &first), 1);
	char *retired = test_path(e.u.state, first);
	assert_true(test_files_equal(keep, retired));
	/* Again (likely within the same second): a second retired backup. */
	assert_true(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS);
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	assert_int_equal(files_named(e.u.state, "retired-", NULL), 2);
	assert_int_equal(files_named(e.u.state, "backup-2", NULL), 1); /* the foreign one */

	/* Cleanup finds it (it used to report nothing) and removes it. */
	cpuu_results *r = NULL;
	assert_int_equal(run(&e, CPUU_MODE_CLEANUP, 1, &r), CPUU_EXIT_SUCCESS);
	cpuu_results_free(r);
	assert_int_equal(access(retired, F_OK), 0); /* a dry run removes nothing */
	assert_int_equal(run(&e, CPUU_MODE_CLEANUP, 0, &r), CPUU_EXIT_SUCCESS);
	assert_int_equal(find_wide(r, "backup")->outcome, CPUU_OUTCOME_CLEANED);
	cpuu_results_free(r);
	assert_int_not_equal(access(retired, F_OK), 0);
	assert_int_equal(files_named(e.u.state, "retired-", NULL), 0);
	assert_int_equal(access(foreign, F_OK), 0);
	assert_int_equal(access(notes, F_OK), 0);
	assert_hive_is(e.u.hive, original);
	assert_int_equal(run(&e, CPUU_MODE_CLEANUP, 0, NULL), CPUU_EXIT_CANNOT_START);

	free(retired);
	free(first);
	free(keep);
	free(made_path);
	free(made);
	free(foreign);
	free(notes);
	free(orphan);
	free(original);
	env_teardown(&e);
}

/* A backup name taken at the moment the run creates its own (what a
 * concurrent run would do): the file there is never replaced, the run's
 * backup gets a free name and the hive names that one. Two hives sharing a
 * state folder, run at once, each roll back exactly. */
static void test_backups_never_overwritten(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	char *original = dump(e.u.hive);
	/* The name this owner's backups get (from a stamp onwards). */
	char *base = upd_backup_file_name(e.u.hive);
	const char *tag = strrchr(base, '-');
	char cmd[8192] = "";
	size_t at = 0;
	time_t now = time(NULL);
	char decoys[8][128];
	for (int i = 0; i < 8; i++) {
		time_t when = now - 1 + i;
		struct tm tm;
		char stamp[32];
		gmtime_r(&when, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
		snprintf(decoys[i], sizeof decoys[i], "backup-%s%s", stamp, tag);
		at += (size_t)snprintf(cmd + at, sizeof cmd - at, "printf DECOY > '%s/%s'; ", e.u.state, decoys[i]);
	}
	setenv("CPUU_FAULT", "update:backup:run", 1);
	setenv("CPUU_FAULT_RUN", cmd, 1);
	unsigned mask = run(&e, CPUU_MODE_UPDATE, 0, NULL);
	unsetenv("CPUU_FAULT");
	unsetenv("CPUU_FAULT_RUN");
	assert_true(mask & CPUU_EXIT_SUCCESS);
	for (int i = 0; i < 8; i++) {
		char *p = test_path(e.u.state, decoys[i]);
		size_t len = 0;
		uint8_t *data = test_read_file(p, &len);
		assert_non_null(data);
		assert_int_equal(len, 5);
		assert_memory_equal(data, "DECOY", 5);
		free(data);
		free(p);
	}
	char *made = entry_file(e.u.hive, "Outlook");
	assert_non_null(strstr(made, ".reg.")); /* the first free ".N" */
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	assert_hive_is(e.u.hive, original);
	free(made);
	free(base);

	/* Two hives, one state folder, both runs at once. */
	char *other_dir = test_path(e.u.dir, "u2");
	assert_int_equal(mkdir(other_dir, 0700), 0);
	char *other = test_path(other_dir, "NTUSER.DAT");
	assert_int_equal(test_copy_file(e.u.hive, other), 0);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			cpuu_run_opts o;
			update_env_opts(&o, &e.u, CPUU_MODE_UPDATE, 0);
			cpuu_results *r = NULL;
			int rc = cpuu_run_hive(&r, k ? other : e.u.hive, &o, &e.u.resolver);
			_exit(rc == CPUU_OK ? 0 : 1);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status = 0;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	char *f1 = entry_file(e.u.hive, "Outlook"), *f2 = entry_file(other, "Outlook");
	assert_string_not_equal(f1, f2);
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	assert_hive_is(e.u.hive, original);
	char *hive1 = e.u.hive;
	e.u.hive = other;
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	assert_hive_is(e.u.hive, original);
	e.u.hive = hive1;
	free(f1);
	free(f2);
	free(other);
	free(other_dir);
	free(original);
	env_teardown(&e);
}

/* The names below dir, recursively, without following links, as one text. */
static void list_tree(char *out, size_t cap, const char *dir)
{
	char cmd[4600];
	snprintf(cmd, sizeof cmd, "cd '%s' && find . | LC_ALL=C sort", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	pclose(p);
}

/* Issue 16 item 2: a link planted in the user folder (the Outlook folder,
 * the OAB folder, a cached Autodiscover answer, the PRF folder) or as the
 * state folder is refused: nothing outside the folder is renamed, written
 * or removed. */
static void test_links_in_user_folder_refused(void **state)
{
	(void)state;
	enum { OUTLOOK_DIR, OAB_DIR, AD_XML, PRF_DIR, STATE_DIR, NCASES };
	for (int c = 0; c < NCASES; c++) {
		env e;
		if (c == PRF_DIR)
			prf_env_setup(&e);
		else
			env_setup(&e, NULL, NULL);
		if (!e.user_dir)
			e.user_dir = test_path(e.u.dir, "alice");
		char *outside = test_path(e.u.dir, "outside");
		char cmd[9000];
		/* Outside: what a link would lead to, named as cpuu looks for it. */
		snprintf(cmd, sizeof cmd,
			 "mkdir -p '%s/Offline Address Books' '%s/AppData/Local/Microsoft' && "
			 "printf ost > '%s/alice@source.example.ost' && printf oab > '%s/Offline Address Books/u.oab' && "
			 "printf xml > '%s/x - Autodiscover.xml' && mkdir '%s/state'",
			 outside, e.user_dir, outside, outside, outside, outside);
		assert_int_equal(system(cmd), 0);
		const char *ol = "AppData/Local/Microsoft/Outlook";
		if (c == OUTLOOK_DIR)
			snprintf(cmd, sizeof cmd, "ln -s '%s' '%s/%s'", outside, e.user_dir, ol);
		else if (c == OAB_DIR)
			snprintf(cmd, sizeof cmd, "mkdir '%s/%s' && ln -s '%s/Offline Address Books' '%s/%s/Offline Address Books'",
				 e.user_dir, ol, outside, e.user_dir, ol);
		else if (c == AD_XML)
			snprintf(cmd, sizeof cmd, "mkdir '%s/%s' && ln -s '%s/x - Autodiscover.xml' '%s/%s/1f - Autodiscover.xml'",
				 e.user_dir, ol, outside, e.user_dir, ol);
		else if (c == PRF_DIR)
			snprintf(cmd, sizeof cmd, "ln -s '%s' '%s/AppData/Local/cpuu'", outside, e.user_dir);
		else
			snprintf(cmd, sizeof cmd, "ln -s '%s/state' '%s'", outside, e.u.state);
		assert_int_equal(system(cmd), 0);
		char before[8192], after[8192];
		list_tree(before, sizeof before, outside);
		char *hive_before = dump(e.u.hive);

		cpuu_run_opts o;
		update_env_opts(&o, &e.u, CPUU_MODE_UPDATE, 0);
		o.user_dir = e.user_dir;
		o.prf_route = e.prf;
		cpuu_results *r = NULL;
		int rc = cpuu_run_hive(&r, e.u.hive, &o, &e.u.resolver);
		assert_non_null(r);
		list_tree(after, sizeof after, outside);
		if (strcmp(before, after))
			fail_msg("case %d: outside the user folder changed:\n%s\n--- now ---\n%s", c, before, after);
		/* Files outside keep their bytes. */
		char *ost = test_path(outside, "alice@source.example.ost");
		size_t len = 0;
		uint8_t *data = test_read_file(ost, &len);
		assert_non_null(data);
		assert_int_equal(len, 3);
		free(data);
		free(ost);
		if (c == STATE_DIR) {
			/* No backup possible: nothing changes at all. */
			(void)rc;
			assert_true(r->exit_mask & (CPUU_EXIT_GLOBAL_ERR | CPUU_EXIT_SWITCH_ERR));
			char *now = dump(e.u.hive);
			assert_string_equal(now, hive_before);
			free(now);
		} else {
			/* The refusal is reported, never silent. */
			int refused = 0;
			for (size_t i = 0; i < r->count; i++)
				refused += r->items[i].outcome == CPUU_OUTCOME_ERROR;
			if (!refused)
				fail_msg("case %d: a link was not reported", c);
		}
		cpuu_results_free(r);
		free(hive_before);
		free(outside);
		env_teardown(&e);
	}
}

/* Issue 16 item 8: killed between the commit and the moves after it (the
 * hive switched, its records say the OST and the OAB go aside, they have
 * not): the next run completes them; a further run moves nothing more. */
static void test_moves_after_a_killed_commit_completed(void **state)
{
	(void)state;
	env e;
	env_setup(&e, NULL, NULL);
	e.user_dir = test_path(e.u.dir, "alice");
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/AppData/Local/Microsoft/Outlook/Offline Address Books'", e.user_dir);
	assert_int_equal(system(cmd), 0);
	char ost[4200], aside[4300], oab[4300], oab_aside[4400];
	snprintf(ost, sizeof ost, "%s/AppData/Local/Microsoft/Outlook/alice@source.example.ost", e.user_dir);
	snprintf(aside, sizeof aside, "%s.cpuu-old", ost);
	snprintf(oab, sizeof oab, "%s/AppData/Local/Microsoft/Outlook/Offline Address Books", e.user_dir);
	snprintf(oab_aside, sizeof oab_aside, "%s.cpuu-old", oab);
	assert_int_equal(test_write_file(ost, "!BDN", 4), 0);
	char *before = dump(e.u.hive);

	/* The batch of one renames the hive, then syncs its folder: killed there. */
	run_with_fault_kill(&e, "commit:dirsync:kill");
	char *after_kill = dump(e.u.hive);
	assert_string_not_equal(before, after_kill); /* committed */
	assert_int_equal(access(ost, F_OK), 0);       /* not moved yet */
	assert_int_equal(access(oab, F_OK), 0);

	assert_true(run(&e, CPUU_MODE_UPDATE, 0, NULL) & CPUU_EXIT_SUCCESS);
	assert_int_not_equal(access(ost, F_OK), 0);
	assert_int_equal(access(aside, F_OK), 0);
	assert_int_not_equal(access(oab, F_OK), 0);
	assert_int_equal(access(oab_aside, F_OK), 0);
	/* Outlook makes a new OAB folder: a later run leaves it. */
	assert_int_equal(mkdir(oab, 0700), 0);
	run(&e, CPUU_MODE_UPDATE, 0, NULL);
	assert_int_equal(access(oab, F_OK), 0);
	assert_int_equal(rmdir(oab), 0);
	/* And Rollback brings both back. */
	assert_int_equal(run(&e, CPUU_MODE_ROLLBACK, 0, NULL), CPUU_EXIT_SUCCESS);
	assert_int_equal(access(ost, F_OK), 0);
	assert_int_equal(access(oab, F_OK), 0);
	char *back = dump(e.u.hive);
	assert_string_equal(before, back);
	free(back);
	free(before);
	free(after_kill);
	env_teardown(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_switches_switched_accounts_only),
		cmocka_unit_test(test_rollback_restores_exactly),
		cmocka_unit_test(test_rollback_exact_in_real_hives),
		cmocka_unit_test(test_cleanup_drops_backups),
		cmocka_unit_test(test_dry_run_writes_nothing),
		cmocka_unit_test(test_ambiguous_is_never_switched),
		cmocka_unit_test(test_bad_hive_changes_nothing),
		cmocka_unit_test(test_results_jsonl),
		cmocka_unit_test(test_faults_leave_old_or_new),
		cmocka_unit_test(test_failed_folder_sync_is_an_error),
		cmocka_unit_test(test_secrets_never_leave_the_hive),
		cmocka_unit_test(test_backup_lifecycle),
		cmocka_unit_test(test_backups_never_overwritten),
		cmocka_unit_test(test_links_in_user_folder_refused),
		cmocka_unit_test(test_moves_after_a_killed_commit_completed),
		cmocka_unit_test(test_failed_commit_undoes_file_effects),
		cmocka_unit_test(test_local_paths_stay_in_the_user_folder),
		cmocka_unit_test(test_old_ost_renamed_aside_and_back),
		cmocka_unit_test(test_batch_equals_single_runs),
		cmocka_unit_test(test_contab_follows_the_mailbox),
		cmocka_unit_test(test_contab_inconsistent_refused),
		cmocka_unit_test(test_autocomplete_handed_over),
		cmocka_unit_test(test_autocomplete_nothing_to_do),
		cmocka_unit_test(test_autocomplete_kept_whole_only_is_skipped),
		cmocka_unit_test(test_feature_switches_turn_steps_off),
		cmocka_unit_test(test_critical_feature_keeps_profile),
		cmocka_unit_test(test_allowed_services),
		cmocka_unit_test(test_invalid_correspondence),
		cmocka_unit_test(test_missing_profile_name),
		cmocka_unit_test(test_non_ascii_profile_name),
		cmocka_unit_test(test_prf_route),
		cmocka_unit_test(test_before_change_only_when_changing),
		cmocka_unit_test(test_prf_route_without_signatures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
