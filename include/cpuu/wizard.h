/* The configuration wizard's output: one INI file and the three batch files
 * for the logon script (CPUU_Update.bat, CPUU_Rollback.bat, CPUU_Cleanup.bat),
 * as the established tool's wizard writes them (docs/wizard.md).
 *
 * Every path and name is data: batch files quote them for cmd.exe and for
 * the program's own argument parsing, INI values read back exactly, and
 * nothing is written outside the output folder. */
#ifndef CPUU_WIZARD_H
#define CPUU_WIZARD_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpuu_wizard {
	/* Where cpuu.exe is at logon time (UNC or local). NULL: beside the batch
	 * files (the usual NETLOGON layout), written as %~dp0 so the batch file
	 * itself holds no path at all: cmd.exe reads batch files in the console
	 * code page, so a literal non-ASCII path only survives where chcp 65001
	 * takes effect (Windows 10+, not Wine). */
	const char *exe;
	const char *ini;           /* where the INI is at logon time; NULL: beside the exe */
	const char *mapping;       /* [Mapping] File, or NULL (live directories) */
	const char *log_share;     /* [General] LogShare, or NULL */
	const char *state_dir;     /* [General] BackupDir, or NULL (%LOCALAPPDATA%\cpuu) */
	const cpuu_strlist *profiles; /* [Profiles] Profiles; NULL or empty: all */
	const char *cached;        /* [Profiles] CachedProfiles: all|listed|none, or NULL */
	const cpuu_strlist *remote_users; /* [Profiles] RemoteUsers */
	/* [Features] overrides as "Name=yes|no"; NULL: defaults. A value equal
	 * to the schema's default is not written (every written key changes
	 * what the run does). */
	const cpuu_strlist *features;
	/* Where the mailboxes go: "onprem" or "online" (Exchange Online), or
	 * NULL. Online needs the exported mapping file (the workstation cannot
	 * read the target's directory over LDAP): refused without one. */
	const char *target;
	/* Live directories instead of a mapping file: [Source]/[Target] Url and
	 * BaseDN (binds and the switch signal are set by hand: docs/config.md). */
	const char *source_url, *source_base, *target_url, *target_base;
} cpuu_wizard;

/* With a log share, each workstation logs locally under a name of its own
 * (user, host, date and time; the run log's placeholders) and the run copies
 * the log and its result records to the share at its end (docs/wizard.md):
 * these are the [General] LogFile and ResultFile the wizard writes. */
#define CPUU_WIZARD_LOG_FILE "%TEMP%\\cpuu_#u_#h_#d_#t.log"
#define CPUU_WIZARD_RESULT_FILE "%TEMP%\\cpuu_#u_#h_#d_#t.jsonl"

/* Writes cpuu.ini and the three batch files into dir (which must exist),
 * each atomically. CPUU_EINVALID (nothing written) for values that cannot be
 * carried safely: a double quote, control characters or a line break in a
 * path or name, an unknown feature or CachedProfiles value. */
int cpuu_wizard_write(const char *dir, const cpuu_wizard *w);

/* One command-line argument for a batch file: in double quotes, '%' doubled
 * (cmd.exe expands it even inside quotes), backslashes before the closing
 * quote doubled (the C runtime's argv rules). CPUU_EINVALID for '"',
 * control characters and line breaks. */
int cpuu_wizard_bat_arg(char **out, const char *s);

/* An INI value as written by the wizard, so that cpuu_config_load reads s
 * back unchanged. CPUU_EINVALID for line breaks and control characters. */
int cpuu_wizard_ini_value(char **out, const char *s);

#ifdef __cplusplus
}
#endif
#endif
