/* The fixture builder writes the documented bytes: each shipped description
 * is applied to a blank hive and to copies of the real hives, committed,
 * reopened and checked value by value (expected bytes computed here, not by
 * the codec under test), and every key and value that existed before is
 * byte-identical afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "testutil.h"

#include "cpuu/mapi.h"
#include "cpuu/profile_ids.h"
#include "cpuu/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- expected encodings, computed independently ------------------------------ */

typedef struct bytes {
	uint8_t d[4096];
	size_t n;
} bytes;

/* UTF-8 -> UTF-16LE + NUL (the fixtures' text is valid UTF-8). */
static void utf16z(bytes *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	b->n = 0;
	while (*p) {
		uint32_t cp;
		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xE0) == 0xC0) {
			cp = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
			p += 2;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
			p += 3;
		} else {
			cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
			     (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
			p += 4;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			uint32_t hi = 0xD800 + (cp >> 10), lo = 0xDC00 + (cp & 0x3FF);
			b->d[b->n++] = (uint8_t)hi;
			b->d[b->n++] = (uint8_t)(hi >> 8);
			cp = lo;
		}
		b->d[b->n++] = (uint8_t)cp;
		b->d[b->n++] = (uint8_t)(cp >> 8);
	}
	b->d[b->n++] = 0;
	b->d[b->n++] = 0;
}

/* UTF-8 -> Latin-1 subset of Windows-1252 + NUL (enough for the fixtures). */
static void cp1252z(bytes *b, const char *s)
{
	utf16z(b, s);
	size_t units = b->n / 2;
	for (size_t i = 0; i < units; i++) {
		assert_true(b->d[2 * i + 1] == 0);
		b->d[i] = b->d[2 * i];
	}
	b->n = units;
}

static void le32(bytes *b, uint32_t v)
{
	b->n = 4;
	b->d[0] = (uint8_t)v;
	b->d[1] = (uint8_t)(v >> 8);
	b->d[2] = (uint8_t)(v >> 16);
	b->d[3] = (uint8_t)(v >> 24);
}

/* --- registry access -------------------------------------------------------- */

static cpuu_reg_key *open_key(cpuu_reg *reg, const cpuu_reg_key *parent, const char *sub)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, parent, sub);
	if (rc != CPUU_OK)
		fail_msg("key %s: %s", sub, cpuu_error_last()->message);
	return k;
}

static cpuu_reg_key *open_uid(cpuu_reg *reg, const cpuu_reg_key *prof, const uint8_t uid[16])
{
	char hex[33];
	cpuu_fixture_uid_hex(hex, uid);
	return open_key(reg, prof, hex);
}

static void expect_raw(cpuu_reg *reg, const cpuu_reg_key *k, const char *name, uint32_t type,
		       const uint8_t *data, size_t len)
{
	cpuu_reg_value v;
	memset(&v, 0, sizeof v);
	int rc = cpuu_reg_value_get(&v, reg, k, name);
	if (rc != CPUU_OK)
		fail_msg("%s\\%s: %s", cpuu_reg_key_name(k), name, cpuu_error_last()->message);
	if (v.type != type || v.len != len || (len && memcmp(v.data, data, len) != 0))
		fail_msg("%s\\%s: type %u len %zu, want type %u len %zu (or bytes differ)",
			 cpuu_reg_key_name(k), name, v.type, v.len, type, len);
	assert_string_equal(v.name, name);
	cpuu_reg_value_clear(&v);
}

static void expect_absent(cpuu_reg *reg, const cpuu_reg_key *k, const char *name)
{
	cpuu_reg_value v;
	memset(&v, 0, sizeof v);
	int rc = cpuu_reg_value_get(&v, reg, k, name);
	if (rc == CPUU_OK) {
		cpuu_reg_value_clear(&v);
		fail_msg("%s\\%s should not exist", cpuu_reg_key_name(k), name);
	}
	assert_int_equal(rc, CPUU_ENOTFOUND);
}

