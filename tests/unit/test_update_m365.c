#define _GNU_SOURCE /* memmem */
/* The Microsoft 365 steps (docs/m365.md) over a hive built here from the
 * facts of ../shared/reference/m365-cutover.md §3: Office identities
 * (HKCU\...\Common\Identity, OCCT's FederationProvider reset), the
 * Outlook\AutoDiscover values and their policy twins, the WAM switches,
 * UseNewOutlook, OneDrive Business accounts, Teams' HomeUserUpn and the
 * Outlook\16\*.xml cache. Each item: planned in a dry run, applied,
 * idempotent, rolled back byte-exact; planted token bytes never written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/config.h"
#include "cpuu/m365.h"
#include "cpuu/mapping.h"
#include "cpuu/regtext.h"
#include "cpuu/runconfig.h"
#include "cpuu/unicode.h"
#include "cpuu/update.h"
#include "fixture.h"
#include "update/internal.h"
#include "testutil.h"
#include "update_env.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IDROOT "Software\\Microsoft\\Office\\16.0\\Common\\Identity"
#define ID_SRC IDROOT "\\Identities\\0a1b2c3d_ADAL"
#define ID_TRG IDROOT "\\Identities\\4e5f6a7b_ADAL"
#define ID_MSA IDROOT "\\Identities\\8c9d0e1f_LiveId"
#define AD16 "Software\\Microsoft\\Office\\16.0\\Outlook\\AutoDiscover"
#define AD16_POLICY "Software\\Policies\\Microsoft\\Office\\16.0\\Outlook\\AutoDiscover"
#define TB "AppData/Local/Packages/Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy/AC/TokenBroker/Accounts"
#define CXH "AppData/Local/Packages/Microsoft.Windows.CloudExperienceHost_cw5n1h2txyewy/AC/TokenBroker/Accounts"
#define SRC_FP "https://sts.source.example/adfs/services/trust"
/* Planted secrets: a token-like binary and string an identity may hold. */
#define SECRET_BIN "eyJ0eXAiOiJKV1QiLCJhbGciOi-planted-token-7f3a"
#define SECRET_STR "planted-refresh-token-91c2"

typedef struct env {
	update_env u; /* NTUSER.DAT, alice's mapping row */
	char *user_dir, *xml;
	int activation; /* [Features] OfficeActivation: -1 auto, 0, 1 */
	int token_broker; /* [Features] TokenBroker */
} env;

static void set_sz(cpuu_reg *reg, const char *path, const char *name, const char *v)
{
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, path), CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(reg, k, name, v), CPUU_OK);
	cpuu_reg_key_free(k);
}

static void set_sz_hive(const char *hive, const char *path, const char *name, const char *v)
{
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	set_sz(reg, path, name, v);
	cpuu_reg_commit_opts no_backup = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &no_backup), CPUU_OK);
	cpuu_reg_free(reg);
}

static void set_dw(cpuu_reg *reg, const char *path, const char *name, uint32_t v)
{
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, path), CPUU_OK);
	assert_int_equal(cpuu_reg_set_dword(reg, k, name, v), CPUU_OK);
	cpuu_reg_key_free(k);
}

