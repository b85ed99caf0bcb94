/* The LDAP side of the directory module against a real slapd
 * (tests/support/slapd.sh): live lookups agree with the generator's truth
 * and with the exported mapping file for every user and key kind, under
 * three correspondence rules; connection failures give distinct codes and
 * one-line messages; the X500 plan applied twice adds nothing the second
 * time. Exit 77 (skip) when slapd is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cpuu/config.h"
#include "cpuu/ldapdir.h"
#include "cpuu/mapping.h"
#include "testutil.h"

static char *g_dir;
static char g_url[256], g_ldaps[256], g_ca[1024], g_wrongca[1024];
static char g_srcpw[1024], g_trgpw[1024], g_wrongpw[1024];
static int g_started;

static void env_value(const char *text, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, n) || p[n] != '=')
			continue;
		const char *v = p + n + 1, *end = strchr(v, '\n');
		size_t len = end ? (size_t)(end - v) : strlen(v);
		if (len >= 2 && v[0] == '\'') {
			v++;
			len -= 2;
		}
		if (len >= cap)
			len = cap - 1;
		memcpy(out, v, len);
		out[len] = '\0';
		return;
	}
}

static void stop_slapd(void)
{
	if (!g_started)
		return;
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "bash '%s/tests/support/slapd.sh' stop '%s/slapd'", CPUU_SOURCE_DIR, g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: slapd stop failed\n");
	g_started = 0;
}

static int start_slapd(void)
{
	if (access("/usr/sbin/slapd", X_OK) != 0 && system("command -v slapd >/dev/null 2>&1") != 0)
		return -1;
	g_dir = test_tmpdir("ldap");
	if (!g_dir)
		return -1;
	char cmd[4096];
	/* Our PID: slapd.sh stops the server should this process die early. */
	snprintf(cmd, sizeof cmd, "bash '%s/tests/support/slapd.sh' start '%s/slapd' %ld", CPUU_SOURCE_DIR, g_dir,
		 (long)getpid());
	if (system(cmd) != 0)
		return -2;
	g_started = 1;
	char *envp = test_path(g_dir, "slapd/env");
	size_t len;
	char *text = (char *)test_read_file(envp, &len);
	free(envp);
	if (!text)
		return -2;
	char *t = realloc(text, len + 1);
	if (!t) {
		free(text);
		return -2;
	}
	text = t;
	text[len] = '\0';
	env_value(text, "SLAPD_URL", g_url, sizeof g_url);
	env_value(text, "SLAPD_LDAPS_URL", g_ldaps, sizeof g_ldaps);
	env_value(text, "SLAPD_CA", g_ca, sizeof g_ca);
	env_value(text, "SLAPD_WRONG_CA", g_wrongca, sizeof g_wrongca);
	env_value(text, "SRC_PWFILE", g_srcpw, sizeof g_srcpw);
	env_value(text, "TRG_PWFILE", g_trgpw, sizeof g_trgpw);
	env_value(text, "WRONG_PWFILE", g_wrongpw, sizeof g_wrongpw);
	free(text);
	return g_url[0] ? 0 : -2;
}

/* A cpuu.ini for the test slapd; extra lines are appended per section. */
static cpuu_config *make_config(const char *corr, const char *src_extra, const char *trg_extra)
{
	char ini[8192];
	snprintf(ini, sizeof ini,
		 "[Source]\nUrl = %s\nBaseDN = dc=source,dc=example\nBindDN = cn=cpuu,dc=source,dc=example\n"
		 "TimeoutSeconds = 5\nPageSize = 50\n%s\n"
		 "[Target]\nUrl = %s\nBaseDN = dc=target,dc=example\nBindDN = cn=cpuu,dc=target,dc=example\n"
		 "PasswordFile = %s\nTimeoutSeconds = 5\nPageSize = 37\n%s\n"
		 "%s\n"
		 "[Switch]\nAttribute = extensionAttribute10\nValue = cpuu-switched\nSide = source\n",
		 g_url, src_extra, g_url, g_trgpw, trg_extra, corr);
	/* Source password given per test (file or env) through src_extra, else default. */
	if (!strstr(src_extra, "Password")) {
		char *p = strstr(ini, "PageSize = 50\n");
		char buf[8192];
		snprintf(buf, sizeof buf, "%.*sPasswordFile = %s\n%s", (int)(p - ini), ini, g_srcpw, p);
		memcpy(ini, buf, strlen(buf) + 1);
	}
	char *path = test_path(g_dir, "cpuu.ini");
	assert_int_equal(test_write_file(path, ini, strlen(ini)), 0);
	cpuu_config *cfg = NULL;
	int rc = cpuu_config_load(&cfg, path);
	if (rc != CPUU_OK)
		fail_msg("config: %s", cpuu_error_last()->message);
	free(path);
	return cfg;
}

