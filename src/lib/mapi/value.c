/* MAPI property values <-> registry data (layouts in docs/profile-format.md,
 * after MFCMAPI's core/propertyBag/registryProperty.cpp). Decoding never reads
 * outside [data, data + len) and refuses anything it could not write back. */
#include "mapi/internal.h"
#include "mapi/value.h"
#include "cpuu/unicode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cpuu_mapi_kind cpuu_mapi_kind_of(uint16_t type)
{
	switch (type) {
	case CPUU_PT_SHORT: return CPUU_MK_I16;
	case CPUU_PT_LONG:
	case CPUU_PT_ERROR: return CPUU_MK_I32;
	case CPUU_PT_FLOAT: return CPUU_MK_FLOAT;
	case CPUU_PT_DOUBLE:
	case CPUU_PT_APPTIME: return CPUU_MK_DOUBLE;
	case CPUU_PT_CURRENCY:
	case CPUU_PT_I8: return CPUU_MK_I64;
	case CPUU_PT_SYSTIME: return CPUU_MK_FILETIME;
	case CPUU_PT_BOOLEAN: return CPUU_MK_BOOL;
	case CPUU_PT_STRING8: return CPUU_MK_STR8;
	case CPUU_PT_UNICODE: return CPUU_MK_STR16;
	case CPUU_PT_CLSID: return CPUU_MK_CLSID;
	case CPUU_PT_MV_SHORT: return CPUU_MK_MV_I16;
	case CPUU_PT_MV_LONG: return CPUU_MK_MV_I32;
	case CPUU_PT_MV_I8:
	case CPUU_PT_MV_SYSTIME: return CPUU_MK_MV_I64;
	case CPUU_PT_MV_CLSID: return CPUU_MK_MV_CLSID;
	case CPUU_PT_MV_BINARY: return CPUU_MK_MV_BIN;
	case CPUU_PT_MV_STRING8: return CPUU_MK_MV_STR8;
	case CPUU_PT_MV_UNICODE: return CPUU_MK_MV_STR16;
	default: return CPUU_MK_BIN; /* PT_BINARY, PT_NULL, PT_OBJECT, unknown */
	}
}

/* Sets a CPUU_EINVALID message that starts with the value name and type. */
static int bad(uint32_t tag, const char *fmt, ...) CPUU_PRINTF(2, 3);
static int bad(uint32_t tag, const char *fmt, ...)
{
	char msg[512], name[10];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cpuu_mapi_tag_format(name, tag, 0);
	const char *tn = cpuu_mapi_type_name(CPUU_PROP_TYPE(tag));
	return cpuu_error_set(CPUU_EINVALID, "MAPI value %s (%s): %s", name,
			      tn ? tn : "unknown type", msg);
}

static int prefix(uint32_t tag)
{
	char name[10];
	cpuu_mapi_tag_format(name, tag, 0);
	return cpuu_error_prefix("MAPI value %s", name);
}

/* PT_FLOAT keeps its exact 4 bytes through a double: ordinary values convert
 * exactly, and NaN payloads (which a float->double conversion may quieten)
 * are moved by bit manipulation. */
static double float_bits_to_double(uint32_t b)
{
	if ((b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu)) {
		uint64_t d = (uint64_t)(b >> 31) << 63 | (uint64_t)0x7FF << 52 |
			     (uint64_t)(b & 0x007FFFFFu) << 29;
		double r;
		memcpy(&r, &d, sizeof r);
		return r;
	}
	float f;
	memcpy(&f, &b, sizeof f);
	return (double)f;
}

static uint32_t double_to_float_bits(double v)
{
	uint64_t d;
	memcpy(&d, &v, sizeof d);
	if ((d & 0x7FF0000000000000ull) == 0x7FF0000000000000ull && (d & 0x000FFFFFFFFFFFFFull)) {
		uint32_t mant = (uint32_t)(d >> 29) & 0x007FFFFFu;
		if (!mant)
			mant = 0x00400000u; /* payload only in the low bits: a quiet NaN */
		return (uint32_t)(d >> 63) << 31 | 0x7F800000u | mant;
	}
	float f = (float)v;
	uint32_t b;
	memcpy(&b, &f, sizeof b);
	return b;
}

