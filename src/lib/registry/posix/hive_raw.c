/* Reads from the hive image the structural check walked (hive_check.c),
 * for as long as hivex has written nothing into its own copy: names,
 * subkey and value lists and value data, with the results hivex's public
 * API gives (hivex 1.3.23 lib/node.c, lib/value.c).
 *
 * Why: hivex converts every name it returns through iconv (Latin-1 or
 * UTF-16LE to UTF-8), also to compare names in hivex_node_get_child and
 * hivex_node_get_value, which convert each sibling's name until one
 * matches; for the ASCII names of a profile that was about a sixth of an
 * update's instructions. The image has passed the check, so every offset
 * followed here points at an allocated cell of the right kind and size;
 * what the check does not settle (big-data values, empty values out of
 * line) is left to hivex (return 1).
 *
 * Names: hivex returns the converted bytes NUL-terminated, so a name
 * holding a NUL reads as the part before it; so do these. Comparisons are
 * those of hivex's STRCASEEQ in the C locale: ASCII letters folded. */
#include "registry/hive.h"

#include <stdlib.h>
#include <string.h>

#define BINS 0x1000u

static size_t at(uint32_t rel)
{
	return (size_t)rel + BINS;
}

/* A name as stored: Latin-1 bytes or UTF-16LE units, up to the first NUL. */
typedef struct raw_name {
	const uint8_t *p;
	size_t n; /* bytes */
	int utf16;
} raw_name;

static raw_name key_name(const hive_raw *r, uint64_t nk)
{
	const uint8_t *k = r->d + nk;
	raw_name rn = { k + 0x50, cpuu_le16(k + 0x4C), !(cpuu_le16(k + 6) & 0x20) };
	return rn;
}

static raw_name value_name(const hive_raw *r, uint64_t vk)
{
	const uint8_t *v = r->d + vk;
	raw_name rn = { v + 0x18, cpuu_le16(v + 6), !(cpuu_le16(v + 0x14) & 1) };
	return rn;
}

/* At most 3 UTF-8 bytes per UTF-16 unit (4 per pair), 2 per Latin-1 byte. */
static size_t decoded_max(raw_name rn)
{
	return rn.utf16 ? rn.n / 2 * 3 + 1 : rn.n * 2 + 1;
}

/* Into out (decoded_max bytes), NUL-terminated; the length. */
static size_t decode_to(raw_name rn, char *out)
{
	size_t o = 0;
	if (!rn.utf16) {
		/* The ASCII run (most names are all ASCII) copied as is. */
		size_t i = 0;
		for (uint64_t w; i + 8 <= rn.n; i += 8) { /* eight at a time: no NUL, no high bit */
			memcpy(&w, rn.p + i, 8);
			if ((w | ((w - 0x0101010101010101ull) & ~w)) & 0x8080808080808080ull)
				break;
		}
		while (i < rn.n && (unsigned)(rn.p[i] - 1) < 0x7Fu)
			i++;
		memcpy(out, rn.p, i);
		o = i;
		for (; i < rn.n && rn.p[i]; i++) {
			uint8_t b = rn.p[i];
			if (b < 0x80) {
				out[o++] = (char)b;
			} else {
				out[o++] = (char)(0xC0 | b >> 6);
				out[o++] = (char)(0x80 | (b & 0x3F));
			}
		}
	} else {
		for (size_t i = 0; i + 1 < rn.n; i += 2) {
			uint32_t u = cpuu_le16(rn.p + i);
			if (!u)
				break;
			if (u >= 0xD800 && u <= 0xDBFF && i + 3 < rn.n) { /* paired: the check refused lone halves */
				u = 0x10000 + ((u - 0xD800) << 10) + (cpuu_le16(rn.p + i + 2) - 0xDC00u);
				i += 2;
			}
			if (u < 0x80) {
				out[o++] = (char)u;
			} else if (u < 0x800) {
				out[o++] = (char)(0xC0 | u >> 6);
				out[o++] = (char)(0x80 | (u & 0x3F));
			} else if (u < 0x10000) {
				out[o++] = (char)(0xE0 | u >> 12);
				out[o++] = (char)(0x80 | (u >> 6 & 0x3F));
				out[o++] = (char)(0x80 | (u & 0x3F));
			} else {
				out[o++] = (char)(0xF0 | u >> 18);
				out[o++] = (char)(0x80 | (u >> 12 & 0x3F));
				out[o++] = (char)(0x80 | (u >> 6 & 0x3F));
				out[o++] = (char)(0x80 | (u & 0x3F));
			}
		}
	}
	out[o] = '\0';
	return o;
}

