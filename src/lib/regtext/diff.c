/* A readable difference between two documents, for dry runs. Keys are
 * matched by path (case-insensitive, as Windows), values by name; a key that
 * appears several times in one document counts once, its later values
 * replacing earlier ones of the same name. See docs/reg-format.md. */
#include "regtext/internal.h"

#include <stdlib.h>
#include <string.h>

/* A key with its position, so that sorting needs no global context. */
typedef struct kref {
	const cpuu_regtext_key *k;
	size_t idx;
} kref;

typedef struct dkey {
	const cpuu_regtext_key *k; /* first occurrence: path, deletion flag */
	const cpuu_regtext_value **vals;
	size_t nvals, cap;
	size_t order;              /* position of the first occurrence */
	long match;                /* index of the same key in the other view, -1 */
} dkey;

typedef struct dview {
	dkey *keys;      /* in document order */
	size_t n;
	kref *sorted;    /* keys by identity; idx indexes keys */
} dview;

static int key_ident_cmp(const cpuu_regtext_key *a, const cpuu_regtext_key *b)
{
	if (!a->delete_key != !b->delete_key)
		return a->delete_key ? 1 : -1;
	return regtext_name_cmp(a->path, b->path);
}

static int kref_cmp(const void *pa, const void *pb)
{
	const kref *a = pa, *b = pb;
	int c = key_ident_cmp(a->k, b->k);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int dkey_by_order(const void *pa, const void *pb)
{
	const dkey *a = pa, *b = pb;
	return a->order < b->order ? -1 : a->order > b->order;
}

static void view_free(dview *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->keys[i].vals);
	free(v->keys);
	free(v->sorted);
	memset(v, 0, sizeof *v);
}

static int add_val(dkey *d, const cpuu_regtext_value *val)
{
	for (size_t i = 0; i < d->nvals; i++) {
		if (regtext_name_cmp(d->vals[i]->name, val->name) == 0) {
			d->vals[i] = val;
			return CPUU_OK;
		}
	}
	const cpuu_regtext_value **p = cpuu_array_reserve(d->vals, &d->cap, d->nvals + 1, sizeof *p);
	if (!p)
		return cpuu_error_oom();
	p[d->nvals++] = val;
	d->vals = p;
	return CPUU_OK;
}

static int view_build(dview *v, const cpuu_regtext *doc)
{
	memset(v, 0, sizeof *v);
	size_t n = doc ? doc->nkeys : 0;
	if (!n)
		return CPUU_OK;
	kref *idx = malloc(n * sizeof *idx);
	v->keys = calloc(n, sizeof *v->keys);
	if (!idx || !v->keys) {
		free(idx);
		view_free(v);
		return cpuu_error_oom();
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = (kref){ &doc->keys[i], i };
	qsort(idx, n, sizeof *idx, kref_cmp);
	for (size_t i = 0; i < n; i++) {
		const cpuu_regtext_key *k = idx[i].k;
		if (i == 0 || key_ident_cmp(idx[i - 1].k, k) != 0) {
			dkey *d = &v->keys[v->n++];
			d->k = k;
			d->order = idx[i].idx;
			d->match = -1;
		}
		dkey *d = &v->keys[v->n - 1];
		for (size_t j = 0; j < k->nvalues; j++) {
			if (add_val(d, &k->values[j])) {
				free(idx);
				view_free(v);
				return CPUU_ENOMEM;
			}
		}
	}
	free(idx);
	qsort(v->keys, v->n, sizeof *v->keys, dkey_by_order);
	v->sorted = malloc(v->n * sizeof *v->sorted);
	if (!v->sorted) {
		view_free(v);
		return cpuu_error_oom();
	}
	for (size_t i = 0; i < v->n; i++)
		v->sorted[i] = (kref){ v->keys[i].k, i };
	qsort(v->sorted, v->n, sizeof *v->sorted, kref_cmp);
	return CPUU_OK;
}

static long view_find(const dview *v, const cpuu_regtext_key *k)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_ident_cmp(v->sorted[mid].k, k);
		if (c == 0)
			return (long)v->sorted[mid].idx;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* One value line (possibly wrapped) with each physical line prefixed. */
static int put_prefixed_value(cpuu_buf *out, char mark, const cpuu_regtext_key *k, const cpuu_regtext_value *v)
{
	cpuu_buf t = { 0 };
	int rc = regtext_put_value(&t, k, v, "\n");
	if (rc || t.failed) {
		cpuu_buf_dispose(&t);
		return rc ? rc : cpuu_error_oom();
	}
	const char *p = t.data;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		cpuu_buf_append(out, &mark, 1);
		cpuu_buf_append(out, p, n);
		p += n;
	}
	cpuu_buf_dispose(&t);
	return CPUU_OK;
}

