/* Autocomplete stream parser and writer (layout: docs/autocomplete.md). The
 * parser only finds boundaries and keeps pointers into its copy of the
 * input, so writing puts back every byte it read. */
#include "autocomplete/internal.h"
#include "cpuu/mapi.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

enum ac_kind {
	AC_STATIC,     /* value in the 8-byte union, no data */
	AC_COUNTED,    /* u32 byte count + bytes (PT_STRING8, PT_UNICODE, PT_BINARY) */
	AC_CLSID,      /* 16 bytes */
	AC_MV_COUNTED, /* u32 count + count counted elements */
	AC_UNKNOWN
};

static enum ac_kind kind_of(uint16_t type)
{
	switch (type) {
	case CPUU_PT_NULL: /* NK2Reader reads it as union only */
	case CPUU_PT_SHORT:
	case CPUU_PT_LONG:
	case CPUU_PT_FLOAT:
	case CPUU_PT_DOUBLE:
	case CPUU_PT_CURRENCY:
	case CPUU_PT_APPTIME:
	case CPUU_PT_ERROR:
	case CPUU_PT_BOOLEAN:
	case CPUU_PT_I8:
	case CPUU_PT_SYSTIME:
		return AC_STATIC;
	case CPUU_PT_STRING8:
	case CPUU_PT_UNICODE:
	case CPUU_PT_BINARY:
		return AC_COUNTED;
	case CPUU_PT_CLSID:
		return AC_CLSID;
	case CPUU_PT_MV_BINARY:
	case CPUU_PT_MV_STRING8:
	case CPUU_PT_MV_UNICODE:
		return AC_MV_COUNTED;
	default:
		return AC_UNKNOWN;
	}
}

typedef struct parser {
	const uint8_t *d;
	size_t len;
	size_t pos;
	int bare_mv;   /* read MV strings as bare NUL-terminated strings */
	int saw_mv_string;
} parser;

#define AT_PROP "autocomplete stream: row %zu, property %zu (tag 0x%08X) at offset %zu: "

static int need(const parser *p, size_t n)
{
	return p->len - p->pos >= n;
}

/* One MV element in bare form: a NUL-terminated 8-bit or UTF-16 string. */
static int bare_element(parser *p, int wide)
{
	if (!wide) {
		const uint8_t *z = memchr(p->d + p->pos, 0, p->len - p->pos);
		if (!z)
			return -1;
		p->pos = (size_t)(z - p->d) + 1;
		return 0;
	}
	for (size_t i = p->pos; p->len - i >= 2; i += 2) {
		if (!p->d[i] && !p->d[i + 1]) {
			p->pos = i + 2;
			return 0;
		}
	}
	return -1;
}

