/* The .reg text written straight as UTF-16LE (cpuu_regtext_format_utf16le,
 * cpuu_regtext_out; the library's UTF-8 text is that output narrowed)
 * against a reference kept here: the plain UTF-8 formatter the library had
 * before, its text widened by the general UTF-8 -> UTF-16LE conversion
 * behind a BOM (what cpuu_regtext_write_file wrote). Byte for
 * byte, on generated documents that reach every branch (escapes, non-ASCII
 * and supplementary characters, REG_SZ that is and is not text, hex wrapping
 * around the column where regedit wraps, odd types), on exports of real
 * hives, and with the same refusals and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/regtext.h"
#include "cpuu/registry.h"
#include "cpuu/unicode.h"
#include "common/internal.h"
#include "regtext/internal.h"
#include "testutil.h"

#define CHECK(expr) do { int rc_ = (expr); if (rc_) fail_msg("%s: %d %s", #expr, rc_, cpuu_error_last()->message); } while (0)

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = test_tmpdir("regtext-utf16");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(tmp);
	return 0;
}

/* --- The reference: the UTF-8 formatter as the library had it before the
 * UTF-16 one replaced it (a plain writer, one rule at a time); the file's
 * bytes must be its text widened behind a BOM. --- */

static void ref_put_key(cpuu_buf *b, const cpuu_regtext_key *key)
{
	cpuu_buf_puts(b, key->delete_key ? "[-" : "[");
	cpuu_buf_puts(b, key->path);
	cpuu_buf_puts(b, "]\r\n");
}

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

static int ref_put_value(cpuu_buf *b, const cpuu_regtext_key *key, const cpuu_regtext_value *v, const char *eol)
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

static int ref_format(char **out, size_t *out_len, const cpuu_regtext *doc)
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
		ref_put_key(&b, k);
		for (size_t j = 0; j < k->nvalues; j++) {
			rc = ref_put_value(&b, k, &k->values[j], "\r\n");
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

/* The reference: the UTF-8 text widened behind a BOM. */
static uint8_t *reference_bytes(size_t *len, const cpuu_regtext *doc)
{
	char *text = NULL;
	size_t tl = 0;
	CHECK(ref_format(&text, &tl, doc));
	uint8_t *u16 = NULL;
	size_t ul = 0;
	CHECK(cpuu_utf8n_to_utf16le(&u16, &ul, text, tl, 0));
	uint8_t *out = malloc(ul + 2);
	assert_non_null(out);
	out[0] = 0xFF;
	out[1] = 0xFE;
	memcpy(out + 2, u16, ul);
	*len = ul + 2;
	free(u16);
	free(text);
	return out;
}

static void assert_same_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const char *what)
{
	size_t n = al < bl ? al : bl, i = 0;
	while (i < n && a[i] == b[i])
		i++;
	if (i < n || al != bl)
		fail_msg("%s: differs at byte %zu (lengths %zu and %zu)", what, i, al, bl);
}

static void assert_formats_alike(const cpuu_regtext *doc, const char *what)
{
	size_t rl = 0, nl = 0;
	uint8_t *ref = reference_bytes(&rl, doc);
	uint8_t *got = NULL;
	CHECK(cpuu_regtext_format_utf16le(&got, &nl, doc));
	assert_same_bytes(ref, rl, got, nl, what);
	free(ref);
	free(got);
}

/* --- generated documents (a fixed seed: the same documents every run) --- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint32_t below(uint32_t n)
{
	return next() % n;
}

/* Pieces of names: plain, escaped by regedit, Latin-1, BMP, supplementary. */
static const char *const pieces[] = { "a", "Z", "0", " ", "=", "[", "]", "@", "\\", "\"", "\r", "\n",
				      "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "Account Name", "001f6700" };

static char *gen_name(size_t max_pieces, int allow_breaks)
{
	char buf[1024];
	size_t n = 0, count = below((uint32_t)max_pieces + 1);
	buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const char *p = pieces[below(sizeof pieces / sizeof *pieces)];
		if (!allow_breaks && (*p == '\r' || *p == '\n'))
			continue;
		size_t l = strlen(p);
		if (n + l >= sizeof buf)
			break;
		memcpy(buf + n, p, l + 1);
		n += l;
	}
	return strdup(buf);
}

