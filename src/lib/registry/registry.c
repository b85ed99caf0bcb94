/* Registry layer: argument checks, paths and key handles over a backend. */
#include "registry/internal.h"

#include <stdlib.h>
#include <string.h>

int cpuu_reg_wrap(cpuu_reg **out, const cpuu_reg_backend *ops, void *impl, unsigned flags, const char *where)
{
	cpuu_reg *reg = calloc(1, sizeof *reg);
	char *w = cpuu_strdup(where ? where : "");
	if (!reg || !w) {
		free(reg);
		free(w);
		ops->close(impl);
		return cpuu_error_oom();
	}
	reg->ops = ops;
	reg->impl = impl;
	reg->flags = flags;
	reg->where = w;
	*out = reg;
	return CPUU_OK;
}

static void views_drop(cpuu_reg *reg)
{
	for (size_t i = 0; i < reg->nviews; i++)
		cpuu_reg_values_free(reg->views[i].vals, reg->views[i].count);
	reg->nviews = 0;
}

void cpuu_reg_free(cpuu_reg *reg)
{
	if (!reg)
		return;
	views_drop(reg);
	free(reg->views);
	reg->ops->close(reg->impl);
	cpuu_reg_path_cache_clear(&reg->paths);
	free(reg->prepared_backup_path);
	free(reg->where);
	free(reg);
}

const char *cpuu_reg_backend_name(const cpuu_reg *reg)
{
	return reg ? reg->ops->name : "";
}

unsigned cpuu_reg_capabilities(const cpuu_reg *reg)
{
	return reg ? reg->ops->caps : 0;
}

int cpuu_reg_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t n;
		uint32_t cp;
		if (c < 0x80) { p++; continue; }
		else if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
		else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
		else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
		else return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Next code point of valid UTF-8 (ASCII fast path), folded to upper case for
 * ASCII and Latin-1 (U+00E0..U+00FE except U+00F7), which is what Windows'
 * upcase table does for those ranges. Other characters compare exactly. */
static uint32_t next_folded(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint32_t cp;
	if (p[0] < 0x80) {
		cp = p[0];
		*pp = p + 1;
	} else if ((p[0] & 0xE0) == 0xC0 && p[1]) {
		cp = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
		*pp = p + 2;
	} else {
		cp = 0x100u + p[0]; /* other lead bytes: compare byte-wise */
		*pp = p + 1;
	}
	if (cp >= 'a' && cp <= 'z')
		cp -= 32;
	else if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
		cp -= 32;
	return cp;
}

int cpuu_reg_name_cmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	/* ASCII first, byte by byte (value names nearly always are); the same
	 * order as below: letters folded to upper case. */
	for (;; pa++, pb++) {
		unsigned ca = *pa, cb = *pb;
		if (ca >= 0x80 || cb >= 0x80)
			break;
		if (ca == cb) {
			if (!ca)
				return 0;
			continue;
		}
		if (ca >= 'a' && ca <= 'z')
			ca -= 32;
		if (cb >= 'a' && cb <= 'z')
			cb -= 32;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	while (*pa && *pb) {
		uint32_t ca = next_folded(&pa), cb = next_folded(&pb);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (*pa != 0) - (*pb != 0);
}

int cpuu_reg_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* --- paths --- */

typedef struct path_parts {
	char *buf;     /* the components, NUL-separated; items point into it */
	char **items;  /* in the same allocation as buf */
	size_t count;
} path_parts;

static void parts_free(path_parts *p)
{
	free(p->items);
	memset(p, 0, sizeof *p);
}

/* Splits at '\\'; NULL or "" gives zero components. Empty components, names
 * over 255 characters or invalid UTF-8 are refused. One pass over the path
 * and one allocation (pointers and text together): every key walk that the
 * path cache cannot answer starts here. */
static int parts_split(path_parts *out, const char *path)
{
	memset(out, 0, sizeof *out);
	if (!path || !*path)
		return CPUU_OK;
	size_t len = 0, n = 1;
	unsigned char high = 0;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++, len++) {
		high |= *p;
		n += *p == '\\';
	}
	if (high >= 0x80 && !cpuu_reg_utf8_ok(path))
		return cpuu_error_set(CPUU_EINVALID, "key path is not valid UTF-8");
	char **items = malloc(n * sizeof *items + len + 1);
	if (!items)
		return cpuu_error_oom();
	char *buf = (char *)(items + n);
	memcpy(buf, path, len + 1);
	out->items = items;
	out->buf = buf;
	char *s = buf;
	for (;;) {
		char *e = strchr(s, '\\');
		if (e)
			*e = '\0';
		if (!*s) {
			parts_free(out);
			return cpuu_error_set(CPUU_EINVALID, "key path '%s' has an empty component", path);
		}
		size_t chars = 0;
		if (high < 0x80) {
			chars = e ? (size_t)(e - s) : (size_t)(buf + len - s);
		} else {
			for (const unsigned char *q = (const unsigned char *)s; *q; q++)
				chars += (*q & 0xC0) != 0x80;
		}
		if (chars > CPUU_REG_MAX_KEY_NAME) {
			parts_free(out);
			return cpuu_error_set(CPUU_EINVALID, "key path '%s': a component is longer than %u characters",
					      path, CPUU_REG_MAX_KEY_NAME);
		}
		out->items[out->count++] = s;
		if (!e)
			break;
		s = e + 1;
	}
	return CPUU_OK;
}

