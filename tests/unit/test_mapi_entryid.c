/* Store and address-book entry IDs. Vectors are assembled here, field by
 * field, from the layout in docs/profile-format.md (MS-OXCDATA 2.2.4.3 and
 * 2.2.5.2, MFCMAPI EntryIdStruct.cpp), independently of the library's builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapi.h"

typedef struct {
	uint8_t d[1024];
	size_t n;
} vec;

static void v_u32(vec *v, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		v->d[v->n++] = (uint8_t)(x >> (8 * i));
}
static void v_bytes(vec *v, const void *p, size_t n)
{
	memcpy(v->d + v->n, p, n);
	v->n += n;
}
static void v_hex(vec *v, const char *hex)
{
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned x;
		sscanf(hex, "%2x", &x);
		v->d[v->n++] = (uint8_t)x;
	}
}
static void v_a(vec *v, const char *s)
{
	v_bytes(v, s, strlen(s) + 1);
}
static void v_w(vec *v, const char *s)
{
	do {
		v->d[v->n++] = (uint8_t)*s;
		v->d[v->n++] = 0;
	} while (*s++);
}

#define PRIVATE_UID "1b55fa20aa6611cd9bc800aa002fc45a"
#define PUBLIC_UID "1c830210aa6611cd9bc800aa002fc45a"

/* Fixed part: flags, muidStoreWrap, version 0, flag 0, "EMSMDB.DLL" padded to
 * 14 bytes, wrapped flags 0, wrapped provider, wrapped type. */
static void v_store_head(vec *v, const char *dll, const char *provider, uint32_t type)
{
	v_u32(v, 0);
	v_hex(v, "38a1bb1005e5101aa1bb08002b2a56c2");
	v_hex(v, "0000");
	uint8_t name[14] = { 0 };
	memcpy(name, dll, strlen(dll));
	v_bytes(v, name, 14);
	v_u32(v, 0);
	v_hex(v, provider);
	v_u32(v, type);
}

#define MBX_DN "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe"
#define SRV_DN "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXMBX01"

static size_t v1_len;

static void build_v2(vec *v)
{
	v_store_head(v, "EMSMDB.DLL", PRIVATE_UID, 0x0C);
	v_a(v, "EXMBX01");
	v_a(v, MBX_DN);
	v1_len = v->n;
	size_t start = v->n;
	v_u32(v, 0xF32135D8u);
	v_u32(v, (uint32_t)(20 + strlen(SRV_DN) + 1 + 2 * (strlen("exmbx01.contoso.com") + 1) + 2));
	v_u32(v, 1);
	v_u32(v, 20);
	v_u32(v, (uint32_t)(20 + strlen(SRV_DN) + 1));
	v_a(v, SRV_DN);
	v_w(v, "exmbx01.contoso.com");
	v_hex(v, "0000");
	assert_int_equal(v->n - start, (size_t)v->d[start + 4] | (size_t)v->d[start + 5] << 8);
}

static void build_v3(vec *v)
{
	v_store_head(v, "EMSMDB.DLL", PRIVATE_UID, 0x0C);
	v_a(v, "8d5a1c1e-0000-4000-8000-00000000beef@contoso.com");
	v_a(v, MBX_DN);
	v_u32(v, 0xF43246E9u);
	v_u32(v, (uint32_t)(16 + 2 * (strlen("jdoe@contoso.com") + 1) + 2));
	v_u32(v, 2);
	v_u32(v, 16);
	v_w(v, "jdoe@contoso.com");
	v_hex(v, "0000");
}

static void expect_rebuild(const cpuu_store_eid *e, const vec *v)
{
	uint8_t *out;
	size_t n;
	if (cpuu_store_eid_build(&out, &n, e) != CPUU_OK)
		fail_msg("build: %s", cpuu_error_last()->message);
	assert_int_equal(n, v->n);
	assert_memory_equal(out, v->d, n);
	cpuu_free(out);
}

static void test_store_v1(void **state)
{
	(void)state;
	vec v = { .n = 0 };
	v_store_head(&v, "EMSMDB.DLL", PRIVATE_UID, 0x0C);
	v_a(&v, "EXMBX01");
	v_a(&v, MBX_DN);
	cpuu_store_eid e;
	assert_int_equal(cpuu_store_eid_parse(&e, v.d, v.n), CPUU_OK);
	assert_int_equal(e.flags, 0);
	assert_memory_equal(e.wrapped_provider, cpuu_mapi_uid_private_mdb, 16);
	assert_int_equal(e.wrapped_type, CPUU_STORE_EID_PRIVATE);
	assert_string_equal(e.server, "EXMBX01");
	assert_string_equal(e.mailbox_dn, MBX_DN);
	assert_null(e.server_dn);
	assert_null(e.server_fqdn);
	assert_null(e.smtp);
	expect_rebuild(&e, &v);
	cpuu_store_eid_clear(&e);
	/* The 36-byte header offset: DLL name is 14 bytes (NUL + 3 pad). */
	assert_int_equal(v.d[32], 0);
	assert_int_equal(v.d[60], 'E');
}

