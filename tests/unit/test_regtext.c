/* The .reg text format: exact output, tolerant input, line-numbered errors,
 * and a seeded property test that parse(format(doc)) == doc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/regtext.h"
#include "cpuu/unicode.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static cpuu_regtext *doc_new(void)
{
	cpuu_regtext *d = calloc(1, sizeof *d);
	assert_non_null(d);
	d->version = 5;
	return d;
}

static cpuu_regtext_key *doc_key(cpuu_regtext *d, const char *path, int del)
{
	d->keys = realloc(d->keys, (d->nkeys + 1) * sizeof *d->keys);
	assert_non_null(d->keys);
	cpuu_regtext_key *k = &d->keys[d->nkeys++];
	memset(k, 0, sizeof *k);
	k->path = strdup(path);
	k->delete_key = del;
	return k;
}

static cpuu_regtext_value *key_val(cpuu_regtext_key *k, const char *name, uint32_t type, const void *data, size_t len)
{
	k->values = realloc(k->values, (k->nvalues + 1) * sizeof *k->values);
	assert_non_null(k->values);
	cpuu_regtext_value *v = &k->values[k->nvalues++];
	memset(v, 0, sizeof *v);
	v->name = strdup(name);
	v->type = type;
	v->len = len;
	if (len) {
		v->data = malloc(len);
		memcpy(v->data, data, len);
	}
	return v;
}

static void key_del_val(cpuu_regtext_key *k, const char *name)
{
	key_val(k, name, 0, NULL, 0)->delete_value = 1;
}

static char *fmt(const cpuu_regtext *d)
{
	char *s = NULL;
	size_t n = 0;
	int rc = cpuu_regtext_format(&s, &n, d);
	if (rc)
		fail_msg("format: %s", cpuu_error_last()->message);
	assert_int_equal(strlen(s), n);
	return s;
}

static cpuu_regtext *parse_str(const char *s)
{
	cpuu_regtext *d = NULL;
	int rc = cpuu_regtext_parse(&d, (const uint8_t *)s, strlen(s));
	if (rc)
		fail_msg("parse: %s\n--- input ---\n%s", cpuu_error_last()->message, s);
	return d;
}

static void expect_parse_error(const char *s, const char *needle)
{
	cpuu_regtext *d = NULL;
	int rc = cpuu_regtext_parse(&d, (const uint8_t *)s, strlen(s));
	if (rc != CPUU_EINVALID)
		fail_msg("expected EINVALID for input:\n%s\ngot %d", s, rc);
	assert_null(d);
	if (!strstr(cpuu_error_last()->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", cpuu_error_last()->message, needle);
}

static void roundtrip(const cpuu_regtext *d)
{
	char *s = fmt(d);
	cpuu_regtext *back = parse_str(s);
	if (!cpuu_regtext_equal(d, back))
		fail_msg("round trip differs; text:\n%s", s);
	/* Formatting is a function of the document. */
	char *s2 = fmt(back);
	assert_string_equal(s, s2);
	free(s2);
	free(s);
	cpuu_regtext_free(back);
}

/* ---- output ------------------------------------------------------------- */