static const char *key_label(const cpuu_reg_key *key)
{
	return key && key->path && *key->path ? key->path : "(root)";
}

/* Node of a key handle (NULL = root), re-resolving it by path when keys were
 * deleted since it was resolved. */
static int key_node(cpuu_reg_node *node, cpuu_reg *reg, const cpuu_reg_key *key)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "registry handle is NULL");
	if (!key)
		return reg->ops->root(node, NULL, reg->impl);
	if (key->reg != reg)
		return cpuu_error_set(CPUU_EINVALID, "key '%s' belongs to another registry handle", key_label(key));
	uint64_t gen = reg->ops->generation(reg->impl);
	if (key->generation == gen) {
		*node = key->node;
		return CPUU_OK;
	}
	path_parts parts;
	int rc = parts_split(&parts, key->path);
	if (rc)
		return rc;
	cpuu_reg_node n;
	rc = reg->ops->root(&n, NULL, reg->impl);
	for (size_t i = 0; rc == CPUU_OK && i < parts.count; i++)
		rc = reg->ops->child(&n, NULL, reg->impl, n, parts.items[i]);
	if (rc == CPUU_ENOTFOUND)
		rc = cpuu_error_set(CPUU_ENOTFOUND, "key '%s' no longer exists (deleted)", key->path);
	parts_free(&parts);
	if (rc)
		return rc;
	/* The handle is logically const: only its cache changes. */
	cpuu_reg_key *mut = (cpuu_reg_key *)key;
	mut->node = n;
	mut->generation = gen;
	*node = n;
	return CPUU_OK;
}

/* The handle, its name and its path in one allocation (every key open
 * makes one). */
static int key_new_n(cpuu_reg_key **out, cpuu_reg *reg, cpuu_reg_node node, const char *name, size_t lname,
		     const char *path, size_t lpath)
{
	cpuu_reg_key *k = malloc(sizeof *k + lname + 1 + lpath + 1);
	if (!k)
		return cpuu_error_oom();
	memset(k, 0, sizeof *k);
	k->name = (char *)(k + 1);
	k->path = k->name + lname + 1;
	memcpy(k->name, name, lname);
	k->name[lname] = '\0';
	memcpy(k->path, path, lpath);
	k->path[lpath] = '\0';
	k->reg = reg;
	k->node = node;
	k->generation = reg->ops->generation(reg->impl);
	*out = k;
	return CPUU_OK;
}

static int key_new(cpuu_reg_key **out, cpuu_reg *reg, cpuu_reg_node node, const char *name, const char *path)
{
	return key_new_n(out, reg, node, name, strlen(name), path, strlen(path));
}

void cpuu_reg_key_free(cpuu_reg_key *key)
{
	free(key); /* name and path live in the same allocation */
}

const char *cpuu_reg_key_name(const cpuu_reg_key *key)
{
	return key ? key->name : "";
}

const char *cpuu_reg_key_path(const cpuu_reg_key *key)
{
	return key ? key->path : "";
}

