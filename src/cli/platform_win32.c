/* What the Windows build leaves out of the CLI: the central report store
 * (SQLite, PostgreSQL; report.c is not compiled there). Bulk runs are
 * refused in run.c. A workstation runs cpuu for its own user. */
#include "cli.h"

#include <stdio.h>

int cli_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "cpuu: report: the report store is part of the Linux build only\n");
	return CLI_EXIT_UNSUPPORTED;
}
