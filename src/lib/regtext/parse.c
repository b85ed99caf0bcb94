/* Reading .reg text. The grammar follows Wine's regedit parser
 * (programs/regedit/regproc.c), stricter where Wine skips a line silently:
 * here anything not understood is an error naming the line, because a backup
 * that reads back differently from what was written must never go unnoticed. */
#include "regtext/internal.h"
#include "cpuu/unicode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER5 "Windows Registry Editor Version 5.00"
#define HEADER4 "REGEDIT4"

typedef struct parser {
	char *text;     /* the whole file as UTF-8, NUL-terminated, split in place */
	size_t len;
	size_t pos;     /* start of the next line */
	unsigned line;  /* number of the line last returned */
	int eightbit;   /* REGEDIT4 in an 8-bit file: hex(1/2/7) bytes are Windows-1252 text */
	cpuu_regtext *doc;
	cpuu_regtext_key *key; /* current [key], NULL before the first */
} parser;

static int perr(const parser *ps, const char *fmt, ...) CPUU_PRINTF(2, 3);
static int perr(const parser *ps, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cpuu_error_set(CPUU_EINVALID, "line %u: %s", ps->line, msg);
}

/* A short printable excerpt of the text at p for messages: up to a
 * delimiter, at most 24 bytes, cut on a character boundary. */
static const char *excerpt(char *out, size_t cap, const char *p, const char *stops)
{
	size_t n = 0;
	while (p[n] && !strchr(stops, p[n]) && n + 1 < cap && n < 24)
		n++;
	while (n && p[n] && ((unsigned char)p[n] & 0xC0) == 0x80)
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = ((unsigned char)p[i] < 0x20) ? '?' : p[i];
	out[n] = '\0';
	return out;
}

static char *next_line(parser *ps)
{
	if (ps->pos >= ps->len)
		return NULL;
	char *s = ps->text + ps->pos;
	size_t n = strcspn(s, "\r\n");
	ps->pos += n;
	if (ps->pos < ps->len) {
		if (s[n] == '\r' && s[n + 1] == '\n')
			ps->pos++;
		ps->pos++;
	}
	s[n] = '\0';
	ps->line++;
	return s;
}

static char *skip_ws(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void trim_right(char *p)
{
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	p[n] = '\0';
}

/* Only blanks or a ; comment may follow. */
static int at_end(const char *p)
{
	p = skip_ws((char *)p);
	return *p == '\0' || *p == ';';
}

/* The value of a hex digit, -1 for any other byte (a table: backups are
 * mostly hex). */
static const signed char hex_table[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static inline int hexval(int c)
{
	/* Stored plus one, so that the zero of the rest means "none". */
	return hex_table[(unsigned char)c] - 1;
}

/* ---- file encodings --------------------------------------------------- */

/* Line number (1-based) of byte offset off in 8-bit/UTF-8 text. */
static unsigned line_at(const uint8_t *d, size_t off)
{
	unsigned line = 1;
	for (size_t i = 0; i < off; i++)
		if (d[i] == '\n' || (d[i] == '\r' && (i + 1 >= off || d[i + 1] != '\n')))
			line++;
	return line;
}

static int check_utf8(parser *ps, const uint8_t *d, size_t n)
{
	const uint8_t *nul = memchr(d, 0, n);
	if (nul) {
		ps->line = line_at(d, (size_t)(nul - d));
		return perr(ps, "NUL byte in the text");
	}
	if (cpuu_utf8_valid((const char *)d, n))
		return CPUU_OK;
	size_t start = 0;
	ps->line = 1;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || d[i] == '\n' || d[i] == '\r') {
			if (!cpuu_utf8_valid((const char *)d + start, i - start))
				return perr(ps, "not valid UTF-8 (a REGEDIT5 file must be UTF-16LE or UTF-8)");
			if (i < n && !(d[i] == '\r' && i + 1 < n && d[i + 1] == '\n'))
				ps->line++;
			start = i + 1;
		}
	}
	return perr(ps, "not valid UTF-8");
}