static void env_setup(env *e, int switched)
{
	memset(e, 0, sizeof *e);
	cpuu_reg *reg = update_env_open(&e->u, "m365", "NTUSER.DAT", NULL, update_env_alice_fixture);
	e->user_dir = test_path(e->u.dir, "alice");
	/* §3 #7/#8 (OCCT): the root FederationProvider and one per identity. */
	set_sz(reg, IDROOT, "FederationProvider", SRC_FP);
	/* §3 #23: WAM turned off by an old script: reported, never changed. */
	set_dw(reg, IDROOT, "DisableADALatopWAMOverride", 1);
	set_dw(reg, IDROOT, "DisableAADWAM", 1);
	set_sz(reg, ID_SRC, "EmailAddress", "alice@source.example");
	set_sz(reg, ID_SRC, "ProviderId", "ADAL");
	set_sz(reg, ID_SRC, "FederationProvider", SRC_FP);
	set_sz(reg, ID_SRC, "RefreshTokenCache", SECRET_STR);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, ID_SRC), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "AuthToken", CPUU_REG_BINARY, (const uint8_t *)SECRET_BIN,
					    sizeof SECRET_BIN - 1),
			 CPUU_OK);
	cpuu_reg_key_free(k);
	set_sz(reg, ID_TRG, "EmailAddress", "alice@target.example");
	set_sz(reg, ID_TRG, "ProviderId", "ADAL");
	set_sz(reg, ID_TRG, "FederationProvider", "https://sts.target.example/adfs/services/trust");
	/* A consumer account with the same address: never the source's. */
	set_sz(reg, ID_MSA, "EmailAddress", "alice@source.example");
	set_sz(reg, ID_MSA, "ProviderId", "LiveId");
	set_sz(reg, ID_MSA, "FederationProvider", SRC_FP);
	/* §3 #19/#21: a per-user value and its policy twins. */
	set_dw(reg, AD16, "ExcludeExplicitO365Endpoint", 1);
	set_dw(reg, AD16_POLICY, "ExcludeScpLookup", 0);
	set_dw(reg, AD16_POLICY, "ZeroConfigExchange", 1);
	set_dw(reg, "Software\\Microsoft\\Office\\16.0\\Outlook\\Preferences", "UseNewOutlook", 1);
	set_sz(reg, "Software\\Microsoft\\OneDrive\\Accounts\\Business1", "UserEmail", "alice@source.example");
	set_sz(reg, "Software\\Microsoft\\OneDrive\\Accounts\\Business2", "UserEmail", "alice@target.example");
	set_sz(reg, "Software\\Microsoft\\OneDrive\\Accounts\\Personal", "UserEmail", "alice@outlook.example");
	set_sz(reg, "Software\\Microsoft\\Office\\Teams", "HomeUserUpn", "alice@source.example");
	update_env_commit(reg);
	/* §3 #18: the Autodiscover XML cache of Outlook 2016+. */
	char *p = test_path(e->user_dir, "AppData/Local/Microsoft/Outlook/16");
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	e->xml = test_path(p, "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d - Autodiscover.xml");
	free(p);
	p = e->xml;
	e->xml = cpuu_aprintf("%s", p);
	free(p);
	assert_int_equal(test_write_file(e->xml, "<Autodiscover/>", 15), 0);
	/* §3 #2/#3: the per-user licence folders, a licence token inside. */
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/AppData/Local/Microsoft/Office/Licenses' "
		 "'%s/AppData/Local/Microsoft/Office/16.0/Licensing'", e->user_dir, e->user_dir);
	assert_int_equal(system(cmd), 0);
	p = test_path(e->user_dir, "AppData/Local/Microsoft/Office/Licenses/5.lic");
	assert_int_equal(test_write_file(p, SECRET_BIN, sizeof SECRET_BIN - 1), 0);
	free(p);
	e->activation = -1;
	e->token_broker = -1;
	/* New Teams (MSIX): its package folder (Microsoft's "Clear the Teams
	 * client cache" names it). */
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/AppData/Local/Packages/MSTeams_8wekyb3d8bbwe/LocalCache/Microsoft/MSTeams'",
		 e->user_dir);
	assert_int_equal(system(cmd), 0);
	/* §3 #14 (KB 4499299): WAM account files, and a CloudExperienceHost one. */
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/" TB "' '%s/" CXH "'", e->user_dir, e->user_dir);
	assert_int_equal(system(cmd), 0);
	p = test_path(e->user_dir, TB "/a1b2.tbacct");
	assert_int_equal(test_write_file(p, SECRET_BIN, sizeof SECRET_BIN - 1), 0);
	free(p);
	p = test_path(e->user_dir, CXH "/c3d4.tbacct");
	assert_int_equal(test_write_file(p, "x", 1), 0);
	free(p);
	update_env_map_alice(&e->u, switched);
}

static void env_teardown(env *e)
{
	free(e->xml);
	free(e->user_dir);
	update_env_free(&e->u);
}

static cpuu_results *run(env *e, cpuu_mode mode, int dry_run, cpuu_scenario sc, int identity)
{
	cpuu_run_opts o;
	update_env_opts(&o, &e->u, mode, dry_run);
	o.user_dir = e->user_dir;
	o.scenario = (int)sc;
	o.office_identity = identity;
	o.office_activation = e->activation;
	o.token_broker = e->token_broker;
	cpuu_results *r = NULL;
	update_env_check(cpuu_run_hive(&r, e->u.hive, &o, &e->u.resolver));
	return r;
}

