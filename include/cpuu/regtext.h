/* The .reg text format (what regedit exports): how backups and dry-run diffs
 * are shown to people, and how they are read back.
 *
 * Output is "Windows Registry Editor Version 5.00" (REGEDIT5); files are
 * written as UTF-16LE with a BOM. Input accepts REGEDIT5 (UTF-16LE with BOM,
 * or UTF-8) and REGEDIT4 (8-bit, Windows-1252). Every value type round-trips
 * exactly: a value that the friendly forms ("...", dword:) cannot carry
 * byte-for-byte is written as hex(N): with its exact bytes. */
#ifndef CPUU_REGTEXT_H
#define CPUU_REGTEXT_H

#include "cpuu/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One parsed .reg document. */
typedef struct cpuu_regtext_value {
	char *name;       /* UTF-8; "" for @ */
	int delete_value; /* "name"=- */
	uint32_t type;
	uint8_t *data;
	size_t len;
} cpuu_regtext_value;

typedef struct cpuu_regtext_key {
	char *path;       /* full path as written, without brackets */
	int delete_key;   /* [-path] */
	cpuu_regtext_value *values;
	size_t nvalues;
} cpuu_regtext_key;

typedef struct cpuu_regtext {
	int version;      /* 4 or 5 */
	cpuu_regtext_key *keys;
	size_t nkeys;
} cpuu_regtext;

/* Parses a .reg document from raw file bytes (any accepted encoding).
 * Errors (CPUU_EINVALID) name the line number ("line 12: bad hex byte 'zz'");
 * UTF-16BE gives CPUU_EUNSUPPORTED. REGEDIT4 text and its hex(1)/hex(2)/
 * hex(7) bytes are Windows-1252, stored as UTF-16LE (as regedit does);
 * parsed documents always hold registry data as stored. */
int cpuu_regtext_parse(cpuu_regtext **out, const uint8_t *data, size_t len);
void cpuu_regtext_free(cpuu_regtext *doc);

/* Serialises a document to UTF-8 text (REGEDIT5 header, CRLF line ends,
 * long hex lines wrapped as regedit does). Refuses (CPUU_EINVALID) what could
 * not be read back identically: empty key paths, paths with CR/LF or starting
 * with a blank (or '-' unless delete_key), values under a deleted key, names
 * that are not UTF-8. docs/reg-format.md has the details. */
int cpuu_regtext_format(char **out, size_t *out_len, const cpuu_regtext *doc);

/* Reads the subtree at key (and everything below it, in stored order) into a
 * document. path_prefix is what the key's path is written as, e.g.
 * "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook". */
int cpuu_regtext_export(cpuu_regtext **out, cpuu_reg *reg, const cpuu_reg_key *key, const char *path_prefix);

/* Applies a document to a registry: every key path must start with
 * path_prefix (case-insensitive), which maps to the registry root; others are
 * refused (CPUU_EINVALID) before anything changes. Keys are created, values
 * set, [-key] and "name"=- deleted (absent ones are no error). Changes stay
 * pending until commit. To copy an exported subtree into another hive, export
 * with "HKEY_CURRENT_USER\\<path of key>" and apply with "HKEY_CURRENT_USER". */
int cpuu_regtext_apply(cpuu_reg *reg, const cpuu_regtext *doc, const char *path_prefix);

/* File helpers: write as UTF-16LE+BOM (atomically: temp, fsync, rename) / read any accepted encoding. */
int cpuu_regtext_write_file(const char *path, const cpuu_regtext *doc);
/* With CPUU_REGTEXT_NO_SYNC the file is written and renamed into place but
 * not fsynced: the caller syncs it and its folder later, together with other
 * files (bulk runs: cpuu_sync_path). Ignored on Windows, where writes always
 * go through. */
#define CPUU_REGTEXT_NO_SYNC 1u
int cpuu_regtext_write_file_ex(const char *path, const cpuu_regtext *doc, unsigned flags);
int cpuu_regtext_read_file(cpuu_regtext **out, const char *path);

/* The bytes cpuu_regtext_write_file writes for doc (UTF-16LE with a BOM),
 * formatted straight into UTF-16 (the same refusals as cpuu_regtext_format).
 * Free with free(). */
int cpuu_regtext_format_utf16le(uint8_t **out, size_t *out_len, const cpuu_regtext *doc);

/* A .reg file built as its final bytes subtree by subtree, without a
 * document in between: what backups are. Its bytes equal
 * cpuu_regtext_format_utf16le of the document the same exports and
 * deletions would have built. */
typedef struct cpuu_regtext_out cpuu_regtext_out;
/* Which values an export writes as a placeholder (the name, type REG_NONE,
 * no data: "name"=hex(0):); nonzero masks. Their data is zeroed before the
 * registry's copy of it is freed. */
typedef int (*cpuu_regtext_mask_fn)(void *ctx, const char *name, uint32_t type, const uint8_t *data, size_t len);
int cpuu_regtext_out_new(cpuu_regtext_out **out);
/* Frees it (its bytes zeroed first). */
void cpuu_regtext_out_free(cpuu_regtext_out *o);
/* Appends the subtree at key as cpuu_regtext_export reads it (same order,
 * same errors; nothing of it kept on an error). A key or value the text
 * cannot carry does not fail the export: cpuu_regtext_out_bytes refuses the
 * file with the message cpuu_regtext_format gives, unless the key is dropped
 * by cpuu_regtext_out_truncate first. */
int cpuu_regtext_out_export(cpuu_regtext_out *o, cpuu_reg *reg, const cpuu_reg_key *key, const char *path_prefix,
			    cpuu_regtext_mask_fn mask, void *ctx);
/* Appends [-path]. */
int cpuu_regtext_out_delete_key(cpuu_regtext_out *o, const char *path);
/* The number of keys so far; the keys after the first nkeys dropped. */
size_t cpuu_regtext_out_keys(const cpuu_regtext_out *o);
void cpuu_regtext_out_truncate(cpuu_regtext_out *o, size_t nkeys);
/* The whole file's bytes, valid until o changes. */
int cpuu_regtext_out_bytes(const uint8_t **bytes, size_t *len, cpuu_regtext_out *o);

/* A unified, human-readable difference between two documents in .reg form
 * (lines prefixed "+"/"-", " " for the path of a changed key; LF line ends);
 * empty string when equal. Keys match by path, values by name, ignoring case.
 * Free with cpuu_free. */
int cpuu_regtext_diff(char **out, const cpuu_regtext *before, const cpuu_regtext *after);

/* 1 if both documents hold the same keys and values in the same order (paths,
 * names, types and data compared byte for byte; version ignored), else 0. */
int cpuu_regtext_equal(const cpuu_regtext *a, const cpuu_regtext *b);

#ifdef __cplusplus
}
#endif
#endif
