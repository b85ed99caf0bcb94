/* The plan: an ordered list of value edits, each with the old bytes it
 * replaces, so it can be shown as a diff and checked again before applying. */
#include "plan/internal.h"

#include "cpuu/mapi.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

int cpuu_plan_new(cpuu_plan **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? CPUU_OK : cpuu_error_oom();
}

static void edit_clear(cpuu_edit *e)
{
	free(e->key);
	free(e->name);
	free(e->data);
	free(e->old_data);
	free(e->why);
}

void cpuu_plan_free(cpuu_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->count; i++)
		edit_clear(&plan->edits[i]);
	free(plan->edits);
	for (size_t i = 0; i < plan->nost; i++) {
		free(plan->ost[i].service_uid);
		free(plan->ost[i].path);
	}
	free(plan->ost);
	free(plan);
}

size_t cpuu_plan_count(const cpuu_plan *plan)
{
	return plan ? plan->count : 0;
}

const cpuu_edit *cpuu_plan_edit(const cpuu_plan *plan, size_t i)
{
	return plan && i < plan->count ? &plan->edits[i] : NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* Key paths equal but for ASCII letter case (what cpuu_strcasecmp_ascii
 * tests). Edit keys share a long prefix (the profile's path) and differ
 * near the end (the section UID), and most compared keys are equal byte for
 * byte: so the exact match first (a vectorised strcmp), then the lengths,
 * then the bytes from the end. Value names (short, differing early) are
 * compared from the start. */
static int same_ci(const char *a, const char *b)
{
	if (!strcmp(a, b))
		return 1;
	size_t n = strlen(a);
	if (n != strlen(b))
		return 0;
	while (n-- > 0) {
		int ca = (unsigned char)a[n], cb = (unsigned char)b[n];
		if (ca >= 'A' && ca <= 'Z')
			ca += 32;
		if (cb >= 'A' && cb <= 'Z')
			cb += 32;
		if (ca != cb)
			return 0;
	}
	return 1;
}

/* Finds an edit already planned for key\name (a later rule for the same value
 * replaces the earlier one, so each value is edited at most once). */
static cpuu_edit *find_edit(cpuu_plan *plan, const char *key, const char *name)
{
	/* The short value name first: most comparisons end there. */
	for (size_t i = 0; i < plan->count; i++)
		if (!cpuu_strcasecmp_ascii(plan->edits[i].name, name) && same_ci(plan->edits[i].key, key))
			return &plan->edits[i];
	return NULL;
}

static int read_current(cpuu_reg_value *cur, int *exists, cpuu_reg *reg, const char *key, const char *name)
{
	cpuu_reg_key *k = NULL;
	*exists = 0;
	memset(cur, 0, sizeof *cur);
	int rc = cpuu_reg_key_open(&k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND)
		return CPUU_OK;
	if (rc)
		return rc;
	rc = cpuu_reg_value_get(cur, reg, k, name);
	cpuu_reg_key_free(k);
	if (rc == CPUU_ENOTFOUND)
		return CPUU_OK;
	if (rc)
		return rc;
	*exists = 1;
	return CPUU_OK;
}

/* *out: the edit recorded (new or replaced). */
static int record(cpuu_edit **out, cpuu_plan *plan, cpuu_edit_op op, const char *key, const cpuu_reg_value *cur,
		  int exists, const char *name, uint32_t type, const uint8_t *data, size_t len, const char *why)
{
	cpuu_edit *e = find_edit(plan, key, name);
	*out = NULL;
	if (e) {
		/* Keep the first-seen old value; replace the new one. */
		free(e->data);
		free(e->why);
		e->data = NULL;
		e->len = 0;
	} else {
		cpuu_edit *grown = cpuu_array_reserve(plan->edits, &plan->cap, plan->count + 1, sizeof *grown);
		if (!grown)
			return cpuu_error_oom();
		plan->edits = grown;
		e = &plan->edits[plan->count];
		memset(e, 0, sizeof *e);
		e->key = cpuu_strdup(key);
		/* Write back under the stored name (its case), as Windows would. */
		e->name = cpuu_strdup(exists ? cur->name : name);
		e->had_old = exists;
		if (exists) {
			e->old_type = cur->type;
			e->old_len = cur->len;
			e->old_data = dup_bytes(cur->data, cur->len);
		}
		if (!e->key || !e->name || (exists && !e->old_data)) {
			edit_clear(e);
			return cpuu_error_oom();
		}
		plan->count++;
	}
	e->op = op;
	e->type = type;
	if (op == CPUU_EDIT_SET_VALUE) {
		e->data = dup_bytes(data, len);
		e->len = len;
		if (!e->data)
			return cpuu_error_oom();
	}
	e->why = cpuu_strdup(why ? why : "");
	if (!e->why)
		return cpuu_error_oom();
	*out = e;
	return CPUU_OK;
}

/* Drops the planned edit of key\name if it turned out to restore the old
 * state. e: the edit record() just gave for key\name. It is the edit a
 * search for key\name finds (record searched the same way) unless it was
 * new and stored under a name only the registry's matching calls equal
 * (then there is none to drop): no second search of the plan. */
static void drop_if_noop(cpuu_plan *plan, cpuu_edit *e, const char *name)
{
	if (!e || cpuu_strcasecmp_ascii(e->name, name))
		return;
	int noop = e->op == CPUU_EDIT_SET_VALUE ? e->had_old && e->old_type == e->type && e->old_len == e->len &&
							  (e->len == 0 || !memcmp(e->old_data, e->data, e->len))
						: !e->had_old;
	if (!noop)
		return;
	size_t i = (size_t)(e - plan->edits);
	edit_clear(e);
	memmove(&plan->edits[i], &plan->edits[i + 1], (plan->count - i - 1) * sizeof *e);
	plan->count--;
}

int cpuu_plan_set_value(cpuu_plan *plan, cpuu_reg *reg, const char *key, const char *name,
			uint32_t type, const uint8_t *data, size_t len, const char *why)
{
	cpuu_reg_value cur;
	int exists;
	int rc = read_current(&cur, &exists, reg, key, name);
	if (rc)
		return rc;
	/* Already these bytes and not planned yet: recording would only drop
	 * it again (as plan_set_known). The stored name must be the asked one
	 * in ASCII case, as drop_if_noop requires. */
	if (exists && cur.type == type && cur.len == len && (len == 0 || !memcmp(cur.data, data, len)) &&
	    !cpuu_strcasecmp_ascii(cur.name, name) && !find_edit(plan, key, name)) {
		cpuu_reg_value_clear(&cur);
		return CPUU_OK;
	}
	cpuu_edit *e;
	rc = record(&e, plan, CPUU_EDIT_SET_VALUE, key, &cur, exists, name, type, data, len, why);
	cpuu_reg_value_clear(&cur);
	if (!rc)
		drop_if_noop(plan, e, name);
	return rc;
}

int plan_set_known(cpuu_plan *plan, const char *key, const cpuu_reg_value *cur, const char *name,
		   uint32_t type, const uint8_t *data, size_t len, const char *why)
{
	cpuu_reg_value none = { 0 };
	cpuu_edit *e;
	/* The value already holds these bytes and no earlier rule planned it:
	 * recording it would only drop it again (drop_if_noop). The common
	 * case of an account already switched (every later logon). */
	if (cur && cur->type == type && cur->len == len && (len == 0 || !memcmp(cur->data, data, len)) &&
	    !find_edit(plan, key, cur->name))
		return CPUU_OK;
	int rc = record(&e, plan, CPUU_EDIT_SET_VALUE, key, cur ? cur : &none, cur != NULL, cur ? cur->name : name,
			type, data, len, why);
	if (!rc)
		drop_if_noop(plan, e, cur ? cur->name : name);
	return rc;
}

int plan_delete_known(cpuu_plan *plan, const char *key, const cpuu_reg_value *cur, const char *why)
{
	cpuu_edit *e;
	int rc = record(&e, plan, CPUU_EDIT_DELETE_VALUE, key, cur, 1, cur->name, 0, NULL, 0, why);
	if (!rc)
		drop_if_noop(plan, e, cur->name);
	return rc;
}

int cpuu_plan_delete_value(cpuu_plan *plan, cpuu_reg *reg, const char *key, const char *name, const char *why)
{
	cpuu_reg_value cur;
	int exists;
	int rc = read_current(&cur, &exists, reg, key, name);
	if (rc)
		return rc;
	cpuu_edit *e = NULL;
	if (exists || find_edit(plan, key, name))
		rc = record(&e, plan, CPUU_EDIT_DELETE_VALUE, key, &cur, exists, name, 0, NULL, 0, why);
	cpuu_reg_value_clear(&cur);
	if (!rc)
		drop_if_noop(plan, e, name);
	return rc;
}

static int same_as_planned(const cpuu_edit *e, const cpuu_reg_value *cur, int exists)
{
	if (exists != e->had_old)
		return 0;
	if (!exists)
		return 1;
	return cur->type == e->old_type && cur->len == e->old_len &&
	       (cur->len == 0 || !memcmp(cur->data, e->old_data, cur->len));
}

/* Opens e's key unless it is the one already open (edits come grouped by
 * key, so each key is looked up once). */
static int key_for(cpuu_reg_key **k, char **open_path, cpuu_reg *reg, const cpuu_edit *e, int create)
{
	if (*k && *open_path && same_ci(*open_path, e->key))
		return CPUU_OK;
	cpuu_reg_key_free(*k);
	*k = NULL;
	free(*open_path);
	*open_path = NULL;
	int rc = create ? cpuu_reg_key_create(k, reg, NULL, e->key) : cpuu_reg_key_open(k, reg, NULL, e->key);
	if (rc == CPUU_OK && !(*open_path = cpuu_strdup(e->key)))
		rc = cpuu_error_oom();
	return rc;
}

/* The current value named like e among a key's values (NULL: absent). */
static const cpuu_reg_value *current_of(const cpuu_reg_value *vals, size_t n, const cpuu_edit *e)
{
	for (size_t i = 0; i < n; i++)
		if (!cpuu_strcasecmp_ascii(vals[i].name, e->name))
			return &vals[i];
	return NULL;
}

int cpuu_plan_apply(cpuu_reg *reg, const cpuu_plan *plan)
{
	cpuu_reg_key *k = NULL;
	char *open_path = NULL;
	cpuu_reg_value *vals = NULL;
	size_t nvals = 0;
	int rc = CPUU_OK;
	/* found[i]: the key the check opened at edit i (where a run of edits
	 * of one key starts; NULL elsewhere or when absent), kept for applying:
	 * a key is looked up once, not again from the root (a handle
	 * re-resolves itself if keys were deleted in between: key_node in
	 * registry.c). */
	cpuu_reg_key **found = calloc(plan->count ? plan->count : 1, sizeof *found);
	if (!found)
		return cpuu_error_oom();
	/* Check everything first: a plan made against other contents must not
	 * be half applied. Each key's values are read once. */
	for (size_t i = 0; !rc && i < plan->count; i++) {
		const cpuu_edit *e = &plan->edits[i];
		if (!open_path || !same_ci(open_path, e->key)) {
			cpuu_reg_values_free(vals, nvals);
			vals = NULL;
			nvals = 0;
			rc = key_for(&k, &open_path, reg, e, 0);
			if (rc == CPUU_ENOTFOUND) {
				cpuu_error_clear();
				rc = CPUU_OK;
			} else if (!rc) {
				rc = cpuu_reg_key_values(&vals, &nvals, reg, k);
			}
			/* The run's key moves to found[]; key_for opens the next one. */
			found[i] = k;
			k = NULL;
		}
		const cpuu_reg_value *cur = rc ? NULL : current_of(vals, nvals, e);
		if (!rc && !same_as_planned(e, cur ? cur : &(cpuu_reg_value){ 0 }, cur != NULL))
			rc = cpuu_error_set(CPUU_EINVALID, "%s\\%s changed since the plan was made; nothing applied",
					    e->key, e->name);
	}
	cpuu_reg_values_free(vals, nvals);
	free(open_path);
	open_path = NULL;
	/* The runs again, in the same order: the first edit of each run opens
	 * (or creates) its key unless the check found it. A run starts here
	 * only where the key changes, where the check opened it too. */
	for (size_t i = 0; !rc && i < plan->count; i++) {
		const cpuu_edit *e = &plan->edits[i];
		if (!open_path || !same_ci(open_path, e->key)) {
			cpuu_reg_key *have = found[i];
			found[i] = NULL;
			if (have) {
				cpuu_reg_key_free(k);
				free(open_path);
				k = have;
				if (!(open_path = cpuu_strdup(e->key)))
					rc = cpuu_error_oom();
			} else {
				rc = key_for(&k, &open_path, reg, e, e->op == CPUU_EDIT_SET_VALUE);
			}
		}
		if (!rc)
			rc = e->op == CPUU_EDIT_SET_VALUE ? cpuu_reg_value_set(reg, k, e->name, e->type, e->data, e->len)
							  : cpuu_reg_value_delete(reg, k, e->name);
		if (rc)
			cpuu_error_prefix("applying %s\\%s", e->key, e->name);
	}
	for (size_t i = 0; i < plan->count; i++)
		cpuu_reg_key_free(found[i]);
	free(found);
	cpuu_reg_key_free(k);
	free(open_path);
	return rc;
}

/* "hex:" (REG_BINARY) or "hex(<type>):", then the bytes as "%02x"
 * separated by commas, written by hand: a dry run shows every old and new
 * value this way, and a print per byte was most of its time. */
static void put_hex(cpuu_buf *b, uint32_t type, const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char chunk[192];
	size_t n = 0;
	if (type == CPUU_REG_BINARY) {
		cpuu_buf_puts(b, "hex:");
	} else {
		/* "%x": no leading zeros. */
		char t[16];
		size_t k = sizeof t;
		t[--k] = '\0';
		t[--k] = ':';
		t[--k] = ')';
		uint32_t v = type;
		do
			t[--k] = digits[v & 0xF];
		while ((v >>= 4) != 0);
		cpuu_buf_puts(b, "hex(");
		cpuu_buf_puts(b, t + k);
	}
	for (size_t i = 0; i < len; i++) {
		if (n + 3 > sizeof chunk) {
			cpuu_buf_append(b, chunk, n);
			n = 0;
		}
		if (i)
			chunk[n++] = ',';
		chunk[n++] = digits[data[i] >> 4];
		chunk[n++] = digits[data[i] & 0xF];
	}
	cpuu_buf_append(b, chunk, n);
}

/* One value in .reg-like syntax: strings readable, everything else as hex. */
static void format_value(cpuu_buf *b, const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	cpuu_buf_puts(b, "\"");
	cpuu_buf_display(b, name);
	cpuu_buf_puts(b, "\"=");
	uint32_t tag;
	int secure;
	char *text = NULL;
	if (cpuu_mapi_tag_parse(&tag, &secure, name) == CPUU_OK && !secure &&
	    (CPUU_PROP_TYPE(tag) == CPUU_PT_UNICODE || CPUU_PROP_TYPE(tag) == CPUU_PT_STRING8)) {
		cpuu_mapi_value v;
		if (cpuu_mapi_value_decode(&v, tag, type, data, len) == CPUU_OK) {
			/* The decoded string is ours: taken, not copied. */
			text = v.u.str;
			v.u.str = NULL;
			cpuu_mapi_value_clear(&v);
		}
	} else if (type == CPUU_REG_SZ) {
		size_t n;
		if (cpuu_utf16le_to_utf8(&text, &n, data, len, 0) != CPUU_OK)
			text = NULL;
	}
	if (text) {
		cpuu_buf_json_string(b, text);
		free(text);
		return;
	}
	put_hex(b, type, data, len);
}

int cpuu_plan_format(char **out, const cpuu_plan *plan)
{
	cpuu_buf b = { 0 };
	const char *last_key = NULL;
	for (size_t i = 0; i < plan->count; i++) {
		const cpuu_edit *e = &plan->edits[i];
		if (!last_key || !same_ci(last_key, e->key)) {
			/* Key paths hold profile names: data, shown escaped
			 * (a newline in one must not forge a line of the plan). */
			cpuu_buf_puts(&b, last_key ? "\n[" : "[");
			cpuu_buf_display(&b, e->key);
			cpuu_buf_puts(&b, "]\n");
			last_key = e->key;
		}
		cpuu_buf_puts(&b, "; ");
		cpuu_buf_display(&b, e->why);
		cpuu_buf_puts(&b, "\n");
		if (e->had_old) {
			cpuu_buf_puts(&b, "-");
			format_value(&b, e->name, e->old_type, e->old_data, e->old_len);
			cpuu_buf_puts(&b, "\n");
		}
		if (e->op == CPUU_EDIT_SET_VALUE) {
			cpuu_buf_puts(&b, "+");
			format_value(&b, e->name, e->type, e->data, e->len);
			cpuu_buf_puts(&b, "\n");
		}
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}
