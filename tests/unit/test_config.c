/* The INI reader and the typed configuration: encodings, comments, line
 * numbers in errors, warnings for unknown keys, the schema, passwords. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/config.h"
#include "cpuu/unicode.h"
#include "testutil.h"

static cpuu_config *load_ok(const char *text)
{
	cpuu_config *cfg = NULL;
	int rc = cpuu_config_load_buffer(&cfg, text, strlen(text));
	if (rc != CPUU_OK)
		print_error("load failed: %s\n", cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
	return cfg;
}

static void expect_error(const char *text, const char *needle)
{
	cpuu_config *cfg = (cpuu_config *)1;
	assert_int_equal(cpuu_config_load_buffer(&cfg, text, strlen(text)), CPUU_EINVALID);
	assert_null(cfg);
	if (!strstr(cpuu_error_last()->message, needle))
		print_error("message '%s' lacks '%s'\n", cpuu_error_last()->message, needle);
	assert_non_null(strstr(cpuu_error_last()->message, needle));
}

static int has_warning(const cpuu_config *cfg, const char *needle)
{
	const cpuu_strlist *w = cpuu_config_warnings(cfg);
	for (size_t i = 0; i < w->count; i++)
		if (strstr(w->items[i], needle))
			return 1;
	return 0;
}

/* --- the low-level reader ------------------------------------------------ */

typedef struct seen {
	char text[2048];
	int stop_at;
	int calls;
} seen;

static int record(void *user, const char *section, const char *key, const char *value, unsigned line)
{
	seen *s = user;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof s->text - n, "%u[%s]%s=<%s>\n", line, section, key, value);
	if (++s->calls == s->stop_at)
		return CPUU_EEXISTS;
	return CPUU_OK;
}

static void test_ini_lines(void **state)
{
	(void)state;
	const char *ini =
		"top = before any section\n"
		"; comment\n"
		"  # indented comment\n"
		"\n"
		"[ General ]   ; trailing comment\r\n"
		"  Mode\t=  update  \r\n"
		"Empty=\n"
		"Quoted = \"  keep blanks  \"\n"
		"Eq = a=b=c\n"
		"Semi = x ; not a comment\n"
		"[Other]\n"
		"Name = J\xC3\xBCrgen";
	seen s = { .text = "", .stop_at = 0 };
	assert_int_equal(cpuu_ini_parse_buffer(ini, strlen(ini), record, &s), CPUU_OK);
	assert_string_equal(s.text,
		"1[]top=<before any section>\n"
		"6[General]Mode=<update>\n"
		"7[General]Empty=<>\n"
		"8[General]Quoted=<  keep blanks  >\n"
		"9[General]Eq=<a=b=c>\n"
		"10[General]Semi=<x ; not a comment>\n"
		"12[Other]Name=<J\xC3\xBCrgen>\n");

	/* The handler's code stops the parse and comes back. */
	seen s2 = { .text = "", .stop_at = 2 };
	assert_int_equal(cpuu_ini_parse_buffer(ini, strlen(ini), record, &s2), CPUU_EEXISTS);
	assert_int_equal(s2.calls, 2);
}

static void expect_ini_error(const void *data, size_t len, const char *needle)
{
	seen s = { .text = "" };
	assert_int_equal(cpuu_ini_parse_buffer(data, len, record, &s), CPUU_EINVALID);
	if (!strstr(cpuu_error_last()->message, needle))
		print_error("message '%s' lacks '%s'\n", cpuu_error_last()->message, needle);
	assert_non_null(strstr(cpuu_error_last()->message, needle));
}

