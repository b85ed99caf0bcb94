/* The Outlook autocomplete (nickname) cache: the stream Outlook 2010+ keeps
 * in the mailbox and caches in RoamCache\Stream_Autocomplete_*.dat (version
 * 12/0), and the older .nk2 file (10/1) that Outlook imports. Format, sources
 * and what Outlook does with the files: docs/autocomplete.md.
 *
 * Parsing is strict about structure (every count and length must fit) but
 * keeps every byte: write(parse(x)) == x for every stream parse accepts,
 * including the reserved words, the 8-byte unions of dynamic values, the
 * extra-info block, the trailing FILETIME and any bytes after it. */
#ifndef CPUU_AUTOCOMPLETE_H
#define CPUU_AUTOCOMPLETE_H

#include "cpuu/common.h"
#include "cpuu/directory.h" /* cpuu_match_source */
#include "cpuu/mapi.h"      /* cpuu_decode_format */

#ifdef __cplusplus
extern "C" {
#endif

#define CPUU_AC_MAGIC 0xBAADF00Du
/* Versions seen: RoamCache streams 12/0, .nk2 files and MFCMAPI's sample 10/1. */
#define CPUU_AC_NK2_MAJOR 10u
#define CPUU_AC_NK2_MINOR 1u

/* One property: {tag, reserved, 8-byte union} then, for dynamic types, the
 * value data exactly as found (its 4-byte count included). */
typedef struct cpuu_ac_prop {
	uint32_t tag;
	uint32_t reserved;
	uint8_t value[8];
	const uint8_t *data; /* NULL for static types (the value is in `value`) */
	size_t data_len;
} cpuu_ac_prop;

typedef struct cpuu_ac_row {
	cpuu_ac_prop *props;
	size_t count;
} cpuu_ac_row;

/* Set when the multi-valued strings of the stream were found as bare
 * NUL-terminated strings (MFCMAPI's reading) rather than counted ones
 * (Microsoft's documented layout, tried first). */
#define CPUU_AC_MV_BARE 1u

/* A parsed stream. Read-only for callers except major/minor, which may be
 * changed before writing (cpuu_autocomplete_handover writes 10/1). Pointers
 * stay valid until cpuu_autocomplete_free. */
typedef struct cpuu_autocomplete {
	uint32_t major;
	uint32_t minor;
	cpuu_ac_row *rows;
	size_t row_count;
	const uint8_t *extra; /* extra-info bytes (EI), kept verbatim */
	size_t extra_len;
	uint8_t filetime[8];  /* trailing metadata: FILETIME of the last write */
	const uint8_t *trailing; /* bytes after the FILETIME (slack seen in real files) */
	size_t trailing_len;
	unsigned flags;       /* CPUU_AC_MV_BARE */
} cpuu_autocomplete;

/* Parses len bytes (copied). Errors: CPUU_EINVALID naming the row, property,
 * tag and byte offset (bad magic, counts or lengths past the end, odd UTF-16
 * lengths); CPUU_EUNSUPPORTED for a property type whose size is not
 * documented (PT_OBJECT, PT_MV_LONG, ...), since nothing after it could be
 * found. */
int cpuu_autocomplete_parse(cpuu_autocomplete **out, const uint8_t *data, size_t len);
int cpuu_autocomplete_write(uint8_t **out, size_t *out_len, const cpuu_autocomplete *ac);
void cpuu_autocomplete_free(cpuu_autocomplete *ac);

/* The readable view for cpuu decode (docs/decode.md): header, rows and
 * properties in stored order, entry IDs in rows decoded. Parse errors as
 * cpuu_autocomplete_parse. */
int cpuu_autocomplete_decode(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt);

/* First property of a row with that exact tag, or NULL. */
const cpuu_ac_prop *cpuu_ac_row_find(const cpuu_ac_row *row, uint32_t tag);
/* The value bytes of a PT_STRING8, PT_UNICODE or PT_BINARY property (after
 * the count; terminators included as stored). CPUU_EINVALID for other types. */
int cpuu_ac_prop_bytes(const uint8_t **bytes, size_t *len, const cpuu_ac_prop *prop);
/* Decodes a PT_UNICODE / PT_STRING8 property to UTF-8 (caller frees). */
int cpuu_ac_prop_string(char **out, const cpuu_ac_prop *prop);

/* Counts of a rewrite (docs/autocomplete.md "Rewrite"). Every row is in
 * exactly one of rewritten, unchanged, not_switched, unmatched, ambiguous,
 * kept_whole. */
typedef struct cpuu_ac_stats {
	size_t rows;
	size_t rewritten;    /* pointed at a switched source recipient; now at its target */
	size_t unchanged;    /* no recipient identity (EX DN or SMTP) to look up, or already at the target */
	size_t not_switched; /* source recipient known, not switched yet: kept */
	size_t unmatched;    /* no source or no target (or no target legacyDN for an EX row): kept */
	size_t ambiguous;    /* a key matched several sources: kept */
	size_t kept_whole;   /* a switched source, but a property naming it could not be
	                      * rebuilt for the target: the row kept whole, never half */
	/* cpuu_autocomplete_handover only */
	size_t sources;      /* files read */
	size_t duplicates;   /* byte-identical rows dropped when merging several files */
} cpuu_ac_stats;

/* Rewrites every row whose identity is a switched source recipient to its
 * target (legacyExchangeDN, address-book entry IDs, search key, SMTP), and
 * leaves every other row and property byte for byte, in the same order.
 * Keys looked up: the EX address (PR_EMAIL_ADDRESS, else the DN in
 * PR_ENTRYID / PR_RECIPIENT_ENTRYID), then the SMTP address. All or nothing:
 * on error (a lookup failing) ac is unchanged. stats may be NULL. */
int cpuu_autocomplete_rewrite(cpuu_ac_stats *stats, cpuu_autocomplete *ac, const cpuu_match_source *src);

/* --- Hand-over to Outlook through its .nk2 import ------------------------- */

typedef enum cpuu_ac_file_action {
	CPUU_AC_FILE_CREATED = 1, /* path did not exist; Undo deletes it */
	CPUU_AC_FILE_RENAMED = 2  /* old_path was renamed to path; Undo renames it back */
} cpuu_ac_file_action;

/* Paths are relative to the user folder, '/'-separated, e.g.
 * "AppData/Roaming/Microsoft/Outlook/Outlook.nk2". */
typedef struct cpuu_ac_file_change {
	cpuu_ac_file_action action;
	char *path;
	char *old_path; /* CPUU_AC_FILE_RENAMED only */
} cpuu_ac_file_change;

typedef struct cpuu_ac_changes {
	cpuu_ac_file_change *items;
	size_t count;
} cpuu_ac_changes;

void cpuu_ac_changes_clear(cpuu_ac_changes *changes);

/* Offline hand-over for one profile. user_dir stands for C:\Users\<name>.
 * Reads every AppData/Local/Microsoft/Outlook/RoamCache/Stream_Autocomplete_*.dat
 * and AppData/Roaming/Microsoft/Outlook/<profile>.nk2 (if present), rewrites
 * them (cpuu_autocomplete_rewrite), merges the rows (one file: its order as
 * is; several: stable by descending PR_NICK_NAME_WEIGHT, byte-identical rows
 * once) and, when at least one row was rewritten, writes
 * AppData/Roaming/Microsoft/Outlook/<profile>.nk2 (version 10/1) atomically
 * (temp file in the folder, fsync, rename). An existing <profile>.nk2 is
 * first renamed to <profile>.nk2.cpuu-old. *changes lists what was created
 * and renamed, in order (empty when nothing was written). The profile name
 * must be a plain file name (no path separators, no "..", no characters
 * Windows refuses): else CPUU_EINVALID. A stream that does not parse stops
 * everything (nothing written). Symbolic links inside user_dir on the way
 * are refused (CPUU_EUNSUPPORTED). stats may be NULL. */
int cpuu_autocomplete_handover(cpuu_ac_changes *changes, cpuu_ac_stats *stats, const char *user_dir,
			       const char *profile_name, const cpuu_match_source *src);

/* Undoes a hand-over from its change list (in reverse order): created files
 * are deleted, renamed ones renamed back. Paths outside the Outlook folders
 * above are refused. Missing created files are not an error (Outlook may
 * have imported and renamed it to <profile>.nk2.old, which is left alone). */
int cpuu_autocomplete_undo(const char *user_dir, const cpuu_ac_changes *changes);

#ifdef __cplusplus
}
#endif
#endif
