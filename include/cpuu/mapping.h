/* The exported mapping file: source -> target correspondences in a CSV
 * (docs/mapping-csv.md), read into memory with O(1) lookups by any source
 * key. It must answer exactly as the live directories would (cpuu/directory.h).
 *
 * Format: RFC 4180 (fields separated by ',', records by CRLF or LF; a field
 * in double quotes may hold commas, CR/LF and "" for a quote), UTF-8 with or
 * without BOM, a header row naming the columns in any order:
 *   source_legacy_dn, source_smtp, source_mailbox_guid, source_x500,
 *   target_legacy_dn, target_smtp, target_mailbox_guid, target_display_name,
 *   target_kind, target_server, switched
 * Required: source_legacy_dn, source_smtp, target_legacy_dn, target_smtp,
 * switched. Unknown columns are ignored with a warning.
 *   source_x500   several X500 addresses separated by ';' ("X500:" prefix optional)
 *   *_guid        "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", braces optional, any case
 *   target_kind   onprem | online | empty (unknown)
 *   switched      true/false, yes/no, 1/0 (case-insensitive)
 * An empty field is an absent value (NULL in cpuu_match).
 *
 * Safety rules: a source key (legacyExchangeDN or X500, SMTP, mailbox GUID)
 * that appears in more than one row makes those rows ambiguous: every lookup
 * of them, by any of their keys, answers CPUU_LOOKUP_AMBIGUOUS. A malformed row (wrong field count, unterminated
 * quote, bad GUID, bad switched or target_kind value, invalid UTF-8, a source
 * key of the wrong shape or empty once normalised) is skipped with a warning
 * naming its line, and
 * every key-like text in it also answers CPUU_LOOKUP_AMBIGUOUS: a user whose
 * row is broken is never switched. */
#ifndef CPUU_MAPPING_H
#define CPUU_MAPPING_H

#include "cpuu/directory.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpuu_mapping cpuu_mapping;

/* Loads a mapping file. Fails (CPUU_EINVALID, message with the line) only
 * for problems with the whole file: no header, a required column missing, a
 * column named twice, UTF-16 or binary data. Row problems are warnings.
 * CPUU_ENOTFOUND if absent, CPUU_EIO if unreadable. On failure *out is NULL.
 * A file that is an indexed mapping (cpuu_mapping_is_index) is opened as one
 * instead (cpuu_mapping_index_open, stale ones refused): lookups then read a
 * few records each and answer exactly as its CSV; it lists no rows (count 0)
 * and no warnings (they were given when it was built), and every answer a
 * lookup hands out is kept until cpuu_mapping_free (workstations; bulk runs
 * should load the CSV). */
int cpuu_mapping_load(cpuu_mapping **out, const char *path);
/* Same from memory (data is copied; it need not be NUL-terminated). */
int cpuu_mapping_load_buffer(cpuu_mapping **out, const void *data, size_t len);
void cpuu_mapping_free(cpuu_mapping *m);

/* Looks up a source mailbox. The key kind is detected:
 *   legacyExchangeDN or X500: starts with '/' ("/o=..."), or "X500:" + that;
 *     matches the source_legacy_dn or any source_x500 (case-insensitive);
 *   SMTP: contains '@', optional "SMTP:" prefix (case-insensitive);
 *   mailbox GUID: 32 hex digits with or without dashes and braces.
 * Returns CPUU_OK and sets *status:
 *   CPUU_LOOKUP_FOUND      *match is the row (target present);
 *   CPUU_LOOKUP_NO_TARGET  *match is the row, which has neither target_legacy_dn
 *                          nor target_smtp;
 *   CPUU_LOOKUP_NO_SOURCE  no row has that key; *match NULL;
 *   CPUU_LOOKUP_AMBIGUOUS  several rows, or a malformed row; *match NULL.
 * *match is borrowed: valid until cpuu_mapping_free. Returns CPUU_EINVALID
 * (status NO_SOURCE) for a key of no recognisable kind. Thread-safe (read only). */
int cpuu_mapping_lookup(const cpuu_match **match, cpuu_lookup_status *status,
			const cpuu_mapping *m, const char *key);

/* --- Keys: the one normalisation (docs/mapping-csv.md, "Keys") ------------
 * Used by the loader (duplicates and ambiguity), every lookup (mapping file,
 * indexed mapping, live LDAP results) and the writer: two texts with the same
 * normal form are the same key everywhere.
 *   1. blanks (space, tab, CR, LF, VT, FF, U+00A0) around the key go;
 *   2. every leading "X500:" or "EX:" (then a legacyExchangeDN / X500) or
 *      "SMTP:" prefix goes, any case, with the blanks after it;
 *   3. the kind: DN (starts with '/'), SMTP (an '@' neither first nor last,
 *      no blank inside, not starting with '/'), GUID (32 hex digits, dashed
 *      8-4-4-4-12 or not, braces optional: made lowercase dashed);
 *   4. with CPUU_KEY_FOLD, A-Z become a-z (keys compare ASCII case-insensitively).
 * Inner text is never changed. A key empty after step 2 is no key. */