static int dup_bin(cpuu_mapi_bin *out, const uint8_t *p, size_t n)
{
	out->data = malloc(n ? n : 1);
	if (!out->data)
		return cpuu_error_oom();
	if (n)
		memcpy(out->data, p, n);
	out->len = n;
	return CPUU_OK;
}

static void *alloc_array(size_t count, size_t size)
{
	return calloc(count ? count : 1, size);
}

/* An 8-bit string that fills data exactly: bytes, then one NUL at the end. */
static int decode_str8(char **out, uint32_t tag, const uint8_t *data, size_t len, const char *what)
{
	if (len == 0 || data[len - 1] != 0)
		return bad(tag, "%s of %zu bytes has no NUL terminator", what, len);
	const uint8_t *nul = memchr(data, 0, len);
	if ((size_t)(nul - data) != len - 1)
		return bad(tag, "%s has an embedded NUL at byte offset %zu of %zu", what,
			   (size_t)(nul - data), len);
	if (cpuu_cp1252_to_utf8(out, NULL, data, len - 1) < 0)
		return prefix(tag);
	return CPUU_OK;
}

/* A UTF-16LE string that fills data exactly, ending in one NUL unit. */
static int decode_str16(char **out, uint32_t tag, const uint8_t *data, size_t len)
{
	if (cpuu_utf16le_to_utf8(out, NULL, data, len,
				 CPUU_UTF16_REQUIRE_NUL | CPUU_UTF16_STRICT_NUL) < 0)
		return prefix(tag);
	return CPUU_OK;
}

struct span {
	size_t off, len, item;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off ? 1 : 0;
}

/* Items of an MV value must not share bytes (MFCMAPI writes them one after the
 * other; a shared byte means a corrupt or hand-made value). */
static int check_overlap(uint32_t tag, struct span *s, size_t n)
{
	qsort(s, n, sizeof *s, span_cmp);
	for (size_t k = 1; k < n; k++)
		if (s[k - 1].off + s[k - 1].len > s[k].off)
			return bad(tag, "items %zu and %zu overlap (offsets %zu and %zu)",
				   s[k - 1].item, s[k].item, s[k - 1].off, s[k].off);
	return CPUU_OK;
}

static int decode_mv_fixed(cpuu_mapi_value *v, const uint8_t *data, size_t len, size_t size)
{
	if (len % size)
		return bad(v->tag, "%zu bytes is not a multiple of the %zu-byte item size", len, size);
	size_t n = len / size;
	v->u.mv.count = n;
	switch (cpuu_mapi_kind_of(CPUU_PROP_TYPE(v->tag))) {
	case CPUU_MK_MV_I16:
		if (!(v->u.mv.v.i16 = alloc_array(n, sizeof(int16_t))))
			return cpuu_error_oom();
		for (size_t k = 0; k < n; k++)
			v->u.mv.v.i16[k] = (int16_t)cpuu_le16(data + 2 * k);
		break;
	case CPUU_MK_MV_I32:
		if (!(v->u.mv.v.l = alloc_array(n, sizeof(int32_t))))
			return cpuu_error_oom();
		for (size_t k = 0; k < n; k++)
			v->u.mv.v.l[k] = (int32_t)cpuu_le32(data + 4 * k);
		break;
	case CPUU_MK_MV_I64:
		if (!(v->u.mv.v.i8 = alloc_array(n, sizeof(int64_t))))
			return cpuu_error_oom();
		for (size_t k = 0; k < n; k++)
			v->u.mv.v.i8[k] = (int64_t)cpuu_le64(data + 8 * k);
		break;
	default: /* CPUU_MK_MV_CLSID */
		if (!(v->u.mv.v.bin = alloc_array(n, sizeof(cpuu_mapi_bin))))
			return cpuu_error_oom();
		for (size_t k = 0; k < n; k++)
			if (dup_bin(&v->u.mv.v.bin[k], data + 16 * k, 16) < 0)
				return CPUU_ENOMEM;
		break;
	}
	return CPUU_OK;
}