static int parse_value(parser *p, cpuu_ac_prop *pr, size_t r, size_t i, size_t at)
{
	uint16_t type = CPUU_PROP_TYPE(pr->tag);
	size_t start = p->pos;
	switch (kind_of(type)) {
	case AC_STATIC:
		pr->data = NULL;
		pr->data_len = 0;
		return CPUU_OK;
	case AC_CLSID:
		if (!need(p, 16))
			return cpuu_error_set(CPUU_EINVALID, AT_PROP "the 16-byte GUID runs past the end",
					      r, i, pr->tag, at);
		p->pos += 16;
		break;
	case AC_COUNTED: {
		if (!need(p, 4))
			return cpuu_error_set(CPUU_EINVALID, AT_PROP "byte count past the end", r, i, pr->tag, at);
		uint32_t n = cpuu_le32(p->d + p->pos);
		p->pos += 4;
		if (!need(p, n))
			return cpuu_error_set(CPUU_EINVALID,
					      AT_PROP "%u value bytes at offset %zu run past the end (%zu left)",
					      r, i, pr->tag, at, (unsigned)n, p->pos, p->len - p->pos);
		if (type == CPUU_PT_UNICODE && (n & 1))
			return cpuu_error_set(CPUU_EINVALID, AT_PROP "odd UTF-16 byte count %u", r, i, pr->tag,
					      at, (unsigned)n);
		p->pos += n;
		break;
	}
	case AC_MV_COUNTED: {
		if (!need(p, 4))
			return cpuu_error_set(CPUU_EINVALID, AT_PROP "value count past the end", r, i, pr->tag, at);
		uint32_t count = cpuu_le32(p->d + p->pos);
		p->pos += 4;
		int str = type != CPUU_PT_MV_BINARY;
		int wide = type == CPUU_PT_MV_UNICODE;
		if (str)
			p->saw_mv_string = 1;
		int bare = str && p->bare_mv;
		/* Every element takes at least 4 bytes (counted) or 1 (bare). */
		if ((p->len - p->pos) / (bare ? (wide ? 2 : 1) : 4) < count)
			return cpuu_error_set(CPUU_EINVALID, AT_PROP "%u values cannot fit in the %zu bytes left",
					      r, i, pr->tag, at, (unsigned)count, p->len - p->pos);
		for (uint32_t k = 0; k < count; k++) {
			size_t eat = p->pos;
			if (bare) {
				if (bare_element(p, wide) < 0)
					return cpuu_error_set(CPUU_EINVALID,
							      AT_PROP "value %u at offset %zu has no terminator",
							      r, i, pr->tag, at, (unsigned)k, eat);
				continue;
			}
			if (!need(p, 4))
				return cpuu_error_set(CPUU_EINVALID, AT_PROP "value %u: byte count past the end",
						      r, i, pr->tag, at, (unsigned)k);
			uint32_t n = cpuu_le32(p->d + p->pos);
			p->pos += 4;
			if (!need(p, n))
				return cpuu_error_set(CPUU_EINVALID,
						      AT_PROP "value %u: %u bytes at offset %zu run past the end",
						      r, i, pr->tag, at, (unsigned)k, (unsigned)n, p->pos);
			if (wide && (n & 1))
				return cpuu_error_set(CPUU_EINVALID, AT_PROP "value %u: odd UTF-16 byte count %u",
						      r, i, pr->tag, at, (unsigned)k, (unsigned)n);
			p->pos += n;
		}
		break;
	}
	default:
		return cpuu_error_set(CPUU_EUNSUPPORTED,
				      AT_PROP "property type 0x%04X has no documented layout in the stream",
				      r, i, pr->tag, at, (unsigned)type);
	}
	pr->data = p->d + start;
	pr->data_len = p->pos - start;
	return CPUU_OK;
}

static void free_rows(cpuu_ac_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].props);
	free(rows);
}