/* A string property in the profile's style. */
static void expect_str(cpuu_reg *reg, const cpuu_reg_key *k, int strings, uint16_t id, const char *s)
{
	char name[16];
	bytes b;
	if (strings == CPUU_FIXTURE_UNICODE) {
		snprintf(name, sizeof name, "001f%04x", id);
		utf16z(&b, s);
		expect_raw(reg, k, name, CPUU_REG_BINARY, b.d, b.n);
		snprintf(name, sizeof name, "001e%04x", id);
		expect_absent(reg, k, name);
	} else {
		snprintf(name, sizeof name, "001e%04x", id);
		if (strings == CPUU_FIXTURE_STRING8) {
			utf16z(&b, s); /* REG_SZ data is UTF-16LE in the registry */
			expect_raw(reg, k, name, CPUU_REG_SZ, b.d, b.n);
		} else {
			cp1252z(&b, s);
			expect_raw(reg, k, name, CPUU_REG_BINARY, b.d, b.n);
		}
		snprintf(name, sizeof name, "001f%04x", id);
		expect_absent(reg, k, name);
	}
}

static void expect_wstr(cpuu_reg *reg, const cpuu_reg_key *k, uint16_t id, const char *s)
{
	char name[16];
	bytes b;
	snprintf(name, sizeof name, "001f%04x", id);
	utf16z(&b, s);
	expect_raw(reg, k, name, CPUU_REG_BINARY, b.d, b.n);
}

static void expect_long(cpuu_reg *reg, const cpuu_reg_key *k, uint16_t id, uint32_t v)
{
	char name[16];
	bytes b;
	snprintf(name, sizeof name, "0003%04x", id);
	le32(&b, v);
	expect_raw(reg, k, name, CPUU_REG_BINARY, b.d, b.n);
}

static void expect_bin(cpuu_reg *reg, const cpuu_reg_key *k, uint16_t id, const uint8_t *d, size_t n)
{
	char name[16];
	snprintf(name, sizeof name, "0102%04x", id);
	expect_raw(reg, k, name, CPUU_REG_BINARY, d, n);
}

static void get_raw(cpuu_reg_value *v, cpuu_reg *reg, const cpuu_reg_key *k, const char *name)
{
	memset(v, 0, sizeof *v);
	if (cpuu_reg_value_get(v, reg, k, name) != CPUU_OK)
		fail_msg("%s\\%s: %s", cpuu_reg_key_name(k), name, cpuu_error_last()->message);
}

/* --- per-kind checks ------------------------------------------------------------ */

static void check_identity(cpuu_reg *reg, const cpuu_reg_key *k, int strings, const cpuu_fixture_account *a)
{
	expect_str(reg, k, strings, 0x6602, a->home_server);
	expect_str(reg, k, strings, 0x6603, a->legacy_dn);
	expect_str(reg, k, strings, 0x6612, a->server_dn);
	expect_str(reg, k, strings, 0x3001, a->display_name);
	expect_wstr(reg, k, 0x6641, a->smtp);
	expect_wstr(reg, k, 0x6620, a->account_name);
	expect_wstr(reg, k, 0x662a, a->server);
	expect_long(reg, k, 0x6601, a->cached ? 0x984 : 0x4);
	expect_long(reg, k, 0x6600, 0x501);
	expect_long(reg, k, 0x6604, 2);
	expect_long(reg, k, 0x6605, 3);
	if (a->ost_path)
		expect_str(reg, k, strings, 0x6610, a->ost_path);
	else
		expect_absent(reg, k, strings == CPUU_FIXTURE_UNICODE ? "001f6610" : "001e6610");
	if (a->lkg_autodiscover)
		expect_wstr(reg, k, 0x664a, a->lkg_autodiscover);

	/* PT_MV_STRING8: count, count x offset (from the blob start), strings. */
	cpuu_reg_value v;
	get_raw(&v, reg, k, "101e6613");
	assert_int_equal(v.type, CPUU_REG_BINARY);
	assert_true(v.len >= 12);
	const uint8_t *d = v.data;
	assert_int_equal(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24, 2);
	char want[2][600];
	snprintf(want[0], sizeof want[0], "ncacn_ip_tcp:%s", a->server);
	snprintf(want[1], sizeof want[1], "ncacn_http:%s", a->server);
	for (int i = 0; i < 2; i++) {
		uint32_t off = d[4 + 4 * i] | d[5 + 4 * i] << 8 | d[6 + 4 * i] << 16 | (uint32_t)d[7 + 4 * i] << 24;
		assert_true(off + strlen(want[i]) + 1 <= v.len);
		assert_memory_equal(d + off, want[i], strlen(want[i]) + 1);
	}
	cpuu_reg_value_clear(&v);
}

