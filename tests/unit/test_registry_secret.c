/* cpuu_reg_value_is_secret: password value names of Outlook's account
 * manager and DPAPI blobs (at offset 0, behind Outlook's prefix byte, and
 * not where they are not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cpuu/registry.h"

/* A DPAPI blob's start as CryptProtectData writes it (MS-DPAPI / the
 * well-known provider GUID df9d8cd0-1501-11d1-8c7a-00c04fc297eb), built
 * here from the GUID's fields. */
static size_t blob(uint8_t *out, size_t prefix)
{
	memset(out, 0xAA, prefix);
	uint8_t *p = out + prefix;
	p[0] = 1, p[1] = p[2] = p[3] = 0;
	const uint32_t d1 = 0xdf9d8cd0u;
	const uint16_t d2 = 0x1501, d3 = 0x11d1;
	const uint8_t d4[8] = { 0x8c, 0x7a, 0x00, 0xc0, 0x4f, 0xc2, 0x97, 0xeb };
	p[4] = (uint8_t)d1, p[5] = (uint8_t)(d1 >> 8), p[6] = (uint8_t)(d1 >> 16), p[7] = (uint8_t)(d1 >> 24);
	p[8] = (uint8_t)d2, p[9] = (uint8_t)(d2 >> 8), p[10] = (uint8_t)d3, p[11] = (uint8_t)(d3 >> 8);
	memcpy(p + 12, d4, 8);
	memset(p + 20, 0x55, 40); /* master key GUID, ... */
	return prefix + 60;
}

static void test_secrets(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = blob(b, 0);
	assert_true(cpuu_reg_data_is_dpapi(b, n));
	assert_true(cpuu_reg_value_is_secret("Anything", CPUU_REG_BINARY, b, n));
	n = blob(b, 1); /* Outlook: 0x02 then the blob */
	b[0] = 0x02;
	assert_true(cpuu_reg_value_is_secret("IMAP Password", CPUU_REG_BINARY, b, n));
	assert_true(cpuu_reg_value_is_secret("Some Value", CPUU_REG_BINARY, b, n));
	/* too far in, or damaged: not recognised as a blob */
	n = blob(b, 40);
	assert_false(cpuu_reg_data_is_dpapi(b, n));
	n = blob(b, 0);
	b[19] ^= 1;
	assert_false(cpuu_reg_data_is_dpapi(b, n));
	assert_false(cpuu_reg_data_is_dpapi(b, 10));
	assert_false(cpuu_reg_data_is_dpapi(NULL, 0));
	/* names, whatever the data, in any case */
	const uint8_t plain[] = { 's', 0, 'e', 0, 'c', 0 };
	assert_true(cpuu_reg_value_is_secret("POP3 Password", CPUU_REG_BINARY, plain, sizeof plain));
	assert_true(cpuu_reg_value_is_secret("smtp password", CPUU_REG_SZ, plain, sizeof plain));
	assert_true(cpuu_reg_value_is_secret("HTTP Password", CPUU_REG_BINARY, NULL, 0));
	assert_true(cpuu_reg_value_is_secret("Password", CPUU_REG_SZ, plain, sizeof plain));
	assert_false(cpuu_reg_value_is_secret("IMAP Server", CPUU_REG_SZ, plain, sizeof plain));
	assert_false(cpuu_reg_value_is_secret("Password Hint", CPUU_REG_SZ, plain, sizeof plain));
	assert_false(cpuu_reg_value_is_secret(NULL, CPUU_REG_SZ, plain, sizeof plain));
}

/* The quick rejects (first byte of the header, length of an ASCII name)
 * find what the full comparisons find. */
static void test_secrets_quick_rejects(void **state)
{
	(void)state;
	uint8_t b[128];
	for (size_t at = 0; at <= 20; at++) {
		size_t n = blob(b, at);
		memset(b, 0x01, at); /* the header's first byte, but no header */
		assert_int_equal(cpuu_reg_data_is_dpapi(b, n), at <= 16);
	}
	assert_true(cpuu_reg_value_is_secret("PASSWORD", CPUU_REG_SZ, NULL, 0));
	assert_true(cpuu_reg_value_is_secret("nntp PASSWORD", CPUU_REG_SZ, NULL, 0));
	assert_false(cpuu_reg_value_is_secret("Passwords", CPUU_REG_SZ, NULL, 0));
	assert_false(cpuu_reg_value_is_secret("Passwor", CPUU_REG_SZ, NULL, 0));
	assert_false(cpuu_reg_value_is_secret("Passw\xC3\xB6rd", CPUU_REG_SZ, NULL, 0));
	/* Bytes that are no ASCII still go through the name comparison, whose
	 * decoding takes this two-byte form of 'A' as 'A'. */
	assert_true(cpuu_reg_value_is_secret("P\xC1\x81SSWORD", CPUU_REG_SZ, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_secrets), cmocka_unit_test(test_secrets_quick_rejects) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
