/* The mapping file (docs/mapping-csv.md): an RFC 4180 CSV read in one pass
 * into a single buffer (fields unescaped and NUL-terminated in place, so a
 * million rows cost a handful of allocations), then an open-addressing hash
 * table over every source key. Anything doubtful makes the key ambiguous:
 * a user is switched only on a clean, unique row. */
#include "directory/mapping_internal.h"
#include "cpuu/unicode.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* The text buffer and the hash table are hundreds of MB for a million rows.
 * (Transparent huge pages were measured: direct compaction made the first
 * load 3x slower, so these stay plain heap blocks.) On Linux their pages are
 * made present in one call: the table is read before it is written, which
 * would fault every page twice (the shared zero page, then a copy), and the
 * file's read would fault once per page. Only a speed-up: an older kernel
 * refusing the advice changes nothing. */
static void *big_alloc(size_t n)
{
	void *p = calloc(1, n);
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
	if (p && n >= ((size_t)1 << 20)) {
		uintptr_t page = 4096, a = (uintptr_t)p & ~(page - 1);
		(void)madvise((void *)a, (uintptr_t)p + n - a, MADV_POPULATE_WRITE);
	}
#endif
	return p;
}

static void big_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

enum col {
	C_SRC_DN, C_SRC_SMTP, C_SRC_GUID, C_SRC_X500,
	C_TGT_DN, C_TGT_SMTP, C_TGT_GUID, C_TGT_NAME, C_TGT_KIND, C_TGT_SERVER,
	C_SWITCHED, C_COUNT
};

static const char *const col_names[C_COUNT] = {
	"source_legacy_dn", "source_smtp", "source_mailbox_guid", "source_x500",
	"target_legacy_dn", "target_smtp", "target_mailbox_guid", "target_display_name",
	"target_kind", "target_server", "switched"
};
static const int col_required[C_COUNT] = { 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1 };

/* A file of garbage must not grow a million warnings: keep the first ones. */
#define MAX_WARNINGS 10000

/* Slot reference: 0 = empty, else index + 1 in the low bits. */
#define REF_AMBIG  0x80000000u /* several rows (or a broken row) share the key */
#define REF_POISON 0x40000000u /* index is in poison, not rows */
#define REF_IDX    0x3FFFFFFFu

typedef struct slot {
	uint32_t tag;    /* high bits of the hash, low 2 bits the key kind */
	uint32_t ref;
	const char *key; /* the key as stored (row field or poison string) */
} slot;

/* An answer of an indexed mapping, kept until cpuu_mapping_free (lookups
 * hand out borrowed pointers); pushed without a lock. */
typedef struct ix_answer {
	struct ix_answer *next;
	cpuu_match m;
} ix_answer;

struct cpuu_mapping {
	cpuu_mapping_index *index;          /* set when the file is an indexed mapping */
	_Atomic(ix_answer *) answers;
	char *buf;             /* the file text; rows point into it (big_alloc) */
	size_t bufsize;
	cpuu_match *rows;
	size_t nrows, caprows;
	char **x500;           /* items of every row's source_x500 */
	size_t nx500, capx500;
	cpuu_strlist poison;   /* "<kind><key>" found in malformed rows (items grow by doubling) */
	cpuu_strlist extra;    /* canonical GUIDs longer than the field they came from */
	size_t poison_cap;
	unsigned char *shared; /* per row: shares a key with another or a broken row */
	slot *table;           /* big_alloc, mask + 1 slots */
	size_t mask;
	cpuu_strlist warnings;
	size_t dropped;        /* warnings beyond MAX_WARNINGS */
};

/* --- Case-insensitive hashing and comparison (ASCII folding) ------------- */

/* map_key_fold() for one byte; lower8 is the same folding word-wise. */
static inline unsigned char lower(unsigned char c)
{
	return map_key_fold(c);
}

/* Folds A-Z in eight bytes at once (bytes >= 0x80 untouched). */
static inline uint64_t lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t h7 = x & ~high;
	uint64_t ge_a = h7 + ones * (0x80 - 'A');
	uint64_t gt_z = h7 + ones * (0x80 - 'Z' - 1);
	uint64_t upper = ge_a & ~gt_z & ~x & high;
	return x | (upper >> 2);
}

/* 64x64 -> 128-bit multiply, both halves folded together: the mixing step
 * of hash_ci (one multiply per sixteen bytes of key). */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t lo = a * b, hi = (a >> 32) * (b >> 32);
	return lo ^ hi ^ ((lo >> 29) | (hi << 35));
#endif
}

static inline uint64_t load8(const char *s)
{
	uint64_t w;
	memcpy(&w, s, 8);
	return w;
}

static inline uint64_t load4(const char *s)
{
	uint32_t w;
	memcpy(&w, s, 4);
	return w;
}

/* The table's hash of a key's folded bytes (never stored: the indexed
 * mapping has its own, map_key_hash). Sixteen bytes per multiply, folded
 * with SSE2 where it exists; the last bytes are read as words overlapping
 * what came before, as a key's length is part of the seed. */
