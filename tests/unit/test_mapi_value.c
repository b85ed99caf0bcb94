/* MAPI property values <-> registry data. Vectors are written out from the
 * layouts in docs/profile-format.md (MFCMAPI registryProperty.cpp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapi.h"

#define REG_SZ CPUU_MAPI_REG_SZ
#define REG_BINARY CPUU_MAPI_REG_BINARY
#define REG_DWORD CPUU_MAPI_REG_DWORD

/* A little byte builder for vectors. */
typedef struct {
	uint8_t d[512];
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
/* ASCII as UTF-16LE, with the NUL. */
static void v_w(vec *v, const char *s)
{
	do {
		v->d[v->n++] = (uint8_t)*s;
		v->d[v->n++] = 0;
	} while (*s++);
}

static void expect_invalid(int rc, const char *needle)
{
	assert_int_equal(rc, CPUU_EINVALID);
	if (needle && !strstr(cpuu_error_last()->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", cpuu_error_last()->message, needle);
}

/* decode, then encode back in the same registry type: must give the input. */
static void roundtrip(uint32_t tag, uint32_t reg_type, const uint8_t *d, size_t n, cpuu_mapi_value *keep)
{
	cpuu_mapi_value v;
	int rc = cpuu_mapi_value_decode(&v, tag, reg_type, d, n);
	if (rc != CPUU_OK)
		fail_msg("decode of tag %08x failed: %s", (unsigned)tag, cpuu_error_last()->message);
	uint8_t *out;
	size_t on;
	rc = cpuu_mapi_value_encode(&out, &on, &v, reg_type);
	if (rc != CPUU_OK)
		fail_msg("encode of tag %08x failed: %s", (unsigned)tag, cpuu_error_last()->message);
	assert_int_equal(on, n);
	assert_memory_equal(out, d, n);
	cpuu_free(out);
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_null(strchr(line, '\n'));
	cpuu_free(line);
	if (keep)
		*keep = v;
	else
		cpuu_mapi_value_clear(&v);
}

static void test_fixed_types(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	const uint8_t l[] = { 0x01, 0x05, 0x00, 0x00 };
	roundtrip(0x66000003u, REG_BINARY, l, 4, &v);
	assert_int_equal(v.u.l, 0x501);
	cpuu_mapi_value_clear(&v);
	roundtrip(0x66000003u, REG_DWORD, l, 4, NULL);

	const uint8_t neg[] = { 0xFF, 0xFF, 0xFF, 0xFF };
	roundtrip(0x66000003u, REG_BINARY, neg, 4, &v);
	assert_int_equal(v.u.l, -1);
	cpuu_mapi_value_clear(&v);

	const uint8_t s[] = { 0x34, 0x12 };
	roundtrip(CPUU_PROP_TAG(CPUU_PT_SHORT, 0x1000), REG_BINARY, s, 2, &v);
	assert_int_equal(v.u.i16, 0x1234);
	cpuu_mapi_value_clear(&v);

	const uint8_t err[] = { 0x0F, 0x01, 0x04, 0x80 };
	roundtrip(CPUU_PROP_TAG(CPUU_PT_ERROR, 0x39FE), REG_BINARY, err, 4, &v);
	assert_int_equal((uint32_t)v.u.l, 0x8004010Fu);
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_string_equal(line, "PT_ERROR 0x8004010F");
	cpuu_free(line);

	const uint8_t i8[] = { 1, 2, 3, 4, 5, 6, 7, 0x80 };
	roundtrip(CPUU_PROP_TAG(CPUU_PT_I8, 0x1000), REG_BINARY, i8, 8, &v);
	assert_true(v.u.i8 == (int64_t)0x8007060504030201ull);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_CURRENCY, 0x1000), REG_BINARY, i8, 8, NULL);

	/* 2026-11-26T00:00:00Z = 134774 + 20783 days after 1601-01-01. */
	uint64_t ft = (uint64_t)(134774 + 20783) * 86400u * 10000000u;
	uint8_t ftb[8];
	for (int i = 0; i < 8; i++)
		ftb[i] = (uint8_t)(ft >> (8 * i));
	roundtrip(CPUU_PROP_TAG(CPUU_PT_SYSTIME, 0x3007), REG_BINARY, ftb, 8, &v);
	assert_true(v.u.ft == ft);
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_non_null(strstr(line, "2026-11-26T00:00:00Z"));
	cpuu_free(line);

	double d = 3.25;
	uint8_t db[8];
	memcpy(db, &d, 8);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_DOUBLE, 0x1000), REG_BINARY, db, 8, &v);
	assert_true(v.u.dbl == 3.25);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_APPTIME, 0x1000), REG_BINARY, db, 8, NULL);

	/* PT_FLOAT: ordinary values, infinities and NaN payloads (even signalling
	 * ones) come back bit for bit. */
	static const uint32_t fl[] = { 0x40500000u, 0x80000000u, 0x7F800000u, 0x7FC00001u, 0x7F800001u,
				       0xFFBFFFFFu, 0x00000001u };
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
		uint8_t fb[4] = { (uint8_t)fl[i], (uint8_t)(fl[i] >> 8), (uint8_t)(fl[i] >> 16), (uint8_t)(fl[i] >> 24) };
		roundtrip(CPUU_PROP_TAG(CPUU_PT_FLOAT, 0x1000), REG_BINARY, fb, 4, NULL);
	}
	roundtrip(CPUU_PROP_TAG(CPUU_PT_FLOAT, 0x1000), REG_BINARY, (const uint8_t *)"\x00\x00\x50\x40", 4, &v);
	assert_true(v.u.dbl == 3.25);

	const uint8_t clsid[16] = { 0x54, 0x94, 0xA1, 0xC0, 0x29, 0x7F, 0x10, 0x1B, 0xA5, 0x87, 0x08, 0x00, 0x2B, 0x2A, 0x25, 0x17 };
	roundtrip(CPUU_PROP_TAG(CPUU_PT_CLSID, 0x1000), REG_BINARY, clsid, 16, &v);
	assert_int_equal(v.u.bin.len, 16);
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_string_equal(line, "PT_CLSID 5494a1c0297f101ba58708002b2a2517");
	cpuu_free(line);
	cpuu_mapi_value_clear(&v);
}

