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

#endif