static uint64_t hash_ci(const char *s, size_t n, int kind)
{
	const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
	uint64_t h = ((uint64_t)kind << 56) ^ n ^ k2;
	uint64_t a, b;
	if (n > 16) {
#if defined(__SSE2__)
		const __m128i below_a = _mm_set1_epi8('A' - 1), above_z = _mm_set1_epi8('Z' + 1);
		const __m128i bit = _mm_set1_epi8(0x20);
#endif
		do {
#if defined(__SSE2__)
			/* Bytes >= 0x80 are negative to the signed compares: unchanged. */
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
			__m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, below_a), _mm_cmpgt_epi8(above_z, v));
			v = _mm_or_si128(v, _mm_and_si128(up, bit));
			a = (uint64_t)_mm_cvtsi128_si64(v);
			b = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
#else
			a = lower8(load8(s));
			b = lower8(load8(s + 8));
#endif
			h = mum(a ^ k0, b ^ h);
			s += 16;
			n -= 16;
		} while (n > 16);
		/* 1..16 bytes are left, and the key's 16 bytes before s + n exist. */
		a = lower8(load8(s + n - 16));
		b = lower8(load8(s + n - 8));
	} else if (n >= 8) {
		a = lower8(load8(s));
		b = lower8(load8(s + n - 8));
	} else if (n >= 4) {
		a = lower8(load4(s));
		b = lower8(load4(s + n - 4));
	} else if (n) {
		a = lower8((uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
			   (uint64_t)(unsigned char)s[n - 1] << 16);
		b = 0;
	} else {
		a = b = 0;
	}
	h = mum(a ^ k0, b ^ h ^ k1);
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static int eq_ci(const char *a, const char *b, size_t n)
{
	if (!a)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]) || !a[i])
			return 0;
	return a[n] == '\0';
}

/* The CSV reader's blanks around unquoted fields (RFC 4180 practice); keys
 * are normalised further by map_key_span. */
static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* --- The hash table ------------------------------------------------------- */

/* The key kind rides in the tag so equal text of two kinds never matches. */
static inline uint32_t make_tag(uint64_t h, int kind)
{
	return ((uint32_t)(h >> 32) & ~3u) | ((unsigned)kind & 3u);
}

static slot *probe(const cpuu_mapping *m, int kind, const char *key, size_t n, uint32_t *tag, int *found)
{
	uint64_t h = hash_ci(key, n, kind);
	size_t i = (size_t)h & m->mask;
	*tag = make_tag(h, kind);
	for (;;) {
		slot *s = &m->table[i];
		if (s->ref == 0) {
			*found = 0;
			return s;
		}
		if (s->tag == *tag && eq_ci(s->key, key, n)) {
			*found = 1;
			return s;
		}
		i = (i + 1) & m->mask;
	}
}

#if defined(__GNUC__)
#define PREFETCH_W(p) __builtin_prefetch((p), 1)
#else
#define PREFETCH_W(p) ((void)(p))
#endif

typedef struct pending {
	const char *key;
	size_t n;
	uint64_t h;
	uint32_t ref;
	int kind;
} pending;

static void table_insert(cpuu_mapping *m, const pending *k)
{
	size_t i = (size_t)k->h & m->mask;
	uint32_t tag = make_tag(k->h, k->kind);
	slot *s;
	for (;;) {
		s = &m->table[i];
		if (s->ref == 0) {
			s->tag = tag;
			s->ref = k->ref;
			s->key = k->key;
			return;
		}
		if (s->tag == tag && eq_ci(s->key, k->key, k->n))
			break;
		i = (i + 1) & m->mask;
	}
	if ((s->ref & ~REF_AMBIG) != k->ref) {
		/* The same row naming a key twice (legacyDN repeated among its X500s)
		 * is fine; a second row or a broken row is not, and then neither
		 * user can be trusted by any of their keys. */
		s->ref |= REF_AMBIG;
		if (!(s->ref & REF_POISON))
			m->shared[(s->ref & REF_IDX) - 1] = 1;
		if (!(k->ref & REF_POISON))
			m->shared[(k->ref & REF_IDX) - 1] = 1;
	}
}

/* Inserts run RING keys behind hashing, with the slot prefetched: the table
 * is far bigger than the caches, and the misses overlap instead of adding
 * up. The result does not depend on insertion order. */
#define RING 16
typedef struct inserter {
	cpuu_mapping *m;
	pending ring[RING];
	size_t count;
} inserter;

static void add_key(inserter *in, int kind, const char *key, uint32_t ref)
{
	pending *p = &in->ring[in->count % RING];
	if (in->count >= RING)
		table_insert(in->m, p);
	p->key = key;
	p->n = strlen(key);
	p->h = hash_ci(key, p->n, kind);
	p->ref = ref;
	p->kind = kind;
	PREFETCH_W(&in->m->table[(size_t)p->h & in->m->mask]);
	in->count++;
}

static void add_flush(inserter *in)
{
	size_t first = in->count > RING ? in->count - RING : 0;
	for (size_t c = first; c < in->count; c++)
		table_insert(in->m, &in->ring[c % RING]);
	in->count = 0;
}

static int table_build(cpuu_mapping *m)
{
	size_t nkeys = m->poison.count;
	for (size_t i = 0; i < m->nrows; i++) {
		const cpuu_match *r = &m->rows[i];
		nkeys += (r->source_legacy_dn != NULL) + (r->source_smtp != NULL) +
			 (r->source_mailbox_guid != NULL) + r->source_x500.count;
	}
	size_t cap = 16;
	while (cap < nkeys * 2) {
		if (cap > SIZE_MAX / 4 / sizeof(slot))
			return cpuu_error_oom();
		cap *= 2;
	}
	m->table = big_alloc(cap * sizeof *m->table);
	if (m->table)
		m->mask = cap - 1;
	m->shared = calloc(m->nrows ? m->nrows : 1, 1);
	if (!m->table || !m->shared)
		return cpuu_error_oom();
	inserter in = { .m = m };
	for (size_t i = 0; i < m->nrows; i++) {
		const cpuu_match *r = &m->rows[i];
		uint32_t ref = (uint32_t)(i + 1);
		if (r->source_legacy_dn)
			add_key(&in, CPUU_KEY_DN, r->source_legacy_dn, ref);
		for (size_t k = 0; k < r->source_x500.count; k++)
			add_key(&in, CPUU_KEY_DN, r->source_x500.items[k], ref);
		if (r->source_smtp)
			add_key(&in, CPUU_KEY_SMTP, r->source_smtp, ref);
		if (r->source_mailbox_guid)
			add_key(&in, CPUU_KEY_GUID, r->source_mailbox_guid, ref);
	}
	for (size_t i = 0; i < m->poison.count; i++)
		add_key(&in, (unsigned char)m->poison.items[i][0], m->poison.items[i] + 1,
			REF_POISON | (uint32_t)(i + 1));
	add_flush(&in);
	return CPUU_OK;
}

