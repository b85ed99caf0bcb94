/* A .reg file built subtree by subtree straight from the registry into its
 * final bytes (cpuu_regtext_out, regtext.h): what backups are. The bytes
 * are those of cpuu_regtext_export followed by cpuu_regtext_write_file,
 * without the document in between (no copy of any name or data). */
#include "regtext/internal.h"

#include <stdlib.h>
#include <string.h>

/* As registry.c's export: deeper is a broken hive (or a cycle). */
#define MAX_DEPTH 512

/* A key or value the text cannot carry: formatting the same document would
 * have refused it, so the file is refused with this (the first kept), unless
 * the key it belongs to is dropped again. */
typedef struct refusal {
	size_t key;
	int code;
	char *message;
} refusal;

struct cpuu_regtext_out {
	regtext_w16 w;
	size_t *key_at; /* where each key starts in w */
	size_t nkeys, key_cap;
	refusal *refused;
	size_t nrefused;
};

int cpuu_regtext_out_new(cpuu_regtext_out **out)
{
	*out = NULL;
	cpuu_regtext_out *o = calloc(1, sizeof *o);
	if (!o)
		return cpuu_error_oom();
	regtext_w16_start(&o->w);
	if (o->w.failed) {
		free(o);
		return cpuu_error_oom();
	}
	*out = o;
	return CPUU_OK;
}

static void drop_refusals(cpuu_regtext_out *o, size_t from_key)
{
	while (o->nrefused && o->refused[o->nrefused - 1].key >= from_key)
		free(o->refused[--o->nrefused].message);
}

void cpuu_regtext_out_free(cpuu_regtext_out *o)
{
	if (!o)
		return;
	regtext_w16_dispose(&o->w);
	drop_refusals(o, 0);
	free(o->refused);
	free(o->key_at);
	free(o);
}

size_t cpuu_regtext_out_keys(const cpuu_regtext_out *o)
{
	return o ? o->nkeys : 0;
}

void cpuu_regtext_out_truncate(cpuu_regtext_out *o, size_t nkeys)
{
	if (!o || nkeys >= o->nkeys)
		return;
	size_t at = o->key_at[nkeys];
	memset(o->w.data + at, 0, o->w.len - at);
	o->w.len = at;
	o->nkeys = nkeys;
	drop_refusals(o, nkeys);
}

/* Keeps the message the check left: the refusal comes back at the end. */
static int keep_refusal(cpuu_regtext_out *o, int code)
{
	refusal *grown = cpuu_array_reserve(o->refused, NULL, o->nrefused + 1, sizeof *grown);
	char *msg = cpuu_strdup(cpuu_error_last()->message);
	if (!grown || !msg) {
		free(msg);
		if (grown)
			o->refused = grown;
		return cpuu_error_oom();
	}
	o->refused = grown;
	o->refused[o->nrefused++] = (refusal){ o->nkeys - 1, code, msg };
	return CPUU_OK;
}