static void test_store_v2(void **state)
{
	(void)state;
	vec v = { .n = 0 };
	build_v2(&v);
	cpuu_store_eid e;
	assert_int_equal(cpuu_store_eid_parse(&e, v.d, v.n), CPUU_OK);
	assert_string_equal(e.server, "EXMBX01");
	assert_string_equal(e.mailbox_dn, MBX_DN);
	assert_string_equal(e.server_dn, SRV_DN);
	assert_string_equal(e.server_fqdn, "exmbx01.contoso.com");
	assert_null(e.smtp);
	expect_rebuild(&e, &v);

	/* Only the FQDN: offset DN 0, FQDN right after the header. */
	free(e.server_dn);
	e.server_dn = NULL;
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_store_eid_build(&out, &n, &e), CPUU_OK);
	assert_int_equal(out[v1_len + 12], 0);
	assert_int_equal(out[v1_len + 16], 20);
	cpuu_store_eid back;
	assert_int_equal(cpuu_store_eid_parse(&back, out, n), CPUU_OK);
	assert_null(back.server_dn);
	assert_string_equal(back.server_fqdn, "exmbx01.contoso.com");
	cpuu_store_eid_clear(&back);
	cpuu_free(out);
	cpuu_store_eid_clear(&e);
}

static void test_store_v3(void **state)
{
	(void)state;
	vec v = { .n = 0 };
	build_v3(&v);
	cpuu_store_eid e;
	assert_int_equal(cpuu_store_eid_parse(&e, v.d, v.n), CPUU_OK);
	assert_string_equal(e.server, "8d5a1c1e-0000-4000-8000-00000000beef@contoso.com");
	assert_string_equal(e.smtp, "jdoe@contoso.com");
	assert_null(e.server_dn);
	expect_rebuild(&e, &v);
	/* A V2 and a V3 block together cannot be written. */
	e.server_fqdn = strdup("x");
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_store_eid_build(&out, &n, &e), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "both a V2"));
	cpuu_store_eid_clear(&e);
}

static void test_store_public(void **state)
{
	(void)state;
	/* Public store: no mailbox DN, straight to a V2 block. */
	vec v = { .n = 0 };
	v_store_head(&v, "EMSMDB.DLL", PUBLIC_UID, 0x06);
	v_a(&v, "EXPF01");
	v_u32(&v, 0xF32135D8u);
	v_u32(&v, 20 + 2 * 4 + 2);
	v_u32(&v, 1);
	v_u32(&v, 0);
	v_u32(&v, 20);
	v_w(&v, "pf1");
	v_hex(&v, "0000");
	cpuu_store_eid e;
	assert_int_equal(cpuu_store_eid_parse(&e, v.d, v.n), CPUU_OK);
	assert_null(e.mailbox_dn);
	assert_int_equal(e.wrapped_type, CPUU_STORE_EID_PUBLIC);
	assert_memory_equal(e.wrapped_provider, cpuu_mapi_uid_public_mdb, 16);
	assert_string_equal(e.server_fqdn, "pf1");
	expect_rebuild(&e, &v);
	cpuu_store_eid_clear(&e);

	/* Public store with nothing after the server name. */
	vec p = { .n = 0 };
	v_store_head(&p, "EMSMDB.DLL", PUBLIC_UID, 0x06);
	v_a(&p, "EXPF01");
	assert_int_equal(cpuu_store_eid_parse(&e, p.d, p.n), CPUU_OK);
	assert_null(e.mailbox_dn);
	expect_rebuild(&e, &p);
	cpuu_store_eid_clear(&e);

	/* A private store may not omit the DN, neither in parse nor build. */
	vec q = { .n = 0 };
	v_store_head(&q, "EMSMDB.DLL", PRIVATE_UID, 0x0C);
	v_a(&q, "EXMBX01");
	assert_int_equal(cpuu_store_eid_parse(&e, q.d, q.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "mailbox DN"));
	cpuu_store_eid b = { .wrapped_type = 0x0C, .server = "S" };
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_store_eid_build(&out, &n, &b), CPUU_EINVALID);
	assert_null(out);
}