/* --- Warnings and broken rows --------------------------------------------- */

static int warn(cpuu_mapping *m, const char *fmt, ...) CPUU_PRINTF(2, 3);
static int warn(cpuu_mapping *m, const char *fmt, ...)
{
	if (m->warnings.count >= MAX_WARNINGS) {
		m->dropped++;
		return CPUU_OK;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cpuu_strlist_push(&m->warnings, msg);
}

/* Every key-like text in a broken row answers "ambiguous": its user must
 * never be switched on a row we could not read. Tokens are cut at the CSV
 * and list separators, so shifted or merged fields are still caught. */
static int poison_span(cpuu_mapping *m, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (s[i] == '\0' || s[i] == ',' || s[i] == ';' || s[i] == '"' || s[i] == '\r' || s[i] == '\n'))
			i++;
		size_t st = i;
		while (i < n && !(s[i] == '\0' || s[i] == ',' || s[i] == ';' || s[i] == '"' || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i == st)
			continue;
		map_key k;
		int kind = map_key_span(&k, s + st, i - st);
		if (kind <= 0)
			continue;
		const char *tok = k.p;
		size_t tlen = k.n;
		if (m->poison.count >= REF_IDX - 1)
			return cpuu_error_set(CPUU_EUNSUPPORTED, "too many malformed rows");
		char **g = cpuu_array_reserve(m->poison.items, &m->poison_cap, m->poison.count + 1, sizeof *g);
		if (!g)
			return cpuu_error_oom();
		m->poison.items = g;
		char *p = malloc(tlen + 2);
		if (!p)
			return cpuu_error_oom();
		p[0] = (char)kind;
		memcpy(p + 1, tok, tlen);
		p[tlen + 1] = '\0';
		m->poison.items[m->poison.count++] = p;
	}
	return CPUU_OK;
}

/* --- CSV records ----------------------------------------------------------- */

typedef struct csv_rec {
	char **f;          /* field pointers (the first cap ones) */
	size_t *n;         /* their lengths (when not NULL) */
	size_t cap;
	size_t count;      /* fields seen */
	size_t start, end; /* raw span in the buffer */
	unsigned line_first, line_last;
	const char *error; /* NULL if well-formed */
	int high;          /* a byte >= 0x80 was seen: check UTF-8 */
	int blank;         /* an empty line */
} csv_rec;

/* Bytes that stop an unquoted field scan. */
static const unsigned char stop[256] = {
	[0] = 1, [','] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1,
	[0x80] = 2, [0x81] = 2, [0x82] = 2, [0x83] = 2, [0x84] = 2, [0x85] = 2, [0x86] = 2, [0x87] = 2,
	[0x88] = 2, [0x89] = 2, [0x8a] = 2, [0x8b] = 2, [0x8c] = 2, [0x8d] = 2, [0x8e] = 2, [0x8f] = 2,
	[0x90] = 2, [0x91] = 2, [0x92] = 2, [0x93] = 2, [0x94] = 2, [0x95] = 2, [0x96] = 2, [0x97] = 2,
	[0x98] = 2, [0x99] = 2, [0x9a] = 2, [0x9b] = 2, [0x9c] = 2, [0x9d] = 2, [0x9e] = 2, [0x9f] = 2,
	[0xa0] = 2, [0xa1] = 2, [0xa2] = 2, [0xa3] = 2, [0xa4] = 2, [0xa5] = 2, [0xa6] = 2, [0xa7] = 2,
	[0xa8] = 2, [0xa9] = 2, [0xaa] = 2, [0xab] = 2, [0xac] = 2, [0xad] = 2, [0xae] = 2, [0xaf] = 2,
	[0xb0] = 2, [0xb1] = 2, [0xb2] = 2, [0xb3] = 2, [0xb4] = 2, [0xb5] = 2, [0xb6] = 2, [0xb7] = 2,
	[0xb8] = 2, [0xb9] = 2, [0xba] = 2, [0xbb] = 2, [0xbc] = 2, [0xbd] = 2, [0xbe] = 2, [0xbf] = 2,
	[0xc0] = 2, [0xc1] = 2, [0xc2] = 2, [0xc3] = 2, [0xc4] = 2, [0xc5] = 2, [0xc6] = 2, [0xc7] = 2,
	[0xc8] = 2, [0xc9] = 2, [0xca] = 2, [0xcb] = 2, [0xcc] = 2, [0xcd] = 2, [0xce] = 2, [0xcf] = 2,
	[0xd0] = 2, [0xd1] = 2, [0xd2] = 2, [0xd3] = 2, [0xd4] = 2, [0xd5] = 2, [0xd6] = 2, [0xd7] = 2,
	[0xd8] = 2, [0xd9] = 2, [0xda] = 2, [0xdb] = 2, [0xdc] = 2, [0xdd] = 2, [0xde] = 2, [0xdf] = 2,
	[0xe0] = 2, [0xe1] = 2, [0xe2] = 2, [0xe3] = 2, [0xe4] = 2, [0xe5] = 2, [0xe6] = 2, [0xe7] = 2,
	[0xe8] = 2, [0xe9] = 2, [0xea] = 2, [0xeb] = 2, [0xec] = 2, [0xed] = 2, [0xee] = 2, [0xef] = 2,
	[0xf0] = 2, [0xf1] = 2, [0xf2] = 2, [0xf3] = 2, [0xf4] = 2, [0xf5] = 2, [0xf6] = 2, [0xf7] = 2,
	[0xf8] = 2, [0xf9] = 2, [0xfa] = 2, [0xfb] = 2, [0xfc] = 2, [0xfd] = 2, [0xfe] = 2, [0xff] = 2,
};

/* Nonzero if any of 8 bytes at p stops an unquoted field (same set as stop[]):
 * most fields are plain ASCII, so skipping a word at a time pays. */
