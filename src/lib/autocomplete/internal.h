/* Private declarations of the autocomplete module. */
#ifndef CPUU_AUTOCOMPLETE_INTERNAL_H
#define CPUU_AUTOCOMPLETE_INTERNAL_H

#include "common/internal.h"
#include "cpuu/autocomplete.h"

/* The allocation behind a cpuu_autocomplete: the public part first, then the
 * copy of the input every pointer refers to and the blobs added by edits. */
typedef struct ac_impl {
	cpuu_autocomplete pub;
	uint8_t *buf;
	size_t buf_len;
	uint8_t **blobs; /* value data written by rewrites */
	size_t nblobs;
} ac_impl;

static inline ac_impl *ac_impl_of(cpuu_autocomplete *ac)
{
	return (ac_impl *)ac;
}

/* Keeps p (malloc'ed) until the cache is freed; frees it and returns ENOMEM on failure. */
int ac_keep_blob(cpuu_autocomplete *ac, uint8_t *p);

/* Value data of a counted property: u32 count + bytes. */
uint8_t *ac_counted(const uint8_t *bytes, size_t n, size_t *out_len);

/* Filesystem side (fs.c; POSIX and Windows halves). Every file is named by
 * the user folder (base) and a '/'-separated rel inside it, resolved by
 * the no-follow helpers (cpuu_file_*_beneath): a link on the way is
 * refused (CPUU_EUNSUPPORTED), never followed out of the folder. */
typedef struct ac_dirent_list {
	char **names;
	size_t count;
} ac_dirent_list;
/* 1 if rel exists as a regular file, 0 if it (or a folder on its way) is
 * absent; CPUU_EUNSUPPORTED for a link or anything else. */
int ac_fs_is_file(const char *base, const char *rel);
/* 1 if a folder (not a link), 0 if absent, <0 otherwise. */
int ac_fs_is_dir(const char *base, const char *rel);
int ac_fs_list(ac_dirent_list *out, const char *base, const char *rel);
void ac_fs_list_free(ac_dirent_list *l);
int ac_fs_read(uint8_t **out, size_t *len, const char *base, const char *rel, size_t max);
/* Writes data to a new file beside final_rel (created exclusively),
 * synced; *tmp gets its rel. */
int ac_fs_write_temp(char **tmp, const char *base, const char *final_rel, const uint8_t *data, size_t len);
/* flags: CPUU_FILE_NOREPLACE to never replace an existing file. */
int ac_fs_rename(const char *base, const char *from, const char *to, unsigned flags);
/* Absent already is fine. */
int ac_fs_unlink(const char *base, const char *rel);
void ac_fs_sync_dir(const char *base, const char *rel);

#endif