static int decode_mv_bin(cpuu_mapi_value *v, const uint8_t *data, size_t len)
{
	if (len < 4)
		return bad(v->tag, "%zu bytes is too short for the item count", len);
	size_t n = cpuu_le32(data);
	if (n > (len - 4) / 8)
		return bad(v->tag, "count %zu does not fit in %zu bytes (8 header bytes per item)", n, len);
	size_t hdr = 4 + 8 * n;
	struct span *s = alloc_array(n, sizeof *s);
	if (!s)
		return cpuu_error_oom();
	size_t ns = 0;
	int rc = CPUU_OK;
	for (size_t k = 0; k < n && rc == CPUU_OK; k++) {
		size_t ilen = cpuu_le32(data + 4 + 8 * k), ioff = cpuu_le32(data + 8 + 8 * k);
		if (ioff < hdr)
			rc = bad(v->tag, "item %zu offset %zu points into the %zu-byte header", k, ioff, hdr);
		else if (ioff > len || ilen > len - ioff)
			rc = bad(v->tag, "item %zu (offset %zu, length %zu) runs past the end of %zu bytes",
				 k, ioff, ilen, len);
		else if (ilen)
			s[ns++] = (struct span){ ioff, ilen, k };
	}
	if (rc == CPUU_OK)
		rc = check_overlap(v->tag, s, ns);
	free(s);
	if (rc < 0)
		return rc;
	v->u.mv.count = n;
	if (!(v->u.mv.v.bin = alloc_array(n, sizeof(cpuu_mapi_bin))))
		return cpuu_error_oom();
	for (size_t k = 0; k < n; k++)
		if (dup_bin(&v->u.mv.v.bin[k], data + cpuu_le32(data + 8 + 8 * k), cpuu_le32(data + 4 + 8 * k)) < 0)
			return CPUU_ENOMEM;
	return CPUU_OK;
}

static int decode_mv_str(cpuu_mapi_value *v, const uint8_t *data, size_t len, int wide)
{
	if (len < 4)
		return bad(v->tag, "%zu bytes is too short for the item count", len);
	size_t n = cpuu_le32(data);
	if (n > (len - 4) / 4)
		return bad(v->tag, "count %zu does not fit in %zu bytes (4 header bytes per item)", n, len);
	size_t hdr = 4 + 4 * n;
	struct span *s = alloc_array(n, sizeof *s);
	if (!s)
		return cpuu_error_oom();
	int rc = CPUU_OK;
	for (size_t k = 0; k < n && rc == CPUU_OK; k++) {
		size_t ioff = cpuu_le32(data + 4 + 4 * k);
		size_t sl = (size_t)-1;
		if (ioff < hdr) {
			rc = bad(v->tag, "item %zu offset %zu points into the %zu-byte header", k, ioff, hdr);
			break;
		}
		if (ioff < len)
			sl = wide ? cpuu_mapi_strnlen16(data, len, ioff) : cpuu_mapi_strnlen8(data, len, ioff);
		if (sl == (size_t)-1)
			rc = bad(v->tag, "item %zu at offset %zu has no NUL terminator before the end of %zu bytes",
				 k, ioff, len);
		else
			s[k] = (struct span){ ioff, sl + (wide ? 2 : 1), k };
	}
	if (rc == CPUU_OK)
		rc = check_overlap(v->tag, s, n);
	free(s);
	if (rc < 0)
		return rc;
	v->u.mv.count = n;
	if (!(v->u.mv.v.str = alloc_array(n, sizeof(char *))))
		return cpuu_error_oom();
	for (size_t k = 0; k < n; k++) {
		size_t ioff = cpuu_le32(data + 4 + 4 * k);
		if (wide) {
			size_t sl = cpuu_mapi_strnlen16(data, len, ioff);
			if (cpuu_utf16le_to_utf8(&v->u.mv.v.str[k], NULL, data + ioff, sl + 2, 0) < 0)
				return cpuu_error_prefix("MAPI value item %zu", k);
		} else {
			size_t sl = cpuu_mapi_strnlen8(data, len, ioff);
			if (cpuu_cp1252_to_utf8(&v->u.mv.v.str[k], NULL, data + ioff, sl) < 0)
				return CPUU_ENOMEM;
		}
	}
	return CPUU_OK;
}