static inline uint64_t special8(const char *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t w, x, any = 0;
	memcpy(&w, p, 8);
#define HASZERO(v) (((v) - ones) & ~(v) & high)
	x = w ^ (ones * ',');
	any |= HASZERO(x);
	x = w ^ (ones * '\n');
	any |= HASZERO(x);
	x = w ^ (ones * '\r');
	any |= HASZERO(x);
	x = w ^ (ones * '"');
	any |= HASZERO(x);
	any |= HASZERO(w);
#undef HASZERO
	return any | (w & high);
}

/* The end of an unquoted field starting at p: the first byte at or after p
 * with stop[] == 1 (NUL , LF CR "), or len; *high is set when a byte >= 0x80
 * comes before it. Unquoted text is most of a mapping file, so this is the
 * loader's inner loop: sixteen bytes per step where SSE2 exists (every
 * x86-64, the Windows build's too), eight elsewhere. */
static size_t scan_unquoted(const char *buf, size_t len, size_t p, int *high)
{
#if defined(__SSE2__)
	const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	const __m128i quote = _mm_set1_epi8('"'), zero = _mm_setzero_si128();
	while (p + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
		__m128i s = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
					 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)),
						      _mm_cmpeq_epi8(v, zero)));
		unsigned sm = (unsigned)_mm_movemask_epi8(s), hm = (unsigned)_mm_movemask_epi8(v);
		if (sm) {
			unsigned i = (unsigned)__builtin_ctz(sm);
			if (hm & ((1u << i) - 1))
				*high = 1;
			return p + i;
		}
		if (hm)
			*high = 1;
		p += 16;
	}
#else
	while (p + 8 <= len && !special8(buf + p))
		p += 8;
#endif
	while (p < len && stop[(unsigned char)buf[p]] != 1) {
		if (stop[(unsigned char)buf[p]] == 2)
			*high = 1;
		p++;
	}
	return p;
}

/* Is s[0..n) free of LF and NUL? *high is set if it holds a byte >= 0x80.
 * A quoted field that is (and has no "" pair) is used where it lies. */
static int plain_quoted(const char *s, size_t n, int *high)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, zero))))
			return 0;
		if (_mm_movemask_epi8(v))
			*high = 1;
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == 0)
			return 0;
		if (c >= 0x80)
			*high = 1;
	}
	return 1;
}

/* Skips to just after the next LF at or after p (or to len). */
static size_t next_line(const char *buf, size_t len, size_t p, unsigned *line)
{
	const char *nl = p < len ? memchr(buf + p, '\n', len - p) : NULL;
	if (!nl)
		return len;
	(*line)++;
	return (size_t)(nl - buf) + 1;
}

/* Reads one record at pos (buf[len] must exist and be writable). Fields are
 * unescaped in place; a quoted field is scanned to its closing quote before
 * anything is moved, so an unterminated quote changes nothing after it and
 * parsing resumes on the next line. Returns the position after the record. */
static size_t csv_record(char *buf, size_t len, size_t pos, unsigned line, csv_rec *r)
{
	size_t p = pos;
	r->count = 0;
	r->start = pos;
	r->line_first = r->line_last = line;
	r->error = NULL;
	r->high = 0;
	r->blank = 0;
	for (;;) {
		char *field;
		size_t flen;
		int quoted = 0;
		while (p < len && is_blank((unsigned char)buf[p]))
			p++;
		if (p < len && buf[p] == '"') {
			quoted = 1;
			size_t q = p + 1;
			int pairs = 0;
			for (;;) {
				const char *hit = q < len ? memchr(buf + q, '"', len - q) : NULL;
				if (!hit) {
					r->error = "unterminated quote";
					/* Resume on the line after the opening quote: nothing
					 * after it was moved. */
					unsigned ignored = 0;
					r->end = next_line(buf, len, p, &ignored);
					return r->end;
				}
				q = (size_t)(hit - buf);
				if (q + 1 < len && buf[q + 1] == '"') {
					q += 2;
					pairs = 1;
					continue;
				}
				break;
			}
			if (!pairs && plain_quoted(buf + p + 1, q - p - 1, &r->high)) {
				/* Nothing to unescape: the content stays where it is,
				 * ended by a NUL over the closing quote. */
				field = buf + p + 1;
				flen = q - p - 1;
				p = q + 1;
				while (p < len && is_blank((unsigned char)buf[p]))
					p++;
				goto ended;
			}
			/* Content is buf[p+1 .. q) with "" pairs. */
			for (size_t k = p + 1; k < q; k++) {
				unsigned char c = (unsigned char)buf[k];
				if (c == '"')
					k++;
				else if (c == '\n')
					r->line_last++;
				else if (c == 0)
					r->error = "NUL byte in a field";
				else if (c >= 0x80)
					r->high = 1;
			}
			size_t after = q + 1;
			while (after < len && is_blank((unsigned char)buf[after]))
				after++;
			/* Unescaped (copied down to p) only when the record goes on:
			 * a broken record's text must stay as written for
			 * poison_span, or its keys would come out shifted ("a@b.cc"
			 * for "a@b.c") and its user answer "not found". */
			int ends = after >= len || buf[after] == ',' || buf[after] == '\n' ||
				   (buf[after] == '\r' && (after + 1 >= len || buf[after + 1] == '\n'));
			size_t w = p;
			if (!r->error && ends)
				for (size_t k = p + 1; k < q; k++) {
					if (buf[k] == '"')
						k++;
					buf[w++] = buf[k];
				}
			field = buf + p;
			flen = w - p;
			p = after;
		} else {
			size_t st = p;
			p = scan_unquoted(buf, len, p, &r->high);
			field = buf + st;
			flen = p - st;
			while (flen && is_blank((unsigned char)field[flen - 1]))
				flen--;
			if (p < len && buf[p] == '"')
				r->error = "quote inside an unquoted field";
			else if (p < len && buf[p] == '\0')
				r->error = "NUL byte in a field";
		}
ended:;
		/* What ends the field: ',', LF, CRLF, end of data. */
		char delim = p < len ? buf[p] : '\n';
		if (p < len && delim == '\r') {
			if (p + 1 >= len || buf[p + 1] == '\n')
				delim = '\n';
			else if (!r->error)
				r->error = "carriage return outside quotes";
		}
		if (!r->error && p < len && delim != ',' && delim != '\n')
			r->error = quoted ? "text after a closing quote" : "unexpected character";
		if (r->error) {
			unsigned ignored = 0;
			r->end = next_line(buf, len, p, &ignored);
			return r->end;
		}
		if (r->count < r->cap) {
			r->f[r->count] = field;
			if (r->n)
				r->n[r->count] = flen;
		}
		r->count++;
		if (r->count == 1 && flen == 0 && !quoted && delim == '\n')
			r->blank = 1;
		field[flen] = '\0';
		if (p >= len) {
			r->end = len;
			return len;
		}
		if (buf[p] == '\r')
			p++;
		if (p < len)
			p++;
		if (delim == '\n') {
			r->end = p;
			return p;
		}
	}
}

