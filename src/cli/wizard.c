/* cpuu wizard: writes cpuu.ini and the three logon-script batch files.
 * Interactive on a terminal (each question shows its default), or entirely
 * from flags for scripting (--yes, or no terminal on standard input). */
#include "cli.h"

#include "cpuu/wizard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <io.h>
#define isatty _isatty
#define fileno _fileno
#else
#include <unistd.h>
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cpuu wizard --out DIR [--exe PATH] [options]\n"
		"writes DIR/cpuu.ini, CPUU_Update.bat, CPUU_Rollback.bat, CPUU_Cleanup.bat\n"
		"  --exe PATH         cpuu.exe as the logon script reaches it (default: beside the batch files)\n"
		"  --ini PATH         the INI as the logon script reaches it (default: beside cpuu.exe)\n"
		"  --mapping PATH     [Mapping] File (default: live directories, set in the INI by hand)\n"
		"  --log-share PATH   [General] LogShare\n"
		"  --state-dir PATH   [General] BackupDir\n"
		"  --profiles NAME... [Profiles] Profiles (default: all)\n"
		"  --cached all|listed|none, --remote-users USER...\n"
		"  --feature NAME=yes|no   (repeatable; docs/config.md [Features])\n"
		"  --yes              ask nothing (also when standard input is not a terminal)\n");
}

/* One question on the terminal; keeps *value when the answer is empty. */
static void ask(const char *question, const char **value, char *buf, size_t size)
{
	printf("%s [%s]: ", question, *value ? *value : "");
	fflush(stdout);
	if (!fgets(buf, (int)size, stdin))
		return;
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0])
		*value = buf;
}

int cli_cmd_wizard(int argc, char **argv)
{
	const char *out = NULL;
	int yes = 0;
	cpuu_wizard w = { 0 };
	cpuu_strlist profiles = { 0 }, users = { 0 }, features = { 0 };
	int rc = CLI_EXIT_OK;
	for (int i = 1; i < argc && rc == CLI_EXIT_OK; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			goto done;
		} else if (!strcmp(a, "--out") && has) {
			out = argv[++i];
		} else if (!strcmp(a, "--exe") && has) {
			w.exe = argv[++i];
		} else if (!strcmp(a, "--ini") && has) {
			w.ini = argv[++i];
		} else if (!strcmp(a, "--mapping") && has) {
			w.mapping = argv[++i];
		} else if (!strcmp(a, "--log-share") && has) {
			w.log_share = argv[++i];
		} else if (!strcmp(a, "--state-dir") && has) {
			w.state_dir = argv[++i];
		} else if (!strcmp(a, "--cached") && has) {
			w.cached = argv[++i];
		} else if (!strcmp(a, "--feature") && has) {
			rc = cpuu_strlist_add(&features, argv[++i]) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
		} else if (!strcmp(a, "--profiles") || !strcmp(a, "--remote-users")) {
			cpuu_strlist *l = a[2] == 'p' ? &profiles : &users;
			while (rc == CLI_EXIT_OK && i + 1 < argc && strncmp(argv[i + 1], "--", 2))
				rc = cpuu_strlist_add(l, argv[++i]) ? CLI_EXIT_ERROR : CLI_EXIT_OK;
		} else if (!strcmp(a, "--yes")) {
			yes = 1;
		} else {
			fprintf(stderr, "cpuu wizard: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			rc = CLI_EXIT_USAGE;
		}
	}
	if (rc != CLI_EXIT_OK)
		goto done;
	char b_exe[1024], b_map[1024], b_log[1024], b_cached[64], b_out[1024];
	if (!yes && isatty(fileno(stdin))) {
		ask("Output folder", &out, b_out, sizeof b_out);
		ask("cpuu.exe as the logon script reaches it (empty: beside the batch files)", &w.exe, b_exe,
		    sizeof b_exe);
		ask("Mapping file (empty: live directories)", &w.mapping, b_map, sizeof b_map);
		ask("Log share (empty: none)", &w.log_share, b_log, sizeof b_log);
		ask("Cached-mode profiles: all, listed or none", &w.cached, b_cached, sizeof b_cached);
	}
	if (!out) {
		fprintf(stderr, "cpuu wizard: --out is needed\n");
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	w.profiles = &profiles;
	w.remote_users = &users;
	w.features = &features;
	if (cpuu_wizard_write(out, &w)) {
		rc = cli_fail();
		goto done;
	}
	printf("wrote %s: cpuu.ini, CPUU_Update.bat, CPUU_Rollback.bat, CPUU_Cleanup.bat\n", out);
	printf("put CPUU_Update.bat in the logon script; review cpuu.ini (docs/config.md)\n");
done:
	cpuu_strlist_free(&profiles);
	cpuu_strlist_free(&users);
	cpuu_strlist_free(&features);
	return rc;
}
