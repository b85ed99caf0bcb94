/* Rollback's core: make a registry subtree exactly what a .reg backup says,
 * touching only the keys that differ (so keys the backup shares with the
 * registry keep their identity, and unchanged keys are not rewritten). */
#include "update/internal.h"
#include "cpuu/m365.h"

#include "cpuu/mapi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Registry path of a backup key path ("HKEY_CURRENT_USER\\a\\b" -> "a\\b"). */
static const char *reg_path(const char *doc_path)
{
	size_t n = strlen(UPD_ROOT_NAME);
	if (!strncmp(doc_path, UPD_ROOT_NAME, n) && doc_path[n] == '\\')
		return doc_path + n + 1;
	return NULL;
}

/* Is doc path p (registry form) top or below it? */
static int under(const char *p, const char *top)
{
	size_t n = strlen(top);
	return p && !strncasecmp(p, top, n) && (p[n] == '\0' || p[n] == '\\');
}

static int doc_has_key(const cpuu_regtext *doc, const char *path)
{
	for (size_t i = 0; i < doc->nkeys; i++) {
		const char *p = reg_path(doc->keys[i].path);
		if (p && !cpuu_strcasecmp_ascii(p, path))
			return 1;
	}
	return 0;
}

/* Collects every key path below (and including) path, parents first. */
static int walk(cpuu_strlist *out, cpuu_reg *reg, const char *path)
{
	int rc = cpuu_strlist_push(out, path);
	if (rc)
		return rc;
	cpuu_reg_key *k = NULL;
	if ((rc = cpuu_reg_key_open(&k, reg, NULL, path)))
		return rc;
	cpuu_strlist sub = { 0 };
	rc = cpuu_reg_key_subkeys(&sub, reg, k);
	cpuu_reg_key_free(k);
	for (size_t i = 0; !rc && i < sub.count; i++) {
		char *child = cpuu_aprintf("%s\\%s", path, sub.items[i]);
		rc = child ? walk(out, reg, child) : cpuu_error_oom();
		free(child);
	}
	cpuu_strlist_free(&sub);
	return rc;
}

/* Secure MAPI properties, and any value whose name looks like a credential
 * or token (an Office identity's, docs/m365.md): kept out of backups. */
static int is_secure(const char *name)
{
	uint32_t tag;
	int secure = 0;
	if (cpuu_m365_secret_name(name))
		return 1;
	/* Only "S"/"s" and 8 more characters can be a secure tag: other names
	 * skip the parse (and the error message it formats for a non-tag). */
	if (!name || (name[0] != 'S' && name[0] != 's') || strlen(name) != 9)
		return 0;
	return cpuu_mapi_tag_parse(&tag, &secure, name) == CPUU_OK && secure;
}

/* A value no backup may hold (issue 16): a secure MAPI property, an account
 * manager password, any DPAPI blob. cpuu never changes one, so Rollback
 * takes it from the hive as it finds it. */
static int is_secret(const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	return is_secure(name) || cpuu_reg_value_is_secret(name, type, data, len);
}

int upd_value_is_secret(const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	return is_secret(name, type, data, len);
}

/* The placeholder a backup holds for a secret: its name, no type, no data. */
static int is_placeholder(const cpuu_regtext_value *v)
{
	return v->type == CPUU_REG_NONE && v->len == 0 && !v->delete_value;
}

void upd_mask_secure(cpuu_regtext *doc)
{
	for (size_t i = 0; i < doc->nkeys; i++)
		for (size_t j = 0; j < doc->keys[i].nvalues; j++) {
			cpuu_regtext_value *v = &doc->keys[i].values[j];
			if (!is_secret(v->name, v->type, v->data, v->len))
				continue;
			memset(v->data, 0, v->len); /* not even in freed memory */
			free(v->data);
			v->data = calloc(1, 1);
			v->len = 0;
			v->type = CPUU_REG_NONE;
		}
	cpuu_error_clear();
}

/* The backup's values with the placeholders filled from the current values
 * (a secret gone since is left out). A placeholder is taken as one when its
 * name is a secret's or the current value is a secret; an empty REG_NONE
 * value that really was one (the current value no secret) stays as it is. */
static cpuu_regtext_key resolve_secure(const cpuu_regtext_key *want, const cpuu_reg_value *cur, size_t ncur,
				       cpuu_regtext_value *space)
{
	cpuu_regtext_key out = *want;
	out.values = space;
	out.nvalues = 0;
	for (size_t i = 0; i < want->nvalues; i++) {
		const cpuu_regtext_value *w = &want->values[i];
		int secret_name = is_secure(w->name) || cpuu_reg_value_is_secret(w->name, 0, NULL, 0);
		if (is_placeholder(w) && !secret_name) {
			for (size_t c = 0; c < ncur; c++)
				if (!strcmp(cur[c].name, w->name) &&
				    is_secret(cur[c].name, cur[c].type, cur[c].data, cur[c].len))
					secret_name = 1;
		}
		if (is_placeholder(w) && secret_name) {
			for (size_t c = 0; c < ncur; c++)
				if (!strcmp(cur[c].name, w->name)) {
					space[out.nvalues] = *w;
					space[out.nvalues].type = cur[c].type;
					space[out.nvalues].data = cur[c].data;
					space[out.nvalues].len = cur[c].len;
					out.nvalues++;
					break;
				}
			continue;
		}
		space[out.nvalues++] = *w;
	}
	cpuu_error_clear();
	return out;
}

