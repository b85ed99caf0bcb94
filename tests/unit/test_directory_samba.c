/* The directory module against two real Active Directory DCs (Samba AD,
 * tests/support/samba-forest.sh): for every key of expected.tsv (about 6,000:
 * legacyDN, primary and secondary SMTP, mailbox GUID, every X500 including
 * the 1,600 of a mailbox with more addresses than AD's MaxValRange), the
 * exported mapping file's answer equals the generator's (but for secondary
 * SMTP keys, which the file does not hold) under each of the four
 * correspondence rules of the slapd suite (target extensionAttribute1
 * = source objectGUID text, target mS-DS-ConsistencyGuid = its raw bytes,
 * source extensionAttribute2 = target legacyExchangeDN, source
 * extensionAttribute3 = target SMTP). Live lookups: every key under the
 * first rule; under the other three, which change only the target side,
 * every hard case and a deterministic stratified sample (live_wanted).
 * Ranged retrieval: "rangebox" (3,000 X500 addresses on the source and on
 * its target, keys in ranged.tsv) read in ranges of 97 values (the test
 * hook CPUU_TEST_LDAP_RANGE_STEP: Samba ranges only when asked, a Windows
 * DC from 1,500 values on) gives the same export and X500 plan as whole
 * answers, every one of its addresses, and lookups by its last ones.
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
#include <time.h>
#include <unistd.h>

#include "cpuu/config.h"
#include "cpuu/ldapdir.h"
#include "cpuu/mapping.h"
#include "directory/internal.h" /* dir_range_followups: were ranges followed? */
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

#define RULE_TARGET_GUID "[Correspondence]\nAttribute = extensionAttribute1\nSide = target\nHolds = objectGUID\n"

static cpuu_config *make_config_rule(const char *corr)
{
	char ini[8192];
	snprintf(ini, sizeof ini,
		 "[Source]\nUrl = %s\nCACertFile = %s\nBaseDN = %s\nBindDN = %s\nPasswordFile = %s\nPageSize = 300\n"
		 "[Target]\nUrl = %s\nStartTLS = yes\nCACertFile = %s\nBaseDN = %s\nBindDN = %s\nPasswordFile = %s\n"
		 "PageSize = 250\n"
		 "%s"
		 "[Switch]\nAttribute = extensionAttribute10\nValue = cpuu-switched\nSide = source\n",
		 env("SRC_LDAPS_URL"), env("SAMBA_CA"), env("SRC_BASE"), env("SRC_BIND"), env("SRC_PWFILE"),
		 env("TRG_URL"), env("SAMBA_CA"), env("TRG_BASE"), env("TRG_BIND"), env("TRG_PWFILE"), corr);
	char *path = test_path(g_dir, "cpuu.ini");
	assert_int_equal(test_write_file(path, ini, strlen(ini)), 0);
	cpuu_config *cfg = NULL;
	if (cpuu_config_load(&cfg, path) != CPUU_OK)
		fail_msg("config: %s", cpuu_error_last()->message);
	free(path);
	return cfg;
}

static cpuu_config *make_config(void)
{
	return make_config_rule(RULE_TARGET_GUID);
}