static void test_boolean(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	roundtrip(0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x01\x00", 2, &v);
	assert_int_equal(v.u.b, 1);
	assert_int_equal(v.bool_width, 2);
	roundtrip(0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x00\x00\x00\x00", 4, &v);
	assert_int_equal(v.u.b, 0);
	assert_int_equal(v.bool_width, 4);
	roundtrip(0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x01\x00\x00\x00", 4, NULL);
	/* A value built by code (width 0) is written as 2 bytes, as MFCMAPI does. */
	cpuu_mapi_value nv = { .tag = 0x3D18000Bu, .u.b = 1 };
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_mapi_value_encode(&out, &n, &nv, REG_BINARY), CPUU_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\x01\x00", 2);
	cpuu_free(out);
	nv.u.b = 2;
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &nv, REG_BINARY), "neither 0 nor 1");

	expect_invalid(cpuu_mapi_value_decode(&v, 0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x02\x00", 2),
		       "neither 0 nor 1");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x3D18000Bu, REG_BINARY, (const uint8_t *)"\xFF\xFF", 2),
		       "0xFFFF");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x01\x00\x01\x00", 4),
		       "neither 0 nor 1");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x01", 1),
		       "want 2 or 4");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x3D18000Bu, REG_BINARY, (const uint8_t *)"\x01\x00\x00", 3),
		       "want 2 or 4");
}

