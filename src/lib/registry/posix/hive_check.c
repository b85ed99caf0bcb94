/* The structural check of a hive before anything is planned or changed
 * (docs/registry.md, "Structural check"). hivex checks cells lazily, when a
 * key is read, and its visitor walks recursively; a corrupt hive could so
 * be half-read, updated and committed, and a cycle in the key tree walked
 * to the path limit. Here the whole image is checked once, in one pass over
 * the bins and one walk of the key tree:
 *  - bins: signature, declared offset, size (multiple of 4096, inside the
 *    bins data); cells: size > 4, multiple of 4, inside their bin;
 *  - every reference (subkey lists, value lists, values, data, big-data
 *    lists, security, class) points at the start of an allocated cell of
 *    the right kind and size;
 *  - every key is reached exactly once from the root (a second arrival is
 *    a cycle or a shared subkey), at most 512 levels deep (Windows' limit),
 *    and its subkey count matches its lists;
 *  - names fit their cells and UTF-16 names decode;
 *  - hivex's own limits (70000 subkeys, 110000 values, 8 MB of data per
 *    value), which its visitor enforces.
 * Time is linear in the file; memory one bit per 4 bytes plus one stack
 * entry per key. */
#include "registry/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One call maps every page of the (cached) file: faulting 4 KB at a time
 * cost more than the walk itself (2 ms vs 0.4 ms on a 5 MB hive). */
#ifdef MAP_POPULATE
#define CPUU_MAP_POPULATE MAP_POPULATE
#else
#define CPUU_MAP_POPULATE 0
#endif

#define BINS 0x1000u
#define MAX_DEPTH 512u
#define MAX_SUBKEYS 70000u   /* hivex 1.3.23, lib/hivex-internal.h */
#define MAX_VALUES 110000u
#define MAX_VALUE_LEN 8000000u
#define MAX_RI_DEPTH 32u

typedef struct walk {
	const uint8_t *d;
	size_t size, end; /* file size; end of the bins data */
	uint8_t *cell;    /* bit per 4 bytes: an allocated cell starts here; cleared
			     once a key cell is reached from the tree, so a second
			     arrival finds no cell (one bitmap, not two) */
	uint32_t *stack;  /* keys to visit: offset, depth */
	size_t nstack, capstack;
	const char *path;
	size_t children; /* found in the lists of the current key */
	uint32_t limit;  /* its declared subkey count */
} walk;

/* The helpers below run once per cell of the hive: always inlined. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

HOT int bit(const uint8_t *map, size_t off)
{
	return map[off >> 5] >> ((off >> 2) & 7) & 1;
}

HOT void set_bit(uint8_t *map, size_t off)
{
	map[off >> 5] |= (uint8_t)(1u << ((off >> 2) & 7));
}

HOT void clear_bit(uint8_t *map, size_t off)
{
	map[off >> 5] &= (uint8_t)~(1u << ((off >> 2) & 7));
}

static int bad(const walk *w, size_t at, const char *what)
{
	return cpuu_error_set(CPUU_ECORRUPT, "%s: corrupt hive: %s (at file offset 0x%zx); refusing to change it", w->path,
			      what, at);
}

/* Length of the allocated cell at absolute offset off, or 0 when off is
 * not the start of an allocated cell. */
HOT size_t cell_at(const walk *w, size_t off)
{
	if (off - BINS >= w->end - BINS || (off & 3) || !bit(w->cell, off))
		return 0;
	return (size_t)(-(int64_t)(int32_t)cpuu_le32(w->d + off));
}

/* A reference stored in the hive (relative to the bins) as an absolute
 * offset; 0 for one that cannot be (it then fails cell_at). */
HOT size_t ref(uint32_t rel)
{
	return rel > 0xFFFFFFFFu - BINS ? 0 : (size_t)rel + BINS;
}

HOT int sig(const walk *w, size_t off, const char *s)
{
	return w->d[off + 4] == (uint8_t)s[0] && w->d[off + 5] == (uint8_t)s[1];
}

