/* X500 proxies for the targets: the cure for IMCEAEX non-delivery reports
 * after a cross-organization move. Plan from one join of the directories,
 * write it as LDIF, apply it as LDAP modify/add; never remove anything. */
#include "directory/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct x500_item {
	char *dn;
	cpuu_strlist values; /* "X500:..." */
} x500_item;

struct cpuu_x500_plan {
	x500_item *items;
	size_t count;
	size_t values;
	size_t skipped;
};

void cpuu_x500_plan_free(cpuu_x500_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++) {
		free(p->items[i].dn);
		cpuu_strlist_free(&p->items[i].values);
	}
	free(p->items);
	free(p);
}

size_t cpuu_x500_plan_targets(const cpuu_x500_plan *p) { return p->count; }
size_t cpuu_x500_plan_values(const cpuu_x500_plan *p) { return p->values; }
size_t cpuu_x500_plan_skipped(const cpuu_x500_plan *p) { return p->skipped; }

/* Sorted lowercase addresses with their number of source owners. */
typedef struct owner_count {
	char **keys;
	size_t n;
} owner_count;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t owners(const owner_count *oc, const char *lower)
{
	char *const *hit = bsearch(&lower, oc->keys, oc->n, sizeof *oc->keys, cmp_str);
	if (!hit)
		return 0;
	size_t lo = (size_t)(hit - oc->keys), hi = lo;
	while (lo > 0 && !strcmp(oc->keys[lo - 1], lower))
		lo--;
	while (hi + 1 < oc->n && !strcmp(oc->keys[hi + 1], lower))
		hi++;
	return hi - lo + 1;
}

static int has_ci(const cpuu_strlist *l, const char *v)
{
	for (size_t i = 0; i < l->count; i++)
		if (!cpuu_strcasecmp_ascii(l->items[i], v))
			return 1;
	return 0;
}

/* Every address of source s, each once (lowercase; caller frees). */
static int source_addresses(cpuu_strlist *out, const dir_object *s)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i <= s->x500.count; i++) {
		const char *a = i == 0 ? s->legacy_dn : s->x500.items[i - 1];
		if (!a || !a[0] || has_ci(out, a))
			continue;
		char *l = dir_lower(a);
		if (!l || cpuu_strlist_push(out, l) != CPUU_OK) {
			free(l);
			cpuu_strlist_free(out);
			return cpuu_error_oom();
		}
		free(l);
	}
	return CPUU_OK;
}

int cpuu_x500_plan_build(cpuu_x500_plan **out, cpuu_directory *d)
{
	*out = NULL;
	dir_join j;
	int rc = dir_join_build(&j, d);
	if (rc != CPUU_OK)
		return rc;
	cpuu_x500_plan *p = calloc(1, sizeof *p);
	owner_count oc = { 0 };
	if (!p) {
		dir_join_clear(&j);
		return cpuu_error_oom();
	}
	/* Count owners first: an address two sources claim is ambiguous. */
	for (size_t i = 0; rc == CPUU_OK && i < j.nsources; i++) {
		cpuu_strlist addrs;
		if ((rc = source_addresses(&addrs, &j.sources[i])) != CPUU_OK)
			break;
		char **grown = cpuu_array_reserve(oc.keys, NULL, oc.n + addrs.count + 1, sizeof *grown);
		if (!grown) {
			cpuu_strlist_free(&addrs);
			rc = cpuu_error_oom();
			break;
		}
		oc.keys = grown;
		for (size_t k = 0; k < addrs.count; k++)
			oc.keys[oc.n++] = addrs.items[k];
		free(addrs.items); /* the strings moved to oc */
	}
	if (rc == CPUU_OK && oc.n)
		qsort(oc.keys, oc.n, sizeof *oc.keys, cmp_str);

	/* A target may be the single target of several sources only through
	 * bad data; merge its additions so one modify covers it. */
	for (size_t i = 0; rc == CPUU_OK && i < j.nsources; i++) {
		if (j.ncand[i] != 1)
			continue; /* no target, or ambiguous: never act */
		const dir_object *s = &j.sources[i];
		const dir_object *t = &j.targets[j.cand[i][0]];
		cpuu_strlist addrs;
		if ((rc = source_addresses(&addrs, s)) != CPUU_OK)
			break;
		x500_item *item = NULL;
		for (size_t k = 0; k < p->count; k++)
			if (!strcmp(p->items[k].dn, t->dn))
				item = &p->items[k];
		for (size_t k = 0; rc == CPUU_OK && k < addrs.count; k++) {
			/* Keep the source's own spelling, not the lowercase key. */
			const char *orig = NULL;
			for (size_t m = 0; m <= s->x500.count && !orig; m++) {
				const char *a = m == 0 ? s->legacy_dn : s->x500.items[m - 1];
				if (a && !cpuu_strcasecmp_ascii(a, addrs.items[k]))
					orig = a;
			}
			char *value = cpuu_aprintf("X500:%s", orig);
			if (!value) {
				rc = cpuu_error_oom();
				break;
			}
			if (owners(&oc, addrs.items[k]) > 1) {
				p->skipped++;
			} else if (!has_ci(&t->proxies, value) && !(item && has_ci(&item->values, value))) {
				if (!item) {
					x500_item *grown = cpuu_array_reserve(p->items, NULL, p->count + 1, sizeof *grown);
					if (!grown) {
						free(value);
						rc = cpuu_error_oom();
						break;
					}
					p->items = grown;
					item = &p->items[p->count];
					memset(item, 0, sizeof *item);
					if (!(item->dn = cpuu_strdup(t->dn))) {
						free(value);
						rc = cpuu_error_oom();
						break;
					}
					p->count++;
				}
				rc = cpuu_strlist_push(&item->values, value);
				if (rc == CPUU_OK)
					p->values++;
			}
			free(value);
		}
		cpuu_strlist_free(&addrs);
	}
	for (size_t k = 0; k < oc.n; k++)
		free(oc.keys[k]);
	free(oc.keys);
	dir_join_clear(&j);
	if (rc != CPUU_OK) {
		cpuu_x500_plan_free(p);
		return rc;
	}
	*out = p;
	return CPUU_OK;
}