static const cpuu_result *wide(const cpuu_results *r, const char *label)
{
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].profile && r->items[i].account && !strcmp(r->items[i].account, label))
			return &r->items[i];
	return NULL;
}

static char *dump(const char *hive)
{
	char *text = update_env_regtext(hive, NULL, NULL);
	assert_non_null(text);
	return text;
}

/* The value as text (strings and DWORDs), or NULL when absent. */
static char *get(const char *hive, const char *path, const char *name)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	char *s = NULL;
	uint32_t d;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	if (cpuu_reg_key_open(&k, reg, NULL, path) == CPUU_OK) {
		if (cpuu_reg_get_dword(&d, reg, k, name) == CPUU_OK)
			s = cpuu_aprintf("%u", d);
		else if (cpuu_reg_get_string(&s, reg, k, name) != CPUU_OK)
			s = NULL;
	}
	cpuu_error_clear();
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	return s;
}

static void expect(const char *hive, const char *path, const char *name, const char *want)
{
	char *v = get(hive, path, name);
	if (want && (!v || strcmp(v, want)))
		fail_msg("%s\\%s = %s, want %s", path, name, v ? v : "(absent)", want);
	if (!want && v)
		fail_msg("%s\\%s = %s, want it absent", path, name, v);
	free(v);
}

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void test_dry_run_plans_every_item(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 1, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	const cpuu_result *id = wide(r, "identity:16.0");
	assert_non_null(id);
	assert_int_equal(id->outcome, CPUU_OUTCOME_PLANNED);
	assert_int_equal(id->changes, 2); /* one identity marked, the root value removed */
	assert_non_null(strstr(id->message, "1 identity of the source reset, 2 others kept"));
	const cpuu_result *ad = wide(r, "adpolicy:16.0");
	assert_non_null(ad);
	assert_int_equal(ad->outcome, CPUU_OUTCOME_PLANNED);
	assert_int_equal(ad->changes, 2);
	assert_non_null(strstr(ad->message, "policy ExcludeScpLookup=0"));
	assert_non_null(strstr(ad->message, "policy ZeroConfigExchange=1"));
	const cpuu_result *h = wide(r, "authhealth");
	assert_non_null(h);
	assert_int_equal(h->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	assert_non_null(strstr(h->message, "DisableAADWAM=1 (blocks modern auth)"));
	assert_non_null(strstr(h->message, "DisableADALatopWAMOverride=1 (blocks modern auth)"));
	assert_non_null(strstr(wide(r, "new-outlook:16.0")->message, "UseNewOutlook=1"));
	assert_non_null(strstr(wide(r, "onedrive:Business1")->message, "signed in to the source"));
	assert_non_null(strstr(wide(r, "onedrive:Business2")->message, "not the source's"));
	assert_null(wide(r, "onedrive:Personal"));
	assert_non_null(strstr(wide(r, "teams")->message, "signed in to the source"));
	const cpuu_result *nt = wide(r, "new-teams");
	assert_non_null(nt);
	assert_int_equal(nt->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	assert_non_null(strstr(nt->message, "Packages\\MSTeams_8wekyb3d8bbwe: new Teams (MSIX) installed"));
	assert_non_null(r->plan_text);
	assert_non_null(strstr(r->plan_text, "FederationProvider"));
	assert_non_null(strstr(r->plan_text, "ExcludeLastKnownGoodURL"));
	cpuu_results_free(r);
	/* Nothing written: not the hive, not the cache, no state folder. */
	assert_true(test_files_equal(copy, e.u.hive));
	assert_true(file_exists(e.xml));
	assert_false(file_exists(e.u.state));
	free(copy);
	env_teardown(&e);
}

static void test_apply_idempotent_rollback_exact(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	char *original = dump(e.u.hive);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_int_equal(wide(r, "identity:16.0")->outcome, CPUU_OUTCOME_SWITCHED);
	assert_int_equal(wide(r, "adpolicy:16.0")->outcome, CPUU_OUTCOME_SWITCHED);
	assert_int_equal(wide(r, "caches")->outcome, CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);
	/* Only the source's identity is reset; the target's and the consumer's stay. */
	expect(e.u.hive, ID_SRC, "FederationProvider", "Error");
	expect(e.u.hive, ID_TRG, "FederationProvider", "https://sts.target.example/adfs/services/trust");
	expect(e.u.hive, ID_MSA, "FederationProvider", SRC_FP);
	expect(e.u.hive, IDROOT, "FederationProvider", NULL);
	expect(e.u.hive, ID_SRC, "RefreshTokenCache", SECRET_STR); /* never touched */
	/* Blockers reported, never changed; policy twins never changed. */
	expect(e.u.hive, IDROOT, "DisableAADWAM", "1");
	expect(e.u.hive, IDROOT, "DisableADALatopWAMOverride", "1");
	expect(e.u.hive, AD16_POLICY, "ExcludeScpLookup", "0");
	expect(e.u.hive, AD16_POLICY, "ZeroConfigExchange", "1");
	/* Exchange Online target: direct connect allowed, LKG URL skipped. */
	expect(e.u.hive, AD16, "ExcludeExplicitO365Endpoint", NULL);
	expect(e.u.hive, AD16, "ExcludeLastKnownGoodURL", "1");
	assert_false(file_exists(e.xml));
	char *aside = cpuu_aprintf("%s.cpuu-old", e.xml);
	assert_true(file_exists(aside));

	/* A second run changes not a byte. */
	char *copy = test_path(e.u.dir, "after-first.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_int_equal(wide(r, "identity:16.0")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	assert_int_equal(wide(r, "adpolicy:16.0")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));

	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_non_null(wide(r, "identity:16.0"));
	assert_int_equal(wide(r, "identity:16.0")->outcome, CPUU_OUTCOME_ROLLED_BACK);
	cpuu_results_free(r);
	char *restored = dump(e.u.hive);
	assert_string_equal(original, restored); /* secrets included: kept in place, never copied */
	assert_true(file_exists(e.xml));
	assert_false(file_exists(aside));
	free(restored);
	free(copy);
	free(aside);
	free(original);
	env_teardown(&e);
}

/* Both planted secrets, as ASCII and as UTF-16LE, in a buffer. */
static int holds_secret(const uint8_t *data, size_t len)
{
	const char *secrets[] = { SECRET_BIN, SECRET_STR };
	for (size_t i = 0; i < 2; i++) {
		uint8_t *u16 = NULL;
		size_t n = 0;
		assert_int_equal(cpuu_utf8_to_utf16le(&u16, &n, secrets[i], 0), CPUU_OK);
		int hit = (data && memmem(data, len, secrets[i], strlen(secrets[i]))) || (data && memmem(data, len, u16, n));
		free(u16);
		if (hit)
			return 1;
	}
	return 0;
}

static size_t scan_dir(const char *dir)
{
	DIR *d = opendir(dir);
	size_t files = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = test_path(dir, de->d_name);
		size_t len = 0;
		uint8_t *data = test_read_file(p, &len);
		if (data) {
			if (holds_secret(data, len))
				fail_msg("%s holds a planted secret", p);
			files++;
		}
		free(data);
		free(p);
	}
	if (d)
		closedir(d);
	return files;
}

static void check_results(const cpuu_results *r)
{
	char *jsonl = NULL;
	assert_int_equal(cpuu_results_to_jsonl(&jsonl, r), CPUU_OK);
	assert_false(holds_secret((const uint8_t *)jsonl, strlen(jsonl)));
	free(jsonl);
	if (r->plan_text)
		assert_false(holds_secret((const uint8_t *)r->plan_text, strlen(r->plan_text)));
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].message)
			assert_false(holds_secret((const uint8_t *)r->items[i].message, strlen(r->items[i].message)));
}