static void test_ini_syntax_errors(void **state)
{
	(void)state;
	const char *a = "[General]\nMode = update\n[Features\n";
	expect_ini_error(a, strlen(a), "line 3: section header without ']'");
	const char *b = "[General]\n\njust words\n";
	expect_ini_error(b, strlen(b), "line 3: expected 'Key = Value'");
	const char *c = "[General]\n = value\n";
	expect_ini_error(c, strlen(c), "line 2: empty key");
	const char *d = "[]\n";
	expect_ini_error(d, strlen(d), "line 1: empty section name");
	const char *e = "[A] junk\n";
	expect_ini_error(e, strlen(e), "line 1: text after the section header");
	const char f[] = "[A]\nk=v\nx=\xC3\x28\n";
	expect_ini_error(f, sizeof f - 1, "line 3: invalid UTF-8");
	const char g[] = "[A]\nk=v\0w\n";
	expect_ini_error(g, sizeof g - 1, "line 2: NUL byte");
	const char cr[] = "[A]\r\nk=v\r\nx\ry=1\r\n";
	expect_ini_error(cr, sizeof cr - 1, "line 3: carriage return (CR) inside the line");
	const char h[] = "\xFE\xFF\0[";
	expect_ini_error(h, sizeof h - 1, "big-endian");
	const char i[] = "\xFF\xFE[\0A\0]";
	expect_ini_error(i, sizeof i - 1, "UTF-16LE");
	/* An opening quote never closed (issue 16): refused with its line, not
	 * taken literally; a lone quote too. Closed or inner quotes still read. */
	const char *q = "[General]\nLogFile = \"C:\\logs\\cpuu.log\n";
	expect_ini_error(q, strlen(q), "line 2: [General] LogFile: unterminated quote");
	const char *q1 = "[A]\nk = \"\n";
	expect_ini_error(q1, strlen(q1), "line 2: [A] k: unterminated quote");
	seen ok = { .text = "" };
	const char *q2 = "[A]\nk = \"  x  \"\nl = 5\" disk\nm = \"a,b\", c\n";
	assert_int_equal(cpuu_ini_parse_buffer(q2, strlen(q2), record, &ok), CPUU_OK);
	assert_non_null(strstr(ok.text, "2[A]k=<  x  >\n"));
	assert_non_null(strstr(ok.text, "3[A]l=<5\" disk>\n"));
	assert_non_null(strstr(ok.text, "4[A]m=<\"a,b\", c>\n"));
}

static void test_ini_encodings(void **state)
{
	(void)state;
	const char *text = "[Profiles]\r\nProfiles = Outlook, \"B\xC3\xB6se, Profil\"\r\n";
	/* UTF-16LE with BOM, as Notepad saves "Unicode". */
	uint8_t *u16;
	size_t u16len;
	assert_int_equal(cpuu_utf8_to_utf16le(&u16, &u16len, text, 0), CPUU_OK);
	uint8_t *file = malloc(u16len + 2);
	file[0] = 0xFF;
	file[1] = 0xFE;
	memcpy(file + 2, u16, u16len);
	cpuu_config *cfg = NULL;
	assert_int_equal(cpuu_config_load_buffer(&cfg, file, u16len + 2), CPUU_OK);
	const cpuu_strlist *l = cpuu_config_get_list(cfg, "profiles", "PROFILES");
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0], "Outlook");
	assert_string_equal(l->items[1], "B\xC3\xB6se, Profil");
	assert_int_equal(cpuu_config_line(cfg, "Profiles", "Profiles"), 2);
	cpuu_config_free(cfg);
	free(file);
	free(u16);

	/* UTF-8 with BOM. */
	char bom[256];
	snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s", text);
	cfg = load_ok(bom);
	assert_int_equal(cpuu_config_get_list(cfg, "Profiles", "Profiles")->count, 2);
	assert_int_equal(cpuu_config_warnings(cfg)->count, 0);
	cpuu_config_free(cfg);
}

/* --- the typed configuration ---------------------------------------------- */

