/* The hivex backend: navigation, reads, and buffered value changes. */
#include "registry/hive.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *err_text(int e)
{
	return e ? strerror(e) : "unknown error";
}

static void hive_close(void *impl)
{
	hive_impl *hi = impl;
	if (!hi)
		return;
	for (size_t i = 0; i < hi->npend; i++)
		cpuu_reg_values_free(hi->pend[i].vals, hi->pend[i].count);
	free(hi->pend);
	free(hi->pend_slots);
	if (hi->h)
		hivex_close(hi->h); /* drops uncommitted work, by design */
	cpuu_hive_commit_abort(hi); /* a prepared commit never finished: drop its temp */
	if (hi->dirfd >= 0)
		cpuu_hive_lock_release(&hi->lock, hi->dirfd); /* after the temp is gone */
	if (hi->fd >= 0)
		close(hi->fd);
	if (hi->dirfd >= 0)
		close(hi->dirfd);
	free(hi->base);
	free(hi->path);
	free(hi->last_backup);
	cpuu_hive_raw_drop(hi);
	hive_cache_clear(&hi->cache);
	free(hi);
}

/* The root key: from the checked image's header while hivex is not open
 * (the check found an nk cell there; hivex_root gives the same offset). */
static hive_node_h hive_root_node(hive_impl *hi)
{
	if (!hi->h && hi->raw.d)
		return (hive_node_h)(cpuu_le32(hi->raw.d + 36) + 0x1000u);
	if (cpuu_hive_hivex(hi))
		return 0;
	return hivex_root(hi->h);
}

static int hive_root(cpuu_reg_node *node, char **name, void *impl)
{
	hive_impl *hi = impl;
	hive_node_h r = hive_root_node(hi);
	if (!r)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: no root key: %s", hi->path, err_text(errno));
	*node = r;
	if (name) {
		int raw = hive_raw_has_key(&hi->raw, r), hrc;
		if (!raw && (hrc = cpuu_hive_hivex(hi)))
			return hrc;
		*name = raw ? hive_raw_key_name(&hi->raw, r) : hivex_node_name(hi->h, r);
		if (!*name)
			return cpuu_error_set(CPUU_ECORRUPT, "%s: unreadable root key name: %s", hi->path, err_text(errno));
	}
	return CPUU_OK;
}

static int hive_child(cpuu_reg_node *out, char **stored_name, void *impl, cpuu_reg_node parent, const char *name)
{
	hive_impl *hi = impl;
	hive_node_h found = 0;
	uint64_t cached_node;
	const char *cached_name;
	int ascii = cpuu_reg_is_ascii(name);
	if (ascii &&
	    hive_cache_get(&hi->cache, hi->generation, (uint64_t)parent, name, &cached_node, &cached_name)) {
		if (stored_name && !(*stored_name = cpuu_strdup(cached_name)))
			return cpuu_error_oom();
		*out = (cpuu_reg_node)cached_node;
		return CPUU_OK;
	}
	int raw_lists = hive_raw_lists_ok(&hi->raw, parent), rc;
	if (ascii && raw_lists) {
		found = (hive_node_h)hive_raw_child(&hi->raw, parent, name);
	} else if (raw_lists) {
		uint64_t *kids = NULL;
		size_t n = 0;
		rc = hive_raw_children(&kids, &n, &hi->raw, parent);
		if (rc)
			return rc;
		for (size_t i = 0; i < n && !found; i++) {
			char *kn = hive_raw_key_name(&hi->raw, kids[i]);
			if (!kn) {
				free(kids);
				return cpuu_error_oom();
			}
			if (cpuu_reg_name_cmp(kn, name) == 0)
				found = (hive_node_h)kids[i];
			free(kn);
		}
		free(kids);
	} else if ((rc = cpuu_hive_hivex(hi))) {
		return rc;
	} else if (ascii) {
		errno = 0;
		found = hivex_node_get_child(hi->h, (hive_node_h)parent, name);
		if (!found && errno)
			return cpuu_error_set(CPUU_ECORRUPT, "%s: cannot look up subkey '%s': %s", hi->path, name,
					      err_text(errno));
	} else {
		/* hivex folds ASCII only: compare non-ASCII names ourselves. */
		hive_node_h *kids = hivex_node_children(hi->h, (hive_node_h)parent);
		if (!kids)
			return cpuu_error_set(CPUU_ECORRUPT, "%s: cannot list subkeys: %s", hi->path, err_text(errno));
		for (size_t i = 0; kids[i] && !found; i++) {
			char *n = hivex_node_name(hi->h, kids[i]);
			if (n && cpuu_reg_name_cmp(n, name) == 0)
				found = kids[i];
			free(n);
		}
		free(kids);
	}
	if (!found)
		return CPUU_ENOTFOUND; /* the caller names the whole path (registry.c) */
	char *stored = hive_raw_has_key(&hi->raw, found) ? hive_raw_key_name(&hi->raw, found)
							 : hivex_node_name(hi->h, found);
	if (!stored)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: unreadable key name under '%s': %s", hi->path, name,
				      err_text(errno));
	if (ascii)
		hive_cache_put(&hi->cache, hi->generation, (uint64_t)parent, name, (uint64_t)found, stored);
	if (stored_name)
		*stored_name = stored;
	else
		free(stored);
	*out = found;
	return CPUU_OK;
}