static int parse_all(cpuu_autocomplete *ac, parser *p)
{
	if (p->len < 16)
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: %zu bytes is shorter than the 16-byte header", p->len);
	uint32_t magic = cpuu_le32(p->d);
	if (magic != CPUU_AC_MAGIC)
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: bad magic 0x%08X at offset 0 (want 0xBAADF00D)",
				      (unsigned)magic);
	ac->major = cpuu_le32(p->d + 4);
	ac->minor = cpuu_le32(p->d + 8);
	uint32_t nrows = cpuu_le32(p->d + 12);
	p->pos = 16;
	/* A row takes at least its 4-byte count: refuse absurd counts before allocating. */
	if ((p->len - p->pos) / 4 < nrows)
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: row count %u at offset 12 cannot fit in %zu bytes",
				      (unsigned)nrows, p->len);
	ac->rows = nrows ? calloc(nrows, sizeof *ac->rows) : NULL;
	if (nrows && !ac->rows)
		return cpuu_error_oom();
	for (size_t r = 0; r < nrows; r++) {
		cpuu_ac_row *row = &ac->rows[r];
		ac->row_count = r + 1;
		if (!need(p, 4))
			return cpuu_error_set(CPUU_EINVALID,
					      "autocomplete stream: row %zu at offset %zu: property count past the end "
					      "(%u rows declared)", r, p->pos, (unsigned)nrows);
		uint32_t nprops = cpuu_le32(p->d + p->pos);
		size_t rat = p->pos;
		p->pos += 4;
		if ((p->len - p->pos) / 16 < nprops)
			return cpuu_error_set(CPUU_EINVALID,
					      "autocomplete stream: row %zu at offset %zu: %u properties cannot fit in "
					      "the %zu bytes left", r, rat, (unsigned)nprops, p->len - p->pos);
		row->props = nprops ? calloc(nprops, sizeof *row->props) : NULL;
		if (nprops && !row->props)
			return cpuu_error_oom();
		row->count = nprops;
		for (size_t i = 0; i < nprops; i++) {
			cpuu_ac_prop *pr = &row->props[i];
			size_t at = p->pos;
			if (!need(p, 16))
				return cpuu_error_set(CPUU_EINVALID,
						      "autocomplete stream: row %zu, property %zu at offset %zu: "
						      "16-byte header past the end", r, i, at);
			pr->tag = cpuu_le32(p->d + at);
			pr->reserved = cpuu_le32(p->d + at + 4);
			memcpy(pr->value, p->d + at + 8, 8);
			p->pos += 16;
			int rc = parse_value(p, pr, r, i, at);
			if (rc < 0)
				return rc;
		}
	}
	if (!need(p, 4))
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: extra-info byte count at offset %zu past the end "
				      "(after %u rows)", p->pos, (unsigned)nrows);
	uint32_t ei = cpuu_le32(p->d + p->pos);
	/* Microsoft: minor version 0 has no extra information. A nonzero count
	 * there means the row or property counts before it were wrong. */
	if (ac->minor == 0 && ei != 0)
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: extra-info byte count %u at offset %zu, but minor "
				      "version 0 has none (wrong row or property count?)", (unsigned)ei, p->pos);
	p->pos += 4;
	if (!need(p, ei))
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: %u extra-info bytes at offset %zu run past the end",
				      (unsigned)ei, p->pos);
	ac->extra = p->d + p->pos;
	ac->extra_len = ei;
	p->pos += ei;
	if (!need(p, 8))
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete stream: the 8-byte FILETIME at offset %zu runs past the end",
				      p->pos);
	memcpy(ac->filetime, p->d + p->pos, 8);
	p->pos += 8;
	ac->trailing = p->d + p->pos;
	ac->trailing_len = p->len - p->pos;
	return CPUU_OK;
}

static void reset(cpuu_autocomplete *ac)
{
	free_rows(ac->rows, ac->row_count);
	ac->rows = NULL;
	ac->row_count = 0;
}

int cpuu_autocomplete_parse(cpuu_autocomplete **out, const uint8_t *data, size_t len)
{
	*out = NULL;
	if (!data && len)
		return cpuu_error_set(CPUU_EINVALID, "autocomplete stream: no data");
	ac_impl *im = calloc(1, sizeof *im);
	if (!im)
		return cpuu_error_oom();
	im->buf = malloc(len ? len : 1);
	if (!im->buf) {
		free(im);
		return cpuu_error_oom();
	}
	if (len)
		memcpy(im->buf, data, len);
	im->buf_len = len;
	parser p = { .d = im->buf, .len = len };
	int rc = parse_all(&im->pub, &p);
	if (rc < 0 && rc != CPUU_ENOMEM && p.saw_mv_string) {
		/* Microsoft documents counted MV strings; MFCMAPI reads bare ones.
		 * Keep the first error unless the other reading fits the whole stream. */
		const cpuu_error *e = cpuu_error_last();
		char *first = cpuu_strdup(e->message);
		int first_rc = rc;
		reset(&im->pub);
		parser q = { .d = im->buf, .len = len, .bare_mv = 1 };
		rc = parse_all(&im->pub, &q);
		if (rc == CPUU_OK) {
			im->pub.flags |= CPUU_AC_MV_BARE;
		} else if (rc != CPUU_ENOMEM) {
			rc = first ? cpuu_error_set(first_rc, "%s", first) : cpuu_error_oom();
		}
		free(first);
	}
	if (rc < 0) {
		reset(&im->pub);
		free(im->buf);
		free(im);
		return rc;
	}
	*out = &im->pub;
	return CPUU_OK;
}

void cpuu_autocomplete_free(cpuu_autocomplete *ac)
{
	if (!ac)
		return;
	ac_impl *im = ac_impl_of(ac);
	free_rows(ac->rows, ac->row_count);
	for (size_t i = 0; i < im->nblobs; i++)
		free(im->blobs[i]);
	free(im->blobs);
	free(im->buf);
	free(im);
}

