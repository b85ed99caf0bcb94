/* Registry layer: one interface over several backends (hive files via hivex;
 * the live Windows registry in the Windows build). Keys and value names are
 * UTF-8; value data is raw bytes exactly as stored (REG_SZ data is UTF-16LE
 * as in the hive). Paths use '\\' as separator and are relative to the
 * backend's root (the hive root, or HKEY_CURRENT_USER).
 *
 * Hive files: writes are buffered in the handle and only reach the file on
 * cpuu_reg_commit(), which is atomic (temp file in the same folder, fsync,
 * rename). cpuu_reg_free() drops uncommitted changes. The live registry
 * applies each change at once (cpuu_reg_open_live, docs/windows.md). */
#ifndef CPUU_REGISTRY_H
#define CPUU_REGISTRY_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cpuu_reg_type {
	CPUU_REG_NONE = 0,
	CPUU_REG_SZ = 1,
	CPUU_REG_EXPAND_SZ = 2,
	CPUU_REG_BINARY = 3,
	CPUU_REG_DWORD = 4,
	CPUU_REG_DWORD_BIG_ENDIAN = 5,
	CPUU_REG_LINK = 6,
	CPUU_REG_MULTI_SZ = 7,
	CPUU_REG_RESOURCE_LIST = 8,
	CPUU_REG_FULL_RESOURCE_DESCRIPTOR = 9,
	CPUU_REG_RESOURCE_REQUIREMENTS_LIST = 10,
	CPUU_REG_QWORD = 11
};

typedef struct cpuu_reg cpuu_reg;         /* an open registry */
typedef struct cpuu_reg_key cpuu_reg_key; /* an open key; free with cpuu_reg_key_free */

typedef struct cpuu_reg_value {
	char *name;      /* UTF-8; "" is the default value */
	uint32_t type;   /* enum cpuu_reg_type, or any other number found */
	uint8_t *data;
	size_t len;
	/* Nonzero: name lives in data's allocation, right after the data (the
	 * hive backend's values: one allocation each). cpuu_reg_value_clear
	 * knows; a caller may still take data over (and free it), the name
	 * then going with it. Zero (as from memset/{0}): each freed on its own. */
	int name_in_data;
} cpuu_reg_value;

#define CPUU_REG_OPEN_WRITE 1u

/* Opens a hive file. Refuses (before touching anything):
 *  CPUU_ENOTFOUND  no such file
 *  CPUU_ECORRUPT   not a regf hive, truncated, bad checksum or structure
 *  CPUU_EDIRTY     header sequence numbers differ (unreplayed .LOG1/.LOG2)
 *  CPUU_EREADONLY  CPUU_REG_OPEN_WRITE on a file or folder we cannot write */
int cpuu_reg_open_hive(cpuu_reg **out, const char *path, unsigned flags);

/* How a hive is opened (cpuu_reg_open_hive_ex). A write open takes the
 * hive's one-writer lock before reading it and keeps it until
 * cpuu_reg_free, so no other cpuu run writes the hive in between
 * (docs/registry.md, "One writer per hive"). */
typedef struct cpuu_reg_open_opts {
	unsigned flags;        /* CPUU_REG_OPEN_WRITE */
	int lock_wait_ms;      /* how long to wait for another run's lock before
				  CPUU_ELOCKED (default 5000; 0: do not wait) */
	unsigned lock_stale_s; /* where fcntl locks do not work (NFS without
				  lockd): another host's lock is taken for
				  abandoned after this many seconds (default 900) */
} cpuu_reg_open_opts;
void cpuu_reg_open_opts_init(cpuu_reg_open_opts *opts);
/* cpuu_reg_open_hive with options (NULL: the defaults, read-only). Besides
 * the refusals above: CPUU_ELOCKED when another run keeps the hive's lock
 * longer than lock_wait_ms; CPUU_ECORRUPT when the full structural walk
 * finds a broken hive (cycles, cells or offsets out of place, what hivex's
 * own visitor rejects). cpuu_reg_open_hive(out, path, flags) is this with
 * the defaults and those flags. */