static void test_strings(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	vec w = { .n = 0 };
	v_w(&w, "outlook.company.corp");

	/* PT_STRING8 as REG_SZ (UTF-16LE) and as REG_BINARY (Windows-1252). */
	roundtrip(0x6602001Eu, REG_SZ, w.d, w.n, &v);
	assert_string_equal(v.u.str, "outlook.company.corp");
	cpuu_mapi_value_clear(&v);
	const uint8_t s8[] = { 'M', 0xFC, 'l', 'l', 'e', 'r', ' ', 0x80, 0 };
	roundtrip(0x3001001Eu, REG_BINARY, s8, sizeof s8, &v);
	assert_string_equal(v.u.str, "M\xC3\xBCller \xE2\x82\xAC");
	/* Re-encoding the same text as REG_SZ gives UTF-16LE. */
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_mapi_value_encode(&out, &n, &v, REG_SZ), CPUU_OK);
	assert_int_equal(n, 18);
	assert_memory_equal(out, "M\0\xFC\0l\0l\0e\0r\0 \0\xAC\x20\0\0", 18);
	cpuu_free(out);
	/* Text with no Windows-1252 form cannot be written as 8-bit. */
	free(v.u.str);
	v.u.str = strdup("\xE2\x98\x83");
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &v, REG_BINARY), "U+2603");
	assert_int_equal(cpuu_mapi_value_encode(&out, &n, &v, REG_SZ), CPUU_OK);
	cpuu_free(out);
	cpuu_mapi_value_clear(&v);

	/* PT_UNICODE, including a surrogate pair; empty strings. */
	const uint8_t u[] = { 'a', 0, 0x3D, 0xD8, 0x00, 0xDE, 0, 0 };
	roundtrip(0x662A001Fu, REG_BINARY, u, sizeof u, &v);
	assert_string_equal(v.u.str, "a\xF0\x9F\x98\x80");
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_string_equal(line, "PT_UNICODE \"a\xF0\x9F\x98\x80\"");
	cpuu_free(line);
	cpuu_mapi_value_clear(&v);
	roundtrip(0x662A001Fu, REG_BINARY, (const uint8_t *)"\0\0", 2, NULL);
	roundtrip(0x6602001Eu, REG_BINARY, (const uint8_t *)"", 1, NULL);
	roundtrip(0x6602001Eu, REG_SZ, (const uint8_t *)"\0\0", 2, NULL);
	roundtrip(0x662A001Fu, REG_SZ, u, sizeof u, NULL);

	/* Strictness. */
	expect_invalid(cpuu_mapi_value_decode(&v, 0x662A001Fu, REG_BINARY, u, 7), "odd byte count");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x662A001Fu, REG_BINARY, u, 6), "no NUL terminator");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x662A001Fu, REG_BINARY, u, 0), "no NUL terminator");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x662A001Fu, REG_BINARY,
					      (const uint8_t *)"a\0\0\0b\0\0\0", 8), "embedded NUL at byte offset 2");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x662A001Fu, REG_BINARY,
					      (const uint8_t *)"\x00\xDC\0\0", 4), "unpaired low surrogate");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6602001Eu, REG_SZ, w.d, w.n - 1), "odd byte count");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6602001Eu, REG_BINARY, (const uint8_t *)"abc", 3),
		       "no NUL terminator");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6602001Eu, REG_BINARY, (const uint8_t *)"", 0),
		       "no NUL terminator");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6602001Eu, REG_BINARY, (const uint8_t *)"ab\0c", 5),
		       "embedded NUL at byte offset 2");
	/* Messages name the value. */
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6602001Eu, REG_BINARY, (const uint8_t *)"ab", 2), "001e6602");
	assert_null(v.u.str);
}

static void test_reg_types(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	vec w = { .n = 0 };
	v_w(&w, "x");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x66000003u, REG_SZ, w.d, w.n), "REG_SZ");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x3D0C0102u, REG_DWORD, (const uint8_t *)"abcd", 4), "REG_DWORD");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x66000003u, 7, (const uint8_t *)"abcd", 4), "registry type 7");
	cpuu_mapi_value l = { .tag = 0x66000003u, .u.l = 5 };
	uint8_t *out;
	size_t n;
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &l, REG_SZ), "REG_SZ");
	assert_null(out);
	cpuu_mapi_value bin = { .tag = 0x3D0C0102u };
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &bin, REG_DWORD), "REG_DWORD");
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &l, 2), "registry type 2");
}