static void test_format_every_form(void **state)
{
	(void)state;
	cpuu_regtext *d = doc_new();
	cpuu_regtext_key *k = doc_key(d, "HKEY_CURRENT_USER\\Software\\Test", 0);
	const uint8_t sz[] = { 'a', 0, '"', 0, '\\', 0, 'b', 0, 0, 0 };
	key_val(k, "", CPUU_REG_SZ, sz, sizeof sz);
	key_val(k, "quo\"te\\ = ]", CPUU_REG_SZ, "\0", 2);
	const uint8_t dw[] = { 0x78, 0x56, 0x34, 0x12 };
	key_val(k, "dw", CPUU_REG_DWORD, dw, 4);
	key_val(k, "dw3", CPUU_REG_DWORD, dw, 3);
	key_val(k, "bin", CPUU_REG_BINARY, "\x01\xAB\x00\x00", 4);
	key_val(k, "empty", CPUU_REG_BINARY, NULL, 0);
	key_val(k, "exp", CPUU_REG_EXPAND_SZ, "%\0A\0%\0\0\0", 8);
	key_val(k, "multi", CPUU_REG_MULTI_SZ, "a\0\0\0b\0\0\0\0\0", 10);
	key_val(k, "nonul", CPUU_REG_SZ, "a\0b\0", 4);          /* no terminator */
	key_val(k, "twonul", CPUU_REG_SZ, "a\0\0\0\0\0", 6);     /* extra NUL: data */
	key_val(k, "odd", CPUU_REG_SZ, "a\0\0", 3);
	key_val(k, "lone", CPUU_REG_SZ, "\x00\xD8\0\0", 4);     /* unpaired surrogate */
	key_val(k, "none", CPUU_REG_NONE, NULL, 0);
	key_val(k, "big", 0x10000, "\xff", 1);
	key_val(k, "qword", CPUU_REG_QWORD, "\1\0\0\0\0\0\0\0", 8);
	key_del_val(k, "gone");
	doc_key(d, "HKEY_CURRENT_USER\\Software\\Old", 1);
	key_val(doc_key(d, "HKEY_CURRENT_USER\\Software\\Test\\Sub", 0), "cr\r\nlf", CPUU_REG_SZ, "\r\0\n\0\0\0", 6);

	char *s = fmt(d);
	const char *want =
		"Windows Registry Editor Version 5.00\r\n"
		"\r\n"
		"[HKEY_CURRENT_USER\\Software\\Test]\r\n"
		"@=\"a\\\"\\\\b\"\r\n"
		"\"quo\\\"te\\\\ = ]\"=\"\"\r\n"
		"\"dw\"=dword:12345678\r\n"
		"\"dw3\"=hex(4):78,56,34\r\n"
		"\"bin\"=hex:01,ab,00,00\r\n"
		"\"empty\"=hex:\r\n"
		"\"exp\"=hex(2):25,00,41,00,25,00,00,00\r\n"
		"\"multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n"
		"\"nonul\"=hex(1):61,00,62,00\r\n"
		"\"twonul\"=hex(1):61,00,00,00,00,00\r\n"
		"\"odd\"=hex(1):61,00,00\r\n"
		"\"lone\"=hex(1):00,d8,00,00\r\n"
		"\"none\"=hex(0):\r\n"
		"\"big\"=hex(10000):ff\r\n"
		"\"qword\"=hex(b):01,00,00,00,00,00,00,00\r\n"
		"\"gone\"=-\r\n"
		"\r\n"
		"[-HKEY_CURRENT_USER\\Software\\Old]\r\n"
		"\r\n"
		"[HKEY_CURRENT_USER\\Software\\Test\\Sub]\r\n"
		"\"cr\\r\\nlf\"=\"\\r\\n\"\r\n"
		"\r\n";
	assert_string_equal(s, want);
	free(s);
	roundtrip(d);
	cpuu_regtext_free(d);
}

/* Wrapping as regedit: a line is cut once it reaches 77 columns, the name
 * part counting; continuation lines hold 25 bytes. */
static void test_format_wrap(void **state)
{
	(void)state;
	uint8_t data[60];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	cpuu_regtext *d = doc_new();
	cpuu_regtext_key *k = doc_key(d, "HKEY_CURRENT_USER\\W", 0);
	key_val(k, "Test", CPUU_REG_BINARY, data, sizeof data);
	key_val(k, "", 7, data, 23);
	char *s = fmt(d);
	const char *want =
		"Windows Registry Editor Version 5.00\r\n"
		"\r\n"
		"[HKEY_CURRENT_USER\\W]\r\n"
		"\"Test\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n"
		"  16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,2a,2b,2c,2d,2e,\\\r\n"
		"  2f,30,31,32,33,34,35,36,37,38,39,3a,3b\r\n"
		"@=hex(7):00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16\r\n"
		"\r\n";
	assert_string_equal(s, want);
	/* Every physical line stays within 80 columns. */
	for (char *line = s, *end; *line; line = end + 2) {
		end = strstr(line, "\r\n");
		assert_non_null(end);
		assert_true(end - line <= 80);
	}
	free(s);
	roundtrip(d);
	cpuu_regtext_free(d);
}

