/* The one escaping of names for text output (include/cpuu/display.h). */
#include "common/internal.h"
#include "cpuu/display.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (1 to 4) and its code
 * point, or 0 when the bytes there are not one (stray continuation byte,
 * overlong form, surrogate, beyond U+10FFFF, cut short by the end). */
static size_t utf8_seq(uint32_t *cp, const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	if (!n)
		return 0;
	uint32_t v = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		v = v << 6 | (p[i] & 0x3F);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < least[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

int cpuu_display_special(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

size_t cpuu_utf8_next(uint32_t *cp, const char *p)
{
	return utf8_seq(cp, (const unsigned char *)p);
}

/* What stands for the character at p (not the terminating NUL) in
 * displayed text: the bytes themselves or their escape, in rep (NUL-
 * terminated, at most 6 bytes); returns how many bytes of p it covers. */
static size_t display_one(char rep[8], const unsigned char *p)
{
	uint32_t cp = 0;
	size_t n = utf8_seq(&cp, p);
	if (!n || cp < 0x20 || cp == 0x7F) {
		snprintf(rep, 8, "\\x%02x", *p);
		return 1;
	}
	if (cpuu_display_special(cp))
		snprintf(rep, 8, "\\u%04x", (unsigned)(cp & 0xFFFF)); /* all special code points are BMP */
	else {
		memcpy(rep, p, n);
		rep[n] = '\0';
	}
	return n;
}

void cpuu_buf_display(cpuu_buf *b, const char *s)
{
	if (!s) {
		cpuu_buf_puts(b, "(null)");
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		/* Plain printable ASCII in one run: the common case costs a scan. */
		const unsigned char *q = p;
		while (*q >= 0x20 && *q < 0x7F)
			q++;
		if (q > p)
			cpuu_buf_append(b, p, (size_t)(q - p));
		if (!*(p = q))
			break;
		char rep[8];
		p += display_one(rep, p);
		cpuu_buf_puts(b, rep);
	}
}

size_t cpuu_display_into(char *dst, size_t size, const char *s)
{
	size_t len = 0;
	if (!size)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
		/* Printable ASCII copied as it is (messages are mostly that:
		 * cpuu_error_set runs this on every error, lookups included). */
		if (*p >= 0x20 && *p < 0x7F) {
			if (len + 1 >= size)
				break;
			dst[len++] = (char)*p++;
			continue;
		}
		char rep[8];
		size_t n = display_one(rep, p), r = strlen(rep);
		if (len + r >= size)
			break; /* cut at a character, never inside one */
		memcpy(dst + len, rep, r);
		len += r;
		p += n;
	}
	dst[len] = '\0';
	return len;
}

int cpuu_display_escape(char **out, const char *s)
{
	cpuu_buf b = { 0 };
	cpuu_buf_display(&b, s);
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

int cpuu_display_fputs(const char *s, FILE *f)
{
	/* No allocation when there is nothing to escape. */
	const unsigned char *p = (const unsigned char *)(s ? s : "(null)");
	while (*p >= 0x20 && *p < 0x7F)
		p++;
	if (!*p)
		return fputs(s ? s : "(null)", f);
	char *text = NULL;
	if (cpuu_display_escape(&text, s) != CPUU_OK)
		return EOF;
	int rc = fputs(text, f);
	free(text);
	return rc;
}
