/* UTF-16LE <-> UTF-8 and Windows-1252 <-> UTF-8, by our own code (no iconv,
 * so the Windows build behaves the same). Strict: unpaired surrogates, odd
 * byte counts, overlong or invalid UTF-8 are reported as CPUU_EINVALID. */
#ifndef CPUU_UNICODE_H
#define CPUU_UNICODE_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes len bytes of UTF-16LE into a NUL-terminated UTF-8 string (out_len,
 * which may be NULL, gets its length without the NUL). The string stops at the
 * first NUL code unit; units after it are ignored (registry data often has
 * slack there) unless CPUU_UTF16_STRICT_NUL, which makes a NUL anywhere but in
 * the last unit an error. With CPUU_UTF16_REQUIRE_NUL a missing terminator is
 * an error. Odd byte counts and unpaired surrogates are CPUU_EINVALID; the
 * message gives the byte offset. */
#define CPUU_UTF16_REQUIRE_NUL 1u
#define CPUU_UTF16_STRICT_NUL  2u
int cpuu_utf16le_to_utf8(char **out, size_t *out_len, const uint8_t *data, size_t len, unsigned flags);

/* Encodes NUL-terminated UTF-8; with terminate, appends the 2-byte NUL.
 * Invalid UTF-8 (overlong forms, encoded surrogates, truncated sequences,
 * above U+10FFFF) is CPUU_EINVALID naming the byte offset. */
int cpuu_utf8_to_utf16le(uint8_t **out, size_t *out_len, const char *utf8, int terminate);
/* The same for len bytes of UTF-8 (an embedded NUL is CPUU_EINVALID). */
int cpuu_utf8n_to_utf16le(uint8_t **out, size_t *out_len, const char *utf8, size_t len, int terminate);

/* 8-bit (PT_STRING8 / REGEDIT4) text is Windows-1252. Decoding is total and
 * stops at the first NUL byte; the five bytes the code page leaves undefined
 * (0x81 0x8D 0x8F 0x90 0x9D) become U+0081 ... U+009D as Windows'
 * MultiByteToWideChar(1252) does, and encode back to the same byte. */
int cpuu_cp1252_to_utf8(char **out, size_t *out_len, const uint8_t *data, size_t len);
/* Fails with CPUU_EINVALID if a character has no Windows-1252 form. */
int cpuu_utf8_to_cp1252(uint8_t **out, size_t *out_len, const char *utf8, int terminate);

/* True if s (len bytes) is valid UTF-8. */
int cpuu_utf8_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