static void test_format_refuses_unwritable(void **state)
{
	(void)state;
	const char *bad[] = { "", " lead", "-dash", "line\nbreak", "cr\rx" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cpuu_regtext *d = doc_new();
		doc_key(d, bad[i], 0);
		char *s = NULL;
		assert_int_equal(cpuu_regtext_format(&s, NULL, d), CPUU_EINVALID);
		assert_null(s);
		cpuu_regtext_free(d);
	}
	cpuu_regtext *d = doc_new();
	key_val(doc_key(d, "HKCU\\x", 1), "v", 1, "\0", 2);
	char *s = NULL;
	assert_int_equal(cpuu_regtext_format(&s, NULL, d), CPUU_EINVALID);
	cpuu_regtext_free(d);
}

/* ---- input -------------------------------------------------------------- */

static const cpuu_regtext_value *val(const cpuu_regtext *d, size_t k, size_t v)
{
	assert_true(k < d->nkeys);
	assert_true(v < d->keys[k].nvalues);
	return &d->keys[k].values[v];
}

static void assert_val(const cpuu_regtext_value *v, const char *name, uint32_t type, const void *data, size_t len)
{
	assert_string_equal(v->name, name);
	assert_false(v->delete_value);
	assert_int_equal(v->type, type);
	assert_int_equal(v->len, len);
	if (len)
		assert_memory_equal(v->data, data, len);
}

static void test_parse_tolerant(void **state)
{
	(void)state;
	const char *text =
		"  Windows Registry Editor Version 5.00  \n"
		"; a comment\n"
		"\n"
		"[HKEY_CURRENT_USER\\A]   ; trailing comment\n"
		"  @ = \"def\"  \n"
		"\"a=b]c\\\"d\"\t=\t\"x\\\\y\" ; note\n"
		"\"empty\"=\"\"\n"
		"\"nohex\"=hex:\n"
		"\"UP\"=HEX:AB,cD , eF\n"
		"\"dw\"=DWORD:0000FFff\n"
		"\"dwshort\"=dword:1\n"
		"\"wrapped\"=hex(2):41,00,\\\n"
		"   ; comment inside a continuation\n"
		"\n"
		"   42,00,\\  \n"
		"  00,00\n"
		"\"trailingcomma\"=hex:01,02,\n"
		"\"big\"=hex(FFFFFFFF):1\n"
		"\"gone\"=-\n"
		"@=-\n"
		"[-HKEY_CURRENT_USER\\A\\B]\n"
		"[HKEY_CURRENT_USER\\k]ey]\r\n"
		"\"unknown\\escape\"=\"\\q\\n\\r\"\r"
		"[HKEY_CURRENT_USER\\last]";
	cpuu_regtext *d = parse_str(text);
	assert_int_equal(d->version, 5);
	assert_int_equal(d->nkeys, 4);
	assert_string_equal(d->keys[0].path, "HKEY_CURRENT_USER\\A");
	assert_int_equal(d->keys[0].nvalues, 12);
	assert_val(val(d, 0, 0), "", 1, "d\0e\0f\0\0\0", 8);
	assert_val(val(d, 0, 1), "a=b]c\"d", 1, "x\0\\\0y\0\0\0", 8);
	assert_val(val(d, 0, 2), "empty", 1, "\0", 2);
	assert_val(val(d, 0, 3), "nohex", 3, NULL, 0);
	assert_val(val(d, 0, 4), "UP", 3, "\xab\xcd\xef", 3);
	assert_val(val(d, 0, 5), "dw", 4, "\xff\xff\0\0", 4);
	assert_val(val(d, 0, 6), "dwshort", 4, "\1\0\0\0", 4);
	assert_val(val(d, 0, 7), "wrapped", 2, "A\0B\0\0\0", 6);
	assert_val(val(d, 0, 8), "trailingcomma", 3, "\1\2", 2);
	assert_val(val(d, 0, 9), "big", 0xFFFFFFFFu, "\1", 1);
	assert_string_equal(val(d, 0, 10)->name, "gone");
	assert_true(val(d, 0, 10)->delete_value);
	assert_string_equal(val(d, 0, 11)->name, "");
	assert_true(val(d, 0, 11)->delete_value);
	assert_true(d->keys[1].delete_key);
	assert_string_equal(d->keys[1].path, "HKEY_CURRENT_USER\\A\\B");
	assert_string_equal(d->keys[2].path, "HKEY_CURRENT_USER\\k]ey");
	assert_val(val(d, 2, 0), "unknownescape", 1, "q\0\n\0\r\0\0\0", 8);
	assert_string_equal(d->keys[3].path, "HKEY_CURRENT_USER\\last");
	roundtrip(d);
	cpuu_regtext_free(d);
}

