/* One-line rendering of a decoded value, for `cpuu inspect` and debugging. */
#include "mapi/internal.h"
#include "mapi/value.h"

#include <inttypes.h>
#include <time.h>
#include <stdlib.h>

#define FORMAT_MAX_BYTES 64

static void put_hex(cpuu_buf *b, const uint8_t *p, size_t n)
{
	char hex[2 * FORMAT_MAX_BYTES + 1];
	size_t shown = n > FORMAT_MAX_BYTES ? FORMAT_MAX_BYTES : n;
	if (!p)
		shown = 0;
	cpuu_hex_encode(hex, p ? p : (const uint8_t *)"", shown);
	cpuu_buf_printf(b, "%zu bytes", n);
	if (shown)
		cpuu_buf_printf(b, " %s%s", hex, shown < n ? "..." : "");
}

/* FILETIME (100 ns since 1601-01-01 UTC) as ISO 8601, through the
 * project's own calendar (common/utc.c): no gmtime, so Windows and Linux
 * print the same. */
static void put_filetime(cpuu_buf *b, uint64_t ft)
{
	struct tm tm;
	cpuu_utc_from_epoch(&tm, (int64_t)(ft / 10000000u) - INT64_C(11644473600)); /* 1601 -> 1970 */
	cpuu_buf_printf(b, "%04lld-%02d-%02dT%02d:%02d:%02dZ (0x%016" PRIx64 ")", (long long)tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ft);
}

static void put_guid(cpuu_buf *b, const uint8_t *g)
{
	/* The registry shows UIDs as raw bytes; so do we (no GUID byte swapping). */
	char hex[33];
	cpuu_hex_encode(hex, g, 16);
	cpuu_buf_puts(b, hex);
}

int cpuu_mapi_value_format(char **out, const cpuu_mapi_value *v)
{
	cpuu_buf b = { 0 };
	*out = NULL;
	if (!v)
		return cpuu_error_set(CPUU_EINVALID, "MAPI value is NULL");
	uint16_t type = CPUU_PROP_TYPE(v->tag);
	const char *tn = cpuu_mapi_type_name(type);
	if (tn)
		cpuu_buf_puts(&b, tn);
	else
		cpuu_buf_printf(&b, "type 0x%04X", (unsigned)type);
	cpuu_buf_puts(&b, " ");

	enum cpuu_mapi_kind k = cpuu_mapi_kind_of(type);
	size_t n = v->u.mv.count;
	switch (k) {
	case CPUU_MK_BIN: put_hex(&b, v->u.bin.data, v->u.bin.len); break;
	case CPUU_MK_CLSID:
		if (v->u.bin.len == 16 && v->u.bin.data)
			put_guid(&b, v->u.bin.data);
		else
			put_hex(&b, v->u.bin.data, v->u.bin.len);
		break;
	case CPUU_MK_I16: cpuu_buf_printf(&b, "%d", (int)v->u.i16); break;
	case CPUU_MK_I32:
		if (type == CPUU_PT_ERROR)
			cpuu_buf_printf(&b, "0x%08" PRIX32, (uint32_t)v->u.l);
		else
			cpuu_buf_printf(&b, "%" PRId32 " (0x%08" PRIX32 ")", v->u.l, (uint32_t)v->u.l);
		break;
	case CPUU_MK_FLOAT:
	case CPUU_MK_DOUBLE: cpuu_buf_printf(&b, "%.17g", v->u.dbl); break;
	case CPUU_MK_I64: cpuu_buf_printf(&b, "%" PRId64, v->u.i8); break;
	case CPUU_MK_FILETIME: put_filetime(&b, v->u.ft); break;
	case CPUU_MK_BOOL: cpuu_buf_puts(&b, v->u.b ? "true" : "false"); break;
	case CPUU_MK_STR8:
	case CPUU_MK_STR16: cpuu_buf_json_string(&b, v->u.str); break;
	default:
		cpuu_buf_printf(&b, "[%zu]", n);
		if (n && !v->u.mv.v.bin) /* a caller-built value without its array */
			break;
		for (size_t i = 0; i < n; i++) {
			cpuu_buf_puts(&b, i ? ", " : " ");
			switch (k) {
			case CPUU_MK_MV_I16: cpuu_buf_printf(&b, "%d", (int)v->u.mv.v.i16[i]); break;
			case CPUU_MK_MV_I32: cpuu_buf_printf(&b, "%" PRId32, v->u.mv.v.l[i]); break;
			case CPUU_MK_MV_I64:
				if (type == CPUU_PT_MV_SYSTIME)
					put_filetime(&b, (uint64_t)v->u.mv.v.i8[i]);
				else
					cpuu_buf_printf(&b, "%" PRId64, v->u.mv.v.i8[i]);
				break;
			case CPUU_MK_MV_CLSID:
			case CPUU_MK_MV_BIN: put_hex(&b, v->u.mv.v.bin[i].data, v->u.mv.v.bin[i].len); break;
			default: cpuu_buf_json_string(&b, v->u.mv.v.str[i]); break;
			}
		}
		break;
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}