/* The planted token bytes exist in the hive (the check can fail) and are in
 * no backup, result record, plan, or state file after dry run, update and
 * rollback. */
static void test_secrets_never_written(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	size_t len = 0;
	uint8_t *hive = test_read_file(e.u.hive, &len);
	assert_true(holds_secret(hive, len));
	free(hive);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 1, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	check_results(r);
	cpuu_results_free(r);
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	check_results(r);
	cpuu_results_free(r);
	assert_true(scan_dir(e.u.state) >= 1); /* the backup exists and was read */
	/* The backup keeps the token values' places, not their bytes. */
	DIR *d = opendir(e.u.state);
	struct dirent *de;
	int placeholders = 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".reg")) {
			char *p = test_path(e.u.state, de->d_name);
			cpuu_regtext *doc = NULL;
			assert_int_equal(cpuu_regtext_read_file(&doc, p), CPUU_OK);
			for (size_t i = 0; i < doc->nkeys; i++)
				for (size_t j = 0; j < doc->keys[i].nvalues; j++)
					if (cpuu_m365_secret_name(doc->keys[i].values[j].name)) {
						assert_int_equal(doc->keys[i].values[j].type, CPUU_REG_NONE);
						assert_int_equal(doc->keys[i].values[j].len, 0);
						placeholders++;
					}
			cpuu_regtext_free(doc);
			free(p);
		}
	closedir(d);
	assert_int_equal(placeholders, 2);
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	check_results(r);
	cpuu_results_free(r);
	expect(e.u.hive, ID_SRC, "RefreshTokenCache", SECRET_STR);
	hive = test_read_file(e.u.hive, &len);
	assert_true(holds_secret(hive, len)); /* still where it belongs */
	free(hive);
	env_teardown(&e);
}

