/* A small INI reader in the style of inih: one callback per Key=Value line.
 * The whole file is decoded to UTF-8 first so the line loop works on one
 * encoding; lines are cut in place (the copy is ours). */
#include "config/internal.h"
#include "cpuu/unicode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims blanks on both sides in place; returns the new start. */
static char *trim(char *s, size_t *len)
{
	size_t n = *len;
	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	while (n && is_blank(s[n - 1]))
		n--;
	s[n] = '\0';
	*len = n;
	return s;
}

/* Windows admins save "Unicode" from Notepad (UTF-16LE with BOM); UTF-8 may
 * carry a BOM too. Anything else is taken as UTF-8 and checked line by line. */
static int decode(char **text, size_t *tlen, const uint8_t *d, size_t len)
{
	if (len >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
		int rc = cpuu_utf16le_to_utf8(text, tlen, d + 2, len - 2, CPUU_UTF16_STRICT_NUL);
		if (rc < 0)
			return cpuu_error_prefix("not valid UTF-16LE text");
		return CPUU_OK;
	}
	if (len >= 2 && d[0] == 0xFE && d[1] == 0xFF)
		return cpuu_error_set(CPUU_EINVALID, "UTF-16 big-endian text is not supported: save as UTF-8 or Unicode (UTF-16LE)");
	if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
		d += 3;
		len -= 3;
	}
	*text = cpuu_strndup((const char *)d, len);
	if (!*text)
		return cpuu_error_oom();
	*tlen = len;
	return CPUU_OK;
}

int cpuu_ini_parse_buffer(const void *data, size_t len, cpuu_ini_handler handler, void *user)
{
	char *text = NULL;
	size_t tlen = 0;
	if (len && !data)
		return cpuu_error_set(CPUU_EINVALID, "INI data is NULL");
	int rc = decode(&text, &tlen, data, len);
	if (rc < 0)
		return rc;

	char empty[1] = "";
	char *section = empty;
	unsigned lineno = 0;
	size_t pos = 0;
	rc = CPUU_OK;
	while (pos < tlen && rc == CPUU_OK) {
		char *line = text + pos;
		char *nl = memchr(line, '\n', tlen - pos);
		size_t n = nl ? (size_t)(nl - line) : tlen - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;

		if (n && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\r', n)) {
			/* A lone CR would hide text from the eye (and from diff tools). */
			rc = cpuu_error_set(CPUU_EINVALID, "line %u: carriage return (CR) inside the line", lineno);
			break;
		}
		if (memchr(line, '\0', n)) {
			rc = cpuu_error_set(CPUU_EINVALID, "line %u: NUL byte in text (binary file?)", lineno);
			break;
		}
		if (!cpuu_utf8_valid(line, n)) {
			rc = cpuu_error_set(CPUU_EINVALID, "line %u: invalid UTF-8 (save the file as UTF-8 or Unicode)", lineno);
			break;
		}
		line = trim(line, &n);
		if (n == 0 || line[0] == ';' || line[0] == '#')
			continue;
		if (line[0] == '[') {
			char *close = memchr(line, ']', n);
			if (!close) {
				rc = cpuu_error_set(CPUU_EINVALID, "line %u: section header without ']'", lineno);
				break;
			}
			char *after = close + 1;
			size_t alen = n - (size_t)(after - line);
			after = trim(after, &alen);
			if (alen && after[0] != ';' && after[0] != '#') {
				rc = cpuu_error_set(CPUU_EINVALID, "line %u: text after the section header: '%s'", lineno, after);
				break;
			}
			size_t slen = (size_t)(close - line - 1);
			section = trim(line + 1, &slen);
			if (slen == 0) {
				rc = cpuu_error_set(CPUU_EINVALID, "line %u: empty section name", lineno);
				break;
			}
			continue;
		}
		char *eq = memchr(line, '=', n);
		if (!eq) {
			rc = cpuu_error_set(CPUU_EINVALID, "line %u: expected 'Key = Value', '[Section]' or a comment, found '%.60s'",
					    lineno, line);
			break;
		}
		size_t klen = (size_t)(eq - line);
		size_t vlen = n - klen - 1;
		char *value = trim(eq + 1, &vlen);
		char *key = trim(line, &klen);
		if (klen == 0) {
			rc = cpuu_error_set(CPUU_EINVALID, "line %u: empty key name before '='", lineno);
			break;
		}
		/* An opening quote never closed is a typo that would otherwise become
		 * part of a path or name: refused, not taken literally. */
		if (vlen && value[0] == '"' && !memchr(value + 1, '"', vlen - 1)) {
			rc = cpuu_error_set(CPUU_EINVALID, "line %u: [%s] %.*s: unterminated quote in the value", lineno,
					    section, (int)(klen > 60 ? 60 : klen), key);
			break;
		}
		/* Quotes keep leading/trailing blanks; nothing is escaped inside. */
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		rc = handler(user, section, key, value, lineno);
	}
	free(text);
	return rc;
}

int cpuu_config_read_file(uint8_t **out, size_t *len, const char *path)
{
	/* Bounded, regular files only (a FIFO or /dev/zero is refused). */
	return cpuu_file_read_all((char **)out, len, path, CPUU_FILE_CONFIG_MAX);
}

int cpuu_ini_parse_file(const char *path, cpuu_ini_handler handler, void *user)
{
	uint8_t *data;
	size_t len;
	int rc = cpuu_config_read_file(&data, &len, path);
	if (rc < 0)
		return rc;
	rc = cpuu_ini_parse_buffer(data, len, handler, user);
	free(data);
	if (rc < 0) {
		/* "line N: x" reads better as the compiler-style "path:N: x". */
		const char *msg = cpuu_error_last()->message;
		unsigned ln;
		int used = 0;
		if (sscanf(msg, "line %u: %n", &ln, &used) == 1 && used > 0) {
			char *rest = cpuu_strdup(msg + used);
			if (rest) {
				cpuu_error_set(rc, "%s:%u: %s", path, ln, rest);
				free(rest);
			}
		} else {
			cpuu_error_prefix("%s", path);
		}
	}
	return rc;
}