static void check_exchange(cpuu_reg *reg, const cpuu_reg_key *prof, const cpuu_fixture_profile *p,
			   const cpuu_fixture_account *a)
{
	int s = p->strings;
	cpuu_reg_key *svc = open_uid(reg, prof, a->service_uid);
	expect_str(reg, svc, s, 0x3d09, "MSEMS");
	expect_str(reg, svc, s, 0x3d0a, "emsui.dll");
	expect_bin(reg, svc, 0x3d0c, a->service_uid, 16);
	expect_bin(reg, svc, 0x3d15, a->emsmdb_uid, 16);
	expect_bin(reg, svc, 0x3d01, a->ab_uid, 16);
	expect_bin(reg, svc, 0x3d02, a->transport_uid, 16);
	uint8_t stores[16 * 9];
	size_t ns = 0;
	memcpy(stores, a->store_uid, 16);
	ns = 16;
	for (size_t i = 0; i < a->additional_count && i < 8; i++, ns += 16)
		memcpy(stores + ns, a->additional[i].store_uid, 16);
	expect_bin(reg, svc, 0x3d00, stores, ns);
	cpuu_reg_key_free(svc);

	/* 01023d15 leads to an existing section with the identity. */
	cpuu_reg_key *ems = open_uid(reg, prof, a->emsmdb_uid);
	check_identity(reg, ems, s, a);
	cpuu_reg_key_free(ems);

	cpuu_reg_key *st = open_uid(reg, prof, a->store_uid);
	expect_long(reg, st, 0x660a, 1);
	expect_str(reg, st, s, 0x660b, a->legacy_dn);
	expect_str(reg, st, s, 0x660c, a->home_server);
	expect_str(reg, st, s, 0x6614, a->server_dn);
	expect_wstr(reg, st, 0x6641, a->smtp);
	expect_bin(reg, st, 0x3d0c, a->service_uid, 16);
	static const uint8_t private_mdb[16] = { 0x54, 0x94, 0xA1, 0xC0, 0x29, 0x7F, 0x10, 0x1B,
						 0xA5, 0x87, 0x08, 0x00, 0x2B, 0x2A, 0x25, 0x17 };
	expect_bin(reg, st, 0x3414, private_mdb, 16);
	expect_long(reg, st, 0x3e03, 33);     /* MAPI_STORE_PROVIDER */
	expect_long(reg, st, 0x3009, 0x1006); /* PRIMARY_IDENTITY|DEFAULT_STORE|PRIMARY_STORE */
	expect_long(reg, st, 0x6609, 0x0C);
	cpuu_reg_value v;
	get_raw(&v, reg, st, "01020fff");
	assert_int_equal(v.type, CPUU_REG_BINARY);
	/* muidStoreWrap at offset 4 and "EMSMDB.DLL" at 22 (outlook-profile.md §2.1) */
	static const uint8_t wrap[16] = { 0x38, 0xA1, 0xBB, 0x10, 0x05, 0xE5, 0x10, 0x1A,
					  0xA1, 0xBB, 0x08, 0x00, 0x2B, 0x2A, 0x56, 0xC2 };
	assert_true(v.len > 60);
	assert_memory_equal(v.data + 4, wrap, 16);
	assert_memory_equal(v.data + 22, "EMSMDB.DLL", 11);
	cpuu_store_eid eid;
	memset(&eid, 0, sizeof eid);
	if (cpuu_store_eid_parse(&eid, v.data, v.len) != CPUU_OK)
		fail_msg("01020fff: %s", cpuu_error_last()->message);
	assert_int_equal(eid.wrapped_type, 0x0C);
	assert_string_equal(eid.server, a->home_server);
	assert_non_null(eid.mailbox_dn);
	assert_string_equal(eid.mailbox_dn, a->legacy_dn);
	assert_non_null(eid.smtp);
	assert_string_equal(eid.smtp, a->smtp);
	cpuu_store_eid_clear(&eid);
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(st);

	for (size_t i = 0; i < a->additional_count; i++) {
		cpuu_reg_key *m = open_uid(reg, prof, a->additional[i].store_uid);
		expect_long(reg, m, 0x660a, 2);
		expect_str(reg, m, s, 0x660b, a->additional[i].legacy_dn);
		expect_str(reg, m, s, 0x3001, a->additional[i].display_name);
		expect_bin(reg, m, 0x3d0c, a->service_uid, 16);
		cpuu_reg_key_free(m);
	}
	cpuu_reg_key *ab = open_uid(reg, prof, a->ab_uid);
	cpuu_reg_key_free(ab);
	cpuu_reg_key *xp = open_uid(reg, prof, a->transport_uid);
	cpuu_reg_key_free(xp);
}

