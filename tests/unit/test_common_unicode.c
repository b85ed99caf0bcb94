/* UTF-16LE / UTF-8 / Windows-1252 conversions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/unicode.h"

static void expect_invalid(int rc, const char *needle)
{
	assert_int_equal(rc, CPUU_EINVALID);
	assert_int_equal(cpuu_error_last()->code, CPUU_EINVALID);
	if (needle && !strstr(cpuu_error_last()->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", cpuu_error_last()->message, needle);
}

static void test_utf16_roundtrip(void **state)
{
	(void)state;
	/* "Aé€😀" : BMP 1/2/3-byte UTF-8 forms and a surrogate pair. */
	const char *u8 = "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
	const uint8_t u16[] = { 'A', 0, 0xE9, 0, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE, 0, 0 };
	uint8_t *enc;
	size_t n;
	assert_int_equal(cpuu_utf8_to_utf16le(&enc, &n, u8, 1), CPUU_OK);
	assert_int_equal(n, sizeof u16);
	assert_memory_equal(enc, u16, sizeof u16);
	cpuu_free(enc);
	assert_int_equal(cpuu_utf8_to_utf16le(&enc, &n, u8, 0), CPUU_OK);
	assert_int_equal(n, sizeof u16 - 2);
	cpuu_free(enc);

	char *dec;
	assert_int_equal(cpuu_utf16le_to_utf8(&dec, &n, u16, sizeof u16,
					      CPUU_UTF16_REQUIRE_NUL | CPUU_UTF16_STRICT_NUL), CPUU_OK);
	assert_string_equal(dec, u8);
	assert_int_equal(n, strlen(u8));
	cpuu_free(dec);
	/* Without a terminator, without flags: the whole data is the string. */
	assert_int_equal(cpuu_utf16le_to_utf8(&dec, NULL, u16, sizeof u16 - 2, 0), CPUU_OK);
	assert_string_equal(dec, u8);
	cpuu_free(dec);
	/* Empty. */
	assert_int_equal(cpuu_utf16le_to_utf8(&dec, &n, NULL, 0, 0), CPUU_OK);
	assert_string_equal(dec, "");
	assert_int_equal(n, 0);
	cpuu_free(dec);
}

static void test_utf16_all_bmp_roundtrip(void **state)
{
	(void)state;
	/* Every non-surrogate BMP code point and a sample of supplementary ones. */
	for (unsigned long cp = 1; cp <= 0x10FFFF; cp += (cp < 0x10000 ? 1 : 0x3FF)) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		uint8_t u16[6];
		size_t n16;
		if (cp >= 0x10000) {
			unsigned long v = cp - 0x10000;
			unsigned hi = 0xD800 | (unsigned)(v >> 10), lo = 0xDC00 | (unsigned)(v & 0x3FF);
			u16[0] = (uint8_t)hi; u16[1] = (uint8_t)(hi >> 8);
			u16[2] = (uint8_t)lo; u16[3] = (uint8_t)(lo >> 8);
			n16 = 4;
		} else {
			u16[0] = (uint8_t)cp; u16[1] = (uint8_t)(cp >> 8);
			n16 = 2;
		}
		char *u8;
		assert_int_equal(cpuu_utf16le_to_utf8(&u8, NULL, u16, n16, 0), CPUU_OK);
		assert_true(cpuu_utf8_valid(u8, strlen(u8)));
		uint8_t *back;
		size_t nb;
		assert_int_equal(cpuu_utf8_to_utf16le(&back, &nb, u8, 0), CPUU_OK);
		assert_int_equal(nb, n16);
		assert_memory_equal(back, u16, n16);
		cpuu_free(back);
		cpuu_free(u8);
	}
}

static void test_utf16_errors(void **state)
{
	(void)state;
	char *dec = (char *)1;
	const uint8_t odd[] = { 'A', 0, 'B' };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, odd, 3, 0), "odd byte count (3)");
	assert_null(dec);

	const uint8_t lone_hi[] = { 'A', 0, 0x00, 0xD8, 'B', 0 };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, lone_hi, sizeof lone_hi, 0),
		       "unpaired high surrogate 0xD800 at byte offset 2");
	const uint8_t hi_at_end[] = { 0x00, 0xD8 };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, hi_at_end, 2, 0), "byte offset 0");
	const uint8_t hi_then_nul[] = { 0x00, 0xD8, 0, 0 };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, hi_then_nul, 4, 0), "high surrogate");
	const uint8_t lone_lo[] = { 'A', 0, 'B', 0, 0x00, 0xDC };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, lone_lo, sizeof lone_lo, 0),
		       "unpaired low surrogate 0xDC00 at byte offset 4");

	const uint8_t no_nul[] = { 'A', 0 };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, no_nul, 2, CPUU_UTF16_REQUIRE_NUL), "no NUL");
	const uint8_t embedded[] = { 'A', 0, 0, 0, 'B', 0, 0, 0 };
	expect_invalid(cpuu_utf16le_to_utf8(&dec, NULL, embedded, sizeof embedded, CPUU_UTF16_STRICT_NUL),
		       "embedded NUL at byte offset 2");
	/* Not strict: stops at the first NUL; slack after it is ignored. */
	assert_int_equal(cpuu_utf16le_to_utf8(&dec, NULL, embedded, sizeof embedded, CPUU_UTF16_REQUIRE_NUL), CPUU_OK);
	assert_string_equal(dec, "A");
	cpuu_free(dec);
}

