/* What a .prf value may hold, and the file's bytes.
 *
 * Outlook reads a .prf as INI text: one `key=value` per line, the key ending
 * at the first '='. Nothing in the published samples quotes or escapes a
 * value (paths with spaces are written as they are), so cpuu writes values
 * raw and refuses what raw text cannot carry: line breaks and other control
 * characters (they would end the line or corrupt it), blanks at either end
 * and a value wrapped in quotes (the Windows INI reader trims the first and
 * drops the second, docs/prf.md [I]). ';', '=', '[' and ']' inside a value
 * are safe: they only mean something at the start of a line or in a key. */
#include "prf/internal.h"

#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

/* Next code point of valid UTF-8 at s[*i]. */
static uint32_t next_cp(const char *s, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	uint32_t c = p[0];
	size_t n = 1;
	if (c >= 0xF0) {
		c = (c & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
		n = 4;
	} else if (c >= 0xE0) {
		c = (c & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
		n = 3;
	} else if (c >= 0xC0) {
		c = (c & 0x1F) << 6 | (p[1] & 0x3F);
		n = 2;
	}
	*i += n;
	return c;
}

static int is_control(uint32_t c)
{
	/* C0, DEL, C1, and the two Unicode line/paragraph separators. */
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

int prf_check_value(const char *section, const char *key, const char *value, enum prf_text_kind kind,
		    cpuu_prf_encoding enc)
{
	if (!value || !*value)
		return cpuu_error_set(CPUU_EINVALID, "PRF [%s] %s: empty value", section, key);
	size_t len = strlen(value);
	if (!cpuu_utf8_valid(value, len))
		return cpuu_error_set(CPUU_EINVALID, "PRF [%s] %s: not valid UTF-8", section, key);
	for (size_t i = 0; i < len;) {
		size_t at = i;
		uint32_t c = next_cp(value, &i);
		if (is_control(c))
			return cpuu_error_set(CPUU_EINVALID,
					      "PRF [%s] %s: control character U+%04X at byte %zu (a .prf value is one line)",
					      section, key, (unsigned)c, at);
	}
	if (value[0] == ' ' || value[len - 1] == ' ')
		return cpuu_error_set(CPUU_EINVALID, "PRF [%s] %s: '%s' starts or ends with a blank, which Outlook would trim",
				      section, key, value);
	if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0])
		return cpuu_error_set(CPUU_EINVALID, "PRF [%s] %s: '%s' is wrapped in quotes, which Outlook would drop",
				      section, key, value);
	if (kind == PRF_TEXT_STRING8 || enc == CPUU_PRF_ANSI) {
		uint8_t *ansi = NULL;
		int rc = cpuu_utf8_to_cp1252(&ansi, NULL, value, 0);
		free(ansi);
		if (rc)
			return cpuu_error_prefix("PRF [%s] %s: '%s' has no Windows-1252 form (%s)", section, key, value,
						 kind == PRF_TEXT_STRING8 ? "an 8-bit MAPI property"
									  : "the file is ANSI");
	}
	return CPUU_OK;
}

int prf_check_windows_path(const char *what, const char *path)
{
	int rc = prf_check_value("path", what, path, PRF_TEXT_UNICODE, CPUU_PRF_UTF16LE);
	if (rc)
		return rc;
	size_t n = strlen(path);
	int drive = n >= 3 && ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) &&
		    path[1] == ':' && path[2] == '\\';
	int unc = n >= 5 && path[0] == '\\' && path[1] == '\\' && path[2] != '\\' && strchr(path + 2, '\\');
	if (!drive && !unc)
		return cpuu_error_set(CPUU_EINVALID, "%s '%s' is not an absolute Windows path (X:\\... or \\\\server\\share\\...)",
				      what, path);
	if (path[n - 1] == '\\' || strpbrk(path, "\"/<>|*?"))
		return cpuu_error_set(CPUU_EINVALID, "%s '%s' is not a file path Windows accepts", what, path);
	return CPUU_OK;
}

int cpuu_prf_encode(uint8_t **out, size_t *len, const char *text, cpuu_prf_encoding encoding)
{
	if (!out || !len || !text)
		return cpuu_error_set(CPUU_EINVALID, "PRF encode: NULL argument");
	*out = NULL;
	*len = 0;
	if (encoding == CPUU_PRF_ANSI) {
		int rc = cpuu_utf8_to_cp1252(out, len, text, 0);
		return rc ? cpuu_error_prefix("PRF file (ANSI)") : CPUU_OK;
	}
	if (encoding != CPUU_PRF_UTF16LE)
		return cpuu_error_set(CPUU_EINVALID, "PRF encode: unknown encoding %d", (int)encoding);
	uint8_t *u16 = NULL;
	size_t n = 0;
	int rc = cpuu_utf8_to_utf16le(&u16, &n, text, 0);
	if (rc)
		return cpuu_error_prefix("PRF file (UTF-16LE)");
	uint8_t *p = malloc(n + 2);
	if (!p) {
		free(u16);
		return cpuu_error_oom();
	}
	p[0] = 0xFF;
	p[1] = 0xFE;
	if (n)
		memcpy(p + 2, u16, n);
	free(u16);
	*out = p;
	*len = n + 2;
	return CPUU_OK;
}