static void test_fixed_lengths(void **state)
{
	(void)state;
	static const struct { uint16_t type; size_t good; } t[] = {
		{ CPUU_PT_SHORT, 2 }, { CPUU_PT_LONG, 4 }, { CPUU_PT_FLOAT, 4 }, { CPUU_PT_DOUBLE, 8 },
		{ CPUU_PT_CURRENCY, 8 }, { CPUU_PT_APPTIME, 8 }, { CPUU_PT_ERROR, 4 }, { CPUU_PT_I8, 8 },
		{ CPUU_PT_SYSTIME, 8 }, { CPUU_PT_CLSID, 16 },
	};
	uint8_t buf[32] = { 0 };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		for (size_t n = 0; n < sizeof buf; n++) {
			cpuu_mapi_value v;
			int rc = cpuu_mapi_value_decode(&v, CPUU_PROP_TAG(t[i].type, 0x1234), REG_BINARY, buf, n);
			if (n == t[i].good) {
				assert_int_equal(rc, CPUU_OK);
				cpuu_mapi_value_clear(&v);
			} else {
				char want[32];
				snprintf(want, sizeof want, "%zu bytes, want %zu", n, t[i].good);
				expect_invalid(rc, want);
			}
		}
	}
}

static void test_binary_and_unknown(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	const uint8_t uids[32] = { 0x13, 0xdb, 0xb0, 0xc8, [16] = 0x9a, [31] = 0xff };
	roundtrip(0x3D000102u, REG_BINARY, uids, 32, &v);
	assert_int_equal(v.u.bin.len, 32);
	cpuu_mapi_value_clear(&v);
	roundtrip(0x3D000102u, REG_BINARY, uids, 0, NULL);
	/* Unknown types, PT_NULL, PT_OBJECT: raw bytes. */
	roundtrip(CPUU_PROP_TAG(0x0999, 0x1000), REG_BINARY, uids, 5, NULL);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_NULL, 0x1000), REG_BINARY, uids, 3, NULL);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_OBJECT, 0x1000), REG_BINARY, uids, 4, NULL);
	roundtrip(CPUU_PROP_TAG(0x1004, 0x1000), REG_BINARY, uids, 7, NULL); /* PT_MV_FLOAT: not modelled */

	/* Long binaries are cut in the one-line rendering. */
	uint8_t big[100];
	memset(big, 0xAB, sizeof big);
	roundtrip(0x0FFF0102u, REG_BINARY, big, sizeof big, &v);
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_non_null(strstr(line, "PT_BINARY 100 bytes abab"));
	assert_non_null(strstr(line, "..."));
	assert_int_equal(strlen(line), strlen("PT_BINARY 100 bytes ") + 128 + 3);
	cpuu_free(line);
	cpuu_mapi_value_clear(&v);
}

static void test_mv_fixed(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	vec b = { .n = 0 };
	v_u32(&b, 1);
	v_u32(&b, 0xFFFFFFFEu);
	v_u32(&b, 0x12345678u);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_LONG, 0x1000), REG_BINARY, b.d, b.n, &v);
	assert_int_equal(v.u.mv.count, 3);
	assert_int_equal(v.u.mv.v.l[1], -2);
	assert_int_equal(v.u.mv.v.l[2], 0x12345678);
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_string_equal(line, "PT_MV_LONG [3] 1, -2, 305419896");
	cpuu_free(line);
	cpuu_mapi_value_clear(&v);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_LONG, 0x1000), REG_BINARY, b.d, 0, &v);
	assert_int_equal(v.u.mv.count, 0);
	cpuu_mapi_value_clear(&v);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_SHORT, 0x1000), REG_BINARY, b.d, 12, &v);
	assert_int_equal(v.u.mv.count, 6);
	cpuu_mapi_value_clear(&v);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_I8, 0x1000), REG_BINARY, b.d, 8, NULL);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_SYSTIME, 0x1000), REG_BINARY, b.d, 8, NULL);
	uint8_t g[32];
	memset(g, 0x5A, sizeof g);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_CLSID, 0x1000), REG_BINARY, g, 32, &v);
	assert_int_equal(v.u.mv.count, 2);
	cpuu_mapi_value_clear(&v);

	expect_invalid(cpuu_mapi_value_decode(&v, CPUU_PROP_TAG(CPUU_PT_MV_LONG, 0x1000), REG_BINARY, b.d, 6),
		       "not a multiple of the 4-byte item size");
	expect_invalid(cpuu_mapi_value_decode(&v, CPUU_PROP_TAG(CPUU_PT_MV_CLSID, 0x1000), REG_BINARY, g, 20),
		       "16-byte");
	expect_invalid(cpuu_mapi_value_decode(&v, CPUU_PROP_TAG(CPUU_PT_MV_SHORT, 0x1000), REG_BINARY, g, 3),
		       "2-byte");
	expect_invalid(cpuu_mapi_value_decode(&v, CPUU_PROP_TAG(CPUU_PT_MV_I8, 0x1000), REG_BINARY, g, 12),
		       "8-byte");
}

