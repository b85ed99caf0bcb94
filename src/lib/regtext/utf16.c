/* Writing .reg text straight as the UTF-16LE bytes of the file: the same
 * text as format.c produces (docs/reg-format.md), without a UTF-8 copy that
 * is then widened. Backups are this path's bulk (mostly hex digits), so
 * ASCII goes in a character at a time without decoding, hex bytes through a
 * table, and everything into one growing buffer. */
#include "regtext/internal.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

/* As format.c: regedit wraps hex data once a line reaches this column. */
#define HEX_WRAP_COLUMN 77

/* Every append reserves this many bytes beyond what it writes, so that the
 * hex table's 8-byte stores (6 bytes used) never need a bounds check. */
#define SLACK 8

/* A backup of a realistic profile is some 130 KB: one buffer of this size
 * holds it without copying (and glibc maps a block this large, which then
 * grows without a copy as well). */
#define FIRST_CAP (128u * 1024)

static int grow(regtext_w16 *w, size_t units)
{
	if (w->failed)
		return -1;
	if (units > (SIZE_MAX - SLACK) / 2 - w->len) {
		w->failed = 1;
		return -1;
	}
	size_t need = w->len + 2 * units + SLACK;
	if (need <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : FIRST_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *p = realloc(w->data, cap);
	if (!p) {
		w->failed = 1;
		return -1;
	}
	w->data = p;
	w->cap = cap;
	return 0;
}

/* Inline: called for every piece of every line. */
static inline int reserve(regtext_w16 *w, size_t units)
{
	if (units < w->cap / 4 && w->cap - w->len > 2 * units + SLACK)
		return 0;
	return grow(w, units);
}

int regtext_w16_reserve(regtext_w16 *w, size_t units)
{
	return reserve(w, units);
}

static inline void put_ascii(regtext_w16 *w, const char *s, size_t n)
{
	if (reserve(w, n))
		return;
	uint8_t *o = w->data + w->len;
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = (uint8_t)s[i];
		o[2 * i + 1] = 0;
	}
	w->len += 2 * n;
}

#define W16_LIT(w, lit) put_ascii((w), (lit), sizeof(lit) - 1)

/* esc_char[c]: what follows the backslash when c is escaped (regedit escapes
 * backslash, quote, and CR and LF, which would end the line), else 0. */