static void test_store_build_from_fields(void **state)
{
	(void)state;
	/* What the profile engine does when identity changes: rebuild. */
	cpuu_store_eid e = { .wrapped_type = CPUU_STORE_EID_PRIVATE };
	memcpy(e.wrapped_provider, cpuu_mapi_uid_private_mdb, 16);
	e.server = "EXMBX01";
	e.mailbox_dn = MBX_DN;
	e.server_dn = SRV_DN;
	e.server_fqdn = "exmbx01.contoso.com";
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_store_eid_build(&out, &n, &e), CPUU_OK);
	vec v = { .n = 0 };
	build_v2(&v);
	assert_int_equal(n, v.n);
	assert_memory_equal(out, v.d, n);
	cpuu_free(out);
	/* Non-ASCII goes out as Windows-1252 / UTF-16 and comes back. */
	e.mailbox_dn = "/o=B\xC3\xBCro/cn=Recipients/cn=m\xC3\xBCller";
	e.server_fqdn = "\xE2\x82\xAC.example";
	assert_int_equal(cpuu_store_eid_build(&out, &n, &e), CPUU_OK);
	cpuu_store_eid back;
	assert_int_equal(cpuu_store_eid_parse(&back, out, n), CPUU_OK);
	assert_string_equal(back.mailbox_dn, e.mailbox_dn);
	assert_string_equal(back.server_fqdn, e.server_fqdn);
	cpuu_store_eid_clear(&back);
	cpuu_free(out);
	e.mailbox_dn = "\xE2\x98\x83"; /* no Windows-1252 form */
	assert_int_equal(cpuu_store_eid_build(&out, &n, &e), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "mailbox DN"));
}

static void test_store_dll_case(void **state)
{
	(void)state;
	vec v = { .n = 0 };
	v_store_head(&v, "emsmdb.dll", PRIVATE_UID, 0x0C);
	v_a(&v, "S");
	v_a(&v, "/o=x");
	cpuu_store_eid e;
	assert_int_equal(cpuu_store_eid_parse(&e, v.d, v.n), CPUU_OK);
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_store_eid_build(&out, &n, &e), CPUU_OK);
	assert_memory_equal(out + 22, "EMSMDB.DLL", 10);
	cpuu_free(out);
	cpuu_store_eid_clear(&e);
}

static void test_store_truncated(void **state)
{
	(void)state;
	vec v2 = { .n = 0 }, v3 = { .n = 0 };
	build_v2(&v2);
	build_v3(&v3);
	size_t v3_v1 = 60 + strlen("8d5a1c1e-0000-4000-8000-00000000beef@contoso.com") + 1 + strlen(MBX_DN) + 1;
	cpuu_store_eid e;
	for (size_t n = 0; n < v2.n; n++) {
		/* The copy makes ASan catch any read past n. */
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, v2.d, n);
		int rc = cpuu_store_eid_parse(&e, c, n);
		if (n == v1_len) {
			assert_int_equal(rc, CPUU_OK); /* a complete V1 entry ID */
			cpuu_store_eid_clear(&e);
		} else {
			if (rc != CPUU_EINVALID)
				fail_msg("prefix of %zu bytes: rc %d", n, rc);
			assert_null(e.server);
		}
		free(c);
	}
	for (size_t n = 0; n < v3.n; n++) {
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, v3.d, n);
		int rc = cpuu_store_eid_parse(&e, c, n);
		if (n == v3_v1) {
			assert_int_equal(rc, CPUU_OK);
			cpuu_store_eid_clear(&e);
		} else {
			assert_int_equal(rc, CPUU_EINVALID);
		}
		free(c);
	}
}