static int scan_bins(walk *w)
{
	size_t off = BINS;
	while (off < w->end) {
		if (off + 32 > w->end || memcmp(w->d + off, "hbin", 4) != 0)
			return bad(w, off, "no hive bin where one must start");
		uint32_t rel = cpuu_le32(w->d + off + 4), bsize = cpuu_le32(w->d + off + 8);
		if ((size_t)rel + BINS != off)
			return bad(w, off, "hive bin declares another offset than its own");
		if (bsize < 4096 || bsize % 4096 || bsize > w->end - off)
			return bad(w, off, "hive bin size out of range");
		/* c and bend stay multiples of 4, so a cell header always fits. */
		size_t c = off + 32, bend = off + bsize;
		while (c < bend) {
			int32_t raw = (int32_t)cpuu_le32(w->d + c);
			uint32_t len = raw < 0 ? (uint32_t)(-(int64_t)raw) : (uint32_t)raw;
			if (len <= 4 || (len & 3) || len > bend - c)
				return bad(w, c, len <= 4 || (len & 3) ? "impossible cell size" : "cell extends beyond its hive bin");
			if (raw < 0)
				set_bit(w->cell, c);
			c += len;
		}
		off = bend;
	}
	return CPUU_OK;
}

/* UTF-16LE as hivex decodes it (iconv): whole units, surrogates paired. */
static int utf16_ok(const uint8_t *p, size_t n)
{
	if (n & 1)
		return 0;
	for (size_t i = 0; i < n; i += 2) {
		unsigned u = cpuu_le16(p + i);
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (i + 4 > n)
				return 0;
			unsigned v = cpuu_le16(p + i + 2);
			if (v < 0xDC00 || v > 0xDFFF)
				return 0;
			i += 2;
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			return 0;
		}
	}
	return 1;
}

/* A key cell whose bit was cleared by the walk: reached before. */
static int reached_before(const walk *w, size_t off)
{
	return off - BINS < w->end - BINS && !(off & 3) && off + 8 <= w->end && (int32_t)cpuu_le32(w->d + off) < 0 &&
	       sig(w, off, "nk");
}

HOT int push(walk *w, size_t child, uint32_t depth)
{
	size_t len = cell_at(w, child);
	if (!len && reached_before(w, child))
		return bad(w, child, "a key is reached twice in the key tree (a cycle or a shared subkey)");
	if (!len || len < 4 + 0x4C || !sig(w, child, "nk"))
		return bad(w, child, "a subkey list points at something that is not a key");
	if (++w->children > w->limit)
		return bad(w, child, "more subkeys in the lists than the key declares");
	clear_bit(w->cell, child);
	if (w->nstack + 2 > w->capstack) {
		size_t cap = w->capstack;
		uint32_t *grown = cpuu_array_reserve(w->stack, &cap, w->nstack + 2, sizeof *grown);
		if (!grown)
			return cpuu_error_oom();
		w->stack = grown;
		w->capstack = cap;
	}
	w->stack[w->nstack++] = (uint32_t)child;
	w->stack[w->nstack++] = depth;
	return CPUU_OK;
}

/* The subkey list at off (lf, lh, li, or ri of those). */
static int subkey_list(walk *w, size_t off, uint32_t depth, unsigned ri_depth)
{
	size_t len = cell_at(w, off);
	if (!len || len < 8)
		return bad(w, off, "subkey list offset is not an allocated cell");
	size_t n = cpuu_le16(w->d + off + 6);
	int rc;
	if (sig(w, off, "lf") || sig(w, off, "lh")) {
		if (8 + n * 8 > len)
			return bad(w, off, "subkey list longer than its cell");
		for (size_t i = 0; i < n; i++)
			if ((rc = push(w, ref(cpuu_le32(w->d + off + 8 + i * 8)), depth)))
				return rc;
	} else if (sig(w, off, "li") || sig(w, off, "ri")) {
		int index = sig(w, off, "ri");
		if (8 + n * 4 > len)
			return bad(w, off, "subkey list longer than its cell");
		if (index && ri_depth >= MAX_RI_DEPTH)
			return bad(w, off, "subkey index nested too deep");
		for (size_t i = 0; i < n; i++) {
			size_t to = ref(cpuu_le32(w->d + off + 8 + i * 4));
			rc = index ? subkey_list(w, to, depth, ri_depth + 1) : push(w, to, depth);
			if (rc)
				return rc;
		}
	} else {
		return bad(w, off, "subkey list of an unknown kind (not lf/lh/li/ri)");
	}
	return CPUU_OK;
}

