/* The update tests' shared setting: see update_env.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "update_env.h"
#include "cpuu/regtext.h"
#include "fixture.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRC_AG "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

const char update_env_alice_fixture[] =
	"[profile Outlook]\nversion = 16.0\ndefault = yes\n"
	"[exchange]\ndisplay_name = Alice Example\nsmtp = alice@source.example\n"
	"legacy_dn = " SRC_AG "alice\nmailbox_guid = 11111111-2222-4333-8444-555555555555\ncached = yes\n";

static const char alice_mapping[] =
	"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
	"target_mailbox_guid,target_display_name,target_kind,target_server,switched\n" SRC_AG
	"alice,alice@source.example,11111111-2222-4333-8444-555555555555,,,alice@target.example,,Alice,online,,%s\n";

static int lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	return cpuu_mapping_lookup(m, st, ctx, key);
}

cpuu_reg *update_env_open(update_env *u, const char *tag, const char *hive_rel, const char *real_base,
			  const char *fixture_text)
{
	memset(u, 0, sizeof *u);
	u->dir = test_tmpdir(tag);
	assert_non_null(u->dir);
	u->hive = test_path(u->dir, hive_rel);
	u->state = test_path(u->dir, "state");
	char *slash = strrchr(u->hive, '/');
	if (slash > u->hive + strlen(u->dir)) { /* hive_rel names a subfolder */
		char cmd[1024];
		snprintf(cmd, sizeof cmd, "mkdir -p '%.*s'", (int)(slash - u->hive), u->hive);
		assert_int_equal(system(cmd), 0);
	}
	if (real_base)
		assert_int_equal(test_copy_file(real_base, u->hive), 0);
	else
		assert_int_equal(cpuu_hive_create_blank(u->hive, NULL), CPUU_OK);
	cpuu_reg *reg = NULL;
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, u->hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_fixture_parse(&f, fixture_text, strlen(fixture_text)), CPUU_OK);
	assert_int_equal(cpuu_fixture_apply(reg, f), CPUU_OK);
	cpuu_fixture_free(f);
	return reg;
}

void update_env_commit(cpuu_reg *reg)
{
	cpuu_reg_commit_opts no_backup = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &no_backup), CPUU_OK);
	cpuu_reg_free(reg);
}

void update_env_map(update_env *u, const char *csv)
{
	assert_int_equal(cpuu_mapping_load_buffer(&u->map, csv, strlen(csv)), CPUU_OK);
	u->resolver.lookup = lookup;
	u->resolver.ctx = u->map;
}

void update_env_map_alice(update_env *u, int switched)
{
	char csv[2048];
	snprintf(csv, sizeof csv, alice_mapping, switched ? "true" : "false");
	update_env_map(u, csv);
}

void update_env_free(update_env *u)
{
	cpuu_mapping_free(u->map);
	free(u->hive);
	free(u->state);
	test_tmpdir_remove(u->dir);
	memset(u, 0, sizeof *u);
}

char *update_env_regtext(const char *hive, const char *subkey, const char *root_name)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	cpuu_regtext *doc = NULL;
	char *text = NULL;
	size_t len;
	char name[512];
	if (!root_name) {
		snprintf(name, sizeof name, "HKEY_CURRENT_USER%s%s", subkey ? "\\" : "", subkey ? subkey : "");
		root_name = name;
	}
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	int rc = subkey ? cpuu_reg_key_open(&k, reg, NULL, subkey) : cpuu_reg_root(&k, reg);
	if (rc == CPUU_OK) {
		assert_int_equal(cpuu_regtext_export(&doc, reg, k, root_name), CPUU_OK);
		assert_int_equal(cpuu_regtext_format(&text, &len, doc), CPUU_OK);
	}
	cpuu_error_clear();
	cpuu_regtext_free(doc);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	return text;
}

void update_env_opts(cpuu_run_opts *o, const update_env *u, cpuu_mode mode, int dry_run)
{
	cpuu_run_opts_init(o);
	o->mode = mode;
	o->dry_run = dry_run;
	o->user = "alice";
	o->state_dir = u->state;
}

void update_env_check(int rc)
{
	if (rc)
		fprintf(stderr, "run: %s\n", cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
}