static void test_utf8_errors(void **state)
{
	(void)state;
	static const struct { const char *s; const char *why; size_t at; } bad[] = {
		{ "ab\xC0\xAF", "overlong", 2 },
		{ "\xE0\x80\xAF", "overlong", 0 },
		{ "\xF0\x80\x80\xAF", "overlong", 0 },
		{ "x\xED\xA0\x80", "encoded surrogate", 1 },
		{ "\xED\xBF\xBF", "encoded surrogate", 0 },
		{ "\xF4\x90\x80\x80", "above U+10FFFF", 0 },
		{ "\xF5\x80\x80\x80", "invalid lead byte", 0 },
		{ "\xFF", "invalid lead byte", 0 },
		{ "abc\x80", "continuation", 3 },
		{ "\xC3", "truncated", 0 },
		{ "\xE2\x82", "truncated", 0 },
		{ "\xE2\x28\xA1", "missing continuation", 0 },
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		uint8_t *o = (uint8_t *)1;
		char where[64];
		snprintf(where, sizeof where, "byte offset %zu", bad[k].at);
		expect_invalid(cpuu_utf8_to_utf16le(&o, NULL, bad[k].s, 1), bad[k].why);
		expect_invalid(cpuu_utf8_to_utf16le(&o, NULL, bad[k].s, 1), where);
		assert_null(o);
		expect_invalid(cpuu_utf8_to_cp1252(&o, NULL, bad[k].s, 1), bad[k].why);
		assert_false(cpuu_utf8_valid(bad[k].s, strlen(bad[k].s)));
	}
	assert_true(cpuu_utf8_valid("", 0));
	assert_true(cpuu_utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
	assert_true(cpuu_utf8_valid("\xEF\xBF\xBF", 3));     /* U+FFFF */
	uint8_t *o;
	expect_invalid(cpuu_utf8n_to_utf16le(&o, NULL, "a\0b", 3, 0), "embedded NUL");
}

static void test_cp1252(void **state)
{
	(void)state;
	/* The 0x80-0x9F row as Windows' C_1252.NLS has it (docs/profile-format.md). */
	static const uint16_t row[32] = {
		0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
		0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
	};
	uint8_t all[255];
	for (int b = 1; b < 256; b++)
		all[b - 1] = (uint8_t)b;
	char *u8;
	size_t n;
	assert_int_equal(cpuu_cp1252_to_utf8(&u8, &n, all, sizeof all), CPUU_OK);
	/* Decode the UTF-8 through UTF-16 and compare code points one by one. */
	uint8_t *u16;
	size_t n16;
	assert_int_equal(cpuu_utf8_to_utf16le(&u16, &n16, u8, 0), CPUU_OK);
	assert_int_equal(n16, 2 * 255);
	for (int b = 1; b < 256; b++) {
		unsigned cp = (unsigned)(u16[2 * (b - 1)] | u16[2 * (b - 1) + 1] << 8);
		unsigned want = (b >= 0x80 && b <= 0x9F) ? row[b - 0x80] : (unsigned)b;
		if (cp != want)
			fail_msg("byte 0x%02X -> U+%04X, want U+%04X", b, cp, want);
	}
	cpuu_free(u16);
	/* Total and bijective: all 255 bytes come back. */
	uint8_t *back;
	size_t nb;
	assert_int_equal(cpuu_utf8_to_cp1252(&back, &nb, u8, 1), CPUU_OK);
	assert_int_equal(nb, 256);
	assert_memory_equal(back, all, 255);
	assert_int_equal(back[255], 0);
	cpuu_free(back);
	cpuu_free(u8);

	/* Stops at NUL. */
	const uint8_t s[] = { 'M', 0xFC, 'n', 0, 'x' };
	assert_int_equal(cpuu_cp1252_to_utf8(&u8, &n, s, sizeof s), CPUU_OK);
	assert_string_equal(u8, "M\xC3\xBCn");
	cpuu_free(u8);

	uint8_t *o = (uint8_t *)1;
	expect_invalid(cpuu_utf8_to_cp1252(&o, NULL, "ab\xE2\x82\xAD", 1), "U+20AD at byte offset 2");
	assert_null(o);
	expect_invalid(cpuu_utf8_to_cp1252(&o, NULL, "\xF0\x9F\x98\x80", 0), "U+1F600");
	assert_int_equal(cpuu_utf8_to_cp1252(&o, &nb, "\xE2\x82\xAC", 0), CPUU_OK);
	assert_int_equal(nb, 1);
	assert_int_equal(o[0], 0x80);
	cpuu_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf16_roundtrip),
		cmocka_unit_test(test_utf16_all_bmp_roundtrip),
		cmocka_unit_test(test_utf16_errors),
		cmocka_unit_test(test_utf8_errors),
		cmocka_unit_test(test_cp1252),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
