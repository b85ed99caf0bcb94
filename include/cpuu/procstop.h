/* Stopping Outlook and other MAPI clients before a profile changes
 * (docs/procstop.md): first asked politely (Windows: WM_CLOSE to their
 * windows; POSIX: SIGTERM), given a grace period, then ended (Windows:
 * TerminateProcess; POSIX: SIGKILL). Process names compare without case
 * ("OUTLOOK.EXE" matches "outlook.exe"). */
#ifndef CPUU_PROCSTOP_H
#define CPUU_PROCSTOP_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The default list: Outlook and the usual MAPI clients that hold a profile
 * open (Skype for Business / Lync, Communicator, Teams classic's Outlook
 * add-in host, the Office click-to-run MAPI hosts). */
const cpuu_strlist *cpuu_procstop_default_names(void);

/* Asked before anything is stopped (interactive runs): return nonzero to go
 * on, 0 when the user refuses (then nothing is stopped: CPUU_EABORTED). */
typedef int (*cpuu_procstop_confirm)(void *ctx, const cpuu_strlist *running);

typedef struct cpuu_procstop_result {
	cpuu_strlist running;   /* "name (pid)" found at the start */
	size_t closed;          /* ended after the polite request */
	size_t killed;          /* had to be ended */
	size_t survived;        /* could not be ended */
} cpuu_procstop_result;

void cpuu_procstop_result_clear(cpuu_procstop_result *r);

/* Stops every running process named in names (NULL: the default list).
 * grace_ms: how long the polite request may take. confirm may be NULL.
 * CPUU_EABORTED when the user refused; CPUU_ERROR when some survived. */
int cpuu_procstop_run(cpuu_procstop_result *out, const cpuu_strlist *names, unsigned grace_ms,
		      cpuu_procstop_confirm confirm, void *ctx);

/* A cpuu_procstop_confirm that asks the logged-on user ([Processes] Ask): a
 * Yes/No message box on Windows (user32 loaded only then), a [Y/n] question
 * on a terminal elsewhere. 1 to go on; 0 when refused or when nobody can be
 * asked (no terminal, no user32). ctx: the run's mode name ("update",
 * "rollback"; NULL: update), so the question matches the action. */
int cpuu_procstop_ask_user(void *ctx, const cpuu_strlist *running);

#ifdef __cplusplus
}
#endif
#endif
