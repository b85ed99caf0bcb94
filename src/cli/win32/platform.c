/* What the Windows build leaves out of the CLI: the central report store
 * (SQLite, PostgreSQL; posix/report.c) and bulk runs (fork; posix/bulk.c).
 * A workstation runs cpuu for its own user. */
#include "cli.h"

#include <stdio.h>

int cli_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "cpuu: report: the report store is part of the Linux build only\n");
	return CLI_EXIT_UNSUPPORTED;
}

unsigned cli_run_bulk(const char *hives_file, const char *users_dir, unsigned workers, int batch,
		      const cpuu_run_config *rc, const cpuu_match_source *resolver)
{
	(void)hives_file, (void)users_dir, (void)workers, (void)batch, (void)resolver;
	fprintf(stderr, "cpuu %s: bulk runs (--hives, --users-dir) need the Linux build; "
			"on Windows use --live for the logged-on user\n", cpuu_mode_name(rc->opts.mode));
	return CPUU_EXIT_GLOBAL_ERR;
}
