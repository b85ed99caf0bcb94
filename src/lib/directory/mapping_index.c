/* Reading the indexed mapping (docs/mapping-index.md): the header once at
 * open, then per lookup a few positioned reads (slots, key record, row
 * record), so a workstation reads a few hundred bytes over the share instead
 * of the whole CSV. Every offset read from the file is checked against its
 * size: a damaged index is CPUU_ECORRUPT, never a crash. */
#include "directory/mapping_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

struct cpuu_mapping_index {
	int fd;
	char *path;
	char *csv_path;
	uint64_t size, nslots, table_off;
	cpuu_mapping_index_info info;
	_Atomic uint64_t bytes_read; /* lookups may run in several threads */
};

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Positioned read of exactly n bytes (short only at end of file). */
static int ix_read(cpuu_mapping_index *ix, void *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;
	while (done < n) {
#ifdef _WIN32
		OVERLAPPED ov;
		memset(&ov, 0, sizeof ov);
		ov.Offset = (DWORD)((off + done) & 0xFFFFFFFFu);
		ov.OffsetHigh = (DWORD)((off + done) >> 32);
		DWORD r = 0;
		HANDLE h = (HANDLE)_get_osfhandle(ix->fd);
		DWORD want = (DWORD)(n - done > 0x40000000u ? 0x40000000u : n - done);
		if (!ReadFile(h, (char *)buf + done, want, &r, &ov)) {
			if (GetLastError() == ERROR_HANDLE_EOF)
				break;
			return cpuu_error_set(CPUU_EIO, "%s: read error", ix->path);
		}
#else
		ssize_t r = pread(ix->fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return cpuu_error_set(CPUU_EIO, "%s: read error: %s", ix->path, strerror(errno));
		}
#endif
		if (r == 0)
			break;
		done += (size_t)r;
	}
	atomic_fetch_add(&ix->bytes_read, (uint64_t)done);
	*got = done;
	return CPUU_OK;
}

static int corrupt(const cpuu_mapping_index *ix, const char *what)
{
	return cpuu_error_set(CPUU_ECORRUPT, "%s: damaged mapping index (%s); rebuild it with 'cpuu map index CSV'",
			      ix->path, what);
}

int cpuu_mapping_is_index(const char *path)
{
	FILE *f = path ? fopen(path, "rb") : NULL;
	if (!f)
		return 0;
	char magic[8];
	int yes = fread(magic, 1, 8, f) == 8 && !memcmp(magic, MIX_MAGIC, 8);
	fclose(f);
	return yes;
}

/* The CSV recorded in the header lives in the index's folder. */
static char *sibling(const char *index_path, const char *name, size_t name_len)
{
	size_t dir = 0;
	for (size_t i = 0; index_path[i]; i++)
		if (index_path[i] == '/' || index_path[i] == '\\')
			dir = i + 1;
	char *s = malloc(dir + name_len + 1);
	if (!s)
		return NULL;
	memcpy(s, index_path, dir);
	memcpy(s + dir, name, name_len);
	s[dir + name_len] = '\0';
	return s;
}

static int check_fresh(const cpuu_mapping_index *ix)
{
	struct stat st;
	if (stat(ix->csv_path, &st) != 0)
		return cpuu_error_set(CPUU_EINVALID,
				      "%s: stale mapping index: its CSV %s is missing (%s); refusing to use it",
				      ix->path, ix->csv_path, strerror(errno));
	if ((uint64_t)st.st_size != ix->info.csv_size || (int64_t)st.st_mtime != ix->info.csv_mtime)
		return cpuu_error_set(CPUU_EINVALID,
				      "%s: stale mapping index: %s has changed since it was indexed "
				      "(size %llu, mtime %lld; indexed %llu, %lld); rebuild it with 'cpuu map index %s'",
				      ix->path, ix->csv_path, (unsigned long long)st.st_size, (long long)st.st_mtime,
				      (unsigned long long)ix->info.csv_size, (long long)ix->info.csv_mtime, ix->csv_path);
	return CPUU_OK;
}