int ac_keep_blob(cpuu_autocomplete *ac, uint8_t *p)
{
	ac_impl *im = ac_impl_of(ac);
	uint8_t **n = cpuu_array_reserve(im->blobs, NULL, im->nblobs + 1, sizeof *n);
	if (!n) {
		free(p);
		return cpuu_error_oom();
	}
	im->blobs = n;
	im->blobs[im->nblobs++] = p;
	return CPUU_OK;
}

uint8_t *ac_counted(const uint8_t *bytes, size_t n, size_t *out_len)
{
	if (n > UINT32_MAX)
		return NULL;
	uint8_t *d = malloc(4 + n);
	if (!d)
		return NULL;
	cpuu_put_le32(d, (uint32_t)n);
	if (n)
		memcpy(d + 4, bytes, n);
	*out_len = 4 + n;
	return d;
}

static void put32(cpuu_buf *b, uint32_t v)
{
	uint8_t x[4];
	cpuu_put_le32(x, v);
	cpuu_buf_append(b, x, 4);
}

int cpuu_autocomplete_write(uint8_t **out, size_t *out_len, const cpuu_autocomplete *ac)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!ac)
		return cpuu_error_set(CPUU_EINVALID, "autocomplete stream: nothing to write");
	if (ac->row_count > UINT32_MAX || ac->extra_len > UINT32_MAX)
		return cpuu_error_set(CPUU_EINVALID, "autocomplete stream: too many rows or extra bytes");
	cpuu_buf b = { 0 };
	put32(&b, CPUU_AC_MAGIC);
	put32(&b, ac->major);
	put32(&b, ac->minor);
	put32(&b, (uint32_t)ac->row_count);
	for (size_t r = 0; r < ac->row_count; r++) {
		const cpuu_ac_row *row = &ac->rows[r];
		put32(&b, (uint32_t)row->count);
		for (size_t i = 0; i < row->count; i++) {
			const cpuu_ac_prop *pr = &row->props[i];
			put32(&b, pr->tag);
			put32(&b, pr->reserved);
			cpuu_buf_append(&b, pr->value, 8);
			if (pr->data_len)
				cpuu_buf_append(&b, pr->data, pr->data_len);
		}
	}
	put32(&b, (uint32_t)ac->extra_len);
	if (ac->extra_len)
		cpuu_buf_append(&b, ac->extra, ac->extra_len);
	cpuu_buf_append(&b, ac->filetime, 8);
	if (ac->trailing_len)
		cpuu_buf_append(&b, ac->trailing, ac->trailing_len);
	size_t n = 0;
	char *p = cpuu_buf_detach(&b, &n);
	if (!p)
		return CPUU_ENOMEM;
	*out = (uint8_t *)p;
	if (out_len)
		*out_len = n;
	return CPUU_OK;
}

const cpuu_ac_prop *cpuu_ac_row_find(const cpuu_ac_row *row, uint32_t tag)
{
	for (size_t i = 0; row && i < row->count; i++)
		if (row->props[i].tag == tag)
			return &row->props[i];
	return NULL;
}

int cpuu_ac_prop_bytes(const uint8_t **bytes, size_t *len, const cpuu_ac_prop *prop)
{
	*bytes = NULL;
	*len = 0;
	if (!prop || kind_of(CPUU_PROP_TYPE(prop->tag)) != AC_COUNTED || prop->data_len < 4)
		return cpuu_error_set(CPUU_EINVALID, "property 0x%08X is not a string or binary",
				      prop ? prop->tag : 0u);
	*bytes = prop->data + 4;
	*len = prop->data_len - 4;
	return CPUU_OK;
}

int cpuu_ac_prop_string(char **out, const cpuu_ac_prop *prop)
{
	*out = NULL;
	const uint8_t *b;
	size_t n;
	if (cpuu_ac_prop_bytes(&b, &n, prop) < 0)
		return CPUU_EINVALID;
	switch (CPUU_PROP_TYPE(prop->tag)) {
	case CPUU_PT_UNICODE:
		return cpuu_utf16le_to_utf8(out, NULL, b, n, 0);
	case CPUU_PT_STRING8:
		return cpuu_cp1252_to_utf8(out, NULL, b, n);
	default:
		return cpuu_error_set(CPUU_EINVALID, "property 0x%08X is not a string", prop->tag);
	}
}