int cpuu_reg_open_hive_ex(cpuu_reg **out, const char *path, const cpuu_reg_open_opts *opts);
/* Opens the logged-on user's live registry (HKEY_CURRENT_USER) on Windows;
 * CPUU_EUNSUPPORTED on other systems. Unlike a hive, changes are applied to
 * the registry at once (Windows offers no cheap transaction here):
 * cpuu_reg_commit only flushes them and cpuu_reg_free cannot drop them;
 * cpuu_reg_dirty says whether changes were made since the last commit.
 * Keys and values are opened by name on every call, so a key deleted by
 * someone else is reported as CPUU_ENOTFOUND, never silently recreated.
 * See docs/windows.md. */
int cpuu_reg_open_live(cpuu_reg **out, unsigned flags);
void cpuu_reg_free(cpuu_reg *reg);
/* "hive" or "win32" (for messages: callers decide by the capabilities). */
const char *cpuu_reg_backend_name(const cpuu_reg *reg);
/* What a backend does differently, so callers ask for the behaviour rather
 * than compare backend names. */
#define CPUU_REG_CAP_LIVE 1u           /* each change reaches the registry at once; the commit
					* only flushes and cpuu_reg_free cannot drop changes */
#define CPUU_REG_CAP_STABLE_NODES 2u   /* key ids stay valid between calls (paths may be cached) */
#define CPUU_REG_CAP_NEEDS_STATE_DIR 4u /* no file of its own: state (backups, journal) needs a
					 * folder given by the caller */
/* The CPUU_REG_CAP_* bits of reg's backend (0 for NULL). */
unsigned cpuu_reg_capabilities(const cpuu_reg *reg);

/* Opens the root key. */
int cpuu_reg_root(cpuu_reg_key **out, cpuu_reg *reg);
/* Opens parent\subpath (parent NULL = root); CPUU_ENOTFOUND if absent. */
int cpuu_reg_key_open(cpuu_reg_key **out, cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath);
/* Opens or creates every component of parent\subpath. */
int cpuu_reg_key_create(cpuu_reg_key **out, cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath);
/* Deletes parent\subpath with everything below it; CPUU_ENOTFOUND if absent. */
int cpuu_reg_key_delete(cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath);
void cpuu_reg_key_free(cpuu_reg_key *key);
/* The key's own name (UTF-8), owned by the key. */
const char *cpuu_reg_key_name(const cpuu_reg_key *key);
/* The key's path from the root as stored ("" for the root), owned by the key. */
const char *cpuu_reg_key_path(const cpuu_reg_key *key);

/* Names of the subkeys, in the backend's stored order. */
int cpuu_reg_key_subkeys(cpuu_strlist *out, cpuu_reg *reg, const cpuu_reg_key *key);
/* All values of the key, in stored order. */
int cpuu_reg_key_values(cpuu_reg_value **out, size_t *count, cpuu_reg *reg, const cpuu_reg_key *key);
void cpuu_reg_values_free(cpuu_reg_value *values, size_t count);
/* The same values without a copy for the caller: *out is the registry's own
 * buffer of the key (hive backend; other backends: a copy the handle keeps).
 * Read-only, never freed by the caller, valid until the next change through
 * reg (a value set or deleted, a key created or deleted), a commit or
 * cpuu_reg_free; reading other keys meanwhile keeps it valid. For readers
 * that only look (a profile's sections, an export): no allocation per value. */
int cpuu_reg_key_values_view(const cpuu_reg_value **out, size_t *count, cpuu_reg *reg, const cpuu_reg_key *key);

/* One value by name (case-insensitive as Windows); CPUU_ENOTFOUND if absent.
 * out->name carries the name as stored (its case). Free with cpuu_reg_value_clear. */
int cpuu_reg_value_get(cpuu_reg_value *out, cpuu_reg *reg, const cpuu_reg_key *key, const char *name);
void cpuu_reg_value_clear(cpuu_reg_value *value);
/* Sets (creates or replaces) a value. A value whose name differs only in case
 * is replaced and keeps its stored name. */
