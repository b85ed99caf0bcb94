/* Private helpers of the .reg text module. */
#ifndef CPUU_REGTEXT_INTERNAL_H
#define CPUU_REGTEXT_INTERNAL_H

#include "common/internal.h"
#include "cpuu/regtext.h"

/* Appends a key / a value to a document (arrays grow geometrically). The new
 * element is returned through out; the document owns what it points to. */
int regtext_add_key(cpuu_regtext_key **out, cpuu_regtext *doc, const char *path, size_t path_len, int delete_key);
int regtext_add_value(cpuu_regtext_value **out, cpuu_regtext_key *key, const char *name, size_t name_len);
void regtext_key_clear(cpuu_regtext_key *key);

/* Checks that a key / value can be written and read back unchanged. */
int regtext_check_key(const cpuu_regtext_key *key);
int regtext_check_value(const cpuu_regtext_key *key, const cpuu_regtext_value *v);

/* Appends "[path]" / "[-path]" and one value line ("name"=data, long hex
 * wrapped as regedit does) to b; eol ends each physical line, "\r\n" in files. */
void regtext_put_key(cpuu_buf *b, const cpuu_regtext_key *key, const char *eol);
int regtext_put_value(cpuu_buf *b, const cpuu_regtext_key *key, const cpuu_regtext_value *v, const char *eol);

/* Compares two values exactly (name by bytes, type, data). */
int regtext_value_equal(const cpuu_regtext_value *a, const cpuu_regtext_value *b);

/* Case-insensitive (ASCII) comparison of UTF-8 names, as Windows compares
 * them for the characters that matter here. */
int regtext_name_cmp(const char *a, const char *b);

/* A .reg file built as its UTF-16LE bytes (utf16.c): one growing buffer;
 * after a failed allocation further appends are ignored and failed is set. */
typedef struct regtext_w16 {
	uint8_t *data;
	size_t len, cap;
	int failed;
} regtext_w16;
/* Room for units more UTF-16 units (and a few bytes beyond); 0, or -1 failed. */
int regtext_w16_reserve(regtext_w16 *w, size_t units);
/* The BOM and the REGEDIT5 header line. */
void regtext_w16_start(regtext_w16 *w);
/* UTF-8 text as UTF-16LE (escaped as regedit quotes text if esc): the units
 * written, or (size_t)-1 (nothing written) when s is not UTF-8. */
size_t regtext_w16_text(regtext_w16 *w, const char *s, size_t len, int esc);
/* CRLF and "[path]"/"[-path]" CRLF; one value line (as regtext_put_value
 * with eol CRLF). Refused as regtext_check_key / _value refuse, with their
 * messages, and nothing appended then. */
int regtext_w16_key(regtext_w16 *w, const cpuu_regtext_key *key);
int regtext_w16_value(regtext_w16 *w, const cpuu_regtext_key *key, const cpuu_regtext_value *v);
/* Frees the buffer (zeroed first). */
void regtext_w16_dispose(regtext_w16 *w);

#endif