/* UTF-16 units that make REG_SZ text or not: quotes and breaks to escape,
 * NULs inside, lone and paired surrogates. */
static void gen_sz(cpuu_regtext_value *v)
{
	static const uint16_t units[] = { 'a', 'B', ' ', '"', '\\', '\r', '\n', 0xE9, 0x20AC, 0xFFFF, 0xD83D, 0xDE00, 0 };
	size_t n = below(40);
	v->len = 2 * n + 2;
	v->data = calloc(1, v->len + 1);
	assert_non_null(v->data);
	int text_only = below(2);
	for (size_t i = 0; i < n; i++) {
		uint16_t u = text_only ? units[below(9)] : units[below(sizeof units / sizeof *units)];
		if (text_only && i + 1 < n && below(8) == 0) {
			v->data[2 * i] = 0x3D;
			v->data[2 * i + 1] = 0xD8;
			i++;
			u = 0xDE00;
		}
		v->data[2 * i] = (uint8_t)(u & 0xff);
		v->data[2 * i + 1] = (uint8_t)(u >> 8);
	}
	switch (below(6)) {
	case 0: v->len -= 2; break;         /* no NUL */
	case 1: v->len += 1; break;         /* odd length */
	case 2: v->data[v->len - 2] = 'x'; break;
	default: break;                     /* one NUL at the end */
	}
}

static void gen_value(cpuu_regtext_value *v)
{
	static const uint32_t types[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x10000, 0x7fff1234, 0xffffffffu };
	memset(v, 0, sizeof *v);
	/* Names up to some 90 columns: the hex that follows wraps everywhere. */
	v->name = below(6) ? gen_name(below(3) ? 6 : 60, 1) : strdup("");
	if (below(12) == 0) {
		v->delete_value = 1;
		return;
	}
	v->type = below(3) ? (below(2) ? CPUU_REG_SZ : CPUU_REG_BINARY) : types[below(sizeof types / sizeof *types)];
	if (v->type == CPUU_REG_SZ && below(4)) {
		gen_sz(v);
		return;
	}
	v->len = v->type == CPUU_REG_DWORD && below(2) ? 4 : below(4) ? below(40) : below(400);
	v->data = malloc(v->len + 1);
	assert_non_null(v->data);
	for (size_t i = 0; i < v->len; i++)
		v->data[i] = (uint8_t)next();
}

static cpuu_regtext *gen_doc(void)
{
	cpuu_regtext *doc = calloc(1, sizeof *doc);
	assert_non_null(doc);
	doc->version = 5;
	doc->nkeys = 1 + below(4);
	doc->keys = calloc(doc->nkeys, sizeof *doc->keys);
	assert_non_null(doc->keys);
	for (size_t i = 0; i < doc->nkeys; i++) {
		cpuu_regtext_key *k = &doc->keys[i];
		char *tail = gen_name(8, 0);
		size_t l = strlen(tail) + 32;
		k->path = malloc(l);
		assert_non_null(k->path);
		snprintf(k->path, l, "HKEY_CURRENT_USER\\Software\\%s", tail);
		free(tail);
		if (below(10) == 0) {
			k->delete_key = 1;
			continue;
		}
		k->nvalues = below(7);
		k->values = calloc(k->nvalues + 1, sizeof *k->values);
		assert_non_null(k->values);
		for (size_t j = 0; j < k->nvalues; j++)
			gen_value(&k->values[j]);
	}
	return doc;
}

static void test_generated_documents(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		cpuu_regtext *doc = gen_doc();
		char what[64];
		snprintf(what, sizeof what, "generated document %d", i);
		assert_formats_alike(doc, what);
		cpuu_regtext_free(doc);
	}
}

/* Hex wrapping for every name width around the wrap column and data lengths
 * around a line's worth. */
