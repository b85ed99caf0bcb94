/* UTF-16LE, UTF-8 and Windows-1252 conversions (no iconv: the Windows build
 * must behave byte for byte the same). Every error names the byte offset. */
#include "common/internal.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s[*i] (n bytes available). Returns the code
 * point, or -1 with *i left at the bad byte and *why set. Rejects overlong
 * forms, encoded surrogates (CESU-8 / WTF-8) and values above U+10FFFF. */
static long utf8_next(const unsigned char *s, size_t n, size_t *i, const char **why)
{
	size_t p = *i;
	unsigned c = s[p];
	unsigned need;
	unsigned long cp, min;

	if (c < 0x80) {
		*i = p + 1;
		return (long)c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1; cp = c & 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2; cp = c & 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3; cp = c & 0x07; min = 0x10000;
	} else {
		*why = (c == 0xC0 || c == 0xC1) ? "overlong sequence"
		     : (c >= 0x80 && c <= 0xBF) ? "unexpected continuation byte"
		     : "invalid lead byte";
		return -1;
	}
	if (n - p - 1 < need) {
		*why = "truncated sequence";
		return -1;
	}
	for (unsigned k = 1; k <= need; k++) {
		unsigned cc = s[p + k];
		if ((cc & 0xC0) != 0x80) {
			*why = "missing continuation byte";
			return -1;
		}
		cp = cp << 6 | (cc & 0x3F);
	}
	if (cp < min) {
		*why = "overlong sequence";
		return -1;
	}
	if (cp >= 0xD800 && cp <= 0xDFFF) {
		*why = "encoded surrogate";
		return -1;
	}
	if (cp > 0x10FFFF) {
		*why = "code point above U+10FFFF";
		return -1;
	}
	*i = p + 1 + need;
	return (long)cp;
}

static size_t utf8_put(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int cpuu_utf8_valid(const char *s, size_t len)
{
	const char *why;
	size_t i = 0;
	if (!s)
		return len == 0;
	while (i < len) {
		/* ASCII runs a word at a time: nearly every name and string is. */
		uint64_t w;
		while (i + 8 <= len && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ull)))
			i += 8;
		while (i < len && (unsigned char)s[i] < 0x80)
			i++;
		if (i < len && utf8_next((const unsigned char *)s, len, &i, &why) < 0)
			return 0;
	}
	return 1;
}

int cpuu_utf16le_to_utf8(char **out, size_t *out_len, const uint8_t *data, size_t len, unsigned flags)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (len % 2)
		return cpuu_error_set(CPUU_EINVALID, "UTF-16LE data has an odd byte count (%zu)", len);
	if (len && !data)
		return cpuu_error_set(CPUU_EINVALID, "UTF-16LE data is NULL");

	size_t units = len / 2, end = units;
	for (size_t k = 0; k < units; k++) {
		if (cpuu_le16(data + 2 * k) == 0) {
			end = k;
			break;
		}
	}
	if (end == units && (flags & CPUU_UTF16_REQUIRE_NUL))
		return cpuu_error_set(CPUU_EINVALID, "UTF-16LE string of %zu bytes has no NUL terminator", len);
	if (end + 1 < units && (flags & CPUU_UTF16_STRICT_NUL))
		return cpuu_error_set(CPUU_EINVALID,
			"UTF-16LE string has an embedded NUL at byte offset %zu of %zu", 2 * end, len);

	/* Worst case 3 UTF-8 bytes per code unit (a pair of 2 units gives 4). */
	if (end > (SIZE_MAX - 1) / 3)
		return cpuu_error_oom();
	char *o = malloc(end * 3 + 1);
	if (!o)
		return cpuu_error_oom();
	size_t w = 0;
	for (size_t k = 0; k < end; k++) {
		unsigned long u = cpuu_le16(data + 2 * k);
		if (u < 0x80) { /* ASCII: one byte, nothing to check */
			o[w++] = (char)u;
			continue;
		}
		if (u >= 0xDC00 && u <= 0xDFFF) {
			free(o);
			return cpuu_error_set(CPUU_EINVALID,
				"UTF-16LE: unpaired low surrogate 0x%04lX at byte offset %zu", u, 2 * k);
		}
		if (u >= 0xD800 && u <= 0xDBFF) {
			unsigned long lo = k + 1 < end ? cpuu_le16(data + 2 * k + 2) : 0;
			if (lo < 0xDC00 || lo > 0xDFFF) {
				free(o);
				return cpuu_error_set(CPUU_EINVALID,
					"UTF-16LE: unpaired high surrogate 0x%04lX at byte offset %zu", u, 2 * k);
			}
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			k++;
		}
		w += utf8_put(o + w, u);
	}
	o[w] = '\0';
	*out = o;
	if (out_len)
		*out_len = w;
	return CPUU_OK;
}