/* Seconds since an arbitrary point: printed per test (a figure, never asserted). */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* Which keys one rule looks up live. The first rule (target
 * extensionAttribute1) looks up every key live. The other three differ from
 * it on the target side only (the source search by key is the same code
 * and the same data), so for them every key is compared through the
 * exported file (the bulk export is what is compared: status and target
 * facts against the generator's) and looked up live are: every hard case
 * (any status but found: ambiguous, not switched, no target, no match;
 * the shared and room mailboxes; bigbox's first and last ten X500) and a
 * deterministic stratified sample: the first key of each kind (ldn, smtp,
 * smtp2, guid, x500) and then every SAMPLE_EVERY-th key of that kind in
 * expected.tsv's order. Secondary SMTP keys (smtp2) are not in the file:
 * under these rules only the sampled and hard ones are checked, their
 * source search being the first rule's, which checks every one live. docs/directory.md names this set. */
#define SAMPLE_EVERY 16
#define MAX_KINDS 16

static int live_wanted(const char *kind, const char *key, const char *status, char kinds[][16], size_t *seen,
		       size_t *nkinds)
{
	if (strcmp(status, "found"))
		return 1;
	if (strstr(key, "shared") || strstr(key, "room"))
		return 1;
	const char *b = strstr(key, "cn=bigbox-");
	if (b) {
		int n = atoi(b + 10);
		return n < 10 || n >= 1590;
	}
	size_t k = 0;
	while (k < *nkinds && strcmp(kinds[k], kind))
		k++;
	if (k == *nkinds) {
		assert_true(k < MAX_KINDS);
		snprintf(kinds[k], 16, "%s", kind);
		seen[k] = 0;
		(*nkinds)++;
	}
	return seen[k]++ % SAMPLE_EVERY == 0;
}

/* Every key of expected.tsv under one correspondence rule: the exported
 * file's answer equals the generator's for every key (but smtp2: the file
 * does not hold secondary SMTP addresses); the live answer equals the
 * generator's and the file's for every key (all_live) or for the keys of
 * live_wanted. */
static void check_every_key(const char *corr, int all_live)
{
	double t0 = now_s();
	cpuu_config *cfg = make_config_rule(corr);
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

	double t_export = now_s() - t0;
	char *text = slurp(env("EXPECTED"));
	assert_non_null(text);
	size_t checked = 0, live_n = 0, file_n = 0, switched = 0, found = 0, big = 0, hard = 0;
	char kinds[MAX_KINDS][16];
	size_t seen[MAX_KINDS], nkinds = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		const char *kind = next_field(&p), *key = next_field(&p), *status = next_field(&p);
		const char *e_ldn = dash(next_field(&p)), *e_smtp = dash(next_field(&p));
		const char *e_guid = dash(next_field(&p)), *e_disp = dash(next_field(&p));
		const char *e_kind = next_field(&p), *e_server = dash(next_field(&p));
		int e_sw = atoi(next_field(&p));
		int in_file = strcmp(kind, "smtp2") != 0; /* secondary SMTP: directory only */
		checked++;
		big += strstr(key, "cn=bigbox-") != NULL;
		hard += strcmp(status, "found") != 0;

		const cpuu_match *fm = NULL;
		cpuu_lookup_status fs = CPUU_LOOKUP_NO_SOURCE;
		if (in_file) {
			if (cpuu_mapping_lookup(&fm, &fs, map, key) != CPUU_OK)
				fail_msg("file lookup of %s: %s", key, cpuu_error_last()->message);
			if (strcmp(cpuu_lookup_status_name(fs), status))
				fail_msg("file %s %s: %s, expected %s", kind, key, cpuu_lookup_status_name(fs), status);
			if (fs == CPUU_LOOKUP_FOUND) {
				assert_non_null(fm);
				same("file target_legacy_dn", key, fm->target_legacy_dn, e_ldn);
				same("file target_smtp", key, fm->target_smtp, e_smtp);
				same("file target_mailbox_guid", key, fm->target_mailbox_guid, e_guid);
				same("file target_server", key, fm->target_server, e_server);
				assert_string_equal(kind_name(fm->target_kind), e_kind);
				if (fm->switched != e_sw)
					fail_msg("file %s: switched %d, expected %d", key, fm->switched, e_sw);
			}
			file_n++;
		}
		if (!all_live && !live_wanted(kind, key, status, kinds, seen, &nkinds))
			continue;

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

		if (in_file && (ls == CPUU_LOOKUP_FOUND || ls == CPUU_LOOKUP_NO_TARGET)) {
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
		cpuu_match_clear(&live);
		live_n++;
	}
	free(text);
	fprintf(stderr,
		"%zu keys: %zu compared in the file, %zu looked up live (%zu found, %zu switched); %zu not found "
		"(hard cases), %zu of bigbox's X500; export %.1f s, whole check %.1f s\n",
		checked, file_n, live_n, found, switched, hard, big, t_export, now_s() - t0);
	assert_true(checked > 4000);
	assert_true(file_n > 4000);
	assert_int_equal(big, 1600); /* more values than AD's MaxValRange */
	if (all_live) {
		assert_int_equal(live_n, checked);
		assert_true(switched > 1000); /* the data has switched users: a real check */
	} else {
		assert_true(live_n > hard && live_n < checked / 4);
		assert_true(switched > 50);
	}
	cpuu_mapping_free(map);
	free(csv);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

static void test_every_key(void **state)
{
	(void)state;
	check_every_key(RULE_TARGET_GUID, 1);
}

/* The slapd suite's other three correspondence rules (test_directory_ldap.c)
 * on the real DCs: a binary attribute holding the raw GUID, and the source
 * pointing at the target by legacyExchangeDN and by SMTP. Every key through
 * the export, hard cases and a sample live (live_wanted). */
static void test_every_key_target_raw_guid(void **state)
{
	(void)state;
	check_every_key("[Correspondence]\nAttribute = mS-DS-ConsistencyGuid\nSide = target\nHolds = objectGUID\n", 0);
}

static void test_every_key_source_legacydn(void **state)
{
	(void)state;
	check_every_key("[Correspondence]\nAttribute = extensionAttribute2\nSide = source\nHolds = legacyExchangeDN\n", 0);
}

static void test_every_key_source_smtp(void **state)
{
	(void)state;
	check_every_key("[Correspondence]\nAttribute = extensionAttribute3\nSide = source\nHolds = smtp\n", 0);
}

static const cpuu_match *row_of(const cpuu_match *rows, size_t n, const char *ldn)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].source_legacy_dn && !strcmp(rows[i].source_legacy_dn, ldn))
			return &rows[i];
	return NULL;
}