static void test_hex_wrap_columns(void **state)
{
	(void)state;
	uint8_t data[200];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 1);
	for (size_t width = 0; width < 100; width++) {
		for (size_t len = 0; len < 90; len += (len < 30 ? 1 : 7)) {
			char name[128];
			memset(name, 'n', width);
			name[width] = '\0';
			cpuu_regtext_value v = { .name = name, .type = width % 3 ? CPUU_REG_BINARY : 0x2a,
						 .data = data, .len = len };
			cpuu_regtext_key k = { .path = "HKEY_CURRENT_USER\\W", .values = &v, .nvalues = 1 };
			cpuu_regtext doc = { .version = 5, .keys = &k, .nkeys = 1 };
			char what[64];
			snprintf(what, sizeof what, "name of %zu, %zu bytes", width, len);
			assert_formats_alike(&doc, what);
		}
	}
}

/* What the text cannot carry: the same code and message as the UTF-8 path. */
static void test_same_refusals(void **state)
{
	(void)state;
	cpuu_regtext_value bad_name = { .name = "a\xFF", .type = CPUU_REG_SZ, .data = (uint8_t *)"\0", .len = 2 };
	cpuu_regtext_value no_name = { .name = NULL };
	cpuu_regtext_value no_data = { .name = "x", .type = CPUU_REG_BINARY, .data = NULL, .len = 3 };
	cpuu_regtext_value fine = { .name = "ok", .type = CPUU_REG_DWORD, .data = (uint8_t *)"\1\0\0\0", .len = 4 };
	struct {
		cpuu_regtext_key key;
	} cases[] = {
		{ { .path = "" } },
		{ { .path = "HKEY_CURRENT_USER\\a\rb" } },
		{ { .path = "HKEY_CURRENT_USER\\a\nb" } },
		{ { .path = "HKEY_CURRENT_USER\\\xC3" } },
		{ { .path = " HKEY_CURRENT_USER" } },
		{ { .path = "\tHKEY_CURRENT_USER" } },
		{ { .path = "-HKEY_CURRENT_USER" } },
		{ { .path = "HKEY_CURRENT_USER\\d", .delete_key = 1, .values = &fine, .nvalues = 1 } },
		{ { .path = "HKEY_CURRENT_USER\\v", .values = NULL, .nvalues = 1 } },
		{ { .path = "HKEY_CURRENT_USER\\v", .values = &bad_name, .nvalues = 1 } },
		{ { .path = "HKEY_CURRENT_USER\\v", .values = &no_name, .nvalues = 1 } },
		{ { .path = "HKEY_CURRENT_USER\\v", .values = &no_data, .nvalues = 1 } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		cpuu_regtext_key keys[2] = { { .path = "HKEY_CURRENT_USER\\first", .values = &fine, .nvalues = 1 },
					     cases[i].key };
		cpuu_regtext doc = { .version = 5, .keys = keys, .nkeys = 2 };
		char *text = NULL;
		int want = ref_format(&text, NULL, &doc);
		assert_int_not_equal(want, 0);
		char message[512];
		snprintf(message, sizeof message, "%s", cpuu_error_last()->message);
		cpuu_error_clear();
		uint8_t *got = NULL;
		size_t gl = 99;
		int rc = cpuu_regtext_format_utf16le(&got, &gl, &doc);
		assert_int_equal(rc, want);
		assert_string_equal(cpuu_error_last()->message, message);
		assert_null(got);
		assert_int_equal(gl, 0);
	}
}

/* --- streamed exports against export + format --- */

static void set(cpuu_reg *reg, cpuu_reg_key *k, const char *name, uint32_t type, const void *data, size_t len)
{
	CHECK(cpuu_reg_value_set(reg, k, name, type, data, len));
}

#define PROFILE "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"

static char *profile_hive(void)
{
	static int made;
	char name[32];
	snprintf(name, sizeof name, "profile-%d.DAT", made++);
	char *p = test_path(tmp, name);
	CHECK(cpuu_hive_create_blank(p, NULL));
	cpuu_reg *reg;
	cpuu_reg_key *k, *sub;
	CHECK(cpuu_reg_open_hive(&reg, p, CPUU_REG_OPEN_WRITE));
	CHECK(cpuu_reg_key_create(&k, reg, NULL, PROFILE));
	set(reg, k, "", CPUU_REG_SZ, "d\0e\0f\0\0\0", 8);
	set(reg, k, "quote\"back\\slash=]", CPUU_REG_SZ, "\"\0\\\0\r\0\n\0\0\0", 10);
	set(reg, k, "sz_odd", CPUU_REG_SZ, "a\0\0", 3);
	uint8_t bin[700];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (uint8_t)(i * 7);
	set(reg, k, "0102663a", CPUU_REG_BINARY, bin, sizeof bin);
	set(reg, k, "empty", CPUU_REG_BINARY, NULL, 0);
	set(reg, k, "secret dword", CPUU_REG_DWORD, "\x78\x56\x34\x12", 4);
	set(reg, k, "typebig", 0x7fff1234, "\0", 1);
	set(reg, k, "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", CPUU_REG_SZ, "\xE9\0t\0\x3D\xD8\x00\xDE\0\0", 10);
	CHECK(cpuu_reg_key_create(&sub, reg, k, "9375CFF0413111d3B88A00104B2A6676\\00000002"));
	set(reg, sub, "Account Name", CPUU_REG_BINARY, "A\0\0\0", 4);
	set(reg, sub, "secret blob", CPUU_REG_BINARY, "\xAA\xBB\xCC\xDD\xEE", 5);
	cpuu_reg_key_free(sub);
	CHECK(cpuu_reg_key_create(&sub, reg, k, "Cafe [x] = \"q\""));
	cpuu_reg_key_free(sub);
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts o = { .no_backup = 1 };
	CHECK(cpuu_reg_commit(reg, &o));
	cpuu_reg_free(reg);
	return p;
}

static int mask_secret_named(void *ctx, const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	(void)type, (void)data, (void)len;
	(*(int *)ctx)++;
	return !strncmp(name, "secret", 6);
}

/* What the backup held before: the export's document, masked values as
 * placeholders (name, REG_NONE, no data). */
static void mask_doc(cpuu_regtext *doc)
{
	for (size_t i = 0; i < doc->nkeys; i++)
		for (size_t j = 0; j < doc->keys[i].nvalues; j++) {
			cpuu_regtext_value *v = &doc->keys[i].values[j];
			if (strncmp(v->name, "secret", 6))
				continue;
			free(v->data);
			v->data = calloc(1, 1);
			v->len = 0;
			v->type = CPUU_REG_NONE;
		}
}

static int contains(const uint8_t *hay, size_t hl, const char *ascii)
{
	size_t n = strlen(ascii);
	for (size_t i = 0; i + 2 * n <= hl; i++) {
		size_t j = 0;
		while (j < n && hay[i + 2 * j] == (uint8_t)ascii[j] && hay[i + 2 * j + 1] == 0)
			j++;
		if (j == n)
			return 1;
	}
	return 0;
}

/* Exports of subtrees (each written as prefix), appended to one file and,
 * as the reference, to one document. */
static void stream_and_compare(const char *hive, const char *const *subs, size_t n, int mask, const char *what)
{
	cpuu_reg *reg;
	CHECK(cpuu_reg_open_hive(&reg, hive, 0));
	cpuu_regtext_out *out;
	CHECK(cpuu_regtext_out_new(&out));
	cpuu_regtext all = { .version = 5 };
	int asked = 0;
	for (size_t i = 0; i < n; i++) {
		char prefix[512];
		snprintf(prefix, sizeof prefix, "HKEY_CURRENT_USER%s%s", *subs[i] ? "\\" : "", subs[i]);
		cpuu_reg_key *key;
		if (*subs[i] ? cpuu_reg_key_open(&key, reg, NULL, subs[i]) : cpuu_reg_root(&key, reg)) {
			/* Absent: the backup's [-key]. */
			CHECK(cpuu_regtext_out_delete_key(out, prefix));
			all.keys = realloc(all.keys, (all.nkeys + 1) * sizeof *all.keys);
			assert_non_null(all.keys);
			all.keys[all.nkeys++] = (cpuu_regtext_key){ .path = strdup(prefix), .delete_key = 1 };
			continue;
		}
		CHECK(cpuu_regtext_out_export(out, reg, key, prefix, mask ? mask_secret_named : NULL, &asked));
		cpuu_regtext *doc;
		CHECK(cpuu_regtext_export(&doc, reg, key, prefix));
		if (mask)
			mask_doc(doc);
		all.keys = realloc(all.keys, (all.nkeys + doc->nkeys) * sizeof *all.keys);
		assert_non_null(all.keys);
		memcpy(all.keys + all.nkeys, doc->keys, doc->nkeys * sizeof *doc->keys);
		all.nkeys += doc->nkeys;
		doc->nkeys = 0;
		cpuu_regtext_free(doc);
		cpuu_reg_key_free(key);
	}
	assert_int_equal(cpuu_regtext_out_keys(out), all.nkeys);
	const uint8_t *bytes;
	size_t len;
	CHECK(cpuu_regtext_out_bytes(&bytes, &len, out));
	size_t rl;
	uint8_t *ref = reference_bytes(&rl, &all);
	assert_same_bytes(ref, rl, bytes, len, what);
	/* And it reads back as the document. */
	cpuu_regtext *back;
	CHECK(cpuu_regtext_parse(&back, bytes, len));
	assert_true(cpuu_regtext_equal(back, &all));
	cpuu_regtext_free(back);
	if (mask) {
		assert_true(asked > 0);
		assert_false(contains(bytes, len, "12345678")); /* the masked DWORD */
		assert_false(contains(bytes, len, "aa,bb,cc"));
	}
	free(ref);
	cpuu_regtext_out_free(out);
	cpuu_regtext *heap = malloc(sizeof *heap);
	assert_non_null(heap);
	*heap = all;
	cpuu_regtext_free(heap);
	cpuu_reg_free(reg);
}

static void test_export_profile(void **state)
{
	(void)state;
	char *hive = profile_hive();
	const char *subs[] = { PROFILE, "Software\\Absent\\Key", PROFILE "\\9375CFF0413111d3B88A00104B2A6676" };
	stream_and_compare(hive, subs, 3, 0, "profile");
	stream_and_compare(hive, subs, 3, 1, "profile, masked");
	free(hive);
}

static void test_export_real_hives(void **state)
{
	(void)state;
	const char *hives[] = { "win7pro-NTUSER.DAT", "win81-NTUSER.DAT", "plaso-win7-NTUSER.DAT" };
	int seen = 0;
	for (size_t h = 0; h < sizeof hives / sizeof *hives; h++) {
		char *orig = test_real_hive(hives[h]);
		if (!orig)
			continue;
		seen++;
		const char *subs[] = { "Control Panel", "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer", "" };
		stream_and_compare(orig, subs, 3, 0, hives[h]);
		free(orig);
	}
	if (!seen)
		skip();
}

/* A refused key refuses the file with the format's message; dropped again
 * (a savepoint), the file is what the keys before it make. */
static void test_out_refusal_and_truncate(void **state)
{
	(void)state;
	char *hive = profile_hive();
	cpuu_reg *reg;
	cpuu_reg_key *key;
	CHECK(cpuu_reg_open_hive(&reg, hive, 0));
	CHECK(cpuu_reg_key_open(&key, reg, NULL, PROFILE));
	cpuu_regtext_out *out;
	CHECK(cpuu_regtext_out_new(&out));
	CHECK(cpuu_regtext_out_export(out, reg, key, "HKEY_CURRENT_USER\\P", NULL, NULL));
	size_t mark = cpuu_regtext_out_keys(out);
	const uint8_t *before;
	size_t before_len;
	CHECK(cpuu_regtext_out_bytes(&before, &before_len, out));
	uint8_t *copy = malloc(before_len);
	memcpy(copy, before, before_len);

	assert_int_equal(cpuu_regtext_out_delete_key(out, "HKEY_CURRENT_USER\\bad\rkey"), 0);
	CHECK(cpuu_regtext_out_export(out, reg, key, "HKEY_CURRENT_USER\\Q", NULL, NULL));
	assert_int_equal(cpuu_regtext_out_keys(out), 2 * mark + 1);
	const uint8_t *bytes = (const uint8_t *)"x";
	size_t len = 1;
	cpuu_regtext_key badkey = { .path = "HKEY_CURRENT_USER\\bad\rkey", .delete_key = 1 };
	cpuu_regtext bad = { .version = 5, .keys = &badkey, .nkeys = 1 };
	char *text = NULL;
	int want = ref_format(&text, NULL, &bad);
	assert_int_not_equal(want, 0);
	char message[512];
	snprintf(message, sizeof message, "%s", cpuu_error_last()->message);
	assert_int_equal(cpuu_regtext_out_bytes(&bytes, &len, out), want);
	assert_string_equal(cpuu_error_last()->message, message);
	assert_null(bytes);

	cpuu_regtext_out_truncate(out, mark);
	assert_int_equal(cpuu_regtext_out_keys(out), mark);
	CHECK(cpuu_regtext_out_bytes(&bytes, &len, out));
	assert_same_bytes(copy, before_len, bytes, len, "after truncate");
	/* And it grows again from there. */
	CHECK(cpuu_regtext_out_export(out, reg, key, "HKEY_CURRENT_USER\\R", NULL, NULL));
	CHECK(cpuu_regtext_out_bytes(&bytes, &len, out));
	assert_true(len > before_len);
	assert_true(contains(bytes, len, "[HKEY_CURRENT_USER\\R]"));
	assert_false(contains(bytes, len, "[HKEY_CURRENT_USER\\Q]"));
	free(copy);
	cpuu_regtext_out_free(out);
	cpuu_reg_key_free(key);
	cpuu_reg_free(reg);
	free(hive);
}

/* What is written reads back as the document, through the reader's quick
 * paths (an all-ASCII UTF-16 file narrowed, hex bytes and quoted runs taken
 * whole) and its general ones (non-ASCII files, the same text as UTF-8). */
static void test_generated_read_back(void **state)
{
	(void)state;
	int ascii_files = 0;
	for (int i = 0; i < 1500; i++) {
		cpuu_regtext *doc = gen_doc();
		uint8_t *bytes = NULL;
		size_t len = 0;
		if (cpuu_regtext_format_utf16le(&bytes, &len, doc)) {
			cpuu_regtext_free(doc);
			continue;
		}
		int ascii = 1;
		for (size_t k = 2; k + 1 < len; k += 2)
			ascii &= bytes[k + 1] == 0 && bytes[k] < 0x80;
		ascii_files += ascii;
		cpuu_regtext *back = NULL, *back8 = NULL;
		CHECK(cpuu_regtext_parse(&back, bytes, len));
		char *text = NULL;
		size_t tl = 0;
		CHECK(cpuu_regtext_format(&text, &tl, doc));
		CHECK(cpuu_regtext_parse(&back8, (const uint8_t *)text, tl));
		if (!cpuu_regtext_equal(back, doc) || !cpuu_regtext_equal(back8, doc))
			fail_msg("generated document %d does not read back (UTF-16 %d, UTF-8 %d)", i,
				 cpuu_regtext_equal(back, doc), cpuu_regtext_equal(back8, doc));
		cpuu_regtext_free(back);
		cpuu_regtext_free(back8);
		free(text);
		free(bytes);
		cpuu_regtext_free(doc);
	}
	assert_true(ascii_files > 50); /* the narrowing was exercised */
}

/* A NUL unit anywhere in a UTF-16 file (here ASCII otherwise, the reader's
 * quick path) is refused naming it, but as the very last unit, where the
 * text stops. */
static void test_utf16_nul_units(void **state)
{
	(void)state;
	static const char text[] = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\A]\r\n"
				   "\"x\"=dword:00000001\r\n";
	size_t units = sizeof text - 1, len = 2 + 2 * units;
	uint8_t *file = malloc(len);
	assert_non_null(file);
	for (size_t k = 0; k < units; k++) {
		file[0] = 0xFF;
		file[1] = 0xFE;
		for (size_t i = 0; i < units; i++) {
			file[2 + 2 * i] = i == k ? 0 : (uint8_t)text[i];
			file[3 + 2 * i] = 0;
		}
		cpuu_regtext *doc = NULL;
		int rc = cpuu_regtext_parse(&doc, file, len);
		if (k + 1 == units) {
			if (rc)
				fail_msg("NUL as the last unit: %s", cpuu_error_last()->message);
			assert_int_equal(doc->nkeys, 1);
			assert_int_equal(doc->keys[0].nvalues, 1);
		} else {
			if (rc != CPUU_EINVALID || !strstr(cpuu_error_last()->message, "NUL"))
				fail_msg("NUL at unit %zu: rc %d, '%s'", k, rc, cpuu_error_last()->message);
			assert_null(doc);
		}
		cpuu_regtext_free(doc);
	}
	free(file);
}

