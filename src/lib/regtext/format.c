/* Writing documents as REGEDIT5 text, byte-compatible with what regedit
 * (and Wine's regedit, programs/regedit/regproc.c) exports.
 *
 * One writer knows regedit's rules (escapes, quoted or hex, the wrap column):
 * the UTF-16LE one of utf16.c, which writes .reg files and backups. The UTF-8
 * text for people (cpuu_regtext_format, the lines of a diff) is its output
 * narrowed: no character of it can be a NUL or half a surrogate pair, and
 * line breaks inside values are escaped, so narrowing is exact. */
#include "regtext/internal.h"
#include "cpuu/unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int regtext_check_key(const cpuu_regtext_key *key)
{
	const char *p = key->path;
	if (!p || !*p)
		return cpuu_error_set(CPUU_EINVALID, "key with an empty path");
	if (!cpuu_utf8_valid(p, strlen(p)))
		return cpuu_error_set(CPUU_EINVALID, "key path is not valid UTF-8");
	if (strpbrk(p, "\r\n"))
		return cpuu_error_set(CPUU_EINVALID, "key [%s]: a line break in a key path cannot be written", p);
	if (*p == ' ' || *p == '\t')
		return cpuu_error_set(CPUU_EINVALID, "key [%s]: a path starting with a blank cannot be written", p);
	if (*p == '-' && !key->delete_key)
		return cpuu_error_set(CPUU_EINVALID, "key [%s]: a path starting with '-' reads as a deletion", p);
	if (key->delete_key && key->nvalues)
		return cpuu_error_set(CPUU_EINVALID, "key [-%s]: a deleted key cannot carry values", p);
	if (key->nvalues && !key->values)
		return cpuu_error_set(CPUU_EINVALID, "key [%s]: values missing", p);
	return CPUU_OK;
}

int regtext_check_value(const cpuu_regtext_key *key, const cpuu_regtext_value *v)
{
	if (!v->name)
		return cpuu_error_set(CPUU_EINVALID, "key [%s]: value without a name (use \"\" for @)", key->path);
	if (!cpuu_utf8_valid(v->name, strlen(v->name)))
		return cpuu_error_set(CPUU_EINVALID, "key [%s]: value name is not valid UTF-8", key->path);
	if (!v->delete_value && v->len && !v->data)
		return cpuu_error_set(CPUU_EINVALID, "key [%s] value \"%s\": %zu bytes of data missing",
				      key->path, v->name, v->len);
	return CPUU_OK;
}

void regtext_put_key(cpuu_buf *b, const cpuu_regtext_key *key, const char *eol)
{
	cpuu_buf_puts(b, key->delete_key ? "[-" : "[");
	cpuu_buf_puts(b, key->path);
	cpuu_buf_puts(b, "]");
	cpuu_buf_puts(b, eol);
}

/* UTF-16LE units (no BOM) as UTF-8, with each CRLF written as eol. */
static int narrow(cpuu_buf *b, const uint8_t *u16, size_t len, const char *eol)
{
	char *text = NULL;
	size_t n = 0;
	int rc = cpuu_utf16le_to_utf8(&text, &n, u16, len, 0);
	if (rc)
		return rc;
	for (const char *p = text, *end = text + n; p < end;) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		if (!cr || cr + 1 == end || cr[1] != '\n') {
			size_t run = cr ? (size_t)(cr - p) + 1 : (size_t)(end - p);
			cpuu_buf_append(b, p, run);
			p += run;
			continue;
		}
		cpuu_buf_append(b, p, (size_t)(cr - p));
		cpuu_buf_puts(b, eol);
		p = cr + 2;
	}
	free(text);
	return b->failed ? cpuu_error_oom() : CPUU_OK;
}

int regtext_put_value(cpuu_buf *b, const cpuu_regtext_key *key, const cpuu_regtext_value *v, const char *eol)
{
	regtext_w16 w = { 0 };
	int rc = regtext_w16_value(&w, key, v);
	if (!rc && w.failed)
		rc = cpuu_error_oom();
	if (!rc)
		rc = narrow(b, w.data, w.len, eol);
	regtext_w16_dispose(&w);
	return rc;
}

int cpuu_regtext_format(char **out, size_t *out_len, const cpuu_regtext *doc)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	uint8_t *u16 = NULL;
	size_t len = 0;
	int rc = cpuu_regtext_format_utf16le(&u16, &len, doc);
	if (rc)
		return rc;
	cpuu_buf b = { 0 };
	rc = narrow(&b, u16 + 2, len - 2, "\r\n"); /* after the BOM */
	free(u16);
	if (rc) {
		cpuu_buf_dispose(&b);
		return rc;
	}
	char *text = cpuu_buf_detach(&b, out_len);
	if (!text)
		return cpuu_error_oom();
	*out = text;
	return CPUU_OK;
}
