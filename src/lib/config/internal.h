/* Private declarations of the config module. */
#ifndef CPUU_CONFIG_INTERNAL_H
#define CPUU_CONFIG_INTERNAL_H

#include "common/internal.h"
#include "cpuu/config.h"

/* Reads a whole file (NUL appended, not counted in *len). CPUU_ENOTFOUND,
 * CPUU_EIO with a message naming the path. */
int cpuu_config_read_file(uint8_t **out, size_t *len, const char *path);

/* Parses a LIST value into items (cleared first). CPUU_EINVALID with a
 * reason ("unterminated quote") in the message. */
int cpuu_config_parse_list(cpuu_strlist *out, const char *value);

/* One of the established tool's INI keys (legacy.c): honoured as cpuu's
 * section/key (inverted: a true value sets cpuu's key false), or, when
 * section is NULL, ignored with a warning saying why. */
typedef struct cpuu_config_legacy {
	const char *key;
	const char *section, *cpuu_key;
	int inverted;
	const char *ignored_because;
} cpuu_config_legacy;
const cpuu_config_legacy *cpuu_config_legacy_find(const char *key);

#endif