/* PR_PROFILE_HOME_SERVER_ADDRS as Outlook stores it: count, offsets, strings. */
static void test_mv_string8(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	vec b = { .n = 0 };
	v_u32(&b, 2);
	v_u32(&b, 12);
	v_u32(&b, 12 + 15);
	v_bytes(&b, "ncalrpc:SERVER", 15);
	v_bytes(&b, "ncacn_ip_tcp:srv.fqdn", 22);
	roundtrip(0x6613101Eu, REG_BINARY, b.d, b.n, &v);
	assert_int_equal(v.u.mv.count, 2);
	assert_string_equal(v.u.mv.v.str[0], "ncalrpc:SERVER");
	assert_string_equal(v.u.mv.v.str[1], "ncacn_ip_tcp:srv.fqdn");
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_string_equal(line, "PT_MV_STRING8 [2] \"ncalrpc:SERVER\", \"ncacn_ip_tcp:srv.fqdn\"");
	cpuu_free(line);
	cpuu_mapi_value_clear(&v);

	/* Zero items; an empty string item; 8-bit text. */
	roundtrip(0x6613101Eu, REG_BINARY, (const uint8_t *)"\0\0\0\0", 4, NULL);
	vec e = { .n = 0 };
	v_u32(&e, 2);
	v_u32(&e, 12);
	v_u32(&e, 13);
	v_bytes(&e, "\0\xE9t\xE9\0", 5);
	roundtrip(0x6613101Eu, REG_BINARY, e.d, e.n, &v);
	assert_string_equal(v.u.mv.v.str[0], "");
	assert_string_equal(v.u.mv.v.str[1], "\xC3\xA9t\xC3\xA9");
	cpuu_mapi_value_clear(&v);

	/* Items in another order and with a gap decode; the encoder writes the
	 * canonical layout. */
	vec o = { .n = 0 };
	v_u32(&o, 2);
	v_u32(&o, 16);
	v_u32(&o, 12);
	v_bytes(&o, "b\0\0\0a\0", 6);
	assert_int_equal(cpuu_mapi_value_decode(&v, 0x6613101Eu, REG_BINARY, o.d, o.n), CPUU_OK);
	assert_string_equal(v.u.mv.v.str[0], "a");
	assert_string_equal(v.u.mv.v.str[1], "b");
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_mapi_value_encode(&out, &n, &v, REG_BINARY), CPUU_OK);
	assert_int_equal(n, 16);
	assert_memory_equal(out, "\x02\0\0\0\x0c\0\0\0\x0e\0\0\0a\0b\0", 16);
	cpuu_free(out);
	cpuu_mapi_value_clear(&v);

	/* Bad counts, offsets, terminators, overlaps. */
	uint32_t tag = 0x6613101Eu;
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, b.d, 3), "too short for the item count");
	vec c = { .n = 0 };
	v_u32(&c, 5);
	v_u32(&c, 8);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, c.d, c.n), "count 5 does not fit in 8 bytes");
	vec h = { .n = 0 };
	v_u32(&h, 1);
	v_u32(&h, 4);
	v_bytes(&h, "x\0", 2);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, h.d, h.n), "points into the 8-byte header");
	vec p = { .n = 0 };
	v_u32(&p, 1);
	v_u32(&p, 100);
	v_bytes(&p, "x\0", 2);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, p.d, p.n), "no NUL terminator");
	vec t = { .n = 0 };
	v_u32(&t, 1);
	v_u32(&t, 8);
	v_bytes(&t, "abc", 3);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, t.d, t.n), "item 0 at offset 8 has no NUL");
	vec ov = { .n = 0 };
	v_u32(&ov, 2);
	v_u32(&ov, 12);
	v_u32(&ov, 13);
	v_bytes(&ov, "ab\0", 3);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, ov.d, ov.n), "overlap");
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, b.d, b.n - 1), "item 1");
	assert_int_equal(v.u.mv.count, 0);
	assert_null(v.u.mv.v.str);
}

