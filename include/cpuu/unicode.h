/* UTF-16LE <-> UTF-8 and Windows-1252 <-> UTF-8, by our own code (no iconv,
 * so the Windows build behaves the same). Strict: unpaired surrogates, odd
 * byte counts, overlong or invalid UTF-8 are reported as CPUU_EINVALID. */
#ifndef CPUU_UNICODE_H
#define CPUU_UNICODE_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes len bytes of UTF-16LE. If the data ends in a NUL code unit the
 * string stops there; with CPUU_UTF16_REQUIRE_NUL a missing terminator is an
 * error; embedded NULs before the end are an error with CPUU_UTF16_STRICT_NUL. */
#define CPUU_UTF16_REQUIRE_NUL 1u
#define CPUU_UTF16_STRICT_NUL  2u
int cpuu_utf16le_to_utf8(char **out, size_t *out_len, const uint8_t *data, size_t len, unsigned flags);

/* Encodes NUL-terminated UTF-8; with terminate, appends the 2-byte NUL. */
int cpuu_utf8_to_utf16le(uint8_t **out, size_t *out_len, const char *utf8, int terminate);

/* 8-bit (PT_STRING8 / REGEDIT4) text is Windows-1252. */
int cpuu_cp1252_to_utf8(char **out, size_t *out_len, const uint8_t *data, size_t len);
/* Fails with CPUU_EINVALID if a character has no Windows-1252 form. */
int cpuu_utf8_to_cp1252(uint8_t **out, size_t *out_len, const char *utf8, int terminate);

/* True if s (len bytes) is valid UTF-8. */
int cpuu_utf8_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