static void put_key_line(cpuu_buf *out, char mark, const cpuu_regtext_key *k)
{
	if (out->len)
		cpuu_buf_puts(out, "\n");
	cpuu_buf_append(out, &mark, 1);
	regtext_put_key(out, k, "\n");
}

/* A whole key added or removed, with its values. */
static int put_whole(cpuu_buf *out, char mark, const dkey *d)
{
	put_key_line(out, mark, d->k);
	for (size_t i = 0; i < d->nvals; i++) {
		int rc = put_prefixed_value(out, mark, d->k, d->vals[i]);
		if (rc)
			return rc;
	}
	return CPUU_OK;
}

static const cpuu_regtext_value *find_val(const dkey *d, const char *name)
{
	for (size_t i = 0; i < d->nvals; i++)
		if (regtext_name_cmp(d->vals[i]->name, name) == 0)
			return d->vals[i];
	return NULL;
}

/* A key in both documents: only its changed values, under a context line. */
static int put_changed(cpuu_buf *out, const dkey *b, const dkey *a)
{
	int header = 0, rc = CPUU_OK;
	for (size_t i = 0; i < b->nvals && !rc; i++) {
		const cpuu_regtext_value *old = b->vals[i], *new = find_val(a, old->name);
		if (new && regtext_value_equal(old, new))
			continue;
		if (!header++)
			put_key_line(out, ' ', a->k);
		rc = put_prefixed_value(out, '-', b->k, old);
		if (!rc && new)
			rc = put_prefixed_value(out, '+', a->k, new);
	}
	for (size_t i = 0; i < a->nvals && !rc; i++) {
		if (find_val(b, a->vals[i]->name))
			continue;
		if (!header++)
			put_key_line(out, ' ', a->k);
		rc = put_prefixed_value(out, '+', a->k, a->vals[i]);
	}
	return rc;
}

typedef struct orphan {
	long anchor;  /* index in after's view the removed key follows, -1 first */
	size_t index; /* index in before's view */
} orphan;

static int orphan_cmp(const void *pa, const void *pb)
{
	const orphan *a = pa, *b = pb;
	if (a->anchor != b->anchor)
		return a->anchor < b->anchor ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

int cpuu_regtext_diff(char **out, const cpuu_regtext *before, const cpuu_regtext *after)
{
	*out = NULL;
	dview vb, va;
	int rc = view_build(&vb, before);
	if (rc)
		return rc;
	rc = view_build(&va, after);
	if (rc) {
		view_free(&vb);
		return rc;
	}
	for (size_t i = 0; i < vb.n; i++) {
		vb.keys[i].match = view_find(&va, vb.keys[i].k);
		if (vb.keys[i].match >= 0)
			va.keys[vb.keys[i].match].match = (long)i;
	}
	/* Removed keys are shown after the nearest preceding key both share. */
	orphan *orph = malloc((vb.n ? vb.n : 1) * sizeof *orph);
	size_t norph = 0;
	cpuu_buf b = { 0 };
	if (!orph)
		rc = cpuu_error_oom();
	long anchor = -1;
	for (size_t i = 0; i < vb.n && !rc; i++) {
		if (vb.keys[i].match >= 0)
			anchor = vb.keys[i].match;
		else
			orph[norph++] = (orphan){ anchor, i };
	}
	if (!rc)
		qsort(orph, norph, sizeof *orph, orphan_cmp);
	size_t o = 0;
	for (; !rc && o < norph && orph[o].anchor < 0; o++)
		rc = put_whole(&b, '-', &vb.keys[orph[o].index]);
	for (size_t j = 0; j < va.n && !rc; j++) {
		const dkey *a = &va.keys[j];
		rc = a->match < 0 ? put_whole(&b, '+', a) : put_changed(&b, &vb.keys[a->match], a);
		for (; !rc && o < norph && orph[o].anchor == (long)j; o++)
			rc = put_whole(&b, '-', &vb.keys[orph[o].index]);
	}
	free(orph);
	view_free(&vb);
	view_free(&va);
	if (rc) {
		cpuu_buf_dispose(&b);
		return rc;
	}
	/* cpuu_buf_detach of a never-grown buffer is not NUL-terminated. */
	char *text = b.len ? cpuu_buf_detach(&b, NULL) : cpuu_strdup("");
	cpuu_buf_dispose(&b);
	if (!text)
		return cpuu_error_oom();
	*out = text;
	return CPUU_OK;
}