/* Cross-forest on-premises: the target is on-premises, so Outlook must not
 * go to Office 365 directly; identities are left unless asked for. */
static void test_crossforest_defaults(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	assert_null(wide(r, "identity:16.0"));
	assert_null(wide(r, "authhealth"));
	assert_null(wide(r, "teams"));
	assert_null(wide(r, "new-teams"));
	assert_int_equal(wide(r, "adpolicy:16.0")->outcome, CPUU_OUTCOME_NOTHING_TO_DO); /* already 1 */
	cpuu_results_free(r);
	expect(e.u.hive, ID_SRC, "FederationProvider", SRC_FP);
	expect(e.u.hive, AD16, "ExcludeExplicitO365Endpoint", "1");
	expect(e.u.hive, AD16, "ExcludeLastKnownGoodURL", NULL);
	/* [Features] OfficeIdentity = on overrides the scenario. */
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, 1);
	assert_int_equal(wide(r, "identity:16.0")->outcome, CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);
	expect(e.u.hive, ID_SRC, "FederationProvider", "Error");
	env_teardown(&e);
}

/* Mailbox not switched yet: the source identity still serves the user. */
static void test_not_switched_changes_nothing(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 0);
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 1);
	assert_null(wide(r, "identity:16.0"));
	assert_null(wide(r, "adpolicy:16.0"));
	assert_non_null(wide(r, "authhealth")); /* reports still come */
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));
	assert_true(file_exists(e.xml));
	free(copy);
	env_teardown(&e);
}

/* The INI: Scenario and the tri-state keys reach the run's settings, and a
 * bad scenario is refused. */
static void test_config_keys(void **state)
{
	(void)state;
	static const char ini[] = "[General]\nScenario = onprem-to-exo\n[Features]\nOfficeIdentity = off\n"
				  "AuthHealth = on\n[M365]\nSourceDomains = source.example, old.example\n";
	cpuu_config *cfg = NULL;
	assert_int_equal(cpuu_config_load_buffer(&cfg, ini, strlen(ini)), CPUU_OK);
	cpuu_run_config rc;
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_OK);
	assert_int_equal(rc.opts.scenario, CPUU_SCENARIO_ONPREM_TO_EXO);
	assert_int_equal(rc.opts.office_identity, 0);
	assert_int_equal(rc.opts.auth_health, 1);
	assert_int_equal(rc.opts.m365_detect, -1);
	assert_int_equal(rc.opts.m365_source_domains->count, 2);
	assert_false(upd_feature_on(&rc.opts, offsetof(cpuu_run_opts, office_identity)));
	assert_true(upd_feature_on(&rc.opts, offsetof(cpuu_run_opts, m365_detect)));
	rc.opts.scenario = CPUU_SCENARIO_ONPREM_CROSSFOREST;
	assert_false(upd_feature_on(&rc.opts, offsetof(cpuu_run_opts, m365_detect)));
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);
	static const char bad[] = "[General]\nScenario = cloud\n";
	assert_int_not_equal(cpuu_config_load_buffer(&cfg, bad, strlen(bad)), CPUU_OK);
}