/* On a UTF-16 decoding failure, finds the line to blame. */
static int utf16_error(parser *ps, const uint8_t *d, size_t n)
{
	size_t units = n / 2, start = 0;
	ps->line = 1;
	for (size_t k = 0; k <= units; k++) {
		uint16_t u = k < units ? cpuu_le16(d + 2 * k) : 0x000A;
		if (k < units && u == 0)
			return perr(ps, "NUL character in the text");
		if (u == 0x000A || u == 0x000D) {
			char *tmp = NULL;
			if (cpuu_utf16le_to_utf8(&tmp, NULL, d + 2 * start, 2 * (k - start), 0) != CPUU_OK)
				return cpuu_error_prefix("line %u", ps->line);
			free(tmp);
			if (!(u == 0x000D && k + 1 < units && cpuu_le16(d + 2 * k + 2) == 0x000A))
				ps->line++;
			start = k + 1;
		}
	}
	ps->line = 1;
	return perr(ps, "invalid UTF-16LE text");
}

static int starts_with_regedit4(const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n && (d[i] == ' ' || d[i] == '\t'))
		i++;
	size_t h = strlen(HEADER4);
	if (n - i < h || memcmp(d + i, HEADER4, h) != 0)
		return 0;
	i += h;
	return i == n || d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n';
}

/* UTF-16LE that is all ASCII without NUL (a backup, but for non-ASCII
 * profile names) narrowed to its text: what the general decoding gives for
 * it, a unit at a time, without decoding. 0 (nothing done) for anything
 * else, which goes the general way; 1 with *out NULL if out of memory. */
static int narrow_ascii(char **out, size_t *out_len, const uint8_t *d, size_t n)
{
	size_t units = n / 2, i = 0;
	*out = NULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Four units a word: no high byte, no unit of 0x80 or more, no NUL. */
	const uint64_t lane1 = 0x0001000100010001ull, high = 0x8000800080008000ull;
	for (; i + 4 <= units; i += 4) {
		uint64_t x;
		memcpy(&x, d + 2 * i, 8);
		if ((x & 0xFF80FF80FF80FF80ull) || ((x - lane1) & ~x & high))
			return 0;
	}
#endif
	for (; i < units; i++)
		if (d[2 * i + 1] || !d[2 * i] || d[2 * i] >= 0x80)
			return 0;
	char *t = malloc(units + 1);
	if (t) {
		for (i = 0; i < units; i++)
			t[i] = (char)d[2 * i];
		t[units] = '\0';
		*out_len = units;
	}
	*out = t;
	return 1;
}

/* Decodes the raw file into ps->text; *utf16 tells whether it was UTF-16. */
static int decode(parser *ps, const uint8_t *d, size_t n, int *utf16, int *cp1252)
{
	char *t = NULL;
	size_t tl = 0;
	int rc;
	*utf16 = *cp1252 = 0;
	if (n >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
		*utf16 = 1;
		d += 2;
		n -= 2;
		if (n % 2)
			return cpuu_error_set(CPUU_EINVALID, "UTF-16LE text with an odd number of bytes (%zu)", n);
		/* A NUL as the very last unit is tolerated (the text stops there). */
		if (narrow_ascii(&t, &tl, d, n))
			rc = t ? CPUU_OK : cpuu_error_oom();
		else
			rc = cpuu_utf16le_to_utf8(&t, &tl, d, n, CPUU_UTF16_STRICT_NUL);
		if (rc)
			return rc == CPUU_ENOMEM ? rc : utf16_error(ps, d, n);
	} else if (n >= 2 && d[0] == 0xFE && d[1] == 0xFF) {
		return cpuu_error_set(CPUU_EUNSUPPORTED, "UTF-16BE .reg files are not supported");
	} else {
		if (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
			d += 3;
			n -= 3;
		} else if (starts_with_regedit4(d, n)) {
			*cp1252 = 1;
		}
		if (*cp1252) {
			const uint8_t *nul = memchr(d, 0, n);
			if (nul) {
				ps->line = line_at(d, (size_t)(nul - d));
				return perr(ps, "NUL byte in the text");
			}
			rc = cpuu_cp1252_to_utf8(&t, &tl, d, n);
		} else {
			rc = check_utf8(ps, d, n);
			if (rc)
				return rc;
			t = cpuu_strndup((const char *)d, n);
			tl = n;
			rc = t ? CPUU_OK : cpuu_error_oom();
		}
		if (rc)
			return rc;
	}
	ps->text = t;
	ps->len = tl;
	ps->line = 0;
	return CPUU_OK;
}

