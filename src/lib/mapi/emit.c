/* The text/JSON writer behind cpuu decode: one set of calls, two renderings
 * (JSON for tests and scripts, indented lines for people). */
#include "mapi/internal.h"

#include <inttypes.h>
#include <string.h>

void mapi_emit_init(mapi_emit *e, cpuu_decode_format fmt)
{
	memset(e, 0, sizeof *e);
	e->json = fmt == CPUU_DECODE_JSON;
}

static void indent(mapi_emit *e, int depth)
{
	for (int i = 0; i < depth; i++)
		cpuu_buf_puts(&e->b, e->json ? "  " : "\t");
}

/* Separator, indentation and key of the next item at the current level. */
static void item(mapi_emit *e, const char *key)
{
	int d = e->depth < EMIT_DEPTH ? e->depth : EMIT_DEPTH - 1;
	int n = e->count[d]++;
	if (e->json) {
		if (e->depth > 0)
			cpuu_buf_puts(&e->b, n ? ",\n" : "\n");
		indent(e, e->depth);
		if (key && e->depth > 0 && !e->array[d]) {
			cpuu_buf_json_string(&e->b, key);
			cpuu_buf_puts(&e->b, ": ");
		}
		return;
	}
	indent(e, e->depth > 0 ? e->depth - 1 : 0);
	if (key)
		cpuu_buf_printf(&e->b, "%s", key);
	else
		cpuu_buf_printf(&e->b, "[%d]", n);
}

void mapi_emit_open(mapi_emit *e, const char *key, int array)
{
	if (e->depth > 0 || e->json)
		item(e, key);
	if (e->json)
		cpuu_buf_puts(&e->b, array ? "[" : "{");
	else if (e->depth > 0)
		cpuu_buf_puts(&e->b, "\n");
	if (e->depth + 1 < EMIT_DEPTH) {
		e->depth++;
		e->count[e->depth] = 0;
		e->array[e->depth] = array;
	}
}

void mapi_emit_close(mapi_emit *e)
{
	if (e->depth == 0)
		return;
	int d = e->depth, n = e->count[d];
	e->depth--;
	if (!e->json)
		return;
	if (n) {
		cpuu_buf_puts(&e->b, "\n");
		indent(e, e->depth);
	}
	cpuu_buf_puts(&e->b, e->array[d] ? "]" : "}");
}

static void scalar_end(mapi_emit *e)
{
	if (!e->json)
		cpuu_buf_puts(&e->b, "\n");
}

void mapi_emit_str(mapi_emit *e, const char *key, const char *v)
{
	item(e, key);
	if (e->json) {
		cpuu_buf_json_string(&e->b, v);
	} else {
		cpuu_buf_puts(&e->b, " = ");
		/* Names and addresses are data: shown escaped (cpuu/display.h). */
		if (v)
			cpuu_buf_display(&e->b, v);
		else
			cpuu_buf_puts(&e->b, "(none)");
	}
	scalar_end(e);
}

void mapi_emit_uint(mapi_emit *e, const char *key, uint64_t v)
{
	item(e, key);
	if (e->json)
		cpuu_buf_printf(&e->b, "%" PRIu64, v);
	else
		cpuu_buf_printf(&e->b, " = %" PRIu64 " (0x%08" PRIX64 ")", v, v);
	scalar_end(e);
}

void mapi_emit_int(mapi_emit *e, const char *key, int64_t v)
{
	item(e, key);
	cpuu_buf_printf(&e->b, e->json ? "%" PRId64 : " = %" PRId64, v);
	scalar_end(e);
}

void mapi_emit_num(mapi_emit *e, const char *key, double v)
{
	item(e, key);
	cpuu_buf_printf(&e->b, e->json ? "%.17g" : " = %.17g", v);
	scalar_end(e);
}

void mapi_emit_bool(mapi_emit *e, const char *key, int v)
{
	item(e, key);
	cpuu_buf_puts(&e->b, e->json ? (v ? "true" : "false") : (v ? " = true" : " = false"));
	scalar_end(e);
}

void mapi_emit_hex(mapi_emit *e, const char *key, const uint8_t *d, size_t n)
{
	item(e, key);
	cpuu_buf_puts(&e->b, e->json ? "\"" : " = ");
	for (size_t i = 0; i < n; i++)
		cpuu_buf_printf(&e->b, "%02x", d[i]);
	if (e->json)
		cpuu_buf_puts(&e->b, "\"");
	scalar_end(e);
}

int mapi_emit_finish(char **out, mapi_emit *e)
{
	while (e->depth > 0)
		mapi_emit_close(e);
	if (e->json)
		cpuu_buf_puts(&e->b, "\n");
	*out = cpuu_buf_detach(&e->b, NULL);
	return *out ? CPUU_OK : cpuu_error_oom();
}

void mapi_emit_dispose(mapi_emit *e)
{
	cpuu_buf_dispose(&e->b);
}