static int hive_add_child(cpuu_reg_node *out, void *impl, cpuu_reg_node parent, const char *name)
{
	hive_impl *hi = impl;
	/* hivex hashes the UTF-8 bytes for lh lists where Windows hashes UTF-16
	 * upcased characters, so only ASCII names get a hash Windows agrees with. */
	if (!cpuu_reg_is_ascii(name))
		return cpuu_error_set(CPUU_EUNSUPPORTED,
				      "cannot create key '%s': non-ASCII key names are not written correctly by hivex",
				      name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return cpuu_error_set(CPUU_EINVALID, "cannot create key '%s': control character in name", name);
	int rc = cpuu_hive_hivex(hi);
	if (rc)
		return rc;
	/* Only the parent's subkey list changes in hivex's copy: the image
	 * still answers for everything else. */
	if (hive_raw_touch(&hi->raw, parent) != 0)
		cpuu_hive_raw_drop(hi);
	errno = 0;
	hive_node_h n = hivex_node_add_child(hi->h, (hive_node_h)parent, name);
	if (!n)
		return cpuu_error_set(CPUU_ERROR, "%s: cannot create key '%s': %s", hi->path, name, err_text(errno));
	hi->structural = 1;
	*out = n;
	return CPUU_OK;
}

static int node_is_under(hive_impl *hi, hive_node_h n, hive_node_h top)
{
	hive_node_h root = hivex_root(hi->h);
	for (int depth = 0; depth < 4096 && n; depth++) {
		if (n == top)
			return 1;
		if (n == root)
			return 0;
		n = hivex_node_parent(hi->h, n);
	}
	return 0;
}

static int hive_delete_child(void *impl, cpuu_reg_node parent, cpuu_reg_node child)
{
	hive_impl *hi = impl;
	(void)parent;
	int rc = cpuu_hive_hivex(hi);
	if (rc)
		return rc;
	if ((hive_node_h)child == hivex_root(hi->h))
		return cpuu_error_set(CPUU_EINVALID, "cannot delete the root key");
	/* Buffered values of the doomed subtree must not be flushed later onto
	 * nodes that no longer exist. */
	for (size_t i = 0; i < hi->npend;) {
		if (node_is_under(hi, hi->pend[i].node, (hive_node_h)child)) {
			cpuu_reg_values_free(hi->pend[i].vals, hi->pend[i].count);
			hi->pend[i] = hi->pend[--hi->npend];
			hi->pend_stale = 1;
		} else {
			i++;
		}
	}
	cpuu_hive_raw_drop(hi);
	errno = 0;
	if (hivex_node_delete_child(hi->h, (hive_node_h)child) == -1) {
		/* hivex may have freed part of the subtree before failing. */
		hi->generation++;
		hi->broken = 1;
		return cpuu_error_set(CPUU_ERROR, "%s: cannot delete key: %s", hi->path, err_text(errno));
	}
	hi->generation++;
	hi->structural = 1;
	return CPUU_OK;
}

/* The names decoded from the image go into the list as they are: one
 * allocation per name and one for the list, no copies. */
static int raw_subkeys(cpuu_strlist *out, hive_impl *hi, cpuu_reg_node node)
{
	uint64_t *kids = NULL;
	size_t n = 0;
	int rc = hive_raw_children(&kids, &n, &hi->raw, node);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	if (n && !(out->items = calloc(n, sizeof *out->items)))
		rc = cpuu_error_oom();
	for (size_t i = 0; i < n && rc == CPUU_OK; i++) {
		if (!(out->items[i] = hive_raw_key_name(&hi->raw, kids[i])))
			rc = cpuu_error_oom();
		else
			out->count++;
	}
	free(kids);
	if (rc)
		cpuu_strlist_free(out);
	return rc;
}

static int hive_subkeys(cpuu_strlist *out, void *impl, cpuu_reg_node node)
{
	hive_impl *hi = impl;
	if (hive_raw_lists_ok(&hi->raw, node))
		return raw_subkeys(out, hi, node);
	int hrc = cpuu_hive_hivex(hi);
	if (hrc)
		return hrc;
	errno = 0;
	hive_node_h *kids = hivex_node_children(hi->h, (hive_node_h)node);
	if (!kids)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: cannot list subkeys: %s", hi->path, err_text(errno));
	int rc = CPUU_OK;
	for (size_t i = 0; kids[i] && rc == CPUU_OK; i++) {
		char *n = hivex_node_name(hi->h, kids[i]);
		if (!n)
			rc = cpuu_error_set(CPUU_ECORRUPT, "%s: unreadable subkey name: %s", hi->path, err_text(errno));
		else if (cpuu_strlist_push(out, n) != 0)
			rc = cpuu_error_oom();
		free(n);
	}
	free(kids);
	if (rc)
		cpuu_strlist_free(out);
	return rc;
}

/* Data buffers are never NULL (1 byte for empty values) so callers may
 * memcmp/memcpy without special cases. Data and name share one allocation
 * (name_in_data): a value read is one malloc, not two. */
static int value_fill(cpuu_reg_value *dst, const char *name, size_t lname, uint32_t type, const uint8_t *data,
		      size_t len)
{
	memset(dst, 0, sizeof *dst);
	uint8_t *b = malloc(len + lname + 1);
	if (!b)
		return cpuu_error_oom();
	if (len)
		memcpy(b, data, len);
	memcpy(b + len, name, lname + 1);
	dst->data = b;
	dst->len = len;
	dst->type = type;
	dst->name = (char *)b + len;
	dst->name_in_data = 1;
	return CPUU_OK;
}

static int value_copy(cpuu_reg_value *dst, const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	return value_fill(dst, name, strlen(name), type, data, len);
}

/* From the checked image while it is hivex's too (hive_raw.c). */
static int read_raw_value(cpuu_reg_value *out, hive_impl *hi, hive_value_h v)
{
	return hive_raw_value_read(out, &hi->raw, v); /* 1: hivex's answer needed */
}

/* v: a value of a key of the image (raw) or of hivex's copy. */
static int read_hivex_value(cpuu_reg_value *out, hive_impl *hi, hive_value_h v, int raw)
{
	if (raw) {
		int rc = read_raw_value(out, hi, v);
		if (rc <= 0)
			return rc;
	}
	memset(out, 0, sizeof *out);
	int hrc = cpuu_hive_hivex(hi);
	if (hrc)
		return hrc;
	errno = 0;
	char *name = hivex_value_key(hi->h, v);
	if (!name)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: unreadable value name: %s", hi->path, err_text(errno));
	hive_type t = 0;
	size_t len = 0;
	errno = 0;
	char *data = hivex_value_value(hi->h, v, &t, &len);
	if (!data && (errno || len)) {
		int rc = cpuu_error_set(CPUU_ECORRUPT, "%s: unreadable data of value '%s': %s", hi->path, name,
					err_text(errno));
		free(name);
		return rc;
	}
	out->name = name;
	out->type = (uint32_t)t;
	out->len = len;
	out->data = (uint8_t *)data;
	if (!out->data && !(out->data = malloc(1))) {
		cpuu_reg_value_clear(out);
		return cpuu_error_oom();
	}
	return CPUU_OK;
}

static int read_all_values(cpuu_reg_value **out, size_t *count, hive_impl *hi, hive_node_h node)
{
	*out = NULL;
	*count = 0;
	size_t n = 0;
	hive_value_h *vs = NULL;
	int raw = hive_raw_has_key(&hi->raw, node);
	if (raw) {
		int rrc = hive_raw_values(&vs, &n, &hi->raw, node);
		if (rrc)
			return rrc;
	} else {
		int hrc = cpuu_hive_hivex(hi);
		if (hrc)
			return hrc;
		errno = 0;
		vs = hivex_node_values(hi->h, node);
		if (!vs)
			return cpuu_error_set(CPUU_ECORRUPT, "%s: cannot list values: %s", hi->path, err_text(errno));
		while (vs[n])
			n++;
	}
	cpuu_reg_value *arr = calloc(n ? n : 1, sizeof *arr);
	if (!arr) {
		free(vs);
		return cpuu_error_oom();
	}
	int rc = CPUU_OK;
	size_t i;
	for (i = 0; i < n && rc == CPUU_OK; i++)
		rc = read_hivex_value(&arr[i], hi, vs[i], raw);
	free(vs);
	if (rc) {
		cpuu_reg_values_free(arr, i);
		return rc;
	}
	*out = arr;
	*count = n;
	return CPUU_OK;
}

/* Every key read or changed has a buffer, so finding one must not scan. */
static size_t node_hash(hive_node_h node)
{
	uint64_t h = (uint64_t)node * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17);
}