/* RFC 2849: a SAFE-STRING starts with neither space, ':' nor '<', holds only
 * ASCII 1-127 except CR/LF, and should not end with a space. */
static int ldif_safe(const char *v)
{
	if (!v[0])
		return 1;
	if (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[strlen(v) - 1] == ' ')
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p > 126 || *p == '\r' || *p == '\n' || *p < 32)
			return 0;
	return 1;
}

/* "name: value" or "name:: base64", folded at 76 columns. */
static void ldif_attr(cpuu_buf *b, const char *name, const char *value)
{
	cpuu_buf line = { 0 };
	cpuu_buf_puts(&line, name);
	if (ldif_safe(value)) {
		cpuu_buf_puts(&line, ": ");
		cpuu_buf_puts(&line, value);
	} else {
		char *enc = dir_base64(value, strlen(value));
		cpuu_buf_puts(&line, ":: ");
		if (enc)
			cpuu_buf_puts(&line, enc);
		else
			line.failed = true;
		free(enc);
	}
	if (line.failed) {
		b->failed = true;
		cpuu_buf_dispose(&line);
		return;
	}
	for (size_t off = 0; off < line.len;) {
		size_t room = off == 0 ? 76 : 75;
		size_t n = line.len - off < room ? line.len - off : room;
		if (off)
			cpuu_buf_puts(b, " ");
		cpuu_buf_append(b, line.data + off, n);
		cpuu_buf_puts(b, "\n");
		off += n;
	}
	cpuu_buf_dispose(&line);
}


int cpuu_x500_plan_write_ldif(const cpuu_x500_plan *p, const char *path)
{
	cpuu_buf b = { 0 };
	cpuu_buf_puts(&b, "version: 1\n");
	cpuu_buf_printf(&b, "# cpuu map x500: %zu value(s) to add to %zu target(s)\n", p->values, p->count);
	for (size_t i = 0; i < p->count; i++) {
		cpuu_buf_puts(&b, "\n");
		ldif_attr(&b, "dn", p->items[i].dn);
		cpuu_buf_puts(&b, "changetype: modify\nadd: proxyAddresses\n");
		for (size_t k = 0; k < p->items[i].values.count; k++)
			ldif_attr(&b, "proxyAddresses", p->items[i].values.items[k]);
		cpuu_buf_puts(&b, "-\n");
	}
	size_t len;
	char *data = cpuu_buf_detach(&b, &len);
	if (!data)
		return CPUU_ENOMEM;
	int rc = cpuu_file_write_atomic(path, data, len, 0);
	free(data);
	return rc;
}

int cpuu_x500_plan_apply(size_t *added, const cpuu_x500_plan *p, cpuu_directory *d)
{
	*added = 0;
	for (size_t i = 0; i < p->count; i++) {
		const x500_item *it = &p->items[i];
		int exists = 0;
		int rc = dir_ldap_add_values(&exists, d->target, it->dn, "proxyAddresses",
					     (const char *const *)it->values.items, it->values.count);
		if (rc != CPUU_OK)
			return rc;
		if (!exists) {
			*added += it->values.count;
			continue;
		}
		/* One of the values appeared since the plan: add one by one. */
		for (size_t k = 0; k < it->values.count; k++) {
			const char *one[1] = { it->values.items[k] };
			rc = dir_ldap_add_values(&exists, d->target, it->dn, "proxyAddresses", one, 1);
			if (rc != CPUU_OK)
				return rc;
			if (!exists)
				(*added)++;
		}
	}
	return CPUU_OK;
}
