/* Text shown to people: names from profiles or the directory are data.
 *
 * A profile name, a display name, an address, a path or a user folder's
 * name can hold anything the registry or the directory holds: terminal
 * escape sequences (ESC [ ...), line breaks that forge further lines of a
 * log or a plan, bidirectional overrides that make "exe.txt" read
 * "txt.exe". Every text output (the CLI's text, the dry-run plan, error
 * messages, the run log) shows such characters escaped, visibly:
 *   C0 controls (U+0000-U+001F) and DEL  -> \xNN   (ESC: \x1b, LF: \x0a)
 *   C1 controls (U+0080-U+009F)          -> \u0080 ... \u009f
 *   bidi embeddings/overrides/isolates U+202A-U+202E, U+2066-U+2069, and the
 *   line/paragraph separators U+2028, U+2029 -> \u202e, ...
 *   a byte that is not part of well-formed UTF-8 -> \xNN
 * Everything else (Unicode letters, backslashes of Windows paths) is kept.
 * The escaped form is for display, not a reversible encoding: JSON output
 * (cpuu_results_to_jsonl, inspect --json) carries the exact text, with
 * these characters as JSON \u escapes. docs/update.md, "What is shown". */
#ifndef CPUU_DISPLAY_H
#define CPUU_DISPLAY_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* s with the characters above escaped (NULL: "(null)"); *out is freed with
 * cpuu_free. */
int cpuu_display_escape(char **out, const char *s);
/* The same written to f; returns what fputs returns (EOF on failure). */
int cpuu_display_fputs(const char *s, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