int cpuu_reg_root(cpuu_reg_key **out, cpuu_reg *reg)
{
	if (!out || !reg)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_reg_root: NULL argument");
	cpuu_reg_node node;
	char *name = NULL;
	int rc = reg->ops->root(&node, &name, reg->impl);
	if (rc == CPUU_OK)
		rc = key_new(out, reg, node, name ? name : "", "");
	free(name);
	return rc;
}

static int not_found(const cpuu_reg_key *parent, const char *subpath)
{
	/* Deferred: nearly every miss is a probe whose caller clears it. */
	if (parent && parent->path && *parent->path)
		return cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s\\%s' not found", parent->path, subpath);
	return cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s%s' not found", subpath, "");
}

/* A path being built: on the stack while it fits (nearly all). */
typedef struct path_buf {
	char *p;
	size_t len, cap;
	char stack[512];
} path_buf;

static void pb_init(path_buf *b)
{
	b->p = b->stack;
	b->len = 0;
	b->cap = sizeof b->stack;
	b->p[0] = '\0';
}

static int pb_add(path_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap * 2;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = b->p == b->stack ? malloc(cap) : realloc(b->p, cap);
		if (!np)
			return -1;
		if (b->p == b->stack)
			memcpy(np, b->stack, b->len + 1);
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void pb_free(path_buf *b)
{
	if (b->p != b->stack)
		free(b->p);
}

/* Walks parent\\subpath; with create, adds what is missing. */
static int key_walk(cpuu_reg_key **out, cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath, int create)
{
	if (!out || !reg)
		return cpuu_error_set(CPUU_EINVALID, "key open: NULL argument");
	*out = NULL;
	cpuu_reg_node node;
	int rc = key_node(&node, reg, parent);
	if (rc)
		return rc;
	int cache = (reg->ops->caps & CPUU_REG_CAP_STABLE_NODES) != 0;
	path_buf pb;
	pb_init(&pb);
	if (parent && pb_add(&pb, parent->path, strlen(parent->path)))
		return cpuu_error_oom();
	/* Whole paths of existing keys are remembered (path_cache.c). */
	size_t lp = pb.len;
	int probed = 0;
	if (cache && subpath && *subpath) {
		if ((lp && pb_add(&pb, "\\", 1)) || pb_add(&pb, subpath, strlen(subpath))) {
			pb_free(&pb);
			return cpuu_error_oom();
		}
		const cpuu_reg_path_slot *hit =
			cpuu_reg_path_cache_get(&reg->paths, reg->ops->generation(reg->impl), pb.p, pb.len);
		if (hit) {
			pb_free(&pb);
			return key_new_n(out, reg, hit->node, hit->path + hit->name_at, hit->len - hit->name_at, hit->path,
					 hit->len);
		}
		probed = 1;
	}
	path_parts parts;
	if ((rc = parts_split(&parts, subpath))) {
		pb_free(&pb);
		return rc;
	}
	/* A miss: the walk starts at the longest remembered path above the key
	 * (a few levels up at most), not at the parent, when there is one: a
	 * profile's new section is then one lookup, not eight. The whole path
	 * was checked above, so the same paths are refused as before. */
	size_t start = 0;
	if (probed) {
		size_t base = lp ? lp + 1 : 0;
		for (size_t m = parts.count - 1; m >= 1 && m + 4 >= parts.count; m--) {
			size_t plen = base + (size_t)(parts.items[m] - parts.buf) - 1;
			pb.p[plen] = '\0';
			const cpuu_reg_path_slot *hit =
				cpuu_reg_path_cache_get(&reg->paths, reg->ops->generation(reg->impl), pb.p, plen);
			pb.p[plen] = '\\';
			if (hit) {
				node = hit->node;
				start = m;
				pb.len = 0;
				if (pb_add(&pb, hit->path, hit->len)) {
					parts_free(&parts);
					pb_free(&pb);
					return cpuu_error_oom();
				}
				break;
			}
		}
		if (!start) {
			pb.len = lp;
			pb.p[lp] = '\0';
		}
	}
	if (!parts.count) {
		pb_free(&pb);
		if (parent)
			return key_new(out, reg, node, parent->name, parent->path);
		/* The root's name is only needed when the walk ends there. */
		char *name = NULL;
		cpuu_reg_node r;
		rc = reg->ops->root(&r, &name, reg->impl);
		if (rc == CPUU_OK)
			rc = key_new(out, reg, node, name ? name : "", "");
		free(name);
		return rc;
	}
	size_t name_at = 0;
	for (size_t i = start; rc == CPUU_OK && i < parts.count; i++) {
		char *stored = NULL;
		rc = reg->ops->child(&node, &stored, reg->impl, node, parts.items[i]);
		if (rc == CPUU_ENOTFOUND && create) {
			views_drop(reg);
			rc = reg->ops->add_child(&node, reg->impl, node, parts.items[i]);
			if (rc == CPUU_OK && !(stored = cpuu_strdup(parts.items[i])))
				rc = cpuu_error_oom();
		}
		if (rc) {
			if (rc == CPUU_ENOTFOUND)
				rc = not_found(parent, subpath);
			free(stored);
			break;
		}
		if (pb.len && pb_add(&pb, "\\", 1))
			rc = cpuu_error_oom();
		name_at = pb.len;
		if (!rc && pb_add(&pb, stored, strlen(stored)))
			rc = cpuu_error_oom();
		free(stored);
	}
	if (rc == CPUU_OK)
		rc = key_new_n(out, reg, node, pb.p + name_at, pb.len - name_at, pb.p, pb.len);
	if (rc == CPUU_OK && cache)
		cpuu_reg_path_cache_put(&reg->paths, reg->ops->generation(reg->impl), pb.p, pb.len, name_at, node);
	pb_free(&pb);
	parts_free(&parts);
	return rc;
}

int cpuu_reg_key_open(cpuu_reg_key **out, cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath)
{
	return key_walk(out, reg, parent, subpath, 0);
}

int cpuu_reg_key_create(cpuu_reg_key **out, cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath)
{
	if (reg && !(reg->flags & CPUU_REG_OPEN_WRITE))
		return cpuu_error_set(CPUU_EREADONLY, "%s: opened read-only, cannot create key '%s'", reg->where,
				      subpath ? subpath : "");
	cpuu_reg_key *k = NULL;
	int rc = key_walk(&k, reg, parent, subpath, 1);
	if (rc == CPUU_OK && out)
		*out = k;
	else
		cpuu_reg_key_free(k);
	return rc;
}

int cpuu_reg_key_delete(cpuu_reg *reg, const cpuu_reg_key *parent, const char *subpath)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "key delete: NULL registry");
	if (!(reg->flags & CPUU_REG_OPEN_WRITE))
		return cpuu_error_set(CPUU_EREADONLY, "%s: opened read-only, cannot delete key '%s'", reg->where,
				      subpath ? subpath : "");
	if (!subpath || !*subpath)
		return cpuu_error_set(CPUU_EINVALID, "refusing to delete key '%s' itself: give a subpath", key_label(parent));
	cpuu_reg_node pnode;
	int rc = key_node(&pnode, reg, parent);
	if (rc)
		return rc;
	path_parts parts;
	if ((rc = parts_split(&parts, subpath)))
		return rc;
	cpuu_reg_node node = pnode;
	for (size_t i = 0; rc == CPUU_OK && i < parts.count; i++) {
		pnode = node;
		rc = reg->ops->child(&node, NULL, reg->impl, node, parts.items[i]);
	}
	if (rc == CPUU_ENOTFOUND)
		rc = not_found(parent, subpath);
	if (rc == CPUU_OK) {
		views_drop(reg);
		rc = reg->ops->delete_child(reg->impl, pnode, node);
	}
	parts_free(&parts);
	return rc;
}