static void test_parse_encodings(void **state)
{
	(void)state;
	const char *text = "Windows Registry Editor Version 5.00\r\n\r\n[HKCU\\\xC3\xA9t\xC3\xA9]\r\n\"\xE2\x82\xAC\"=\"\xF0\x9F\x98\x80\"\r\n";
	uint8_t *u16;
	size_t n;
	assert_int_equal(cpuu_utf8_to_utf16le(&u16, &n, text, 0), CPUU_OK);
	uint8_t *withbom = malloc(n + 2);
	withbom[0] = 0xFF;
	withbom[1] = 0xFE;
	memcpy(withbom + 2, u16, n);
	cpuu_free(u16);

	cpuu_regtext *a = NULL, *b = NULL, *c = NULL;
	assert_int_equal(cpuu_regtext_parse(&a, withbom, n + 2), CPUU_OK);
	assert_int_equal(cpuu_regtext_parse(&b, (const uint8_t *)text, strlen(text)), CPUU_OK);
	char *bom8 = malloc(strlen(text) + 4);
	memcpy(bom8, "\xEF\xBB\xBF", 3);
	strcpy(bom8 + 3, text);
	assert_int_equal(cpuu_regtext_parse(&c, (const uint8_t *)bom8, strlen(bom8)), CPUU_OK);
	assert_string_equal(a->keys[0].path, "HKCU\\\xC3\xA9t\xC3\xA9");
	assert_val(val(a, 0, 0), "\xE2\x82\xAC", 1, "\x3D\xD8\x00\xDE\0\0", 6);
	assert_true(cpuu_regtext_equal(a, b));
	assert_true(cpuu_regtext_equal(a, c));
	cpuu_regtext_free(a);
	cpuu_regtext_free(b);
	cpuu_regtext_free(c);

	/* UTF-16 errors carry the line. */
	withbom[n + 2 - 4] = 0x00; /* the last '"' ... */
	withbom[n + 2 - 3] = 0xDC; /* ... becomes a lone low surrogate */
	assert_int_equal(cpuu_regtext_parse(&a, withbom, n + 2), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "line 4"));
	assert_int_equal(cpuu_regtext_parse(&a, withbom, n + 1), CPUU_EINVALID);
	free(withbom);
	free(bom8);
}

/* REGEDIT4: 8-bit Windows-1252 text; hex(1)/hex(2)/hex(7) bytes are 8-bit
 * strings widened to UTF-16LE with a terminator added, as regedit does. */
