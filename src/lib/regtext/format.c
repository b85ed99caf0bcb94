/* Writing documents as REGEDIT5 text, byte-compatible with what regedit
 * (and Wine's regedit, programs/regedit/regproc.c) exports. */
#include "regtext/internal.h"
#include "cpuu/unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* regedit wraps hex data once a line reaches this many columns (counted in
 * UTF-16 code units, the name part included), continuing with ",\" CRLF and
 * two spaces. */
#define HEX_WRAP_COLUMN 77

static size_t utf16_units(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80)
			n++;
		if (*p >= 0xF0)
			n++; /* a supplementary character is a surrogate pair */
	}
	return n;
}

/* Escapes as regedit: backslash, quote, and CR/LF (which would end the line). */
static size_t put_escaped(cpuu_buf *b, const char *s)
{
	size_t start = b->len;
	for (const char *p = s; *p;) {
		/* Runs without anything to escape go in at once. */
		size_t run = strcspn(p, "\\\"\r\n");
		if (run) {
			cpuu_buf_append(b, p, run);
			p += run;
			continue;
		}
		switch (*p) {
		case '\\': cpuu_buf_puts(b, "\\\\"); break;
		case '"': cpuu_buf_puts(b, "\\\""); break;
		case '\r': cpuu_buf_puts(b, "\\r"); break;
		default: cpuu_buf_puts(b, "\\n"); break;
		}
		p++;
	}
	return b->len - start;
}

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

/* The text of a REG_SZ if the quoted form carries its bytes exactly: valid
 * UTF-16LE, one terminating NUL and no other, re-encoding to the same bytes. */
static char *sz_text(const uint8_t *data, size_t len)
{
	if (len < 2 || len % 2 || data[len - 1] || data[len - 2])
		return NULL;
	char *s = NULL;
	/* Not text is no error here (it is written as hex(1)), so the message a
	 * failed decode leaves behind is irrelevant. */
	if (cpuu_utf16le_to_utf8(&s, NULL, data, len, CPUU_UTF16_REQUIRE_NUL | CPUU_UTF16_STRICT_NUL) != CPUU_OK)
		return NULL;
	uint8_t *back = NULL;
	size_t back_len = 0;
	int same = cpuu_utf8_to_utf16le(&back, &back_len, s, 1) == CPUU_OK &&
		   back_len == len && memcmp(back, data, len) == 0;
	free(back);
	if (!same) {
		free(s);
		return NULL;
	}
	return s;
}

void regtext_put_key(cpuu_buf *b, const cpuu_regtext_key *key, const char *eol)
{
	cpuu_buf_puts(b, key->delete_key ? "[-" : "[");
	cpuu_buf_puts(b, key->path);
	cpuu_buf_puts(b, "]");
	cpuu_buf_puts(b, eol);
}

static void put_hex(cpuu_buf *b, size_t column, uint32_t type, const uint8_t *data, size_t len, const char *eol)
{
	char prefix[24];
	if (type == CPUU_REG_BINARY)
		snprintf(prefix, sizeof prefix, "hex:");
	else
		snprintf(prefix, sizeof prefix, "hex(%x):", (unsigned)type);
	cpuu_buf_puts(b, prefix);
	column += strlen(prefix);
	static const char digits[] = "0123456789abcdef";
	/* Backups are mostly hex: built a line at a time, appended once per line. */
	char line[256];
	size_t lp = 0, eol_len = strlen(eol);
	for (size_t i = 0; i < len; i++) {
		line[lp++] = digits[data[i] >> 4];
		line[lp++] = digits[data[i] & 15];
		if (i + 1 == len)
			break;
		line[lp++] = ',';
		column += 3;
		if (column >= HEX_WRAP_COLUMN) {
			line[lp++] = '\\';
			memcpy(line + lp, eol, eol_len);
			lp += eol_len;
			line[lp++] = ' ';
			line[lp++] = ' ';
			column = 2;
		}
		if (lp > sizeof line - 16) {
			cpuu_buf_append(b, line, lp);
			lp = 0;
		}
	}
	cpuu_buf_append(b, line, lp);
}

