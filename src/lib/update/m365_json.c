/* The Microsoft 365 state as the "m365" member of `cpuu inspect --json`
 * (docs/inspect-json.md, "Microsoft 365"): stable key order, every key
 * always present, absent facts null. */
#include "common/internal.h"
#include "cpuu/m365.h"

#include <stdlib.h>

static void str_or_null(cpuu_buf *b, const char *s)
{
	if (s)
		cpuu_buf_json_string(b, s);
	else
		cpuu_buf_puts(b, "null");
}

static void key(cpuu_buf *b, const char *in, const char *name, const char *v, int last)
{
	cpuu_buf_printf(b, "%s\"%s\": ", in, name);
	str_or_null(b, v);
	cpuu_buf_puts(b, last ? "\n" : ",\n");
}

int cpuu_m365_to_json(char **out, const cpuu_m365_state *st)
{
	static const char in[] = "        ";
	cpuu_buf b = { 0 };
	cpuu_buf_puts(&b, "{\n    \"identities\": [");
	for (size_t i = 0; i < st->nidentities; i++) {
		const cpuu_m365_identity *id = &st->identities[i];
		cpuu_buf_puts(&b, i ? ",\n      {\n" : "\n      {\n");
		key(&b, in, "version", id->version, 0);
		key(&b, in, "id", id->id, 0);
		key(&b, in, "email", id->email, 0);
		key(&b, in, "provider", id->provider, 0);
		key(&b, in, "federation_provider", id->federation, 0);
		key(&b, in, "tenant", id->tenant, 0);
		cpuu_buf_printf(&b, "%s\"source\": %s,\n%s\"reset\": %s\n      }", in, id->source ? "true" : "false", in,
				id->marked ? "true" : "false");
	}
	cpuu_buf_puts(&b, st->nidentities ? "\n    ],\n    \"findings\": [" : "],\n    \"findings\": [");
	for (size_t i = 0; i < st->nfindings; i++) {
		const cpuu_m365_finding *f = &st->findings[i];
		cpuu_buf_puts(&b, i ? ",\n      {\n" : "\n      {\n");
		key(&b, in, "kind", cpuu_m365_kind_name(f->kind), 0);
		key(&b, in, "version", f->version, 0);
		key(&b, in, "key", f->key, 0);
		key(&b, in, "name", f->name, 0);
		key(&b, in, "value", f->value, 0);
		cpuu_buf_printf(&b, "%s\"source\": %s,\n%s\"problem\": %s,\n", in, f->source ? "true" : "false", in,
				f->problem ? "true" : "false");
		key(&b, in, "note", f->note, 1);
		cpuu_buf_puts(&b, "      }");
	}
	cpuu_buf_puts(&b, st->nfindings ? "\n    ]\n  }" : "]\n  }");
	return (*out = cpuu_buf_detach(&b, NULL)) ? CPUU_OK : cpuu_error_oom();
}
