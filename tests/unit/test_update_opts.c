/* Configuration is code (issue 11): every schema key has a consumer, and the
 * consumer really reads it. Keys of the run's settings must change what
 * cpuu_run_opts_from_config returns when set to another value (found by
 * walking the schema, not by a list here); keys read elsewhere must be named
 * by their consumer file. Then the dead keys of issue 11 one by one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpuu/config.h"
#include "cpuu/runconfig.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char alt_file[256];

static void setup_alt_file(void)
{
	snprintf(alt_file, sizeof alt_file, "%s/cpuu-opts-%ld.txt", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (long)getpid());
	FILE *f = fopen(alt_file, "w");
	assert_non_null(f);
	fputs("CONTOSO\\someone\n", f);
	fclose(f);
}

/* A valid value other than the default, from the key's type alone. */
static void other_value(char *buf, size_t size, const cpuu_config_key_info *k)
{
	switch (k->type) {
	case CPUU_CFG_BOOL: {
		int on = k->default_value && strchr("tTyY1", k->default_value[0]);
		snprintf(buf, size, "%s", on ? "false" : "true");
		break;
	}
	case CPUU_CFG_INT:
		snprintf(buf, size, "%ld", k->default_value && atol(k->default_value) == k->min ? k->max : k->min);
		break;
	case CPUU_CFG_ENUM: {
		const char *c = k->choices;
		for (;;) {
			size_t n = strcspn(c, "|");
			if (!k->default_value || strlen(k->default_value) != n || strncmp(c, k->default_value, n)) {
				snprintf(buf, size, "%.*s", (int)n, c);
				return;
			}
			assert_true(c[n] == '|');
			c += n + 1;
		}
	}
	case CPUU_CFG_PATH:
		snprintf(buf, size, "%s", alt_file);
		break;
	case CPUU_CFG_LIST:
		/* A list of names (choices): the first one. */
		if (k->choices) {
			snprintf(buf, size, "%.*s", (int)strcspn(k->choices, "|"), k->choices);
			break;
		}
		snprintf(buf, size, "alt-value");
		break;
	default:
		snprintf(buf, size, "alt-value");
		break;
	}
}

static char *settings(const cpuu_config *cfg)
{
	cpuu_run_config rc;
	int err = cpuu_run_opts_from_config(&rc, cfg);
	if (err)
		print_error("%s\n", cpuu_error_last()->message);
	assert_int_equal(err, CPUU_OK);
	char *text = NULL;
	assert_int_equal(cpuu_run_config_describe(&text, &rc), CPUU_OK);
	cpuu_run_config_clear(&rc);
	return text;
}

static void test_every_key_is_consumed(void **state)
{
	(void)state;
	setup_alt_file();
	cpuu_config *cfg = NULL;
	assert_int_equal(cpuu_config_new(&cfg), CPUU_OK);
	char *base = settings(cfg);
	cpuu_config_free(cfg);
	size_t n, run_keys = 0, elsewhere = 0;
	const cpuu_config_key_info *s = cpuu_config_schema(&n);
	for (size_t i = 0; i < n; i++) {
		if (!s[i].consumer)
			print_error("[%s] %s: no consumer in the schema\n", s[i].section, s[i].key);
		assert_non_null(s[i].consumer);
		if (!strcmp(s[i].consumer, CPUU_CONFIG_BY_RUN)) {
			char v[512];
			other_value(v, sizeof v, &s[i]);
			assert_int_equal(cpuu_config_new(&cfg), CPUU_OK);
			assert_int_equal(cpuu_config_set(cfg, s[i].section, s[i].key, v), CPUU_OK);
			char *changed = settings(cfg);
			if (!strcmp(base, changed))
				print_error("[%s] %s = %s changes none of the run's settings\n", s[i].section, s[i].key, v);
			assert_string_not_equal(base, changed);
			free(changed);
			cpuu_config_free(cfg);
			run_keys++;
			continue;
		}
		/* Read elsewhere: the consumer file names the key in a getter call. */
		char path[512], needle[96];
		snprintf(path, sizeof path, "%s/%s", CPUU_SOURCE_DIR, s[i].consumer);
		snprintf(needle, sizeof needle, "\"%s\")", s[i].key);
		size_t len;
		char *src = (char *)test_read_file(path, &len);
		if (!src || !strstr(src, needle))
			print_error("[%s] %s: %s does not read it\n", s[i].section, s[i].key, s[i].consumer);
		assert_true(src && strstr(src, needle) && strstr(src, "cpuu_config_"));
		free(src);
		elsewhere++;
	}
	assert_true(run_keys > 0 && elsewhere > 0);
	free(base);
	remove(alt_file);
}

static cpuu_config *load(const char *text)
{
	cpuu_config *cfg = NULL;
	int err = cpuu_config_load_buffer(&cfg, text, strlen(text));
	if (err)
		print_error("%s\n", cpuu_error_last()->message);
	assert_int_equal(err, CPUU_OK);
	return cfg;
}

