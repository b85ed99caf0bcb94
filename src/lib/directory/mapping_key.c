/* The one normalisation of mapping keys (docs/mapping-csv.md, "Keys"). Every
 * place that stores, indexes, compares or writes a source key goes through
 * map_key_span: if two texts normalise to the same key they are the same user
 * to every lookup, so they must also be the same key to the duplicate rule. */
#include "directory/mapping_internal.h"

#include <stdlib.h>
#include <string.h>

int map_has_prefix_ci(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (map_key_fold((unsigned char)s[i]) != (unsigned char)prefix[i])
			return 0;
	return 1;
}

/* Excel and web pages bring in U+00A0 (UTF-8 C2 A0); LDAP's string
 * preparation (RFC 4518) maps it to a space too. */
static void trim(const char **s, size_t *n)
{
	const unsigned char *u = (const unsigned char *)*s;
	size_t len = *n;
	for (;;) {
		if (len && map_key_blank(*u)) {
			u++;
			len--;
		} else if (len >= 2 && u[0] == 0xC2 && u[1] == 0xA0) {
			u += 2;
			len -= 2;
		} else {
			break;
		}
	}
	for (;;) {
		if (len && map_key_blank(u[len - 1]))
			len--;
		else if (len >= 2 && u[len - 2] == 0xC2 && u[len - 1] == 0xA0)
			len -= 2;
		else
			break;
	}
	*s = (const char *)u;
	*n = len;
}

/* Eight hex digits at once, lowercased into *out: 1 if all eight are
 * [0-9a-fA-F]. Byte-wise ranges without carries between bytes (every byte is
 * below 0x80 once the first test passed). Digits already have bit 0x20, so
 * setting it lowercases the letters and leaves the digits alone. */
static int hex8(uint64_t *out, const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t w;
	memcpy(&w, p, 8);
	if (w & high)
		return 0;
	uint64_t l = w | (ones * 0x20);
#define IN_RANGE(x, lo, hi) (((x) + ones * (0x80 - (lo))) & ~((x) + ones * (0x7f - (hi))) & high)
	uint64_t ok = IN_RANGE(w, '0', '9') | IN_RANGE(l, 'a', 'f');
#undef IN_RANGE
	*out = l;
	return ok == high;
}

/* Canonical lowercase "8-4-4-4-12" into out[37] from the dashed form or 32
 * bare hex digits, braces optional. Word-wise: the loader canonicalises two
 * GUIDs per row of a million-row file. */
static int guid_canon(char out[37], const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		u++;
		n -= 2;
	}
	unsigned char h[32];
	if (n == 36) {
		if (u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
			return 0;
		memcpy(h, u, 8);
		memcpy(h + 8, u + 9, 4);
		memcpy(h + 12, u + 14, 4);
		memcpy(h + 16, u + 19, 4);
		memcpy(h + 20, u + 24, 12);
	} else if (n == 32) {
		memcpy(h, u, 32);
	} else {
		return 0;
	}
	uint64_t w[4];
	if (!hex8(&w[0], h) || !hex8(&w[1], h + 8) || !hex8(&w[2], h + 16) || !hex8(&w[3], h + 24))
		return 0;
	memcpy(h, w, 32);
	memcpy(out, h, 8);
	memcpy(out + 9, h + 8, 4);
	memcpy(out + 14, h + 12, 4);
	memcpy(out + 19, h + 16, 4);
	memcpy(out + 24, h + 20, 12);
	out[8] = out[13] = out[18] = out[23] = '-';
	out[36] = '\0';
	return 1;
}

static int smtp_shape(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (!at || at == s || at == s + n - 1 || s[0] == '/')
		return 0;
	/* An address never holds blanks; one that does was split or pasted badly. */
	for (size_t i = 0; i < n; i++)
		if (map_key_blank((unsigned char)s[i]))
			return 0;
	return 1;
}