static void check_pst(cpuu_reg *reg, const cpuu_reg_key *prof, const cpuu_fixture_profile *p,
		      const cpuu_fixture_account *a)
{
	cpuu_reg_key *svc = open_uid(reg, prof, a->service_uid);
	expect_str(reg, svc, p->strings, 0x3d09, a->pst_ansi ? "MSPST MS" : "MSUPST MS");
	expect_bin(reg, svc, 0x3d00, a->store_uid, 16);
	cpuu_reg_key_free(svc);
	cpuu_reg_key *st = open_uid(reg, prof, a->store_uid);
	expect_str(reg, st, p->strings, 0x6700, a->pst_path); /* PR_PST_PATH */
	if (a->pst_ansi) {
		static const uint8_t ansi_pst[16] = { 0x4e, 0x49, 0x54, 0x41, 0xf9, 0xbf, 0xb8, 0x01,
						      0x00, 0xaa, 0x00, 0x37, 0xd9, 0x6e, 0x00, 0x00 };
		expect_bin(reg, st, 0x3414, ansi_pst, 16);
	}
	expect_str(reg, st, p->strings, 0x3001, a->display_name);
	expect_bin(reg, st, 0x3d0c, a->service_uid, 16);
	cpuu_reg_key_free(st);
}

static void expect_acct_wstr(cpuu_reg *reg, const cpuu_reg_key *k, const char *name, const char *s)
{
	bytes b;
	utf16z(&b, s);
	expect_raw(reg, k, name, CPUU_REG_BINARY, b.d, b.n);
}

static void expect_acct_sz(cpuu_reg *reg, const cpuu_reg_key *k, const char *name, const char *s)
{
	bytes b;
	utf16z(&b, s);
	expect_raw(reg, k, name, CPUU_REG_SZ, b.d, b.n);
}

static void check_accounts(cpuu_reg *reg, const cpuu_reg_key *prof, const cpuu_fixture_profile *p)
{
	cpuu_reg_key *mgr = open_key(reg, prof, CPUU_SECTION_ACCOUNT_MANAGER);
	uint8_t ids[4 * 64];
	size_t n = 0;
	uint32_t max = 0;
	for (size_t i = 0; i < p->account_count; i++) {
		const cpuu_fixture_account *a = &p->accounts[i];
		if (a->kind == CPUU_FIXTURE_PST) {
			assert_int_equal(a->account_id, 0);
			continue;
		}
		bytes b;
		le32(&b, a->account_id);
		memcpy(ids + n, b.d, 4);
		n += 4;
		if (a->account_id > max)
			max = a->account_id;
		char sub[16];
		snprintf(sub, sizeof sub, "%08x", a->account_id);
		cpuu_reg_key *k = open_key(reg, mgr, sub);
		if (p->strings == CPUU_FIXTURE_UNICODE)
			expect_acct_wstr(reg, k, "Account Name", a->account_name);
		else
			expect_acct_sz(reg, k, "Account Name", a->account_name);
		if (a->kind == CPUU_FIXTURE_EXCHANGE) {
			expect_acct_sz(reg, k, "clsid", "{ED475414-B0D6-11D2-8C3B-00104B2A6676}");
			expect_raw(reg, k, "Service UID", CPUU_REG_BINARY, a->service_uid, 16);
			expect_raw(reg, k, "XP Provider UID", CPUU_REG_BINARY, a->transport_uid, 16);
			/* The Service UID names an existing service section. */
			cpuu_reg_key *svc = open_uid(reg, prof, a->service_uid);
			cpuu_reg_key_free(svc);
		} else {
			int imap = a->kind == CPUU_FIXTURE_IMAP;
			expect_acct_sz(reg, k, "clsid", imap ? "{ED475412-B0D6-11D2-8C3B-00104B2A6676}"
							     : "{ED475411-B0D6-11D2-8C3B-00104B2A6676}");
			expect_acct_wstr(reg, k, imap ? "IMAP Server" : "POP3 Server", a->mail_server);
			expect_acct_wstr(reg, k, imap ? "IMAP User" : "POP3 User", a->user);
			expect_acct_wstr(reg, k, "Email", a->smtp);
			expect_acct_wstr(reg, k, "Display Name", a->display_name);
			expect_acct_wstr(reg, k, "SMTP Server", a->smtp_server);
		}
		bytes mini;
		le32(&mini, a->mini_uid);
		expect_raw(reg, k, "Mini UID", CPUU_REG_DWORD, mini.d, 4);
		cpuu_reg_key_free(k);
	}
	expect_raw(reg, mgr, "{ED475418-B0D6-11D2-8C3B-00104B2A6676}", CPUU_REG_BINARY, ids, n);
	bytes next;
	le32(&next, max + 1);
	expect_raw(reg, mgr, "NextAccountID", CPUU_REG_DWORD, next.d, 4);
	cpuu_reg_key_free(mgr);
}