/* Starts a key (a refused one is kept as such). */
static int add_key(cpuu_regtext_out *o, const char *path, int delete_key)
{
	size_t *grown = cpuu_array_reserve(o->key_at, &o->key_cap, o->nkeys + 1, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	o->key_at = grown;
	o->key_at[o->nkeys++] = o->w.len;
	cpuu_regtext_key k = { .path = (char *)path, .delete_key = delete_key };
	int rc = regtext_w16_key(&o->w, &k);
	return rc ? keep_refusal(o, rc) : CPUU_OK;
}

int cpuu_regtext_out_delete_key(cpuu_regtext_out *o, const char *path)
{
	if (!o || !path)
		return cpuu_error_set(CPUU_EINVALID, "no file or key path");
	int rc = add_key(o, path, 1);
	return rc ? rc : o->w.failed ? cpuu_error_oom() : CPUU_OK;
}

typedef struct walk {
	cpuu_regtext_out *o;
	cpuu_reg *reg;
	cpuu_buf path;
	cpuu_regtext_mask_fn mask;
	void *ctx;
} walk;

/* The values of one key, written as they come: the registry's own copies,
 * a masked one's data zeroed before they are freed. */
static int export_values(walk *x, const cpuu_reg_key *key)
{
	cpuu_reg_value *vals = NULL;
	size_t nvals = 0;
	int rc = cpuu_reg_key_values(&vals, &nvals, x->reg, key);
	if (rc)
		return cpuu_error_prefix("export of %s", x->path.data);
	cpuu_regtext_key k = { .path = x->path.data };
	uint8_t none = 0;
	for (size_t i = 0; i < nvals && !rc; i++) {
		cpuu_reg_value *rv = &vals[i];
		cpuu_regtext_value v = { .name = rv->name ? rv->name : "", .type = rv->type, .data = rv->data, .len = rv->len };
		if (x->mask && x->mask(x->ctx, v.name, v.type, v.data, v.len)) {
			if (rv->data)
				memset(rv->data, 0, rv->len); /* not even in freed memory */
			v.type = CPUU_REG_NONE;
			v.data = &none;
			v.len = 0;
		}
		int refused = regtext_w16_value(&x->o->w, &k, &v);
		if (refused)
			rc = keep_refusal(x->o, refused);
	}
	cpuu_reg_values_free(vals, nvals);
	return rc;
}

static int export_key(walk *x, const cpuu_reg_key *key, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return cpuu_error_set(CPUU_ECORRUPT, "key %s: nested more than %d levels deep", x->path.data, MAX_DEPTH);
	/* A refused key or value refuses the file (unless its key is dropped,
	 * and all after it with it), but the walk goes on: its reads fail as
	 * the export's would. What follows a refusal is written all the same:
	 * it is never used. */
	int rc = add_key(x->o, x->path.data, 0);
	if (!rc)
		rc = export_values(x, key);
	if (rc)
		return rc;

	cpuu_strlist subs = { 0 };
	rc = cpuu_reg_key_subkeys(&subs, x->reg, key);
	if (rc)
		return cpuu_error_prefix("export of %s", x->path.data);
	size_t len = x->path.len;
	for (size_t i = 0; i < subs.count && !rc; i++) {
		cpuu_reg_key *sub = NULL;
		cpuu_buf_puts(&x->path, "\\");
		cpuu_buf_puts(&x->path, subs.items[i]);
		if (x->path.failed) {
			rc = cpuu_error_oom();
			break;
		}
		rc = cpuu_reg_key_open(&sub, x->reg, key, subs.items[i]);
		if (!rc)
			rc = export_key(x, sub, depth + 1);
		else
			cpuu_error_prefix("export of %s", x->path.data);
		cpuu_reg_key_free(sub);
		x->path.len = len;
		x->path.data[len] = '\0';
	}
	cpuu_strlist_free(&subs);
	return rc;
}

int cpuu_regtext_out_export(cpuu_regtext_out *o, cpuu_reg *reg, const cpuu_reg_key *key, const char *path_prefix,
			    cpuu_regtext_mask_fn mask, void *ctx)
{
	if (!o || !reg || !key || !path_prefix || !*path_prefix)
		return cpuu_error_set(CPUU_EINVALID, "export needs a file, a registry, a key and a path prefix");
	walk x = { .o = o, .reg = reg, .mask = mask, .ctx = ctx };
	cpuu_buf_puts(&x.path, path_prefix);
	size_t before = o->nkeys;
	int rc = x.path.failed ? cpuu_error_oom() : export_key(&x, key, 0);
	if (!rc && o->w.failed)
		rc = cpuu_error_oom();
	if (rc)
		cpuu_regtext_out_truncate(o, before);
	cpuu_buf_dispose(&x.path);
	return rc;
}

int cpuu_regtext_out_bytes(const uint8_t **bytes, size_t *len, cpuu_regtext_out *o)
{
	*bytes = NULL;
	*len = 0;
	if (!o)
		return cpuu_error_set(CPUU_EINVALID, "no file");
	if (o->nrefused)
		return cpuu_error_set(o->refused[0].code, "%s", o->refused[0].message);
	/* regedit ends the file with an empty line: written past the end, so
	 * that more keys still go in where it stands. */
	if (regtext_w16_reserve(&o->w, 2))
		return cpuu_error_oom();
	static const uint8_t crlf[4] = { '\r', 0, '\n', 0 };
	memcpy(o->w.data + o->w.len, crlf, sizeof crlf);
	*bytes = o->w.data;
	*len = o->w.len + sizeof crlf;
	return CPUU_OK;
}
