/* From a directory entry to the facts cpuu needs about a source or target
 * object; the rules are in docs/directory.md. */
#include "directory/internal.h"

#include <stdlib.h>
#include <string.h>

void dir_object_attrs(const char *out[DIR_MAX_ATTRS], const dir_rules *r)
{
	static const char *const fixed[] = { "legacyExchangeDN", "proxyAddresses", "mail",
					     "msExchMailboxGuid", "objectGUID", "displayName",
					     "targetAddress", "msExchRecipientTypeDetails" };
	size_t n = 0;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		out[n++] = fixed[i];
	out[n++] = r->corr_attr;
	out[n++] = r->switch_attr;
	out[n] = NULL;
}

void dir_object_clear(dir_object *o)
{
	if (!o)
		return;
	free(o->dn);
	free(o->legacy_dn);
	free(o->smtp);
	free(o->mailbox_guid);
	free(o->object_guid);
	free(o->display_name);
	cpuu_strlist_free(&o->x500);
	cpuu_strlist_free(&o->proxies);
	free(o->server);
	free(o->corr_value);
	memset(o, 0, sizeof *o);
}

static char *dup_val(const dir_val *v)
{
	return v ? cpuu_strndup(v->data, strlen(v->data)) : NULL;
}

static char *guid_val(const dir_val *v)
{
	if (!v || v->len != 16)
		return NULL; /* absent or not a GUID: treated as absent */
	char *s = malloc(37);
	if (s)
		dir_guid_format(s, (const uint8_t *)v->data);
	return s;
}

/* Exchange Online recipient types in msExchRecipientTypeDetails: remote
 * user, room, equipment, shared and team mailboxes. */
static int remote_type(const char *v)
{
	static const char *const remote[] = { "2147483648", "8589934592", "17179869184",
					      "34359738368", "137438953472" };
	for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
		if (!strcmp(v, remote[i]))
			return 1;
	return 0;
}

static int online_address(const char *ta)
{
	static const char suffix[] = ".mail.onmicrosoft.com";
	size_t n = strlen(ta), k = sizeof suffix - 1;
	while (n && (ta[n - 1] == ' ' || ta[n - 1] == '.'))
		n--;
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char c = ta[n - k + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != suffix[i])
			return 0;
	}
	return 1;
}

static int switch_holds(const dir_entry *e, const dir_rules *r)
{
	const dir_attr *a = dir_entry_attr(e, r->switch_attr);
	if (!a)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		if (r->switch_present ? a->vals[i].len > 0
				      : !cpuu_strcasecmp_ascii(a->vals[i].data, r->switch_value))
			return 1;
	}
	return 0;
}

int dir_object_from_entry(dir_object *o, const dir_entry *e, const dir_rules *r, int target)
{
	memset(o, 0, sizeof *o);
	int rc = CPUU_OK;
	o->dn = cpuu_strdup(e->dn);
	o->legacy_dn = dup_val(dir_entry_first(e, "legacyExchangeDN"));
	o->display_name = dup_val(dir_entry_first(e, "displayName"));
	o->mailbox_guid = guid_val(dir_entry_first(e, "msExchMailboxGuid"));
	o->object_guid = guid_val(dir_entry_first(e, "objectGUID"));
	const dir_val *cv = dir_entry_first(e, r->corr_attr);
	if (cv && cv->len == 16 && r->holds == DIR_HOLDS_GUID) {
		/* 16 bytes are no GUID text form (32, 36, 38 characters) nor
		 * base64 (24): a binary attribute (e.g. mS-DS-ConsistencyGuid)
		 * holding the raw bytes. Keep it in the text form. */
		o->corr_value = guid_val(cv);
	} else {
		o->corr_value = dup_val(cv);
	}
	if (!o->dn)
		goto oom;
	const dir_attr *px = dir_entry_attr(e, "proxyAddresses");
	for (size_t i = 0; px && i < px->count; i++) {
		const char *v = px->vals[i].data;
		/* The primary SMTP address is the one with the uppercase prefix. */
		if (!strncmp(v, "SMTP:", 5) && !o->smtp && !(o->smtp = cpuu_strdup(v + 5)))
			goto oom;
		if (dir_has_prefix(v, "x500:") && cpuu_strlist_push(&o->x500, v + 5) != CPUU_OK)
			goto oom;
		if (target && cpuu_strlist_push(&o->proxies, v) != CPUU_OK)
			goto oom;
	}
	if (!o->smtp) {
		const dir_val *mail = dir_entry_first(e, "mail");
		if (mail && !(o->smtp = dup_val(mail)))
			goto oom;
	}
	if (target) {
		const dir_val *ta = dir_entry_first(e, "targetAddress");
		const dir_val *rt = dir_entry_first(e, "msExchRecipientTypeDetails");
		o->kind = (ta && online_address(ta->data)) || (rt && remote_type(rt->data)) ? CPUU_TARGET_ONLINE
											     : CPUU_TARGET_ONPREM;
		if (o->mailbox_guid && o->smtp && strchr(o->smtp, '@')) {
			o->server = cpuu_aprintf("%s@%s", o->mailbox_guid, strchr(o->smtp, '@') + 1);
			if (!o->server)
				goto oom;
		}
	}
	o->switch_signal = switch_holds(e, r);
	return rc;
oom:
	dir_object_clear(o);
	return cpuu_error_oom();
}

