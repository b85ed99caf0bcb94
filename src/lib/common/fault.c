/* Fault injection for the reliability tests: CPUU_FAULT="<point>:fail" makes
 * that write step fail as if the disk had refused it; "<point>:kill" ends
 * the process right there, as a power cut or a killed logon script would.
 * With CPUU_FAULT_SUBJECT=<text> as well, only work whose subject (the hive
 * being processed, cpuu_fault_subject) contains that text is hit, so a test
 * can crash one hive of a bulk run. "<point>:run" runs the shell command in
 * CPUU_FAULT_RUN right there and goes on: a test makes a race deterministic
 * by doing what the other party would do at that exact moment (swap a
 * symlink in, write the hive with hivexsh). "<point>:crash" faults there as
 * a bug would (an access violation on Windows, where the CLI's
 * unhandled-exception handler must turn it into exit bit CRASH, 32; SIGABRT
 * elsewhere). Unset (always, outside tests) it costs one getenv per write
 * step. */
#include "common/internal.h"

#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

static const char *current_subject;

void cpuu_fault_subject(const char *subject)
{
	current_subject = subject;
}

int cpuu_fault(const char *point)
{
	const char *f = getenv("CPUU_FAULT");
	if (!f || !*f)
		return 0;
	const char *only = getenv("CPUU_FAULT_SUBJECT");
	if (only && *only && (!current_subject || !strstr(current_subject, only)))
		return 0;
	size_t n = strlen(point);
	if (strncmp(f, point, n) != 0 || f[n] != ':')
		return 0;
	if (!strcmp(f + n + 1, "kill")) {
#ifdef _WIN32
		_Exit(137);
#else
		raise(SIGKILL);
		_exit(137);
#endif
	}
	if (!strcmp(f + n + 1, "run")) {
		const char *cmd = getenv("CPUU_FAULT_RUN");
		if (cmd && *cmd)
			(void)!system(cmd); /* the race happens now; its outcome is the test's to check */
		return 0;
	}
	if (!strcmp(f + n + 1, "crash")) {
#ifdef _WIN32
		RaiseException(EXCEPTION_ACCESS_VIOLATION, EXCEPTION_NONCONTINUABLE, 0, NULL);
#endif
		abort();
	}
	return !strcmp(f + n + 1, "fail");
}