static void test_defaults(void **state)
{
	(void)state;
	cpuu_config *cfg;
	assert_int_equal(cpuu_config_new(&cfg), CPUU_OK);
	assert_string_equal(cpuu_config_get_string(cfg, "General", "Mode"), "update");
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "AddBoxes"), 1);
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "PRF"), 0);
	assert_int_equal(cpuu_config_get_bool(cfg, "Source", "VerifyCert"), 1);
	assert_int_equal(cpuu_config_get_int(cfg, "Target", "TimeoutSeconds"), 30);
	assert_int_equal(cpuu_config_get_int(cfg, "Target", "PageSize"), 500);
	assert_string_equal(cpuu_config_get_string(cfg, "Correspondence", "Attribute"), "extensionAttribute1");
	assert_string_equal(cpuu_config_get_string(cfg, "Correspondence", "Holds"), "objectGUID");
	assert_string_equal(cpuu_config_get_string(cfg, "Switch", "Side"), "source");
	const cpuu_strlist *p = cpuu_config_get_list(cfg, "Profiles", "Profiles");
	assert_int_equal(p->count, 1);
	assert_string_equal(p->items[0], "all");
	assert_null(cpuu_config_get_string(cfg, "Mapping", "File"));
	assert_int_equal(cpuu_config_get_list(cfg, "Profiles", "RemoteUsers")->count, 0);
	assert_int_equal(cpuu_config_is_set(cfg, "General", "Mode"), 0);
	assert_int_equal(cpuu_config_line(cfg, "General", "Mode"), 0);
	/* Wrong type or unknown key: the documented neutral answers. */
	assert_null(cpuu_config_get_string(cfg, "Features", "AddBoxes"));
	assert_int_equal(cpuu_config_get_bool(cfg, "General", "Mode"), 0);
	assert_null(cpuu_config_get_string(cfg, "Nope", "Nope"));
	assert_null(cpuu_config_get_list(cfg, "General", "Mode"));
	assert_null(cpuu_config_path(cfg));
	cpuu_config_free(cfg);

	/* Every schema entry is complete and its default parses. */
	size_t n;
	const cpuu_config_key_info *s = cpuu_config_schema(&n);
	assert_true(n > 40);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(s[i].help);
		assert_ptr_equal(cpuu_config_key_find(s[i].section, s[i].key), &s[i]);
		if (s[i].type == CPUU_CFG_ENUM)
			assert_non_null(s[i].choices);
		if (s[i].type == CPUU_CFG_INT)
			assert_true(s[i].min <= s[i].max);
	}
}