static void test_store_garbage(void **state)
{
	(void)state;
	vec v = { .n = 0 };
	build_v2(&v);
	size_t b = v1_len; /* start of the V2 block */
	static const struct { size_t off; uint8_t val; const char *msg; } t[] = {
		{ 4, 0x39, "muidStoreWrap" },
		{ 20, 1, "version/flag" },
		{ 21, 1, "version/flag" },
		{ 22, 'X', "EMSMDB.DLL" },
		{ 33, 'x', "padding" },
		{ 36, 1, "wrapped flags" },
		{ SIZE_MAX, 0, NULL },
	};
	cpuu_store_eid e;
	for (size_t i = 0; t[i].msg; i++) {
		vec c = v;
		c.d[t[i].off] = t[i].val;
		assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
		if (!strstr(cpuu_error_last()->message, t[i].msg))
			fail_msg("byte %zu: message \"%s\" lacks \"%s\"", t[i].off, cpuu_error_last()->message, t[i].msg);
	}
	/* Block fields, relative to the block start. */
	static const struct { size_t off; uint8_t val; const char *msg; } bt[] = {
		{ 0, 0x00, "unknown block magic" },
		{ 4, 0x01, "size" },
		{ 8, 0x03, "version 3" },
		{ 12, 21, "server DN offset 21" },
		{ 16, 0x07, "FQDN offset" },
		{ SIZE_MAX, 0, NULL },
	};
	for (size_t i = 0; bt[i].msg; i++) {
		vec c = v;
		c.d[b + bt[i].off] = bt[i].val;
		assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
		if (!strstr(cpuu_error_last()->message, bt[i].msg))
			fail_msg("block byte %zu: \"%s\" lacks \"%s\"", bt[i].off, cpuu_error_last()->message, bt[i].msg);
	}
	/* Reserved bytes, trailing bytes, both offsets zero. */
	vec c = v;
	c.d[c.n - 1] = 1;
	assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "reserved"));
	c = v;
	c.d[c.n++] = 0;
	assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
	c = v;
	memset(c.d + b + 12, 0, 8);
	assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "neither"));
	/* Three stray bytes after the mailbox DN. */
	c = v;
	c.n = b + 3;
	assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "trailing"));
	/* FQDN with a lone surrogate. */
	c = v;
	size_t fq = b + 20 + strlen(SRV_DN) + 1;
	c.d[fq] = 0x00;
	c.d[fq + 1] = 0xD8;
	assert_int_equal(cpuu_store_eid_parse(&e, c.d, c.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "surrogate"));
	/* All-0xFF and all-zero garbage. */
	uint8_t junk[200];
	memset(junk, 0xFF, sizeof junk);
	assert_int_equal(cpuu_store_eid_parse(&e, junk, sizeof junk), CPUU_EINVALID);
	memset(junk, 0, sizeof junk);
	assert_int_equal(cpuu_store_eid_parse(&e, junk, sizeof junk), CPUU_EINVALID);
	assert_int_equal(cpuu_store_eid_parse(&e, NULL, 0), CPUU_EINVALID);
}

static void build_ab(vec *v, const char *dn)
{
	v_u32(v, 0);
	v_hex(v, "dca740c8c042101ab4b908002b2fe182");
	v_u32(v, 1);
	v_u32(v, 0);
	v_a(v, dn);
}

static void test_ab(void **state)
{
	(void)state;
	vec v = { .n = 0 };
	build_ab(&v, MBX_DN);
	cpuu_ab_eid e;
	assert_int_equal(cpuu_ab_eid_parse(&e, v.d, v.n), CPUU_OK);
	assert_int_equal(e.flags, 0);
	assert_int_equal(e.version, 1);
	assert_int_equal(e.display_type, 0);
	assert_string_equal(e.x500_dn, MBX_DN);
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_ab_eid_build(&out, &n, &e), CPUU_OK);
	assert_int_equal(n, v.n);
	assert_memory_equal(out, v.d, n);
	cpuu_free(out);
	cpuu_ab_eid_clear(&e);

	cpuu_ab_eid b = { .version = 1, .display_type = 0, .x500_dn = "/o=Fabrikam/ou=x/cn=Recipients/cn=a" };
	assert_int_equal(cpuu_ab_eid_build(&out, &n, &b), CPUU_OK);
	vec w = { .n = 0 };
	build_ab(&w, b.x500_dn);
	assert_int_equal(n, w.n);
	assert_memory_equal(out, w.d, n);
	cpuu_free(out);
	b.x500_dn = NULL;
	assert_int_equal(cpuu_ab_eid_build(&out, &n, &b), CPUU_EINVALID);

	for (size_t k = 0; k < v.n; k++) {
		uint8_t *c = malloc(k ? k : 1);
		memcpy(c, v.d, k);
		assert_int_equal(cpuu_ab_eid_parse(&e, c, k), CPUU_EINVALID);
		assert_null(e.x500_dn);
		free(c);
	}
	vec t = v;
	t.d[t.n++] = 0;
	assert_int_equal(cpuu_ab_eid_parse(&e, t.d, t.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "unexpected bytes"));
	t = v;
	t.d[4] ^= 1;
	assert_int_equal(cpuu_ab_eid_parse(&e, t.d, t.n), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "muidEMSAB"));
	/* A store entry ID is not an address-book one, and vice versa. */
	vec s = { .n = 0 };
	build_v3(&s);
	assert_int_equal(cpuu_ab_eid_parse(&e, s.d, s.n), CPUU_EINVALID);
	cpuu_store_eid se;
	assert_int_equal(cpuu_store_eid_parse(&se, v.d, v.n), CPUU_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_v1),
		cmocka_unit_test(test_store_v2),
		cmocka_unit_test(test_store_v3),
		cmocka_unit_test(test_store_public),
		cmocka_unit_test(test_store_build_from_fields),
		cmocka_unit_test(test_store_dll_case),
		cmocka_unit_test(test_store_truncated),
		cmocka_unit_test(test_store_garbage),
		cmocka_unit_test(test_ab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