static void test_parse_regedit4(void **state)
{
	(void)state;
	const char *text =
		"REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Caf\xE9]\r\n"
		"\"na\x80me\"=\"\xE9t\xE9\"\r\n"
		"\"exp\"=hex(2):25,41,25,00\r\n"
		"\"exp_nonul\"=hex(2):e9\r\n"
		"\"multi\"=hex(7):61,00,62,00,00\r\n"
		"\"sz\"=hex(1):41\r\n"
		"\"bin\"=hex:e9,00\r\n"
		"\"dw\"=dword:00000002\r\n";
	cpuu_regtext *d = parse_str(text);
	assert_int_equal(d->version, 4);
	assert_string_equal(d->keys[0].path, "HKEY_CURRENT_USER\\Caf\xC3\xA9");
	assert_val(val(d, 0, 0), "na\xE2\x82\xACme", 1, "\xE9\0t\0\xE9\0\0\0", 8);
	assert_val(val(d, 0, 1), "exp", 2, "%\0A\0%\0\0\0", 8);
	assert_val(val(d, 0, 2), "exp_nonul", 2, "\xE9\0\0\0", 4);
	assert_val(val(d, 0, 3), "multi", 7, "a\0\0\0b\0\0\0\0\0", 10);
	assert_val(val(d, 0, 4), "sz", 1, "A\0\0\0", 4);
	assert_val(val(d, 0, 5), "bin", 3, "\xE9\0", 2);
	assert_val(val(d, 0, 6), "dw", 4, "\2\0\0\0", 4);
	/* Written back as REGEDIT5, it reads the same. */
	roundtrip(d);
	cpuu_regtext_free(d);

	/* An 8-bit REGEDIT5 file is not UTF-8: refused with the line. */
	expect_parse_error("Windows Registry Editor Version 5.00\r\n\r\n[HKCU\\Caf\xE9]\r\n", "line 3: not valid UTF-8");
}

static void test_parse_errors(void **state)
{
	(void)state;
#define H "Windows Registry Editor Version 5.00\r\n\r\n[HKCU\\x]\r\n"
	expect_parse_error("", "line 1: empty file");
	expect_parse_error("REGEDIT5\r\n", "line 1: not a .reg file");
	expect_parse_error(H "\"a\"=hex:01,zz,03\r\n", "line 4: bad hex byte 'zz'");
	expect_parse_error(H "\"a\"=hex:01,\\\r\n  02,123\r\n", "line 5: bad hex byte '123'");
	expect_parse_error(H "\"a\"=hex:0x01\r\n", "line 4: bad hex byte '0x01'");
	expect_parse_error(H "\"a\"=hex:01 02\r\n", "line 4: expected ','");
	expect_parse_error(H "\"a\"=hex:01,\\ x\r\n", "line 4: text after the line continuation");
	expect_parse_error(H "\"a\"=hex:01,\\\r\n[HKCU\\y]\r\n", "line 5: bad hex byte '[HKCU");
	expect_parse_error(H "\"a\"=hex(zz):01\r\n", "line 4: bad value type");
	expect_parse_error(H "\"a\"=hex(123456789):01\r\n", "line 4: bad value type");
	expect_parse_error(H "\"a\"=dword:123456789\r\n", "line 4: bad dword");
	expect_parse_error(H "\"a\"=dword:\r\n", "line 4: bad dword");
	expect_parse_error(H "\"a\"=dword:12 34\r\n", "line 4: bad dword");
	expect_parse_error(H "\"a\"=str:\"x\"\r\n", "line 4: unknown value data");
	expect_parse_error(H "\"a\"=\"x\r\n", "line 4: missing closing quote");
	expect_parse_error(H "\"a\"=\"x\" y\r\n", "line 4: text after the closing quote");
	expect_parse_error(H "\"a\"=\"x\\0\"\r\n", "line 4: \\0");
	expect_parse_error(H "\"a\"\r\n", "line 4: expected '='");
	expect_parse_error(H "\"a=\"x\"\r\n", "line 4: expected '='");
	expect_parse_error(H "a=\"x\"\r\n", "line 4: unexpected text 'a=\"x\"'");
	expect_parse_error(H "[HKCU\\y\r\n", "line 4: key line without a closing ']'");
	expect_parse_error(H "[]\r\n", "line 4: empty key name");
	expect_parse_error(H "[-]\r\n", "line 4: empty key name");
	expect_parse_error(H "[ HKCU]\r\n", "line 4: key name starts with a blank");
	expect_parse_error(H "[HKCU] x\r\n", "line 4: text after the key name");
	expect_parse_error("Windows Registry Editor Version 5.00\r\n\"a\"=\"b\"\r\n", "line 2: value before the first [key]");
	expect_parse_error("Windows Registry Editor Version 5.00\r\n[-HKCU\\a]\r\n\"a\"=\"b\"\r\n", "line 3: value under a deleted key");
	expect_parse_error("Windows Registry Editor Version 5.00\n\n[HKCU\\x]\n\"a\"=\"\0\"\n", "line 4:");
#undef H
	cpuu_regtext *d = NULL;
	assert_int_equal(cpuu_regtext_parse(&d, (const uint8_t *)"\xFE\xFF\0W", 4), CPUU_EUNSUPPORTED);
	/* A NUL byte in the middle of the input. */
	static const char withnul[] = "Windows Registry Editor Version 5.00\r\n\r\n[HK\0CU]\r\n";
	assert_int_equal(cpuu_regtext_parse(&d, (const uint8_t *)withnul, sizeof withnul - 1), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "line 3: NUL"));
}