static void test_typed_values(void **state)
{
	(void)state;
	const char *ini =
		"[general]\n"
		"MODE = Rollback\n"
		"workers = 8\n"
		"[FEATURES]\n"
		"AddBoxes = no\n"
		"Signatures = ON\n"
		"prf = 1\n"
		"[Profiles]\n"
		"Profiles = Outlook, Work ,, \"A, B\"\n"
		"CachedProfiles = listed\n"
		"RemoteUsers = CONTOSO\\alice, bob\n"
		"[Source]\n"
		"Url = ldaps://dc1.contoso.com:636\n"
		"BaseDN = DC=contoso,DC=com\n"
		"TimeoutSeconds = 5\n"
		"PasswordEnv = CPUU_SRC_PW\n"
		"[Target]\n"
		"Url = ldap://dc1.fabrikam.com\n"
		"StartTLS = yes\n"
		"PasswordFile = /etc/cpuu/target.pw\n"
		"[Switch]\n"
		"Attribute = targetAddress\n"
		"Present = yes\n"
		"[Logging]\n"
		"Level = DEBUG\n";
	cpuu_config *cfg = load_ok(ini);
	assert_string_equal(cpuu_config_get_string(cfg, "General", "Mode"), "rollback");
	assert_int_equal(cpuu_config_get_int(cfg, "General", "Workers"), 8);
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "AddBoxes"), 0);
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "Signatures"), 1);
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "PRF"), 1);
	const cpuu_strlist *p = cpuu_config_get_list(cfg, "Profiles", "Profiles");
	assert_int_equal(p->count, 3);
	assert_string_equal(p->items[0], "Outlook");
	assert_string_equal(p->items[1], "Work");
	assert_string_equal(p->items[2], "A, B");
	assert_string_equal(cpuu_config_get_string(cfg, "Profiles", "Profiles"), "Outlook, Work ,, \"A, B\"");
	assert_string_equal(cpuu_config_get_string(cfg, "Profiles", "CachedProfiles"), "listed");
	assert_string_equal(cpuu_config_get_list(cfg, "Profiles", "RemoteUsers")->items[0], "CONTOSO\\alice");
	assert_string_equal(cpuu_config_get_string(cfg, "Source", "BaseDN"), "DC=contoso,DC=com");
	assert_int_equal(cpuu_config_get_int(cfg, "Source", "TimeoutSeconds"), 5);
	assert_int_equal(cpuu_config_get_bool(cfg, "Target", "StartTLS"), 1);
	assert_string_equal(cpuu_config_get_string(cfg, "Target", "PasswordFile"), "/etc/cpuu/target.pw");
	assert_string_equal(cpuu_config_get_string(cfg, "Switch", "Attribute"), "targetAddress");
	assert_int_equal(cpuu_config_get_bool(cfg, "Switch", "Present"), 1);
	assert_string_equal(cpuu_config_get_string(cfg, "Logging", "Level"), "debug");
	assert_int_equal(cpuu_config_is_set(cfg, "Source", "Url"), 1);
	assert_int_equal(cpuu_config_line(cfg, "Source", "Url"), 13);
	assert_int_equal(cpuu_config_warnings(cfg)->count, 0);

	/* Overrides, checked like the file. */
	assert_int_equal(cpuu_config_set(cfg, "General", "Mode", "cleanup"), CPUU_OK);
	assert_string_equal(cpuu_config_get_string(cfg, "General", "Mode"), "cleanup");
	assert_int_equal(cpuu_config_line(cfg, "General", "Mode"), 0);
	assert_int_equal(cpuu_config_set(cfg, "General", "Mode", "explode"), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "[General] Mode: 'explode' is not one of update|rollback|cleanup"));
	assert_string_equal(cpuu_config_get_string(cfg, "General", "Mode"), "cleanup");
	assert_int_equal(cpuu_config_set(cfg, "General", "Colour", "red"), CPUU_ENOTFOUND);
	cpuu_config_free(cfg);
}