int cpuu_mapping_index_open(cpuu_mapping_index **out, const char *path)
{
	*out = NULL;
	if (!path)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_index_open: NULL path");
	cpuu_mapping_index *ix = calloc(1, sizeof *ix);
	if (!ix)
		return cpuu_error_oom();
	atomic_init(&ix->bytes_read, 0);
	ix->fd = -1;
	int rc = CPUU_OK;
	if (!(ix->path = cpuu_strdup(path))) {
		rc = cpuu_error_oom();
		goto fail;
	}
#ifdef _WIN32
	ix->fd = open(path, O_RDONLY | O_BINARY);
#else
	ix->fd = open(path, O_RDONLY | O_CLOEXEC);
#endif
	if (ix->fd < 0) {
		rc = cpuu_error_set(errno == ENOENT ? CPUU_ENOTFOUND : CPUU_EIO, "%s: cannot open: %s", path,
				    strerror(errno));
		goto fail;
	}
	/* One read for the header and a file name of usual length. */
	unsigned char h[MIX_HEADER + 512];
	size_t got = 0;
	if ((rc = ix_read(ix, h, sizeof h, 0, &got)) < 0)
		goto fail;
	if (got < MIX_HEADER || memcmp(h, MIX_MAGIC, 8)) {
		rc = cpuu_error_set(CPUU_EINVALID, "%s: not a cpuu mapping index", path);
		goto fail;
	}
	if (get_u32(h + 8) != MIX_VERSION) {
		rc = cpuu_error_set(CPUU_EUNSUPPORTED, "%s: mapping index version %u (this cpuu reads %u); rebuild it",
				    path, get_u32(h + 8), MIX_VERSION);
		goto fail;
	}
	uint32_t name_len = get_u32(h + 80);
	ix->info.csv_size = get_u64(h + 16);
	ix->info.csv_mtime = (int64_t)get_u64(h + 24);
	ix->info.csv_hash = get_u64(h + 32);
	ix->nslots = get_u64(h + 40);
	ix->table_off = get_u64(h + 48);
	ix->info.keys = get_u64(h + 56);
	ix->info.rows = get_u64(h + 64);
	ix->info.warnings = get_u64(h + 72);
	ix->size = ix->info.index_size = get_u64(h + 88);
	if (name_len == 0 || name_len > 512 || got < MIX_HEADER + name_len || get_u32(h + 12) != MIX_HEADER + name_len ||
	    ix->nslots < 16 || (ix->nslots & (ix->nslots - 1)) || ix->table_off > ix->size ||
	    ix->nslots > (ix->size - ix->table_off) / MIX_SLOT) {
		rc = corrupt(ix, "header");
		goto fail;
	}
	if (!(ix->csv_path = sibling(path, (const char *)h + MIX_HEADER, name_len))) {
		rc = cpuu_error_oom();
		goto fail;
	}
	if ((rc = check_fresh(ix)) < 0)
		goto fail;
	*out = ix;
	return CPUU_OK;
fail:
	cpuu_mapping_index_free(ix);
	return rc;
}

int cpuu_mapping_index_verify(const cpuu_mapping_index *ix)
{
	int rc = check_fresh(ix);
	uint64_t h = 0;
	if (rc == CPUU_OK)
		rc = map_csv_hash(&h, ix->csv_path);
	if (rc == CPUU_OK && h != ix->info.csv_hash)
		rc = cpuu_error_set(CPUU_EINVALID,
				    "%s: stale mapping index: the content of %s differs from what was indexed; "
				    "rebuild it with 'cpuu map index %s'", ix->path, ix->csv_path, ix->csv_path);
	return rc;
}