/* ---- property test ------------------------------------------------------ */

static uint64_t rng_state;
static uint32_t rnd(void)
{
	/* xorshift64*: small, seeded, the same sequence everywhere. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A random character; for key paths without line breaks. */
static uint32_t rnd_char(int in_path)
{
	static const uint32_t special[] = { '"', '\\', '=', ']', '[', ';', '@', '-', ' ', '\t', ',', ':',
		'\r', '\n', 0xE9, 0x20AC, 0x4E2D, 0xFEFF, 0x2028, 0xFFFD, 0x1F600, 0x10FFFF, 0x7F, 0x1 };
	uint32_t r = rnd() % 10;
	if (r < 5)
		return 0x20 + rnd() % 0x5F;
	if (r < 8) {
		uint32_t c = special[rnd() % (sizeof special / sizeof *special)];
		if (in_path && (c == '\r' || c == '\n' || c == '\\'))
			return 'x';
		return c;
	}
	for (;;) {
		uint32_t c = 1 + rnd() % 0x10FFFF;
		if ((c < 0xD800 || c > 0xDFFF) && !(in_path && (c == '\r' || c == '\n' || c == '\\')))
			return c;
	}
}

static char *rnd_string(size_t maxlen, int in_path)
{
	size_t n = rnd() % (maxlen + 1);
	char *s = malloc(4 * n + 1), *p = s;
	for (size_t i = 0; i < n; i++)
		p += put_utf8(p, rnd_char(in_path));
	*p = '\0';
	return s;
}

static void rnd_value(cpuu_regtext_key *k)
{
	char *name = rnd() % 20 ? rnd_string(12, 0) : strdup("");
	uint32_t r = rnd() % 10, type;
	if (r < 6)
		type = rnd() % 12;
	else if (r < 8)
		type = rnd() % 0x10000;
	else
		type = rnd();
	cpuu_regtext_value *v;
	if (rnd() % 16 == 0) {
		key_del_val(k, name);
		free(name);
		return;
	}
	if ((type == 1 || type == 2) && rnd() % 2) {
		/* Proper text, so the quoted form is exercised too. */
		char *s = rnd_string(30, 0);
		uint8_t *u16;
		size_t n;
		assert_int_equal(cpuu_utf8_to_utf16le(&u16, &n, s, 1), CPUU_OK);
		v = key_val(k, name, type, u16, n);
		cpuu_free(u16);
		free(s);
	} else {
		size_t len = rnd() % 4 == 0 ? rnd() % 6 : rnd() % (rnd() % 8 ? 64 : 600);
		if (type == 4 && rnd() % 2)
			len = 4;
		uint8_t *data = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++)
			data[i] = rnd() % 3 == 0 ? 0 : (uint8_t)rnd();
		v = key_val(k, name, type, data, len);
		free(data);
	}
	(void)v;
	free(name);
}