/* --- Rows ------------------------------------------------------------------ */

/* Is s[0..n) the word w (lowercase) in any ASCII case? (What
 * cpuu_strcasecmp_ascii answers, on a field whose length is known.) */
static int word_ci(const char *s, size_t n, const char *w)
{
	size_t i = 0;
	for (; i < n && w[i]; i++)
		if (map_key_fold((unsigned char)s[i]) != (unsigned char)w[i])
			return 0;
	return i == n && !w[i];
}

static int parse_switched(int *out, const char *s, size_t n)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };
	for (size_t i = 0; i < 3; i++) {
		if (word_ci(s, n, yes[i])) {
			*out = 1;
			return 1;
		}
		if (word_ci(s, n, no[i])) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

/* All leading copies go, so that what is kept never starts with the prefix
 * and reads back the same after a write. */
static char *strip_prefix(char *s, size_t *n, const char *prefix)
{
	size_t k = strlen(prefix);
	while (map_has_prefix_ci(s, *n, prefix)) {
		s += k;
		*n -= k;
	}
	return s;
}

/* A source key field (flen bytes) becomes its normal form (map_key_span,
 * case kept) in place: the span is cut out of the field; a canonical GUID is
 * copied over the field when it fits, else into m->extra. Returns a reason
 * for a bad row, NULL when *v was set. */
static const char *take_key(cpuu_mapping *m, char **v, char *field, size_t flen, cpuu_key_kind want,
			    const char *empty_why, int *rc)
{
	map_key k;
	int kind = map_key_span(&k, field, flen);
	if (kind == MAP_KEY_EMPTY)
		return empty_why;
	if (kind != (int)want)
		return want == CPUU_KEY_DN ? "source_legacy_dn is not a legacyExchangeDN (must start with '/')"
		     : want == CPUU_KEY_SMTP ? "source_smtp is not an SMTP address"
					     : "source_mailbox_guid is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
	if (kind == CPUU_KEY_GUID) {
		if (flen >= 36) {
			memcpy(field, k.guid, 37);
			*v = field;
			return NULL;
		}
		if (cpuu_strlist_push(&m->extra, k.guid) < 0) {
			*rc = CPUU_ENOMEM;
			return NULL;
		}
		*v = m->extra.items[m->extra.count - 1];
		return NULL;
	}
	char *p = field + (k.p - field);
	p[k.n] = '\0';
	*v = p;
	return NULL;
}

/* A target GUID: canonical like a source one (targets are no keys, but the
 * same forms are accepted). */
static int fix_guid(cpuu_mapping *m, char **v, size_t flen, int *rc)
{
	map_key k;
	if (map_key_span(&k, *v, flen) != CPUU_KEY_GUID)
		return 0;
	if (flen >= 36) {
		memcpy(*v, k.guid, 37);
	} else if (cpuu_strlist_push(&m->extra, k.guid) < 0) {
		*rc = CPUU_ENOMEM;
	} else {
		*v = m->extra.items[m->extra.count - 1];
	}
	return 1;
}

static int smtp_ok(const char *s, size_t n)
{
	/* A leading '/' would make it read as a legacyExchangeDN in lookups. */
	const char *at = memchr(s, '@', n);
	return at && at != s && at + 1 < s + n && s[0] != '/' && !memchr(s, ' ', n) && !memchr(s, '\t', n);
}

/* An X500 list item of blanks only is an empty item (as in "a; ;b"). */
static int blank_only(const char *s, size_t n)
{
	map_key k;
	return map_key_span(&k, s, n) == MAP_KEY_EMPTY && !memchr(s, ':', n);
}

/* Checks a well-formed record (fields and their lengths) and appends it to
 * m->rows; returns a reason for a bad row (NULL when kept) or sets *rc on
 * allocation failure. */
static const char *take_row(cpuu_mapping *m, char **fields, const size_t *lens, const int *colidx, int *rc)
{
	char *v[C_COUNT];
	size_t vn[C_COUNT];
	for (int c = 0; c < C_COUNT; c++) {
		v[c] = colidx[c] >= 0 ? fields[colidx[c]] : NULL;
		vn[c] = colidx[c] >= 0 ? lens[colidx[c]] : 0;
		if (v[c] && !vn[c])
			v[c] = NULL;
	}
	cpuu_match r;
	memset(&r, 0, sizeof r);
	const char *why = NULL;
	if (v[C_SRC_DN] && (why = take_key(m, &r.source_legacy_dn, v[C_SRC_DN], vn[C_SRC_DN], CPUU_KEY_DN, "source_legacy_dn is empty once blanks and its prefix are removed", rc)))
		return why;
	if (v[C_SRC_SMTP] && (why = take_key(m, &r.source_smtp, v[C_SRC_SMTP], vn[C_SRC_SMTP], CPUU_KEY_SMTP, "source_smtp is empty once blanks and its prefix are removed", rc)))
		return why;
	if (v[C_SRC_GUID] &&
	    (why = take_key(m, &r.source_mailbox_guid, v[C_SRC_GUID], vn[C_SRC_GUID], CPUU_KEY_GUID, "source_mailbox_guid holds only blanks", rc)))
		return why;
	if (*rc < 0)
		return NULL;
	if (v[C_TGT_DN] && v[C_TGT_DN][0] != '/')
		return "target_legacy_dn is not a legacyExchangeDN (must start with '/')";
	r.target_legacy_dn = v[C_TGT_DN];
	if (v[C_TGT_SMTP]) {
		size_t n = vn[C_TGT_SMTP];
		r.target_smtp = strip_prefix(v[C_TGT_SMTP], &n, "smtp:");
		if (!smtp_ok(r.target_smtp, n))
			return "target_smtp is not an SMTP address";
	}
	if (v[C_TGT_GUID]) {
		if (!fix_guid(m, &v[C_TGT_GUID], vn[C_TGT_GUID], rc))
			return "target_mailbox_guid is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
		if (*rc < 0)
			return NULL;
		r.target_mailbox_guid = v[C_TGT_GUID];
	}
	r.target_display_name = v[C_TGT_NAME];
	r.target_server = v[C_TGT_SERVER];
	if (!v[C_TGT_KIND])
		r.target_kind = CPUU_TARGET_UNKNOWN;
	else if (word_ci(v[C_TGT_KIND], vn[C_TGT_KIND], "onprem"))
		r.target_kind = CPUU_TARGET_ONPREM;
	else if (word_ci(v[C_TGT_KIND], vn[C_TGT_KIND], "online"))
		r.target_kind = CPUU_TARGET_ONLINE;
	else
		return "target_kind is not onprem, online or empty";
	if (!v[C_SWITCHED] || !parse_switched(&r.switched, v[C_SWITCHED], vn[C_SWITCHED]))
		return "switched is not true/false, yes/no or 1/0";

	/* X500 items: split at ';' in place; stored as offsets until all rows are read. */
	size_t first = m->nx500;
	if (v[C_SRC_X500]) {
		char *s = v[C_SRC_X500], *end = s + vn[C_SRC_X500];
		for (;;) {
			char *semi = memchr(s, ';', (size_t)(end - s));
			size_t n = semi ? (size_t)(semi - s) : (size_t)(end - s);
			if (semi)
				*semi = '\0';
			map_key k;
			int kind = map_key_span(&k, s, n);
			if (kind == MAP_KEY_EMPTY && !blank_only(s, n)) {
				m->nx500 = first;
				return "source_x500 holds an address that is empty once blanks and its prefix are removed";
			}
			if (kind != MAP_KEY_EMPTY) {
				if (kind != CPUU_KEY_DN) {
					m->nx500 = first;
					return "source_x500 holds an address that does not start with '/'";
				}
				char *item = (char *)k.p;
				item[k.n] = '\0';
				char **g = cpuu_array_reserve(m->x500, &m->capx500, m->nx500 + 1, sizeof *g);
				if (!g) {
					*rc = cpuu_error_oom();
					return NULL;
				}
				m->x500 = g;
				m->x500[m->nx500++] = item;
			}
			if (!semi)
				break;
			s = semi + 1;
		}
	}
	if (!r.source_legacy_dn && !r.source_smtp && !r.source_mailbox_guid && m->nx500 == first)
		return "no source key (source_legacy_dn, source_smtp, source_mailbox_guid, source_x500 all empty)";
	cpuu_match *g = cpuu_array_reserve(m->rows, &m->caprows, m->nrows + 1, sizeof *g);
	if (!g) {
		*rc = cpuu_error_oom();
		return NULL;
	}
	m->rows = g;
	if (m->nrows >= REF_IDX - 1) {
		*rc = cpuu_error_set(CPUU_EUNSUPPORTED, "mapping file has more than %u rows", (unsigned)(REF_IDX - 1));
		return NULL;
	}
	/* Rows' items follow each other in m->x500: they are pointed to once
	 * every row is read (the array still grows). */
	r.source_x500.count = m->nx500 - first;
	m->rows[m->nrows++] = r;
	return NULL;
}

/* --- Loading ---------------------------------------------------------------- */

static int header(cpuu_mapping *m, char *buf, size_t len, size_t *pos, unsigned *line, int colidx[C_COUNT], size_t *ncols)
{
	char *hf[64];
	csv_rec r = { .f = hf, .cap = 64 };
	for (;;) {
		if (*pos >= len)
			return cpuu_error_set(CPUU_EINVALID, "mapping file is empty (no header row)");
		size_t next = csv_record(buf, len, *pos, *line, &r);
		*pos = next;
		/* line_last is the line the record ended on; the next starts after it. */
		*line = r.line_last + 1;
		if (r.error)
			return cpuu_error_set(CPUU_EINVALID, "line %u: header row: %s", r.line_first, r.error);
		if (!r.blank)
			break;
	}
	if (r.count > 64)
		return cpuu_error_set(CPUU_EINVALID, "line %u: header row has %zu columns (at most 64)", r.line_first, r.count);
	for (int c = 0; c < C_COUNT; c++)
		colidx[c] = -1;
	for (size_t i = 0; i < r.count; i++) {
		int c;
		for (c = 0; c < C_COUNT; c++)
			if (!cpuu_strcasecmp_ascii(hf[i], col_names[c]))
				break;
		if (c == C_COUNT) {
			if (r.high && !cpuu_utf8_valid(hf[i], strlen(hf[i])))
				return cpuu_error_set(CPUU_EINVALID, "line %u: header row is not UTF-8 text", r.line_first);
			int rc = warn(m, "line %u: unknown column '%s', ignored", r.line_first, hf[i]);
			if (rc < 0)
				return rc;
			continue;
		}
		if (colidx[c] >= 0)
			return cpuu_error_set(CPUU_EINVALID, "line %u: column '%s' appears twice", r.line_first, col_names[c]);
		colidx[c] = (int)i;
	}
	for (int c = 0; c < C_COUNT; c++)
		if (col_required[c] && colidx[c] < 0)
			return cpuu_error_set(CPUU_EINVALID, "line %u: required column '%s' missing from the header row",
					      r.line_first, col_names[c]);
	*ncols = r.count;
	return CPUU_OK;
}

static int fields_utf8(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!cpuu_utf8_valid(f[i], strlen(f[i])))
			return 0;
	return 1;
}