static int decode_fixed(cpuu_mapi_value *v, enum cpuu_mapi_kind k, const uint8_t *data, size_t len)
{
	static const size_t sizes[] = {
		[CPUU_MK_I16] = 2, [CPUU_MK_I32] = 4, [CPUU_MK_FLOAT] = 4, [CPUU_MK_DOUBLE] = 8,
		[CPUU_MK_I64] = 8, [CPUU_MK_FILETIME] = 8, [CPUU_MK_CLSID] = 16,
	};
	if (len != sizes[k])
		return bad(v->tag, "%zu bytes, want %zu", len, sizes[k]);
	switch (k) {
	case CPUU_MK_I16: v->u.i16 = (int16_t)cpuu_le16(data); break;
	case CPUU_MK_I32: v->u.l = (int32_t)cpuu_le32(data); break;
	case CPUU_MK_FLOAT: v->u.dbl = float_bits_to_double(cpuu_le32(data)); break;
	case CPUU_MK_DOUBLE: {
		uint64_t b = cpuu_le64(data);
		memcpy(&v->u.dbl, &b, sizeof b);
		break;
	}
	case CPUU_MK_I64: v->u.i8 = (int64_t)cpuu_le64(data); break;
	case CPUU_MK_FILETIME: v->u.ft = cpuu_le64(data); break;
	default: return dup_bin(&v->u.bin, data, 16); /* CPUU_MK_CLSID */
	}
	return CPUU_OK;
}

static int decode_any(cpuu_mapi_value *v, uint32_t reg_type, const uint8_t *data, size_t len)
{
	uint16_t type = CPUU_PROP_TYPE(v->tag);
	enum cpuu_mapi_kind k = cpuu_mapi_kind_of(type);

	if (reg_type == CPUU_MAPI_REG_SZ) {
		if (k != CPUU_MK_STR8 && k != CPUU_MK_STR16)
			return bad(v->tag, "stored as REG_SZ, which only string properties may be");
		return decode_str16(&v->u.str, v->tag, data, len);
	}
	if (reg_type == CPUU_MAPI_REG_DWORD && k != CPUU_MK_I32)
		return bad(v->tag, "stored as REG_DWORD, which only PT_LONG may be");
	if (reg_type != CPUU_MAPI_REG_BINARY && reg_type != CPUU_MAPI_REG_DWORD)
		return bad(v->tag, "stored as registry type %u, want REG_BINARY", (unsigned)reg_type);

	switch (k) {
	case CPUU_MK_BIN: return dup_bin(&v->u.bin, data, len);
	case CPUU_MK_BOOL:
		if (len != 2 && len != 4)
			return bad(v->tag, "%zu bytes, want 2 or 4", len);
		{
			uint32_t b = len == 2 ? cpuu_le16(data) : cpuu_le32(data);
			if (b > 1)
				return bad(v->tag, "value 0x%0*X is neither 0 nor 1", (int)(2 * len), (unsigned)b);
			v->u.b = (int)b;
			v->bool_width = (uint8_t)len;
		}
		return CPUU_OK;
	case CPUU_MK_STR8: return decode_str8(&v->u.str, v->tag, data, len, "8-bit string");
	case CPUU_MK_STR16: return decode_str16(&v->u.str, v->tag, data, len);
	case CPUU_MK_MV_I16: return decode_mv_fixed(v, data, len, 2);
	case CPUU_MK_MV_I32: return decode_mv_fixed(v, data, len, 4);
	case CPUU_MK_MV_I64: return decode_mv_fixed(v, data, len, 8);
	case CPUU_MK_MV_CLSID: return decode_mv_fixed(v, data, len, 16);
	case CPUU_MK_MV_BIN: return decode_mv_bin(v, data, len);
	case CPUU_MK_MV_STR8: return decode_mv_str(v, data, len, 0);
	case CPUU_MK_MV_STR16: return decode_mv_str(v, data, len, 1);
	default: return decode_fixed(v, k, data, len);
	}
}

