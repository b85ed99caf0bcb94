/* Export of a registry subtree into a document, and applying a document to a
 * registry (through the registry layer's public API only). */
#include "regtext/internal.h"

#include <stdlib.h>
#include <string.h>

/* Windows limits key nesting to 512 levels; a deeper tree is a broken hive
 * (or a cycle), not something to recurse into forever. */
#define MAX_DEPTH 512

static int export_key(cpuu_regtext *doc, cpuu_reg *reg, const cpuu_reg_key *key, const char *path, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return cpuu_error_set(CPUU_ECORRUPT, "key %s: nested more than %d levels deep", path, MAX_DEPTH);
	cpuu_regtext_key *k;
	int rc = regtext_add_key(&k, doc, path, strlen(path), 0);
	if (rc)
		return rc;
	cpuu_reg_value *vals = NULL;
	size_t nvals = 0;
	rc = cpuu_reg_key_values(&vals, &nvals, reg, key);
	if (rc)
		return cpuu_error_prefix("export of %s", path);
	for (size_t i = 0; i < nvals && !rc; i++) {
		cpuu_regtext_value *v;
		rc = regtext_add_value(&v, k, vals[i].name ? vals[i].name : "", vals[i].name ? strlen(vals[i].name) : 0);
		if (rc)
			break;
		v->type = vals[i].type;
		v->len = vals[i].len;
		/* Take the data over instead of copying it. */
		v->data = vals[i].data;
		vals[i].data = NULL;
	}
	cpuu_reg_values_free(vals, nvals);
	if (rc)
		return rc;

	cpuu_strlist subs = { 0 };
	rc = cpuu_reg_key_subkeys(&subs, reg, key);
	if (rc)
		return cpuu_error_prefix("export of %s", path);
	for (size_t i = 0; i < subs.count && !rc; i++) {
		cpuu_reg_key *sub = NULL;
		char *subpath = cpuu_aprintf("%s\\%s", path, subs.items[i]);
		if (!subpath) {
			rc = cpuu_error_oom();
			break;
		}
		rc = cpuu_reg_key_open(&sub, reg, key, subs.items[i]);
		if (!rc)
			rc = export_key(doc, reg, sub, subpath, depth + 1);
		else
			cpuu_error_prefix("export of %s", subpath);
		cpuu_reg_key_free(sub);
		free(subpath);
	}
	cpuu_strlist_free(&subs);
	return rc;
}

int cpuu_regtext_export(cpuu_regtext **out, cpuu_reg *reg, const cpuu_reg_key *key, const char *path_prefix)
{
	*out = NULL;
	if (!reg || !key || !path_prefix || !*path_prefix)
		return cpuu_error_set(CPUU_EINVALID, "export needs a registry, a key and a path prefix");
	cpuu_regtext *doc = calloc(1, sizeof *doc);
	if (!doc)
		return cpuu_error_oom();
	doc->version = 5;
	int rc = export_key(doc, reg, key, path_prefix, 0);
	if (rc) {
		cpuu_regtext_free(doc);
		return rc;
	}
	*out = doc;
	return CPUU_OK;
}

/* The part of path below prefix ("" for the prefix itself), or NULL if path
 * is not prefix or below it. Case-insensitive as Windows (ASCII folding). */
static const char *below_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	while (n && prefix[n - 1] == '\\')
		n--;
	for (size_t i = 0; i < n; i++) {
		int a = (unsigned char)path[i], b = (unsigned char)prefix[i];
		if (a >= 'A' && a <= 'Z') a += 32;
		if (b >= 'A' && b <= 'Z') b += 32;
		if (a != b || a == 0)
			return NULL;
	}
	if (path[n] == '\0')
		return path + n;
	if (path[n] == '\\')
		return path + n + 1;
	return NULL;
}

static int check_relative(const cpuu_regtext_key *k, const char *rel)
{
	if (k->delete_key && !*rel)
		return cpuu_error_set(CPUU_EINVALID, "[-%s]: refusing to delete the root of the prefix", k->path);
	/* Empty components ("a\\\\b", trailing '\\') name no key. */
	const char *p = rel;
	while (*p) {
		size_t n = strcspn(p, "\\");
		if (n == 0)
			return cpuu_error_set(CPUU_EINVALID, "[%s]: empty key name in the path", k->path);
		p += n;
		if (*p == '\\') {
			p++;
			if (!*p)
				return cpuu_error_set(CPUU_EINVALID, "[%s]: path ends with '\\'", k->path);
		}
	}
	return CPUU_OK;
}

static int apply_key(cpuu_reg *reg, const cpuu_regtext_key *k, const char *rel)
{
	int rc;
	if (k->delete_key) {
		rc = cpuu_reg_key_delete(reg, NULL, rel);
		if (rc == CPUU_ENOTFOUND)
			return CPUU_OK; /* deleting what is absent is done (regedit agrees) */
		return rc ? cpuu_error_prefix("[-%s]", k->path) : CPUU_OK;
	}
	cpuu_reg_key *key = NULL;
	rc = *rel ? cpuu_reg_key_create(&key, reg, NULL, rel) : cpuu_reg_root(&key, reg);
	if (rc)
		return cpuu_error_prefix("[%s]", k->path);
	for (size_t i = 0; i < k->nvalues && !rc; i++) {
		const cpuu_regtext_value *v = &k->values[i];
		if (v->delete_value) {
			rc = cpuu_reg_value_delete(reg, key, v->name);
			if (rc == CPUU_ENOTFOUND)
				rc = CPUU_OK;
		} else {
			rc = cpuu_reg_value_set(reg, key, v->name, v->type, v->data, v->len);
		}
		if (rc)
			cpuu_error_prefix("[%s] value \"%s\"", k->path, v->name);
	}
	cpuu_reg_key_free(key);
	return rc;
}

int cpuu_regtext_apply(cpuu_reg *reg, const cpuu_regtext *doc, const char *path_prefix)
{
	if (!reg || !doc || !path_prefix || !*path_prefix)
		return cpuu_error_set(CPUU_EINVALID, "apply needs a registry, a document and a path prefix");
	/* Everything is checked before the first change. */
	for (size_t i = 0; i < doc->nkeys; i++) {
		const cpuu_regtext_key *k = &doc->keys[i];
		int rc = regtext_check_key(k);
		if (rc)
			return rc;
		const char *rel = below_prefix(k->path, path_prefix);
		if (!rel)
			return cpuu_error_set(CPUU_EINVALID, "key [%s%s] is outside %s; nothing applied",
					      k->delete_key ? "-" : "", k->path, path_prefix);
		rc = check_relative(k, rel);
		for (size_t j = 0; j < k->nvalues && !rc; j++)
			rc = regtext_check_value(k, &k->values[j]);
		if (rc)
			return cpuu_error_prefix("nothing applied");
	}
	for (size_t i = 0; i < doc->nkeys; i++) {
		const cpuu_regtext_key *k = &doc->keys[i];
		int rc = apply_key(reg, k, below_prefix(k->path, path_prefix));
		if (rc)
			return rc;
	}
	return CPUU_OK;
}
