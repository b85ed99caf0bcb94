/* The users whose cached profiles are processed (CachedProfiles = listed). */
#include "config/internal.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

static int push_unique(cpuu_strlist *out, const char *name)
{
	for (size_t i = 0; i < out->count; i++)
		if (!cpuu_strcasecmp_ascii(out->items[i], name))
			return CPUU_OK;
	return cpuu_strlist_push(out, name);
}

static int read_users_file(cpuu_strlist *out, const char *path)
{
	uint8_t *data;
	size_t len;
	int rc = cpuu_config_read_file(&data, &len, path);
	if (rc < 0)
		return cpuu_error_prefix("[Profiles] RemoteUsersFile");
	char *text = NULL;
	size_t tlen = 0;
	if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE) {
		rc = cpuu_utf16le_to_utf8(&text, &tlen, data + 2, len - 2, CPUU_UTF16_STRICT_NUL);
		free(data);
		if (rc < 0)
			return cpuu_error_prefix("%s", path);
	} else {
		size_t skip = (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) ? 3 : 0;
		text = cpuu_strndup((const char *)data + skip, len - skip);
		tlen = len - skip;
		free(data);
		if (!text)
			return cpuu_error_oom();
	}
	unsigned lineno = 0;
	size_t pos = 0;
	rc = CPUU_OK;
	while (pos < tlen && rc == CPUU_OK) {
		char *line = text + pos;
		char *nl = memchr(line, '\n', tlen - pos);
		size_t n = nl ? (size_t)(nl - line) : tlen - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (memchr(line, '\0', n) || !cpuu_utf8_valid(line, n)) {
			rc = cpuu_error_set(CPUU_EINVALID, "%s:%u: not UTF-8 text", path, lineno);
			break;
		}
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		while (n && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		line[n] = '\0';
		if (n == 0 || line[0] == ';' || line[0] == '#')
			continue;
		rc = push_unique(out, line);
	}
	free(text);
	return rc;
}

int cpuu_config_remote_users(cpuu_strlist *out, const cpuu_config *cfg)
{
	cpuu_strlist_free(out);
	const cpuu_strlist *l = cpuu_config_get_list(cfg, "Profiles", "RemoteUsers");
	for (size_t i = 0; l && i < l->count; i++) {
		int rc = push_unique(out, l->items[i]);
		if (rc < 0) {
			cpuu_strlist_free(out);
			return rc;
		}
	}
	const char *file = cpuu_config_get_string(cfg, "Profiles", "RemoteUsersFile");
	if (file) {
		int rc = read_users_file(out, file);
		if (rc < 0) {
			cpuu_strlist_free(out);
			return rc;
		}
	}
	return CPUU_OK;
}
