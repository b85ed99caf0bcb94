/* Names shown to people (include/cpuu/display.h): every C0 control, DEL, C1
 * control, bidi override or isolate, line separator and ill-formed UTF-8
 * byte escaped visibly; letters of any script and Windows paths kept; the
 * same characters as \u escapes in JSON; error messages escaped once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "cpuu/display.h"

static void check(const char *in, const char *want)
{
	char *out = NULL;
	assert_int_equal(cpuu_display_escape(&out, in), CPUU_OK);
	assert_string_equal(out, want);
	/* Escaping what is already shown changes nothing more. */
	char *again = NULL;
	assert_int_equal(cpuu_display_escape(&again, out), CPUU_OK);
	assert_string_equal(again, want);
	cpuu_free(again);
	cpuu_free(out);
}

static void test_controls_escaped(void **state)
{
	(void)state;
	check("Evil\x1b[31mRED\x1b[0m", "Evil\\x1b[31mRED\\x1b[0m");
	check("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d");
	check("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
	check("csi \xc2\x9b" "2J nel \xc2\x85", "csi \\u009b2J nel \\u0085");
}

static void test_bidi_and_separators_escaped(void **state)
{
	(void)state;
	check("x\xe2\x80\xae" "exe.txt", "x\\u202eexe.txt"); /* U+202E RLO */
	check("\xe2\x80\xaa\xe2\x80\xad", "\\u202a\\u202d");
	check("\xe2\x81\xa6i\xe2\x81\xa9", "\\u2066i\\u2069");
	check("l\xe2\x80\xa8p\xe2\x80\xa9", "l\\u2028p\\u2029");
	/* Neighbours of the escaped ranges are ordinary text. */
	check("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
}

static void test_text_kept(void **state)
{
	(void)state;
	check("C:\\Users\\j\xc3\xbcrgen\\AppData", "C:\\Users\\j\xc3\xbcrgen\\AppData");
	check("\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xc2\xa0", "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xc2\xa0");
	check("", "");
}

static void test_ill_formed_bytes_escaped(void **state)
{
	(void)state;
	check("a\x9b" "b", "a\\x9bb");                 /* a lone C1 byte (CSI in 8-bit terminals) */
	check("\xc0\x80", "\\xc0\\x80");              /* overlong NUL */
	check("\xe2\x80", "\\xe2\\x80");              /* cut short */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");     /* a surrogate */
	check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* beyond U+10FFFF */
}

static void test_fixed_buffer_cut_at_a_character(void **state)
{
	(void)state;
	char buf[8];
	/* "ab\x1b" needs 2 + 4 bytes; the escape never splits. */
	assert_int_equal(cpuu_display_into(buf, sizeof buf, "ab\x1b" "cd"), 7);
	assert_string_equal(buf, "ab\\x1bc");
	assert_int_equal(cpuu_display_into(buf, 5, "ab\x1b"), 2);
	assert_string_equal(buf, "ab");
}

static void test_error_messages_escaped(void **state)
{
	(void)state;
	cpuu_error_set(CPUU_EINVALID, "profile '%s': bad", "x\x1b]0;t\x07\ny\xe2\x80\xae");
	assert_string_equal(cpuu_error_last()->message, "profile 'x\\x1b]0;t\\x07\\x0ay\\u202e': bad");
	cpuu_error_prefix("key %s", "k\x1b");
	assert_string_equal(cpuu_error_last()->message, "key k\\x1b: profile 'x\\x1b]0;t\\x07\\x0ay\\u202e': bad");
	cpuu_error_clear();
}

/* A deferred message reads exactly as the one cpuu_error_set would have
 * written, escaped alike, whenever it is read; the pieces are copies (the
 * caller's strings may be gone by then); a later set or clear wins. */
static void test_deferred_message_same_as_set(void **state)
{
	(void)state;
	char a[64], b[64];
	snprintf(a, sizeof a, "Software\\x\x1b]0;t\x07");
	snprintf(b, sizeof b, "v\xe2\x80\xae");
	cpuu_error_set(CPUU_ENOTFOUND, "key '%s': value '%s' not found", a, b);
	char want[1024];
	snprintf(want, sizeof want, "%s", cpuu_error_last()->message);
	cpuu_error_clear();
	assert_int_equal(cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s': value '%s' not found", a, b),
			 CPUU_ENOTFOUND);
	memset(a, 'Z', sizeof a - 1); /* the caller's buffers change before the message is read */
	memset(b, 'Z', sizeof b - 1);
	assert_int_equal(cpuu_error_last()->code, CPUU_ENOTFOUND);
	assert_string_equal(cpuu_error_last()->message, want);
	assert_string_equal(cpuu_error_last()->message, want); /* read twice: formatted once */

	cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s\\%s' not found", "Software", "Missing");
	cpuu_error_prefix("profile %s", "P");
	assert_string_equal(cpuu_error_last()->message, "profile P: key 'Software\\Missing' not found");

	cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s\\%s' not found", "Software", "Missing");
	cpuu_error_set(CPUU_EIO, "disk");
	assert_int_equal(cpuu_error_last()->code, CPUU_EIO);
	assert_string_equal(cpuu_error_last()->message, "disk");

	cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s\\%s' not found", "Software", NULL);
	cpuu_error_clear();
	assert_int_equal(cpuu_error_last()->code, CPUU_OK);
	assert_string_equal(cpuu_error_last()->message, "");
}

static void test_json_escapes_the_same(void **state)
{
	(void)state;
	cpuu_buf b = { 0 };
	cpuu_buf_json_string(&b, "a\x1b\x7f\xc2\x9b\xe2\x80\xae\xe2\x81\xa9\xe2\x80\xa8\xc3\xa9\"\\");
	char *s = cpuu_buf_detach(&b, NULL);
	assert_string_equal(s, "\"a\\u001b\\u007f\\u009b\\u202e\\u2069\\u2028\xc3\xa9\\\"\\\\\"");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_bidi_and_separators_escaped),
		cmocka_unit_test(test_text_kept),
		cmocka_unit_test(test_ill_formed_bytes_escaped),
		cmocka_unit_test(test_fixed_buffer_cut_at_a_character),
		cmocka_unit_test(test_error_messages_escaped),
		cmocka_unit_test(test_deferred_message_same_as_set),
		cmocka_unit_test(test_json_escapes_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