static void check_profile(cpuu_reg *reg, const cpuu_fixture_profile *p)
{
	char *path = cpuu_fixture_profile_path(p);
	cpuu_reg_key *prof = open_key(reg, NULL, path);
	free(path);

	/* Header: PR_SERVICES lists every service, each an existing section. */
	uint8_t services[16 * 16];
	size_t n = 0;
	for (size_t i = 0; i < p->account_count && n < sizeof services; i++)
		if (p->accounts[i].kind == CPUU_FIXTURE_EXCHANGE || p->accounts[i].kind == CPUU_FIXTURE_PST) {
			memcpy(services + n, p->accounts[i].service_uid, 16);
			n += 16;
		}
	cpuu_reg_key *hdr = open_key(reg, prof, CPUU_SECTION_HEADER);
	expect_bin(reg, hdr, 0x3d0e, services, n);
	cpuu_reg_key_free(hdr);
	for (size_t off = 0; off < n; off += 16) {
		cpuu_reg_key *svc = open_uid(reg, prof, services + off);
		expect_bin(reg, svc, 0x3d0c, services + off, 16);
		cpuu_reg_key_free(svc);
	}

	const cpuu_fixture_account *primary = cpuu_fixture_primary_exchange(p);
	if (primary) {
		cpuu_reg_key *cl = open_key(reg, prof, CPUU_SECTION_CLIENT);
		expect_bin(reg, cl, 0x3d15, primary->emsmdb_uid, 16);
		cpuu_reg_key_free(cl);
		cpuu_reg_key *gl = open_key(reg, prof, CPUU_SECTION_GLOBAL);
		check_identity(reg, gl, p->strings, primary);
		cpuu_reg_key_free(gl);
	}
	for (size_t i = 0; i < p->account_count; i++) {
		const cpuu_fixture_account *a = &p->accounts[i];
		if (a->kind == CPUU_FIXTURE_EXCHANGE)
			check_exchange(reg, prof, p, a);
		else if (a->kind == CPUU_FIXTURE_PST)
			check_pst(reg, prof, p, a);
	}
	check_accounts(reg, prof, p);
	cpuu_reg_key_free(prof);

	if (p->is_default) {
		cpuu_reg_key *dk = open_key(reg, NULL, cpuu_fixture_default_key(p->version));
		expect_acct_sz(reg, dk, "DefaultProfile", p->name);
		cpuu_reg_key_free(dk);
	}
}

/* --- tree dump: every key and value through the registry API ------------------ */

typedef struct lines {
	char **v;
	size_t n, cap;
} lines;

static void lines_push(lines *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		assert_non_null(l->v);
	}
	l->v[l->n++] = s;
}