int map_key_span(map_key *k, const char *s, size_t n)
{
	k->kind = CPUU_KEY_NONE;
	k->p = s;
	k->n = 0;
	trim(&s, &n);
	cpuu_key_kind kind = CPUU_KEY_NONE;
	/* Every leading copy of the kind's prefix goes, so what is kept never
	 * starts with it and reads back the same after a write. */
	/* Every prefix starts with one of these letters: most keys skip the
	 * prefix tests (the loader normalises millions of keys). */
	for (; n && ((s[0] | 0x20) == 'x' || (s[0] | 0x20) == 'e' || (s[0] | 0x20) == 's');) {
		size_t skip = 0;
		if (kind != CPUU_KEY_SMTP && map_has_prefix_ci(s, n, "x500:"))
			skip = 5;
		else if (kind != CPUU_KEY_SMTP && map_has_prefix_ci(s, n, "ex:"))
			skip = 3;
		if (skip) {
			kind = CPUU_KEY_DN;
		} else if (kind != CPUU_KEY_DN && map_has_prefix_ci(s, n, "smtp:")) {
			skip = 5;
			kind = CPUU_KEY_SMTP;
		} else {
			break;
		}
		s += skip;
		n -= skip;
		trim(&s, &n);
	}
	if (!n)
		return MAP_KEY_EMPTY;
	if (kind == CPUU_KEY_NONE) {
		if (s[0] == '/')
			kind = CPUU_KEY_DN;
		else if (memchr(s, '@', n))
			kind = CPUU_KEY_SMTP;
		else if (guid_canon(k->guid, s, n))
			kind = CPUU_KEY_GUID;
		else
			return 0;
	}
	if (kind == CPUU_KEY_DN && s[0] != '/')
		return 0;
	if (kind == CPUU_KEY_SMTP && !smtp_shape(s, n))
		return 0;
	if (kind == CPUU_KEY_GUID) {
		s = k->guid;
		n = 36;
	}
	k->p = s;
	k->n = n;
	k->kind = kind;
	return (int)kind;
}

int map_key_for_lookup(map_key *k, const char *key)
{
	int kind = map_key_span(k, key, strlen(key));
	if (kind == MAP_KEY_EMPTY)
		return cpuu_error_set(CPUU_EINVALID, "'%.200s' is empty once blanks and prefixes are removed", key);
	if (kind == 0)
		return cpuu_error_set(CPUU_EINVALID,
				      "'%.200s' is not a legacyExchangeDN, X500, SMTP address or mailbox GUID", key);
	return kind;
}

int cpuu_mapping_key_normalize(char *out, size_t out_size, cpuu_key_kind *kind,
			       const char *key, size_t len, unsigned flags)
{
	if (kind)
		*kind = CPUU_KEY_NONE;
	if (!out || !out_size || (!key && len))
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_key_normalize: NULL argument");
	out[0] = '\0';
	map_key k;
	int r = map_key_span(&k, key ? key : "", len);
	if (r <= 0) {
		/* the lookup's messages, on a NUL-terminated copy of the key */
		char *z = cpuu_strndup(key ? key : "", len);
		if (!z)
			return cpuu_error_oom();
		r = map_key_for_lookup(&k, z);
		free(z);
		return r;
	}
	if (k.n >= out_size)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_key_normalize: output buffer too small");
	for (size_t i = 0; i < k.n; i++)
		out[i] = (flags & CPUU_KEY_FOLD) ? (char)map_key_fold((unsigned char)k.p[i]) : k.p[i];
	out[k.n] = '\0';
	if (kind)
		*kind = k.kind;
	return CPUU_OK;
}

int map_key_equal(const char *a, const char *b, cpuu_key_kind kind)
{
	map_key ka, kb;
	if (!a || !b || map_key_span(&ka, a, strlen(a)) != (int)kind || map_key_span(&kb, b, strlen(b)) != (int)kind ||
	    ka.n != kb.n)
		return 0;
	for (size_t i = 0; i < ka.n; i++)
		if (map_key_fold((unsigned char)ka.p[i]) != map_key_fold((unsigned char)kb.p[i]))
			return 0;
	return 1;
}

uint64_t map_key_hash(const char *p, size_t n, cpuu_key_kind kind)
{
	/* FNV-1a over the kind and the folded bytes, then a final mix: stable
	 * across platforms, since index files are built on one and read on another. */
	uint64_t h = 1469598103934665603ull;
	h = (h ^ (uint64_t)kind) * 1099511628211ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ map_key_fold((unsigned char)p[i])) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}