static void test_mv_unicode(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	vec b = { .n = 0 };
	v_u32(&b, 3);
	v_u32(&b, 16);
	v_u32(&b, 16 + 8);
	v_u32(&b, 16 + 8 + 2);
	v_w(&b, "abc");
	v_w(&b, "");
	v_w(&b, "de");
	roundtrip(0x6613101Fu, REG_BINARY, b.d, b.n, &v);
	assert_int_equal(v.u.mv.count, 3);
	assert_string_equal(v.u.mv.v.str[0], "abc");
	assert_string_equal(v.u.mv.v.str[1], "");
	assert_string_equal(v.u.mv.v.str[2], "de");
	cpuu_mapi_value_clear(&v);

	/* An odd offset is readable (UTF-16 units are read as bytes). */
	vec odd = { .n = 0 };
	v_u32(&odd, 1);
	v_u32(&odd, 9);
	v_bytes(&odd, "\0x\0\0\0", 5);
	assert_int_equal(cpuu_mapi_value_decode(&v, 0x6613101Fu, REG_BINARY, odd.d, odd.n), CPUU_OK);
	assert_string_equal(v.u.mv.v.str[0], "x");
	cpuu_mapi_value_clear(&v);

	vec bad = { .n = 0 };
	v_u32(&bad, 1);
	v_u32(&bad, 8);
	v_bytes(&bad, "\x00\xD8\0\0", 4);
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6613101Fu, REG_BINARY, bad.d, bad.n), "unpaired high surrogate");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6613101Fu, REG_BINARY, b.d, b.n - 1), "no NUL terminator");
	vec ov = { .n = 0 };
	v_u32(&ov, 2);
	v_u32(&ov, 12);
	v_u32(&ov, 14);
	v_w(&ov, "ab");
	expect_invalid(cpuu_mapi_value_decode(&v, 0x6613101Fu, REG_BINARY, ov.d, ov.n), "overlap");
}

static void test_mv_binary(void **state)
{
	(void)state;
	cpuu_mapi_value v;
	/* count 3: items of 5, 0 and 4 bytes, each padded to 4 (MFCMAPI
	 * memory::align), offsets from the start of the blob. */
	vec b = { .n = 0 };
	v_u32(&b, 3);
	v_u32(&b, 5); v_u32(&b, 28);
	v_u32(&b, 0); v_u32(&b, 36);
	v_u32(&b, 4); v_u32(&b, 36);
	v_bytes(&b, "\x01\x02\x03\x04\x05\0\0\0", 8);
	v_bytes(&b, "\xAA\xBB\xCC\xDD", 4);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x3D05), REG_BINARY, b.d, b.n, &v);
	assert_int_equal(v.u.mv.count, 3);
	assert_int_equal(v.u.mv.v.bin[0].len, 5);
	assert_memory_equal(v.u.mv.v.bin[0].data, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(v.u.mv.v.bin[1].len, 0);
	assert_int_equal(v.u.mv.v.bin[2].len, 4);
	assert_memory_equal(v.u.mv.v.bin[2].data, "\xAA\xBB\xCC\xDD", 4);
	char *line;
	assert_int_equal(cpuu_mapi_value_format(&line, &v), CPUU_OK);
	assert_string_equal(line, "PT_MV_BINARY [3] 5 bytes 0102030405, 0 bytes, 4 bytes aabbccdd");
	cpuu_free(line);
	cpuu_mapi_value_clear(&v);
	/* A last item of 1 byte: padded too. */
	vec one = { .n = 0 };
	v_u32(&one, 1);
	v_u32(&one, 1); v_u32(&one, 12);
	v_bytes(&one, "\x7F\0\0\0", 4);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x3D05), REG_BINARY, one.d, one.n, NULL);
	roundtrip(CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x3D05), REG_BINARY, (const uint8_t *)"\0\0\0\0", 4, NULL);

	uint32_t tag = CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x3D05);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, b.d, 2), "too short");
	vec c = { .n = 0 };
	v_u32(&c, 2);
	v_u32(&c, 0); v_u32(&c, 12);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, c.d, c.n), "count 2 does not fit in 12 bytes");
	vec h = { .n = 0 };
	v_u32(&h, 1);
	v_u32(&h, 4); v_u32(&h, 8);
	v_bytes(&h, "abcd", 4);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, h.d, h.n), "item 0 offset 8 points into the 12-byte header");
	vec p = { .n = 0 };
	v_u32(&p, 1);
	v_u32(&p, 5); v_u32(&p, 12);
	v_bytes(&p, "abcd", 4);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, p.d, p.n), "runs past the end of 16 bytes");
	vec huge = { .n = 0 };
	v_u32(&huge, 1);
	v_u32(&huge, 0xFFFFFFFFu); v_u32(&huge, 12);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, huge.d, huge.n), "runs past the end");
	vec off = { .n = 0 };
	v_u32(&off, 1);
	v_u32(&off, 0); v_u32(&off, 0xFFFFFFFFu);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, off.d, off.n), "runs past the end");
	vec ov = { .n = 0 };
	v_u32(&ov, 2);
	v_u32(&ov, 4); v_u32(&ov, 20);
	v_u32(&ov, 4); v_u32(&ov, 22);
	v_bytes(&ov, "abcdef", 6);
	expect_invalid(cpuu_mapi_value_decode(&v, tag, REG_BINARY, ov.d, ov.n), "items 0 and 1 overlap");
}

