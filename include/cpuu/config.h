/* The configuration file (cpuu.ini): a low-level INI reader and a typed view
 * over it checked against a schema of known sections and keys
 * (docs/config.md documents every key; examples/cpuu.ini is a full example).
 *
 * File format: "[Section]" headers and "Key = Value" lines; lines starting
 * with ';' or '#' (after leading blanks) are comments; blanks around names
 * and values are trimmed; a value may be wrapped in double quotes to keep
 * blanks. Encoding: UTF-8 with or without BOM, or UTF-16LE with BOM (what
 * Notepad saves as "Unicode"). Section and key names are case-insensitive.
 *
 * Passwords are never read from the INI: a key such as "Password" is refused
 * (CPUU_EINVALID); use PasswordFile or PasswordEnv and cpuu_config_password(). */
#ifndef CPUU_CONFIG_H
#define CPUU_CONFIG_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Low-level INI reader (inih style) --------------------------------- */

/* Called once per "Key = Value" line, in file order. section is "" before the
 * first header. Strings are UTF-8, NUL-terminated, trimmed, valid only during
 * the call. line is 1-based. Return CPUU_OK to continue; any negative code
 * stops the parse and is returned by cpuu_ini_parse_* (the handler should set
 * its message with the line number). */
typedef int (*cpuu_ini_handler)(void *user, const char *section, const char *key,
				const char *value, unsigned line);

/* Parses raw file bytes (any accepted encoding). Syntax errors (a line that is
 * neither a comment, a header nor Key=Value; an unterminated "[" header; an
 * empty key; invalid UTF-8 or UTF-16) stop the parse with CPUU_EINVALID and a
 * message "line N: reason". Never reads outside data[0..len). */
int cpuu_ini_parse_buffer(const void *data, size_t len, cpuu_ini_handler handler, void *user);
/* Same on a file; CPUU_ENOTFOUND if absent, CPUU_EIO if unreadable. Error
 * messages are prefixed with the path: "path:N: reason". */
int cpuu_ini_parse_file(const char *path, cpuu_ini_handler handler, void *user);

/* --- Typed configuration ------------------------------------------------ */

typedef struct cpuu_config cpuu_config;

typedef enum cpuu_config_type {
	CPUU_CFG_STRING = 0, /* any text */
	CPUU_CFG_BOOL,       /* true/false, yes/no, on/off, 1/0 (case-insensitive) */
	CPUU_CFG_INT,        /* decimal integer within [min, max] */
	CPUU_CFG_ENUM,       /* one of choices ("a|b|c"), case-insensitive; read back as written in choices */
	CPUU_CFG_LIST,       /* comma-separated items, each trimmed; "..." quotes an item holding a comma */
	CPUU_CFG_PATH        /* a path; a relative one is taken relative to the INI file's folder */
} cpuu_config_type;

/* One schema entry: every known key. */
typedef struct cpuu_config_key_info {
	const char *section;       /* canonical spelling, e.g. "General" */
	const char *key;           /* canonical spelling, e.g. "Mode" */
	cpuu_config_type type;
	const char *default_value; /* as it would be written in the INI; NULL = unset */
	const char *choices;       /* CPUU_CFG_ENUM: "update|rollback|cleanup"; a LIST of names: the names it takes; else NULL */
	long min, max;             /* CPUU_CFG_INT range (inclusive) */
	const char *help;          /* one line, for docs and `cpuu config --help` */
	/* Who reads the key ("configuration is code"): CPUU_CONFIG_BY_RUN for the
	 * run's settings (cpuu_run_opts_from_config, cpuu/runconfig.h), else the
	 * source file that reads it, e.g. "src/lib/directory/ldap_conn.c". A unit
	 * test (test_update_opts) fails for a key its consumer ignores. */
	const char *consumer;
} cpuu_config_key_info;

#define CPUU_CONFIG_BY_RUN "run"

/* The schema table (static, never freed). */
const cpuu_config_key_info *cpuu_config_schema(size_t *count);
/* The entry of section/key (case-insensitive), or NULL if unknown. */
const cpuu_config_key_info *cpuu_config_key_find(const char *section, const char *key);

/* Reads and checks a configuration. Unknown sections or keys, and a key given
 * twice (the last wins), are warnings (cpuu_config_warnings). Bad values,
 * syntax errors and password keys fail with CPUU_EINVALID and the message
 * "file:line: [Section] Key: reason" (file is "<buffer>" for load_buffer).
 * CPUU_ENOTFOUND if the file is absent. On failure *out is NULL. */
int cpuu_config_load(cpuu_config **out, const char *path);
int cpuu_config_load_buffer(cpuu_config **out, const void *data, size_t len);
/* A configuration holding only the defaults (no file). */
int cpuu_config_new(cpuu_config **out);
void cpuu_config_free(cpuu_config *cfg);

/* Sets one value as if it were read from the file (checked the same way), e.g.
 * to apply command-line overrides. CPUU_ENOTFOUND for a key not in the schema. */
int cpuu_config_set(cpuu_config *cfg, const char *section, const char *key, const char *value);

/* Warnings gathered while loading, one line each ("file:line: ..."). Owned by cfg. */
const cpuu_strlist *cpuu_config_warnings(const cpuu_config *cfg);
/* The path given to cpuu_config_load, or NULL. Owned by cfg. */
const char *cpuu_config_path(const cpuu_config *cfg);

/* Typed getters. Each returns the value set in the file, else the schema
 * default. section/key must be a schema entry of the matching type (a
 * programming error otherwise: string getters return NULL, others 0). */

/* STRING, ENUM, PATH (PATH resolved against the INI's folder), LIST (the raw
 * text). NULL when unset and without default. Owned by cfg. */
const char *cpuu_config_get_string(const cpuu_config *cfg, const char *section, const char *key);
/* BOOL: 1 or 0. */
int cpuu_config_get_bool(const cpuu_config *cfg, const char *section, const char *key);
/* INT: the value (within the schema range). */
long cpuu_config_get_int(const cpuu_config *cfg, const char *section, const char *key);
/* LIST: the items (count 0 when unset). Owned by cfg. */
const cpuu_strlist *cpuu_config_get_list(const cpuu_config *cfg, const char *section, const char *key);
/* 1 if the key was given explicitly (file or cpuu_config_set), else 0. */
int cpuu_config_is_set(const cpuu_config *cfg, const char *section, const char *key);
/* Line in the file where the key was set, or 0 (default / cpuu_config_set). */
unsigned cpuu_config_line(const cpuu_config *cfg, const char *section, const char *key);

/* The bind password of a directory section ("Source" or "Target"): the
 * contents of PasswordFile (one trailing CR/LF stripped) or the environment
 * variable named by PasswordEnv. CPUU_ENOTFOUND if neither key is set or the
 * variable is unset; CPUU_EIO if the file cannot be read. The caller frees
 * *out with cpuu_free (best wipe it first). Never logged. */
int cpuu_config_password(char **out, const cpuu_config *cfg, const char *section);

/* [Profiles] RemoteUsers plus the names in RemoteUsersFile (one a line;
 * blank lines and lines starting with ';' or '#' skipped; UTF-8 or UTF-16LE
 * with BOM), in order, without case-insensitive duplicates. out is cleared
 * first. CPUU_ENOTFOUND / CPUU_EIO / CPUU_EINVALID ("file:line: ...") for
 * problems with the file. */
int cpuu_config_remote_users(cpuu_strlist *out, const cpuu_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