/* A REG_SZ of ASCII characters (no NUL but the one ending it): its quoted
 * form is those bytes, escaped, so it goes in without the decode, re-encode
 * and allocations of sz_text (most values of a backup are such). */
static int sz_ascii(const uint8_t *data, size_t len)
{
	if (len < 2 || len % 2 || data[len - 1] || data[len - 2])
		return 0;
	for (size_t i = 0; i + 2 < len; i += 2)
		if (data[i + 1] || !data[i] || data[i] >= 0x80)
			return 0;
	return 1;
}

static void put_sz_ascii(cpuu_buf *b, const uint8_t *data, size_t len)
{
	char chunk[256];
	size_t n = 0;
	for (size_t i = 0; i + 2 < len; i += 2) {
		char c = (char)data[i];
		if (c == '\\' || c == '"' || c == '\r' || c == '\n') {
			chunk[n++] = '\\';
			c = c == '\r' ? 'r' : c == '\n' ? 'n' : c;
		}
		chunk[n++] = c;
		if (n > sizeof chunk - 4) {
			cpuu_buf_append(b, chunk, n);
			n = 0;
		}
	}
	cpuu_buf_append(b, chunk, n);
}

static void put_dword(cpuu_buf *b, uint32_t d)
{
	static const char digits[] = "0123456789abcdef";
	char text[14] = "dword:";
	for (int i = 0; i < 8; i++)
		text[6 + i] = digits[(d >> (28 - 4 * i)) & 15];
	cpuu_buf_append(b, text, sizeof text);
}

int regtext_put_value(cpuu_buf *b, const cpuu_regtext_key *key, const cpuu_regtext_value *v, const char *eol)
{
	int rc = regtext_check_value(key, v);
	if (rc)
		return rc;
	size_t column;
	if (v->name[0]) {
		cpuu_buf_puts(b, "\"");
		size_t start = b->len;
		put_escaped(b, v->name);
		column = b->failed ? 0 : utf16_units(b->data + start) + 3;
		cpuu_buf_puts(b, "\"=");
	} else {
		cpuu_buf_puts(b, "@=");
		column = 2;
	}
	if (v->delete_value) {
		cpuu_buf_puts(b, "-");
	} else if (v->type == CPUU_REG_DWORD && v->len == 4) {
		put_dword(b, cpuu_le32(v->data));
	} else if (v->type == CPUU_REG_SZ && sz_ascii(v->data, v->len)) {
		cpuu_buf_puts(b, "\"");
		put_sz_ascii(b, v->data, v->len);
		cpuu_buf_puts(b, "\"");
	} else {
		char *s = v->type == CPUU_REG_SZ ? sz_text(v->data, v->len) : NULL;
		if (s) {
			cpuu_buf_puts(b, "\"");
			put_escaped(b, s);
			cpuu_buf_puts(b, "\"");
			free(s);
		} else {
			put_hex(b, column, v->type, v->data, v->len, eol);
		}
	}
	cpuu_buf_puts(b, eol);
	return CPUU_OK;
}

int cpuu_regtext_format(char **out, size_t *out_len, const cpuu_regtext *doc)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!doc)
		return cpuu_error_set(CPUU_EINVALID, "no document to format");
	cpuu_buf b = { 0 };
	cpuu_buf_puts(&b, "Windows Registry Editor Version 5.00\r\n");
	for (size_t i = 0; i < doc->nkeys; i++) {
		const cpuu_regtext_key *k = &doc->keys[i];
		int rc = regtext_check_key(k);
		if (rc) {
			cpuu_buf_dispose(&b);
			return rc;
		}
		cpuu_buf_puts(&b, "\r\n");
		regtext_put_key(&b, k, "\r\n");
		for (size_t j = 0; j < k->nvalues; j++) {
			rc = regtext_put_value(&b, k, &k->values[j], "\r\n");
			if (rc) {
				cpuu_buf_dispose(&b);
				return rc;
			}
		}
	}
	/* regedit ends the file with an empty line. */
	cpuu_buf_puts(&b, "\r\n");
	char *text = cpuu_buf_detach(&b, out_len);
	if (!text)
		return CPUU_ENOMEM;
	*out = text;
	return CPUU_OK;
}