int cpuu_reg_key_subkeys(cpuu_strlist *out, cpuu_reg *reg, const cpuu_reg_key *key)
{
	if (!out)
		return cpuu_error_set(CPUU_EINVALID, "subkeys: NULL output");
	memset(out, 0, sizeof *out);
	cpuu_reg_node node;
	int rc = key_node(&node, reg, key);
	if (rc == CPUU_OK)
		rc = reg->ops->subkeys(out, reg->impl, node);
	if (rc)
		cpuu_error_prefix("key '%s'", key_label(key));
	return rc;
}

int cpuu_reg_key_values(cpuu_reg_value **out, size_t *count, cpuu_reg *reg, const cpuu_reg_key *key)
{
	if (!out || !count)
		return cpuu_error_set(CPUU_EINVALID, "values: NULL output");
	*out = NULL;
	*count = 0;
	cpuu_reg_node node;
	int rc = key_node(&node, reg, key);
	if (rc == CPUU_OK)
		rc = reg->ops->values(out, count, reg->impl, node);
	if (rc)
		cpuu_error_prefix("key '%s'", key_label(key));
	return rc;
}

int cpuu_reg_key_values_view(const cpuu_reg_value **out, size_t *count, cpuu_reg *reg, const cpuu_reg_key *key)
{
	if (!out || !count)
		return cpuu_error_set(CPUU_EINVALID, "values: NULL output");
	*out = NULL;
	*count = 0;
	cpuu_reg_node node;
	int rc = key_node(&node, reg, key);
	if (rc == CPUU_OK && reg->ops->values_view) {
		rc = reg->ops->values_view(out, count, reg->impl, node);
	} else if (rc == CPUU_OK) {
		struct cpuu_reg_view *v = cpuu_array_reserve(reg->views, &reg->capviews, reg->nviews + 1, sizeof *v);
		if (!v)
			return cpuu_error_oom();
		reg->views = v;
		v = &reg->views[reg->nviews];
		rc = reg->ops->values(&v->vals, &v->count, reg->impl, node);
		if (rc == CPUU_OK) {
			reg->nviews++;
			*out = v->vals;
			*count = v->count;
		}
	}
	if (rc)
		cpuu_error_prefix("key '%s'", key_label(key));
	return rc;
}