static int bad_row(cpuu_mapping *m, const csv_rec *r, const char *buf, const char *reason)
{
	int rc;
	if (r->line_last > r->line_first)
		rc = warn(m, "lines %u-%u: %s; row skipped, its users are never switched", r->line_first, r->line_last, reason);
	else
		rc = warn(m, "line %u: %s; row skipped, its users are never switched", r->line_first, reason);
	if (rc < 0)
		return rc;
	return poison_span(m, buf + r->start, r->end - r->start);
}

/* Takes ownership of buf (big_alloc of bufsize > len bytes; len bytes of text). */
static int load_owned(cpuu_mapping **out, char *buf, size_t bufsize, size_t len)
{
	*out = NULL;
	cpuu_mapping *m = calloc(1, sizeof *m);
	if (!m) {
		big_free(buf, bufsize);
		return cpuu_error_oom();
	}
	atomic_init(&m->answers, NULL);
	m->buf = buf;
	m->bufsize = bufsize;
	buf[len] = '\0';
	size_t pos = 0;
	unsigned line = 1;
	int rc = CPUU_OK;
	const unsigned char *u = (const unsigned char *)buf;
	if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		rc = cpuu_error_set(CPUU_EINVALID, "mapping file is UTF-16; save it as UTF-8 (CSV UTF-8)");
		goto fail;
	}
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		pos = 3;

	int colidx[C_COUNT];
	size_t ncols = 0;
	rc = header(m, buf, len, &pos, &line, colidx, &ncols);
	if (rc < 0)
		goto fail;

	char **fields = malloc((ncols + 1) * sizeof *fields);
	size_t *lens = malloc((ncols + 1) * sizeof *lens);
	if (!fields || !lens) {
		free(fields);
		free(lens);
		rc = cpuu_error_oom();
		goto fail;
	}
	csv_rec r = { .f = fields, .n = lens, .cap = ncols + 1 };
	while (pos < len && rc == CPUU_OK) {
		pos = csv_record(buf, len, pos, line, &r);
		line = r.line_last + 1;
		if (r.blank)
			continue;
		char reason[160];
		const char *why = r.error;
		if (!why && r.count != ncols) {
			snprintf(reason, sizeof reason, "%zu fields where the header has %zu", r.count, ncols);
			why = reason;
		}
		if (!why && r.high && !fields_utf8(fields, ncols))
			why = "not valid UTF-8";
		if (!why) {
			why = take_row(m, fields, lens, colidx, &rc);
			if (rc < 0)
				break;
		}
		if (why)
			rc = bad_row(m, &r, buf, why);
	}
	free(fields);
	free(lens);
	if (rc < 0)
		goto fail;
	if (m->dropped) {
		char msg[96];
		snprintf(msg, sizeof msg, "... and %zu more warnings", m->dropped);
		m->dropped = 0;
		rc = cpuu_strlist_push(&m->warnings, msg);
		if (rc < 0)
			goto fail;
	}
	/* The X500 array no longer moves: each row's items, in row order. */
	for (size_t i = 0, at = 0; i < m->nrows; i++) {
		m->rows[i].source_x500.items = m->rows[i].source_x500.count ? m->x500 + at : NULL;
		at += m->rows[i].source_x500.count;
	}
	rc = table_build(m);
	if (rc < 0)
		goto fail;
	*out = m;
	return CPUU_OK;
