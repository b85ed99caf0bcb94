/* A run's settings from cpuu.ini: the one place where the [General],
 * [Profiles], [Features], [Processes] and [Logging] keys become the options
 * of an update, rollback or cleanup run (src/lib/update/opts.c; curl's
 * config2setopts.c is the model). Every default lives once, in the schema
 * (src/lib/config/schema.c); the command line is applied on top by the
 * caller. A unit test (test_update_opts) fails when a schema key marked
 * CPUU_CONFIG_BY_RUN does not change what this returns. */
#ifndef CPUU_RUNCONFIG_H
#define CPUU_RUNCONFIG_H

#include "cpuu/config.h"
#include "cpuu/update.h"

#ifdef __cplusplus
extern "C" {
#endif

/* [Logging] Level: the least severe line the run log keeps. */
typedef enum cpuu_log_level {
	CPUU_LOG_DEFAULT = 0, /* info: what a zeroed options struct gets */
	CPUU_LOG_ERROR,
	CPUU_LOG_WARNING,
	CPUU_LOG_INFO,
	CPUU_LOG_DEBUG
} cpuu_log_level;

typedef struct cpuu_run_config {
	/* mode ([General] Mode), dry_run, state_dir ([General] BackupDir),
	 * profiles, cached_rule, remote_users, every [Features] switch. */
	cpuu_run_opts opts;
	unsigned workers;            /* [General] Workers: bulk workers, 0 = one per core */
	const char *temp_dir;        /* [General] TempDir; NULL: the system's */
	const char *log_file;        /* [General] LogFile (#u/#h/#d/#t: cpuu_runlog_expand) */
	const char *result_file;     /* [General] ResultFile */
	const char *log_share;       /* [General] LogShare */
	cpuu_log_level log_level;    /* [Logging] Level */
	int json_results;            /* [Logging] JsonResults: records as JSON lines on stdout */
	const cpuu_strlist *process_names; /* [Processes] Names; NULL: procstop's own list */
	unsigned grace_ms;           /* [Processes] GraceSeconds, in ms */
	int ask;                     /* [Processes] Ask */
	/* Storage behind the pointers above (environment references expanded,
	 * remote users read from RemoteUsersFile); cpuu_run_config_clear frees it. */
	cpuu_strlist owned_remote_users;
	char *owned_paths[5];
	/* What the run was asked and does not do (an established-tool feature
	 * named in Critical): one line each, for the caller to print. */
	cpuu_strlist warnings;
} cpuu_run_config;

/* Fills *out from cfg (which must outlive *out: strings are borrowed from
 * it). Paths holding environment references (%LOCALAPPDATA%\cpuu) are
 * expanded; an unset variable is CPUU_EINVALID naming the key. RemoteUsersFile
 * problems as for cpuu_config_remote_users. *out is cleared on failure. */
int cpuu_run_opts_from_config(cpuu_run_config *out, const cpuu_config *cfg);
void cpuu_run_config_clear(cpuu_run_config *rc);

/* Every setting as "name=value" lines, in a fixed order (the run log writes
 * it at Level = debug). The caller frees *out with cpuu_free. */
int cpuu_run_config_describe(char **out, const cpuu_run_config *rc);

/* The run's temporary folder: creates [General] TempDir (and missing parents)
 * when set, and checks that it is a folder. CPUU_EIO with the path when it
 * cannot be made; the run then ends with FAILED_TO_CREATE_TMP_DIR (128). */
int cpuu_run_temp_dir_create(const cpuu_run_config *rc);

/* The established tool's -Critical names (any case) -> CPUU_CRITICAL_* bits
 * added to *bits. Names of features cpuu does not migrate (Activities,
 * Delegates, Rules, SRS, SearchFolders, Shortcuts) add a line to warnings;
 * any other name is CPUU_EINVALID naming it. */
int cpuu_critical_from_names(unsigned *bits, cpuu_strlist *warnings, const cpuu_strlist *names);

/* "error", "warning", "info", "debug" -> level; CPUU_ENOTFOUND otherwise. */
int cpuu_log_level_from_name(cpuu_log_level *out, const char *name);

#ifdef __cplusplus
}
#endif
#endif
