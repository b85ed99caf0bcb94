/* Registry value names <-> MAPI property tags. */
#include "mapi/internal.h"

/* A table: every value name of every profile section is parsed. */
static int hexdigit(int c)
{
	static const signed char value[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
		['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
		['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	};
	return value[c & 0xff] - 1;
}

int cpuu_mapi_tag_parse(uint32_t *tag, int *secure, const char *value_name)
{
	const char *p = value_name;
	int sec = 0;

	*tag = 0;
	if (secure)
		*secure = 0;
	if (!p)
		return cpuu_error_set(CPUU_EINVALID, "value name is NULL, not a MAPI tag");
	if (*p == 'S' || *p == 's') {
		sec = 1;
		p++;
	}
	uint32_t v = 0;
	for (int k = 0; k < 8; k++) {
		int d = hexdigit((unsigned char)p[k]);
		if (d < 0)
			return cpuu_error_set(CPUU_EINVALID,
				"value name \"%s\" is not a MAPI tag (want 8 hex digits, optionally after \"S\")",
				value_name);
		v = v << 4 | (uint32_t)d;
	}
	if (p[8] != '\0')
		return cpuu_error_set(CPUU_EINVALID,
			"value name \"%s\" is not a MAPI tag (too long)", value_name);
	/* The name is type then id: "001e6602" is PR_PROFILE_HOME_SERVER 0x6602001E. */
	*tag = CPUU_PROP_TAG(v >> 16, v & 0xFFFFu);
	if (secure)
		*secure = sec;
	return CPUU_OK;
}

/* By hand, not snprintf: every property a profile read asks for is named
 * here first (a formatted print costs ten times the digits). */
void cpuu_mapi_tag_format(char out[10], uint32_t tag, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	/* The name is type then id, i.e. the tag's halves swapped. */
	uint32_t v = (uint32_t)CPUU_PROP_TYPE(tag) << 16 | CPUU_PROP_ID(tag);
	for (int k = 7; k >= 0; k--, v >>= 4)
		out[k] = digits[v & 0xF];
	out[8] = '\0';
}

size_t cpuu_mapi_strnlen8(const uint8_t *data, size_t len, size_t off)
{
	for (size_t i = off; i < len; i++)
		if (data[i] == 0)
			return i - off;
	return (size_t)-1;
}

size_t cpuu_mapi_strnlen16(const uint8_t *data, size_t len, size_t off)
{
	for (size_t i = off; i + 1 < len; i += 2)
		if (data[i] == 0 && data[i + 1] == 0)
			return i - off;
	return (size_t)-1;
}
