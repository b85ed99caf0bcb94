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

/* Hex digit value + 1 (0: not a hex digit). */
static const unsigned char hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Canonical lowercase "8-4-4-4-12" into out[37] from the dashed form (with
 * or without braces) or 32 bare hex digits (with or without braces). */
static int guid_canon(char out[37], const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		u++;
		n -= 2;
	}
	if (n != 36 && n != 32)
		return 0;
	int dashed = n == 36;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (u[i] != '-')
				return 0;
			out[o++] = '-';
			continue;
		}
		unsigned v = hex1[u[i]];
		if (!v)
			return 0;
		if (!dashed && (i == 8 || i == 12 || i == 16 || i == 20))
			out[o++] = '-';
		out[o++] = hexd[v - 1];
	}
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