static const char esc_char[128] = { ['\\'] = '\\', ['"'] = '"', ['\r'] = 'r', ['\n'] = 'n' };

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define W16_WORDS 1
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Eight bytes that go in as they are: printable ASCII, no backslash or
 * quote when escaping (exact tests of the classic "has a byte less than /
 * equal to" word tricks; anything else takes the path a byte at a time). */
static inline int plain8(uint64_t x, int esc)
{
	uint64_t below_space = (x - ONES * 0x20) & ~x & HIGHS;
	if ((x & HIGHS) || below_space)
		return 0;
	if (!esc)
		return 1;
	uint64_t bs = x ^ (ONES * '\\'), q = x ^ (ONES * '"');
	return !(((bs - ONES) & ~bs & HIGHS) | ((q - ONES) & ~q & HIGHS));
}

/* Four UTF-16LE units (one word) that are quoted as they are: printable
 * ASCII, no backslash or quote (so no NUL and no surrogate either). The
 * 16-bit lanes hold 0..0x7F once the high bytes are known to be zero, so
 * the adds below never carry from one lane into the next. */
static inline int plain4_units(uint64_t x)
{
	const uint64_t lane1 = 0x0001000100010001ull, lane80 = 0x0080008000800080ull;
	if (x & 0xFF80FF80FF80FF80ull)
		return 0; /* a high byte set, or a unit of 0x80 or more */
	if (((x + lane1 * 0x60) & lane80) != lane80)
		return 0; /* a control (below 0x20) */
	uint64_t bs = x ^ (lane1 * '\\'), q = x ^ (lane1 * '"');
	/* A zero lane (the classic test, exact as a yes/no) is the character. */
	return !((((bs - lane1) & ~bs) | ((q - lane1) & ~q)) & 0x8000800080008000ull);
}

/* Four ASCII bytes as four UTF-16LE units. */
static inline uint64_t widen4(uint32_t v)
{
	return (uint64_t)(v & 0xffu) | (uint64_t)(v & 0xff00u) << 8 | (uint64_t)(v & 0xff0000u) << 16 |
	       (uint64_t)(v & 0xff000000u) << 24;
}
#endif

/* Back to len, the bytes taken back zeroed (dispose zeroes up to len). */
static void take_back(regtext_w16 *w, size_t len)
{
	if (w->data && w->len > len)
		memset(w->data + len, 0, w->len - len);
	w->len = len;
}

/* UTF-16 units (little-endian bytes) appended, escaped if esc. */
static size_t put_units(regtext_w16 *w, const uint8_t *u16, size_t units, int esc)
{
	if (reserve(w, 2 * units))
		return 0;
	uint8_t *o = w->data + w->len;
	size_t n = 0;
	for (size_t i = 0; i < units; i++) {
#ifdef W16_WORDS
		/* Text data is UTF-16LE already: plain runs are copied. */
		uint64_t x;
		if (esc && i + 4 <= units && (memcpy(&x, u16 + 2 * i, 8), plain4_units(x))) {
			memcpy(o + 2 * n, &x, 8);
			n += 4;
			i += 3;
			continue;
		}
#endif
		unsigned u = cpuu_le16(u16 + 2 * i);
		char e = esc && u < 0x80 ? esc_char[u] : 0;
		if (e) {
			o[2 * n] = '\\';
			o[2 * n + 1] = 0;
			n++;
			u = (unsigned char)e;
		}
		o[2 * n] = (uint8_t)(u & 0xff);
		o[2 * n + 1] = (uint8_t)(u >> 8);
		n++;
	}
	w->len += 2 * n;
	return n;
}


/* Not ASCII (rare in a profile): decoded by the one UTF-8 decoder of the
 * library, which also refuses what is not UTF-8 (nothing written then). */
static size_t put_text_decoded(regtext_w16 *w, const char *s, size_t len, int esc)
{
	if (!cpuu_utf8_valid(s, len))
		return (size_t)-1;
	uint8_t *u16 = NULL;
	size_t ul = 0;
	if (cpuu_utf8n_to_utf16le(&u16, &ul, s, len, 0)) {
		w->failed = 1;
		return 0;
	}
	size_t n = put_units(w, u16, ul / 2, esc);
	free(u16);
	return n;
}


size_t regtext_w16_text(regtext_w16 *w, const char *s, size_t len, int esc)
{
	if (reserve(w, 2 * len))
		return 0;
	uint8_t *o = w->data + w->len, *start = o;
	for (size_t i = 0; i < len;) {
#ifdef W16_WORDS
		/* Names and paths are mostly plain: eight characters at a time. */
		uint64_t x;
		if (i + 8 <= len && (memcpy(&x, s + i, 8), plain8(x, esc))) {
			uint64_t lo = widen4((uint32_t)x), hi = widen4((uint32_t)(x >> 32));
			memcpy(o, &lo, 8);
			memcpy(o + 8, &hi, 8);
			o += 16;
			i += 8;
			continue;
		}
#endif
		unsigned char c = (unsigned char)s[i++];
		if (c >= 0x80 || !c)
			return put_text_decoded(w, s, len, esc);
		if (esc && esc_char[c]) {
			o[0] = '\\';
			o[1] = 0;
			o += 2;
			c = (unsigned char)esc_char[c];
		}
		o[0] = c;
		o[1] = 0;
		o += 2;
	}
	w->len += (size_t)(o - start);
	return (size_t)(o - start) / 2;
}

int regtext_w16_key(regtext_w16 *w, const cpuu_regtext_key *key)
{
	const char *p = key->path;
	size_t start = w->len;
	/* The cheap signs of a path that cannot be written; the full check
	 * (regtext_check_key) then gives the message, in its order. */
	int bad = !p || !*p || *p == ' ' || *p == '\t' || (*p == '-' && !key->delete_key) ||
		  (key->delete_key && key->nvalues) || (key->nvalues && !key->values);
	size_t len = bad ? 0 : strlen(p);
	if (!bad && memchr(p, '\r', len))
		bad = 1;
	if (!bad && memchr(p, '\n', len))
		bad = 1;
	if (!bad) {
		if (key->delete_key)
			W16_LIT(w, "\r\n[-");
		else
			W16_LIT(w, "\r\n[");
		bad = regtext_w16_text(w, p, len, 0) == (size_t)-1;
		W16_LIT(w, "]\r\n");
	}
	if (bad) {
		take_back(w, start);
		int rc = regtext_check_key(key);
		return rc ? rc : cpuu_error_set(CPUU_EINVALID, "key [%s] cannot be written", p ? p : "");
	}
	return CPUU_OK;
}

/* hex_units[b]: the two digits of b and a comma as UTF-16LE, padded to 8
 * bytes so that one store writes them. */
#define HX(h, l) { h, 0, l, 0, ',', 0, 0, 0 }
#define HROW(h)                                                                                                  \
	HX(h, '0'), HX(h, '1'), HX(h, '2'), HX(h, '3'), HX(h, '4'), HX(h, '5'), HX(h, '6'), HX(h, '7'),          \
		HX(h, '8'), HX(h, '9'), HX(h, 'a'), HX(h, 'b'), HX(h, 'c'), HX(h, 'd'), HX(h, 'e'), HX(h, 'f')
static const uint8_t hex_units[256][8] = {
	HROW('0'), HROW('1'), HROW('2'), HROW('3'), HROW('4'), HROW('5'), HROW('6'), HROW('7'),
	HROW('8'), HROW('9'), HROW('a'), HROW('b'), HROW('c'), HROW('d'), HROW('e'), HROW('f'),
};

/* "hex:"/"hex(N):" and the bytes, wrapped exactly as format.c's put_hex
 * does it byte by byte: after a byte's comma brings the column to
 * HEX_WRAP_COLUMN or more, ",\" CRLF and two spaces. Here the bytes up to
 * the next wrap go in at once. */
static void put_hex(regtext_w16 *w, size_t column, uint32_t type, const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char prefix[16];
	size_t pl = 0;
	if (type == CPUU_REG_BINARY) {
		memcpy(prefix, "hex:", 4);
		pl = 4;
	} else {
		memcpy(prefix, "hex(", 4);
		pl = 4;
		int shift = 28;
		while (shift > 0 && !((type >> shift) & 15))
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			prefix[pl++] = digits[(type >> shift) & 15];
		prefix[pl++] = ')';
		prefix[pl++] = ':';
	}
	put_ascii(w, prefix, pl);
	column += pl;
	if (!len)
		return;
	/* Every data byte is at most 3 units, every wrap adds 5 (a wrap comes
	 * at most once per byte). */
	if (len > SIZE_MAX / 16 || reserve(w, 8 * len)) {
		w->failed = 1;
		return;
	}
	uint8_t *o = w->data + w->len;
	size_t i = 0, last = len - 1;
	while (i < last) {
		/* Bytes up to and including the one whose comma reaches the wrap. */
		size_t k = column + 3 >= HEX_WRAP_COLUMN ? 1 : (HEX_WRAP_COLUMN - column + 2) / 3;
		size_t n = k < last - i ? k : last - i;
		const uint8_t *d = data + i;
		size_t j = 0;
		/* Four at a time (each store's last two bytes are overwritten by
		 * the next, in order). */
		for (; j + 4 <= n; j += 4, o += 24) {
			memcpy(o, hex_units[d[j]], 8);
			memcpy(o + 6, hex_units[d[j + 1]], 8);
			memcpy(o + 12, hex_units[d[j + 2]], 8);
			memcpy(o + 18, hex_units[d[j + 3]], 8);
		}
		for (; j < n; j++, o += 6)
			memcpy(o, hex_units[d[j]], 8);
		i += n;
		column += 3 * n;
		if (n == k) {
			static const uint8_t wrap[10] = { '\\', 0, '\r', 0, '\n', 0, ' ', 0, ' ', 0 };
			memcpy(o, wrap, sizeof wrap);
			o += sizeof wrap;
			column = 2;
		}
	}
	memcpy(o, hex_units[data[last]], 8);
	o += 4; /* no comma after the last byte */
	w->len = (size_t)(o - w->data);
}

/* A REG_SZ that the quoted form carries exactly (format.c's sz_text and
 * sz_ascii): UTF-16LE of an even length, its last unit the one NUL, every
 * surrogate paired. Such text decodes and re-encodes to the same units, so
 * they are written as they are (escaped). */
static int sz_quotable(const uint8_t *data, size_t len)
{
	if (len < 2 || len % 2 || data[len - 1] || data[len - 2])
		return 0;
	size_t units = len / 2 - 1;
	for (size_t i = 0; i < units; i++) {
#ifdef W16_WORDS
		uint64_t x;
		if (i + 4 <= units && (memcpy(&x, data + 2 * i, 8), plain4_units(x))) {
			i += 3;
			continue;
		}
#endif
		unsigned u = cpuu_le16(data + 2 * i);
		if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
			return 0;
		if (u >= 0xD800 && u <= 0xDBFF) {
			unsigned lo = i + 1 < units ? cpuu_le16(data + 2 * i + 2) : 0;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return 0;
			i++;
		}
	}
	return 1;
}

static void put_dword(regtext_w16 *w, uint32_t d)
{
	static const char digits[] = "0123456789abcdef";
	char text[14] = "dword:";
	for (int i = 0; i < 8; i++)
		text[6 + i] = digits[(d >> (28 - 4 * i)) & 15];
	put_ascii(w, text, sizeof text);
}

int regtext_w16_value(regtext_w16 *w, const cpuu_regtext_key *key, const cpuu_regtext_value *v)
{
	size_t start = w->len;
	size_t column;
	if (!v->name || (!v->delete_value && v->len && !v->data))
		goto refused;
	if (v->name[0]) {
		W16_LIT(w, "\"");
		size_t units = regtext_w16_text(w, v->name, strlen(v->name), 1);
		if (units == (size_t)-1)
			goto refused;
		column = units + 3;
		W16_LIT(w, "\"=");
	} else {
		W16_LIT(w, "@=");
		column = 2;
	}
	if (v->delete_value) {
		W16_LIT(w, "-");
	} else if (v->type == CPUU_REG_DWORD && v->len == 4) {
		put_dword(w, cpuu_le32(v->data));
	} else if (v->type == CPUU_REG_SZ && sz_quotable(v->data, v->len)) {
		W16_LIT(w, "\"");
		put_units(w, v->data, v->len / 2 - 1, 1);
		W16_LIT(w, "\"");
	} else {
		put_hex(w, column, v->type, v->data, v->len);
	}
	W16_LIT(w, "\r\n");
	return CPUU_OK;
refused:
	take_back(w, start);
	{
		int rc = regtext_check_value(key, v);
		return rc ? rc : cpuu_error_set(CPUU_EINVALID, "key [%s]: a value cannot be written", key->path);
	}
}

void regtext_w16_start(regtext_w16 *w)
{
	static const uint8_t bom[2] = { 0xFF, 0xFE };
	if (reserve(w, 1))
		return;
	memcpy(w->data + w->len, bom, 2);
	w->len += 2;
	W16_LIT(w, "Windows Registry Editor Version 5.00\r\n");
}

void regtext_w16_dispose(regtext_w16 *w)
{
	/* Profile data: not left in freed memory. Nothing beyond len ever held
	 * any (what is taken back is zeroed then, or written over). */
	if (w->data)
		memset(w->data, 0, w->len + SLACK <= w->cap ? w->len + SLACK : w->cap);
	free(w->data);
	memset(w, 0, sizeof *w);
}

int cpuu_regtext_format_utf16le(uint8_t **out, size_t *out_len, const cpuu_regtext *doc)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!doc)
		return cpuu_error_set(CPUU_EINVALID, "no document to format");
	regtext_w16 w = { 0 };
	regtext_w16_start(&w);
	for (size_t i = 0; i < doc->nkeys; i++) {
		const cpuu_regtext_key *k = &doc->keys[i];
		int rc = regtext_w16_key(&w, k);
		for (size_t j = 0; !rc && j < k->nvalues; j++)
			rc = regtext_w16_value(&w, k, &k->values[j]);
		if (rc) {
			regtext_w16_dispose(&w);
			return rc;
		}
	}
	/* regedit ends the file with an empty line. */
	W16_LIT(&w, "\r\n");
	if (w.failed) {
		regtext_w16_dispose(&w);
		return cpuu_error_oom();
	}
	*out = w.data;
	if (out_len)
		*out_len = w.len;
	return CPUU_OK;
}