/* ---- lines ------------------------------------------------------------ */

static int parse_header(parser *ps)
{
	char *line = next_line(ps);
	if (!line)
		return cpuu_error_set(CPUU_EINVALID, "line 1: empty file, no .reg header");
	char *p = skip_ws(line);
	trim_right(p);
	if (strcmp(p, HEADER5) == 0)
		ps->doc->version = 5;
	else if (strcmp(p, HEADER4) == 0)
		ps->doc->version = 4;
	else {
		char ex[32];
		return perr(ps, "not a .reg file: header '%s' is neither \"" HEADER5 "\" nor \"" HEADER4 "\"",
			    excerpt(ex, sizeof ex, p, ""));
	}
	return CPUU_OK;
}

static int parse_key(parser *ps, char *p)
{
	char *close = strrchr(p, ']');
	if (!close)
		return perr(ps, "key line without a closing ']'");
	if (!at_end(close + 1)) {
		char ex[32];
		return perr(ps, "text after the key name: '%s'", excerpt(ex, sizeof ex, skip_ws(close + 1), ""));
	}
	char *path = p + 1;
	int del = 0;
	if (*path == '-') {
		del = 1;
		path++;
	}
	if (path == close)
		return perr(ps, "empty key name");
	if (*path == ' ' || *path == '\t')
		return perr(ps, "key name starts with a blank");
	return regtext_add_key(&ps->key, ps->doc, path, (size_t)(close - path), del);
}

/* Reads a quoted string starting at the opening quote into out (unescaping
 * \\ \" \n \r; another escaped character stands for itself, as in Wine). */
static int unquote(parser *ps, char **pp, cpuu_buf *out)
{
	char *p = *pp + 1;
	for (;;) {
		char c = *p;
		if (c == '\0')
			return perr(ps, "missing closing quote");
		if (c == '"') {
			p++;
			break;
		}
		if (c == '\\') {
			char e = p[1];
			switch (e) {
			case '\0':
				return perr(ps, "missing closing quote");
			case '0':
				return perr(ps, "\\0 (NUL) in a quoted string");
			case 'n': e = '\n'; break;
			case 'r': e = '\r'; break;
			default: break;
			}
			cpuu_buf_append(out, &e, 1);
			p += 2;
			continue;
		}
		/* The run up to the next quote or escape goes in at once. */
		size_t run = strcspn(p, "\"\\");
		cpuu_buf_append(out, p, run);
		p += run;
	}
	*pp = p;
	return out->failed ? cpuu_error_oom() : CPUU_OK;
}

static inline int append_byte(cpuu_buf *b, uint8_t v)
{
	/* Room for it and the terminating NUL the buffer keeps: in place. */
	if (b->data && b->len + 2 <= b->cap) {
		b->data[b->len++] = (char)v;
		b->data[b->len] = '\0';
		return CPUU_OK;
	}
	cpuu_buf_append(b, &v, 1);
	return b->failed ? cpuu_error_oom() : CPUU_OK;
}