static const char *nz(const char *s) { return s ? s : "-"; }

static void assert_same_str(const char *what, const char *key, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s of %s: '%s' vs '%s'", what, key, nz(a), nz(b));
}

static void assert_same_match(const char *key, const cpuu_match *a, const cpuu_match *b)
{
	assert_same_str("source_legacy_dn", key, a->source_legacy_dn, b->source_legacy_dn);
	assert_same_str("source_smtp", key, a->source_smtp, b->source_smtp);
	assert_same_str("source_mailbox_guid", key, a->source_mailbox_guid, b->source_mailbox_guid);
	assert_int_equal(a->source_x500.count, b->source_x500.count);
	for (size_t i = 0; i < a->source_x500.count; i++)
		assert_same_str("source_x500", key, a->source_x500.items[i], b->source_x500.items[i]);
	assert_same_str("target_legacy_dn", key, a->target_legacy_dn, b->target_legacy_dn);
	assert_same_str("target_smtp", key, a->target_smtp, b->target_smtp);
	assert_same_str("target_mailbox_guid", key, a->target_mailbox_guid, b->target_mailbox_guid);
	assert_same_str("target_display_name", key, a->target_display_name, b->target_display_name);
	assert_same_str("target_server", key, a->target_server, b->target_server);
	if (a->target_kind != b->target_kind || a->switched != b->switched)
		fail_msg("%s: kind %d/%d switched %d/%d", key, a->target_kind, b->target_kind, a->switched,
			 b->switched);
}

static const char *kind_name(cpuu_target_kind k)
{
	return k == CPUU_TARGET_ONLINE ? "online" : k == CPUU_TARGET_ONPREM ? "onprem" : "-";
}

static char *field(char **p)
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

/* Every line of expected.tsv: live answer == generator's truth, and the
 * mapping file's answer == live answer (secondary SMTP: live only). */
static size_t check_all(cpuu_directory *dir, const cpuu_mapping *map)
{
	char *path = test_path(g_dir, "slapd/expected.tsv");
	size_t len;
	char *text = (char *)test_read_file(path, &len);
	free(path);
	assert_non_null(text);
	char *t = realloc(text, len + 1);
	assert_non_null(t);
	text = t;
	text[len] = '\0';
	size_t checked = 0, switched = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *p = line;
		const char *kind = field(&p), *key = field(&p), *status = field(&p);
		const char *e_ldn = dash(field(&p)), *e_smtp = dash(field(&p)), *e_guid = dash(field(&p));
		const char *e_disp = dash(field(&p)), *e_kind = field(&p), *e_server = dash(field(&p));
		int e_sw = atoi(field(&p));

		cpuu_match live;
		cpuu_lookup_status st;
		int rc = cpuu_directory_lookup(&live, &st, dir, key);
		if (rc != CPUU_OK)
			fail_msg("live lookup of %s: %s", key, cpuu_error_last()->message);
		if (strcmp(cpuu_lookup_status_name(st), status))
			fail_msg("live %s %s: %s, expected %s", kind, key, cpuu_lookup_status_name(st), status);
		if (st == CPUU_LOOKUP_FOUND) {
			assert_same_str("target_legacy_dn", key, live.target_legacy_dn, e_ldn);
			assert_same_str("target_smtp", key, live.target_smtp, e_smtp);
			assert_same_str("target_mailbox_guid", key, live.target_mailbox_guid, e_guid);
			assert_same_str("target_display_name", key, live.target_display_name, e_disp);
			assert_same_str("target_server", key, live.target_server, e_server);
			assert_string_equal(kind_name(live.target_kind), e_kind);
		}
		if (live.switched != e_sw)
			fail_msg("live %s: switched %d, expected %d", key, live.switched, e_sw);
		switched += (size_t)live.switched;

		if (map && strcmp(kind, "smtp2")) {
			const cpuu_match *fm = NULL;
			cpuu_lookup_status fst;
			rc = cpuu_mapping_lookup(&fm, &fst, map, key);
			if (rc != CPUU_OK)
				fail_msg("file lookup of %s: %s", key, cpuu_error_last()->message);
			if (fst != st)
				fail_msg("%s %s: file says %s, live says %s", kind, key, cpuu_lookup_status_name(fst),
					 cpuu_lookup_status_name(st));
			if (st == CPUU_LOOKUP_FOUND || st == CPUU_LOOKUP_NO_TARGET) {
				assert_non_null(fm);
				cpuu_match copy = *fm;
				if (st != CPUU_LOOKUP_FOUND)
					copy.switched = 0;
				assert_same_match(key, &live, &copy);
			}
		}
		cpuu_match_clear(&live);
		checked++;
	}
	free(text);
	assert_true(checked > 1000);
	assert_true(switched > 100); /* the data has switched users: a real check */
	return checked;
}