void cpuu_reg_value_clear(cpuu_reg_value *value)
{
	if (!value)
		return;
	if (!value->name_in_data)
		free(value->name);
	free(value->data);
	memset(value, 0, sizeof *value);
}

void cpuu_reg_values_free(cpuu_reg_value *values, size_t count)
{
	if (!values)
		return;
	for (size_t i = 0; i < count; i++)
		cpuu_reg_value_clear(&values[i]);
	free(values);
}

int cpuu_reg_value_get(cpuu_reg_value *out, cpuu_reg *reg, const cpuu_reg_key *key, const char *name)
{
	if (!out || !name)
		return cpuu_error_set(CPUU_EINVALID, "value get: NULL argument");
	memset(out, 0, sizeof *out);
	cpuu_reg_node node;
	int rc = key_node(&node, reg, key);
	if (rc)
		return rc;
	rc = reg->ops->value_get(out, reg->impl, node, name);
	if (rc == CPUU_ENOTFOUND) /* deferred: most are probes, cleared unread */
		return cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s': value '%s' not found", key_label(key), name);
	if (rc)
		cpuu_error_prefix("key '%s', value '%s'", key_label(key), name);
	return rc;
}

static int check_value_name(const cpuu_reg_key *key, const char *name)
{
	if (!name)
		return cpuu_error_set(CPUU_EINVALID, "key '%s': value name is NULL", key_label(key));
	if (!cpuu_reg_utf8_ok(name))
		return cpuu_error_set(CPUU_EINVALID, "key '%s': value name is not valid UTF-8", key_label(key));
	size_t chars = 0;
	for (const unsigned char *q = (const unsigned char *)name; *q; q++)
		chars += (*q & 0xC0) != 0x80;
	if (chars > CPUU_REG_MAX_VALUE_NAME)
		return cpuu_error_set(CPUU_EINVALID, "key '%s': value name longer than %u characters", key_label(key),
				      CPUU_REG_MAX_VALUE_NAME);
	return CPUU_OK;
}

int cpuu_reg_value_set(cpuu_reg *reg, const cpuu_reg_key *key, const char *name,
		       uint32_t type, const uint8_t *data, size_t len)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "value set: NULL registry");
	int rc = check_value_name(key, name);
	if (rc)
		return rc;
	if (!(reg->flags & CPUU_REG_OPEN_WRITE))
		return cpuu_error_set(CPUU_EREADONLY, "%s: opened read-only, cannot set value '%s' in key '%s'",
				      reg->where, name, key_label(key));
	if (len && !data)
		return cpuu_error_set(CPUU_EINVALID, "key '%s', value '%s': NULL data", key_label(key), name);
	cpuu_reg_node node;
	if ((rc = key_node(&node, reg, key)))
		return rc;
	views_drop(reg);
	rc = reg->ops->value_set(reg->impl, node, name, type, data, len);
	if (rc)
		cpuu_error_prefix("key '%s', value '%s'", key_label(key), name);
	return rc;
}