static void test_encode_from_code(void **state)
{
	(void)state;
	/* Values built by callers (not decoded) encode to the documented layout. */
	char *strs[] = { "ncacn_http:mail.example.com", "ncacn_ip_tcp:mail.example.com" };
	cpuu_mapi_value v = { .tag = 0x6613101Fu };
	v.u.mv.count = 2;
	v.u.mv.v.str = strs;
	uint8_t *out;
	size_t n;
	assert_int_equal(cpuu_mapi_value_encode(&out, &n, &v, REG_BINARY), CPUU_OK);
	assert_int_equal(n, 12 + 2 * (27 + 1) + 2 * (29 + 1));
	assert_int_equal(out[4], 12);
	assert_int_equal(out[8], 12 + 56);
	cpuu_mapi_value back;
	assert_int_equal(cpuu_mapi_value_decode(&back, v.tag, REG_BINARY, out, n), CPUU_OK);
	assert_string_equal(back.u.mv.v.str[1], strs[1]);
	cpuu_mapi_value_clear(&back);
	cpuu_free(out);

	/* NULL items and wrong CLSID sizes are refused. */
	char *withnull[] = { "a", NULL };
	v.u.mv.v.str = withnull;
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &v, REG_BINARY), "item 1 is NULL");
	cpuu_mapi_value s = { .tag = 0x6602001Eu };
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &s, REG_SZ), "string is NULL");
	uint8_t g[15] = { 0 };
	cpuu_mapi_value c = { .tag = CPUU_PROP_TAG(CPUU_PT_CLSID, 1) };
	c.u.bin.data = g;
	c.u.bin.len = 15;
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &c, REG_BINARY), "want 16");
	expect_invalid(cpuu_mapi_value_encode(&out, &n, NULL, REG_BINARY), "NULL");
	/* Invalid UTF-8 from a caller. */
	s.u.str = "\xC0\xAF";
	expect_invalid(cpuu_mapi_value_encode(&out, &n, &s, REG_SZ), "overlong");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_types),
		cmocka_unit_test(test_boolean),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_reg_types),
		cmocka_unit_test(test_fixed_lengths),
		cmocka_unit_test(test_binary_and_unknown),
		cmocka_unit_test(test_mv_fixed),
		cmocka_unit_test(test_mv_string8),
		cmocka_unit_test(test_mv_unicode),
		cmocka_unit_test(test_mv_binary),
		cmocka_unit_test(test_encode_from_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
