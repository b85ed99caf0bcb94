/* cpuu_m365_secret_name: the value names kept out of backups and reports
 * as credential-like, its words found anywhere without case in one pass
 * over the name (issue 15: every backed-up value's name is asked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/m365.h"

/* Credential-like value names, matched anywhere without case (one pass). */
static void test_secret_names(void **state)
{
	(void)state;
	const char *yes[] = { "AccessToken", "xTOKEn", "ClientSecret", "PASSWORD", "CredentialBlob",
			      "cookies", "BLOB", "Blob", "sec-secret" };
	const char *no[] = { "", "tok", "Pass word", "Secre", "Cooki", "credentia", "bl0b", "Server" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(cpuu_m365_secret_name(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(cpuu_m365_secret_name(no[i]));
	assert_false(cpuu_m365_secret_name(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
