/* The profile model over small profiles written here, directly with the
 * registry API from the documented layout (docs/profile-format.md). This
 * writer is deliberately independent of tools/fixture so the two cross-check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/profile.h"
#include "cpuu/registry.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R16 "Software\\Microsoft\\Office\\16.0\\Outlook"
#define R15 "Software\\Microsoft\\Office\\15.0\\Outlook"
#define RWMS "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles"
#define ACCTMGR "9375CFF0413111d3B88A00104B2A6676"
#define HEADER "9207f3e0a3b11019908b08002b2a56c2"
#define GLOBAL "13dbb0c8aa05101a9bb000aa002fc45a"
#define MAIL_LIST "{ED475418-B0D6-11D2-8C3B-00104B2A6676}"

/* ---- a minimal writer ---------------------------------------------------- */

typedef struct tw {
	char *dir;
	char *path;
	cpuu_reg *reg;
} tw;

static void tw_open(tw *w)
{
	w->dir = test_tmpdir("profile");
	assert_non_null(w->dir);
	w->path = test_path(w->dir, "NTUSER.DAT");
	assert_int_equal(cpuu_hive_create_blank(w->path, NULL), CPUU_OK);
	assert_int_equal(cpuu_reg_open_hive(&w->reg, w->path, CPUU_REG_OPEN_WRITE), CPUU_OK);
}

/* Commits, reopens read-only and loads: the model sees only what reached the file. */
static int tw_load(tw *w, cpuu_profile_set **set)
{
	cpuu_reg_commit_opts opts = { .backup_path = NULL, .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(w->reg, &opts), CPUU_OK);
	cpuu_reg_free(w->reg);
	assert_int_equal(cpuu_reg_open_hive(&w->reg, w->path, 0), CPUU_OK);
	return cpuu_profiles_load(set, w->reg);
}

static void tw_close(tw *w)
{
	cpuu_reg_free(w->reg);
	free(w->path);
	test_tmpdir_remove(w->dir);
}

/* A deterministic section UID from one byte. */
static void uid_of(uint8_t out[16], int seed)
{
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(seed * 16 + i * 7 + 1);
}

static void uid_hex(char out[33], int seed)
{
	uint8_t u[16];
	uid_of(u, seed);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", u[i]);
}

static cpuu_reg_key *key_at(tw *w, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, w->reg, NULL, path), CPUU_OK);
	return k;
}

static cpuu_reg_key *section(tw *w, const char *profile, int seed)
{
	char hex[33];
	uid_hex(hex, seed);
	return key_at(w, "%s\\%s", profile, hex);
}

static void set_raw(tw *w, cpuu_reg_key *k, const char *name, uint32_t type, const void *data, size_t len)
{
	assert_int_equal(cpuu_reg_value_set(w->reg, k, name, type, data, len), CPUU_OK);
}

/* ASCII -> UTF-16LE with the terminating NUL (own code, on purpose). */
static uint8_t *utf16(const char *s, size_t *len)
{
	size_t n = strlen(s);
	uint8_t *b = calloc(2 * n + 2, 1);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[2 * i] = (uint8_t)s[i];
	*len = 2 * n + 2;
	return b;
}

/* PT_UNICODE: "001f<id>" REG_BINARY UTF-16LE. */
static void set_w(tw *w, cpuu_reg_key *k, unsigned id, const char *s)
{
	char name[10];
	size_t len;
	uint8_t *b = utf16(s, &len);
	snprintf(name, sizeof name, "001f%04x", id);
	set_raw(w, k, name, CPUU_REG_BINARY, b, len);
	free(b);
}

/* PT_STRING8 as REG_SZ (UTF-16LE data in the registry). */
static void set_a_sz(tw *w, cpuu_reg_key *k, unsigned id, const char *s)
{
	char name[10];
	size_t len;
	uint8_t *b = utf16(s, &len);
	snprintf(name, sizeof name, "001e%04x", id);
	set_raw(w, k, name, CPUU_REG_SZ, b, len);
	free(b);
}

/* PT_STRING8 as REG_BINARY (8-bit with NUL). */
static void set_a_bin(tw *w, cpuu_reg_key *k, unsigned id, const char *s)
{
	char name[10];
	snprintf(name, sizeof name, "001e%04x", id);
	set_raw(w, k, name, CPUU_REG_BINARY, s, strlen(s) + 1);
}

static void set_long(tw *w, cpuu_reg_key *k, unsigned id, uint32_t v)
{
	char name[10];
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	snprintf(name, sizeof name, "0003%04x", id);
	set_raw(w, k, name, CPUU_REG_BINARY, b, 4);
}

