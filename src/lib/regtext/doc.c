/* The in-memory document: building, freeing, comparing. */
#include "regtext/internal.h"

#include <stdlib.h>
#include <string.h>

/* Arrays carry no capacity field: they are reallocated when the count is a
 * power of two (from 4 when empty), so the capacity is implied by the count
 * (an array of one made elsewhere is safe too). */
static int grow(void **arr, size_t count, size_t elem)
{
	size_t cap = count ? 1 : 4;
	while (cap < count)
		cap *= 2;
	void *p = cpuu_array_reserve(*arr, &cap, count + 1, elem);
	if (!p)
		return cpuu_error_oom();
	*arr = p;
	return CPUU_OK;
}

int regtext_add_key(cpuu_regtext_key **out, cpuu_regtext *doc, const char *path, size_t path_len, int delete_key)
{
	int rc = grow((void **)&doc->keys, doc->nkeys, sizeof *doc->keys);
	if (rc)
		return rc;
	cpuu_regtext_key *k = &doc->keys[doc->nkeys];
	memset(k, 0, sizeof *k);
	k->path = cpuu_strndup(path, path_len);
	if (!k->path)
		return cpuu_error_oom();
	k->delete_key = delete_key;
	doc->nkeys++;
	*out = k;
	return CPUU_OK;
}

int regtext_add_value(cpuu_regtext_value **out, cpuu_regtext_key *key, const char *name, size_t name_len)
{
	int rc = grow((void **)&key->values, key->nvalues, sizeof *key->values);
	if (rc)
		return rc;
	cpuu_regtext_value *v = &key->values[key->nvalues];
	memset(v, 0, sizeof *v);
	v->name = cpuu_strndup(name, name_len);
	if (!v->name)
		return cpuu_error_oom();
	key->nvalues++;
	*out = v;
	return CPUU_OK;
}

void regtext_key_clear(cpuu_regtext_key *key)
{
	for (size_t i = 0; i < key->nvalues; i++) {
		free(key->values[i].name);
		free(key->values[i].data);
	}
	free(key->values);
	free(key->path);
	memset(key, 0, sizeof *key);
}

void cpuu_regtext_free(cpuu_regtext *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->nkeys; i++)
		regtext_key_clear(&doc->keys[i]);
	free(doc->keys);
	free(doc);
}

int regtext_value_equal(const cpuu_regtext_value *a, const cpuu_regtext_value *b)
{
	if (strcmp(a->name ? a->name : "", b->name ? b->name : "") != 0)
		return 0;
	if (!a->delete_value != !b->delete_value)
		return 0;
	if (a->delete_value)
		return 1; /* a deletion carries no data */
	if (a->type != b->type || a->len != b->len)
		return 0;
	return a->len == 0 || memcmp(a->data, b->data, a->len) == 0;
}

int cpuu_regtext_equal(const cpuu_regtext *a, const cpuu_regtext *b)
{
	if (!a || !b)
		return a == b;
	if (a->nkeys != b->nkeys)
		return 0;
	for (size_t i = 0; i < a->nkeys; i++) {
		const cpuu_regtext_key *ka = &a->keys[i], *kb = &b->keys[i];
		if (strcmp(ka->path, kb->path) != 0 || !ka->delete_key != !kb->delete_key ||
		    ka->nvalues != kb->nvalues)
			return 0;
		for (size_t j = 0; j < ka->nvalues; j++)
			if (!regtext_value_equal(&ka->values[j], &kb->values[j]))
				return 0;
	}
	return 1;
}

int regtext_name_cmp(const char *a, const char *b)
{
	return cpuu_strcasecmp_ascii(a, b);
}