static char *decode(raw_name rn)
{
	char *out = malloc(decoded_max(rn));
	if (out)
		decode_to(rn, out);
	return out;
}

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* strcasecmp(decoded, ascii) == 0 without decoding: a stored character
 * outside ASCII decodes to bytes >= 0x80, which no ASCII byte equals. */
static int same_ascii(raw_name rn, const char *ascii, size_t alen)
{
	/* Lookups scan a key's names: most differ in length, told at once. A
	 * stored name reads up to its first NUL, so a longer one can still
	 * match if a NUL ends it right there. */
	size_t units = rn.utf16 ? rn.n / 2 : rn.n;
	if (units < alen)
		return 0;
	if (units > alen && (rn.utf16 ? cpuu_le16(rn.p + 2 * alen) : rn.p[alen]) != 0)
		return 0;
	/* Now the stored name is alen characters long (up to its NUL): compare
	 * exactly those, bytes first (most compare equal as they are), folding
	 * only where they differ. A NUL or a non-ASCII character in the stored
	 * name never equals a character of ascii (which has neither). */
	if (!rn.utf16) {
		for (size_t i = 0; i < alen; i++) {
			unsigned b = rn.p[i], a = (unsigned char)ascii[i];
			if (b != a && (b >= 0x80 || fold((int)b) != fold((int)a)))
				return 0;
		}
	} else {
		for (size_t i = 0; i < alen; i++) {
			unsigned u = cpuu_le16(rn.p + 2 * i), a = (unsigned char)ascii[i];
			if (u != a && (u >= 0x80 || fold((int)u) != fold((int)a)))
				return 0;
		}
	}
	return 1;
}

char *hive_raw_key_name(const hive_raw *r, uint64_t nk)
{
	return decode(key_name(r, nk));
}

char *hive_raw_value_name(const hive_raw *r, uint64_t vk)
{
	return decode(value_name(r, vk));
}

/* Calls fn for each subkey in list order (lf/lh/li, ri of those, as hivex
 * walks them); stops at the first nonzero return, which it returns. */
typedef int (*kid_fn)(void *ctx, uint64_t nk);

static int each_in_list(const hive_raw *r, size_t off, unsigned depth, kid_fn fn, void *ctx)
{
	const uint8_t *l = r->d + off;
	size_t n = cpuu_le16(l + 6);
	int rc = 0;
	if (l[4] == 'l' && (l[5] == 'f' || l[5] == 'h')) {
		for (size_t i = 0; i < n && !rc; i++)
			rc = fn(ctx, at(cpuu_le32(l + 8 + i * 8)));
	} else if (l[4] == 'l' && l[5] == 'i') {
		for (size_t i = 0; i < n && !rc; i++)
			rc = fn(ctx, at(cpuu_le32(l + 8 + i * 4)));
	} else if (depth < 64) { /* ri: the check bounds its nesting at 32 */
		for (size_t i = 0; i < n && !rc; i++)
			rc = each_in_list(r, at(cpuu_le32(l + 8 + i * 4)), depth + 1, fn, ctx);
	}
	return rc;
}

static int each_child(const hive_raw *r, uint64_t nk, kid_fn fn, void *ctx)
{
	const uint8_t *k = r->d + nk;
	if (!cpuu_le32(k + 0x18))
		return 0;
	return each_in_list(r, at(cpuu_le32(k + 0x20)), 0, fn, ctx);
}

typedef struct kids {
	uint64_t *v;
	size_t n;
} kids;

static int collect(void *ctx, uint64_t nk)
{
	kids *k = ctx;
	k->v[k->n++] = nk;
	return 0;
}

int hive_raw_children(uint64_t **out, size_t *count, const hive_raw *r, uint64_t nk)
{
	/* The check matched the lists against this count. */
	size_t n = cpuu_le32(r->d + nk + 0x18);
	kids k = { malloc((n ? n : 1) * sizeof *k.v), 0 };
	if (!k.v)
		return cpuu_error_oom();
	each_child(r, nk, collect, &k);
	*out = k.v;
	*count = k.n;
	return CPUU_OK;
}

typedef struct find {
	const hive_raw *r;
	const char *name;
	size_t len;
	uint64_t found;
} find;

static int match(void *ctx, uint64_t nk)
{
	find *f = ctx;
	if (!same_ascii(key_name(f->r, nk), f->name, f->len))
		return 0;
	f->found = nk;
	return 1;
}

