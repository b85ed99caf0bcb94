/* Private declarations shared by the mapping-file side of the directory
 * module: the one key normalisation (mapping_key.c), used by the CSV loader,
 * the indexed mapping, the writer and the live LDAP lookups. */
#ifndef CPUU_DIRECTORY_MAPPING_INTERNAL_H
#define CPUU_DIRECTORY_MAPPING_INTERNAL_H

#include "common/internal.h"
#include "cpuu/mapping.h"

/* A key in its normal form, as a span: blanks and prefixes removed, kind
 * known, GUIDs canonical (then p points to guid). Case is not folded here:
 * folding is map_key_fold(), applied by hashing and comparison, so the loader
 * keeps the text as written and needs no copy. */
typedef struct map_key {
	const char *p;
	size_t n;
	cpuu_key_kind kind;
	char guid[37];
} map_key;

/* Normalises s[0..n). Returns the kind (> 0), 0 when s is no key of any
 * kind, MAP_KEY_EMPTY when nothing is left after normalisation. */
#define MAP_KEY_EMPTY (-1)
int map_key_span(map_key *k, const char *s, size_t n);

/* The case folding of keys: ASCII A-Z to a-z, every other byte unchanged. */
static inline unsigned char map_key_fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Are a and b the same key of that kind (both normalised, then compared
 * folded)? A text that does not normalise to that kind equals nothing. */
int map_key_equal(const char *a, const char *b, cpuu_key_kind kind);

/* Blanks removed around keys: space, tab, CR, LF, VT, FF (and U+00A0 as
 * UTF-8 C2 A0, handled by map_key_span). */
static inline int map_key_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* 64-bit hash of the folded normal form of a key of that kind (the indexed
 * mapping's file format depends on it: docs/mapping-index.md). */
uint64_t map_key_hash(const char *p, size_t n, cpuu_key_kind kind);

#endif