int cpuu_reg_value_delete(cpuu_reg *reg, const cpuu_reg_key *key, const char *name)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "value delete: NULL registry");
	int rc = check_value_name(key, name);
	if (rc)
		return rc;
	if (!(reg->flags & CPUU_REG_OPEN_WRITE))
		return cpuu_error_set(CPUU_EREADONLY, "%s: opened read-only, cannot delete value '%s' in key '%s'",
				      reg->where, name, key_label(key));
	cpuu_reg_node node;
	if ((rc = key_node(&node, reg, key)))
		return rc;
	views_drop(reg);
	rc = reg->ops->value_delete(reg->impl, node, name);
	if (rc == CPUU_ENOTFOUND) /* deferred: most are probes, cleared unread */
		return cpuu_error_set_deferred(CPUU_ENOTFOUND, "key '%s': value '%s' not found", key_label(key), name);
	if (rc)
		cpuu_error_prefix("key '%s', value '%s'", key_label(key), name);
	return rc;
}

int cpuu_reg_commit(cpuu_reg *reg, const cpuu_reg_commit_opts *opts)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "commit: NULL registry");
	if (!(reg->flags & CPUU_REG_OPEN_WRITE))
		return cpuu_error_set(CPUU_EREADONLY, "%s: opened read-only, nothing can be committed", reg->where);
	cpuu_reg_path_cache_clear(&reg->paths); /* as the backends drop theirs */
	views_drop(reg);
	return reg->ops->commit(reg->impl, opts);
}

int cpuu_reg_commit_prepare(cpuu_reg *reg, const cpuu_reg_commit_opts *opts)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "commit: NULL registry");
	if (!(reg->flags & CPUU_REG_OPEN_WRITE))
		return cpuu_error_set(CPUU_EREADONLY, "%s: opened read-only, nothing can be committed", reg->where);
	cpuu_reg_path_cache_clear(&reg->paths);
	views_drop(reg);
	if (reg->ops->commit_prepare)
		return reg->ops->commit_prepare(reg->impl, opts);
	/* Commit-only backend: remember the options for finish. */
	free(reg->prepared_backup_path);
	reg->prepared_backup_path = NULL;
	reg->prepared_no_backup = opts ? opts->no_backup : 0;
	if (opts && opts->backup_path && !(reg->prepared_backup_path = cpuu_strdup(opts->backup_path)))
		return cpuu_error_oom();
	reg->prepared = 1;
	return CPUU_OK;
}

int cpuu_reg_commit_flush(cpuu_reg *reg)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "commit: NULL registry");
	return reg->ops->commit_flush ? reg->ops->commit_flush(reg->impl) : CPUU_OK;
}

int cpuu_reg_commit_finish(cpuu_reg *reg)
{
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "commit: NULL registry");
	views_drop(reg);
	if (reg->ops->commit_finish)
		return reg->ops->commit_finish(reg->impl);
	if (!reg->prepared)
		return CPUU_OK;
	cpuu_reg_commit_opts o = { .backup_path = reg->prepared_backup_path, .no_backup = reg->prepared_no_backup };
	int rc = cpuu_reg_commit(reg, &o);
	cpuu_reg_commit_abort(reg);
	return rc;
}

void cpuu_reg_commit_abort(cpuu_reg *reg)
{
	if (!reg)
		return;
	if (reg->ops->commit_abort)
		reg->ops->commit_abort(reg->impl);
	free(reg->prepared_backup_path);
	reg->prepared_backup_path = NULL;
	reg->prepared = 0;
}

int cpuu_reg_dirty(const cpuu_reg *reg)
{
	return reg ? reg->ops->dirty(reg->impl) : 0;
}

const char *cpuu_reg_last_backup(const cpuu_reg *reg)
{
	return reg ? reg->ops->last_backup(reg->impl) : NULL;
}
