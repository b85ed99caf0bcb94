/* State of the hivex backend, shared by hive*.c. */
#ifndef CPUU_REGISTRY_HIVE_H
#define CPUU_REGISTRY_HIVE_H

#include "registry/internal.h"

#include <hivex.h>

/* A key whose values are being changed: hivex rewrites all values of a key
 * on every set (and hives only grow), so changes are collected here and
 * written with one hivex_node_set_values per key at commit. */
typedef struct hive_pending {
	hive_node_h node;
	cpuu_reg_value *vals;
	size_t count, cap;
	int changed;
} hive_pending;

/* hive_cache.c: remembered subkey lookups. */
typedef struct hive_cache_slot {
	uint64_t parent, node, hash;
	char *name;   /* as asked (NULL: empty slot) */
	char *stored; /* as stored in the hive (in name's allocation) */
} hive_cache_slot;

typedef struct hive_cache {
	hive_cache_slot *slots;
	size_t cap, count;
	uint64_t generation; /* of the backend when filled */
} hive_cache;

int hive_cache_get(hive_cache *c, uint64_t generation, uint64_t parent, const char *name, uint64_t *node,
		   const char **stored);
void hive_cache_put(hive_cache *c, uint64_t generation, uint64_t parent, const char *name, uint64_t node,
		    const char *stored);
void hive_cache_clear(hive_cache *c);

/* hive_raw.c: the checked image of the file, read while hivex's copy is
 * still the same (until hivex writes into it). Offsets are hivex's handles. */
typedef struct hive_raw {
	uint8_t *d;
	size_t size;
	uint64_t *touched; /* keys whose subkey lists hivex changed (add_child) */
	size_t ntouched, captouched;
} hive_raw;

/* A key of the image (its name and values are what hivex has until hivex
 * writes values or deletes keys: both drop the image). */
int hive_raw_has_key(const hive_raw *r, uint64_t nk);
/* The same, and its subkey list unchanged since. */
int hive_raw_lists_ok(const hive_raw *r, uint64_t nk);
/* nk's subkeys are about to change in hivex; -1 when out of memory. */
int hive_raw_touch(hive_raw *r, uint64_t nk);

char *hive_raw_key_name(const hive_raw *r, uint64_t nk);
char *hive_raw_value_name(const hive_raw *r, uint64_t vk);
/* Subkeys in hivex_node_children's order; *out freed by the caller. */
int hive_raw_children(uint64_t **out, size_t *count, const hive_raw *r, uint64_t nk);
/* The first subkey / value whose name equals ascii (ASCII case folded), or 0. */
uint64_t hive_raw_child(const hive_raw *r, uint64_t nk, const char *ascii);
uint64_t hive_raw_value_find(const hive_raw *r, uint64_t nk, const char *ascii);
int hive_raw_values(hive_value_h **out, size_t *count, const hive_raw *r, uint64_t nk);
/* A value's data as hivex_value_value gives it (never NULL, 1 byte for
 * empty); 1 when only hivex can tell (big data, an empty value's unused
 * offset). */
int hive_raw_value_data(uint8_t **data, size_t *len, uint32_t *type, const hive_raw *r, uint64_t vk);
/* A value (name and data as above) in one allocation (name_in_data), or 1
 * when only hivex can tell. */
int hive_raw_value_read(cpuu_reg_value *out, const hive_raw *r, uint64_t vk);

typedef struct hive_impl {
	hive_h *h;           /* NULL until something needs hivex (cpuu_hive_hivex) */
	char *path;          /* resolved once at open; messages only from then on */
	int dirfd;           /* the hive's folder (O_DIRECTORY|O_NOFOLLOW): every later name is relative to it */
	char *base;          /* the hive's name in that folder */
	int fd;              /* the hive as opened and read (its version is id) */
	cpuu_hive_lock lock; /* write opens: held until close */
	int writable;
	uint32_t minor;
	hive_pending *pend;
	size_t npend, cappend;
	size_t *pend_slots;  /* node -> index + 1 into pend (open addressing) */
	size_t pend_nslots;
	int pend_stale;      /* pend reordered: rebuild pend_slots before use */
	int structural;      /* keys added/deleted or values flushed into hivex */
	int broken;          /* a hivex write failed half-way: never commit this */
	uint64_t generation; /* bumped on key deletion */
	char *last_backup;
	cpuu_file_id id;     /* the file as opened / last committed */
	hive_cache cache;
	hive_raw raw;                /* d == NULL once hivex's copy may differ */
	char *prepared;              /* temp file of a prepared commit (name in dirfd), or NULL */
	int prepared_fd;             /* that file, as created (never reopened by name) */
	int prepared_backup;         /* keep the original as a backup at finish */
	char *prepared_backup_path;
} hive_impl;

extern const cpuu_reg_backend cpuu_hive_backend;

/* hivex's handle, opened on first need (hive_open.c): CPUU_OK with hi->h
 * set, or the refusal of a file changed since it was read. */
int cpuu_hive_hivex(hive_impl *hi);
/* The hive at its name and at our descriptor is still the version read
 * (hive_commit.c); CPUU_EIO otherwise. */
int cpuu_hive_unchanged(hive_impl *hi);
/* Before any call that writes into hivex's copy of the hive (hive.c). */
void cpuu_hive_raw_drop(hive_impl *hi);
/* Writes every changed pending key into hivex (hive.c). */
int cpuu_hive_flush(hive_impl *hi);
int cpuu_hive_commit(void *impl, const cpuu_reg_commit_opts *opts);
int cpuu_hive_commit_prepare(void *impl, const cpuu_reg_commit_opts *opts);
int cpuu_hive_commit_flush(void *impl);
int cpuu_hive_commit_finish(void *impl);
void cpuu_hive_commit_abort(void *impl);
int cpuu_hive_is_dirty(const void *impl);

#endif
