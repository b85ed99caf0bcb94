/* Building the indexed mapping (docs/mapping-index.md) from a mapping CSV.
 * The CSV is loaded by the one loader, and every key of its hash table is
 * written with the answer the loader gives: the index cannot disagree with
 * the file, whatever the rules for duplicates and broken rows become. */
#include "directory/mapping_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct ixbuf {
	unsigned char *d;
	size_t len, cap;
	int failed;
} ixbuf;

static unsigned char *ix_grow(ixbuf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->len + n > b->cap) {
		if (!b->d && !b->cap)
			b->cap = (size_t)1 << 20; /* the first capacity: an index is rarely smaller */
		unsigned char *g = n > SIZE_MAX - b->len ? NULL : cpuu_array_reserve(b->d, &b->cap, b->len + n, 1);
		if (!g) {
			b->failed = 1;
			return NULL;
		}
		b->d = g;
	}
	unsigned char *p = b->d + b->len;
	b->len += n;
	return p;
}

static void put_u8(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; }
static void put_u16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void ix_str(ixbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n >= MIX_NULL) {
		b->failed = 1;
		return;
	}
	unsigned char *p = ix_grow(b, 4 + n);
	if (!p)
		return;
	put_u32(p, s ? (uint32_t)n : MIX_NULL);
	if (n)
		memcpy(p + 4, s, n);
}

/* A row record: u32 total length, then the fields (docs/mapping-index.md). */
static void ix_row(ixbuf *b, const cpuu_match *r)
{
	size_t start = b->len;
	if (!ix_grow(b, 4))
		return;
	ix_str(b, r->source_legacy_dn);
	ix_str(b, r->source_smtp);
	ix_str(b, r->source_mailbox_guid);
	unsigned char *p = ix_grow(b, 4);
	if (p)
		put_u32(p, (uint32_t)r->source_x500.count);
	for (size_t i = 0; i < r->source_x500.count; i++)
		ix_str(b, r->source_x500.items[i]);
	ix_str(b, r->target_legacy_dn);
	ix_str(b, r->target_smtp);
	ix_str(b, r->target_mailbox_guid);
	ix_str(b, r->target_display_name);
	ix_str(b, r->target_server);
	p = ix_grow(b, 2);
	if (p) {
		put_u8(p, (unsigned)r->target_kind);
		put_u8(p + 1, r->switched ? 1u : 0u);
	}
	if (!b->failed)
		put_u32(b->d + start, (uint32_t)(b->len - start));
}

typedef struct ixbuild {
	ixbuf b;
	uint64_t *row_off;  /* per row, where its record is */
	unsigned char *table;
	uint64_t mask;
	uint64_t keys;
} ixbuild;

static int add_key(void *user, const char *key, size_t n, cpuu_key_kind kind,
		   cpuu_lookup_status status, const cpuu_match *row, size_t row_index)
{
	ixbuild *x = user;
	if (n > 0xFFFF)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "mapping key longer than 65535 bytes");
	uint64_t off = x->b.len;
	unsigned char *p = ix_grow(&x->b, MIX_KEYREC + n);
	if (!p)
		return cpuu_error_oom();
	put_u8(p, (unsigned)kind);
	put_u8(p + 1, (unsigned)status);
	put_u16(p + 2, (unsigned)n);
	put_u32(p + 4, 0);
	put_u64(p + 8, row ? x->row_off[row_index] : 0);
	for (size_t i = 0; i < n; i++)
		p[MIX_KEYREC + i] = map_key_fold((unsigned char)key[i]);
	uint64_t h = map_key_hash(key, n, kind);
	if (!h)
		h = 1;
	for (uint64_t i = h & x->mask;; i = (i + 1) & x->mask) {
		unsigned char *s = x->table + i * MIX_SLOT;
		uint64_t used;
		memcpy(&used, s, 8);
		if (!used) {
			put_u64(s, h);
			put_u64(s + 8, off);
			break;
		}
	}
	x->keys++;
	return CPUU_OK;
}

