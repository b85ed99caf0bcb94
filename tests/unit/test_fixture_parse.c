/* Fixture descriptions: the shipped files parse into the documented facts,
 * UIDs are deterministic, and bad descriptions name their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cpuu_fixture *load(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/fixtures/%s", CPUU_SOURCE_DIR, name);
	cpuu_fixture *f = NULL;
	int rc = cpuu_fixture_parse_file(&f, path);
	if (rc != CPUU_OK)
		fail_msg("%s: %s", name, cpuu_error_last()->message);
	return f;
}

static const char *const shipped[] = {
	"outlook2016-cached.fixture", "two-exchange.fixture", "mixed.fixture",
	"outlook2013-string8.fixture", "multi-profile.fixture", "outlook2010-wms.fixture",
};

static void test_shipped_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
		cpuu_fixture *f = load(shipped[i]);
		assert_non_null(f);
		assert_true(f->profile_count >= 1);
		cpuu_fixture_free(f);
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/examples/demo.fixture", CPUU_SOURCE_DIR);
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_fixture_parse_file(&f, path), CPUU_OK);
	assert_int_equal(f->profile_count, 2);
	cpuu_fixture_free(f);
}

static void test_cached_facts(void **state)
{
	(void)state;
	cpuu_fixture *f = load("outlook2016-cached.fixture");
	assert_int_equal(f->profile_count, 1);
	const cpuu_fixture_profile *p = &f->profiles[0];
	assert_string_equal(p->name, "Outlook");
	assert_int_equal(p->version, CPUU_FIXTURE_V16);
	assert_true(p->is_default);
	assert_int_equal(p->strings, CPUU_FIXTURE_UNICODE);
	assert_int_equal(p->account_count, 1);
	const cpuu_fixture_account *a = &p->accounts[0];
	assert_int_equal(a->kind, CPUU_FIXTURE_EXCHANGE);
	assert_int_equal(a->account_id, 1);
	assert_string_equal(a->home_server, "6f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b@source.example");
	assert_string_equal(a->server_dn, "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
					  "/cn=Configuration/cn=Servers/cn=6f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b@source.example");
	assert_string_equal(a->account_name, "alice@source.example");
	assert_string_equal(a->domain, "source.example");
	assert_true(a->cached);
	assert_int_equal(a->config_flags & 0x180, 0x180);
	assert_string_equal(a->ost_path, "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost");
	char *path = cpuu_fixture_profile_path(p);
	assert_string_equal(path, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook");
	free(path);
	assert_ptr_equal(cpuu_fixture_primary_exchange(p), a);
	assert_ptr_equal(cpuu_fixture_find_profile(f, "Outlook"), p);
	assert_null(cpuu_fixture_find_profile(f, "Nope"));
	cpuu_fixture_free(f);
}

static void test_defaults_and_kinds(void **state)
{
	(void)state;
	cpuu_fixture *f = load("mixed.fixture");
	const cpuu_fixture_profile *p = &f->profiles[0];
	assert_int_equal(p->account_count, 4);
	assert_int_equal(p->accounts[0].kind, CPUU_FIXTURE_EXCHANGE);
	assert_int_equal(p->accounts[1].kind, CPUU_FIXTURE_PST);
	assert_int_equal(p->accounts[2].kind, CPUU_FIXTURE_IMAP);
	assert_int_equal(p->accounts[3].kind, CPUU_FIXTURE_POP);
	/* PST: a service, no account-manager subkey. */
	assert_int_equal(p->accounts[1].account_id, 0);
	assert_int_equal(p->accounts[2].account_id, 2);
	assert_int_equal(p->accounts[3].account_id, 3);
	assert_int_equal(p->accounts[1].pst_ansi, 0);
	assert_string_equal(p->accounts[2].user, "carol.jones@imap.example"); /* default: email */
	assert_string_equal(p->accounts[3].user, "carol");
	cpuu_fixture_free(f);

	f = load("multi-profile.fixture");
	assert_int_equal(f->profile_count, 3);
	const cpuu_fixture_account *online = &f->profiles[1].accounts[0];
	assert_false(online->cached);
	assert_int_equal(online->config_flags & 0x180, 0);
	assert_null(online->ost_path);
	assert_false(f->profiles[1].is_default);
	assert_int_equal(f->profiles[2].version, CPUU_FIXTURE_V15);
	assert_int_equal(f->profiles[2].strings, CPUU_FIXTURE_STRING8_BINARY);
	assert_string_equal(f->profiles[2].accounts[0].ost_path, "D:\\OST\\erin.ost");
	cpuu_fixture_free(f);

	f = load("two-exchange.fixture");
	const cpuu_fixture_account *a = &f->profiles[0].accounts[0];
	assert_int_equal(a->additional_count, 1);
	assert_string_equal(a->additional[0].display_name, "Sales Shared");
	assert_string_equal(a->additional[0].legacy_dn,
			    "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=sales");
	assert_string_equal(f->profiles[0].accounts[1].server, "mail.partner.example");
	cpuu_fixture_free(f);
}