/* Opt-in in every scenario; then both licence folders renamed aside after
 * the commit, once, and renamed back by Rollback. */
static void test_activation_opt_in(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	char *lic = test_path(e.user_dir, "AppData/Local/Microsoft/Office/Licenses");
	char *sca = test_path(e.user_dir, "AppData/Local/Microsoft/Office/16.0/Licensing");
	char *lic_aside = cpuu_aprintf("%s.cpuu-old", lic);
	char *sca_aside = cpuu_aprintf("%s.cpuu-old", sca);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 1, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_null(wide(r, "activation"));
	cpuu_results_free(r);
	e.activation = 1;
	r = run(&e, CPUU_MODE_UPDATE, 1, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_PLANNED);
	assert_int_equal(wide(r, "activation")->changes, 2);
	cpuu_results_free(r);
	assert_true(file_exists(lic) && file_exists(sca));
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);
	assert_false(file_exists(lic) || file_exists(sca));
	assert_true(file_exists(lic_aside) && file_exists(sca_aside));
	assert_int_equal(scan_dir(e.u.state) > 0, 1); /* the token stayed in the user's folder */
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	cpuu_results_free(r);
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_TENANT_TO_TENANT, -1);
	cpuu_results_free(r);
	assert_true(file_exists(lic) && file_exists(sca));
	assert_false(file_exists(lic_aside) || file_exists(sca_aside));
	free(lic);
	free(sca);
	free(lic_aside);
	free(sca_aside);
	env_teardown(&e);
}

/* Opt-in; the BrokerPlugin's .tbacct files renamed aside, the
 * CloudExperienceHost's left; Rollback renames them back. */
static void test_tokenbroker_opt_in(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	char *tb = test_path(e.user_dir, TB "/a1b2.tbacct");
	char *cxh = test_path(e.user_dir, CXH "/c3d4.tbacct");
	char *aside = cpuu_aprintf("%s.cpuu-old", tb);
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	assert_null(wide(r, "tokenbroker"));
	cpuu_results_free(r);
	assert_true(file_exists(tb));
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	cpuu_results_free(r);
	e.token_broker = 1;
	r = run(&e, CPUU_MODE_UPDATE, 1, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	assert_int_equal(wide(r, "tokenbroker")->outcome, CPUU_OUTCOME_PLANNED);
	assert_int_equal(wide(r, "tokenbroker")->changes, 1);
	cpuu_results_free(r);
	assert_true(file_exists(tb));
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	assert_int_equal(wide(r, "tokenbroker")->outcome, CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);
	assert_false(file_exists(tb));
	assert_true(file_exists(aside) && file_exists(cxh));
	assert_int_equal(scan_dir(e.u.state) > 0, 1);
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	assert_int_equal(wide(r, "tokenbroker")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	cpuu_results_free(r);
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_ONPREM_CROSSFOREST, -1);
	cpuu_results_free(r);
	assert_true(file_exists(tb));
	assert_false(file_exists(aside));
	free(tb);
	free(cxh);
	free(aside);
	env_teardown(&e);
}


/* §3 #1: the per-user Licensing key, planted with licence-token bytes under
 * names no secret filter knows, every value type, a subkey. */
#define LIC "Software\\Microsoft\\Office\\16.0\\Common\\Licensing"

static void plant_licensing(const char *hive)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, LIC), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "LicenseData", CPUU_REG_BINARY, (const uint8_t *)SECRET_BIN,
					    sizeof SECRET_BIN - 1),
			 CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(reg, k, "NextUserLicensingLicenseIds", SECRET_STR), CPUU_OK);
	assert_int_equal(cpuu_reg_set_dword(reg, k, "DisableActivationUI", 0), CPUU_OK);
	static const uint8_t odd[] = { 1, 2, 3 };
	assert_int_equal(cpuu_reg_value_set(reg, k, "", 0x4d2, odd, sizeof odd), CPUU_OK); /* unknown type */
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, LIC "\\LicensingNext"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "o365bizrcat", CPUU_REG_BINARY, (const uint8_t *)SECRET_BIN,
					    sizeof SECRET_BIN - 1),
			 CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts no_backup = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &no_backup), CPUU_OK);
	cpuu_reg_free(reg);
}

/* The subtree at path as .reg text, its root renamed "X" (NULL: absent). */
static char *subtree(const char *hive, const char *path)
{
	return update_env_regtext(hive, path, "X");
}