static void pend_slot_put(hive_impl *hi, size_t index)
{
	size_t mask = hi->pend_nslots - 1, i = node_hash(hi->pend[index].node) & mask;
	while (hi->pend_slots[i])
		i = (i + 1) & mask;
	hi->pend_slots[i] = index + 1;
}

static int pend_slots_rebuild(hive_impl *hi)
{
	size_t n = 16;
	while (n < hi->npend * 2 + 2)
		n *= 2;
	if (n != hi->pend_nslots) {
		size_t *slots = calloc(n, sizeof *slots);
		if (!slots)
			return -1;
		free(hi->pend_slots);
		hi->pend_slots = slots;
		hi->pend_nslots = n;
	} else {
		memset(hi->pend_slots, 0, n * sizeof *hi->pend_slots);
	}
	for (size_t i = 0; i < hi->npend; i++)
		pend_slot_put(hi, i);
	hi->pend_stale = 0;
	return 0;
}

static hive_pending *pending_find(hive_impl *hi, hive_node_h node)
{
	if (hi->pend_stale && pend_slots_rebuild(hi) != 0) {
		for (size_t i = 0; i < hi->npend; i++) /* no memory for the index: scan */
			if (hi->pend[i].node == node)
				return &hi->pend[i];
		return NULL;
	}
	if (!hi->pend_nslots)
		return NULL;
	size_t mask = hi->pend_nslots - 1;
	for (size_t i = node_hash(node) & mask; hi->pend_slots[i]; i = (i + 1) & mask)
		if (hi->pend[hi->pend_slots[i] - 1].node == node)
			return &hi->pend[hi->pend_slots[i] - 1];
	return NULL;
}