static cpuu_regtext *rnd_doc(size_t nkeys)
{
	cpuu_regtext *d = doc_new();
	for (size_t i = 0; i < nkeys; i++) {
		char *comp = rnd_string(10, 1);
		char *path = malloc(strlen(comp) + 64);
		sprintf(path, "HKEY_CURRENT_USER\\Software\\%s", comp);
		cpuu_regtext_key *k = doc_key(d, path, rnd() % 25 == 0);
		if (!k->delete_key) {
			size_t nv = rnd() % 12;
			for (size_t j = 0; j < nv; j++)
				rnd_value(k);
		}
		free(comp);
		free(path);
	}
	return d;
}

static void test_property_roundtrip(void **state)
{
	(void)state;
	size_t values = 0;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		rng_state = seed * 0x9E3779B97F4A7C15ull;
		cpuu_regtext *d = rnd_doc(1 + rnd() % 40);
		for (size_t i = 0; i < d->nkeys; i++)
			values += d->keys[i].nvalues;
		roundtrip(d);
		/* A document differs from nothing but itself. */
		char *diff = NULL;
		assert_int_equal(cpuu_regtext_diff(&diff, d, d), CPUU_OK);
		assert_string_equal(diff, "");
		free(diff);
		cpuu_regtext_free(d);
	}
	assert_true(values > 5000);
}

/* Damaged input never crashes; whatever parses, round-trips. */
static void test_mutations(void **state)
{
	(void)state;
	rng_state = 42;
	cpuu_regtext *d = rnd_doc(6);
	char *s = fmt(d);
	cpuu_regtext_free(d);
	size_t n = strlen(s);
	uint8_t *m = malloc(n + 1);
	size_t parsed = 0;
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(m, s, n);
		size_t len = n;
		int edits = 1 + rnd() % 4;
		for (int e = 0; e < edits; e++) {
			size_t at = rnd() % len;
			switch (rnd() % 3) {
			case 0: m[at] = (uint8_t)rnd(); break;
			case 1: m[at] = "\"\\[]=,;:-@\r\n x0"[rnd() % 16]; break;
			default: len = at + 1; break;
			}
		}
		cpuu_regtext *p = NULL;
		int rc = cpuu_regtext_parse(&p, m, len);
		if (rc == CPUU_OK) {
			parsed++;
			roundtrip(p);
			cpuu_regtext_free(p);
		} else {
			assert_true(rc == CPUU_EINVALID || rc == CPUU_EUNSUPPORTED);
			assert_null(p);
			if (rc == CPUU_EINVALID)
				assert_non_null(strstr(cpuu_error_last()->message, "line "));
		}
	}
	assert_true(parsed > 0);
	free(m);
	free(s);
}

/* ---- files -------------------------------------------------------------- */

static void test_file_roundtrip(void **state)
{
	(void)state;
	char *dir = test_tmpdir("regtext");
	assert_non_null(dir);
	char *path = test_path(dir, "backup.reg");
	rng_state = 7;
	cpuu_regtext *d = rnd_doc(30);
	assert_int_equal(cpuu_regtext_write_file(path, d), CPUU_OK);
	size_t n;
	uint8_t *raw = test_read_file(path, &n);
	assert_non_null(raw);
	assert_true(n > 2 && raw[0] == 0xFF && raw[1] == 0xFE);
	assert_memory_equal(raw + 2, "W\0i\0n\0", 6);
	/* The file is the formatted text in UTF-16LE. */
	char *text = fmt(d), *dec;
	assert_int_equal(cpuu_utf16le_to_utf8(&dec, NULL, raw + 2, n - 2, 0), CPUU_OK);
	assert_string_equal(dec, text);
	cpuu_free(dec);
	free(text);
	free(raw);
	cpuu_regtext *back = NULL;
	assert_int_equal(cpuu_regtext_read_file(&back, path), CPUU_OK);
	assert_true(cpuu_regtext_equal(d, back));
	cpuu_regtext_free(back);
	/* Overwriting replaces; no temporary file is left behind. */
	cpuu_regtext *e = doc_new();
	doc_key(e, "HKCU\\only", 0);
	assert_int_equal(cpuu_regtext_write_file(path, e), CPUU_OK);
	assert_int_equal(cpuu_regtext_read_file(&back, path), CPUU_OK);
	assert_true(cpuu_regtext_equal(e, back));
	cpuu_regtext_free(back);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
	/* Errors name the file. */
	char *missing = test_path(dir, "missing.reg");
	assert_int_equal(cpuu_regtext_read_file(&back, missing), CPUU_ENOTFOUND);
	assert_non_null(strstr(cpuu_error_last()->message, "missing.reg"));
	char *nodir = test_path(dir, "nodir/x.reg");
	assert_int_not_equal(cpuu_regtext_write_file(nodir, e), CPUU_OK);
	test_write_file(missing, "REGEDIT4\r\n[x\r\n", 13);
	assert_int_equal(cpuu_regtext_read_file(&back, missing), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "missing.reg: line 2"));
	free(nodir);
	free(missing);
	cpuu_regtext_free(e);
	cpuu_regtext_free(d);
	free(path);
	test_tmpdir_remove(dir);
}

