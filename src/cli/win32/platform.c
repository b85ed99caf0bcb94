/* The Windows side of the CLI: binary standard streams, the computer name,
 * and what the Windows build leaves out: the central report store (SQLite,
 * PostgreSQL; posix/report.c) and bulk runs (fork; posix/bulk.c). A
 * workstation runs cpuu for its own user. */
#include "cli.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

/* A fault nothing handled (a bug): the established tool's CRASH bit (32)
 * instead of Windows' own exception code, so a logon script sees it in its
 * %ERRORLEVEL% mask. Only WriteFile and TerminateProcess: the process is in
 * an unknown state, nothing of the C library is trusted any more. */
static LONG WINAPI on_unhandled(EXCEPTION_POINTERS *info)
{
	static const char head[] = "cpuu: crashed (exception 0x", tail[] = "); exit bit CRASH (32)\n";
	char msg[sizeof head + 8 + sizeof tail];
	DWORD code = info && info->ExceptionRecord ? info->ExceptionRecord->ExceptionCode : 0;
	memcpy(msg, head, sizeof head - 1);
	for (int i = 0; i < 8; i++)
		msg[sizeof head - 1 + i] = "0123456789ABCDEF"[(code >> (28 - 4 * i)) & 15];
	memcpy(msg + sizeof head - 1 + 8, tail, sizeof tail - 1);
	DWORD written;
	WriteFile(GetStdHandle(STD_ERROR_HANDLE), msg, (DWORD)(sizeof head - 1 + 8 + sizeof tail - 1), &written, NULL);
	TerminateProcess(GetCurrentProcess(), CPUU_EXIT_CRASH);
	return EXCEPTION_EXECUTE_HANDLER;
}

void cli_platform_init(void)
{
	SetUnhandledExceptionFilter(on_unhandled);
	/* No "program has stopped working" box waiting for a click at logon. */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
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
		      const cpuu_run_config *rc, const cpuu_match_source *resolver)
{
	(void)hives_file, (void)users_dir, (void)workers, (void)batch, (void)resolver;
	fprintf(stderr, "cpuu %s: bulk runs (--hives, --users-dir) need the Linux build; "
			"on Windows use --live for the logged-on user\n", cpuu_mode_name(rc->opts.mode));
	return CPUU_EXIT_GLOBAL_ERR;
}