int cpuu_mapi_value_decode(cpuu_mapi_value *out, uint32_t tag, uint32_t reg_type,
			   const uint8_t *data, size_t len)
{
	memset(out, 0, sizeof *out);
	out->tag = tag;
	if (len && !data)
		return bad(tag, "data is NULL");
	int rc = decode_any(out, reg_type, data ? data : (const uint8_t *)"", len);
	if (rc < 0) {
		cpuu_mapi_value_clear(out);
		out->tag = tag;
	}
	return rc;
}

void cpuu_mapi_value_clear(cpuu_mapi_value *v)
{
	if (!v)
		return;
	switch (cpuu_mapi_kind_of(CPUU_PROP_TYPE(v->tag))) {
	case CPUU_MK_BIN:
	case CPUU_MK_CLSID:
		free(v->u.bin.data);
		break;
	case CPUU_MK_STR8:
	case CPUU_MK_STR16:
		free(v->u.str);
		break;
	case CPUU_MK_MV_I16: free(v->u.mv.v.i16); break;
	case CPUU_MK_MV_I32: free(v->u.mv.v.l); break;
	case CPUU_MK_MV_I64: free(v->u.mv.v.i8); break;
	case CPUU_MK_MV_CLSID:
	case CPUU_MK_MV_BIN:
		if (v->u.mv.v.bin)
			for (size_t k = 0; k < v->u.mv.count; k++)
				free(v->u.mv.v.bin[k].data);
		free(v->u.mv.v.bin);
		break;
	case CPUU_MK_MV_STR8:
	case CPUU_MK_MV_STR16:
		if (v->u.mv.v.str)
			for (size_t k = 0; k < v->u.mv.count; k++)
				free(v->u.mv.v.str[k]);
		free(v->u.mv.v.str);
		break;
	default:
		break;
	}
	uint32_t tag = v->tag;
	memset(v, 0, sizeof *v);
	v->tag = tag;
}

/* ---- encoding ---- */

static int out_bytes(uint8_t **out, size_t *out_len, const void *p, size_t n)
{
	uint8_t *o = malloc(n ? n : 1);
	if (!o)
		return cpuu_error_oom();
	if (n)
		memcpy(o, p, n);
	*out = o;
	*out_len = n;
	return CPUU_OK;
}

