/* Subkey lookups read from the checked image of the hive (hive.h,
 * image_live). hivex_node_get_child converts the name of every sibling
 * before the match through iconv; here names are compared where they lie.
 * The structural check has proven every offset followed here (subkey
 * lists, key cells, name lengths), so nothing is re-checked. Semantics are
 * hivex's: the first child in list order whose name equals the ASCII name
 * without regard to ASCII case, the stored name ending at its first NUL as
 * hivex's C-string compare sees it. */
#include "registry/hive.h"

#include <stdlib.h>
#include <string.h>

#define BINS 0x1000u

static int fold(unsigned c)
{
	return c >= 'A' && c <= 'Z' ? (int)(c + 32) : (int)c;
}

/* Compares the name of key cell nk with the ASCII name; on a match,
 * *stored gets the stored name (ASCII, so its UTF-8 is the same bytes). */
static int name_match(const uint8_t *k, const char *name, size_t nlen_want, char **stored, int *oom)
{
	size_t nlen = cpuu_le16(k + 4 + 0x48);
	const uint8_t *p = k + 0x50;
	int compressed = (cpuu_le16(k + 6) & 0x20) != 0;
	size_t chars = compressed ? nlen : nlen / 2;
	size_t i = 0;
	for (; i < chars; i++) {
		unsigned c = compressed ? p[i] : cpuu_le16(p + 2 * i);
		if (c == 0)
			break; /* hivex's C string ends here */
		if (i >= nlen_want || c >= 0x80 || fold(c) != fold((unsigned char)name[i]))
			return 0;
	}
	if (i != nlen_want)
		return 0;
	if (stored) {
		char *s = malloc(i + 1);
		if (!s) {
			*oom = 1;
			return 0;
		}
		for (size_t j = 0; j < i; j++)
			s[j] = (char)(compressed ? p[j] : p[2 * j]);
		s[i] = '\0';
		*stored = s;
	}
	return 1;
}

static int in_list(uint64_t *node, char **stored, const uint8_t *d, size_t list, const char *name, size_t nlen,
		   unsigned depth, int *oom)
{
	const uint8_t *l = d + list;
	size_t n = cpuu_le16(l + 6);
	int index = l[4] == 'r' && l[5] == 'i', wide = l[4] == 'l' && (l[5] == 'f' || l[5] == 'h');
	for (size_t i = 0; i < n && !*oom; i++) {
		size_t at = (size_t)cpuu_le32(l + 8 + i * (wide ? 8 : 4)) + BINS;
		if (index) {
			if (depth < 32 && in_list(node, stored, d, at, name, nlen, depth + 1, oom))
				return 1;
		} else if (name_match(d + at, name, nlen, stored, oom)) {
			*node = at;
			return 1;
		}
	}
	return 0;
}

int cpuu_hive_raw_child(uint64_t *node, char **stored, const hive_impl *hi, uint64_t parent, const char *name)
{
	*stored = NULL;
	const uint8_t *d = hi->image;
	if (parent < BINS || parent + 0x50 > hi->image_size)
		return 0;
	if (cpuu_le32(d + parent + 4 + 0x14) == 0)
		return 0;
	int oom = 0;
	size_t list = (size_t)cpuu_le32(d + parent + 4 + 0x1C) + BINS;
	int found = in_list(node, stored, d, list, name, strlen(name), 0, &oom);
	return oom ? -1 : found;
}