static char *trim_dup_lower(const char *v, int strip_smtp)
{
	while (*v == ' ' || *v == '\t')
		v++;
	if (strip_smtp && dir_has_prefix(v, "smtp:"))
		v += 5;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	char *t = cpuu_strndup(v, n);
	if (!t)
		return NULL;
	char *l = dir_lower(t);
	free(t);
	return l;
}

static char *own_key(const dir_object *o, const dir_rules *r)
{
	switch (r->holds) {
	case DIR_HOLDS_GUID:
		return o->object_guid ? cpuu_strdup(o->object_guid) : NULL;
	case DIR_HOLDS_LEGACYDN:
		return o->legacy_dn ? trim_dup_lower(o->legacy_dn, 0) : NULL;
	case DIR_HOLDS_SMTP:
	default:
		return o->smtp ? trim_dup_lower(o->smtp, 1) : NULL;
	}
}

static char *held_key(const dir_object *o, const dir_rules *r)
{
	if (!o->corr_value)
		return NULL;
	if (r->holds == DIR_HOLDS_GUID) {
		uint8_t g[16];
		if (dir_guid_parse_any(g, o->corr_value) != CPUU_OK)
			return NULL;
		char *s = malloc(37);
		if (s)
			dir_guid_format(s, g);
		return s;
	}
	return trim_dup_lower(o->corr_value, r->holds == DIR_HOLDS_SMTP);
}

char *dir_corr_key_of_target(const dir_object *t, const dir_rules *r)
{
	return r->corr_on_target ? held_key(t, r) : own_key(t, r);
}

char *dir_corr_key_of_source(const dir_object *s, const dir_rules *r)
{
	return r->corr_on_target ? own_key(s, r) : held_key(s, r);
}

static int dup_into(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return CPUU_OK;
	*dst = cpuu_strdup(src);
	return *dst ? CPUU_OK : cpuu_error_oom();
}

int dir_match_fill(cpuu_match *m, const dir_object *s, const dir_object *t, const dir_rules *r)
{
	memset(m, 0, sizeof *m);
	int rc = CPUU_OK;
	if (s) {
		if ((rc = dup_into(&m->source_legacy_dn, s->legacy_dn)) ||
		    (rc = dup_into(&m->source_smtp, s->smtp)) ||
		    (rc = dup_into(&m->source_mailbox_guid, s->mailbox_guid)))
			goto fail;
		for (size_t i = 0; i < s->x500.count; i++)
			if ((rc = cpuu_strlist_push(&m->source_x500, s->x500.items[i])) != CPUU_OK)
				goto fail;
	}
	if (t) {
		if ((rc = dup_into(&m->target_legacy_dn, t->legacy_dn)) ||
		    (rc = dup_into(&m->target_smtp, t->smtp)) ||
		    (rc = dup_into(&m->target_mailbox_guid, t->mailbox_guid)) ||
		    (rc = dup_into(&m->target_display_name, t->display_name)) ||
		    (rc = dup_into(&m->target_server, t->server)))
			goto fail;
		m->target_kind = t->kind;
		m->switched = (r->switch_on_target ? t->switch_signal : (s && s->switch_signal)) ? 1 : 0;
	}
	return CPUU_OK;
fail:
	cpuu_match_clear(m);
	return rc;
}
