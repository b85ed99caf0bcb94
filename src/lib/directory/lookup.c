/* The live lookup chain: source object by key -> correspondence -> target.
 * The directory is asked with a filter, then every candidate is checked again
 * with the same normalized keys the export join uses (lookup_join.c), so the
 * live answer and the mapping file's answer cannot drift apart. */
#include "directory/internal.h"
#include "directory/mapping_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct obj_list {
	dir_object *items;
	size_t count;
	const dir_rules *rules;
	int target;
} obj_list;

static void obj_list_clear(obj_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		dir_object_clear(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int collect(void *user, const dir_entry *e)
{
	obj_list *l = user;
	if (l->count >= 64) /* ambiguity is known long before; bound the memory */
		return CPUU_OK;
	dir_object *grown = cpuu_array_reserve(l->items, NULL, l->count + 1, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	l->items = grown;
	int rc = dir_object_from_entry(&l->items[l->count], e, l->rules, l->target);
	if (rc == CPUU_OK)
		l->count++;
	return rc;
}

static int search(obj_list *l, cpuu_ldap *ld, const char *filter, const dir_rules *r, int target)
{
	const char *attrs[DIR_MAX_ATTRS];
	dir_object_attrs(attrs, r);
	memset(l, 0, sizeof *l);
	l->rules = r;
	l->target = target;
	char *full = cpuu_aprintf("(&" DIR_MAIL_ENABLED "%s)", filter);
	if (!full)
		return cpuu_error_oom();
	int rc = dir_ldap_search(ld, full, attrs, collect, l);
	free(full);
	if (rc != CPUU_OK)
		obj_list_clear(l);
	return rc;
}

enum key_kind { KEY_DN, KEY_SMTP, KEY_GUID };

/* The mapping file's normalisation (cpuu_mapping_key_normalize), so a key
 * means the same user here and in the file. *body is malloc'ed (case kept:
 * the directory compares case-insensitively itself). */
static int classify(enum key_kind *kind, char **body, const char *key, uint8_t guid[16])
{
	size_t n = strlen(key);
	cpuu_key_kind k;
	*body = malloc(n + 38);
	if (!*body)
		return cpuu_error_oom();
	int rc = cpuu_mapping_key_normalize(*body, n + 38, &k, key, n, 0);
	if (rc == CPUU_OK && k == CPUU_KEY_GUID)
		rc = dir_guid_parse_text(guid, *body);
	if (rc != CPUU_OK) {
		free(*body);
		*body = NULL;
		return rc;
	}
	*kind = k == CPUU_KEY_DN ? KEY_DN : k == CPUU_KEY_SMTP ? KEY_SMTP : KEY_GUID;
	return CPUU_OK;
}

static int source_matches(const dir_object *o, enum key_kind kind, const char *body, const char *gtext)
{
	switch (kind) {
	case KEY_DN:
		if (map_key_equal(o->legacy_dn, body, CPUU_KEY_DN))
			return 1;
		for (size_t i = 0; i < o->x500.count; i++)
			if (map_key_equal(o->x500.items[i], body, CPUU_KEY_DN))
				return 1;
		return 0;
	case KEY_GUID:
		return o->mailbox_guid && !strcmp(o->mailbox_guid, gtext);
	case KEY_SMTP:
	default:
		/* Any smtp proxy (primary or not) or mail: what AD would resolve. */
		return 1;
	}
}

static int source_filter(char **out, enum key_kind kind, const char *body, const uint8_t guid[16])
{
	char *esc = kind == KEY_GUID ? dir_filter_escape(guid, 16) : dir_filter_escape(body, strlen(body));
	if (!esc)
		return CPUU_ENOMEM;
	switch (kind) {
	case KEY_DN:
		*out = cpuu_aprintf("(|(legacyExchangeDN=%s)(proxyAddresses=x500:%s))", esc, esc);
		break;
	case KEY_SMTP:
		*out = cpuu_aprintf("(|(proxyAddresses=smtp:%s)(mail=%s))", esc, esc);
		break;
	case KEY_GUID:
	default:
		*out = cpuu_aprintf("(msExchMailboxGuid=%s)", esc);
		break;
	}
	free(esc);
	return *out ? CPUU_OK : cpuu_error_oom();
}

static int dn_key_of(const dir_object *o, const char *dn)
{
	if (map_key_equal(o->legacy_dn, dn, CPUU_KEY_DN))
		return 1;
	for (size_t i = 0; i < o->x500.count; i++)
		if (map_key_equal(o->x500.items[i], dn, CPUU_KEY_DN))
			return 1;
	return 0;
}

/* Do o and s share a key of the mapping file (legacyExchangeDN or X500,
 * primary SMTP, mailbox GUID)? */
static int shares_key(const dir_object *o, const dir_object *s)
{
	if ((s->legacy_dn && dn_key_of(o, s->legacy_dn)) || map_key_equal(o->smtp, s->smtp, CPUU_KEY_SMTP) ||
	    (o->mailbox_guid && s->mailbox_guid && !strcmp(o->mailbox_guid, s->mailbox_guid)))
		return 1;
	for (size_t i = 0; i < s->x500.count; i++)
		if (dn_key_of(o, s->x500.items[i]))
			return 1;
	return 0;
}

static void buf_dn_terms(cpuu_buf *b, const char *dn)
{
	char *esc = dir_filter_escape(dn, strlen(dn));
	if (!esc) {
		b->failed = true;
		return;
	}
	cpuu_buf_printf(b, "(legacyExchangeDN=%s)(proxyAddresses=x500:%s)", esc, esc);
	free(esc);
}

/* One search of the OR of the terms in b; *shared set when an object other
 * than s holds one of s's keys. */
static int shared_search(int *shared, cpuu_directory *d, const dir_object *s, cpuu_buf *b)
{
	cpuu_buf_puts(b, ")");
	char *filter = cpuu_buf_detach(b, NULL);
	if (!filter)
		return CPUU_ENOMEM;
	obj_list all;
	int rc = search(&all, d->source, filter, &d->rules, 0);
	free(filter);
	if (rc != CPUU_OK)
		return rc;
	for (size_t i = 0; i < all.count; i++)
		if (strcmp(all.items[i].dn, s->dn) && shares_key(&all.items[i], s))
			*shared = 1;
	obj_list_clear(&all);
	return CPUU_OK;
}

/* A filter stays below this many bytes: a mailbox with thousands of X500
 * addresses would otherwise make one request of several hundred KB, and
 * Samba drops the connection of a search request above its "ldap max
 * search request size" (256,000 bytes by default; Windows' MaxReceiveBuffer
 * is 10 MB). */
#define SHARED_FILTER_MAX 64000

/* A source whose keys another source also holds is ambiguous by every key
 * (the mapping file marks both rows): one search for all of s's keys, in
 * several when they make too long a filter. */
static int shared_with_other(int *shared, cpuu_directory *d, const dir_object *s)
{
	*shared = 0;
	cpuu_buf b = { 0 };
	int rc = CPUU_OK;
	cpuu_buf_puts(&b, "(|");
	if (s->legacy_dn)
		buf_dn_terms(&b, s->legacy_dn);
	if (s->smtp) {
		char *esc = dir_filter_escape(s->smtp, strlen(s->smtp));
		if (esc)
			cpuu_buf_printf(&b, "(proxyAddresses=smtp:%s)(mail=%s)", esc, esc);
		else
			b.failed = true;
		free(esc);
	}
	if (s->mailbox_guid) {
		uint8_t g[16];
		char *esc = dir_guid_parse_text(g, s->mailbox_guid) == CPUU_OK ? dir_filter_escape(g, 16) : NULL;
		if (esc)
			cpuu_buf_printf(&b, "(msExchMailboxGuid=%s)", esc);
		free(esc);
	}
	for (size_t i = 0; i < s->x500.count && rc == CPUU_OK && !*shared; i++) {
		buf_dn_terms(&b, s->x500.items[i]);
		if (b.len >= SHARED_FILTER_MAX && i + 1 < s->x500.count) {
			rc = shared_search(shared, d, s, &b);
			cpuu_buf_puts(&b, "(|");
		}
	}
	if (rc == CPUU_OK && !*shared)
		rc = shared_search(shared, d, s, &b);
	cpuu_buf_dispose(&b);
	return rc;
}

/* For a binary correspondence attribute holding the raw 16 bytes: asked
 * separately, because a string attribute may refuse such an assertion. */
static int target_filter_raw(char **out, const char *key, const dir_rules *r)
{
	uint8_t g[16];
	*out = NULL;
	if (dir_guid_parse_text(g, key) != CPUU_OK)
		return CPUU_OK;
	char *attr = dir_filter_escape(r->corr_attr, strlen(r->corr_attr));
	char *raw = dir_filter_escape(g, 16);
	if (attr && raw)
		*out = cpuu_aprintf("(%s=%s)", attr, raw);
	free(attr);
	free(raw);
	return *out ? CPUU_OK : cpuu_error_oom();
}

/* The target filter for source s; *out NULL when s points nowhere. */
static int target_filter(char **out, const dir_object *s, const dir_rules *r)
{
	*out = NULL;
	char *key = dir_corr_key_of_source(s, r);
	if (!key)
		return CPUU_OK;
	char *esc = dir_filter_escape(key, strlen(key));
	char *attr = NULL;
	if (!esc) {
		free(key);
		return CPUU_ENOMEM;
	}
	if (r->corr_on_target) {
		attr = dir_filter_escape(r->corr_attr, strlen(r->corr_attr));
		if (attr && r->holds == DIR_HOLDS_GUID) {
			uint8_t g[16];
			char *b64 = NULL;
			if (dir_guid_parse_text(g, key) == CPUU_OK && (b64 = dir_base64(g, 16)))
				*out = cpuu_aprintf("(|(%s=%s)(%s={%s})(%s=%s))", attr, esc, attr, esc, attr, b64);
			free(b64);
		} else if (attr) {
			*out = cpuu_aprintf("(%s=%s)", attr, esc);
		}
	} else {
		switch (r->holds) {
		case DIR_HOLDS_GUID: {
			uint8_t g[16];
			char *bin = dir_guid_parse_text(g, key) == CPUU_OK ? dir_filter_escape(g, 16) : NULL;
			if (bin)
				*out = cpuu_aprintf("(objectGUID=%s)", bin);
			free(bin);
			break;
		}
		case DIR_HOLDS_LEGACYDN:
			*out = cpuu_aprintf("(legacyExchangeDN=%s)", esc);
			break;
		case DIR_HOLDS_SMTP:
		default:
			*out = cpuu_aprintf("(|(proxyAddresses=smtp:%s)(mail=%s))", esc, esc);
			break;
		}
	}
	free(attr);
	free(esc);
	free(key);
	return *out ? CPUU_OK : cpuu_error_oom();
}

int cpuu_directory_lookup(cpuu_match *out, cpuu_lookup_status *status,
			  cpuu_directory *d, const char *key)
{
	memset(out, 0, sizeof *out);
	*status = CPUU_LOOKUP_NO_SOURCE;
	enum key_kind kind = KEY_DN;
	char *body = NULL;
	uint8_t guid[16] = { 0 };
	char gtext[37] = "";
	int rc = classify(&kind, &body, key ? key : "", guid);
	if (rc != CPUU_OK)
		return rc;
	if (kind == KEY_GUID)
		dir_guid_format(gtext, guid);

	char *filter = NULL;
	if ((rc = source_filter(&filter, kind, body, guid)) != CPUU_OK) {
		free(body);
		return rc;
	}
	obj_list src;
	rc = search(&src, d->source, filter, &d->rules, 0);
	free(filter);
	if (rc != CPUU_OK) {
		free(body);
		return cpuu_error_prefix("source lookup of '%s'", key);
	}

	const dir_object *s = NULL;
	size_t nsrc = 0;
	for (size_t i = 0; i < src.count; i++)
		if (source_matches(&src.items[i], kind, body, gtext)) {
			s = &src.items[i];
			nsrc++;
		}
	free(body);
	if (nsrc != 1) {
		*status = nsrc ? CPUU_LOOKUP_AMBIGUOUS : CPUU_LOOKUP_NO_SOURCE;
		obj_list_clear(&src);
		return CPUU_OK;
	}

	int shared = 0;
	rc = shared_with_other(&shared, d, s);
	if (rc != CPUU_OK || shared) {
		if (shared)
			*status = CPUU_LOOKUP_AMBIGUOUS;
		obj_list_clear(&src);
		return rc == CPUU_OK ? CPUU_OK : cpuu_error_prefix("source lookup of '%s'", key);
	}

	obj_list trg = { 0 };
	char *skey = dir_corr_key_of_source(s, &d->rules);
	size_t ntrg = 0;
	const dir_object *t = NULL;
	if (skey) {
		rc = target_filter(&filter, s, &d->rules);
		if (rc == CPUU_OK && filter) {
			rc = search(&trg, d->target, filter, &d->rules, 1);
			if (rc != CPUU_OK)
				cpuu_error_prefix("target lookup of '%s'", key);
		}
		free(filter);
		if (rc == CPUU_OK && trg.count == 0 && d->rules.corr_on_target && d->rules.holds == DIR_HOLDS_GUID) {
			rc = target_filter_raw(&filter, skey, &d->rules);
			if (rc == CPUU_OK && filter) {
				obj_list_clear(&trg);
				rc = search(&trg, d->target, filter, &d->rules, 1);
				if (rc == CPUU_EINVALID) /* the server refused the binary assertion */
					rc = CPUU_OK;
				else if (rc != CPUU_OK)
					cpuu_error_prefix("target lookup of '%s'", key);
			}
			free(filter);
		}
		for (size_t i = 0; rc == CPUU_OK && i < trg.count; i++) {
			char *tkey = dir_corr_key_of_target(&trg.items[i], &d->rules);
			if (tkey && !strcmp(tkey, skey)) {
				t = &trg.items[i];
				ntrg++;
			}
			free(tkey);
		}
	}
	free(skey);
	if (rc == CPUU_OK) {
		if (ntrg > 1) {
			*status = CPUU_LOOKUP_AMBIGUOUS;
		} else if (ntrg == 1 && (t->legacy_dn || t->smtp)) {
			*status = CPUU_LOOKUP_FOUND;
			rc = dir_match_fill(out, s, t, &d->rules);
		} else {
			/* A target with neither address is no usable target (the
			 * mapping file reads such a row the same way). */
			*status = CPUU_LOOKUP_NO_TARGET;
			rc = dir_match_fill(out, s, NULL, &d->rules);
		}
	}
	obj_list_clear(&trg);
	obj_list_clear(&src);
	return rc;
}