/* Re-setting a key's values rewrites every one of them as a single cell; in
 * regf >= 1.4 a value above 16344 bytes lives in big-data segments, which
 * hivex cannot write back. Checked before a key's first change. */
static int pending_check_writable(const hive_impl *hi, const hive_pending *p)
{
	if (p->changed || hi->minor <= 3)
		return CPUU_OK;
	for (size_t i = 0; i < p->count; i++)
		if (p->vals[i].len > CPUU_REG_MAX_VALUE_LEN)
			return cpuu_error_set(CPUU_EUNSUPPORTED,
					      "cannot change values of this key: value '%s' holds %zu bytes (big data) that "
					      "hivex would rewrite without big-data cells", p->vals[i].name, p->vals[i].len);
	return CPUU_OK;
}

/* The key's buffer, loaded from hivex on first use. Reads load it too: a
 * profile run reads the same sections several times (profile model, plan,
 * backup), and hivex converts every value name through iconv on each read.
 * An unchanged buffer is never written back. */
static int pending_load(hive_pending **out, hive_impl *hi, hive_node_h node)
{
	hive_pending *p = pending_find(hi, node);
	if (p) {
		*out = p;
		return CPUU_OK;
	}
	cpuu_reg_value *vals;
	size_t n;
	int rc = read_all_values(&vals, &n, hi, node);
	if (rc)
		return rc;
	hive_pending *np = cpuu_array_reserve(hi->pend, &hi->cappend, hi->npend + 1, sizeof *np);
	if (!np) {
		cpuu_reg_values_free(vals, n);
		return cpuu_error_oom();
	}
	hi->pend = np;
	p = &hi->pend[hi->npend++];
	p->node = node;
	p->vals = vals;
	p->count = n;
	p->cap = n ? n : 1;
	p->changed = 0;
	if (!hi->pend_stale && hi->npend * 2 + 2 <= hi->pend_nslots)
		pend_slot_put(hi, hi->npend - 1);
	else
		hi->pend_stale = 1;
	*out = p;
	return CPUU_OK;
}

