/* Private helpers shared by all library modules (not installed). */
#ifndef CPUU_COMMON_INTERNAL_H
#define CPUU_COMMON_INTERNAL_H

#include "cpuu/common.h"

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__MINGW32__)
/* mingw's C99 stdio (__USE_MINGW_ANSI_STDIO), not msvcrt's dialect. */
#define CPUU_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#elif defined(__GNUC__)
#define CPUU_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CPUU_PRINTF(a, b)
#endif

/* Records the error for cpuu_error_last() and returns code. */
int cpuu_error_set(int code, const char *fmt, ...) CPUU_PRINTF(2, 3);
/* cpuu_error_set(code, fmt, a, b) as far as anyone can tell, for a fmt
 * with exactly two %s: the pieces are copied now and the message formatted
 * (and escaped) only when cpuu_error_last() or cpuu_error_prefix() asks for
 * it. For lookups that find nothing: a run sets such errors by the hundred
 * and clears nearly all of them unread. fmt must be a string literal. */
int cpuu_error_set_deferred(int code, const char *fmt, const char *a, const char *b);
/* Prepends "prefix: " to the current message (context as an error bubbles up);
 * returns the current code. */
int cpuu_error_prefix(const char *fmt, ...) CPUU_PRINTF(1, 2);
int cpuu_error_oom(void);
/* The code for a failed system call's errno, one mapping for the library:
 * reading, a missing file or folder (ENOENT, ENOTDIR) is CPUU_ENOTFOUND;
 * writing, a refusal (EACCES, EPERM, EROFS) is CPUU_EREADONLY; anything
 * else CPUU_EIO. */
#define CPUU_ERRNO_READ 0
#define CPUU_ERRNO_WRITE 1
int cpuu_error_of_errno(int e, int op);

/* Test hook at a named write step (src/lib/common/fault.c): nonzero means
 * "fail this step"; may also end the process. Points: docs/update.md. */
int cpuu_fault(const char *point);
/* What the process works on now (a hive path; NULL: nothing), matched
 * against CPUU_FAULT_SUBJECT. The caller keeps the string alive. */
void cpuu_fault_subject(const char *subject);

char *cpuu_strdup(const char *s);
char *cpuu_strndup(const char *s, size_t n);
char *cpuu_aprintf(const char *fmt, ...) CPUU_PRINTF(1, 2);
int cpuu_strcasecmp_ascii(const char *a, const char *b);
int cpuu_strlist_push(cpuu_strlist *list, const char *s);
/* The library's one way to grow an array. Room for need elements of size
 * elem in a doubling array: returns items (reallocated if *cap was short,
 * *cap updated), or NULL with items and *cap untouched when memory or size_t
 * runs out. With items NULL, a nonzero *cap is the first capacity (else 16).
 * cap NULL: an array that keeps no capacity (a public struct with
 * only a count, filled by other modules too): the block is resized to exactly
 * need elements (need 0 counts as 1), with the same overflow checks. */
void *cpuu_array_reserve(void *items, size_t *cap, size_t need, size_t elem);

/* Atomic file replacement (file_posix.c, file_win32.c): a temp file in the
 * same folder, written, fsynced, renamed over path, the folder fsynced. */
#define CPUU_FILE_NO_SYNC 1u /* no fsync: the caller syncs many files at once */
/* Starts writeback of an open file without waiting (a no-op off Linux). */
void cpuu_file_start_writeback(int fd);
#define CPUU_FILE_SHARED 2u  /* world-readable (files read from a share); else 0600 */
int cpuu_file_write_atomic(const char *path, const void *data, size_t len, unsigned flags);
/* The first half: the synced temp file beside path (*tmp, caller renames or
 * unlinks it and frees the name). POSIX only. */
int cpuu_file_write_temp(char **tmp, const char *path, const void *data, size_t len, unsigned flags);
int cpuu_file_sync_folder_of(const char *path);
/* A new file that never replaces one (backups): written and synced beside
 * base, then linked to the first free name of base, base.1, base.2, ...
 * (*made, caller frees); the folder synced unless CPUU_FILE_NO_SYNC.
 * POSIX only. */
int cpuu_file_write_new(char **made, const char *base, const void *data, size_t len, unsigned flags);

/* Files beneath a user folder (file_posix.c; file_win32.c), for every
 * file operation in a folder another user may write (OST, OAB and
 * Autodiscover moves, autocomplete hand-over, the state folder):
 * base is the folder (its own last component must not be a link; the
 * components above it are the administrator's and are followed); rel is a
 * '/'-separated path inside it: not absolute, no "." or ".." component.
 * Every component of rel is resolved without following links
 * (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the kernel has it,
 * else openat(O_NOFOLLOW) component by component). A link anywhere below
 * base is refused with CPUU_EUNSUPPORTED (message: "... a component is a
 * link ..."); a missing component is CPUU_ENOTFOUND; never followed.
 * The last component itself is never followed either: a rename moves a
 * link as a name, it never moves what it points to. */
#define CPUU_FILE_NOREPLACE 1u /* rename: fail with CPUU_EEXISTS rather than replace */
#ifndef _WIN32
/* The folder holding rel, opened (O_DIRECTORY); *leaf points into rel at
 * its last component. For a sequence of *at() calls in that folder. */
int cpuu_file_dir_beneath(int *dirfd, const char **leaf, const char *base, const char *rel);
/* What rel is (lstat beneath base): 1 and *mode if it exists, 0 when it or
 * a folder on its way is missing, an error code otherwise (a link on the
 * way is refused; rel itself is not followed: a link shows as S_IFLNK). */