uint64_t hive_raw_child(const hive_raw *r, uint64_t nk, const char *ascii)
{
	find f = { r, ascii, strlen(ascii), 0 };
	each_child(r, nk, match, &f);
	return f.found;
}

int hive_raw_values(hive_value_h **out, size_t *count, const hive_raw *r, uint64_t nk)
{
	const uint8_t *k = r->d + nk;
	size_t n = cpuu_le32(k + 0x28);
	*count = n;
	hive_value_h *v = malloc((n ? n : 1) * sizeof *v);
	if (!(*out = v))
		return cpuu_error_oom();
	if (!n)
		return CPUU_OK;
	const uint8_t *list = r->d + at(cpuu_le32(k + 0x2C));
	for (size_t i = 0; i < n; i++)
		v[i] = at(cpuu_le32(list + 4 + i * 4));
	return CPUU_OK;
}

uint64_t hive_raw_value_find(const hive_raw *r, uint64_t nk, const char *ascii)
{
	const uint8_t *k = r->d + nk;
	size_t n = cpuu_le32(k + 0x28), alen = strlen(ascii);
	if (!n)
		return 0;
	const uint8_t *list = r->d + at(cpuu_le32(k + 0x2C));
	for (size_t i = 0; i < n; i++) {
		uint64_t vk = at(cpuu_le32(list + 4 + i * 4));
		if (same_ascii(value_name(r, vk), ascii, alen))
			return vk;
	}
	return 0;
}

/* Where a value's data is in the image: 0 with src and n, or 1 when only
 * hivex can tell (an empty value's unused offset, big data). */
static int value_src(const uint8_t **src, size_t *n, const hive_raw *r, uint64_t vk)
{
	const uint8_t *v = r->d + vk;
	uint32_t dlen = cpuu_le32(v + 8);
	*n = dlen & 0x7FFFFFFFu;
	if (dlen & 0x80000000u) {
		*src = v + 12; /* inline, at most 4 bytes (checked) */
		return 0;
	}
	if (!*n)
		return 1; /* hivex checks the unused offset: its answer */
	const uint8_t *cell = r->d + at(cpuu_le32(v + 12));
	size_t clen = (size_t)(-(int64_t)(int32_t)cpuu_le32(cell));
	if (*n > clen - 4)
		return 1; /* big data */
	*src = cell + 4;
	return 0;
}

int hive_raw_value_data(uint8_t **data, size_t *len, uint32_t *type, const hive_raw *r, uint64_t vk)
{
	const uint8_t *src;
	size_t n;
	if (value_src(&src, &n, r, vk))
		return 1;
	uint8_t *out = malloc(n ? n : 1);
	if (!out)
		return cpuu_error_oom();
	memcpy(out, src, n);
	*data = out;
	*len = n;
	*type = cpuu_le32(r->d + vk + 16);
	return CPUU_OK;
}

int hive_raw_value_read(cpuu_reg_value *out, const hive_raw *r, uint64_t vk)
{
	const uint8_t *src;
	size_t n;
	memset(out, 0, sizeof *out);
	if (value_src(&src, &n, r, vk))
		return 1;
	raw_name rn = value_name(r, vk);
	uint8_t *b = malloc(n + decoded_max(rn));
	if (!b)
		return cpuu_error_oom();
	memcpy(b, src, n);
	decode_to(rn, (char *)b + n);
	out->data = b;
	out->len = n;
	out->name = (char *)b + n;
	out->name_in_data = 1;
	out->type = cpuu_le32(r->d + vk + 16);
	return CPUU_OK;
}

int hive_raw_has_key(const hive_raw *r, uint64_t nk)
{
	if (!r->d || r->size < 0x50 || nk < BINS || (nk & 3) || nk > r->size - 0x50)
		return 0;
	const uint8_t *k = r->d + nk;
	return (int32_t)cpuu_le32(k) < 0 && k[4] == 'n' && k[5] == 'k';
}

int hive_raw_lists_ok(const hive_raw *r, uint64_t nk)
{
	if (!hive_raw_has_key(r, nk))
		return 0;
	for (size_t i = 0; i < r->ntouched; i++)
		if (r->touched[i] == nk)
			return 0;
	return 1;
}

int hive_raw_touch(hive_raw *r, uint64_t nk)
{
	if (!r->d)
		return 0;
	uint64_t *t = cpuu_array_reserve(r->touched, &r->captouched, r->ntouched + 1, sizeof *t);
	if (!t)
		return -1;
	r->touched = t;
	r->touched[r->ntouched++] = nk;
	return 0;
}