/* ---- diff --------------------------------------------------------------- */

static void test_diff(void **state)
{
	(void)state;
	cpuu_regtext *a = doc_new(), *b = doc_new();
	cpuu_regtext_key *k;
	k = doc_key(a, "HKCU\\P", 0);
	key_val(k, "same", 4, "\1\0\0\0", 4);
	key_val(k, "changed", 1, "a\0\0\0", 4);
	key_val(k, "removed", 3, "\1", 1);
	key_val(doc_key(a, "HKCU\\P\\Gone", 0), "g", 1, "g\0\0\0", 4);
	doc_key(a, "HKCU\\P\\Kept", 0);

	k = doc_key(b, "HKCU\\p", 0); /* case differs: the same key */
	key_val(k, "same", 4, "\1\0\0\0", 4);
	key_val(k, "changed", 1, "b\0\0\0", 4);
	key_val(k, "added", 4, "\2\0\0\0", 4);
	doc_key(b, "HKCU\\P\\Kept", 0);
	key_val(doc_key(b, "HKCU\\P\\New", 0), "", 3, "\0\0", 2);

	char *d = NULL;
	assert_int_equal(cpuu_regtext_diff(&d, a, b), CPUU_OK);
	const char *want =
		" [HKCU\\p]\n"
		"-\"changed\"=\"a\"\n"
		"+\"changed\"=\"b\"\n"
		"-\"removed\"=hex:01\n"
		"+\"added\"=dword:00000002\n"
		"\n"
		"-[HKCU\\P\\Gone]\n"
		"-\"g\"=\"g\"\n"
		"\n"
		"+[HKCU\\P\\New]\n"
		"+@=hex:00,00\n";
	assert_string_equal(d, want);
	free(d);

	/* Reversed, the signs swap; long values wrap with each line marked. */
	uint8_t big[40] = { 0 };
	key_val(&b->keys[2], "long", 3, big, sizeof big);
	assert_int_equal(cpuu_regtext_diff(&d, b, a), CPUU_OK);
	assert_non_null(strstr(d, "-\"long\"=hex:00,"));
	assert_non_null(strstr(d, "\\\n-  00,00"));
	assert_non_null(strstr(d, "+[HKCU\\P\\Gone]\n"));
	free(d);

	assert_int_equal(cpuu_regtext_diff(&d, a, a), CPUU_OK);
	assert_string_equal(d, "");
	free(d);
	cpuu_regtext *empty = doc_new();
	assert_int_equal(cpuu_regtext_diff(&d, empty, a), CPUU_OK);
	assert_true(strncmp(d, "+[HKCU\\P]\n", 10) == 0);
	free(d);
	cpuu_regtext_free(empty);
	cpuu_regtext_free(a);
	cpuu_regtext_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_every_form),
		cmocka_unit_test(test_format_wrap),
		cmocka_unit_test(test_format_refuses_unwritable),
		cmocka_unit_test(test_parse_tolerant),
		cmocka_unit_test(test_parse_encodings),
		cmocka_unit_test(test_parse_regedit4),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_property_roundtrip),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