fail:
	cpuu_mapping_free(m);
	return rc;
}

int cpuu_mapping_load_buffer(cpuu_mapping **out, const void *data, size_t len)
{
	*out = NULL;
	if (len && !data)
		return cpuu_error_set(CPUU_EINVALID, "mapping data is NULL");
	if (len == SIZE_MAX)
		return cpuu_error_oom();
	char *buf = big_alloc(len + 1);
	if (!buf)
		return cpuu_error_oom();
	if (len)
		memcpy(buf, data, len);
	return load_owned(out, buf, len + 1, len);
}

/* Whole file into one buffer with a spare byte; the size is only a hint so
 * a file that grows while read is still read to its end. */
static int read_all(char **out, size_t *cap_out, size_t *len, const char *path)
{
	*out = NULL;
	*len = 0;
	FILE *f = NULL;
	uint64_t sz = 0;
	/* Regular files of a bounded size only (a FIFO or /dev/zero is refused). */
	int rc = cpuu_file_open_bounded(&f, &sz, path, CPUU_FILE_MAPPING_MAX);
	if (rc)
		return rc;
	size_t cap = sz > 0 && sz < SIZE_MAX / 2 ? (size_t)sz + 2 : 65536;
	size_t n = 0;
	char *buf = big_alloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		char *g = cap > SIZE_MAX / 2 ? NULL : big_alloc(cap * 2);
		if (g)
			memcpy(g, buf, n);
		big_free(buf, cap);
		buf = g;
		cap *= 2;
	}
	if (!buf) {
		fclose(f);
		return cpuu_error_oom();
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		big_free(buf, cap);
		return cpuu_error_set(CPUU_EIO, "%s: read error", path);
	}
	*out = buf;
	*cap_out = cap;
	*len = n;
	return CPUU_OK;
}

/* [Mapping] File may name the indexed mapping (docs/mapping-index.md):
 * every caller of cpuu_mapping_load then reads a few records per lookup
 * instead of the whole CSV. */
