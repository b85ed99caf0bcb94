/* Private declarations of the registry layer (see docs/registry.md).
 *
 * The public functions in registry.c validate arguments, split paths and
 * manage key handles; everything backend-specific goes through the vtable
 * below, one component at a time, so a win32 backend (RegOpenKeyExW & co.)
 * can be added beside the hivex one without touching callers. */
#ifndef CPUU_REGISTRY_INTERNAL_H
#define CPUU_REGISTRY_INTERNAL_H

#include "common/internal.h"
#include "cpuu/registry.h"

#include <stdbool.h>
#include <stdint.h>

/* Hives written by hivex have no big-data (db) cells, and regf >= 1.4 needs
 * them above this size (msuhanov regf spec, "Big data"). */
#define CPUU_REG_MAX_VALUE_LEN 16344u
/* Windows limits: key names 255 characters, value names 16383. */
#define CPUU_REG_MAX_KEY_NAME 255u
#define CPUU_REG_MAX_VALUE_NAME 16383u

typedef uint64_t cpuu_reg_node; /* backend key id (hivex offset, HKEY, ...) */

typedef struct cpuu_reg_backend {
	const char *name;
	void (*close)(void *impl);
	int (*root)(cpuu_reg_node *node, char **name, void *impl);
	/* One path component; CPUU_ENOTFOUND when absent (the message may be
	 * left unset: registry.c sets one naming the whole path).
	 * stored_name (may be NULL) receives the name as stored. */
	int (*child)(cpuu_reg_node *out, char **stored_name, void *impl, cpuu_reg_node parent, const char *name);
	int (*add_child)(cpuu_reg_node *out, void *impl, cpuu_reg_node parent, const char *name);
	int (*delete_child)(void *impl, cpuu_reg_node parent, cpuu_reg_node child);
	int (*subkeys)(cpuu_strlist *out, void *impl, cpuu_reg_node node);
	int (*values)(cpuu_reg_value **out, size_t *count, void *impl, cpuu_reg_node node);
	/* Optional: the backend's own copy of the values, valid until the next
	 * change or commit (NULL: registry.c keeps copies). */
	int (*values_view)(const cpuu_reg_value **out, size_t *count, void *impl, cpuu_reg_node node);
	int (*value_get)(cpuu_reg_value *out, void *impl, cpuu_reg_node node, const char *name);
	int (*value_set)(void *impl, cpuu_reg_node node, const char *name, uint32_t type,
			 const uint8_t *data, size_t len);
	int (*value_delete)(void *impl, cpuu_reg_node node, const char *name);
	int (*commit)(void *impl, const cpuu_reg_commit_opts *opts);
	/* Optional two-phase commit (NULL: prepare does nothing, finish is
	 * commit): prepare writes without syncing, finish puts it in place. */
	int (*commit_prepare)(void *impl, const cpuu_reg_commit_opts *opts);
	int (*commit_flush)(void *impl);
	int (*commit_finish)(void *impl);
	void (*commit_abort)(void *impl);
	int (*dirty)(const void *impl);
	const char *(*last_backup)(const void *impl);
	/* Bumped whenever keys are deleted: node ids resolved under an older
	 * generation may be stale and are re-resolved by path. */
	uint64_t (*generation)(const void *impl);
	/* CPUU_REG_CAP_*. With CPUU_REG_CAP_STABLE_NODES, node ids stay valid
	 * until the generation moves or a commit, so whole paths may be cached
	 * (path_cache.c). */
	unsigned caps;
} cpuu_reg_backend;

/* path_cache.c: key paths from the root -> node, names as stored. */
typedef struct cpuu_reg_path_slot {
	char *path;     /* as stored; NULL: empty slot */
	size_t len;     /* of path */
	size_t name_at; /* the last component (the key's name) starts here */
	uint64_t hash;
	cpuu_reg_node node;
} cpuu_reg_path_slot;

typedef struct cpuu_reg_path_cache {
	cpuu_reg_path_slot *slots;
	size_t cap, count;
	uint64_t generation;
} cpuu_reg_path_cache;

/* A hash of len bytes with ASCII case folded, a word at a time (seed: 0 or
 * what else tells entries apart), and whether they are ASCII at all: false
 * when not. For the lookup caches, which ask it on every key open. */
bool cpuu_reg_hash_ascii(uint64_t *h, uint64_t seed, const char *s, size_t len);
/* path: len bytes (NUL-terminated). */
const cpuu_reg_path_slot *cpuu_reg_path_cache_get(cpuu_reg_path_cache *c, uint64_t generation, const char *path,
						  size_t len);
void cpuu_reg_path_cache_put(cpuu_reg_path_cache *c, uint64_t generation, const char *path, size_t len,
			     size_t name_at, cpuu_reg_node node);
void cpuu_reg_path_cache_clear(cpuu_reg_path_cache *c);

struct cpuu_reg {
	const cpuu_reg_backend *ops;
	void *impl;
	unsigned flags;
	char *where; /* file path (or "HKCU") for messages */
	/* A prepared commit of a backend without two-phase commit. */
	int prepared;
	int prepared_no_backup;
	char *prepared_backup_path;
	cpuu_reg_path_cache paths; /* only for backends with stable node ids */
	/* cpuu_reg_key_values_view copies of a backend without values_view,
	 * dropped at the next change, commit or free. */
	struct cpuu_reg_view {
		cpuu_reg_value *vals;
		size_t count;
	} *views;
	size_t nviews, capviews;
};