/* Every ASCII byte in each place of a hex byte (the reader's quick path
 * for "xx," and its general one for the last byte) and of a dword: read as
 * the hex digit it is, refused otherwise. */
static void test_hex_digits_read(void **state)
{
	(void)state;
	static const char *const forms[] = { "hex:%c0,01", "hex:0%c,01", "hex:01,%c0", "dword:0000000%c" };
	for (size_t f = 0; f < sizeof forms / sizeof *forms; f++)
		for (int c = 1; c < 128; c++) {
			if (c == '\r' || c == '\n')
				continue;
			char data[32], text[160];
			snprintf(data, sizeof data, forms[f], c);
			int n = snprintf(text, sizeof text,
					 "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\A]\r\n\"x\"=%s\r\n", data);
			int digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
			int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
			cpuu_regtext *doc = NULL;
			int rc = cpuu_regtext_parse(&doc, (const uint8_t *)text, (size_t)n);
			/* A blank, a comment or a comma in the last place still reads
			 * (as a one-digit byte or the end of the list). */
			if (!digit) {
				cpuu_regtext_free(doc);
				if (rc == 0 && (c == ' ' || c == '\t' || c == ';' || c == ','))
					continue;
				if (rc == 0)
					fail_msg("'%s' was read", data);
				continue;
			}
			if (rc)
				fail_msg("'%s': %s", data, cpuu_error_last()->message);
			const cpuu_regtext_value *val = &doc->keys[0].values[0];
			uint8_t want = f == 0 || f == 2 ? (uint8_t)(v << 4) : (uint8_t)v;
			assert_int_equal(val->data[f == 2 ? 1 : 0], want);
			cpuu_regtext_free(doc);
		}
}

