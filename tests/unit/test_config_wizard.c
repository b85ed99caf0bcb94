/* The wizard's files carry every path and name intact: the batch files
 * through cmd.exe's percent expansion and the C runtime's argv splitting
 * (both emulated here from their documented rules), the INI through our
 * reader; and nothing is written when a value cannot be carried safely. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/config.h"
#include "cpuu/wizard.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmd.exe, batch-file phase 1: %% -> %, %NAME% -> its value (TEMP only here). */
static char *cmd_percent(const char *line)
{
	char *out = malloc(strlen(line) * 2 + 64);
	size_t w = 0;
	for (const char *p = line; *p;) {
		if (p[0] == '%' && p[1] == '%') {
			out[w++] = '%';
			p += 2;
		} else if (!strncmp(p, "%~dp0", 5)) {
			/* The batch file's folder, trailing backslash included; the
			 * result is not parsed again. */
			static const char dir[] = "\\\\srv\\NETLOGON\\cpuu & co 100% (x86)\\";
			memcpy(out + w, dir, sizeof dir - 1);
			w += sizeof dir - 1;
			p += 5;
		} else if (p[0] == '%' && !strncmp(p, "%TEMP%", 6)) {
			memcpy(out + w, "C:\\Temp", 7);
			w += 7;
			p += 6;
		} else {
			out[w++] = *p++;
		}
	}
	out[w] = '\0';
	return out;
}

/* The C runtime's argv rules (CommandLineToArgvW): 2n backslashes + quote
 * give n backslashes and toggle quoting; 2n+1 give n and a literal quote. */
static int crt_argv(char **argv, int max, const char *cmdline)
{
	int argc = 0;
	const char *p = cmdline;
	while (*p && argc < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *arg = malloc(strlen(p) + 1);
		size_t w = 0;
		int inq = 0;
		while (*p && (inq || (*p != ' ' && *p != '\t'))) {
			size_t bs = 0;
			while (p[bs] == '\\')
				bs++;
			if (p[bs] == '"') {
				for (size_t i = 0; i < bs / 2; i++)
					arg[w++] = '\\';
				if (bs % 2)
					arg[w++] = '"';
				else
					inq = !inq;
				p += bs + 1;
			} else if (bs) {
				for (size_t i = 0; i < bs; i++)
					arg[w++] = '\\';
				p += bs;
			} else {
				arg[w++] = *p++;
			}
		}
		arg[w] = '\0';
		argv[argc++] = arg;
	}
	return argc;
}

/* The command line of a batch file's cpuu call, without the redirection. */
static char *bat_command(const char *bat)
{
	const char *line = strstr(bat, "\r\n\"");
	assert_non_null(line);
	line += 2;
	const char *end = strstr(line, " >>");
	assert_non_null(end);
	char *raw = strndup(line, (size_t)(end - line));
	char *expanded = cmd_percent(raw);
	free(raw);
	return expanded;
}

static const char *const tricky_exe = "\\\\srv\\NETLOGON\\cpuu & co (x86)\\100% ^sure^ !x!\\Büro 日本\\cpuu.exe";

static void test_bat_arg_quoting(void **state)
{
	(void)state;
	char *q = NULL;
	assert_int_equal(cpuu_wizard_bat_arg(&q, "C:\\a b\\100%\\x.exe"), CPUU_OK);
	assert_string_equal(q, "\"C:\\a b\\100%%\\x.exe\"");
	free(q);
	assert_int_equal(cpuu_wizard_bat_arg(&q, "C:\\dir\\"), CPUU_OK);
	assert_string_equal(q, "\"C:\\dir\\\\\"");
	free(q);
	assert_int_equal(cpuu_wizard_bat_arg(&q, "C:\\say \"hi\""), CPUU_EINVALID);
	assert_null(q);
	assert_int_equal(cpuu_wizard_bat_arg(&q, "C:\\two\r\nlines"), CPUU_EINVALID);
	assert_null(q);
}

static char *read_text(const char *dir, const char *name)
{
	char *p = test_path(dir, name);
	size_t n;
	uint8_t *d = test_read_file(p, &n);
	free(p);
	assert_non_null(d);
	char *s = realloc(d, n + 1);
	s[n] = '\0';
	return s;
}