static int load_index(cpuu_mapping **out, const char *path)
{
	cpuu_mapping *m = calloc(1, sizeof *m);
	if (!m)
		return cpuu_error_oom();
	atomic_init(&m->answers, NULL);
	int rc = cpuu_mapping_index_open(&m->index, path);
	if (rc < 0) {
		free(m);
		return rc;
	}
	*out = m;
	return CPUU_OK;
}

static int lookup_index(const cpuu_match **match, cpuu_lookup_status *status, const cpuu_mapping *m, const char *key)
{
	ix_answer *a = calloc(1, sizeof *a);
	if (!a)
		return cpuu_error_oom();
	int rc = cpuu_mapping_index_lookup(&a->m, status, m->index, key);
	if (rc < 0 || (*status != CPUU_LOOKUP_FOUND && *status != CPUU_LOOKUP_NO_TARGET)) {
		cpuu_match_clear(&a->m);
		free(a);
		return rc;
	}
	/* The answers list is the only thing a lookup changes: a const mapping
	 * is still safe to share between threads. */
	_Atomic(ix_answer *) *head = (_Atomic(ix_answer *) *)&m->answers;
	ix_answer *old = atomic_load(head);
	do
		a->next = old;
	while (!atomic_compare_exchange_weak(head, &old, a));
	*match = &a->m;
	return CPUU_OK;
}

int cpuu_mapping_load(cpuu_mapping **out, const char *path)
{
	char *buf;
	size_t cap = 0, len = 0;
	*out = NULL;
	if (path && cpuu_mapping_is_index(path))
		return load_index(out, path);
	int rc = read_all(&buf, &cap, &len, path);
	if (rc < 0)
		return rc;
	rc = load_owned(out, buf, cap, len);
	if (rc < 0)
		cpuu_error_prefix("%s", path);
	return rc;
}

void cpuu_mapping_free(cpuu_mapping *m)
{
	if (!m)
		return;
	ix_answer *a = atomic_load(&m->answers);
	while (a) {
		ix_answer *next = a->next;
		cpuu_match_clear(&a->m);
		free(a);
		a = next;
	}
	cpuu_mapping_index_free(m->index);
	big_free(m->buf, m->bufsize);
	free(m->rows);
	free(m->x500);
	cpuu_strlist_free(&m->poison);
	cpuu_strlist_free(&m->extra);
	if (m->table)
		big_free(m->table, (m->mask + 1) * sizeof *m->table);
	free(m->shared);
	cpuu_strlist_free(&m->warnings);
	free(m);
}

/* --- Queries ---------------------------------------------------------------- */

int cpuu_mapping_lookup(const cpuu_match **match, cpuu_lookup_status *status,
			const cpuu_mapping *m, const char *key)
{
	*match = NULL;
	*status = CPUU_LOOKUP_NO_SOURCE;
	if (!m || !key)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_lookup: NULL argument");
	if (m->index)
		return lookup_index(match, status, m, key);
	map_key k;
	int kind = map_key_for_lookup(&k, key);
	if (kind < 0)
		return kind;
	uint32_t tag;
	int found;
	const slot *s = probe(m, kind, k.p, k.n, &tag, &found);
	if (!found)
		return CPUU_OK;
	/* Only a broken row holds the key: the user's correspondence exists
	 * but cannot be read (INVALID_SWITCH_MSG), not a choice of rows. */
	if ((s->ref & (REF_AMBIG | REF_POISON)) == REF_POISON) {
		*status = CPUU_LOOKUP_INVALID;
		return CPUU_OK;
	}
	if ((s->ref & (REF_AMBIG | REF_POISON)) || m->shared[(s->ref & REF_IDX) - 1]) {
		*status = CPUU_LOOKUP_AMBIGUOUS;
		return CPUU_OK;
	}
	const cpuu_match *r = &m->rows[(s->ref & REF_IDX) - 1];
	*match = r;
	*status = (r->target_legacy_dn || r->target_smtp) ? CPUU_LOOKUP_FOUND : CPUU_LOOKUP_NO_TARGET;
	return CPUU_OK;
}

int map_each_key(const cpuu_mapping *m, map_key_cb cb, void *user)
{
	for (size_t i = 0; m->table && i <= m->mask; i++) {
		const slot *s = &m->table[i];
		if (s->ref == 0)
			continue;
		size_t idx = (s->ref & REF_IDX) - 1;
		const cpuu_match *row = NULL;
		/* As cpuu_mapping_lookup answers: a key only a malformed row holds
		 * is invalid, one in several rows ambiguous. */
		cpuu_lookup_status st = (s->ref & (REF_AMBIG | REF_POISON)) == REF_POISON ? CPUU_LOOKUP_INVALID
											 : CPUU_LOOKUP_AMBIGUOUS;
		if (!(s->ref & (REF_AMBIG | REF_POISON)) && !m->shared[idx]) {
			row = &m->rows[idx];
			st = (row->target_legacy_dn || row->target_smtp) ? CPUU_LOOKUP_FOUND : CPUU_LOOKUP_NO_TARGET;
		}
		int rc = cb(user, s->key, strlen(s->key), (cpuu_key_kind)(s->tag & 3u), st, row, row ? idx : 0);
		if (rc < 0)
			return rc;
	}
	return CPUU_OK;
}

size_t map_key_count(const cpuu_mapping *m)
{
	size_t n = 0;
	for (size_t i = 0; m->table && i <= m->mask; i++)
		n += m->table[i].ref != 0;
	return n;
}

size_t cpuu_mapping_count(const cpuu_mapping *m)
{
	return m ? m->nrows : 0;
}

const cpuu_match *cpuu_mapping_get(const cpuu_mapping *m, size_t i)
{
	return (m && i < m->nrows) ? &m->rows[i] : NULL;
}

const cpuu_strlist *cpuu_mapping_warnings(const cpuu_mapping *m)
{
	return m ? &m->warnings : NULL;
}
