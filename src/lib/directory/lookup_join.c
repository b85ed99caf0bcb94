/* One paged pass over each directory, joined in memory by the normalized
 * correspondence key: the export and the X500 plan read both directories
 * once instead of one search per user. */
#include "directory/internal.h"
#include "cpuu/mapping.h"

#include <stdlib.h>
#include <string.h>

typedef struct obj_vec {
	dir_object *items;
	size_t count, cap;
	const dir_rules *rules;
	int target;
} obj_vec;

static int add_entry(void *user, const dir_entry *e)
{
	obj_vec *v = user;
	dir_object *grown = cpuu_array_reserve(v->items, &v->cap, v->count + 1, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	v->items = grown;
	int rc = dir_object_from_entry(&v->items[v->count], e, v->rules, v->target);
	if (rc == CPUU_OK)
		v->count++;
	return rc;
}

static int read_all(obj_vec *v, cpuu_ldap *ld, const dir_rules *r, int target)
{
	const char *attrs[DIR_MAX_ATTRS];
	dir_object_attrs(attrs, r);
	memset(v, 0, sizeof *v);
	v->rules = r;
	v->target = target;
	return dir_ldap_search(ld, DIR_MAIL_ENABLED, attrs, add_entry, v);
}

/* String -> list of indexes, chained hash table. */
typedef struct hnode {
	char *key;
	size_t *idx;
	size_t n;
	struct hnode *next;
} hnode;

typedef struct htab {
	hnode **b;
	size_t nb;
} htab;

static size_t hash(const char *s)
{
	return (size_t)cpuu_hash_str(CPUU_HASH_INIT, s);
}

static int htab_add(htab *t, char *key, size_t idx) /* takes key */
{
	size_t b = hash(key) % t->nb;
	hnode *n = t->b[b];
	while (n && strcmp(n->key, key))
		n = n->next;
	if (!n) {
		n = calloc(1, sizeof *n);
		if (!n) {
			free(key);
			return cpuu_error_oom();
		}
		n->key = key;
		n->next = t->b[b];
		t->b[b] = n;
	} else {
		free(key);
	}
	size_t *grown = cpuu_array_reserve(n->idx, NULL, n->n + 1, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	n->idx = grown;
	n->idx[n->n++] = idx;
	return CPUU_OK;
}

static const hnode *htab_get(const htab *t, const char *key)
{
	for (const hnode *n = t->b[hash(key) % t->nb]; n; n = n->next)
		if (!strcmp(n->key, key))
			return n;
	return NULL;
}

static void htab_free(htab *t)
{
	for (size_t i = 0; t->b && i < t->nb; i++) {
		hnode *n = t->b[i];
		while (n) {
			hnode *next = n->next;
			free(n->key);
			free(n->idx);
			free(n);
			n = next;
		}
	}
	free(t->b);
}

void dir_join_clear(dir_join *j)
{
	for (size_t i = 0; i < j->nsources; i++) {
		dir_object_clear(&j->sources[i]);
		if (j->cand)
			free(j->cand[i]);
	}
	for (size_t i = 0; i < j->ntargets; i++)
		dir_object_clear(&j->targets[i]);
	free(j->sources);
	free(j->targets);
	free(j->cand);
	free(j->ncand);
	memset(j, 0, sizeof *j);
}

int dir_join_build(dir_join *j, cpuu_directory *d)
{
	memset(j, 0, sizeof *j);
	obj_vec src, trg;
	int rc = read_all(&trg, d->target, &d->rules, 1);
	j->targets = trg.items;
	j->ntargets = trg.count;
	if (rc != CPUU_OK) {
		cpuu_error_prefix("target directory");
		dir_join_clear(j);
		return rc;
	}
	rc = read_all(&src, d->source, &d->rules, 0);
	j->sources = src.items;
	j->nsources = src.count;
	if (rc != CPUU_OK) {
		cpuu_error_prefix("source directory");
		dir_join_clear(j);
		return rc;
	}
	htab t = { NULL, j->ntargets + 1 };
	t.b = calloc(t.nb, sizeof *t.b);
	j->cand = calloc(j->nsources + 1, sizeof *j->cand);
	j->ncand = calloc(j->nsources + 1, sizeof *j->ncand);
	if (!t.b || !j->cand || !j->ncand) {
		free(t.b);
		dir_join_clear(j);
		return cpuu_error_oom();
	}
	for (size_t i = 0; rc == CPUU_OK && i < j->ntargets; i++) {
		char *k = dir_corr_key_of_target(&j->targets[i], &d->rules);
		if (k)
			rc = htab_add(&t, k, i);
	}
	for (size_t i = 0; rc == CPUU_OK && i < j->nsources; i++) {
		char *k = dir_corr_key_of_source(&j->sources[i], &d->rules);
		const hnode *n = k ? htab_get(&t, k) : NULL;
		free(k);
		if (!n)
			continue;
		j->cand[i] = malloc(n->n * sizeof *j->cand[i]);
		if (!j->cand[i]) {
			rc = cpuu_error_oom();
			break;
		}
		memcpy(j->cand[i], n->idx, n->n * sizeof *n->idx);
		j->ncand[i] = n->n;
	}
	htab_free(&t);
	if (rc != CPUU_OK)
		dir_join_clear(j);
	return rc;
}

void cpuu_matches_free(cpuu_match *rows, size_t count)
{
	for (size_t i = 0; rows && i < count; i++)
		cpuu_match_clear(&rows[i]);
	free(rows);
}

int cpuu_directory_export(cpuu_match **rows, size_t *count, cpuu_export_stats *stats,
			  cpuu_directory *d)
{
	*rows = NULL;
	*count = 0;
	cpuu_export_stats st = { 0 };
	dir_join j;
	int rc = dir_join_build(&j, d);
	if (rc != CPUU_OK)
		return rc;
	st.sources = j.nsources;
	st.targets = j.ntargets;
	size_t n = 0;
	for (size_t i = 0; i < j.nsources; i++)
		n += j.ncand[i] ? j.ncand[i] : 1;
	cpuu_match *out = calloc(n + 1, sizeof *out);
	if (!out) {
		dir_join_clear(&j);
		return cpuu_error_oom();
	}
	size_t k = 0;
	for (size_t i = 0; rc == CPUU_OK && i < j.nsources; i++) {
		const dir_object *s = &j.sources[i];
		if (j.ncand[i] == 0) {
			st.no_target++;
			rc = dir_match_fill(&out[k++], s, NULL, &d->rules);
			continue;
		}
		if (j.ncand[i] > 1) {
			st.ambiguous++;
		} else {
			const dir_object *t = &j.targets[j.cand[i][0]];
			if (t->legacy_dn || t->smtp)
				st.found++;
			else
				st.no_target++;
		}
		for (size_t c = 0; rc == CPUU_OK && c < j.ncand[i]; c++) {
			rc = dir_match_fill(&out[k++], s, &j.targets[j.cand[i][c]], &d->rules);
			/* Rows of an ambiguous source never say switched. */
			if (rc == CPUU_OK && j.ncand[i] > 1)
				out[k - 1].switched = 0;
		}
	}
	dir_join_clear(&j);
	if (rc != CPUU_OK) {
		cpuu_matches_free(out, k);
		return rc;
	}
	*rows = out;
	*count = k;
	if (stats)
		*stats = st;
	return CPUU_OK;
}

int cpuu_directory_export_file(cpuu_directory *d, const char *path, cpuu_export_stats *stats)
{
	cpuu_match *rows;
	size_t n;
	int rc = cpuu_directory_export(&rows, &n, stats, d);
	if (rc != CPUU_OK)
		return rc;
	rc = cpuu_mapping_write(path, rows, n);
	cpuu_matches_free(rows, n);
	/* Workstations may read the indexed companion instead of the whole CSV
	 * (docs/mapping-index.md); built from the file just written, so both
	 * answer the same. */
	char *idx = rc == CPUU_OK ? cpuu_mapping_index_path_for(path) : NULL;
	if (rc == CPUU_OK && !idx)
		rc = cpuu_error_oom();
	if (rc == CPUU_OK)
		rc = cpuu_mapping_index_build(NULL, NULL, idx, path);
	free(idx);
	return rc;
}
