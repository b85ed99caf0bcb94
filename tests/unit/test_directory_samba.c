/* The directory module against two real Active Directory DCs (Samba AD,
 * tests/support/samba-forest.sh): for every key of expected.tsv (about 6,000:
 * legacyDN, primary and secondary SMTP, mailbox GUID, every X500 including
 * the 1,600 of a mailbox with more addresses than AD's MaxValRange), the
 * live answer equals the generator's and the exported mapping file's.
 * In-process (one connection per directory), so every key fits in the
 * suite's time; the CLI, binds and AD behaviours are in
 * tests/integration/samba_directory.sh. Exit 77 (skip) where the DCs cannot
 * run (not root, no samba). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpuu/config.h"
#include "cpuu/ldapdir.h"
#include "cpuu/mapping.h"
#include "testutil.h"

static char *g_dir;
static char *g_env;
static int g_started;

/* NAME='value' or NAME=value from the forest's env file. */
static const char *env(const char *name)
{
	static char out[16][1024]; /* one snprintf uses up to 11 */
	static int slot;
	char *o = out[slot++ & 15];
	o[0] = '\0';
	size_t n = strlen(name);
	for (const char *p = g_env; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, n) || p[n] != '=')
			continue;
		const char *v = p + n + 1, *end = strchr(v, '\n');
		size_t len = end ? (size_t)(end - v) : strlen(v);
		if (len >= 2 && v[0] == '\'') {
			v++;
			len -= 2;
		}
		if (len >= sizeof out[0])
			len = sizeof out[0] - 1;
		memcpy(o, v, len);
		o[len] = '\0';
		break;
	}
	return o;
}

static void forest(const char *verb)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "bash '%s/tests/support/samba-forest.sh' %s '%s/forest' %ld", CPUU_SOURCE_DIR, verb,
		 g_dir, (long)getpid());
	int rc = system(cmd);
	if (!strcmp(verb, "start")) {
		if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
			if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
				exit(77);
			fprintf(stderr, "the Samba DCs did not start\n");
			exit(1);
		}
		g_started = 1;
	}
}

static char *slurp(const char *path)
{
	size_t len;
	char *text = (char *)test_read_file(path, &len);
	if (!text)
		return NULL;
	char *t = realloc(text, len + 1);
	if (!t) {
		free(text);
		return NULL;
	}
	t[len] = '\0';
	return t;
}

static cpuu_config *make_config(void)
{
	char ini[8192];
	snprintf(ini, sizeof ini,
		 "[Source]\nUrl = %s\nCACertFile = %s\nBaseDN = %s\nBindDN = %s\nPasswordFile = %s\nPageSize = 300\n"
		 "[Target]\nUrl = %s\nStartTLS = yes\nCACertFile = %s\nBaseDN = %s\nBindDN = %s\nPasswordFile = %s\n"
		 "PageSize = 250\n"
		 "[Correspondence]\nAttribute = extensionAttribute1\nSide = target\nHolds = objectGUID\n"
		 "[Switch]\nAttribute = extensionAttribute10\nValue = cpuu-switched\nSide = source\n",
		 env("SRC_LDAPS_URL"), env("SAMBA_CA"), env("SRC_BASE"), env("SRC_BIND"), env("SRC_PWFILE"),
		 env("TRG_URL"), env("SAMBA_CA"), env("TRG_BASE"), env("TRG_BIND"), env("TRG_PWFILE"));
	char *path = test_path(g_dir, "cpuu.ini");
	assert_int_equal(test_write_file(path, ini, strlen(ini)), 0);
	cpuu_config *cfg = NULL;
	if (cpuu_config_load(&cfg, path) != CPUU_OK)
		fail_msg("config: %s", cpuu_error_last()->message);
	free(path);
	return cfg;
}

static const char *nz(const char *s) { return s ? s : "-"; }

static void same(const char *what, const char *key, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s of %s: '%s' vs '%s'", what, key, nz(a), nz(b));
}