static void test_warnings(void **state)
{
	(void)state;
	const char *ini =
		"Stray = 1\n"
		"[General]\n"
		"Mode = update\n"
		"Colour = red\n"
		"[Wizard]\n"
		"Page = 3\n"
		"Step = 4\n"
		"[General]\n"
		"mode = rollback\n"
		"[Source]\n"
		"VerifyCert = false\n"
		"[Switch]\n"
		"Present = true\n"
		"Value = switched\n";
	cpuu_config *cfg = load_ok(ini);
	assert_true(has_warning(cfg, "<buffer>:1: Stray: key outside any section"));
	assert_true(has_warning(cfg, "<buffer>:4: [General] Colour: unknown key"));
	assert_true(has_warning(cfg, "<buffer>:6: [Wizard]: unknown section"));
	assert_true(has_warning(cfg, "<buffer>:9: [General] Mode: given again (first at line 3)"));
	assert_true(has_warning(cfg, "<buffer>:11: [Source] VerifyCert: certificate checking is off"));
	assert_true(has_warning(cfg, "<buffer>:14: [Switch] Value: ignored because Present = yes"));
	assert_int_equal(cpuu_config_warnings(cfg)->count, 6); /* one for the whole [Wizard] section */
	assert_string_equal(cpuu_config_get_string(cfg, "General", "Mode"), "rollback");
	cpuu_config_free(cfg);
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("[Features]\n\nAddBoxes = maybe\n", "<buffer>:3: [Features] AddBoxes: 'maybe' is not a boolean");
	expect_error("[Source]\nTimeoutSeconds = 0\n", "<buffer>:2: [Source] TimeoutSeconds: 0 is out of range [1, 3600]");
	expect_error("[Source]\nPageSize = 12abc\n", "[Source] PageSize: '12abc' is not a whole number");
	expect_error("[Source]\nPageSize = 99999999999999999999999\n", "is not a whole number");
	expect_error("[General]\nMode = sideways\n", "[General] Mode: 'sideways' is not one of update|rollback|cleanup");
	expect_error("[Source]\nUrl = http://dc1\n", "[Source] Url: expected ldap://");
	expect_error("[Source]\nUrl = ldap://\n", "[Source] Url: expected ldap://");
	expect_error("[Correspondence]\nAttribute = extension Attribute1\n", "not an LDAP attribute name");
	expect_error("[Target]\nPasswordEnv = MY-VAR\n", "not an environment variable name");
	expect_error("[Profiles]\nProfiles = all, Outlook\n", "'all' cannot be combined");
	expect_error("[Profiles]\nProfiles = \"Outlook\n", "unterminated quote");
	expect_error("[Source]\nPassword = hunter2\n", "<buffer>:2: [Source] Password: passwords are never read from the INI; use PasswordFile or PasswordEnv");
	expect_error("[Anything]\nadminPASSWORDtrg = x\n", "passwords are never read");
	expect_error("[Source]\nPasswordFile = /a\nPasswordEnv = B\n", "<buffer>:3: [Source] PasswordEnv: set only one");
	expect_error("[Target]\nUrl = ldaps://x\nStartTLS = true\n", "<buffer>:3: [Target] StartTLS: an ldaps:// URL");
	expect_error("[General]\nMode\n", "<buffer>:2: expected 'Key = Value'");
	/* The secret itself never reaches the message. */
	cpuu_config *cfg = NULL;
	const char *pw = "[Source]\nPassword = hunter2\n";
	assert_int_equal(cpuu_config_load_buffer(&cfg, pw, strlen(pw)), CPUU_EINVALID);
	assert_null(strstr(cpuu_error_last()->message, "hunter2"));
}