struct cpuu_reg_key {
	cpuu_reg *reg;
	char *name;          /* as stored */
	char *path;          /* from the root, '\\'-separated as stored; "" = root */
	cpuu_reg_node node;  /* cached; valid while generation matches */
	uint64_t generation;
};

/* Registry open/close shared by the backends. */
int cpuu_reg_wrap(cpuu_reg **out, const cpuu_reg_backend *ops, void *impl, unsigned flags, const char *where);

/* Value-name comparison as Windows does it for the characters we know how
 * to fold (ASCII and Latin-1); 0 when equal. */
int cpuu_reg_name_cmp(const char *a, const char *b);
/* Own strict UTF-8 check (no dependency on the unicode module here). */
int cpuu_reg_utf8_ok(const char *s);
/* Nonzero if s is plain ASCII (the names the lookup caches take). */
int cpuu_reg_is_ascii(const char *s);

/* --- hive backend (hive*.c) --- */

/* The header facts validation gathers (hive_open.c). */
typedef struct cpuu_hive_header {
	uint32_t seq1, seq2;
	uint32_t major, minor;
	uint32_t root_offset;
	uint32_t bins_size;
	uint64_t file_size;
} cpuu_hive_header;

/* Checks the base block of the open hive fd (path: for messages) before
 * hivex sees it. */
int cpuu_hive_validate(cpuu_hive_header *hdr, int fd, const char *path);
/* The full structural walk (hive_check.c) of size bytes of a hive image;
 * CPUU_ECORRUPT naming what is broken and where. Bounded: one pass over
 * the bins, every key cell visited at most once, depth at most 512. */
int cpuu_hive_check(const uint8_t *data, size_t size, const char *path);
/* The same over an open file (mapped read-only). */
int cpuu_hive_check_fd(int fd, uint64_t size, const char *path);
/* The same over a copy of the file read into memory, handed out in *image
 * when the check passes (the caller frees it). */
int cpuu_hive_check_read(uint8_t **image, int fd, uint64_t size, const char *path);
/* The memory of such a copy (size bytes). */
uint8_t *cpuu_hive_image_alloc(size_t size);
void cpuu_hive_image_free(uint8_t *image, size_t size);
/* XOR-32 of the first 508 bytes, with Windows' 0 -> 1 and
 * 0xFFFFFFFF -> 0xFFFFFFFE substitutions (WRK hivesum.c). */
uint32_t cpuu_hive_checksum(const uint8_t *base_block);
uint32_t cpuu_hive_xor(const uint8_t *base_block);

/* POSIX file helpers (hive_fs.c); the Windows build gets its own file. */
typedef struct cpuu_file_id {
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec;
	int64_t ctime_sec, ctime_nsec; /* cannot be set back by utimes() */
	unsigned mode;
	long uid, gid;
	int regular;
} cpuu_file_id;
int cpuu_fs_stat(cpuu_file_id *id, const char *path); /* errno-style: 0 / -1 */
/* The same of an open file, and of a name in a folder (links not followed). */
int cpuu_fs_fstat(cpuu_file_id *id, int fd);
int cpuu_fs_fstatat(cpuu_file_id *id, int dirfd, const char *name);
/* Nonzero when a and b are the same file with the same contents as far as
 * the inode tells (device, inode, size, mtime, ctime). */
int cpuu_fs_same_version(const cpuu_file_id *a, const cpuu_file_id *b);
int cpuu_fs_check_writable(const char *path);        /* CPUU_OK or CPUU_EREADONLY */
char *cpuu_fs_dirname(const char *path);
/* Resolved path (symlinks followed), so a commit replaces the real file and
 * not a link to it; a copy of path if it cannot be resolved. */
char *cpuu_fs_realpath(const char *path);
char *cpuu_fs_basename(const char *path);
int cpuu_fs_fsync_dir(const char *dir);
/* The folder of a resolved path, opened O_DIRECTORY|O_NOFOLLOW (*dirfd);
 * given: the path as the user gave it, for messages. */
int cpuu_fs_open_folder_of(int *dirfd, const char *resolved, const char *given);
/* name in dirfd, read-only, links not followed: CPUU_ENOTFOUND, EINVALID
 * (a link or not a regular file) or EIO. */
int cpuu_fs_open_in(int *fd, int dirfd, const char *name, const char *given);
/* A path that reopens exactly this open file ("/proc/self/fd/N" on Linux),
 * or NULL where the system has none (then callers check by identity). */
char *cpuu_fs_fd_path(int fd);
/* Keeps a copy of src at base (or base.1, base.2, ... never overwriting);
 * *made receives the path used. */
int cpuu_fs_backup(char **made, const char *src, const char *base);

/* The one-writer lock of a hive (hive_lock.c, docs/registry.md). */
typedef struct cpuu_hive_lock {
	int fd;     /* the lock file, holding its fcntl lock; -1: none */
	char *name; /* ".<hive>.cpuu-lock", relative to the hive's folder */
	uint64_t dev, ino;
} cpuu_hive_lock;
#define CPUU_HIVE_LOCK_WAIT_MS 5000
#define CPUU_HIVE_LOCK_STALE_S 900
/* Waits up to wait_ms for the lock of base in dirfd; CPUU_ELOCKED (message
 * naming the owner) when another run keeps it. */
int cpuu_hive_lock_acquire(cpuu_hive_lock *lk, int dirfd, const char *base, const char *where, int wait_ms,
			   unsigned stale_s);
void cpuu_hive_lock_release(cpuu_hive_lock *lk, int dirfd);

#endif