/* The file helper writes these bytes too. */
static void test_write_file_bytes(void **state)
{
	(void)state;
	for (int i = 0; i < 50; i++) {
		cpuu_regtext *doc = gen_doc();
		/* Only documents the text can carry go to a file. */
		char *text = NULL;
		if (cpuu_regtext_format(&text, NULL, doc)) {
			cpuu_regtext_free(doc);
			continue;
		}
		free(text);
		char *file = test_path(tmp, "w.reg");
		CHECK(cpuu_regtext_write_file(file, doc));
		size_t fl = 0, rl = 0;
		uint8_t *got = test_read_file(file, &fl);
		uint8_t *ref = reference_bytes(&rl, doc);
		assert_same_bytes(ref, rl, got, fl, "written file");
		free(got);
		free(ref);
		free(file);
		cpuu_regtext_free(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_documents),
		cmocka_unit_test(test_hex_wrap_columns),
		cmocka_unit_test(test_same_refusals),
		cmocka_unit_test(test_export_profile),
		cmocka_unit_test(test_export_real_hives),
		cmocka_unit_test(test_out_refusal_and_truncate),
		cmocka_unit_test(test_write_file_bytes),
		cmocka_unit_test(test_generated_read_back),
		cmocka_unit_test(test_utf16_nul_units),
		cmocka_unit_test(test_hex_digits_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