/* Comma-separated hex bytes, continued on following lines after a '\'. */
static int parse_hex_list(parser *ps, char *p, cpuu_buf *out)
{
	static const char stops[] = ", \t\\;";
	char ex[32];
	for (;;) {
		p = skip_ws(p);
		if (*p == '\0' || *p == ';')
			return CPUU_OK;
		if (*p == '\\') {
			if (!at_end(p + 1))
				return perr(ps, "text after the line continuation '\\': '%s'",
					    excerpt(ex, sizeof ex, skip_ws(p + 1), ""));
			/* Blank and comment lines inside a continuation are skipped (as Wine). */
			for (;;) {
				char *line = next_line(ps);
				if (!line)
					return CPUU_OK; /* end of file ends the value */
				p = skip_ws(line);
				if (*p && *p != ';')
					break;
			}
			if (hexval((unsigned char)*p) < 0)
				return perr(ps, "bad hex byte '%s' after a line continuation",
					    excerpt(ex, sizeof ex, p, stops));
			continue;
		}
		/* Nearly every byte is two digits and a comma: read as such (what
		 * the general steps below make of it). */
		int h0, h1;
		if ((h0 = hexval(p[0])) >= 0 && (h1 = hexval(p[1])) >= 0 && p[2] == ',') {
			int rc = append_byte(out, (uint8_t)(h0 << 4 | h1));
			if (rc)
				return rc;
			p += 3;
			continue;
		}
		size_t n = strcspn(p, stops);
		int hi = hexval((unsigned char)p[0]);
		int lo = n == 2 ? hexval((unsigned char)p[1]) : 0;
		if (n == 0 || n > 2 || hi < 0 || lo < 0)
			return perr(ps, "bad hex byte '%s'", excerpt(ex, sizeof ex, p, stops));
		int rc = append_byte(out, (uint8_t)(n == 2 ? hi << 4 | lo : hi));
		if (rc)
			return rc;
		p = skip_ws(p + n);
		if (*p == ',')
			p++;
		else if (*p && *p != ';' && *p != '\\')
			return perr(ps, "expected ',' before '%s'", excerpt(ex, sizeof ex, p, stops));
	}
}

/* REGEDIT4: hex(1)/hex(2)/hex(7) bytes are 8-bit text; like regedit, add the
 * missing terminator and widen each byte (Windows-1252) to UTF-16LE. */
static int widen_cp1252(uint8_t **data, size_t *len)
{
	cpuu_buf w = { 0 };
	const uint8_t *d = *data;
	size_t n = *len;
	for (size_t i = 0; i < n;) {
		size_t seg = i;
		while (seg < n && d[seg])
			seg++;
		if (seg > i) {
			char *u8 = NULL;
			uint8_t *u16 = NULL;
			size_t l8 = 0, l16 = 0;
			int rc = cpuu_cp1252_to_utf8(&u8, &l8, d + i, seg - i);
			if (!rc)
				rc = cpuu_utf8n_to_utf16le(&u16, &l16, u8, l8, 0);
			free(u8);
			if (rc) {
				cpuu_buf_dispose(&w);
				return rc;
			}
			cpuu_buf_append(&w, u16, l16);
			free(u16);
		}
		if (seg < n)
			cpuu_buf_append(&w, "\0\0", 2);
		i = seg + 1;
	}
	if (n && d[n - 1] != 0)
		cpuu_buf_append(&w, "\0\0", 2);
	size_t wl = 0;
	char *wd = cpuu_buf_detach(&w, &wl);
	if (!wd)
		return CPUU_ENOMEM;
	free(*data);
	*data = (uint8_t *)wd;
	*len = wl;
	return CPUU_OK;
}

/* ASCII case-insensitive prefix test (type keywords: hex:, dword:). */
static int has_prefix(const char *p, const char *word)
{
	for (; *word; p++, word++) {
		int c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c != *word)
			return 0;
	}
	return 1;
}