static int has_value(const cpuu_strlist *l, const char *v)
{
	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->items[i], v))
			return 1;
	return 0;
}

static void export_and_plan(cpuu_match **rows, size_t *n, size_t *values, size_t *targets)
{
	cpuu_config *cfg = make_config();
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("open: %s", cpuu_error_last()->message);
	cpuu_export_stats st;
	if (cpuu_directory_export(rows, n, &st, dir) != CPUU_OK)
		fail_msg("export: %s", cpuu_error_last()->message);
	cpuu_x500_plan *plan = NULL;
	if (cpuu_x500_plan_build(&plan, dir) != CPUU_OK)
		fail_msg("x500 plan: %s", cpuu_error_last()->message);
	*values = cpuu_x500_plan_values(plan);
	*targets = cpuu_x500_plan_targets(plan);
	cpuu_x500_plan_free(plan);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

static void test_ranged_values(void **state)
{
	(void)state;
	double t0 = now_s();
	/* Whole answers first: Samba does not range an unranged request. */
	unsetenv("CPUU_TEST_LDAP_RANGE_STEP");
	size_t before = dir_range_followups();
	cpuu_match *whole = NULL, *ranged = NULL;
	size_t nwhole = 0, nranged = 0, v_whole, t_whole, v_ranged, t_ranged;
	export_and_plan(&whole, &nwhole, &v_whole, &t_whole);
	assert_int_equal(dir_range_followups(), before);

	setenv("CPUU_TEST_LDAP_RANGE_STEP", "97", 1);
	export_and_plan(&ranged, &nranged, &v_ranged, &t_ranged);
	size_t followed = dir_range_followups() - before;
	/* rangebox: 3,001 values on each side, 31 ranges of 97 each: at
	 * least 30 continuation reads per side (export and plan read both). */
	fprintf(stderr, "%zu continuation reads in ranges of 97\n", followed);
	assert_true(followed >= 4 * 30);

	/* The same rows, every X500 of every source. */
	assert_int_equal(nranged, nwhole);
	for (size_t i = 0; i < nwhole; i++) {
		const cpuu_match *r = row_of(ranged, nranged, whole[i].source_legacy_dn);
		if (!r)
			fail_msg("row of %s missing in the ranged export", whole[i].source_legacy_dn);
		if (r->source_x500.count != whole[i].source_x500.count)
			fail_msg("%s: %zu X500 ranged, %zu whole", whole[i].source_legacy_dn, r->source_x500.count,
				 whole[i].source_x500.count);
		same("target_smtp", whole[i].source_legacy_dn, r->target_smtp, whole[i].target_smtp);
	}
	/* The target's 3,000 addresses were read too: nothing more to add. */
	assert_int_equal(v_ranged, v_whole);
	assert_int_equal(t_ranged, t_whole);

	/* Every rangebox key of ranged.tsv is among its X500s (or its other
	 * keys), and lookups by its first and last addresses find it. */
	char *text = slurp(env("RANGED"));
	assert_non_null(text);
	const cpuu_match *box = NULL;
	size_t x500 = 0;
	char *last = NULL, *first = NULL, *ldn = NULL, *smtp = NULL;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		const char *kind = next_field(&p), *key = next_field(&p);
		next_field(&p);
		const char *t_ldn = next_field(&p), *t_smtp = next_field(&p);
		if (!strcmp(kind, "ldn")) {
			ldn = (char *)key;
			box = row_of(ranged, nranged, key);
			assert_non_null(box);
			same("rangebox target", key, box->target_legacy_dn, t_ldn);
			same("rangebox target smtp", key, box->target_smtp, t_smtp);
		} else if (!strcmp(kind, "x500")) {
			assert_non_null(box);
			if (!has_value(&box->source_x500, key))
				fail_msg("rangebox's %s missing from the ranged export", key);
			if (!first)
				first = (char *)key;
			last = (char *)key;
			x500++;
		} else if (!strcmp(kind, "smtp")) {
			smtp = (char *)key;
		}
	}
	assert_int_equal(x500, 3000);
	assert_non_null(box);
	assert_int_equal(box->source_x500.count, 3000);

	cpuu_config *cfg = make_config();
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("open: %s", cpuu_error_last()->message);
	const char *keys[] = { first, last, ldn, smtp };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		assert_non_null(keys[i]);
		cpuu_match m;
		cpuu_lookup_status ls;
		if (cpuu_directory_lookup(&m, &ls, dir, keys[i]) != CPUU_OK)
			fail_msg("lookup of %s: %s", keys[i], cpuu_error_last()->message);
		if (ls != CPUU_LOOKUP_FOUND)
			fail_msg("ranged lookup of %s: %s", keys[i], cpuu_lookup_status_name(ls));
		same("target_legacy_dn", keys[i], m.target_legacy_dn, box->target_legacy_dn);
		assert_int_equal(m.source_x500.count, 3000);
		assert_int_equal(m.switched, 1);
		cpuu_match_clear(&m);
	}
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
	unsetenv("CPUU_TEST_LDAP_RANGE_STEP");
	fprintf(stderr, "ranged values checked in %.1f s\n", now_s() - t0);
	free(text);
	cpuu_matches_free(whole, nwhole);
	cpuu_matches_free(ranged, nranged);
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
			cmocka_unit_test(test_ranged_values),
			cmocka_unit_test(test_every_key),
			cmocka_unit_test(test_every_key_target_raw_guid),
			cmocka_unit_test(test_every_key_source_legacydn),
			cmocka_unit_test(test_every_key_source_smtp),
		};
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	forest("stop");
	free(g_env);
	test_tmpdir_remove(g_dir);
	return rc;
}