/* The schema's defaults and cpuu_run_opts_init agree: one default each. */
static void test_defaults_match_engine(void **state)
{
	(void)state;
	cpuu_config *cfg = load("");
	cpuu_run_config rc;
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_OK);
	cpuu_run_opts init;
	cpuu_run_opts_init(&init);
	assert_int_equal(rc.opts.mode, init.mode);
	assert_int_equal(rc.opts.dry_run, init.dry_run);
	assert_int_equal(rc.opts.add_boxes, init.add_boxes);
	assert_int_equal(rc.opts.autocomplete, init.autocomplete);
	assert_int_equal(rc.opts.signatures, init.signatures);
	assert_int_equal(rc.opts.autodiscover_reset, init.autodiscover_reset);
	assert_int_equal(rc.opts.switch_opts.contab, init.switch_opts.contab);
	assert_int_equal(rc.opts.prf_route, init.prf_route);
	assert_int_equal(rc.opts.scenario, init.scenario);
	assert_int_equal(rc.opts.office_identity, init.office_identity);
	assert_int_equal(rc.opts.autodiscover_policy, init.autodiscover_policy);
	assert_int_equal(rc.opts.auth_health, init.auth_health);
	assert_int_equal(rc.opts.m365_detect, init.m365_detect);
	assert_int_equal(rc.opts.office_activation, init.office_activation);
	assert_int_equal(rc.opts.office_credentials, init.office_credentials);
	assert_int_equal(rc.opts.token_broker, init.token_broker);
	assert_int_equal(rc.opts.exclude_scp_lookup, init.exclude_scp_lookup);
	assert_int_equal(rc.opts.cached_rule, init.cached_rule);
	assert_null(rc.opts.profiles);
	assert_null(rc.opts.state_dir);
	assert_null(rc.temp_dir);
	assert_int_equal(rc.workers, 0);
	assert_int_equal(rc.log_level, CPUU_LOG_INFO);
	assert_int_equal(rc.json_results, 0);
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);
}

/* The keys no code read before issue 11, each to what docs/config.md says. */
static void test_dead_keys_now_work(void **state)
{
	(void)state;
	setenv("CPUU_TEST_LOCAL", "/home/u/local", 1);
	cpuu_config *cfg = load("[General]\nMode = Rollback\nBackupDir = %CPUU_TEST_LOCAL%/cpuu/backup\n"
				"TempDir = /var/tmp/cpuu-x\nWorkers = 3\n[Features]\nSignatures = no\n"
				"[Logging]\nLevel = warning\nJsonResults = yes\n");
	cpuu_run_config rc;
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_OK);
	assert_int_equal(rc.opts.mode, CPUU_MODE_ROLLBACK);
	assert_string_equal(rc.opts.state_dir, "/home/u/local/cpuu/backup");
	assert_string_equal(rc.temp_dir, "/var/tmp/cpuu-x");
	assert_int_equal(rc.workers, 3);
	assert_int_equal(rc.opts.signatures, 0);
	assert_int_equal(rc.log_level, CPUU_LOG_WARNING);
	assert_int_equal(rc.json_results, 1);
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);

	/* An unset variable is refused, naming the key, not made a folder "%X%". */
	unsetenv("CPUU_TEST_UNSET");
	cfg = load("[General]\nBackupDir = %CPUU_TEST_UNSET%\\cpuu\n");
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "[General] BackupDir: the environment variable %CPUU_TEST_UNSET% is not set"));
	cpuu_config_free(cfg);
}

static void test_temp_dir_created_or_refused(void **state)
{
	(void)state;
	char base[256], cmd[600];
	snprintf(base, sizeof base, "%s/cpuu-tmpdir-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	char text[700];
	snprintf(text, sizeof text, "[General]\nTempDir = %s/a/b\n", base);
	cpuu_config *cfg = load(text);
	cpuu_run_config rc;
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_OK);
	assert_int_equal(cpuu_run_temp_dir_create(&rc), CPUU_OK);
	char made[300];
	snprintf(made, sizeof made, "%s/a/b", base);
	struct stat st;
	assert_int_equal(stat(made, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);

	/* Under a regular file nothing can be made: the caller's exit bit 128. */
	snprintf(made, sizeof made, "%s/file", base);
	FILE *f = fopen(made, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(text, sizeof text, "[General]\nTempDir = %s/file/sub\n", base);
	cfg = load(text);
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_OK);
	assert_int_equal(cpuu_run_temp_dir_create(&rc), CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "[General] TempDir"));
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_is_consumed),
		cmocka_unit_test(test_defaults_match_engine),
		cmocka_unit_test(test_dead_keys_now_work),
		cmocka_unit_test(test_temp_dir_created_or_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