static void check_rule(const char *corr)
{
	cpuu_config *cfg = make_config(corr, "", "");
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("open: %s", cpuu_error_last()->message);
	char *csv = test_path(g_dir, "mapping.csv");
	cpuu_export_stats st;
	if (cpuu_directory_export_file(dir, csv, &st) != CPUU_OK)
		fail_msg("export: %s", cpuu_error_last()->message);
	assert_int_equal(st.sources, 300);
	assert_int_equal(st.ambiguous, 1);
	assert_int_equal(st.no_target, 30);
	assert_int_equal(st.found, 269);
	cpuu_mapping *map = NULL;
	if (cpuu_mapping_load(&map, csv) != CPUU_OK)
		fail_msg("load: %s", cpuu_error_last()->message);
	assert_int_equal(cpuu_mapping_count(map), 301); /* one extra row: the ambiguous target */
	assert_int_equal(cpuu_mapping_warnings(map)->count, 0);
	check_all(dir, map);
	cpuu_mapping_free(map);
	free(csv);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

static void test_agree_target_holds_guid(void **state)
{
	(void)state;
	check_rule("[Correspondence]\nAttribute = extensionAttribute1\nSide = target\nHolds = objectGUID\n");
}

static void test_agree_target_holds_raw_guid(void **state)
{
	(void)state;
	check_rule("[Correspondence]\nAttribute = mS-DS-ConsistencyGuid\nSide = target\nHolds = objectGUID\n");
}

static void test_agree_source_holds_legacydn(void **state)
{
	(void)state;
	check_rule("[Correspondence]\nAttribute = extensionAttribute2\nSide = source\nHolds = legacyExchangeDN\n");
}

static void test_agree_source_holds_smtp(void **state)
{
	(void)state;
	check_rule("[Correspondence]\nAttribute = extensionAttribute3\nSide = source\nHolds = smtp\n");
}

static void test_resolver_and_bad_key(void **state)
{
	(void)state;
	cpuu_config *cfg = make_config("", "", "");
	cpuu_resolver *r = NULL;
	if (cpuu_resolver_open(&r, cfg) != CPUU_OK)
		fail_msg("resolver: %s", cpuu_error_last()->message);
	assert_false(cpuu_resolver_uses_file(r));
	cpuu_match m;
	cpuu_lookup_status st;
	assert_int_equal(cpuu_resolver_lookup(&m, &st, r, "not a key"), CPUU_EINVALID);
	/* A filter-hostile key is escaped, not interpreted. */
	assert_int_equal(cpuu_resolver_lookup(&m, &st, r, "*)(objectClass=*@x"), CPUU_OK);
	assert_int_equal(st, CPUU_LOOKUP_NO_SOURCE);
	cpuu_match_clear(&m);
	assert_int_equal(cpuu_resolver_lookup(&m, &st, r, "SMTP:USER0002@SOURCE.EXAMPLE"), CPUU_OK);
	assert_int_equal(st, CPUU_LOOKUP_FOUND);
	assert_string_equal(m.target_smtp, "user0002@target.example");
	assert_int_equal(m.switched, 1);
	cpuu_match_clear(&m);
	cpuu_resolver_free(r);
	cpuu_config_free(cfg);
}

/* --- failures ----------------------------------------------------------- */

static int expect_fail(int code, const char *src_extra, const char *trg_extra, const char *must_contain)
{
	cpuu_config *cfg = make_config("", src_extra, trg_extra);
	cpuu_directory *dir = NULL;
	int rc = cpuu_directory_open(&dir, cfg);
	const char *msg = cpuu_error_last()->message;
	if (rc != code)
		fail_msg("expected %s, got %s: %s", cpuu_error_name(code), cpuu_error_name(rc), msg);
	assert_null(dir);
	assert_null(strchr(msg, '\n'));
	assert_null(strstr(msg, "secret")); /* never the password */
	if (must_contain && !strstr(msg, must_contain))
		fail_msg("message '%s' lacks '%s'", msg, must_contain);
	cpuu_config_free(cfg);
	return rc;
}

static int closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t n = sizeof a;
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &n), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void test_server_down(void **state)
{
	(void)state;
	char extra[256];
	snprintf(extra, sizeof extra, "Url = ldap://127.0.0.1:%d\n", closed_port());
	/* The later Url wins (a warning), so the override works. */
	expect_fail(CPUU_ENETWORK, extra, "", "Source");
}

