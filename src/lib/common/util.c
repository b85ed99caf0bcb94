#include "common/internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cpuu_strdup(const char *s)
{
	return s ? cpuu_strndup(s, strlen(s)) : NULL;
}

char *cpuu_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Is fmt only text and plain "%s"? Most formats are (paths, names). */
static int only_plain_s(const char *fmt)
{
	for (const char *p = fmt; (p = strchr(p, '%')); p += 2)
		if (p[1] != 's')
			return 0;
	return 1;
}

/* fmt of text and plain "%s" concatenated directly: the same string as
 * vsnprintf, without parsing the format twice. NULL arguments (printed
 * "(null)" by glibc) and huge results are left to vsnprintf: returns 0. */
static int concat_plain(char **out, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	size_t n = 0;
	int ok = 1;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			n++;
			continue;
		}
		const char *a = va_arg(aq, const char *);
		if (!a) {
			ok = 0;
			break;
		}
		n += strlen(a);
		p++;
	}
	va_end(aq);
	if (!ok || n >= INT_MAX)
		return 0;
	char *s = malloc(n + 1), *w = s;
	if (s) {
		for (const char *p = fmt; *p; p++) {
			if (*p != '%') {
				*w++ = *p;
				continue;
			}
			const char *a = va_arg(ap, const char *);
			size_t l = strlen(a);
			memcpy(w, a, l);
			w += l;
			p++;
		}
		*w = '\0';
	}
	*out = s;
	return 1;
}

char *cpuu_aprintf(const char *fmt, ...)
{
	va_list ap;
	if (only_plain_s(fmt)) {
		char *s = NULL;
		va_start(ap, fmt);
		int done = concat_plain(&s, fmt, ap);
		va_end(ap);
		if (done)
			return s;
	}
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int cpuu_strcasecmp_ascii(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;
		/* Equal bytes first: the hot callers compare long equal paths. */
		if (ca == cb) {
			if (!ca)
				return 0;
			continue;
		}
		if (ca >= 'A' && ca <= 'Z') ca += 32;
		if (cb >= 'A' && cb <= 'Z') cb += 32;
		if (ca != cb || ca == 0)
			return ca - cb;
	}
}

static bool buf_reserve(cpuu_buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra < SIZE_MAX - b->len && b->data && b->len + extra + 1 <= b->cap)
		return true;
	if (!b->data && !b->cap)
		b->cap = 64; /* most buffers are a line or two */
	char *p = extra < SIZE_MAX - b->len ? cpuu_array_reserve(b->data, &b->cap, b->len + extra + 1, 1) : NULL;
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	return true;
}

void cpuu_buf_append(cpuu_buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void cpuu_buf_puts(cpuu_buf *b, const char *s)
{
	cpuu_buf_append(b, s, strlen(s));
}

void cpuu_buf_printf(cpuu_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void cpuu_buf_json_string(cpuu_buf *b, const char *s)
{
	if (!s) {
		cpuu_buf_puts(b, "null");
		return;
	}
	cpuu_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': cpuu_buf_puts(b, "\\\""); break;
		case '\\': cpuu_buf_puts(b, "\\\\"); break;
		case '\n': cpuu_buf_puts(b, "\\n"); break;
		case '\r': cpuu_buf_puts(b, "\\r"); break;
		case '\t': cpuu_buf_puts(b, "\\t"); break;
		default: {
			/* Controls, DEL, C1, bidi overrides and line separators as
			 * \u escapes (the same text to a JSON reader), so the JSON
			 * shown on a terminal is as safe as the text output. */
			uint32_t cp = 0;
			size_t n = *p < 0x20 ? 1 : *p < 0x7F ? 0 : cpuu_utf8_next(&cp, (const char *)p);
			if (*p < 0x20 || (n && cpuu_display_special(cp))) {
				cpuu_buf_printf(b, "\\u%04x", *p < 0x20 ? (unsigned)*p : (unsigned)cp);
				p += n - 1;
			} else {
				cpuu_buf_append(b, p, 1);
			}
		}
		}
	}
	cpuu_buf_append(b, "\"", 1);
}

char *cpuu_buf_detach(cpuu_buf *b, size_t *len)
{
	if (!buf_reserve(b, 0)) {
		cpuu_buf_dispose(b);
		cpuu_error_oom();
		return NULL;
	}
	b->data[b->len] = '\0'; /* a buffer that never grew was never terminated */
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void cpuu_buf_dispose(cpuu_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void cpuu_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

bool cpuu_hex_decode(uint8_t *out, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		if (hi < 0)
			return false;
		int lo = hexval((unsigned char)in[2 * i + 1]);
		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void *cpuu_array_reserve(void *items, size_t *cap, size_t need, size_t elem)
{
	if (!cap) {
		if (!need)
			need = 1;
		return elem && need > SIZE_MAX / elem ? NULL : realloc(items, need * elem);
	}
	if (need <= *cap && items)
		return items;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (elem && n > SIZE_MAX / elem)
		return NULL;
	void *grown = realloc(items, n * elem);
	if (grown)
		*cap = n;
	return grown;
}