static void lines_free(lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_key(lines *out, cpuu_reg *reg, const cpuu_reg_key *k, const char *path)
{
	size_t plen = strlen(path);
	char *kl = malloc(plen + 3);
	assert_non_null(kl);
	snprintf(kl, plen + 3, "K\t%s", path);
	lines_push(out, kl);
	cpuu_reg_value *vals = NULL;
	size_t nv = 0;
	assert_int_equal(cpuu_reg_key_values(&vals, &nv, reg, k), CPUU_OK);
	for (size_t i = 0; i < nv; i++) {
		size_t need = plen + strlen(vals[i].name) + 2 * vals[i].len + 40;
		char *s = malloc(need);
		assert_non_null(s);
		int w = snprintf(s, need, "V\t%s\t%s\t%u\t", path, vals[i].name, vals[i].type);
		for (size_t j = 0; j < vals[i].len; j++)
			w += snprintf(s + w, need - (size_t)w, "%02x", vals[i].data[j]);
		lines_push(out, s);
	}
	cpuu_reg_values_free(vals, nv);
	cpuu_strlist subs = { 0 };
	assert_int_equal(cpuu_reg_key_subkeys(&subs, reg, k), CPUU_OK);
	for (size_t i = 0; i < subs.count; i++) {
		cpuu_reg_key *child = NULL;
		assert_int_equal(cpuu_reg_key_open(&child, reg, k, subs.items[i]), CPUU_OK);
		size_t cl = plen + strlen(subs.items[i]) + 2;
		char *cp = malloc(cl);
		assert_non_null(cp);
		snprintf(cp, cl, "%s\\%s", path, subs.items[i]);
		dump_key(out, reg, child, cp);
		free(cp);
		cpuu_reg_key_free(child);
	}
	cpuu_strlist_free(&subs);
}

static void dump_hive(lines *out, const char *hive)
{
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	cpuu_reg_key *root = NULL;
	assert_int_equal(cpuu_reg_root(&root, reg), CPUU_OK);
	memset(out, 0, sizeof *out);
	dump_key(out, reg, root, "");
	cpuu_reg_key_free(root);
	cpuu_reg_free(reg);
	qsort(out->v, out->n, sizeof *out->v, cmp_str);
}

static int in_lines(const lines *l, const char *s)
{
	return bsearch(&s, l->v, l->n, sizeof *l->v, cmp_str) != NULL;
}

/* Every key and value of before exists unchanged in after, and no key that
 * existed before gained or lost a value. */
static void expect_preserved(const lines *before, const lines *after)
{
	for (size_t i = 0; i < before->n; i++)
		if (!in_lines(after, before->v[i]))
			fail_msg("changed or lost: %.200s", before->v[i]);
	size_t added = 0;
	for (size_t i = 0; i < after->n; i++) {
		const char *s = after->v[i];
		if (s[0] != 'V' || in_lines(before, s))
			continue;
		/* A new value: its key must be new too. */
		const char *path = s + 2;
		const char *tab = strchr(path, '\t');
		char key[4096];
		snprintf(key, sizeof key, "K\t%.*s", (int)(tab - path), path);
		if (in_lines(before, key))
			fail_msg("value added to a pre-existing key: %.200s", s);
		added++;
	}
	assert_true(added > 0);
}

/* --- the runs ------------------------------------------------------------------- */

static cpuu_fixture *load(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/fixtures/%s", CPUU_SOURCE_DIR, name);
	cpuu_fixture *f = NULL;
	if (cpuu_fixture_parse_file(&f, path) != CPUU_OK)
		fail_msg("%s: %s", name, cpuu_error_last()->message);
	return f;
}

static const char *const shipped[] = {
	"outlook2016-cached.fixture", "two-exchange.fixture", "mixed.fixture",
	"outlook2013-string8.fixture", "multi-profile.fixture", "outlook2010-wms.fixture",
};

static void build(const char *hive, const cpuu_fixture *f)
{
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	if (cpuu_fixture_apply(reg, f) != CPUU_OK)
		fail_msg("apply: %s", cpuu_error_last()->message);
	cpuu_reg_commit_opts opts = { NULL, 1 };
	if (cpuu_reg_commit(reg, &opts) != CPUU_OK)
		fail_msg("commit: %s", cpuu_error_last()->message);
	cpuu_reg_free(reg);
}

static void check_all(const char *hive, const cpuu_fixture *f)
{
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	for (size_t i = 0; i < f->profile_count; i++)
		check_profile(reg, &f->profiles[i]);
	cpuu_reg_free(reg);
}

static void test_blank(void **state)
{
	(void)state;
	char *dir = test_tmpdir("fixture-blank");
	assert_non_null(dir);
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
		cpuu_fixture *f = load(shipped[i]);
		char name[64];
		snprintf(name, sizeof name, "blank%zu.DAT", i);
		char *hive = test_path(dir, name);
		assert_int_equal(cpuu_hive_create_blank(hive, NULL), CPUU_OK);
		build(hive, f);
		check_all(hive, f);
		free(hive);
		cpuu_fixture_free(f);
	}
	test_tmpdir_remove(dir);
}