static void test_wrong_password(void **state)
{
	(void)state;
	char extra[1200];
	snprintf(extra, sizeof extra, "PasswordFile = %s\n", g_wrongpw);
	expect_fail(CPUU_EAUTH, extra, "", "cn=cpuu,dc=source,dc=example");
	setenv("CPUU_TEST_PW", "wrong", 1);
	expect_fail(CPUU_EAUTH, "PasswordEnv = CPUU_TEST_PW\n", "", NULL);
	setenv("CPUU_TEST_PW", "source-secret", 1);
	cpuu_config *cfg = make_config("", "PasswordEnv = CPUU_TEST_PW\n", "");
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("env password: %s", cpuu_error_last()->message);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

static void test_timeout(void **state)
{
	(void)state;
	/* Listening but never accepting: the kernel completes the TCP
	 * handshake, then nothing ever answers. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t n = sizeof a;
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &n), 0);
	char extra[256];
	snprintf(extra, sizeof extra, "Url = ldap://127.0.0.1:%d\nTimeoutSeconds = 1\n", ntohs(a.sin_port));
	expect_fail(CPUU_ENETWORK, extra, "", "timed out");
	/* The same on ldaps:// (the TLS handshake never gets an answer) and
	 * with StartTLS: a network timeout, not a TLS failure, and no hang. */
	snprintf(extra, sizeof extra, "Url = ldaps://127.0.0.1:%d\nTimeoutSeconds = 1\n", ntohs(a.sin_port));
	expect_fail(CPUU_ENETWORK, extra, "", "timed out");
	snprintf(extra, sizeof extra, "Url = ldap://127.0.0.1:%d\nStartTLS = yes\nTimeoutSeconds = 1\n",
		 ntohs(a.sin_port));
	expect_fail(CPUU_ENETWORK, extra, "", "timed out");
	close(s);
}

static void test_tls(void **state)
{
	(void)state;
	char extra[2048];
	/* ldaps:// and StartTLS with the right CA work. */
	snprintf(extra, sizeof extra, "Url = %s\nCACertFile = %s\n", g_ldaps, g_ca);
	cpuu_config *cfg = make_config("", extra, "");
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("ldaps: %s", cpuu_error_last()->message);
	cpuu_match m;
	cpuu_lookup_status st;
	assert_int_equal(cpuu_directory_lookup(&m, &st, dir, "user0004@source.example"), CPUU_OK);
	assert_int_equal(st, CPUU_LOOKUP_FOUND);
	cpuu_match_clear(&m);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);

	snprintf(extra, sizeof extra, "StartTLS = yes\nCACertFile = %s\n", g_ca);
	cfg = make_config("", extra, "");
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("StartTLS: %s", cpuu_error_last()->message);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);

	/* A CA that did not sign the server certificate: ETLS, both ways. */
	snprintf(extra, sizeof extra, "Url = %s\nCACertFile = %s\n", g_ldaps, g_wrongca);
	expect_fail(CPUU_ETLS, extra, "", "TLS");
	snprintf(extra, sizeof extra, "StartTLS = yes\nCACertFile = %s\n", g_wrongca);
	expect_fail(CPUU_ETLS, extra, "", "StartTLS");
}

/* --- X500 ---------------------------------------------------------------- */

