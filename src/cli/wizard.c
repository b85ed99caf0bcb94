/* cpuu wizard: writes cpuu.ini and the three logon-script batch files.
 * Interactive on a terminal (each question shows its default), or entirely
 * from flags for scripting (--yes, or no terminal on standard input). */
#include "cli.h"

#include "cpuu/wizard.h"

#include "opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	const cli_opt table[] = {
		{ "--out", CLI_OPT_STRING, &out, "DIR", "where cpuu.ini and the batch files are written", 0, 0 },
		{ "--exe", CLI_OPT_STRING, &w.exe, "PATH", "cpuu.exe as the logon script reaches it (default: beside the batch files)", 0, 0 },
		{ "--ini", CLI_OPT_STRING, &w.ini, "PATH", "the INI as the logon script reaches it (default: beside cpuu.exe)", 0, 0 },
		{ "--mapping", CLI_OPT_STRING, &w.mapping, "PATH", "[Mapping] File (default: live directories, set in the INI by hand)", 0, 0 },
		{ "--log-share", CLI_OPT_STRING, &w.log_share, "PATH", "[General] LogShare", 0, 0 },
		{ "--state-dir", CLI_OPT_STRING, &w.state_dir, "PATH", "[General] BackupDir", 0, 0 },
		{ "--profiles", CLI_OPT_LIST, &profiles, "NAME", "[Profiles] Profiles (default: all)", 0, 0 },
		{ "--cached", CLI_OPT_STRING, &w.cached, "all|listed|none", "[Profiles] CachedProfiles", 0, 0 },
		{ "--remote-users", CLI_OPT_LIST, &users, "USER", "[Profiles] RemoteUsers", 0, 0 },
		{ "--feature", CLI_OPT_APPEND, &features, "NAME=yes|no", "(repeatable; docs/config.md [Features])", 0, 0 },
		{ "--yes", CLI_OPT_FLAG, &yes, NULL, "ask nothing (also when standard input is not a terminal)", 0, 0 },
		{ 0 }
	};
	int rc = CLI_EXIT_OK;
	int parsed = cli_opt_parse(table, argc, argv);
	if (parsed == CLI_OPT_HELP) {
		printf("usage: cpuu wizard --out DIR [--exe PATH] [options]\n"
		       "writes DIR/cpuu.ini, CPUU_Update.bat, CPUU_Rollback.bat, CPUU_Cleanup.bat\n");
		cli_opt_help(stdout, table);
	}
	if (parsed != CLI_OPT_OK) {
		rc = parsed == CLI_OPT_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
		goto done;
	}
	char b_exe[1024], b_map[1024], b_log[1024], b_cached[64], b_out[1024];
	if (!yes && cli_stdin_is_terminal()) {
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
