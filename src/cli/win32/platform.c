/* The Windows side of the CLI: binary standard streams, the computer name,
 * and what the Windows build leaves out: the central report store (SQLite,
 * PostgreSQL; posix/report.c) and bulk runs (fork; posix/bulk.c). A
 * workstation runs cpuu for its own user. */
#include "cli.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
/* after windows.h */
#include <knownfolders.h>
#include <lmcons.h>
#include <shlobj.h>

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
		      const struct cli_shard *shard, const cpuu_run_config *rc, const cpuu_match_source *resolver)
{
	(void)hives_file, (void)users_dir, (void)workers, (void)batch, (void)shard, (void)resolver;
	fprintf(stderr, "cpuu %s: bulk runs (--hives, --users-dir) need the Linux build; "
			"on Windows use --live for the logged-on user\n", cpuu_mode_name(rc->opts.mode));
	return CPUU_EXIT_GLOBAL_ERR;
}

static char *utf8_from_wide(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *out = n > 0 ? malloc((size_t)n) : NULL;
	if (out && WideCharToMultiByte(CP_UTF8, 0, w, -1, out, n, NULL, NULL) != n) {
		free(out);
		out = NULL;
	}
	return out;
}

/* A known folder of the calling user (its redirected place if redirected). */
static char *known_folder(REFKNOWNFOLDERID id)
{
	PWSTR w = NULL;
	char *out = NULL;
	if (SHGetKnownFolderPath(id, KF_FLAG_DONT_VERIFY, NULL, &w) == S_OK && w && *w)
		out = utf8_from_wide(w);
	CoTaskMemFree(w);
	return out;
}

int cli_user_folders_get(cli_user_folders *out)
{
	memset(out, 0, sizeof *out);
	out->profile = known_folder(&FOLDERID_Profile);
	out->local_appdata = known_folder(&FOLDERID_LocalAppData);
	out->roaming_appdata = known_folder(&FOLDERID_RoamingAppData);
	wchar_t name[UNLEN + 1];
	DWORD n = UNLEN + 1;
	if (GetUserNameW(name, &n))
		out->user = utf8_from_wide(name);
	return out->profile && out->user ? CPUU_OK : CPUU_ENOTFOUND;
}

void cli_user_folders_free(cli_user_folders *f)
{
	free(f->profile);
	free(f->local_appdata);
	free(f->roaming_appdata);
	free(f->user);
	memset(f, 0, sizeof *f);
}

static wchar_t *wide_from_utf8(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *out = n > 0 ? malloc((size_t)n * sizeof *out) : NULL;
	if (out && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, n) != n) {
		free(out);
		out = NULL;
	}
	return out;
}

#define NOTICE_TITLE_ENV L"CPUU_NOTICE_TITLE"
#define NOTICE_TEXT_ENV L"CPUU_NOTICE_TEXT"

/* A detached process shows the box, so the logon run never waits on it:
 * WTSSendMessageW(bWait = FALSE) would do the same on Windows, but Wine
 * implements it as a stub that fails (dlls/wtsapi32), and a thread of this
 * process would die with the run. The text goes through the environment,
 * not the command line (no quoting to get wrong). */
int cli_notice_show(void *ctx, const char *title, const char *text, char *why, size_t why_size)
{
	(void)ctx;
	wchar_t self[32768];
	DWORD n = GetModuleFileNameW(NULL, self, sizeof self / sizeof self[0]);
	wchar_t *wt = wide_from_utf8(title), *wx = wide_from_utf8(text);
	size_t cmd_len = (size_t)n + 64;
	wchar_t *cmd = malloc(cmd_len * sizeof *cmd);
	int rc = CPUU_OK;
	if (!n || n >= sizeof self / sizeof self[0] || !wt || !wx || !cmd) {
		snprintf(why, why_size, "notice: cannot prepare it (its text is not UTF-8, or no path)");
		rc = CPUU_EINVALID;
		goto done;
	}
	swprintf(cmd, cmd_len, L"\"%ls\" %hs", self, CLI_NOTICE_ARG);
	SetEnvironmentVariableW(NOTICE_TITLE_ENV, wt);
	SetEnvironmentVariableW(NOTICE_TEXT_ENV, wx);
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	/* No standard handles and no console: the box must not hold the logon
	 * script's log file (or pipe) open after the run ended. */
	si.dwFlags = STARTF_USESTDHANDLES;
	BOOL ok = CreateProcessW(self, cmd, NULL, NULL, FALSE, DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP, NULL, NULL,
				 &si, &pi);
	DWORD err = GetLastError();
	SetEnvironmentVariableW(NOTICE_TITLE_ENV, NULL);
	SetEnvironmentVariableW(NOTICE_TEXT_ENV, NULL);
	if (!ok) {
		snprintf(why, why_size, "notice: cannot start its process (error %lu)", (unsigned long)err);
		rc = CPUU_EIO;
		goto done;
	}
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
done:
	free(wt);
	free(wx);
	free(cmd);
	return rc;
}

static wchar_t *env_wide(const wchar_t *name)
{
	DWORD n = GetEnvironmentVariableW(name, NULL, 0);
	wchar_t *v = n ? malloc((size_t)n * sizeof *v) : NULL;
	if (v && GetEnvironmentVariableW(name, v, n) >= n) {
		free(v);
		v = NULL;
	}
	return v;
}

int cli_notice_child(void)
{
	wchar_t *title = env_wide(NOTICE_TITLE_ENV), *text = env_wide(NOTICE_TEXT_ENV);
	if (text)
		MessageBoxW(NULL, text, title ? title : L"cpuu",
			    MB_OK | MB_ICONINFORMATION | MB_SETFOREGROUND | MB_TOPMOST);
	free(title);
	free(text);
	return text ? 0 : CLI_EXIT_USAGE;
}