static void test_files_and_passwords(void **state)
{
	(void)state;
	char *dir = test_tmpdir("config");
	assert_non_null(dir);
	char *ini = test_path(dir, "cpuu.ini");
	const char *text =
		"[Source]\nPasswordFile = src.pw\nUrl = ldap://127.0.0.1:3890\n"
		"[Target]\nPasswordEnv = CPUU_TEST_TGT_PW\n"
		"[Mapping]\nFile = \\\\srv\\share\\mapping.csv\n"
		"[General]\nLogFile = logs/cpuu.log\nTempDir =\n";
	assert_int_equal(test_write_file(ini, text, strlen(text)), 0);
	char *pwpath = test_path(dir, "src.pw");
	assert_int_equal(test_write_file(pwpath, "s3cret\r\n", 8), 0);

	cpuu_config *cfg = NULL;
	assert_int_equal(cpuu_config_load(&cfg, ini), CPUU_OK);
	assert_string_equal(cpuu_config_path(cfg), ini);
	/* Relative paths are relative to the INI's folder; UNC paths are kept. */
	assert_string_equal(cpuu_config_get_string(cfg, "Source", "PasswordFile"), pwpath);
	char *log = test_path(dir, "logs/cpuu.log");
	assert_string_equal(cpuu_config_get_string(cfg, "General", "LogFile"), log);
	assert_string_equal(cpuu_config_get_string(cfg, "Mapping", "File"), "\\\\srv\\share\\mapping.csv");
	assert_null(cpuu_config_get_string(cfg, "General", "TempDir"));
	assert_int_equal(cpuu_config_is_set(cfg, "General", "TempDir"), 1);

	char *pw = NULL;
	assert_int_equal(cpuu_config_password(&pw, cfg, "Source"), CPUU_OK);
	assert_string_equal(pw, "s3cret");
	cpuu_free(pw);
	unsetenv("CPUU_TEST_TGT_PW");
	assert_int_equal(cpuu_config_password(&pw, cfg, "Target"), CPUU_ENOTFOUND);
	assert_null(pw);
	setenv("CPUU_TEST_TGT_PW", "from-env", 1);
	assert_int_equal(cpuu_config_password(&pw, cfg, "Target"), CPUU_OK);
	assert_string_equal(pw, "from-env");
	cpuu_free(pw);
	/* Read once, then out of the environment (children, core dumps);
	 * a later bind of the process still has it. */
	assert_null(getenv("CPUU_TEST_TGT_PW"));
	assert_int_equal(cpuu_config_password(&pw, cfg, "Target"), CPUU_OK);
	assert_string_equal(pw, "from-env");
	cpuu_free(pw);
	setenv("CPUU_TEST_TGT_PW", "", 1);
	assert_int_equal(cpuu_config_password(&pw, cfg, "Target"), CPUU_EINVALID);
	unsetenv("CPUU_TEST_TGT_PW");
	/* An empty password file would be an anonymous bind: refused. */
	assert_int_equal(test_write_file(pwpath, "\n", 1), 0);
	assert_int_equal(cpuu_config_password(&pw, cfg, "Source"), CPUU_EINVALID);
	assert_null(strstr(cpuu_error_last()->message, "s3cret"));
	cpuu_config_free(cfg);

	/* Errors name the file. */
	const char *bad = "[General]\nMode = update\n\n[Features]\nCONTAB = sometimes\n";
	assert_int_equal(test_write_file(ini, bad, strlen(bad)), 0);
	assert_int_equal(cpuu_config_load(&cfg, ini), CPUU_EINVALID);
	char want[4200];
	snprintf(want, sizeof want, "%s:5: [Features] CONTAB: 'sometimes' is not a boolean", ini);
	assert_non_null(strstr(cpuu_error_last()->message, want));
	const char *syn = "[General]\nbroken line\n";
	assert_int_equal(test_write_file(ini, syn, strlen(syn)), 0);
	assert_int_equal(cpuu_config_load(&cfg, ini), CPUU_EINVALID);
	snprintf(want, sizeof want, "%s:2: expected", ini);
	assert_non_null(strstr(cpuu_error_last()->message, want));
	seen s = { .text = "" };
	assert_int_equal(cpuu_ini_parse_file(ini, record, &s), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, want));

	/* Remote users: the list plus the file, duplicates dropped. */
	char *users = test_path(dir, "users.txt");
	const char *ulist = "\xEF\xBB\xBF; remote workers\r\nCONTOSO\\carol\r\n\r\n  BOB  \r\n# end\r\ndave";
	assert_int_equal(test_write_file(users, ulist, strlen(ulist)), 0);
	const char *withusers = "[Profiles]\nCachedProfiles = listed\nRemoteUsers = bob, CONTOSO\\alice\nRemoteUsersFile = users.txt\n";
	assert_int_equal(test_write_file(ini, withusers, strlen(withusers)), 0);
	assert_int_equal(cpuu_config_load(&cfg, ini), CPUU_OK);
	cpuu_strlist ru = { 0 };
	assert_int_equal(cpuu_config_remote_users(&ru, cfg), CPUU_OK);
	assert_int_equal(ru.count, 4);
	assert_string_equal(ru.items[0], "bob");
	assert_string_equal(ru.items[1], "CONTOSO\\alice");
	assert_string_equal(ru.items[2], "CONTOSO\\carol");
	assert_string_equal(ru.items[3], "dave");
	cpuu_strlist_free(&ru);
	remove(users);
	assert_int_equal(cpuu_config_remote_users(&ru, cfg), CPUU_ENOTFOUND);
	assert_int_equal(ru.count, 0);
	cpuu_config_free(cfg);
	free(users);

	char *missing = test_path(dir, "absent.ini");
	assert_int_equal(cpuu_config_load(&cfg, missing), CPUU_ENOTFOUND);
	assert_null(cfg);
	assert_int_equal(cpuu_ini_parse_file(missing, record, &s), CPUU_ENOTFOUND);

	free(missing);
	free(log);
	free(pwpath);
	free(ini);
	test_tmpdir_remove(dir);
}