HOT int value(walk *w, size_t vk)
{
	size_t len = cell_at(w, vk);
	if (!len || len < 4 + 0x14 || !sig(w, vk, "vk"))
		return bad(w, vk, "a value list points at something that is not a value");
	size_t nlen = cpuu_le16(w->d + vk + 6);
	if (0x18 + nlen > len)
		return bad(w, vk, "value name longer than its cell");
	if (!(cpuu_le16(w->d + vk + 0x14) & 1) && !utf16_ok(w->d + vk + 0x18, nlen))
		return bad(w, vk, "value name is not valid UTF-16");
	uint32_t dlen = cpuu_le32(w->d + vk + 8);
	if (dlen & 0x80000000u) {
		if ((dlen & 0x7FFFFFFFu) > 4)
			return bad(w, vk, "value data declared inline but longer than 4 bytes");
		return CPUU_OK;
	}
	if (dlen == 0)
		return CPUU_OK;
	if (dlen > MAX_VALUE_LEN)
		return bad(w, vk, "value data longer than 8 MB");
	size_t data = ref(cpuu_le32(w->d + vk + 12)), dcell = cell_at(w, data);
	if (!dcell)
		return bad(w, vk, "value data offset is not an allocated cell");
	if (dlen <= dcell - 4)
		return CPUU_OK;
	/* Longer than its cell: only a big-data record may hold it. */
	if (dcell < 12 || !sig(w, data, "db"))
		return bad(w, data, "value data longer than its cell, and not big data");
	size_t nseg = cpuu_le16(w->d + data + 6), list = ref(cpuu_le32(w->d + data + 8)), llen = cell_at(w, list);
	if (!llen || 4 + nseg * 4 > llen)
		return bad(w, data, "big-data segment list out of place");
	for (size_t i = 0; i < nseg; i++)
		if (!cell_at(w, ref(cpuu_le32(w->d + list + 4 + i * 4))))
			return bad(w, list, "big-data segment is not an allocated cell");
	return CPUU_OK;
}

static int key(walk *w, size_t nk, uint32_t depth)
{
	const uint8_t *k = w->d + nk;
	size_t len = (size_t)(-(int64_t)(int32_t)cpuu_le32(k)); /* checked when it was reached */
	size_t nlen = cpuu_le16(k + 4 + 0x48);
	if (0x50 + nlen > len)
		return bad(w, nk, "key name longer than its cell");
	if (!(cpuu_le16(k + 6) & 0x20) && !utf16_ok(k + 0x50, nlen))
		return bad(w, nk, "key name is not valid UTF-16");
	uint32_t sk = cpuu_le32(k + 4 + 0x2C);
	if (sk != 0xFFFFFFFFu && (!cell_at(w, ref(sk)) || !sig(w, ref(sk), "sk")))
		return bad(w, nk, "security offset is not a security cell");
	uint32_t cls = cpuu_le32(k + 4 + 0x30), clen = cpuu_le16(k + 4 + 0x4A);
	if (clen && cls != 0xFFFFFFFFu) {
		size_t c = cell_at(w, ref(cls));
		if (!c || clen > c - 4)
			return bad(w, nk, "class name offset is not an allocated cell of its size");
	}
	uint32_t nv = cpuu_le32(k + 4 + 0x24);
	if (nv) {
		if (nv > MAX_VALUES)
			return bad(w, nk, "more values than a key may have");
		size_t vl = ref(cpuu_le32(k + 4 + 0x28)), vlen = cell_at(w, vl);
		if (!vlen || 4 + (size_t)nv * 4 > vlen)
			return bad(w, nk, "value list out of place or shorter than the value count");
		for (size_t i = 0; i < nv; i++) {
			int rc = value(w, ref(cpuu_le32(w->d + vl + 4 + i * 4)));
			if (rc)
				return rc;
		}
	}
	uint32_t ns = cpuu_le32(k + 4 + 0x14);
	if (!ns)
		return CPUU_OK;
	if (ns > MAX_SUBKEYS)
		return bad(w, nk, "more subkeys than a key may have");
	if (depth + 1 >= MAX_DEPTH)
		return bad(w, nk, "key tree deeper than 512 levels");
	w->children = 0;
	w->limit = ns;
	int rc = subkey_list(w, ref(cpuu_le32(k + 4 + 0x1C)), depth + 1, 0);
	if (!rc && w->children != ns)
		rc = bad(w, nk, "subkey count does not match the subkey lists");
	return rc;
}