static char *next_field(char **p)
{
	char *s = *p, *tab = strchr(s, '\t');
	if (tab) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

static const char *dash(const char *s) { return strcmp(s, "-") ? s : NULL; }

static const char *kind_name(cpuu_target_kind k)
{
	return k == CPUU_TARGET_ONLINE ? "online" : k == CPUU_TARGET_ONPREM ? "onprem" : "-";
}

static void test_every_key(void **state)
{
	(void)state;
	cpuu_config *cfg = make_config();
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("open: %s", cpuu_error_last()->message);
	char *csv = test_path(g_dir, "mapping.csv");
	cpuu_export_stats st;
	if (cpuu_directory_export_file(dir, csv, &st) != CPUU_OK)
		fail_msg("export: %s", cpuu_error_last()->message);
	assert_true(st.sources > 1000);
	cpuu_mapping *map = NULL;
	if (cpuu_mapping_load(&map, csv) != CPUU_OK)
		fail_msg("load: %s", cpuu_error_last()->message);

	char *text = slurp(env("EXPECTED"));
	assert_non_null(text);
	size_t checked = 0, switched = 0, found = 0, big = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		const char *kind = next_field(&p), *key = next_field(&p), *status = next_field(&p);
		const char *e_ldn = dash(next_field(&p)), *e_smtp = dash(next_field(&p));
		const char *e_guid = dash(next_field(&p)), *e_disp = dash(next_field(&p));
		const char *e_kind = next_field(&p), *e_server = dash(next_field(&p));
		int e_sw = atoi(next_field(&p));

		cpuu_match live;
		cpuu_lookup_status ls;
		if (cpuu_directory_lookup(&live, &ls, dir, key) != CPUU_OK)
			fail_msg("live lookup of %s: %s", key, cpuu_error_last()->message);
		if (strcmp(cpuu_lookup_status_name(ls), status))
			fail_msg("live %s %s: %s, expected %s", kind, key, cpuu_lookup_status_name(ls), status);
		if (ls == CPUU_LOOKUP_FOUND) {
			same("target_legacy_dn", key, live.target_legacy_dn, e_ldn);
			same("target_smtp", key, live.target_smtp, e_smtp);
			same("target_mailbox_guid", key, live.target_mailbox_guid, e_guid);
			same("target_display_name", key, live.target_display_name, e_disp);
			same("target_server", key, live.target_server, e_server);
			assert_string_equal(kind_name(live.target_kind), e_kind);
			found++;
		}
		if (live.switched != e_sw)
			fail_msg("live %s: switched %d, expected %d", key, live.switched, e_sw);
		switched += (size_t)live.switched;
		big += strstr(key, "cn=bigbox-") != NULL;

		if (strcmp(kind, "smtp2")) { /* secondary SMTP: directory only */
			const cpuu_match *fm = NULL;
			cpuu_lookup_status fs;
			if (cpuu_mapping_lookup(&fm, &fs, map, key) != CPUU_OK)
				fail_msg("file lookup of %s: %s", key, cpuu_error_last()->message);
			if (fs != ls)
				fail_msg("%s %s: file says %s, live says %s", kind, key, cpuu_lookup_status_name(fs),
					 cpuu_lookup_status_name(ls));
			if (ls == CPUU_LOOKUP_FOUND || ls == CPUU_LOOKUP_NO_TARGET) {
				assert_non_null(fm);
				same("source_legacy_dn", key, live.source_legacy_dn, fm->source_legacy_dn);
				same("source_smtp", key, live.source_smtp, fm->source_smtp);
				same("source_mailbox_guid", key, live.source_mailbox_guid, fm->source_mailbox_guid);
				assert_int_equal(live.source_x500.count, fm->source_x500.count);
				same("target_legacy_dn", key, live.target_legacy_dn, fm->target_legacy_dn);
				same("target_smtp", key, live.target_smtp, fm->target_smtp);
				same("target_mailbox_guid", key, live.target_mailbox_guid, fm->target_mailbox_guid);
				same("target_server", key, live.target_server, fm->target_server);
				if (ls == CPUU_LOOKUP_FOUND && (live.switched != fm->switched || live.target_kind != fm->target_kind))
					fail_msg("%s: file and live differ in kind or switch", key);
			}
		}
		cpuu_match_clear(&live);
		checked++;
	}
	free(text);
	fprintf(stderr, "%zu keys checked live and in the file (%zu found, %zu switched, %zu of bigbox's X500)\n",
		checked, found, switched, big);
	assert_true(checked > 5000);
	assert_true(switched > 1000); /* the data has switched users: a real check */
	assert_int_equal(big, 1600);  /* more values than AD's MaxValRange, each found */
	cpuu_mapping_free(map);
	free(csv);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

int main(void)
{
	g_dir = test_tmpdir("samba");
	if (!g_dir)
		return 1;
	if (!getenv("CPUU_SAMBA_CACHE"))
		setenv("CPUU_SAMBA_CACHE", CPUU_BINARY_DIR "/samba-cache", 1);
	forest("start");
	char *envp = test_path(g_dir, "forest/env");
	g_env = slurp(envp);
	free(envp);
	int rc = 1;
	if (g_env) {
		const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_every_key),
		};
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	forest("stop");
	free(g_env);
	test_tmpdir_remove(g_dir);
	return rc;
}