/* The shipped example loads cleanly, and docs/config.md documents every key. */
static void test_example_and_docs(void **state)
{
	(void)state;
	cpuu_config *cfg = NULL;
	int rc = cpuu_config_load(&cfg, CPUU_SOURCE_DIR "/examples/cpuu.ini");
	if (rc != CPUU_OK)
		print_error("%s\n", cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
	const cpuu_strlist *w = cpuu_config_warnings(cfg);
	for (size_t i = 0; i < w->count; i++)
		print_error("example warning: %s\n", w->items[i]);
	assert_int_equal(w->count, 0);
	cpuu_config_free(cfg);

	size_t len;
	char *doc = (char *)test_read_file(CPUU_SOURCE_DIR "/docs/config.md", &len);
	assert_non_null(doc);
	char *ex = (char *)test_read_file(CPUU_SOURCE_DIR "/examples/cpuu.ini", &len);
	assert_non_null(ex);
	size_t n;
	const cpuu_config_key_info *s = cpuu_config_schema(&n);
	for (size_t i = 0; i < n; i++) {
		char head[64], row[96], exkey[96];
		snprintf(head, sizeof head, "## [%s]", s[i].section);
		snprintf(row, sizeof row, "| `%s` |", s[i].key);
		snprintf(exkey, sizeof exkey, "%s =", s[i].key);
		const char *sec = strstr(doc, head);
		if (!sec)
			print_error("docs/config.md lacks '%s'\n", head);
		assert_non_null(sec);
		const char *next = strstr(sec + 3, "\n## ");
		const char *at = strstr(sec, row);
		if (!at || (next && at > next))
			print_error("docs/config.md lacks %s under %s\n", row, head);
		assert_true(at && (!next || at < next));
		/* The example shows every key (set or commented out). */
		if (!strstr(ex, exkey))
			print_error("examples/cpuu.ini lacks '%s'\n", exkey);
		assert_non_null(strstr(ex, exkey));
	}
	free(ex);
	free(doc);
}

static void test_garbage_never_crashes(void **state)
{
	(void)state;
	const char *base = "[General]\nMode = update\n[Source]\nUrl = ldap://x\n[Profiles]\nProfiles = \"a,b\", c\n";
	size_t n = strlen(base);
	char buf[128];
	uint32_t seed = 99;
	static const char pool[] = "[]=;#\"\r\n\0\xC3\xFF\xFE a,";
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(buf, base, n);
		size_t len = n;
		for (int k = 0; k < 1 + iter % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			buf[at] = pool[(seed >> 8) % (sizeof pool - 1)];
		}
		if (iter % 5 == 0) {
			/* Byte-order marks in front of garbage. */
			memmove(buf + 2, buf, len);
			buf[0] = (char)0xFF;
			buf[1] = (char)0xFE;
			len += 2;
		}
		cpuu_config *cfg = NULL;
		int rc = cpuu_config_load_buffer(&cfg, buf, len);
		assert_true(rc == CPUU_OK || rc == CPUU_EINVALID);
		assert_true((rc == CPUU_OK) == (cfg != NULL));
		cpuu_config_free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_lines),
		cmocka_unit_test(test_ini_syntax_errors),
		cmocka_unit_test(test_ini_encodings),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_files_and_passwords),
		cmocka_unit_test(test_example_and_docs),
		cmocka_unit_test(test_garbage_never_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