/* A target account without write access: EAUTH, nothing added. */
static void test_x500_refused(void **state)
{
	(void)state;
	char extra[1200];
	snprintf(extra, sizeof extra, "BindDN = cn=cpuu,dc=source,dc=example\nPasswordFile = %s\n", g_srcpw);
	cpuu_config *cfg = make_config("", "", extra);
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("open: %s", cpuu_error_last()->message);
	cpuu_x500_plan *p = NULL;
	assert_int_equal(cpuu_x500_plan_build(&p, dir), CPUU_OK);
	assert_true(cpuu_x500_plan_values(p) > 0);
	size_t added = 99;
	assert_int_equal(cpuu_x500_plan_apply(&added, p, dir), CPUU_EAUTH);
	assert_int_equal(added, 0);
	assert_non_null(strstr(cpuu_error_last()->message, "Insufficient access"));
	cpuu_x500_plan_free(p);
	/* Still everything to add: nothing was changed. */
	assert_int_equal(cpuu_x500_plan_build(&p, dir), CPUU_OK);
	assert_true(cpuu_x500_plan_values(p) > 0);
	cpuu_x500_plan_free(p);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

static void test_x500_twice(void **state)
{
	(void)state;
	cpuu_config *cfg = make_config("[Correspondence]\nAttribute = extensionAttribute1\nSide = target\n"
				       "Holds = objectGUID\n", "", "");
	cpuu_directory *dir = NULL;
	if (cpuu_directory_open(&dir, cfg) != CPUU_OK)
		fail_msg("open: %s", cpuu_error_last()->message);
	cpuu_x500_plan *p = NULL;
	if (cpuu_x500_plan_build(&p, dir) != CPUU_OK)
		fail_msg("plan: %s", cpuu_error_last()->message);
	/* 269 single targets, each lacking at least its source legacyExchangeDN
	 * except those that already hold it (every 12th user). */
	assert_true(cpuu_x500_plan_targets(p) > 200);
	assert_true(cpuu_x500_plan_values(p) > cpuu_x500_plan_targets(p));
	assert_int_equal(cpuu_x500_plan_skipped(p), 2); /* the shared X500 of users 11 and 12 */
	char *ldif = test_path(g_dir, "x500.ldif");
	assert_int_equal(cpuu_x500_plan_write_ldif(p, ldif), CPUU_OK);
	size_t len;
	char *text = (char *)test_read_file(ldif, &len);
	assert_non_null(text);
	char *t = realloc(text, len + 1);
	assert_non_null(t);
	text = t;
	text[len] = '\0';
	assert_non_null(strstr(text, "changetype: modify\nadd: proxyAddresses\n"));
	assert_null(strstr(text, "cn=shared")); /* never the ambiguous address */
	assert_null(strstr(text, "user0020")); /* nor for the ambiguous target */
	assert_non_null(strstr(text, "proxyAddresses:: ")); /* the non-ASCII one, base64 */
	free(text);

	size_t added = 0;
	if (cpuu_x500_plan_apply(&added, p, dir) != CPUU_OK)
		fail_msg("apply: %s", cpuu_error_last()->message);
	assert_int_equal(added, cpuu_x500_plan_values(p));
	/* Applying the same plan again: every value is there now. */
	assert_int_equal(cpuu_x500_plan_apply(&added, p, dir), CPUU_OK);
	assert_int_equal(added, 0);
	cpuu_x500_plan_free(p);

	/* A fresh plan finds nothing left to add. */
	assert_int_equal(cpuu_x500_plan_build(&p, dir), CPUU_OK);
	assert_int_equal(cpuu_x500_plan_values(p), 0);
	assert_int_equal(cpuu_x500_plan_targets(p), 0);
	cpuu_x500_plan_free(p);
	free(ldif);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
}

int main(void)
{
	int rc = start_slapd();
	if (rc == -1) {
		fprintf(stderr, "slapd not installed: skipped\n");
		return TEST_SKIP_EXIT;
	}
	if (rc != 0) {
		fprintf(stderr, "could not start the test slapd\n");
		stop_slapd();
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree_target_holds_guid),
		cmocka_unit_test(test_agree_target_holds_raw_guid),
		cmocka_unit_test(test_agree_source_holds_legacydn),
		cmocka_unit_test(test_agree_source_holds_smtp),
		cmocka_unit_test(test_resolver_and_bad_key),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_x500_refused),
		cmocka_unit_test(test_x500_twice),
	};
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	stop_slapd();
	test_tmpdir_remove(g_dir);
	return rc;
}