/* OfficeActivation = on: Licensing moved to Licensing.cpuu-old inside the
 * hive (dry run: planned, nothing written), once; Rollback moves it back
 * byte-exact (types, bytes, the subkey); the token bytes in no state file,
 * record or plan; Cleanup leaves the aside key and drops the record. */
static void test_activation_licensing_key(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	plant_licensing(e.u.hive);
	char *before = subtree(e.u.hive, LIC);
	assert_non_null(before);
	assert_non_null(strstr(before, "LicensingNext"));
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	e.activation = 1;
	cpuu_results *r = run(&e, CPUU_MODE_UPDATE, 1, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	const cpuu_result *a = wide(r, "activation");
	assert_int_equal(a->outcome, CPUU_OUTCOME_PLANNED);
	assert_int_equal(a->changes, 3); /* the key and both folders */
	assert_non_null(strstr(a->message, "would be: Common\\Licensing key moved to Licensing.cpuu-old"));
	check_results(r);
	cpuu_results_free(r);
	assert_true(test_files_equal(copy, e.u.hive));
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_SWITCHED);
	check_results(r);
	cpuu_results_free(r);
	char *gone = subtree(e.u.hive, LIC), *aside = subtree(e.u.hive, LIC ".cpuu-old");
	assert_null(gone);
	assert_non_null(aside);
	assert_string_equal(aside, before); /* moved whole, bytes and types */
	free(aside);
	expect(e.u.hive, "Software\\cpuu\\Keys", LIC, LIC ".cpuu-old");
	scan_dir(e.u.state);
	/* Idempotent: nothing left to move. */
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	cpuu_results_free(r);
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	check_results(r);
	cpuu_results_free(r);
	char *after = subtree(e.u.hive, LIC);
	assert_non_null(after);
	assert_string_equal(after, before);
	free(after);
	assert_null(subtree(e.u.hive, LIC ".cpuu-old"));
	assert_null(subtree(e.u.hive, "Software\\cpuu\\Keys"));
	scan_dir(e.u.state);
	/* A second Rollback: nothing to do. */
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	assert_null(wide(r, "activation"));
	cpuu_results_free(r);
	after = subtree(e.u.hive, LIC);
	assert_string_equal(after, before);
	free(after);
	/* Update, then Office makes a new Licensing (for the target): Rollback
	 * replaces neither; Cleanup leaves the source's aside. */
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	cpuu_results_free(r);
	set_sz_hive(e.u.hive, LIC, "Target", "new");
	r = run(&e, CPUU_MODE_UPDATE, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	cpuu_results_free(r);
	r = run(&e, CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	a = wide(r, "activation");
	assert_non_null(a);
	assert_int_equal(a->outcome, CPUU_OUTCOME_ERROR);
	assert_non_null(strstr(a->message, "exists again"));
	cpuu_results_free(r);
	expect(e.u.hive, LIC, "Target", "new");
	aside = subtree(e.u.hive, LIC ".cpuu-old");
	assert_string_equal(aside, before);
	free(aside);
	r = run(&e, CPUU_MODE_CLEANUP, 0, CPUU_SCENARIO_TENANT_TO_TENANT, 0);
	assert_int_equal(wide(r, "activation")->outcome, CPUU_OUTCOME_CLEANED);
	cpuu_results_free(r);
	aside = subtree(e.u.hive, LIC ".cpuu-old");
	assert_string_equal(aside, before);
	free(aside);
	assert_null(subtree(e.u.hive, "Software\\cpuu\\Keys"));
	size_t len = 0;
	uint8_t *bytes = test_read_file(e.u.hive, &len);
	assert_true(holds_secret(bytes, len)); /* the check can fail: the bytes exist */
	free(bytes);
	free(before);
	free(copy);
	env_teardown(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dry_run_plans_every_item),
		cmocka_unit_test(test_apply_idempotent_rollback_exact),
		cmocka_unit_test(test_secrets_never_written),
		cmocka_unit_test(test_crossforest_defaults),
		cmocka_unit_test(test_not_switched_changes_nothing),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_activation_opt_in),
		cmocka_unit_test(test_tokenbroker_opt_in),
		cmocka_unit_test(test_activation_licensing_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