/* Reads a string field at *p of the row record r[0..n). */
static int row_str(char **out, const unsigned char *r, size_t n, size_t *p)
{
	*out = NULL;
	if (*p + 4 > n)
		return CPUU_ECORRUPT;
	uint32_t len = get_u32(r + *p);
	*p += 4;
	if (len == MIX_NULL)
		return CPUU_OK;
	if (len > n - *p)
		return CPUU_ECORRUPT;
	*out = cpuu_strndup((const char *)r + *p, len);
	*p += len;
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

static int row_decode(cpuu_match *m, const unsigned char *r, size_t n)
{
	size_t p = 4;
	int rc;
	char *x = NULL;
	if ((rc = row_str(&m->source_legacy_dn, r, n, &p)) || (rc = row_str(&m->source_smtp, r, n, &p)) ||
	    (rc = row_str(&m->source_mailbox_guid, r, n, &p)))
		return rc;
	if (p + 4 > n)
		return CPUU_ECORRUPT;
	uint32_t nx = get_u32(r + p);
	p += 4;
	if (nx > n / 4)
		return CPUU_ECORRUPT;
	for (uint32_t i = 0; i < nx; i++) {
		if ((rc = row_str(&x, r, n, &p)))
			return rc;
		if (!x)
			return CPUU_ECORRUPT;
		rc = cpuu_strlist_push(&m->source_x500, x);
		free(x);
		if (rc < 0)
			return CPUU_ENOMEM;
	}
	if ((rc = row_str(&m->target_legacy_dn, r, n, &p)) || (rc = row_str(&m->target_smtp, r, n, &p)) ||
	    (rc = row_str(&m->target_mailbox_guid, r, n, &p)) || (rc = row_str(&m->target_display_name, r, n, &p)) ||
	    (rc = row_str(&m->target_server, r, n, &p)))
		return rc;
	if (p + 2 != n || r[p] > CPUU_TARGET_ONLINE || r[p + 1] > 1)
		return CPUU_ECORRUPT;
	m->target_kind = (cpuu_target_kind)r[p];
	m->switched = r[p + 1];
	return CPUU_OK;
}

/* Most rows are a few hundred bytes: one read usually brings the whole record. */
#define ROW_GUESS 1024u

static int read_row(cpuu_match *out, cpuu_mapping_index *ix, uint64_t off)
{
	unsigned char first[ROW_GUESS];
	size_t got;
	if (off >= ix->table_off)
		return corrupt(ix, "row offset");
	uint64_t avail = ix->table_off - off;
	size_t want = avail < ROW_GUESS ? (size_t)avail : ROW_GUESS;
	int rc = ix_read(ix, first, want, off, &got);
	if (rc < 0)
		return rc;
	if (got < 4)
		return corrupt(ix, "row record");
	uint32_t len = get_u32(first);
	if (len < 4 + 6 * 4 + 2 || len > avail)
		return corrupt(ix, "row length");
	unsigned char *r = first;
	if (len > got) {
		if (!(r = malloc(len)))
			return cpuu_error_oom();
		memcpy(r, first, got);
		size_t more;
		rc = ix_read(ix, r + got, len - got, off + got, &more);
		if (rc == CPUU_OK && more != len - got)
			rc = corrupt(ix, "row record");
	}
	if (rc == CPUU_OK) {
		rc = row_decode(out, r, len);
		if (rc == CPUU_ECORRUPT)
			rc = corrupt(ix, "row fields");
		else if (rc == CPUU_ENOMEM)
			rc = cpuu_error_oom();
	}
	if (r != first)
		free(r);
	if (rc < 0)
		cpuu_match_clear(out);
	return rc;
}

/* Slots are read eight at a time: with the table at most half full, the
 * probe sequence almost always ends inside the first group. */
#define SLOT_GROUP 8u

int cpuu_mapping_index_lookup(cpuu_match *out, cpuu_lookup_status *status,
			      cpuu_mapping_index *ix, const char *key)
{
	memset(out, 0, sizeof *out);
	*status = CPUU_LOOKUP_NO_SOURCE;
	if (!ix || !key)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_index_lookup: NULL argument");
	map_key k;
	int kind = map_key_for_lookup(&k, key);
	if (kind < 0)
		return kind;
	if (k.n > 0xFFFF)
		return CPUU_OK; /* no stored key is that long */
	uint64_t h = map_key_hash(k.p, k.n, k.kind);
	if (!h)
		h = 1;
	uint64_t mask = ix->nslots - 1;
	uint64_t i = h & mask;
	unsigned char *kr = malloc(MIX_KEYREC + k.n);
	if (!kr)
		return cpuu_error_oom();
	int rc = CPUU_OK;
	for (uint64_t probed = 0; probed < ix->nslots;) {
		unsigned char slots[SLOT_GROUP * MIX_SLOT];
		uint64_t group = SLOT_GROUP;
		if (group > ix->nslots - i)
			group = ix->nslots - i; /* wraps to slot 0 on the next read */
		size_t got;
		rc = ix_read(ix, slots, (size_t)group * MIX_SLOT, ix->table_off + i * MIX_SLOT, &got);
		if (rc < 0)
			break;
		if (got != group * MIX_SLOT) {
			rc = corrupt(ix, "table");
			break;
		}
		for (uint64_t g = 0; g < group; g++, probed++) {
			uint64_t sh = get_u64(slots + g * MIX_SLOT);
			if (sh == 0)
				goto done; /* an empty slot ends the probe: no such key */
			if (sh != h)
				continue;
			uint64_t off = get_u64(slots + g * MIX_SLOT + 8);
			if (off >= ix->table_off) {
				rc = corrupt(ix, "key offset");
				goto done;
			}
			rc = ix_read(ix, kr, MIX_KEYREC + k.n, off, &got);
			if (rc < 0)
				goto done;
			if (got < MIX_KEYREC) {
				rc = corrupt(ix, "key record");
				goto done;
			}
			if (got < MIX_KEYREC + k.n || kr[0] != (unsigned)k.kind || (size_t)(kr[2] | kr[3] << 8) != k.n)
				continue;
			size_t j = 0;
			while (j < k.n && kr[MIX_KEYREC + j] == map_key_fold((unsigned char)k.p[j]))
				j++;
			if (j != k.n)
				continue;
			unsigned st = kr[1];
			uint64_t row = get_u64(kr + 8);
			if ((st == CPUU_LOOKUP_AMBIGUOUS || st == CPUU_LOOKUP_INVALID) && row == 0) {
				*status = (cpuu_lookup_status)st;
			} else if ((st == CPUU_LOOKUP_FOUND || st == CPUU_LOOKUP_NO_TARGET) && row) {
				rc = read_row(out, ix, row);
				if (rc == CPUU_OK)
					*status = (cpuu_lookup_status)st;
			} else {
				rc = corrupt(ix, "key status");
			}
			goto done;
		}
		i = (i + group) & mask;
	}
done:
	free(kr);
	if (rc < 0)
		*status = CPUU_LOOKUP_NO_SOURCE;
	return rc;
}

void cpuu_mapping_index_get_info(cpuu_mapping_index_info *info, const cpuu_mapping_index *ix)
{
	memset(info, 0, sizeof *info);
	if (ix)
		*info = ix->info;
}

uint64_t cpuu_mapping_index_bytes_read(const cpuu_mapping_index *ix)
{
	return ix ? atomic_load(&ix->bytes_read) : 0;
}

void cpuu_mapping_index_free(cpuu_mapping_index *ix)
{
	if (!ix)
		return;
	if (ix->fd >= 0)
		close(ix->fd);
	free(ix->path);
	free(ix->csv_path);
	free(ix);
}