static int encode_mv_fixed(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v, size_t size)
{
	size_t n = v->u.mv.count;
	enum cpuu_mapi_kind k = cpuu_mapi_kind_of(CPUU_PROP_TYPE(v->tag));
	if (n && !v->u.mv.v.bin)
		return bad(v->tag, "%zu items but no array", n);
	if (n > (SIZE_MAX - 1) / size)
		return bad(v->tag, "too many items (%zu)", n);
	uint8_t *o = malloc(n ? n * size : 1);
	if (!o)
		return cpuu_error_oom();
	for (size_t i = 0; i < n; i++) {
		switch (k) {
		case CPUU_MK_MV_I16: cpuu_put_le16(o + 2 * i, (uint16_t)v->u.mv.v.i16[i]); break;
		case CPUU_MK_MV_I32: cpuu_put_le32(o + 4 * i, (uint32_t)v->u.mv.v.l[i]); break;
		case CPUU_MK_MV_I64: {
			uint64_t x = (uint64_t)v->u.mv.v.i8[i];
			cpuu_put_le32(o + 8 * i, (uint32_t)x);
			cpuu_put_le32(o + 8 * i + 4, (uint32_t)(x >> 32));
			break;
		}
		default: /* CPUU_MK_MV_CLSID */
			if (v->u.mv.v.bin[i].len != 16 || !v->u.mv.v.bin[i].data) {
				free(o);
				return bad(v->tag, "item %zu is %zu bytes, want 16", i, v->u.mv.v.bin[i].len);
			}
			memcpy(o + 16 * i, v->u.mv.v.bin[i].data, 16);
			break;
		}
	}
	*out = o;
	*out_len = n * size;
	return CPUU_OK;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* count, count x {len, offset}, then each item padded with zeros to 4 bytes
 * (MFCMAPI's memory::align is sizeof(DWORD)). */
static int encode_mv_bin(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v)
{
	size_t n = v->u.mv.count;
	if (n && !v->u.mv.v.bin)
		return bad(v->tag, "%zu items but no array", n);
	if (n > (UINT32_MAX - 4) / 8)
		return bad(v->tag, "too many items (%zu)", n);
	size_t total = 4 + 8 * n;
	for (size_t i = 0; i < n; i++) {
		size_t il = v->u.mv.v.bin[i].len;
		if (il && !v->u.mv.v.bin[i].data)
			return bad(v->tag, "item %zu has no data", i);
		if (il > UINT32_MAX - 3 || align4(il) > UINT32_MAX - total)
			return bad(v->tag, "too large for 32-bit offsets");
		total += align4(il);
	}
	uint8_t *o = calloc(total, 1);
	if (!o)
		return cpuu_error_oom();
	cpuu_put_le32(o, (uint32_t)n);
	size_t pos = 4 + 8 * n;
	for (size_t i = 0; i < n; i++) {
		size_t il = v->u.mv.v.bin[i].len;
		cpuu_put_le32(o + 4 + 8 * i, (uint32_t)il);
		cpuu_put_le32(o + 8 + 8 * i, (uint32_t)pos);
		if (il)
			memcpy(o + pos, v->u.mv.v.bin[i].data, il);
		pos += align4(il);
	}
	*out = o;
	*out_len = total;
	return CPUU_OK;
}

/* count, count x offset, then the NUL-terminated strings back to back. */
static int encode_mv_str(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v, int wide)
{
	size_t n = v->u.mv.count;
	if (n && !v->u.mv.v.str)
		return bad(v->tag, "%zu items but no array", n);
	if (n > (UINT32_MAX - 4) / 4)
		return bad(v->tag, "too many items (%zu)", n);
	uint8_t **enc = alloc_array(n, sizeof *enc);
	size_t *elen = alloc_array(n, sizeof *elen);
	int rc = CPUU_OK;
	if (!enc || !elen) {
		rc = cpuu_error_oom();
		goto done;
	}
	size_t total = 4 + 4 * n;
	for (size_t i = 0; i < n && rc == CPUU_OK; i++) {
		if (!v->u.mv.v.str[i]) {
			rc = bad(v->tag, "item %zu is NULL", i);
			break;
		}
		rc = wide ? cpuu_utf8_to_utf16le(&enc[i], &elen[i], v->u.mv.v.str[i], 1)
			  : cpuu_utf8_to_cp1252(&enc[i], &elen[i], v->u.mv.v.str[i], 1);
		if (rc < 0) {
			cpuu_error_prefix("MAPI value item %zu", i);
			break;
		}
		if (elen[i] > UINT32_MAX - total)
			rc = bad(v->tag, "too large for 32-bit offsets");
		else
			total += elen[i];
	}
	if (rc < 0)
		goto done;
	uint8_t *o = malloc(total);
	if (!o) {
		rc = cpuu_error_oom();
		goto done;
	}
	cpuu_put_le32(o, (uint32_t)n);
	size_t pos = 4 + 4 * n;
	for (size_t i = 0; i < n; i++) {
		cpuu_put_le32(o + 4 + 4 * i, (uint32_t)pos);
		memcpy(o + pos, enc[i], elen[i]);
		pos += elen[i];
	}
	*out = o;
	*out_len = total;
done:
	if (enc)
		for (size_t i = 0; i < n; i++)
			free(enc[i]);
	free(enc);
	free(elen);
	return rc;
}

static int encode_any(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v, uint32_t reg_type)
{
	enum cpuu_mapi_kind k = cpuu_mapi_kind_of(CPUU_PROP_TYPE(v->tag));
	uint8_t b[8];

	if (reg_type == CPUU_MAPI_REG_SZ && k != CPUU_MK_STR8 && k != CPUU_MK_STR16)
		return bad(v->tag, "cannot be written as REG_SZ (only string properties can)");
	if (reg_type == CPUU_MAPI_REG_DWORD && k != CPUU_MK_I32)
		return bad(v->tag, "cannot be written as REG_DWORD (only PT_LONG can)");
	if (reg_type != CPUU_MAPI_REG_SZ && reg_type != CPUU_MAPI_REG_BINARY &&
	    reg_type != CPUU_MAPI_REG_DWORD)
		return bad(v->tag, "cannot be written as registry type %u", (unsigned)reg_type);

	switch (k) {
	case CPUU_MK_BIN:
	case CPUU_MK_CLSID:
		if (k == CPUU_MK_CLSID && v->u.bin.len != 16)
			return bad(v->tag, "%zu bytes, want 16", v->u.bin.len);
		if (v->u.bin.len && !v->u.bin.data)
			return bad(v->tag, "no data");
		return out_bytes(out, out_len, v->u.bin.data, v->u.bin.len);
	case CPUU_MK_I16:
		cpuu_put_le16(b, (uint16_t)v->u.i16);
		return out_bytes(out, out_len, b, 2);
	case CPUU_MK_I32:
		cpuu_put_le32(b, (uint32_t)v->u.l);
		return out_bytes(out, out_len, b, 4);
	case CPUU_MK_FLOAT:
		cpuu_put_le32(b, double_to_float_bits(v->u.dbl));
		return out_bytes(out, out_len, b, 4);
	case CPUU_MK_DOUBLE:
	case CPUU_MK_I64:
	case CPUU_MK_FILETIME: {
		uint64_t x;
		if (k == CPUU_MK_DOUBLE)
			memcpy(&x, &v->u.dbl, sizeof x);
		else if (k == CPUU_MK_I64)
			x = (uint64_t)v->u.i8;
		else
			x = v->u.ft;
		cpuu_put_le32(b, (uint32_t)x);
		cpuu_put_le32(b + 4, (uint32_t)(x >> 32));
		return out_bytes(out, out_len, b, 8);
	}
	case CPUU_MK_BOOL: {
		size_t w = v->bool_width ? v->bool_width : 2;
		if (w != 2 && w != 4)
			return bad(v->tag, "boolean width %zu, want 2 or 4", w);
		if (v->u.b != 0 && v->u.b != 1)
			return bad(v->tag, "boolean %d is neither 0 nor 1", v->u.b);
		memset(b, 0, sizeof b);
		b[0] = (uint8_t)v->u.b;
		return out_bytes(out, out_len, b, w);
	}
	case CPUU_MK_STR8:
	case CPUU_MK_STR16: {
		int rc;
		if (!v->u.str)
			return bad(v->tag, "string is NULL");
		if (reg_type == CPUU_MAPI_REG_SZ || k == CPUU_MK_STR16)
			rc = cpuu_utf8_to_utf16le(out, out_len, v->u.str, 1);
		else
			rc = cpuu_utf8_to_cp1252(out, out_len, v->u.str, 1);
		return rc < 0 ? prefix(v->tag) : rc;
	}
	case CPUU_MK_MV_I16: return encode_mv_fixed(out, out_len, v, 2);
	case CPUU_MK_MV_I32: return encode_mv_fixed(out, out_len, v, 4);
	case CPUU_MK_MV_I64: return encode_mv_fixed(out, out_len, v, 8);
	case CPUU_MK_MV_CLSID: return encode_mv_fixed(out, out_len, v, 16);
	case CPUU_MK_MV_BIN: return encode_mv_bin(out, out_len, v);
	case CPUU_MK_MV_STR8: return encode_mv_str(out, out_len, v, 0);
	case CPUU_MK_MV_STR16: return encode_mv_str(out, out_len, v, 1);
	}
	return bad(v->tag, "unhandled type");
}

int cpuu_mapi_value_encode(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v, uint32_t reg_type)
{
	size_t dummy;
	*out = NULL;
	if (!out_len)
		out_len = &dummy;
	*out_len = 0;
	if (!v)
		return cpuu_error_set(CPUU_EINVALID, "MAPI value is NULL");
	return encode_any(out, out_len, v, reg_type);
}
