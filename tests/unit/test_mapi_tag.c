/* Registry value names <-> MAPI tags, and the tag-name table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cpuu/mapi.h"

static void test_parse(void **state)
{
	(void)state;
	uint32_t tag;
	int secure = -1;
	assert_int_equal(cpuu_mapi_tag_parse(&tag, &secure, "001e6602"), CPUU_OK);
	assert_int_equal(tag, 0x6602001Eu);
	assert_int_equal(secure, 0);
	assert_int_equal(cpuu_mapi_tag_parse(&tag, &secure, "001F662A"), CPUU_OK);
	assert_int_equal(tag, 0x662A001Fu);
	assert_int_equal(cpuu_mapi_tag_parse(&tag, &secure, "101e6613"), CPUU_OK);
	assert_int_equal(tag, 0x6613101Eu);
	assert_int_equal(CPUU_PROP_TYPE(tag), CPUU_PT_MV_STRING8);
	assert_int_equal(CPUU_PROP_ID(tag), 0x6613);
	assert_int_equal(cpuu_mapi_tag_parse(&tag, &secure, "S001e67f1"), CPUU_OK);
	assert_int_equal(tag, 0x67F1001Eu);
	assert_int_equal(secure, 1);
	assert_int_equal(cpuu_mapi_tag_parse(&tag, &secure, "s0102AbCd"), CPUU_OK);
	assert_int_equal(tag, 0xABCD0102u);
	assert_int_equal(secure, 1);
	assert_int_equal(cpuu_mapi_tag_parse(&tag, NULL, "01020fff"), CPUU_OK);
	assert_int_equal(tag, 0x0FFF0102u);
}

static void test_parse_rejects(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", "001e660", "001e66022", "001e66g2", "x001e6602", "SS001e6602", "S",
		" 001e6602", "001e6602 ", "Account Name", "0x1e6602", "{ED475418-B0D6-11D2-8C3B-00104B2A6676}",
		"-01e6602", "NextAccountID",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t tag = 1;
		int secure = 1;
		assert_int_equal(cpuu_mapi_tag_parse(&tag, &secure, bad[i]), CPUU_EINVALID);
		assert_int_equal(tag, 0);
		assert_int_equal(secure, 0);
		assert_non_null(strstr(cpuu_error_last()->message, "not a MAPI tag"));
	}
	uint32_t tag;
	assert_int_equal(cpuu_mapi_tag_parse(&tag, NULL, NULL), CPUU_EINVALID);
}

static void test_format(void **state)
{
	(void)state;
	char out[10];
	cpuu_mapi_tag_format(out, 0x6602001Eu, 0);
	assert_string_equal(out, "001e6602");
	cpuu_mapi_tag_format(out, 0x662A001Fu, 1);
	assert_string_equal(out, "001F662A");
	cpuu_mapi_tag_format(out, CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x3D05), 0);
	assert_string_equal(out, "11023d05");
	/* Round trip for a spread of tags, both cases. */
	for (uint64_t t = 0; t <= 0xFFFFFFFFu; t += 0x01234567u) {
		uint32_t back;
		cpuu_mapi_tag_format(out, (uint32_t)t, (int)(t & 1));
		assert_int_equal(strlen(out), 8);
		assert_int_equal(cpuu_mapi_tag_parse(&back, NULL, out), CPUU_OK);
		assert_int_equal(back, (uint32_t)t);
	}
	/* Exactly what "%04x%04x" of type and id prints (digit case included):
	 * the names written into hives and backups must not change. */
	for (uint64_t t = 0; t <= 0xFFFFFFFFu; t += 0x00F0E0D1u)
		for (int upper = 0; upper < 2; upper++) {
			char want[10];
			snprintf(want, sizeof want, upper ? "%04X%04X" : "%04x%04x",
				 (unsigned)CPUU_PROP_TYPE((uint32_t)t), (unsigned)CPUU_PROP_ID((uint32_t)t));
			cpuu_mapi_tag_format(out, (uint32_t)t, upper);
			assert_string_equal(out, want);
		}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cpuu_mapi_tag_name(0x6602001Eu), "PR_PROFILE_HOME_SERVER");
	assert_string_equal(cpuu_mapi_tag_name(0x6602001Fu), "PR_PROFILE_HOME_SERVER");
	assert_string_equal(cpuu_mapi_tag_name(0x6613101Eu), "PR_PROFILE_HOME_SERVER_ADDRS");
	assert_string_equal(cpuu_mapi_tag_name(0x6613101Fu), "PR_PROFILE_HOME_SERVER_ADDRS");
	assert_string_equal(cpuu_mapi_tag_name(0x3D150102u), "PR_EMSMDB_SECTION_UID");
	assert_string_equal(cpuu_mapi_tag_name(0x3001001Fu), "PR_DISPLAY_NAME");
	assert_string_equal(cpuu_mapi_tag_name(0x3D0C0102u), "PR_SERVICE_UID");
	assert_string_equal(cpuu_mapi_tag_name(0x3D09001Fu), "PR_SERVICE_NAME");
	assert_string_equal(cpuu_mapi_tag_name(0x0FFF0102u), "PR_ENTRYID");
	assert_string_equal(cpuu_mapi_tag_name(0x66000003u), "PR_PROFILE_VERSION");
	assert_string_equal(cpuu_mapi_tag_name(0x660A0003u), "PR_PROFILE_TYPE");
	assert_string_equal(cpuu_mapi_tag_name(0x6641001Fu), "PR_PROFILE_USER_SMTP_EMAIL_ADDRESS");
	assert_string_equal(cpuu_mapi_tag_name(0x664A001Fu), "PR_PROFILE_LKG_AUTODISCOVER_URL");
	assert_string_equal(cpuu_mapi_tag_name(0x6001001Fu), "PR_NICK_NAME");
	assert_string_equal(cpuu_mapi_tag_name(0x60040003u), "PR_NICK_NAME_WEIGHT");
	assert_string_equal(cpuu_mapi_tag_name(0x7C090102u), "PR_ROAMING_BINARYSTREAM");
	assert_string_equal(cpuu_mapi_tag_name(0x3D18000Bu), "PR_EMSMDB_LEGACY");
	/* The id alone is not enough: the type must match too. */
	assert_null(cpuu_mapi_tag_name(0x66000102u));
	assert_null(cpuu_mapi_tag_name(0x3D150003u));
	assert_null(cpuu_mapi_tag_name(0x12340003u));

	assert_string_equal(cpuu_mapi_type_name(CPUU_PT_MV_UNICODE), "PT_MV_UNICODE");
	assert_string_equal(cpuu_mapi_type_name(CPUU_PT_BOOLEAN), "PT_BOOLEAN");
	assert_null(cpuu_mapi_type_name(0x0999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