static int values_equal(const cpuu_reg_value *cur, size_t ncur, const cpuu_regtext_key *want)
{
	if (ncur != want->nvalues)
		return 0;
	for (size_t i = 0; i < ncur; i++) {
		const cpuu_regtext_value *w = &want->values[i];
		if (strcmp(cur[i].name, w->name) || cur[i].type != w->type || cur[i].len != w->len ||
		    (w->len && memcmp(cur[i].data, w->data, w->len)))
			return 0;
	}
	return 1;
}

/* Sets the key's values to exactly want's, in want's order. */
static int sync_values(cpuu_reg *reg, const char *path, const cpuu_regtext_key *want_in, size_t *changes)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_create(&k, reg, NULL, path);
	if (rc)
		return rc;
	cpuu_reg_value *cur = NULL;
	size_t n = 0;
	rc = cpuu_reg_key_values(&cur, &n, reg, k);
	cpuu_regtext_value *space = rc ? NULL : calloc(want_in->nvalues ? want_in->nvalues : 1, sizeof *space);
	if (!rc && !space)
		rc = cpuu_error_oom();
	cpuu_regtext_key resolved = rc ? *want_in : resolve_secure(want_in, cur, n, space);
	const cpuu_regtext_key *want = &resolved;
	if (!rc && !values_equal(cur, n, want)) {
		(*changes)++;
		/* Deleting all and setting in order keeps the backup's value order. */
		for (size_t i = 0; !rc && i < n; i++)
			rc = cpuu_reg_value_delete(reg, k, cur[i].name);
		for (size_t i = 0; !rc && i < want->nvalues; i++)
			if (!want->values[i].delete_value)
				rc = cpuu_reg_value_set(reg, k, want->values[i].name, want->values[i].type,
							want->values[i].data, want->values[i].len);
	}
	/* The current values are read in full before any is deleted: the
	 * resolved list points into them until here. */
	free(space);
	cpuu_reg_values_free(cur, n);
	cpuu_reg_key_free(k);
	return rc;
}

int upd_restore_subtree(cpuu_reg *reg, const cpuu_regtext *doc, const char *top, size_t *changes)
{
	*changes = 0;
	size_t mine = 0;
	int absent = 0;
	for (size_t i = 0; i < doc->nkeys; i++) {
		const char *p = reg_path(doc->keys[i].path);
		if (!p)
			return cpuu_error_set(CPUU_EINVALID, "backup key [%s] is not under %s", doc->keys[i].path,
					      UPD_ROOT_NAME);
		if (!under(p, top))
			continue; /* another entry's part of the run's backup */
		/* [-top] records that the key did not exist before. */
		if (doc->keys[i].delete_key && !cpuu_strcasecmp_ascii(p, top)) {
			absent = 1;
			continue;
		}
		if (doc->keys[i].delete_key)
			return cpuu_error_set(CPUU_EINVALID, "backup key [-%s] is not a plain key", doc->keys[i].path);
		mine++;
	}
	if (absent && mine)
		return cpuu_error_set(CPUU_EINVALID, "the backup both holds and deletes %s\\%s", UPD_ROOT_NAME, top);
	if (absent) {
		int rc = cpuu_reg_key_delete(reg, NULL, top);
		if (rc == CPUU_ENOTFOUND) {
			cpuu_error_clear();
			return CPUU_OK;
		}
		*changes = rc ? 0 : 1;
		return rc;
	}
	if (mine == 0 || !doc_has_key(doc, top))
		return cpuu_error_set(CPUU_EINVALID, "the backup holds no key %s\\%s", UPD_ROOT_NAME, top);

	/* Keys that appeared since the backup go first (deepest last in the walk,
	 * so deleting a parent takes its children; skip those already gone). */
	cpuu_strlist now = { 0 };
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, top);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		rc = CPUU_OK;
	} else if (!rc) {
		cpuu_reg_key_free(k);
		rc = walk(&now, reg, top);
	}
	const char *deleted = NULL;
	for (size_t i = 0; !rc && i < now.count; i++) {
		const char *p = now.items[i];
		size_t dl = deleted ? strlen(deleted) : 0;
		if (deleted && !strncmp(p, deleted, dl) && p[dl] == '\\')
			continue;
		if (doc_has_key(doc, p))
			continue; /* kept: its values are synced below */
		rc = cpuu_reg_key_delete(reg, NULL, p);
		deleted = p;
		(*changes)++;
	}
	for (size_t i = 0; !rc && i < doc->nkeys; i++)
		if (under(reg_path(doc->keys[i].path), top))
			rc = sync_values(reg, reg_path(doc->keys[i].path), &doc->keys[i], changes);
	cpuu_strlist_free(&now);
	return rc;
}
