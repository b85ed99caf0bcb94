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

/* map_key_span for a lookup: the kind (> 0), or a negative code with the
 * message every lookup gives for an empty key or a key of no kind. */
int map_key_for_lookup(map_key *k, const char *key);

/* Case-insensitive (ASCII) test of prefix (lowercase) at s[0..n). */
int map_has_prefix_ci(const char *s, size_t n, const char *prefix);

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

/* --- Walking the loaded mapping (mapping.c), for the indexed mapping -------
 * cb gets every key of the hash table once: its normal form as stored (case
 * kept), its kind, and exactly what cpuu_mapping_lookup answers for it
 * (row NULL unless FOUND / NO_TARGET; row_index its place in file order). */
typedef int (*map_key_cb)(void *user, const char *key, size_t n, cpuu_key_kind kind,
			  cpuu_lookup_status status, const cpuu_match *row, size_t row_index);
int map_each_key(const cpuu_mapping *m, map_key_cb cb, void *user);
size_t map_key_count(const cpuu_mapping *m);

/* --- The indexed mapping's file (docs/mapping-index.md) ------------------- */
#define MIX_MAGIC "CPUUMIX\x1a"
#define MIX_VERSION 1u
#define MIX_HEADER 96u          /* fixed part; the CSV's file name follows */
#define MIX_SLOT 16u            /* u64 hash (0 = empty), u64 key record offset */
#define MIX_KEYREC 16u          /* u8 kind, u8 status, u16 key length, u32 0, u64 row offset; key */
#define MIX_NULL 0xFFFFFFFFu    /* string length of an absent value in a row record */

/* 64-bit hash of a whole file's bytes (the CSV's fingerprint in the index). */
uint64_t map_content_hash(uint64_t h, const void *data, size_t n);
#define MAP_CONTENT_SEED 0x243F6A8885A308D3ull
/* The CSV's fingerprint as recorded in an index (whole file read). */
int map_csv_hash(uint64_t *hash, const char *path);

#endif