/* PT_BINARY list of UIDs (seeds, terminated by 0). */
static void set_uids(tw *w, cpuu_reg_key *k, unsigned id, const int *seeds)
{
	uint8_t buf[16 * 16];
	size_t n = 0;
	char name[10];
	for (; seeds[n]; n++)
		uid_of(buf + 16 * n, seeds[n]);
	snprintf(name, sizeof name, "0102%04x", id);
	set_raw(w, k, name, CPUU_REG_BINARY, buf, 16 * n);
}

static void set_ids(tw *w, cpuu_reg_key *k, const char *name, const uint32_t *ids, size_t n)
{
	uint8_t buf[64];
	for (size_t i = 0; i < n; i++) {
		buf[4 * i] = (uint8_t)ids[i];
		buf[4 * i + 1] = (uint8_t)(ids[i] >> 8);
		buf[4 * i + 2] = (uint8_t)(ids[i] >> 16);
		buf[4 * i + 3] = (uint8_t)(ids[i] >> 24);
	}
	set_raw(w, k, name, CPUU_REG_BINARY, buf, 4 * n);
}

static void set_sz(tw *w, cpuu_reg_key *k, const char *name, const char *s)
{
	size_t len;
	uint8_t *b = utf16(s, &len);
	set_raw(w, k, name, CPUU_REG_SZ, b, len);
	free(b);
}

/* One account-manager entry pointing at service seed svc. */
static void account(tw *w, const char *profile, uint32_t id, const char *name, const char *clsid, int svc)
{
	cpuu_reg_key *k = key_at(w, "%s\\%s\\%08x", profile, ACCTMGR, id);
	set_sz(w, k, "Account Name", name);
	if (clsid)
		set_sz(w, k, "clsid", clsid);
	if (svc) {
		uint8_t u[16];
		uid_of(u, svc);
		set_raw(w, k, "Service UID", CPUU_REG_BINARY, u, 16);
	}
	cpuu_reg_key_free(k);
}

typedef struct exspec {
	int svc, ems, store;     /* section seeds; ems 0 = no 01023d15 */
	int deleg;               /* delegate store seed or 0 */
	int str8;                /* 0 Unicode, 1 8-bit REG_SZ, 2 8-bit REG_BINARY */
	const char *display, *smtp, *dn, *home, *server_dn, *ost;
	int64_t flags;           /* 6601, or -1 absent */
} exspec;

static void put_str(tw *w, cpuu_reg_key *k, int str8, unsigned id, const char *s)
{
	if (!s)
		return;
	if (str8 == 1)
		set_a_sz(w, k, id, s);
	else if (str8 == 2)
		set_a_bin(w, k, id, s);
	else
		set_w(w, k, id, s);
}

/* An MSEMS service, its EMSMDB section (or the global one when ems == 0),
 * its primary store and an optional delegate store. */
static void exchange(tw *w, const char *profile, const exspec *e)
{
	cpuu_reg_key *svc = section(w, profile, e->svc);
	put_str(w, svc, e->str8, 0x3d09, "MSEMS");
	int stores[3] = { e->store, e->deleg, 0 };
	set_uids(w, svc, 0x3d00, stores);
	if (e->ems) {
		int ems[2] = { e->ems, 0 };
		set_uids(w, svc, 0x3d15, ems);
	}
	cpuu_reg_key_free(svc);

	cpuu_reg_key *k = e->ems ? section(w, profile, e->ems) : key_at(w, "%s\\%s", profile, GLOBAL);
	put_str(w, k, e->str8, 0x3001, e->display);
	put_str(w, k, e->str8, 0x6641, e->smtp);
	put_str(w, k, e->str8, 0x6603, e->dn);
	put_str(w, k, e->str8, 0x6602, e->home);
	put_str(w, k, e->str8, 0x6612, e->server_dn);
	put_str(w, k, e->str8, 0x6610, e->ost);
	if (e->flags >= 0)
		set_long(w, k, 0x6601, (uint32_t)e->flags);
	cpuu_reg_key_free(k);

	k = section(w, profile, e->store);
	set_long(w, k, 0x660a, 1);
	put_str(w, k, e->str8, 0x3001, "Mailbox - primary");
	cpuu_reg_key_free(k);
}

static void header_services(tw *w, const char *profile, const int *svcs)
{
	cpuu_reg_key *k = key_at(w, "%s\\%s", profile, HEADER);
	set_uids(w, k, 0x3d0e, svcs);
	cpuu_reg_key_free(k);
}

static void set_default(tw *w, const char *where, const char *name)
{
	cpuu_reg_key *k = key_at(w, "%s", where);
	set_sz(w, k, "DefaultProfile", name);
	cpuu_reg_key_free(k);
}