int cpuu_hive_check(const uint8_t *data, size_t size, const char *path)
{
	walk w;
	memset(&w, 0, sizeof w);
	w.d = data;
	w.size = size;
	w.path = path;
	if (size < BINS + 4096)
		return bad(&w, 0, "shorter than a header and one hive bin");
	uint64_t end = (uint64_t)BINS + cpuu_le32(data + 40);
	w.end = end > size ? size : (size_t)end;
	w.cell = calloc(1, w.end / 32 + 1);
	int rc = !w.cell ? cpuu_error_oom() : scan_bins(&w);
	if (!rc) {
		size_t root = ref(cpuu_le32(data + 36)), rlen = cell_at(&w, root);
		if (!rlen || rlen < 4 + 0x4C || !sig(&w, root, "nk"))
			rc = bad(&w, root, "the root key is not an allocated key cell");
		else
			clear_bit(w.cell, root);
		for (size_t depth = 0; !rc;) {
			rc = key(&w, root, (uint32_t)depth);
			if (rc || !w.nstack)
				break;
			depth = w.stack[--w.nstack];
			root = w.stack[--w.nstack];
		}
	}
	free(w.cell);
	free(w.stack);
	return rc;
}

int cpuu_hive_check_fd(int fd, uint64_t size, const char *path)
{
	if (size > (uint64_t)SIZE_MAX || size > 0x7FFFFFFFu)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: larger than 2 GB, not a user hive", path);
	void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | CPUU_MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED)
		return cpuu_error_set(errno == ENOMEM ? CPUU_ENOMEM : CPUU_EIO, "%s: cannot map the hive to check it: %s",
				      path, strerror(errno));
	int rc = cpuu_hive_check(m, (size_t)size, path);
	munmap(m, (size_t)size);
	return rc;
}

/* Anonymous pages populated in one call: the copy of a 290 KB hive
 * otherwise costs 71 page faults, one per page the read fills. */
uint8_t *cpuu_hive_image_alloc(size_t size)
{
	void *m = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | CPUU_MAP_POPULATE, -1,
		       0);
	return m == MAP_FAILED ? NULL : m;
}

void cpuu_hive_image_free(uint8_t *image, size_t size)
{
	if (image)
		munmap(image, size ? size : 1);
}

int cpuu_hive_check_read(uint8_t **image, int fd, uint64_t size, const char *path)
{
	*image = NULL;
	if (size > (uint64_t)SIZE_MAX || size > 0x7FFFFFFFu)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: larger than 2 GB, not a user hive", path);
	/* A copy, not a mapping: kept after the check (hive_raw.c), it cannot
	 * change or vanish (SIGBUS) when another program writes the file. */
	uint8_t *d = cpuu_hive_image_alloc((size_t)size);
	if (!d)
		return cpuu_error_oom();
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(fd, d + got, (size_t)size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : 0;
			cpuu_hive_image_free(d, (size_t)size);
			return cpuu_error_set(CPUU_EIO, "%s: cannot read the hive to check it: %s", path,
					      e ? strerror(e) : "it became shorter while read");
		}
		got += (size_t)r;
	}
	int rc = cpuu_hive_check(d, (size_t)size, path);
	if (rc) {
		cpuu_hive_image_free(d, (size_t)size);
		return rc;
	}
	*image = d;
	return CPUU_OK;
}
