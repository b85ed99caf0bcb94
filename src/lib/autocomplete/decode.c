/* The readable view of an autocomplete stream or .nk2 file for cpuu decode
 * (docs/decode.md): header, every row and property in stored order, entry
 * IDs in rows decoded, the metadata kept verbatim shown in hex. */
#include "autocomplete/internal.h"
#include "mapi/internal.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

/* Binary properties that hold entry IDs in autocomplete rows. */
static int holds_entryid(uint32_t tag)
{
	return tag == 0x0FFF0102u || tag == 0x5FF70102u || tag == 0x0FF90102u;
}

static int emit_prop(mapi_emit *e, const cpuu_ac_prop *p)
{
	uint16_t type = CPUU_PROP_TYPE(p->tag);
	mapi_emit_open(e, NULL, 0);
	mapi_emit_tag(e, p->tag);
	int rc = CPUU_OK;
	if (!p->data) {
		switch (type) {
		case CPUU_PT_SHORT: mapi_emit_int(e, "value", (int16_t)cpuu_le16(p->value)); break;
		case CPUU_PT_BOOLEAN: mapi_emit_bool(e, "value", cpuu_le16(p->value) != 0); break;
		case CPUU_PT_LONG: mapi_emit_int(e, "value", (int32_t)cpuu_le32(p->value)); break;
		case CPUU_PT_ERROR: mapi_emit_uint(e, "value", cpuu_le32(p->value)); break;
		case CPUU_PT_I8: case CPUU_PT_CURRENCY: mapi_emit_int(e, "value", (int64_t)cpuu_le64(p->value)); break;
		case CPUU_PT_SYSTIME: mapi_emit_uint(e, "value", cpuu_le64(p->value)); break;
		default: mapi_emit_hex(e, "value", p->value, 8); break;
		}
		mapi_emit_close(e);
		return CPUU_OK;
	}
	const uint8_t *b;
	size_t n;
	if (type == CPUU_PT_UNICODE || type == CPUU_PT_STRING8) {
		char *s = NULL;
		if ((rc = cpuu_ac_prop_bytes(&b, &n, p)) == CPUU_OK) {
			/* Shown without the stored terminator. */
			if (type == CPUU_PT_UNICODE && n >= 2 && !b[n - 1] && !b[n - 2])
				n -= 2;
			else if (type == CPUU_PT_STRING8 && n && !b[n - 1])
				n--;
			rc = type == CPUU_PT_UNICODE ? cpuu_utf16le_to_utf8(&s, NULL, b, n, 0)
						     : cpuu_cp1252_to_utf8(&s, NULL, b, n);
		}
		if (rc == CPUU_OK)
			mapi_emit_str(e, "value", s);
		free(s);
	} else if (type == CPUU_PT_BINARY && cpuu_ac_prop_bytes(&b, &n, p) == CPUU_OK) {
		mapi_emit_hex(e, "value", b, n);
		if (holds_entryid(p->tag))
			rc = mapi_emit_entryid(e, "entryid", b, n, 1);
	} else {
		mapi_emit_hex(e, "data", p->data, p->data_len);
	}
	if (rc == CPUU_OK)
		mapi_emit_close(e);
	return rc;
}

int cpuu_autocomplete_decode(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt)
{
	*out = NULL;
	cpuu_autocomplete *ac = NULL;
	int rc = cpuu_autocomplete_parse(&ac, data, len);
	if (rc < 0)
		return rc;
	mapi_emit e;
	mapi_emit_init(&e, fmt);
	mapi_emit_open(&e, NULL, 0);
	mapi_emit_str(&e, "kind", "autocomplete");
	mapi_emit_uint(&e, "major", ac->major);
	mapi_emit_uint(&e, "minor", ac->minor);
	mapi_emit_str(&e, "mv_layout", ac->flags & CPUU_AC_MV_BARE ? "bare" : "counted");
	mapi_emit_uint(&e, "row_count", ac->row_count);
	mapi_emit_open(&e, "rows", 1);
	for (size_t r = 0; r < ac->row_count && rc == CPUU_OK; r++) {
		mapi_emit_open(&e, NULL, 1);
		for (size_t i = 0; i < ac->rows[r].count && rc == CPUU_OK; i++)
			if ((rc = emit_prop(&e, &ac->rows[r].props[i])) < 0)
				cpuu_error_prefix("autocomplete row %zu, property %zu", r, i);
		mapi_emit_close(&e);
	}
	if (rc == CPUU_OK) {
		mapi_emit_close(&e);
		mapi_emit_hex(&e, "extra", ac->extra, ac->extra_len);
		mapi_emit_hex(&e, "filetime", ac->filetime, 8);
		mapi_emit_hex(&e, "trailing", ac->trailing, ac->trailing_len);
	}
	cpuu_autocomplete_free(ac);
	if (rc < 0) {
		mapi_emit_dispose(&e);
		return rc;
	}
	return mapi_emit_finish(out, &e);
}