static int parse_data(parser *ps, cpuu_regtext_value *v, char *p)
{
	char ex[32];
	cpuu_buf b = { 0 };
	int rc;
	if (*p == '-' && at_end(p + 1)) {
		v->delete_value = 1;
		return CPUU_OK;
	}
	if (*p == '"') {
		rc = unquote(ps, &p, &b);
		if (!rc && !at_end(p))
			rc = perr(ps, "text after the closing quote: '%s'", excerpt(ex, sizeof ex, skip_ws(p), ""));
		if (!rc)
			rc = cpuu_utf8n_to_utf16le(&v->data, &v->len, b.data ? b.data : "", b.len, 1);
		cpuu_buf_dispose(&b);
		v->type = CPUU_REG_SZ;
		return rc;
	}
	if (has_prefix(p, "dword:")) {
		char *q = skip_ws(p + 6);
		size_t n = 0;
		unsigned long val = 0;
		while (hexval((unsigned char)q[n]) >= 0 && n < 9)
			val = val << 4 | (unsigned long)hexval((unsigned char)q[n++]);
		if (n == 0 || n > 8 || !at_end(q + n))
			return perr(ps, "bad dword '%s' (1 to 8 hex digits)", excerpt(ex, sizeof ex, q, " \t;"));
		v->type = CPUU_REG_DWORD;
		v->data = malloc(4);
		if (!v->data)
			return cpuu_error_oom();
		cpuu_put_le32(v->data, (uint32_t)val);
		v->len = 4;
		return CPUU_OK;
	}
	if (has_prefix(p, "hex:")) {
		v->type = CPUU_REG_BINARY;
		p += 4;
	} else if (has_prefix(p, "hex(")) {
		char *q = p + 4;
		size_t n = 0;
		unsigned long t = 0;
		while (hexval((unsigned char)q[n]) >= 0 && n < 9)
			t = t << 4 | (unsigned long)hexval((unsigned char)q[n++]);
		if (n == 0 || n > 8 || q[n] != ')' || q[n + 1] != ':')
			return perr(ps, "bad value type '%s' (expected hex(N): with N in hex)",
				    excerpt(ex, sizeof ex, p, " \t,;"));
		v->type = (uint32_t)t;
		p = q + n + 2;
	} else {
		return perr(ps, "unknown value data '%s' (expected \"...\", dword:, hex: or hex(N):)",
			    excerpt(ex, sizeof ex, p, " \t,;"));
	}
	rc = parse_hex_list(ps, p, &b);
	if (rc) {
		cpuu_buf_dispose(&b);
		return rc;
	}
	if (b.len) {
		v->data = (uint8_t *)cpuu_buf_detach(&b, &v->len);
		if (!v->data)
			return CPUU_ENOMEM;
	}
	cpuu_buf_dispose(&b);
	if (ps->eightbit && v->len &&
	    (v->type == CPUU_REG_SZ || v->type == CPUU_REG_EXPAND_SZ || v->type == CPUU_REG_MULTI_SZ))
		return widen_cp1252(&v->data, &v->len);
	return CPUU_OK;
}

static int parse_value(parser *ps, char *p)
{
	char ex[32];
	if (!ps->key)
		return perr(ps, "value before the first [key]");
	if (ps->key->delete_key)
		return perr(ps, "value under a deleted key [-%s]", ps->key->path);
	cpuu_buf name = { 0 };
	int rc;
	if (*p == '@') {
		p++;
	} else {
		rc = unquote(ps, &p, &name);
		if (rc) {
			cpuu_buf_dispose(&name);
			return rc;
		}
	}
	p = skip_ws(p);
	if (*p != '=') {
		cpuu_buf_dispose(&name);
		return perr(ps, "expected '=' after the value name, found '%s'", excerpt(ex, sizeof ex, p, ""));
	}
	p = skip_ws(p + 1);
	trim_right(p);
	cpuu_regtext_value *v;
	rc = regtext_add_value(&v, ps->key, name.data ? name.data : "", name.len);
	cpuu_buf_dispose(&name);
	if (rc)
		return rc;
	rc = parse_data(ps, v, p);
	if (rc) {
		/* Leave the document consistent: drop the half-built value. */
		free(v->name);
		free(v->data);
		ps->key->nvalues--;
	}
	return rc;
}

int cpuu_regtext_parse(cpuu_regtext **out, const uint8_t *data, size_t len)
{
	*out = NULL;
	if (!data && len)
		return cpuu_error_set(CPUU_EINVALID, "no .reg data");
	parser ps = { 0 };
	ps.doc = calloc(1, sizeof *ps.doc);
	if (!ps.doc)
		return cpuu_error_oom();
	int utf16, cp1252;
	int rc = decode(&ps, data ? data : (const uint8_t *)"", len, &utf16, &cp1252);
	if (!rc)
		rc = parse_header(&ps);
	if (!rc)
		ps.eightbit = ps.doc->version == 4 && !utf16;
	char *line;
	while (!rc && (line = next_line(&ps))) {
		char *p = skip_ws(line);
		char ex[32];
		switch (*p) {
		case '\0':
		case ';':
			break;
		case '[':
			rc = parse_key(&ps, p);
			break;
		case '@':
		case '"':
			rc = parse_value(&ps, p);
			break;
		default:
			rc = perr(&ps, "unexpected text '%s'", excerpt(ex, sizeof ex, p, ""));
		}
	}
	free(ps.text);
	if (rc) {
		cpuu_regtext_free(ps.doc);
		return rc;
	}
	*out = ps.doc;
	return CPUU_OK;
}