static void test_real_hives(void **state)
{
	(void)state;
	static const char *const reals[] = { "win7pro-NTUSER.DAT", "win81-NTUSER.DAT" };
	char *dir = test_tmpdir("fixture-real");
	assert_non_null(dir);
	int ran = 0;
	for (size_t r = 0; r < 2; r++) {
		char *orig = test_real_hive(reals[r]);
		if (!orig)
			continue;
		lines before;
		dump_hive(&before, orig);
		for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
			cpuu_fixture *f = load(shipped[i]);
			char name[64];
			snprintf(name, sizeof name, "real%zu-%zu.DAT", r, i);
			char *hive = test_path(dir, name);
			assert_int_equal(test_copy_file(orig, hive), 0);
			build(hive, f);
			check_all(hive, f);
			lines after;
			dump_hive(&after, hive);
			expect_preserved(&before, &after);
			lines_free(&after);
			free(hive);
			cpuu_fixture_free(f);
			ran++;
		}
		lines_free(&before);
		free(orig);
	}
	test_tmpdir_remove(dir);
	if (!ran)
		skip();
}

/* Same description, two hives: the same tree. */
static void test_reproducible(void **state)
{
	(void)state;
	char *dir = test_tmpdir("fixture-repro");
	char *h1 = test_path(dir, "a.DAT"), *h2 = test_path(dir, "b.DAT");
	cpuu_fixture *f = load("mixed.fixture");
	assert_int_equal(cpuu_hive_create_blank(h1, NULL), CPUU_OK);
	assert_int_equal(cpuu_hive_create_blank(h2, NULL), CPUU_OK);
	build(h1, f);
	build(h2, f);
	lines a, b;
	dump_hive(&a, h1);
	dump_hive(&b, h2);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.v[i], b.v[i]);
	lines_free(&a);
	lines_free(&b);
	cpuu_fixture_free(f);
	free(h1);
	free(h2);
	test_tmpdir_remove(dir);
}

/* Applying onto an existing profile is refused before anything is written. */
static void test_exists_refused(void **state)
{
	(void)state;
	char *dir = test_tmpdir("fixture-exists");
	char *hive = test_path(dir, "h.DAT");
	cpuu_fixture *f = load("multi-profile.fixture");
	assert_int_equal(cpuu_hive_create_blank(hive, NULL), CPUU_OK);
	build(hive, f);
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_fixture_apply(reg, f), CPUU_EEXISTS);
	assert_non_null(strstr(cpuu_error_last()->message, "Profiles\\Outlook"));
	assert_false(cpuu_reg_dirty(reg));
	cpuu_reg_free(reg);
	cpuu_fixture_free(f);
	free(hive);
	test_tmpdir_remove(dir);
}

/* A string that has no Windows-1252 form fails in an 8-bit profile, naming
 * the value. */
static void test_string8_unrepresentable(void **state)
{
	(void)state;
	const char *t = "[profile P]\nstrings = string8-binary\n[exchange]\ndisplay_name = \xE5\xBC\xA0\xE4\xB8\x89\n"
			"smtp=a@b.c\nlegacy_dn=/o=O/ou=G/cn=Recipients/cn=a\nmailbox_guid=11111111-2222-3333-4444-555555555555\n";
	cpuu_fixture *f = NULL;
	assert_int_equal(cpuu_fixture_parse(&f, t, strlen(t)), CPUU_OK);
	char *dir = test_tmpdir("fixture-cp1252");
	char *hive = test_path(dir, "h.DAT");
	assert_int_equal(cpuu_hive_create_blank(hive, NULL), CPUU_OK);
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_fixture_apply(reg, f), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "001e3001"));
	cpuu_reg_free(reg);
	cpuu_fixture_free(f);
	free(hive);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_real_hives),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_exists_refused),
		cmocka_unit_test(test_string8_unrepresentable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
