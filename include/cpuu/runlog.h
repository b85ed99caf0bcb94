/* The run's log, as the established tool keeps it (docs/logging.md): a local
 * log file (name with placeholders), the result records appended as JSON
 * lines, and a copy of both to a log share at the end. Failures never stop
 * the run; they become the exit bits FAILED_TO_WRITE_LOG (64) and
 * FAILED_TO_COPY_LOCALLOG_TO_REMOTE_SHARE (256). No password or token is ever
 * written: the log only holds result records and cpuu's own messages. */
#ifndef CPUU_RUNLOG_H
#define CPUU_RUNLOG_H

#include "cpuu/runconfig.h"
#include "cpuu/update.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpuu_runlog cpuu_runlog;

typedef struct cpuu_runlog_opts {
	/* [General] LogFile: local log; placeholders #u user, #h host, #d date
	 * (YYYYMMDD), #t time (HHMMSS, UTC), ## a '#'. NULL: no local log. */
	const char *log_file;
	/* [General] ResultFile: JSON-lines records appended (same placeholders). */
	const char *result_file;
	/* [General] LogShare: folder the log and result files are copied to at the end. */
	const char *log_share;
	const char *user;
	const char *host;
	/* [Logging] Level: lines less severe are left out (0: info). */
	cpuu_log_level level;
} cpuu_runlog_opts;

/* Expands the placeholders of a file name. User and host names are data:
 * characters that could leave the folder or confuse a path ('/', '\\', ':',
 * control characters, a leading '.') become '_'. */
int cpuu_runlog_expand(char **out, const char *pattern, const char *user, const char *host);

/* Opens (appends to) the files; never fails the run: a file that cannot be
 * opened sets the FAILED_TO_WRITE_LOG bit for cpuu_runlog_close. */
int cpuu_runlog_open(cpuu_runlog **out, const cpuu_runlog_opts *opts);
/* One timestamped line in the log. */
void cpuu_runlog_line(cpuu_runlog *log, const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 2, 3))) /* mingw's C99 printf, not msvcrt's */
#elif defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* The same at a level: written only when at least as severe as the log's
 * [Logging] Level (cpuu_runlog_line is CPUU_LOG_INFO). */
void cpuu_runlog_msg(cpuu_runlog *log, cpuu_log_level level, const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 3, 4)))
#elif defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* The records of a run: one line each in the log (an error record at level
 * error, no match or ambiguous at warning, the others at info), and every
 * record as JSON lines in the result file whatever the level. */
void cpuu_runlog_results(cpuu_runlog *log, const cpuu_results *results);
/* Closes the files, copies them to the share; returns the exit bits for
 * what failed (0 when all went well). Frees log. */
unsigned cpuu_runlog_close(cpuu_runlog *log);

#ifdef __cplusplus
}
#endif
#endif