/* Every UID in a description is distinct, and the same text gives the same
 * UIDs; another profile name gives others. */
static void test_uids_deterministic(void **state)
{
	(void)state;
	cpuu_fixture *f1 = load("two-exchange.fixture"), *f2 = load("two-exchange.fixture");
	const cpuu_fixture_profile *p1 = &f1->profiles[0], *p2 = &f2->profiles[0];
	const uint8_t *uids[32];
	size_t n = 0;
	for (size_t i = 0; i < p1->account_count; i++) {
		const cpuu_fixture_account *a = &p1->accounts[i], *b = &p2->accounts[i];
		assert_memory_equal(a->service_uid, b->service_uid, 16);
		assert_memory_equal(a->emsmdb_uid, b->emsmdb_uid, 16);
		assert_memory_equal(a->store_uid, b->store_uid, 16);
		assert_int_equal(a->mini_uid, b->mini_uid);
		uids[n++] = a->service_uid;
		uids[n++] = a->emsmdb_uid;
		uids[n++] = a->store_uid;
		uids[n++] = a->ab_uid;
		uids[n++] = a->transport_uid;
		for (size_t j = 0; j < a->additional_count; j++)
			uids[n++] = a->additional[j].store_uid;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_memory_not_equal(uids[i], uids[j], 16);
	cpuu_fixture_free(f1);
	cpuu_fixture_free(f2);

	const char *t1 = "[profile A]\n[exchange]\ndisplay_name=x\nsmtp=a@b.c\nlegacy_dn=/o=O/ou=G/cn=Recipients/cn=a\n"
			 "mailbox_guid=11111111-2222-3333-4444-555555555555\n";
	const char *t2 = "[profile B]\n[exchange]\ndisplay_name=x\nsmtp=a@b.c\nlegacy_dn=/o=O/ou=G/cn=Recipients/cn=a\n"
			 "mailbox_guid=11111111-2222-3333-4444-555555555555\n";
	assert_int_equal(cpuu_fixture_parse(&f1, t1, strlen(t1)), CPUU_OK);
	assert_int_equal(cpuu_fixture_parse(&f2, t2, strlen(t2)), CPUU_OK);
	assert_memory_not_equal(f1->profiles[0].accounts[0].service_uid, f2->profiles[0].accounts[0].service_uid, 16);
	char hex[33];
	cpuu_fixture_free(f2);
	/* Same name under another Outlook version: other UIDs. */
	const char *t3 = "[profile A]\nversion = 15.0\n[exchange]\ndisplay_name=x\nsmtp=a@b.c\n"
			 "legacy_dn=/o=O/ou=G/cn=Recipients/cn=a\nmailbox_guid=11111111-2222-3333-4444-555555555555\n";
	assert_int_equal(cpuu_fixture_parse(&f2, t3, strlen(t3)), CPUU_OK);
	assert_memory_not_equal(f1->profiles[0].accounts[0].service_uid, f2->profiles[0].accounts[0].service_uid, 16);
	cpuu_fixture_uid_hex(hex, f1->profiles[0].accounts[0].service_uid);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 32);
	cpuu_fixture_free(f1);
	cpuu_fixture_free(f2);
}

static void test_comments_and_case(void **state)
{
	(void)state;
	const char *t = "\xEF\xBB\xBF; comment\n# another\n[profile Outlook]   ; trailing\r\n"
			"VERSION = 15.0 ; the 2013 root\r\n"
			"[exchange]\n display_name = Ann ; x\nsmtp=ann@x.example\n"
			"legacy_dn=/o=X/ou=AG/CN=RECIPIENTS/cn=ann\nmailbox_guid=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE\n";
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_fixture_parse(&f, t, strlen(t)), CPUU_OK);
	assert_int_equal(f->profiles[0].version, CPUU_FIXTURE_V15);
	const cpuu_fixture_account *a = &f->profiles[0].accounts[0];
	assert_string_equal(a->display_name, "Ann");
	assert_string_equal(a->mailbox_guid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
	assert_string_equal(a->server_dn, "/o=X/ou=AG/cn=Configuration/cn=Servers/cn=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee@x.example");
	cpuu_fixture_free(f);
}

struct bad {
	const char *text;
	int line;
	const char *needle;
};

#define EXOK "display_name=x\nsmtp=a@b.c\nlegacy_dn=/o=O/ou=G/cn=Recipients/cn=a\nmailbox_guid=11111111-2222-3333-4444-555555555555\n"