int cpuu_reg_value_set(cpuu_reg *reg, const cpuu_reg_key *key, const char *name,
		       uint32_t type, const uint8_t *data, size_t len);
/* Deletes a value; CPUU_ENOTFOUND if absent. */
int cpuu_reg_value_delete(cpuu_reg *reg, const cpuu_reg_key *key, const char *name);

typedef struct cpuu_reg_commit_opts {
	/* Where to keep the original file. NULL: "<hive>.cpuu-bak" (then
	 * "<hive>.cpuu-bak.1", ... never overwriting an older backup). */
	const char *backup_path;
	int no_backup; /* nonzero: keep no copy of the original */
} cpuu_reg_commit_opts;

/* Writes all pending changes atomically. No pending change: nothing is written
 * (and no backup made). opts may be NULL. On failure the original file is
 * untouched and CPUU_EIO / CPUU_EREADONLY is returned. */
int cpuu_reg_commit(cpuu_reg *reg, const cpuu_reg_commit_opts *opts);
/* Two-phase commit, for committing many hives with shared durability
 * (bulk runs): prepare writes the new contents beside the original without
 * syncing (the original is untouched); once every hive of a batch is
 * prepared, flush each (fsync of its temp file: issued back to back, the
 * first journal commit carries them all), finish each (the atomic rename),
 * and sync each hive's folder. Each file is still either old or new after a
 * crash. abort drops a prepared commit. Backends without a two-phase commit
 * do nothing in prepare and flush and commit in finish. */
int cpuu_reg_commit_prepare(cpuu_reg *reg, const cpuu_reg_commit_opts *opts);
int cpuu_reg_commit_flush(cpuu_reg *reg);
int cpuu_reg_commit_finish(cpuu_reg *reg);
void cpuu_reg_commit_abort(cpuu_reg *reg);
/* fsync of a file or a folder by path (CPUU_EIO naming it on failure; a
 * no-op where the platform writes through). */
int cpuu_sync_path(const char *path);

/* Nonzero if there are uncommitted changes. */
int cpuu_reg_dirty(const cpuu_reg *reg);
/* Path of the backup the last commit made, or NULL. Owned by reg. */
const char *cpuu_reg_last_backup(const cpuu_reg *reg);

/* Secrets that must never reach a backup, log or report (secret.c): a
 * value named as a password by Outlook's account manager ("IMAP Password",
 * "POP3 Password", "SMTP Password", "HTTP Password", "NNTP Password",
 * "Password"; case as Windows compares), or any value whose data holds a
 * DPAPI blob (version 1 + provider GUID df9d8cd0-1501-11d1-8c7a-
 * 00c04fc297eb, within its first 16 bytes). Secure MAPI properties
 * ("S" + 8 hex digits) are the mapi module's to recognise. Nonzero: keep
 * only a placeholder, and take the value from the hive on rollback. */
int cpuu_reg_value_is_secret(const char *name, uint32_t type, const uint8_t *data, size_t len);
int cpuu_reg_data_is_dpapi(const uint8_t *data, size_t len);

/* Writes a new, empty but valid hive (root key + security cell) to path; it
 * must not exist. root_name is the root key's name (NULL: "ROOT"). */
int cpuu_hive_create_blank(const char *path, const char *root_name);

/* Helpers over cpuu_reg_value_get/set for string values (REG_SZ/EXPAND_SZ as
 * UTF-16LE; a REG_BINARY holding UTF-16LE is also accepted by the getter). */
int cpuu_reg_get_string(char **out, cpuu_reg *reg, const cpuu_reg_key *key, const char *name);
int cpuu_reg_set_string(cpuu_reg *reg, const cpuu_reg_key *key, const char *name, const char *utf8);
int cpuu_reg_get_dword(uint32_t *out, cpuu_reg *reg, const cpuu_reg_key *key, const char *name);
int cpuu_reg_set_dword(cpuu_reg *reg, const cpuu_reg_key *key, const char *name, uint32_t v);

#ifdef __cplusplus
}
#endif
#endif