int cpuu_file_mode_beneath(unsigned *mode, const char *base, const char *rel);
/* Test hook: nonzero forces the component-by-component walk. */
void cpuu_file_beneath_portable(int on);
#endif
/* open(2) flags (O_RDONLY, O_WRONLY|O_CREAT|O_EXCL, ...); O_NOFOLLOW and
 * O_CLOEXEC are always added. *fd: a C runtime descriptor. */
int cpuu_file_open_beneath(int *fd, const char *base, const char *rel, int flags, unsigned mode);
int cpuu_file_rename_beneath(const char *base, const char *from, const char *to, unsigned flags);
int cpuu_file_unlink_beneath(const char *base, const char *rel);
int cpuu_file_mkdir_beneath(const char *base, const char *rel, unsigned mode);

/* One bounded whole-file reader for inputs named on the command line or in
 * the configuration (file_read.c): refuses what is not a regular file
 * (FIFO, device, folder: CPUU_EINVALID, without blocking) and files over
 * limit bytes (CPUU_EINVALID, naming the limit). *data is NUL-terminated
 * (one spare byte beyond *len); free it with free(). */
#define CPUU_FILE_CONFIG_MAX ((size_t)16 << 20)  /* INI, password, user lists */
#define CPUU_FILE_MAPPING_MAX ((size_t)1 << 30)  /* mapping CSV (1M users ~ 250 MB) */
int cpuu_file_read_all(char **data, size_t *len, const char *path, size_t limit);
/* The same checks, handing back an open stream for callers that read it
 * themselves; the size found is in *size. */
int cpuu_file_open_bounded(FILE **f, uint64_t *size, const char *path, size_t limit);

#ifdef _WIN32
/* Windows helpers (file_win32.c). Paths are in the ANSI code page, as for
 * the C runtime's fopen. Temp file in the same folder, FlushFileBuffers,
 * MoveFileEx(REPLACE_EXISTING | WRITE_THROUGH). */
int cpuu_win32_write_atomic(const char *path, const void *data, size_t len);
/* Whether base\rel exists (file or folder), every component checked as by
 * cpuu_file_open_beneath: 1, 0, or a negative code (a link or junction on
 * the way is refused). Opening a folder with _open fails on Windows, so
 * existence is asked of the file system instead. */
int cpuu_win32_exists_beneath(const char *base, const char *rel);
#endif

/* Growable byte buffer. */
typedef struct cpuu_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed; further appends are ignored */
} cpuu_buf;
void cpuu_buf_append(cpuu_buf *b, const void *data, size_t len);
void cpuu_buf_puts(cpuu_buf *b, const char *s);
void cpuu_buf_printf(cpuu_buf *b, const char *fmt, ...) CPUU_PRINTF(2, 3);
/* Appends s as a JSON string literal (with quotes); NULL gives null. */
void cpuu_buf_json_string(cpuu_buf *b, const char *s);
/* Returns the NUL-terminated contents (caller frees) or NULL with ENOMEM set. */
char *cpuu_buf_detach(cpuu_buf *b, size_t *len);
void cpuu_buf_dispose(cpuu_buf *b);

/* Text for people (display.c; the rules: include/cpuu/display.h): s
 * appended with controls, bidi overrides, line separators and ill-formed
 * UTF-8 escaped visibly; the same into a fixed buffer (cut at a character
 * boundary, always terminated; returns the length). Every output site of
 * the library (error messages, the plan text, the run log) goes through
 * these; JSON has its own escaping (cpuu_buf_json_string) of the same
 * characters. */
void cpuu_buf_display(cpuu_buf *b, const char *s);
size_t cpuu_display_into(char *dst, size_t size, const char *s);
/* Nonzero for a code point that is shown escaped. */
int cpuu_display_special(uint32_t cp);
/* The well-formed UTF-8 sequence at p: its length (1-4) and *cp, or 0. */
size_t cpuu_utf8_next(uint32_t *cp, const char *p);

/* Little-endian readers/writers (no alignment assumptions). */
static inline uint32_t cpuu_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t cpuu_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint64_t cpuu_le64(const uint8_t *p)
{
	return (uint64_t)cpuu_le32(p) | (uint64_t)cpuu_le32(p + 4) << 32;
}
static inline void cpuu_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void cpuu_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}

/* FNV-1a (64-bit), the library's one hash for tables, record fingerprints
 * and derived UIDs: the same value on every run and platform, so what was
 * stored with it (report records, fixture UIDs) stays valid. Start from
 * CPUU_HASH_INIT (or a value derived from it); chain calls to hash several
 * fields. */
#define CPUU_HASH_INIT 0xcbf29ce484222325ull
static inline uint64_t cpuu_hash_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ull;
}
static inline uint64_t cpuu_hash_bytes(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = cpuu_hash_byte(h, p[i]);
	return h;
}
static inline uint64_t cpuu_hash_str(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = cpuu_hash_byte(h, *p);
	return h;
}
/* The same over s with ASCII A-Z folded to a-z (registry names compare
 * case-insensitively). */
static inline uint64_t cpuu_hash_str_fold(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = cpuu_hash_byte(h, *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p + 32) : *p);
	return h;
}

/* Hex of bytes, lowercase, NUL-terminated (out must hold 2*n+1). */
void cpuu_hex_encode(char *out, const uint8_t *in, size_t n);
/* Parses exactly 2*n hex digits (either case); false on anything else. */
bool cpuu_hex_decode(uint8_t *out, const char *in, size_t n);

/* Now, as UTC (utc.c): for strftime of time stamps. */
struct tm;
void cpuu_utc_now(struct tm *tm);
/* Seconds since 1970-01-01 UTC, broken down without any time zone. */
void cpuu_utc_from_epoch(struct tm *tm, int64_t t);

#endif
