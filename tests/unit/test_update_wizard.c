/* Every key the wizard writes is one the engine reads (issue 12 item 2):
 * the wizard's cpuu.ini, with every question answered, loads against the
 * schema without a warning, and each line it holds changes what a run does
 * (the run's settings, cpuu_run_opts_from_config, differ without it) or is
 * read by the file the schema names as its consumer. With a log share, the
 * log and result files are named after user, host, date and time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/config.h"
#include "cpuu/runconfig.h"
#include "cpuu/wizard.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *settings_of(const char *text)
{
	cpuu_config *cfg = NULL;
	int err = cpuu_config_load_buffer(&cfg, text, strlen(text));
	if (err)
		print_error("%s\n", cpuu_error_last()->message);
	assert_int_equal(err, CPUU_OK);
	cpuu_run_config rc;
	err = cpuu_run_opts_from_config(&rc, cfg);
	if (err)
		print_error("%s\n", cpuu_error_last()->message);
	assert_int_equal(err, CPUU_OK);
	char *d = NULL;
	assert_int_equal(cpuu_run_config_describe(&d, &rc), CPUU_OK);
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);
	return d;
}

/* Checks every "Key = value" line of the INI text; returns how many. */
static size_t check_every_key(const char *ini)
{
	cpuu_config *cfg = NULL;
	int err = cpuu_config_load_buffer(&cfg, ini, strlen(ini));
	if (err)
		print_error("%s\n%s\n", cpuu_error_last()->message, ini);
	assert_int_equal(err, CPUU_OK);
	const cpuu_strlist *w = cpuu_config_warnings(cfg);
	for (size_t i = 0; i < w->count; i++)
		print_error("wizard INI warning: %s\n", w->items[i]);
	assert_int_equal(w->count, 0);
	cpuu_config_free(cfg);
	char *base = settings_of(ini);
	char section[64] = "";
	size_t keys = 0;
	for (const char *line = ini; *line;) {
		size_t n = strcspn(line, "\n");
		char text[2048];
		snprintf(text, sizeof text, "%.*s", (int)n, line);
		text[strcspn(text, "\r")] = '\0';
		const char *next = line + n + (line[n] == '\n');
		if (text[0] == '[') {
			snprintf(section, sizeof section, "%.*s", (int)(strcspn(text + 1, "]")), text + 1);
		} else if (text[0] && text[0] != ';') {
			char key[128];
			snprintf(key, sizeof key, "%.*s", (int)strcspn(text, " ="), text);
			const cpuu_config_key_info *k = cpuu_config_key_find(section, key);
			if (!k)
				print_error("[%s] %s: not in the schema\n", section, key);
			assert_non_null(k);
			assert_non_null(k->consumer);
			if (!strcmp(k->consumer, CPUU_CONFIG_BY_RUN)) {
				/* Without the line the run does something else. */
				char *without = malloc(strlen(ini) + 1);
				size_t at = (size_t)(line - ini);
				memcpy(without, ini, at);
				strcpy(without + at, next);
				char *d = settings_of(without);
				if (!strcmp(d, base))
					print_error("[%s] %s: the wizard wrote it, the run ignores it\n", section, key);
				assert_string_not_equal(d, base);
				free(d);
				free(without);
			} else {
				char path[512], needle[96];
				snprintf(path, sizeof path, "%s/%s", CPUU_SOURCE_DIR, k->consumer);
				snprintf(needle, sizeof needle, "\"%s\")", k->key);
				size_t len;
				char *src = (char *)test_read_file(path, &len);
				assert_true(src && strstr(src, needle));
				free(src);
			}
			keys++;
		}
		line = next;
	}
	free(base);
	return keys;
}

static char *wizard_ini(const cpuu_wizard *w)
{
	char *dir = test_tmpdir("wizard-keys");
	assert_int_equal(cpuu_wizard_write(dir, w), CPUU_OK);
	char *path = test_path(dir, "cpuu.ini");
	size_t len;
	uint8_t *bytes = test_read_file(path, &len);
	assert_non_null(bytes);
	char *text = malloc(len + 1);
	memcpy(text, bytes, len);
	text[len] = '\0';
	free(bytes);
	free(path);
	test_tmpdir_remove(dir);
	return text;
}

static void test_every_written_key_is_consumed(void **state)
{
	(void)state;
	setenv("TEMP", "/tmp/cpuu-temp", 1); /* %TEMP% in LogFile/ResultFile */
	char *p[] = { "Outlook", "Old, with a comma" }, *u[] = { "CONTOSO\\alice", "bob" };
	char *f[] = { "AddBoxes=no", "PRF=yes", "Autocomplete=yes", "Signatures=no" };
	cpuu_strlist profiles = { p, 2 }, users = { u, 2 }, features = { f, 4 };
	cpuu_wizard all = { .mapping = "\\\\srv\\cpuu\\mapping.csv",
			    .log_share = "\\\\srv\\cpuu-logs",
			    .state_dir = "%TEMP%\\cpuu-state",
			    .profiles = &profiles,
			    .cached = "listed",
			    .remote_users = &users,
			    .features = &features,
			    .target = "online" };
	char *ini = wizard_ini(&all);
	/* LogShare, LogFile, ResultFile, BackupDir, Profiles, CachedProfiles,
	 * RemoteUsers, AddBoxes, PRF, Signatures (Autocomplete = yes is the
	 * default: not written), File. */
	assert_int_equal(check_every_key(ini), 11);
	assert_null(strstr(ini, "Autocomplete"));
	/* Each workstation's files under names of their own (docs/logging.md). */
	assert_non_null(strstr(ini, "LogFile = %TEMP%\\cpuu_#u_#h_#d_#t.log\r\n"));
	assert_non_null(strstr(ini, "ResultFile = %TEMP%\\cpuu_#u_#h_#d_#t.jsonl\r\n"));
	free(ini);

	/* Live directories (on-premises target), no log share. */
	cpuu_wizard live = { .target = "onprem",
			     .source_url = "ldap://dc1.source.example",
			     .source_base = "DC=source,DC=example",
			     .target_url = "ldaps://dc1.target.example",
			     .target_base = "DC=target,DC=example" };
	ini = wizard_ini(&live);
	assert_int_equal(check_every_key(ini), 4);
	assert_null(strstr(ini, "LogFile"));
	free(ini);

	/* An Exchange Online target without the mapping file is refused. */
	cpuu_wizard online = { .target = "online", .source_url = "ldap://dc1.source.example" };
	char *dir = test_tmpdir("wizard-online");
	assert_int_equal(cpuu_wizard_write(dir, &online), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "mapping file"));
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_written_key_is_consumed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