int cpuu_utf8n_to_utf16le(uint8_t **out, size_t *out_len, const char *utf8, size_t len, int terminate)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (len && !utf8)
		return cpuu_error_set(CPUU_EINVALID, "UTF-8 string is NULL");
	/* Each UTF-8 byte yields at most one UTF-16 unit (4 bytes -> 2 units). */
	if (len > SIZE_MAX / 2 - 2)
		return cpuu_error_oom();
	uint8_t *o = malloc(2 * len + 2);
	if (!o)
		return cpuu_error_oom();
	size_t i = 0, w = 0;
	while (i < len) {
		unsigned char c = (unsigned char)utf8[i];
		if (c >= 0x01 && c < 0x80) {
			/* Plain ASCII (nearly all of a .reg backup): no decoding needed. */
			o[w] = c;
			o[w + 1] = 0;
			w += 2;
			i++;
			continue;
		}
		const char *why = NULL;
		size_t at = i;
		long cp = utf8_next((const unsigned char *)utf8, len, &i, &why);
		if (cp < 0) {
			free(o);
			return cpuu_error_set(CPUU_EINVALID, "invalid UTF-8 at byte offset %zu: %s", at, why);
		}
		if (cp == 0) {
			free(o);
			return cpuu_error_set(CPUU_EINVALID, "embedded NUL in UTF-8 at byte offset %zu", at);
		}
		if (cp >= 0x10000) {
			unsigned long v = (unsigned long)cp - 0x10000;
			cpuu_put_le16(o + w, (uint16_t)(0xD800 | v >> 10));
			cpuu_put_le16(o + w + 2, (uint16_t)(0xDC00 | (v & 0x3FF)));
			w += 4;
		} else {
			cpuu_put_le16(o + w, (uint16_t)cp);
			w += 2;
		}
	}
	if (terminate) {
		cpuu_put_le16(o + w, 0);
		w += 2;
	}
	*out = o;
	if (out_len)
		*out_len = w;
	return CPUU_OK;
}

int cpuu_utf8_to_utf16le(uint8_t **out, size_t *out_len, const char *utf8, int terminate)
{
	return cpuu_utf8n_to_utf16le(out, out_len, utf8, utf8 ? strlen(utf8) : 0, terminate);
}

/* Windows-1252 0x80-0x9F. The five bytes the code page leaves undefined (0x81,
 * 0x8D, 0x8F, 0x90, 0x9D) map to the C1 controls of the same value, which is
 * what MultiByteToWideChar(1252) does (its C_1252.NLS table lists them so; the
 * WHATWG windows-1252 index, which follows Windows, agrees): the mapping is
 * total and round-trips. Sources in docs/profile-format.md. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

int cpuu_cp1252_to_utf8(char **out, size_t *out_len, const uint8_t *data, size_t len)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (len && !data)
		return cpuu_error_set(CPUU_EINVALID, "Windows-1252 data is NULL");
	if (len > (SIZE_MAX - 1) / 3)
		return cpuu_error_oom();
	char *o = malloc(3 * len + 1);
	if (!o)
		return cpuu_error_oom();
	size_t w = 0;
	for (size_t i = 0; i < len && data[i]; i++) {
		unsigned c = data[i];
		unsigned long cp = (c >= 0x80 && c <= 0x9F) ? cp1252_high[c - 0x80] : c;
		w += utf8_put(o + w, cp);
	}
	o[w] = '\0';
	*out = o;
	if (out_len)
		*out_len = w;
	return CPUU_OK;
}

static int cp1252_from_cp(unsigned long cp)
{
	if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF))
		return (int)cp;
	for (int k = 0; k < 32; k++)
		if (cp1252_high[k] == cp)
			return 0x80 + k;
	return -1;
}

int cpuu_utf8_to_cp1252(uint8_t **out, size_t *out_len, const char *utf8, int terminate)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	size_t len = utf8 ? strlen(utf8) : 0;
	uint8_t *o = malloc(len + 1);
	if (!o)
		return cpuu_error_oom();
	size_t i = 0, w = 0;
	while (i < len) {
		const char *why = NULL;
		size_t at = i;
		long cp = utf8_next((const unsigned char *)utf8, len, &i, &why);
		if (cp < 0) {
			free(o);
			return cpuu_error_set(CPUU_EINVALID, "invalid UTF-8 at byte offset %zu: %s", at, why);
		}
		int b = cp1252_from_cp((unsigned long)cp);
		if (b < 0) {
			free(o);
			return cpuu_error_set(CPUU_EINVALID,
				"U+%04lX at byte offset %zu has no Windows-1252 form", (unsigned long)cp, at);
		}
		o[w++] = (uint8_t)b;
	}
	if (terminate)
		o[w++] = 0;
	*out = o;
	if (out_len)
		*out_len = w;
	return CPUU_OK;
}
