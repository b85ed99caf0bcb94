/* The Windows side of the CLI: binary standard streams, the computer name,
 * and what the Windows build leaves out: the central report store (SQLite,
 * PostgreSQL; posix/report.c) and bulk runs (fork; posix/bulk.c). A
 * workstation runs cpuu for its own user. */
#include "cli.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <windows.h>

void cli_platform_init(void)
{
	/* The same bytes as on Linux (JSON lines, .reg diffs): no CR added. */
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
}

void cli_host_name(char *buf, size_t size)
{
	DWORD n = (DWORD)size;
	if (!GetComputerNameA(buf, &n))
		buf[0] = '\0';
}

int cli_stdin_is_terminal(void)
{
	return _isatty(_fileno(stdin));
}

int cli_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "cpuu: report: the report store is part of the Linux build only\n");
	return CLI_EXIT_UNSUPPORTED;
}

unsigned cli_run_bulk(const char *hives_file, const char *users_dir, unsigned workers, int batch,
		      const struct cli_shard *shard, const cpuu_run_config *rc, const cpuu_match_source *resolver)
{
	(void)hives_file, (void)users_dir, (void)workers, (void)batch, (void)shard, (void)resolver;
	fprintf(stderr, "cpuu %s: bulk runs (--hives, --users-dir) need the Linux build; "
			"on Windows use --live for the logged-on user\n", cpuu_mode_name(rc->opts.mode));
	return CPUU_EXIT_GLOBAL_ERR;
}
