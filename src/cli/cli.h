#ifndef CPUU_CLI_H
#define CPUU_CLI_H

#include "cpuu/common.h"
#include "cpuu/runconfig.h"
#include "cpuu/update.h"

#define CPUU_VERSION_STRING "0.1.0"

/* Exit codes of the tool commands (inspect, map, ...); docs/exit-codes.md.
 * update/rollback/cleanup use the established tool's bit mask instead. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,       /* generic failure */
	CLI_EXIT_USAGE = 2,       /* bad command line */
	CLI_EXIT_NOTFOUND = 3,    /* file, key or record not found */
	CLI_EXIT_DIRTY = 4,       /* hive has unreplayed transaction logs */
	CLI_EXIT_CORRUPT = 5,     /* not a hive, truncated, corrupt */
	CLI_EXIT_IO = 6,          /* cannot read/write (read-only, disk full) */
	CLI_EXIT_INVALID = 7,     /* malformed data (bad value type, bad UTF-16, ...) */
	CLI_EXIT_UNSUPPORTED = 8, /* format or feature refused */
	CLI_EXIT_AMBIGUOUS = 9,   /* ambiguous match */
	CLI_EXIT_NETWORK = 10,    /* directory unreachable / timeout */
	CLI_EXIT_AUTH = 11,       /* directory refused credentials */
	CLI_EXIT_TLS = 12,        /* TLS failure */
	CLI_EXIT_LOCKED = 13      /* another cpuu run holds the hive (waited, then refused) */
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

int cli_cmd_inspect(int argc, char **argv);
int cli_cmd_map(int argc, char **argv);
int cli_cmd_map_index(int argc, char **argv); /* map_index.c */
int cli_cmd_update(int argc, char **argv);
int cli_cmd_wizard(int argc, char **argv);
int cli_cmd_rollback(int argc, char **argv);
int cli_cmd_cleanup(int argc, char **argv);
int cli_cmd_report(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_decode(int argc, char **argv);

/* Runs a mode over many hives with parallel workers (0: one per core); the
 * workers' scratch files go in a new folder inside rc->temp_dir (else the
 * system's). A hive named twice (same device and inode) is run once.
 * With shard->count > 1 only the hives of shard->index (cpuu_shard_of their
 * user folder's name) are run.
 * Returns the OR of every hive's exit bits. Windows: refused (posix/ only). */
struct cli_shard;
unsigned cli_run_bulk(const char *hives_file, const char *users_dir, unsigned workers, int batch,
		      const struct cli_shard *shard, const cpuu_run_config *rc, const cpuu_match_source *resolver);

/* Prints "cpuu: <message>" from cpuu_error_last() and maps its code to an exit code. */
int cli_fail(void);
/* A name from a profile or the directory for printf: the text of
 * cpuu_display_escape (controls, bidi overrides shown escaped), kept until
 * eight more calls were made (shown.c; the CLI is single-threaded). */
const char *cli_shown(const char *s);
/* Platform parts (posix/platform.c, win32/platform.c). */
/* Standard streams as the platform needs them before any output. */
void cli_platform_init(void);
/* This machine's name (for log file names); "" when unknown. */
void cli_host_name(char *buf, size_t size);
/* 1 when standard input is a terminal someone can answer on. */
int cli_stdin_is_terminal(void);
int cli_exit_code(int cpuu_code);
/* The lean Linux `cpuu` (lean/admin.c): execs cpuu-admin, the full executable
 * beside it, with this command's arguments (argv[0] is the command name).
 * Returns only on failure (-1, after one line on stderr). */
int cli_admin_exec(int argc, char **argv);

/* The logged-on user's folders as Windows knows them (known folders, not the
 * environment, which a logon script may lack): the profile folder
 * (C:\\Users\\<name>), Local and Roaming AppData, and the user's name. */
typedef struct cli_user_folders {
	char *profile, *local_appdata, *roaming_appdata, *user; /* UTF-8; NULL: unknown */
} cli_user_folders;
/* Fills what it finds (Windows); POSIX has no logged-on user's registry and
 * finds nothing. Returns CPUU_OK when the profile folder and the user are known. */
int cli_user_folders_get(cli_user_folders *out);
void cli_user_folders_free(cli_user_folders *f);

/* The user's notice ([M365] Notice, docs/m365.md) in the logged-on user's
 * session, never waited for: Windows starts this executable again, detached,
 * as `cpuu.exe --show-notice` (the text passed in its environment), which
 * shows the message box and ends when the user closes it; the logon run
 * goes on at once. POSIX: CPUU_EUNSUPPORTED (no session to show it in). */
#define CLI_NOTICE_ARG "--show-notice"
int cli_notice_show(void *ctx, const char *title, const char *text, char *why, size_t why_size);
/* The detached process's side: shows the notice, returns when closed. */
int cli_notice_child(void);

#endif
