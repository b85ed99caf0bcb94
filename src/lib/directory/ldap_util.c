/* Small value helpers of the LDAP side: filter escaping, GUID forms,
 * base64, case-insensitive keys, entry access. */
#include "directory/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const dir_attr *dir_entry_attr(const dir_entry *e, const char *name)
{
	for (size_t i = 0; i < e->count; i++)
		if (!cpuu_strcasecmp_ascii(e->attrs[i].name, name))
			return &e->attrs[i];
	return NULL;
}

const dir_val *dir_entry_first(const dir_entry *e, const char *name)
{
	const dir_attr *a = dir_entry_attr(e, name);
	return a && a->count ? &a->vals[0] : NULL;
}

char *dir_filter_escape(const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	char *out = malloc(len * 3 + 1), *o = out;
	if (!out) {
		cpuu_error_oom();
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '*' || c == '\\') {
			*o++ = '\\';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

void dir_guid_format(char out[37], const uint8_t g[16])
{
	/* Windows GUID layout: Data1 (4), Data2 (2), Data3 (2) little-endian,
	 * Data4 (8) as bytes; the registry stores the same 16 bytes. */
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[g[order[i]] >> 4];
		*o++ = hex[g[order[i]] & 15];
	}
	*o = '\0';
}

int dir_guid_parse_text(uint8_t g[16], const char *s)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	char digits[33];
	size_t n = 0, len;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	int braces = len >= 2 && s[0] == '{' && s[len - 1] == '}';
	if (braces) {
		s++;
		len -= 2;
	}
	int dashed = len == 36;
	if (!dashed && len != 32)
		return CPUU_EINVALID;
	for (size_t i = 0; i < len; i++) {
		if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return CPUU_EINVALID;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) || n >= 32)
			return CPUU_EINVALID;
		digits[n++] = s[i];
	}
	if (n != 32)
		return CPUU_EINVALID;
	digits[32] = '\0';
	uint8_t text_order[16];
	if (!cpuu_hex_decode(text_order, digits, 16))
		return CPUU_EINVALID;
	for (int i = 0; i < 16; i++)
		g[order[i]] = text_order[i];
	return CPUU_OK;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int dir_guid_parse_any(uint8_t g[16], const char *s)
{
	if (dir_guid_parse_text(g, s) == CPUU_OK)
		return CPUU_OK;
	while (*s == ' ')
		s++;
	/* 16 bytes in base64: 22 characters and "==". */
	if (strlen(s) < 24 || s[22] != '=' || s[23] != '=' || (s[24] && s[24] != ' '))
		return CPUU_EINVALID;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (int i = 0; i < 22; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return CPUU_EINVALID;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < 16)
				g[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == 16 ? CPUU_OK : CPUU_EINVALID;
}

char *dir_base64(const void *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	if (!out) {
		cpuu_error_oom();
		return NULL;
	}
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *dir_lower(const char *s)
{
	char *out = cpuu_strdup(s);
	if (!out) {
		cpuu_error_oom();
		return NULL;
	}
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

int dir_has_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < n; i++) {
		char a = s[i], b = prefix[i];
		if (!a)
			return 0;
		if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}