static void test_files_carry_names_intact(void **state)
{
	(void)state;
	char *dir = test_tmpdir("wizard");
	cpuu_strlist profiles = { 0 }, users = { 0 }, features = { 0 };
	cpuu_strlist_add(&profiles, "Outlook");
	cpuu_strlist_add(&profiles, "Büro, \"alt\"");
	cpuu_strlist_add(&profiles, " padded ");
	cpuu_strlist_add(&users, "CORP\\alice");
	cpuu_strlist_add(&features, "AddBoxes=no");
	cpuu_strlist_add(&features, "ExcludeScpLookup=yes");
	cpuu_wizard w = { .exe = tricky_exe,
			  .ini = "C:\\Program Files\\cpuu & co\\config dir\\cpuu 100%.ini",
			  .mapping = "\\\\srv\\share\\maps & more\\\"map\".csv",
			  .log_share = "\\\\srv\\logs ; not a comment",
			  .profiles = &profiles,
			  .cached = "listed",
			  .remote_users = &users,
			  .features = &features };
	/* A quote can live in an INI value but not in a batch argument: the
	 * exe and ini paths are fine, the mapping only goes to the INI. */
	assert_int_equal(cpuu_wizard_write(dir, &w), CPUU_OK);

	static const char *const modes[] = { "update", "rollback", "cleanup" };
	static const char *const files[] = { "CPUU_Update.bat", "CPUU_Rollback.bat", "CPUU_Cleanup.bat" };
	for (int i = 0; i < 3; i++) {
		char *bat = read_text(dir, files[i]);
		assert_memory_equal(bat, "@echo off\r\n", 11); /* no BOM */
		char *cmd = bat_command(bat);
		char *argv[16];
		int argc = crt_argv(argv, 16, cmd);
		assert_int_equal(argc, 5);
		assert_string_equal(argv[0], tricky_exe);
		assert_string_equal(argv[1], modes[i]);
		assert_string_equal(argv[2], "--live");
		assert_string_equal(argv[3], "--config");
		assert_string_equal(argv[4], w.ini);
		for (int a = 0; a < argc; a++)
			free(argv[a]);
		free(cmd);
		assert_non_null(strstr(bat, "setlocal DisableDelayedExpansion"));
		free(bat);
	}

	char *ini_path = test_path(dir, "cpuu.ini");
	cpuu_config *cfg = NULL;
	int rc = cpuu_config_load(&cfg, ini_path);
	if (rc)
		fail_msg("%s", cpuu_error_last()->message);
	assert_int_equal(cpuu_config_warnings(cfg)->count, 0);
	assert_string_equal(cpuu_config_get_string(cfg, "Mapping", "File"), w.mapping);
	assert_string_equal(cpuu_config_get_string(cfg, "General", "LogShare"), w.log_share);
	const cpuu_strlist *got = cpuu_config_get_list(cfg, "Profiles", "Profiles");
	assert_int_equal(got->count, 3);
	assert_string_equal(got->items[0], "Outlook");
	assert_string_equal(got->items[1], "Büro, \"alt\"");
	assert_string_equal(got->items[2], " padded ");
	assert_string_equal(cpuu_config_get_string(cfg, "Profiles", "CachedProfiles"), "listed");
	assert_string_equal(cpuu_config_get_list(cfg, "Profiles", "RemoteUsers")->items[0], "CORP\\alice");
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "AddBoxes"), 0);
	assert_int_equal(cpuu_config_get_bool(cfg, "Features", "ExcludeScpLookup"), 1);
	cpuu_config_free(cfg);
	free(ini_path);
	cpuu_strlist_free(&profiles);
	cpuu_strlist_free(&users);
	cpuu_strlist_free(&features);
	test_tmpdir_remove(dir);
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* The usual layout: cpuu.exe and the INI beside the batch files, which then
 * hold no path at all (so nothing depends on cmd.exe's code page). */
static void test_beside_the_batch_files(void **state)
{
	(void)state;
	char *dir = test_tmpdir("wizard-beside");
	cpuu_wizard w = { .mapping = "\\\\srv\\share\\Büro\\map.csv" };
	assert_int_equal(cpuu_wizard_write(dir, &w), CPUU_OK);
	char *bat = read_text(dir, "CPUU_Update.bat");
	for (const unsigned char *c = (const unsigned char *)bat; *c; c++)
		assert_true(*c < 0x80); /* ASCII only */
	char *cmd = bat_command(bat);
	char *argv[16];
	int argc = crt_argv(argv, 16, cmd);
	assert_int_equal(argc, 5);
	assert_string_equal(argv[0], "\\\\srv\\NETLOGON\\cpuu & co 100% (x86)\\cpuu.exe");
	assert_string_equal(argv[4], "\\\\srv\\NETLOGON\\cpuu & co 100% (x86)\\cpuu.ini");
	for (int a = 0; a < argc; a++)
		free(argv[a]);
	free(cmd);
	free(bat);
	test_tmpdir_remove(dir);
}

static void test_refusals_write_nothing(void **state)
{
	(void)state;
	char *dir = test_tmpdir("wizard-bad");
	cpuu_strlist bad_feature = { 0 };
	cpuu_strlist_add(&bad_feature, "NoSuchFeature=yes");
	const cpuu_wizard cases[] = {
		{ .exe = "C:\\\"quoted\"\\cpuu.exe" },
		{ .exe = "C:\\cpuu.exe", .ini = "C:\\a\nb.ini" },
		{ .exe = "C:\\cpuu.exe", .cached = "sometimes" },
		{ .exe = "C:\\cpuu.exe", .features = &bad_feature },
		{ .exe = "C:\\cpuu.exe", .mapping = "\\\\srv\\tab\there" },
		{ .exe = "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(cpuu_wizard_write(dir, &cases[i]), CPUU_EINVALID);
		assert_int_equal(count_files(dir), 0);
	}
	cpuu_strlist_free(&bad_feature);
	test_tmpdir_remove(dir);
}

static void test_ini_values_round_trip(void **state)
{
	(void)state;
	static const char *const values[] = { "plain", " lead", "trail ", "\"both\"", "\"left", "a \"mid\" b", "",
					      "x = y ; z", "Büro 日本" };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char *v = NULL;
		assert_int_equal(cpuu_wizard_ini_value(&v, values[i]), CPUU_OK);
		char text[256];
		snprintf(text, sizeof text, "[Mapping]\nFile = %s\n", v);
		cpuu_config *cfg = NULL;
		assert_int_equal(cpuu_config_load_buffer(&cfg, text, strlen(text)), CPUU_OK);
		const char *got = cpuu_config_get_string(cfg, "Mapping", "File");
		/* An empty value reads back as unset or empty; both mean "none". */
		if (values[i][0] || got)
			assert_string_equal(got ? got : "", values[i]);
		cpuu_config_free(cfg);
		free(v);
	}
}

/* The README's `cpuu wizard --out logon/ ...` in an empty folder: the output
 * folder and its parents are created; a file in the way is refused and
 * nothing is written. */
static void test_creates_its_output_folder(void **state)
{
	(void)state;
	char *dir = test_tmpdir("wizard-new");
	char *deep = test_path(dir, "netlogon/cpuu/");
	cpuu_wizard w = { .mapping = "\\\\srv\\cpuu\\mapping.csv" };
	assert_int_equal(cpuu_wizard_write(deep, &w), CPUU_OK);
	char *ini = read_text(deep, "cpuu.ini");
	assert_non_null(strstr(ini, "mapping.csv"));
	free(ini);
	/* Again into the same folder: it exists, nothing to create. */
	assert_int_equal(cpuu_wizard_write(deep, &w), CPUU_OK);
	char *blocker = test_path(dir, "afile");
	assert_int_equal(test_write_file(blocker, "x", 1), 0);
	char *under = test_path(blocker, "sub");
	assert_int_not_equal(cpuu_wizard_write(under, &w), CPUU_OK);
	assert_non_null(strstr(cpuu_error_last()->message, "cannot create the folder"));
	size_t n = 0;
	uint8_t *b = test_read_file(blocker, &n);
	assert_int_equal(n, 1);
	free(b);
	free(under);
	free(blocker);
	free(deep);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bat_arg_quoting),
		cmocka_unit_test(test_files_carry_names_intact),
		cmocka_unit_test(test_beside_the_batch_files),
		cmocka_unit_test(test_refusals_write_nothing),
		cmocka_unit_test(test_ini_values_round_trip),
		cmocka_unit_test(test_creates_its_output_folder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