static int hive_values(cpuu_reg_value **out, size_t *count, void *impl, cpuu_reg_node node)
{
	hive_impl *hi = impl;
	hive_pending *p;
	int lrc = pending_load(&p, hi, (hive_node_h)node);
	if (lrc)
		return lrc;
	cpuu_reg_value *arr = calloc(p->count ? p->count : 1, sizeof *arr);
	if (!arr)
		return cpuu_error_oom();
	for (size_t i = 0; i < p->count; i++) {
		int rc = value_copy(&arr[i], p->vals[i].name, p->vals[i].type, p->vals[i].data, p->vals[i].len);
		if (rc) {
			cpuu_reg_values_free(arr, i);
			return rc;
		}
	}
	*out = arr;
	*count = p->count;
	return CPUU_OK;
}

/* The key's buffer itself: it changes only through value set/delete, key
 * deletion and flush, the changes after which a view is no longer valid. */
static int hive_values_view(const cpuu_reg_value **out, size_t *count, void *impl, cpuu_reg_node node)
{
	hive_pending *p;
	int rc = pending_load(&p, impl, (hive_node_h)node);
	if (rc)
		return rc;
	*out = p->vals;
	*count = p->count;
	return CPUU_OK;
}

static ssize_t pending_index(const hive_pending *p, const char *name)
{
	for (size_t i = 0; i < p->count; i++)
		if (cpuu_reg_name_cmp(p->vals[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int hive_value_get(cpuu_reg_value *out, void *impl, cpuu_reg_node node, const char *name)
{
	hive_impl *hi = impl;
	hive_pending *p = pending_find(hi, (hive_node_h)node);
	if (p) {
		ssize_t i = pending_index(p, name);
		if (i < 0)
			return CPUU_ENOTFOUND;
		return value_copy(out, p->vals[i].name, p->vals[i].type, p->vals[i].data, p->vals[i].len);
	}
	if (cpuu_reg_is_ascii(name)) {
		int raw = hive_raw_has_key(&hi->raw, node), hrc;
		if (!raw && (hrc = cpuu_hive_hivex(hi)))
			return hrc;
		errno = 0;
		hive_value_h v = raw ? (hive_value_h)hive_raw_value_find(&hi->raw, node, name)
				     : hivex_node_get_value(hi->h, (hive_node_h)node, name);
		if (!v) {
			if (errno)
				return cpuu_error_set(CPUU_ECORRUPT, "%s: cannot look up value: %s", hi->path,
						      err_text(errno));
			return CPUU_ENOTFOUND;
		}
		return read_hivex_value(out, hi, v, raw);
	}
	cpuu_reg_value *vals;
	size_t n;
	int rc = read_all_values(&vals, &n, hi, (hive_node_h)node);
	if (rc)
		return rc;
	rc = CPUU_ENOTFOUND;
	for (size_t i = 0; i < n; i++) {
		if (cpuu_reg_name_cmp(vals[i].name, name) == 0) {
			*out = vals[i];
			memset(&vals[i], 0, sizeof vals[i]);
			rc = CPUU_OK;
			break;
		}
	}
	cpuu_reg_values_free(vals, n);
	return rc;
}

static int hive_value_set(void *impl, cpuu_reg_node node, const char *name, uint32_t type,
			  const uint8_t *data, size_t len)
{
	hive_impl *hi = impl;
	if (len > CPUU_REG_MAX_VALUE_LEN)
		return cpuu_error_set(CPUU_EUNSUPPORTED,
				      "%zu bytes of data: values over %u bytes need big-data cells, which hivex does not write",
				      len, CPUU_REG_MAX_VALUE_LEN);
	hive_pending *p;
	int rc = pending_load(&p, hi, (hive_node_h)node);
	if (!rc)
		rc = pending_check_writable(hi, p);
	if (rc)
		return rc;
	ssize_t i = pending_index(p, name);
	if (i >= 0) {
		cpuu_reg_value *v = &p->vals[i];
		if (v->type == type && v->len == len && (len == 0 || memcmp(v->data, data, len) == 0))
			return CPUU_OK; /* same value: nothing to write */
		/* The name may live in the old data's allocation: a new value. */
		cpuu_reg_value nv;
		if ((rc = value_fill(&nv, v->name, strlen(v->name), type, data, len)))
			return rc;
		cpuu_reg_value_clear(v);
		*v = nv;
		p->changed = 1;
		return CPUU_OK;
	}
	cpuu_reg_value *nv = cpuu_array_reserve(p->vals, &p->cap, p->count + 1, sizeof *nv);
	if (!nv)
		return cpuu_error_oom();
	p->vals = nv;
	if ((rc = value_copy(&p->vals[p->count], name, type, data, len)))
		return rc;
	p->count++;
	p->changed = 1;
	return CPUU_OK;
}

static int hive_value_delete(void *impl, cpuu_reg_node node, const char *name)
{
	hive_impl *hi = impl;
	hive_pending *p = pending_find(hi, (hive_node_h)node);
	if (!p) {
		cpuu_reg_value probe;
		int rc = hive_value_get(&probe, impl, node, name);
		if (rc)
			return rc;
		cpuu_reg_value_clear(&probe);
		if ((rc = pending_load(&p, hi, (hive_node_h)node)))
			return rc;
	}
	ssize_t i = pending_index(p, name);
	if (i < 0)
		return CPUU_ENOTFOUND;
	int wrc = pending_check_writable(hi, p);
	if (wrc)
		return wrc;
	cpuu_reg_value_clear(&p->vals[i]);
	memmove(&p->vals[i], &p->vals[i + 1], (p->count - (size_t)i - 1) * sizeof *p->vals);
	p->count--;
	p->changed = 1;
	return CPUU_OK;
}

void cpuu_hive_raw_drop(hive_impl *hi)
{
	cpuu_hive_image_free(hi->raw.d, hi->raw.size);
	free(hi->raw.touched);
	memset(&hi->raw, 0, sizeof hi->raw);
}

int cpuu_hive_flush(hive_impl *hi)
{
	for (size_t k = 0; k < hi->npend;) {
		hive_pending *p = &hi->pend[k];
		if (!p->changed) {
			k++;
			continue;
		}
		int hrc = cpuu_hive_hivex(hi);
		if (hrc)
			return hrc;
		hive_set_value *sv = calloc(p->count ? p->count : 1, sizeof *sv);
		if (!sv)
			return cpuu_error_oom();
		for (size_t i = 0; i < p->count; i++) {
			sv[i].key = p->vals[i].name;
			sv[i].t = (hive_type)p->vals[i].type;
			sv[i].len = p->vals[i].len;
			sv[i].value = (char *)p->vals[i].data;
		}
		cpuu_hive_raw_drop(hi);
		errno = 0;
		int r = hivex_node_set_values(hi->h, p->node, p->count, sv, 0);
		free(sv);
		if (r == -1) {
			hi->broken = 1; /* old values may be freed already */
			char *kn = hivex_node_name(hi->h, p->node);
			int rc = cpuu_error_set(CPUU_ERROR, "%s: hivex cannot write the values of key '%s': %s", hi->path,
						kn ? kn : "?", err_text(errno));
			free(kn);
			return rc;
		}
		hi->structural = 1;
		cpuu_reg_values_free(p->vals, p->count);
		hi->pend[k] = hi->pend[--hi->npend];
		hi->pend_stale = 1;
	}
	return CPUU_OK;
}

int cpuu_hive_is_dirty(const void *impl)
{
	const hive_impl *hi = impl;
	if (hi->structural)
		return 1;
	for (size_t i = 0; i < hi->npend; i++)
		if (hi->pend[i].changed)
			return 1;
	return 0;
}

static const char *hive_last_backup(const void *impl)
{
	return ((const hive_impl *)impl)->last_backup;
}

static uint64_t hive_generation(const void *impl)
{
	return ((const hive_impl *)impl)->generation;
}

const cpuu_reg_backend cpuu_hive_backend = {
	.name = "hive",
	.close = hive_close,
	.root = hive_root,
	.child = hive_child,
	.add_child = hive_add_child,
	.delete_child = hive_delete_child,
	.subkeys = hive_subkeys,
	.values = hive_values,
	.values_view = hive_values_view,
	.value_get = hive_value_get,
	.value_set = hive_value_set,
	.value_delete = hive_value_delete,
	.commit = cpuu_hive_commit,
	.commit_prepare = cpuu_hive_commit_prepare,
	.commit_flush = cpuu_hive_commit_flush,
	.commit_finish = cpuu_hive_commit_finish,
	.commit_abort = cpuu_hive_commit_abort,
	.dirty = cpuu_hive_is_dirty,
	.last_backup = hive_last_backup,
	.generation = hive_generation,
	.caps = CPUU_REG_CAP_STABLE_NODES,
};