uint64_t map_content_hash(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	const uint64_t mul = 0x9E3779B97F4A7C15ull;
	while (n >= 8) {
		uint64_t w = 0;
		for (int i = 0; i < 8; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = (h ^ w) * mul;
		h ^= h >> 31;
		p += 8;
		n -= 8;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * mul;
	return h;
}

static int csv_fingerprint(uint64_t *size, int64_t *mtime, uint64_t *hash, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return cpuu_error_set(errno == ENOENT ? CPUU_ENOTFOUND : CPUU_EIO, "%s: %s", path, strerror(errno));
	*size = (uint64_t)st.st_size;
	*mtime = (int64_t)st.st_mtime;
	if (!hash)
		return CPUU_OK;
	FILE *f = fopen(path, "rb");
	if (!f)
		return cpuu_error_set(CPUU_EIO, "%s: cannot open: %s", path, strerror(errno));
	static const size_t chunk = 1u << 20;
	unsigned char *buf = malloc(chunk);
	if (!buf) {
		fclose(f);
		return cpuu_error_oom();
	}
	uint64_t h = MAP_CONTENT_SEED, total = 0;
	size_t got;
	/* Chunks are multiples of 8, so the hash does not depend on them. */
	while ((got = fread(buf, 1, chunk, f)) > 0) {
		h = map_content_hash(h, buf, got);
		total += got;
	}
	int err = ferror(f);
	fclose(f);
	free(buf);
	if (err)
		return cpuu_error_set(CPUU_EIO, "%s: read error", path);
	*hash = h ^ total;
	return CPUU_OK;
}

int map_csv_hash(uint64_t *hash, const char *path)
{
	uint64_t size;
	int64_t mtime;
	return csv_fingerprint(&size, &mtime, hash, path);
}

static const char *base_name(const char *path)
{
	const char *b = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	return b;
}

char *cpuu_mapping_index_path_for(const char *csv_path)
{
	return csv_path ? cpuu_aprintf("%s.idx", csv_path) : NULL;
}

int cpuu_mapping_index_build(cpuu_mapping_index_info *info, cpuu_strlist *warnings,
			     const char *index_path, const char *csv_path)
{
	if (info)
		memset(info, 0, sizeof *info);
	if (warnings)
		memset(warnings, 0, sizeof *warnings);
	if (!index_path || !csv_path)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_index_build: NULL path");
	uint64_t size0, size1, hash;
	int64_t mtime0, mtime1;
	if (cpuu_mapping_is_index(csv_path))
		return cpuu_error_set(CPUU_EINVALID, "%s is an indexed mapping, not a mapping CSV", csv_path);
	int rc = csv_fingerprint(&size0, &mtime0, &hash, csv_path);
	if (rc < 0)
		return rc;
	cpuu_mapping *m = NULL;
	rc = cpuu_mapping_load(&m, csv_path);
	if (rc < 0)
		return rc;
	rc = csv_fingerprint(&size1, &mtime1, NULL, csv_path);
	if (rc == CPUU_OK && (size1 != size0 || mtime1 != mtime0))
		rc = cpuu_error_set(CPUU_EIO, "%s: changed while it was indexed; try again", csv_path);
	const char *name = base_name(csv_path);
	size_t name_len = strlen(name);
	ixbuild x;
	memset(&x, 0, sizeof x);
	size_t nrows = cpuu_mapping_count(m);
	size_t nkeys = map_key_count(m);
	uint64_t nslots = 16;
	while (nslots < (uint64_t)nkeys * 2)
		nslots *= 2;
	x.mask = nslots - 1;
	if (rc == CPUU_OK) {
		x.row_off = malloc((nrows ? nrows : 1) * sizeof *x.row_off);
		x.table = nslots <= SIZE_MAX / MIX_SLOT ? calloc((size_t)nslots, MIX_SLOT) : NULL;
		if (!x.row_off || !x.table)
			rc = cpuu_error_oom();
	}
	if (rc == CPUU_OK) {
		ix_grow(&x.b, MIX_HEADER + name_len);
		if (!x.b.failed)
			memcpy(x.b.d + MIX_HEADER, name, name_len);
		for (size_t i = 0; i < nrows && !x.b.failed; i++) {
			x.row_off[i] = x.b.len;
			ix_row(&x.b, cpuu_mapping_get(m, i));
		}
		rc = x.b.failed ? cpuu_error_oom() : map_each_key(m, add_key, &x);
	}
	uint64_t table_off = 0;
	if (rc == CPUU_OK) {
		size_t pad = (16 - x.b.len % 16) % 16;
		unsigned char *p = ix_grow(&x.b, pad);
		if (p)
			memset(p, 0, pad);
		table_off = x.b.len;
		p = ix_grow(&x.b, (size_t)nslots * MIX_SLOT);
		if (p)
			memcpy(p, x.table, (size_t)nslots * MIX_SLOT);
		else
			rc = cpuu_error_oom();
	}
	const cpuu_strlist *w = cpuu_mapping_warnings(m);
	if (rc == CPUU_OK) {
		unsigned char *h = x.b.d;
		memset(h, 0, MIX_HEADER);
		memcpy(h, MIX_MAGIC, 8);
		put_u32(h + 8, MIX_VERSION);
		put_u32(h + 12, (uint32_t)(MIX_HEADER + name_len));
		put_u64(h + 16, size0);
		put_u64(h + 24, (uint64_t)mtime0);
		put_u64(h + 32, hash);
		put_u64(h + 40, nslots);
		put_u64(h + 48, table_off);
		put_u64(h + 56, x.keys);
		put_u64(h + 64, nrows);
		put_u64(h + 72, w ? w->count : 0);
		put_u32(h + 80, (uint32_t)name_len);
		put_u64(h + 88, x.b.len);
		/* Workstations read it from a share, like the CSV. */
		rc = cpuu_file_write_atomic(index_path, x.b.d, x.b.len, CPUU_FILE_SHARED);
	}
	if (rc == CPUU_OK && info) {
		info->rows = nrows;
		info->keys = x.keys;
		info->warnings = w ? w->count : 0;
		info->csv_size = size0;
		info->csv_mtime = mtime0;
		info->csv_hash = hash;
		info->index_size = x.b.len;
	}
	for (size_t i = 0; rc == CPUU_OK && warnings && w && i < w->count; i++)
		rc = cpuu_strlist_push(warnings, w->items[i]);
	if (rc < 0 && warnings)
		cpuu_strlist_free(warnings);
	free(x.b.d);
	free(x.row_off);
	free(x.table);
	cpuu_mapping_free(m);
	return rc;
}