static const char *hex_of(int seed)
{
	static char buf[4][33];
	static int i;
	char *b = buf[i++ % 4];
	uid_hex(b, seed);
	return b;
}

#define GUID1 "5d1f7a52-3b1c-4d1e-9a0b-0c1d2e3f4a5b"
#define P16 R16 "\\Profiles\\Outlook"

static const exspec cached_one = {
	.svc = 1, .ems = 2, .store = 3, .str8 = 0,
	.display = "John Doe", .smtp = "john.doe@contoso.com",
	.dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=john.doe",
	.home = "5D1F7A52-3B1C-4D1E-9A0B-0C1D2E3F4A5B@contoso.com",
	.server_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=" GUID1 "@contoso.com",
	.ost = "C:\\Users\\john\\AppData\\Local\\Microsoft\\Outlook\\john.doe@contoso.com.ost",
	.flags = 0x1984,
};

/* ---- model checks -------------------------------------------------------- */

static void test_cached_exchange(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	set_default(&w, R16, "Outlook");
	exchange(&w, P16, &cached_one);
	account(&w, P16, 1, "john.doe@contoso.com", "{ED475414-B0D6-11D2-8C3B-00104B2A6676}", 1);
	uint32_t order[] = { 1 };
	cpuu_reg_key *m = key_at(&w, "%s\\%s", P16, ACCTMGR);
	set_ids(&w, m, MAIL_LIST, order, 1);
	cpuu_reg_key_free(m);
	header_services(&w, P16, (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);

	assert_int_equal(set->nprofiles, 1);
	cpuu_profile *p = &set->profiles[0];
	assert_string_equal(p->name, "Outlook");
	assert_string_equal(p->path, P16);
	assert_string_equal(p->outlook_version, "16.0");
	assert_true(p->is_default);
	assert_int_equal(p->naccounts, 1); /* the service of PR_SERVICES is the same account */
	cpuu_account *a = &p->accounts[0];
	assert_int_equal(a->kind, CPUU_ACCOUNT_EXCHANGE);
	assert_string_equal(a->account_key, "00000001");
	assert_string_equal(a->service_uid, hex_of(1));
	assert_string_equal(a->service_name, "MSEMS");
	assert_string_equal(a->display_name, "John Doe"); /* PR_DISPLAY_NAME of the EMSMDB section */
	assert_string_equal(a->account_name, "john.doe@contoso.com");
	assert_string_equal(a->smtp, cached_one.smtp);
	assert_string_equal(a->legacy_dn, cached_one.dn);
	assert_string_equal(a->home_server, cached_one.home);
	assert_string_equal(a->server_dn, cached_one.server_dn);
	assert_string_equal(a->mailbox_guid, GUID1);
	assert_string_equal(a->ost_path, cached_one.ost);
	assert_int_equal(a->cached, 1);
	assert_string_equal(a->emsmdb_section, hex_of(2));
	assert_string_equal(a->store_section, hex_of(3));
	assert_int_equal(a->nadditional, 0);

	char *json = NULL;
	assert_int_equal(cpuu_profiles_to_json(&json, set), CPUU_OK);
	/* Stable key order. */
	static const char *keys[] = { "\"profiles\"", "\"name\"", "\"path\"", "\"default\": true", "\"outlook_version\": \"16.0\"",
				      "\"accounts\"", "\"kind\": \"exchange\"", "\"service_uid\"", "\"display_name\"", "\"smtp\"",
				      "\"legacy_dn\"", "\"home_server\"", "\"server_dn\"", "\"mailbox_guid\": \"" GUID1 "\"",
				      "\"ost_path\": \"C:\\\\Users", "\"cached\": true", "\"additional_mailboxes\": []" };
	const char *at = json;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *f = strstr(at, keys[i]);
		if (!f)
			fail_msg("JSON lacks %s after position %td:\n%s", keys[i], at - json, json);
		at = f;
	}
	cpuu_free(json);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_two_exchange_and_additional(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	exspec second = {
		.svc = 4, .ems = 5, .store = 6, .deleg = 7, .str8 = 0,
		.display = "Second", .smtp = "SMTP:anna@fabrikam.com", .dn = "/o=Fabrikam/cn=Recipients/cn=anna",
		.home = "EXCH01", .flags = 0x0004,
	};
	exchange(&w, P16, &second);
	cpuu_reg_key *d = section(&w, P16, 7);
	set_long(&w, d, 0x660a, 2);
	set_w(&w, d, 0x3001, "Shared \"Sales\"");
	set_a_sz(&w, d, 0x660b, "/o=Fabrikam/cn=Recipients/cn=sales");
	set_a_sz(&w, d, 0x660c, "EXCH02");
	set_w(&w, d, 0x6641, "SMTP:sales@fabrikam.com");
	cpuu_reg_key_free(d);
	account(&w, P16, 1, "John", NULL, 1);
	account(&w, P16, 2, "Anna", NULL, 4);
	uint32_t order[] = { 2, 1 };
	cpuu_reg_key *m = key_at(&w, "%s\\%s", P16, ACCTMGR);
	set_ids(&w, m, MAIL_LIST, order, 2);
	cpuu_reg_key_free(m);
	header_services(&w, P16, (int[]){ 1, 4, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);

	cpuu_profile *p = &set->profiles[0];
	assert_false(p->is_default); /* no DefaultProfile */
	assert_int_equal(p->naccounts, 2);
	/* Mail-list order, not subkey order. */
	cpuu_account *a = &p->accounts[0], *b = &p->accounts[1];
	assert_string_equal(a->account_key, "00000002");
	assert_string_equal(a->display_name, "Second");
	assert_string_equal(a->account_name, "Anna");
	assert_string_equal(a->smtp, "anna@fabrikam.com");
	assert_string_equal(a->home_server, "EXCH01");
	assert_null(a->mailbox_guid); /* NetBIOS name: no GUID, never guessed */
	assert_null(a->server_dn);
	assert_null(a->ost_path);
	assert_int_equal(a->cached, 0);
	assert_int_equal(a->nadditional, 1);
	assert_string_equal(a->additional[0].display_name, "Shared \"Sales\"");
	assert_string_equal(a->additional[0].mailbox_dn, "/o=Fabrikam/cn=Recipients/cn=sales");
	assert_string_equal(a->additional[0].server, "EXCH02");
	assert_string_equal(a->additional[0].smtp, "sales@fabrikam.com");
	assert_string_equal(a->additional[0].section_uid, hex_of(7));
	assert_string_equal(b->account_key, "00000001");
	assert_string_equal(b->smtp, cached_one.smtp);
	assert_int_equal(b->cached, 1);

	char *json = NULL;
	assert_int_equal(cpuu_profiles_to_json(&json, set), CPUU_OK);
	assert_non_null(strstr(json, "\"display_name\": \"Shared \\\"Sales\\\"\""));
	assert_non_null(strstr(json, "\"mailbox_guid\": null"));
	assert_non_null(strstr(json, "\"cached\": false"));
	assert_non_null(strstr(json, "\"default\": false"));
	cpuu_free(json);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_pst_and_unlisted_service(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	cpuu_reg_key *k = section(&w, P16, 8);
	set_w(&w, k, 0x3d09, "MSUPST MS");
	set_uids(&w, k, 0x3d00, (int[]){ 9, 0 });
	cpuu_reg_key_free(k);
	k = section(&w, P16, 9);
	set_w(&w, k, 0x3001, "Archive");
	set_w(&w, k, 0x6700, "D:\\Mail\\archive.pst");
	cpuu_reg_key_free(k);
	k = section(&w, P16, 10);
	set_a_sz(&w, k, 0x3d09, "CONTAB");
	set_w(&w, k, 0x3001, "Outlook Address Book");
	cpuu_reg_key_free(k);
	k = key_at(&w, "%s\\%s\\%08x", P16, ACCTMGR, 3u);
	uint8_t u[16];
	uid_of(u, 8);
	set_raw(&w, k, "Service UID", CPUU_REG_BINARY, u, 16); /* no Account Name: display from the store */
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 10, 8, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);

	cpuu_profile *p = &set->profiles[0];
	assert_int_equal(p->naccounts, 2);
	cpuu_account *a = &p->accounts[0];
	assert_int_equal(a->kind, CPUU_ACCOUNT_PST);
	assert_string_equal(cpuu_account_kind_name(a->kind), "pst");
	assert_string_equal(a->display_name, "Archive");
	assert_string_equal(a->ost_path, "D:\\Mail\\archive.pst");
	assert_int_equal(a->cached, -1);
	assert_null(a->smtp);
	a = &p->accounts[1];
	assert_int_equal(a->kind, CPUU_ACCOUNT_OTHER);
	assert_null(a->account_key);
	assert_string_equal(a->service_name, "CONTAB");
	assert_string_equal(a->display_name, "Outlook Address Book");
	assert_string_equal(a->service_uid, hex_of(10));
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_imap_pop_by_clsid(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	account(&w, P16, 1, "imap@example.org", "{ed475412-b0d6-11d2-8c3b-00104b2a6676}", 0);
	account(&w, P16, 2, "pop@example.org", "{ED475411-B0D6-11D2-8C3B-00104B2A6676}", 0);
	cpuu_reg_key *k = key_at(&w, "%s\\%s\\%08x", P16, ACCTMGR, 1u);
	set_sz(&w, k, "Email", "imap@example.org");
	cpuu_reg_key_free(k);
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	cpuu_profile *p = &set->profiles[0];
	assert_int_equal(p->naccounts, 2);
	assert_int_equal(p->accounts[0].kind, CPUU_ACCOUNT_IMAP);
	assert_string_equal(p->accounts[0].display_name, "imap@example.org"); /* no "Display Name": Account Name */
	assert_string_equal(p->accounts[0].smtp, "imap@example.org");
	assert_int_equal(p->accounts[1].kind, CPUU_ACCOUNT_POP);
	assert_null(p->accounts[1].service_uid);
	assert_string_equal(cpuu_account_kind_name(CPUU_ACCOUNT_IMAP), "imap");
	assert_string_equal(cpuu_account_kind_name(CPUU_ACCOUNT_POP), "pop");
	cpuu_profile_set_free(set);
	tw_close(&w);
}

/* Outlook 2013: 8-bit values as REG_SZ and as REG_BINARY. */
static void test_outlook2013_8bit(int str8)
{
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	set_default(&w, R15, "Legacy");
	exspec e = cached_one;
	e.str8 = str8;
	exchange(&w, R15 "\\Profiles\\Legacy", &e);
	header_services(&w, R15 "\\Profiles\\Legacy", (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	assert_int_equal(set->nprofiles, 1);
	cpuu_profile *p = &set->profiles[0];
	assert_string_equal(p->outlook_version, "15.0");
	assert_true(p->is_default);
	assert_int_equal(p->naccounts, 1);
	cpuu_account *a = &p->accounts[0];
	assert_null(a->account_key); /* found through PR_SERVICES only */
	assert_int_equal(a->kind, CPUU_ACCOUNT_EXCHANGE);
	assert_string_equal(a->display_name, "John Doe");
	assert_string_equal(a->smtp, e.smtp);
	assert_string_equal(a->legacy_dn, e.dn);
	assert_string_equal(a->mailbox_guid, GUID1);
	assert_string_equal(a->ost_path, e.ost);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_outlook2013_8bit_sz(void **state)
{
	(void)state;
	test_outlook2013_8bit(1);
}

static void test_outlook2013_8bit_binary(void **state)
{
	(void)state;
	test_outlook2013_8bit(2);
}

/* Both forms present: Unicode wins. */
static void test_unicode_preferred(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	cpuu_reg_key *k = section(&w, P16, 2);
	set_a_sz(&w, k, 0x6641, "old@contoso.com");
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	assert_string_equal(set->profiles[0].accounts[0].smtp, cached_one.smtp);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_default_selection(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	cpuu_reg_key *k;
	k = key_at(&w, R16 "\\Profiles\\Alpha");
	cpuu_reg_key_free(k);
	k = key_at(&w, R16 "\\Profiles\\Beta");
	cpuu_reg_key_free(k);
	k = key_at(&w, R15 "\\Profiles\\Alpha");
	cpuu_reg_key_free(k);
	k = key_at(&w, RWMS "\\Old");
	cpuu_reg_key_free(k);
	set_default(&w, R16, "beta"); /* key names compare case-insensitively */
	set_default(&w, R15, "Missing");
	set_default(&w, RWMS, "Old");
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	assert_int_equal(set->nprofiles, 4);
	assert_string_equal(set->profiles[0].name, "Alpha");
	assert_string_equal(set->profiles[0].outlook_version, "16.0");
	assert_false(set->profiles[0].is_default);
	assert_string_equal(set->profiles[1].name, "Beta");
	assert_true(set->profiles[1].is_default);
	assert_string_equal(set->profiles[2].outlook_version, "15.0");
	assert_false(set->profiles[2].is_default);
	assert_string_equal(set->profiles[3].name, "Old");
	assert_string_equal(set->profiles[3].outlook_version, "wms");
	assert_string_equal(set->profiles[3].path, RWMS "\\Old");
	assert_true(set->profiles[3].is_default);
	assert_int_equal(set->profiles[3].naccounts, 0);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_no_profiles(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	assert_int_equal(set->nprofiles, 0);
	char *json = NULL;
	assert_int_equal(cpuu_profiles_to_json(&json, set), CPUU_OK);
	assert_string_equal(json, "{\n  \"profiles\": []\n}\n");
	cpuu_free(json);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

/* Old single-account profile: no 01023d15, identity in the global section. */
static void test_old_profile_global_section(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	exspec e = cached_one;
	e.ems = 0;
	e.flags = -1;
	e.str8 = 1;
	exchange(&w, RWMS "\\Outlook", &e);
	header_services(&w, RWMS "\\Outlook", (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	cpuu_account *a = &set->profiles[0].accounts[0];
	assert_string_equal(set->profiles[0].outlook_version, "wms");
	assert_int_equal(a->kind, CPUU_ACCOUNT_EXCHANGE);
	assert_string_equal(a->emsmdb_section, GLOBAL);
	assert_string_equal(a->legacy_dn, e.dn);
	assert_string_equal(a->smtp, e.smtp);
	assert_int_equal(a->cached, -1); /* 6601 absent: unknown */
	char *json = NULL;
	assert_int_equal(cpuu_profiles_to_json(&json, set), CPUU_OK);
	assert_non_null(strstr(json, "\"cached\": null"));
	cpuu_free(json);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void expect_invalid(tw *w, const char *const *needles);

/* MAPI/HTTP-era writers keep the identity in the primary store section; a
 * public-folder store (type 3) is neither primary nor additional. */
static void test_identity_in_store_section(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	exspec e = { .svc = 1, .ems = 2, .store = 3, .deleg = 4, .display = "Store Only", .flags = -1 };
	exchange(&w, P16, &e);
	cpuu_reg_key *k = section(&w, P16, 3);
	set_w(&w, k, 0x6641, "store@contoso.com");
	set_a_sz(&w, k, 0x6603, "/o=Contoso/cn=Recipients/cn=store");
	set_a_sz(&w, k, 0x6602, GUID1 "@contoso.com");
	set_a_sz(&w, k, 0x6614, "/o=Contoso/cn=Configuration/cn=Servers/cn=x");
	set_long(&w, k, 0x6601, 0x0180);
	cpuu_reg_key_free(k);
	k = section(&w, P16, 4);
	set_long(&w, k, 0x660a, 3);
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	cpuu_account *a = &set->profiles[0].accounts[0];
	assert_string_equal(a->display_name, "Store Only");
	assert_string_equal(a->smtp, "store@contoso.com");
	assert_string_equal(a->legacy_dn, "/o=Contoso/cn=Recipients/cn=store");
	assert_string_equal(a->mailbox_guid, GUID1);
	assert_string_equal(a->server_dn, "/o=Contoso/cn=Configuration/cn=Servers/cn=x");
	assert_int_equal(a->cached, 1);
	assert_int_equal(a->nadditional, 0);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

/* mailbox_guid only for "<guid>@<domain>"; everything else gives NULL. */
static void test_mailbox_guid_forms(void **state)
{
	(void)state;
	static const struct { const char *home, *guid; } cases[] = {
		{ GUID1 "@contoso.com", GUID1 },
		{ "5D1F7A52-3B1C-4D1E-9A0B-0C1D2E3F4A5B@Contoso.com", GUID1 },
		{ GUID1 "@", NULL },
		{ GUID1, NULL },
		{ "{" GUID1 "}@contoso.com", NULL },
		{ "5d1f7a52-3b1c-4d1e-9a0b-0c1d2e3f4a5@contoso.com", NULL },
		{ "EXCH01.contoso.com", NULL },
		{ GUID1 "@a@b", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tw w;
		cpuu_profile_set *set = NULL;
		tw_open(&w);
		exspec e = { .svc = 1, .ems = 2, .store = 3, .home = cases[i].home, .flags = -1 };
		exchange(&w, P16, &e);
		header_services(&w, P16, (int[]){ 1, 0 });
		assert_int_equal(tw_load(&w, &set), CPUU_OK);
		cpuu_account *a = &set->profiles[0].accounts[0];
		assert_string_equal(a->home_server, cases[i].home);
		if (cases[i].guid)
			assert_string_equal(a->mailbox_guid, cases[i].guid);
		else if (a->mailbox_guid)
			fail_msg("home server \"%s\" gave mailbox_guid \"%s\"", cases[i].home, a->mailbox_guid);
		cpuu_profile_set_free(set);
		tw_close(&w);
	}
}

/* Key names match case-insensitively, as in Windows: a lowercase account
 * manager and an uppercase service section are found. */
static void test_key_case(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	char hex[33];
	tw_open(&w);
	uid_hex(hex, 11);
	for (char *c = hex; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 32);
	cpuu_reg_key *k = key_at(&w, "%s\\%s", P16, hex);
	set_w(&w, k, 0x3d09, "MSEMS");
	cpuu_reg_key_free(k);
	k = key_at(&w, "%s\\9375cff0413111d3b88a00104b2a6676\\00000001", P16);
	uint8_t u[16];
	uid_of(u, 11);
	set_raw(&w, k, "Service UID", CPUU_REG_BINARY, u, 16);
	cpuu_reg_key_free(k);
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	assert_int_equal(set->profiles[0].naccounts, 1);
	cpuu_account *a = &set->profiles[0].accounts[0];
	assert_int_equal(a->kind, CPUU_ACCOUNT_EXCHANGE);
	assert_string_equal(a->service_uid, hex_of(11)); /* reported lowercase */
	assert_null(a->emsmdb_section);
	assert_null(a->smtp);
	assert_int_equal(a->cached, -1);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

static void test_bad_dangling_store(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	exspec e = cached_one;
	e.deleg = 45; /* listed in 01023d00, never written */
	exchange(&w, P16, &e);
	header_services(&w, P16, (int[]){ 1, 0 });
	expect_invalid(&w, (const char *[]){ hex_of(1), "01023d00", hex_of(45), NULL });
	tw_close(&w);
}

static void test_bad_account_name_type(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	cpuu_reg_key *k = key_at(&w, "%s\\%s\\00000001", P16, ACCTMGR);
	uint8_t dw[4] = { 1, 0, 0, 0 };
	set_raw(&w, k, "Account Name", CPUU_REG_DWORD, dw, 4);
	cpuu_reg_key_free(k);
	expect_invalid(&w, (const char *[]){ ACCTMGR "\\00000001", "Account Name", NULL });
	tw_close(&w);
}

/* ---- bad input ----------------------------------------------------------- */

static void expect_invalid(tw *w, const char *const *needles)
{
	cpuu_profile_set *set = (cpuu_profile_set *)1;
	assert_int_equal(tw_load(w, &set), CPUU_EINVALID);
	assert_null(set);
	const char *msg = cpuu_error_last()->message;
	assert_null(strchr(msg, '\n'));
	if (getenv("CPUU_TEST_VERBOSE"))
		print_message("%s\n", msg);
	for (; *needles; needles++)
		if (!strstr(msg, *needles))
			fail_msg("message \"%s\" lacks \"%s\"", msg, *needles);
}

static void test_bad_dangling_service(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	account(&w, P16, 1, "ghost", NULL, 42);
	expect_invalid(&w, (const char *[]){ "'Outlook'", ACCTMGR "\\00000001", "Service UID", hex_of(42), NULL });
	tw_close(&w);
}

static void test_bad_dangling_emsmdb(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	cpuu_reg_key *k = section(&w, P16, 1);
	set_uids(&w, k, 0x3d15, (int[]){ 43, 0 });
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	expect_invalid(&w, (const char *[]){ hex_of(1), "01023d15", hex_of(43), NULL });
	tw_close(&w);
}

static void test_bad_dangling_services_list(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	header_services(&w, P16, (int[]){ 44, 0 });
	expect_invalid(&w, (const char *[]){ HEADER, "01023d0e", hex_of(44), NULL });
	tw_close(&w);
}

static void test_bad_dangling_mail_list(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	account(&w, P16, 1, "one", NULL, 0);
	uint32_t order[] = { 1, 7 };
	cpuu_reg_key *m = key_at(&w, "%s\\%s", P16, ACCTMGR);
	set_ids(&w, m, MAIL_LIST, order, 2);
	cpuu_reg_key_free(m);
	expect_invalid(&w, (const char *[]){ MAIL_LIST, "00000007", NULL });
	tw_close(&w);
}

static void test_bad_wrong_type(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	cpuu_reg_key *k = section(&w, P16, 2);
	set_sz(&w, k, "001f6641", "john@contoso.com"); /* PT_UNICODE must be REG_BINARY */
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	expect_invalid(&w, (const char *[]){ "'Outlook'", hex_of(2), "001f6641", NULL });
	tw_close(&w);
}

static void test_bad_long_length(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	cpuu_reg_key *k = section(&w, P16, 2);
	set_raw(&w, k, "00036601", CPUU_REG_BINARY, "\x84\x19\x00", 3);
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	expect_invalid(&w, (const char *[]){ hex_of(2), "00036601", NULL });
	tw_close(&w);
}

static void test_bad_odd_utf16(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	cpuu_reg_key *k = section(&w, P16, 2);
	set_raw(&w, k, "001f6603", CPUU_REG_BINARY, "/\0o\0=", 5);
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	expect_invalid(&w, (const char *[]){ "'Outlook'", hex_of(2), "001f6603", NULL });
	tw_close(&w);
}

static void test_bad_uid_list_length(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	cpuu_reg_key *k = key_at(&w, "%s\\%s", P16, HEADER);
	set_raw(&w, k, "01023d0e", CPUU_REG_BINARY, "0123456789abcdefXYZ", 19);
	cpuu_reg_key_free(k);
	expect_invalid(&w, (const char *[]){ HEADER, "01023d0e", "multiple of 16", NULL });
	tw_close(&w);
}

static void test_bad_service_uid_length(void **state)
{
	(void)state;
	tw w;
	tw_open(&w);
	cpuu_reg_key *k = key_at(&w, "%s\\%s\\00000001", P16, ACCTMGR);
	set_raw(&w, k, "Service UID", CPUU_REG_BINARY, "short", 5);
	cpuu_reg_key_free(k);
	expect_invalid(&w, (const char *[]){ ACCTMGR "\\00000001", "Service UID", NULL });
	tw_close(&w);
}

/* Secure values are never read: garbage in S001f6641 changes nothing. */
static void test_secure_values_ignored(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	tw_open(&w);
	exchange(&w, P16, &cached_one);
	cpuu_reg_key *k = section(&w, P16, 2);
	set_raw(&w, k, "S001f6641", CPUU_REG_BINARY, "\x01\x02\x03", 3);
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	assert_string_equal(set->profiles[0].accounts[0].smtp, cached_one.smtp);
	cpuu_profile_set_free(set);
	tw_close(&w);
}

/* Property names in any letter case are the property (the registry's names
 * ignore case), names that are not tags are not properties, and a wrong
 * registry type is named by the property's canonical name: the same answers
 * whether a section is read whole or asked value by value. */
static void test_name_case_and_non_tags(void **state)
{
	(void)state;
	tw w;
	cpuu_profile_set *set = NULL;
	exspec e = cached_one;
	e.smtp = NULL;
	e.home = NULL;
	tw_open(&w);
	exchange(&w, P16, &e);
	cpuu_reg_key *k = section(&w, P16, 2);
	/* Secure, and first in value order: never read. */
	set_raw(&w, k, "s001F6641", CPUU_REG_BINARY, "\x01\x02\x03", 3);
	size_t len;
	uint8_t *b = utf16("jane@contoso.com", &len);
	set_raw(&w, k, "001F6641", CPUU_REG_BINARY, b, len); /* upper-case type digit */
	free(b);
	b = utf16("5D1F7A52-3B1C-4D1E-9A0B-0C1D2E3F4A5B@contoso.com", &len);
	set_raw(&w, k, "001E6602", CPUU_REG_SZ, b, len);
	free(b);
	set_sz(&w, k, "001f66020", "not a tag: nine digits");
	set_sz(&w, k, "Account Name", "not a tag");
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	assert_int_equal(tw_load(&w, &set), CPUU_OK);
	cpuu_account *a = &set->profiles[0].accounts[0];
	assert_string_equal(a->smtp, "jane@contoso.com");
	assert_string_equal(a->home_server, "5D1F7A52-3B1C-4D1E-9A0B-0C1D2E3F4A5B@contoso.com");
	assert_string_equal(a->mailbox_guid, GUID1);
	assert_string_equal(a->display_name, cached_one.display);
	cpuu_profile_set_free(set);
	tw_close(&w);

	/* The same property under an upper-case name and a wrong type. */
	tw_open(&w);
	exchange(&w, P16, &e);
	k = section(&w, P16, 2);
	set_sz(&w, k, "001F6641", "jane@contoso.com"); /* PT_UNICODE must be REG_BINARY */
	cpuu_reg_key_free(k);
	header_services(&w, P16, (int[]){ 1, 0 });
	expect_invalid(&w, (const char *[]){ "'Outlook'", hex_of(2), "001f6641", "registry type 1", NULL });
	tw_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cached_exchange),
		cmocka_unit_test(test_two_exchange_and_additional),
		cmocka_unit_test(test_pst_and_unlisted_service),
		cmocka_unit_test(test_imap_pop_by_clsid),
		cmocka_unit_test(test_outlook2013_8bit_sz),
		cmocka_unit_test(test_outlook2013_8bit_binary),
		cmocka_unit_test(test_unicode_preferred),
		cmocka_unit_test(test_default_selection),
		cmocka_unit_test(test_no_profiles),
		cmocka_unit_test(test_old_profile_global_section),
		cmocka_unit_test(test_identity_in_store_section),
		cmocka_unit_test(test_mailbox_guid_forms),
		cmocka_unit_test(test_key_case),
		cmocka_unit_test(test_bad_dangling_service),
		cmocka_unit_test(test_bad_dangling_emsmdb),
		cmocka_unit_test(test_bad_dangling_services_list),
		cmocka_unit_test(test_bad_dangling_mail_list),
		cmocka_unit_test(test_bad_wrong_type),
		cmocka_unit_test(test_bad_long_length),
		cmocka_unit_test(test_bad_odd_utf16),
		cmocka_unit_test(test_bad_uid_list_length),
		cmocka_unit_test(test_bad_service_uid_length),
		cmocka_unit_test(test_bad_dangling_store),
		cmocka_unit_test(test_bad_account_name_type),
		cmocka_unit_test(test_secure_values_ignored),
		cmocka_unit_test(test_name_case_and_non_tags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