typedef enum cpuu_key_kind {
	CPUU_KEY_NONE = 0,
	CPUU_KEY_DN = 1,   /* legacyExchangeDN or X500 address */
	CPUU_KEY_SMTP = 2,
	CPUU_KEY_GUID = 3
} cpuu_key_kind;

#define CPUU_KEY_FOLD 1u

/* Writes the normal form of key[0..len) to out (NUL-terminated; out_size
 * >= len + 1 and >= 37 always suffices) and its kind to *kind. CPUU_EINVALID
 * (message) when the key is empty after normalisation or of no kind. */
int cpuu_mapping_key_normalize(char *out, size_t out_size, cpuu_key_kind *kind,
			       const char *key, size_t len, unsigned flags);

/* Number of valid rows loaded (malformed rows excluded). */
size_t cpuu_mapping_count(const cpuu_mapping *m);
/* The valid row i (0 <= i < count) in file order, for export/listing (a row
 * sharing a key with another still answers AMBIGUOUS to lookups). */
const cpuu_match *cpuu_mapping_get(const cpuu_mapping *m, size_t i);
/* Warnings from loading, one line each: "line N: reason". Owned by m. */
const cpuu_strlist *cpuu_mapping_warnings(const cpuu_mapping *m);

/* Writes matches as a mapping file with every column, in the order listed
 * above, LF line ends, fields quoted when needed, so that loading the file
 * gives the same matches back (NULL and "" both read back as NULL).
 * Source keys are written in their normal form (cpuu_mapping_key_normalize,
 * case kept). Atomic: a temp file in the same folder, fsync, rename. Refuses
 * (CPUU_EINVALID) an X500 address containing ';' and a target GUID not in
 * canonical form. CPUU_EIO / CPUU_EREADONLY on write failures (the old file is kept). */
int cpuu_mapping_write(const char *path, const cpuu_match *matches, size_t n);
/* The same text in memory (e.g. for standard output); NUL-terminated, the
 * caller frees *out with cpuu_free. Same refusals as cpuu_mapping_write. */
int cpuu_mapping_format(char **out, size_t *out_len, const cpuu_match *matches, size_t n);

/* --- The indexed mapping (docs/mapping-index.md) ---------------------------
 * A read-only companion of a mapping CSV, built from it, that answers one
 * key with a few small positioned reads instead of loading the whole file:
 * what a workstation opens over a share at logon. Its answers are exactly
 * the CSV's (the same loader builds it: duplicates, malformed rows, every
 * status). It records the CSV's file name (same folder), size, mtime and
 * content hash; an index whose CSV is absent, of another size or mtime is
 * stale and refused. */
typedef struct cpuu_mapping_index cpuu_mapping_index;

typedef struct cpuu_mapping_index_info {
	uint64_t rows;      /* valid rows of the CSV */
	uint64_t keys;      /* keys answered (incl. those of malformed rows) */
	uint64_t warnings;  /* warnings the CSV's loader gave */
	uint64_t csv_size;
	int64_t csv_mtime;  /* seconds since 1970 */
	uint64_t csv_hash;
	uint64_t index_size;
} cpuu_mapping_index_info;

/* Builds index_path from the CSV at csv_path (atomic replacement, shared
 * mode). The CSV's warnings are copied to *warnings when not NULL (caller
 * frees with cpuu_strlist_free). Fails like cpuu_mapping_load, and with
 * CPUU_EIO when the CSV changes while it is read. */
int cpuu_mapping_index_build(cpuu_mapping_index_info *info, cpuu_strlist *warnings,
			     const char *index_path, const char *csv_path);
/* The index file beside a CSV: csv_path + ".idx" (malloc'ed). */
char *cpuu_mapping_index_path_for(const char *csv_path);
/* 1 if the file at path starts with the index's magic, 0 if not (or unreadable). */
int cpuu_mapping_is_index(const char *path);
/* Opens an index: reads its header only. CPUU_EINVALID for a file that is no
 * index or of another version; CPUU_EINVALID "stale" when its CSV is absent
 * or its size or mtime differ from those recorded (rebuild with
 * 'cpuu map index CSV'). */
int cpuu_mapping_index_open(cpuu_mapping_index **out, const char *path);
/* Checks the CSV's content hash too (reads the whole CSV): CPUU_EINVALID if stale. */
int cpuu_mapping_index_verify(const cpuu_mapping_index *ix);
/* As cpuu_mapping_lookup, but *out is a copy owned by the caller
 * (cpuu_match_clear; zeroed unless FOUND / NO_TARGET). CPUU_ECORRUPT for a
 * damaged index. Thread-safe (positioned reads). */
int cpuu_mapping_index_lookup(cpuu_match *out, cpuu_lookup_status *status,
			      cpuu_mapping_index *ix, const char *key);
void cpuu_mapping_index_get_info(cpuu_mapping_index_info *info, const cpuu_mapping_index *ix);
/* Bytes read from the index file since it was opened (header included): the
 * benchmark's count of what a workstation reads over the share. */
uint64_t cpuu_mapping_index_bytes_read(const cpuu_mapping_index *ix);
void cpuu_mapping_index_free(cpuu_mapping_index *ix);

#ifdef __cplusplus
}
#endif
#endif