static const struct bad bads[] = {
	{ "", 1, "no [profile" },
	{ "version = 16.0\n", 1, "outside any section" },
	{ "[exchange]\n", 1, "before any [profile" },
	{ "[profile P]\n[exchange]\n" EXOK "[bogus]\n", 7, "unknown section" },
	{ "[profile P]\nversion = 17.0\n[exchange]\n" EXOK, 2, "version must be" },
	{ "[profile P]\nversion = 16.0\nversion = 15.0\n", 3, "duplicate key" },
	{ "[profile P]\ndefault = maybe\n", 2, "default must be" },
	{ "[profile P]\nstrings = utf8\n", 2, "strings must be" },
	{ "[profile P]\ncolour = blue\n", 2, "unknown key \"colour\"" },
	{ "[profile P]\n[exchange]\n" EXOK "smtp=b@b.c\n", 7, "duplicate key \"smtp\"" },
	{ "[profile P]\n[exchange]\nmailbox_guid = not-a-guid\n", 3, "mailbox_guid must" },
	{ "[profile P]\n[exchange]\nlegacy_dn = cn=x\n", 3, "legacy_dn must" },
	{ "[profile P]\n\n[exchange]\ndisplay_name=x\n", 3, "needs \"smtp\"" },
	{ "[profile P]\n[exchange]\ndisplay_name=x\nsmtp=nobody\nlegacy_dn=/o=O/cn=Recipients/cn=a\n"
	  "mailbox_guid=11111111-2222-3333-4444-555555555555\n", 2, "not an address" },
	{ "[profile P]\n[exchange]\ndisplay_name=x\nsmtp=a@b.c\nlegacy_dn=/o=O/cn=a\n"
	  "mailbox_guid=11111111-2222-3333-4444-555555555555\n", 2, "server_dn" },
	{ "[profile P]\n[exchange]\n" EXOK "cached = sometimes\n", 7, "cached must be" },
	{ "[profile P]\n[exchange]\n" EXOK "additional = sales\n", 7, "additional must be" },
	{ "[profile P]\n[pst]\ndisplay_name = A\n", 2, "needs \"path\"" },
	{ "[profile P]\n[pst]\npath=c:\\a.pst\nformat = zip\n", 4, "format must be" },
	{ "[profile P]\n[imap]\nemail = a@b.c\n", 2, "needs \"server\"" },
	{ "[profile P]\n[pop]\nserver = p\nsmtp = x\n", 4, "unknown key \"smtp\"" },
	{ "[profile P]\n", 1, "has no account" },
	{ "[profile ]\n", 1, "needs a name" },
	{ "[profile B\xC3\xBCro]\n", 1, "printable ASCII" },
	{ "[profile a\\b]\n", 1, "printable ASCII" },
	{ "[profile P\n", 1, "malformed section header" },
	{ "[profile P]\njust words\n", 2, "expected \"key = value\"" },
	{ "[profile P]\n = 1\n", 2, "missing key" },
	{ "[profile P]\n[exchange]\n" EXOK "display_name2 = \xff\xfe\n", 7, "UTF-8" },
	{ "[profile P]\ndefault = yes\n[exchange]\n" EXOK "[profile Q]\ndefault=yes\n[exchange]\n" EXOK, 8, "second default" },
	{ "[profile P]\n[exchange]\n" EXOK "[profile p]\n[exchange]\n" EXOK, 7, "already described" },
	{ "[profile P]\n[exchange]\nsmtp = \n", 3, "empty value" },
};

static void test_bad_descriptions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		cpuu_fixture *f = (cpuu_fixture *)&f; /* must be reset to NULL */
		int rc = cpuu_fixture_parse(&f, bads[i].text, strlen(bads[i].text));
		const char *msg = cpuu_error_last()->message;
		char want[32];
		snprintf(want, sizeof want, "line %d: ", bads[i].line);
		if (rc != CPUU_EINVALID || f != NULL || strncmp(msg, want, strlen(want)) != 0 ||
		    !strstr(msg, bads[i].needle))
			fail_msg("case %zu: rc=%d msg=\"%s\" (want \"%s...%s\")", i, rc, msg, want, bads[i].needle);
	}
	/* Embedded NUL */
	const char nul[] = "[profile P]\nversion = 1\0 6.0\n";
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_fixture_parse(&f, nul, sizeof nul - 1), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "line 2"));
}

static void test_parse_file_errors(void **state)
{
	(void)state;
	char *dir = test_tmpdir("fixture-parse");
	assert_non_null(dir);
	char *path = test_path(dir, "bad.fixture");
	const char *text = "[profile P]\nversion = 16.0\n\n[exchange]\nsmtp = a@b.c\nbogus = 1\n";
	assert_int_equal(test_write_file(path, text, strlen(text)), 0);
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_fixture_parse_file(&f, path), CPUU_EINVALID);
	char want[1200];
	snprintf(want, sizeof want, "%s:6: unknown key \"bogus\"", path);
	assert_non_null(strstr(cpuu_error_last()->message, want));
	char *missing = test_path(dir, "missing.fixture");
	assert_int_equal(cpuu_fixture_parse_file(&f, missing), CPUU_ENOTFOUND);
	assert_null(f);
	free(missing);
	free(path);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_parse),
		cmocka_unit_test(test_cached_facts),
		cmocka_unit_test(test_defaults_and_kinds),
		cmocka_unit_test(test_uids_deterministic),
		cmocka_unit_test(test_comments_and_case),
		cmocka_unit_test(test_bad_descriptions),
		cmocka_unit_test(test_parse_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
