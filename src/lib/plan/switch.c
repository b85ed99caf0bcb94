/* The switch rules: which profile values change when an Exchange account
 * moves to its target mailbox. docs/switch.md lists them with their sources
 * (outlook-profile.md §2-§3 in the shared reference). */
#include "plan/internal.h"

#include "cpuu/mapi.h"
#include "cpuu/profile_ids.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Values that only cache what Autodiscover or a connection told Outlook about
 * the source organization: removed so Outlook learns them from the target. */
static const struct { uint16_t id; const char *why; } emsmdb_caches[] = {
	{ CPUU_PID_PROFILE_HOME_SERVER_ADDRS, "PR_PROFILE_HOME_SERVER_ADDRS: source server addresses, re-learned" },
	{ CPUU_PID_PROFILE_HOME_SERVER_FQDN, "PR_PROFILE_HOME_SERVER_FQDN: source server, re-learned" },
	{ CPUU_PID_PROFILE_SERVER_VERSION, "PR_PROFILE_SERVER_VERSION: written after a connection, re-learned" },
	{ CPUU_PID_PROFILE_SERVER_FULL_VERSION, "PR_PROFILE_SERVER_FULL_VERSION: written after a connection, re-learned" },
	{ CPUU_PID_PROFILE_LKG_AUTODISCOVER_URL, "PR_PROFILE_LKG_AUTODISCOVER_URL: cached source Autodiscover URL" },
	{ CPUU_PID_ROH_PROXY_SERVER, "PR_ROH_PROXY_SERVER: source Outlook Anywhere endpoint, re-learned" },
	{ CPUU_PID_ROH_FLAGS, "PR_ROH_FLAGS: source Outlook Anywhere settings, re-learned" },
	{ CPUU_PID_ROH_PROXY_PRINCIPAL_NAME, "PR_ROH_PROXY_PRINCIPAL_NAME: source certificate name, re-learned" },
	{ CPUU_PID_ROH_PROXY_AUTH_SCHEME, "PR_ROH_PROXY_AUTH_SCHEME: source Outlook Anywhere settings, re-learned" },
	{ CPUU_PID_PROFILE_MAPIHTTP_MAILSTORE_INTERNAL_URL, "MAPI/HTTP mailstore URL of the source, re-learned" },
	{ CPUU_PID_PROFILE_MAPIHTTP_MAILSTORE_EXTERNAL_URL, "MAPI/HTTP mailstore URL of the source, re-learned" },
	{ CPUU_PID_PROFILE_MAPIHTTP_ADDRESSBOOK_INTERNAL_URL, "MAPI/HTTP address book URL of the source, re-learned" },
	{ CPUU_PID_PROFILE_MAPIHTTP_ADDRESSBOOK_EXTERNAL_URL, "MAPI/HTTP address book URL of the source, re-learned" },
};

void cpuu_switch_opts_init(cpuu_switch_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->new_ost_for_new_mailbox = 1;
	opts->contab = 1;
}

/* The values of one section, each value's tag parsed once: the rules look
 * values up by property id dozens of times per section. */
typedef struct section_tag {
	uint32_t tag;
	int plain; /* 1: a plain (not secure) MAPI property name */
} section_tag;

typedef struct section {
	char *uid;  /* as asked for: the cache key (exact spelling, so edit keys keep it) */
	char *path; /* profile_path\uid: the key of the edits */
	const cpuu_reg_value *values; /* the registry's view: valid while planning, which writes nothing */
	section_tag *tags;
	size_t count;
} section;

/* The sections one planning call reads, each loaded once and shared by its
 * rules. Planning only records edits (nothing is written until the plan is
 * applied), so a section cannot change while the call holds it; the cache
 * dies with the call. */
typedef struct sections {
	cpuu_reg *reg;
	const char *profile_path;
	cpuu_reg_key *profile; /* opened once: sections open relative to it */
	int profile_tried;
	section **items;
	size_t count, cap;
} sections;

static void sections_init(sections *c, cpuu_reg *reg, const char *profile_path)
{
	memset(c, 0, sizeof *c);
	c->reg = reg;
	c->profile_path = profile_path;
}

static void section_free(section *s)
{
	if (!s)
		return;
	free(s->tags); /* the values are the registry's view: not ours to free */
	free(s->path);
	free(s->uid);
	free(s);
}

static void sections_free(sections *c)
{
	for (size_t i = 0; i < c->count; i++)
		section_free(c->items[i]);
	free(c->items);
	cpuu_reg_key_free(c->profile);
	memset(c, 0, sizeof *c);
}

/* The profile key, opened once; NULL if it cannot be (callers then open
 * from the root as before, so errors read the same). */
static const cpuu_reg_key *sections_profile(sections *c)
{
	if (!c->profile_tried) {
		c->profile_tried = 1;
		if (cpuu_reg_key_open(&c->profile, c->reg, NULL, c->profile_path))
			cpuu_error_clear();
		/* A relative open names its key profile->path\uid in errors: the
		 * same text as the whole path only if the spellings agree. */
		else if (strcmp(cpuu_reg_key_path(c->profile), c->profile_path)) {
			cpuu_reg_key_free(c->profile);
			c->profile = NULL;
		}
	}
	return c->profile;
}

/* Opens profile_path\uid, relative to the profile key (one level to walk,
 * not the whole path). */
static int sections_open(cpuu_reg_key **k, sections *c, const char *uid)
{
	const cpuu_reg_key *pk = sections_profile(c);
	if (pk)
		return cpuu_reg_key_open(k, c->reg, pk, uid);
	char *path = cpuu_aprintf("%s\\%s", c->profile_path, uid);
	if (!path)
		return cpuu_error_oom();
	int rc = cpuu_reg_key_open(k, c->reg, NULL, path);
	free(path);
	return rc;
}

static const section *sections_find(const sections *c, const char *uid)
{
	for (size_t i = 0; i < c->count; i++)
		if (!strcmp(c->items[i]->uid, uid))
			return c->items[i];
	return NULL;
}

static int section_read(section *s, sections *c)
{
	cpuu_reg_key *k = NULL;
	int rc = sections_open(&k, c, s->uid);
	if (rc)
		return cpuu_error_prefix("profile section %s", s->path);
	rc = cpuu_reg_key_values_view(&s->values, &s->count, c->reg, k);
	cpuu_reg_key_free(k);
	if (rc)
		return rc;
	s->tags = calloc(s->count ? s->count : 1, sizeof *s->tags);
	if (!s->tags)
		return cpuu_error_oom();
	for (size_t i = 0; i < s->count; i++) {
		const char *name = s->values[i].name;
		int secure;
		/* Only 8 hex digits (after an optional "S") can be a tag: other
		 * names are not parsed (which would format an error for each). */
		size_t n = strlen(name);
		if (n != 8 && !(n == 9 && (name[0] == 'S' || name[0] == 's')))
			continue;
		if (cpuu_mapi_tag_parse(&s->tags[i].tag, &secure, name) == CPUU_OK)
			s->tags[i].plain = !secure;
	}
	return CPUU_OK;
}

/* The section uid of the profile, loaded on first use. */
static int section_load(const section **out, sections *c, const char *uid)
{
	if ((*out = sections_find(c, uid)))
		return CPUU_OK;
	section **grown = cpuu_array_reserve(c->items, &c->cap, c->count + 1, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	c->items = grown;
	section *s = calloc(1, sizeof *s);
	if (!s)
		return cpuu_error_oom();
	s->uid = cpuu_strdup(uid);
	s->path = cpuu_aprintf("%s\\%s", c->profile_path, uid);
	if (!s->uid || !s->path) {
		section_free(s);
		return cpuu_error_oom();
	}
	int rc = section_read(s, c);
	if (rc) {
		section_free(s);
		return rc;
	}
	c->items[c->count++] = s;
	*out = s;
	return CPUU_OK;
}

/* Tag of value i if it is a plain (not secure) MAPI property with that id. */
static int value_has_id(const section *s, size_t i, uint16_t id, uint32_t *tag)
{
	if (!s->tags[i].plain)
		return 0;
	*tag = s->tags[i].tag;
	return CPUU_PROP_ID(*tag) == id;
}

static int is_string_type(uint32_t tag)
{
	return CPUU_PROP_TYPE(tag) == CPUU_PT_STRING8 || CPUU_PROP_TYPE(tag) == CPUU_PT_UNICODE;
}

/* Current text of a string property: the Unicode form if present, else the
 * 8-bit one; NULL if absent. Undecodable values fail. */
static int section_string(char **out, const section *s, uint16_t id)
{
	*out = NULL;
	char *fallback = NULL;
	for (size_t i = 0; i < s->count; i++) {
		uint32_t tag;
		if (!value_has_id(s, i, id, &tag) || !is_string_type(tag))
			continue;
		cpuu_mapi_value v;
		int rc = cpuu_mapi_value_decode(&v, tag, s->values[i].type, s->values[i].data, s->values[i].len);
		if (rc) {
			free(fallback);
			return cpuu_error_prefix("%s\\%s", s->path, s->values[i].name);
		}
		char *text = v.u.str;
		v.u.str = NULL;
		cpuu_mapi_value_clear(&v);
		if (CPUU_PROP_TYPE(tag) == CPUU_PT_UNICODE) {
			free(fallback);
			*out = text;
			return CPUU_OK;
		}
		if (!fallback)
			fallback = text;
		else
			free(text);
	}
	*out = fallback;
	return CPUU_OK;
}

/* Sets every string form (8-bit and Unicode, any name case) of a property to
 * text, each in the registry type it has; with add_unicode, a property that
 * has no form at all gets a Unicode one. */
static int rewrite_string(cpuu_plan *plan, const section *s, uint16_t id,
			  const char *text, int add_unicode, const char *why)
{
	int found = 0;
	for (size_t i = 0; i < s->count; i++) {
		uint32_t tag;
		if (!value_has_id(s, i, id, &tag))
			continue;
		if (!is_string_type(tag))
			return cpuu_error_set(CPUU_EINVALID, "%s\\%s: expected a string property",
					      s->path, s->values[i].name);
		found = 1;
		cpuu_mapi_value v;
		memset(&v, 0, sizeof v);
		v.tag = tag;
		v.u.str = (char *)text;
		uint8_t *data = NULL;
		size_t len = 0;
		int rc = cpuu_mapi_value_encode(&data, &len, &v, s->values[i].type);
		if (rc)
			return cpuu_error_prefix("%s\\%s", s->path, s->values[i].name);
		rc = plan_set_known(plan, s->path, &s->values[i], s->values[i].name, s->values[i].type, data, len, why);
		free(data);
		if (rc)
			return rc;
	}
	if (found || !add_unicode)
		return CPUU_OK;
	cpuu_mapi_value v;
	memset(&v, 0, sizeof v);
	v.tag = CPUU_PROP_TAG(CPUU_PT_UNICODE, id);
	v.u.str = (char *)text;
	uint8_t *data = NULL;
	size_t len = 0;
	char name[10];
	cpuu_mapi_tag_format(name, v.tag, 0);
	int rc = cpuu_mapi_value_encode(&data, &len, &v, CPUU_REG_BINARY);
	if (!rc)
		rc = plan_set_known(plan, s->path, NULL, name, CPUU_REG_BINARY, data, len, why);
	free(data);
	return rc;
}

/* Removes every form (any type) of a property. */
static int delete_prop(cpuu_plan *plan, const section *s, uint16_t id, const char *why)
{
	for (size_t i = 0; i < s->count; i++) {
		uint32_t tag;
		if (!value_has_id(s, i, id, &tag))
			continue;
		int rc = plan_delete_known(plan, s->path, &s->values[i], why);
		if (rc)
			return rc;
	}
	return CPUU_OK;
}

static int rewrite_or_delete(cpuu_plan *plan, const section *s, uint16_t id,
			     const char *text, const char *why_set, const char *why_delete)
{
	return text ? rewrite_string(plan, s, id, text, 0, why_set)
		    : delete_prop(plan, s, id, why_delete);
}

/* "SMTP:" prefixed values stay prefixed (the toolkit writes 6641 so). */
static char *smtp_like(const char *old, const char *target_smtp)
{
	if (old && !strncmp(old, "SMTP:", 5))
		return cpuu_aprintf("SMTP:%s", target_smtp);
	if (old && !strncmp(old, "smtp:", 5))
		return cpuu_aprintf("smtp:%s", target_smtp);
	return cpuu_strdup(target_smtp);
}

static int eq_ci(const char *a, const char *b)
{
	return a && b && !cpuu_strcasecmp_ascii(a, b);
}

/* Values that hold the user's SMTP address or the account's name: rewritten
 * when they named the source address. */
static int rewrite_smtp_props(cpuu_plan *plan, const section *s,
			      const cpuu_account *a, const cpuu_match *m, int always_6641)
{
	char *old = NULL;
	int rc = section_string(&old, s, CPUU_PID_PROFILE_USER_SMTP_EMAIL_ADDRESS);
	if (rc)
		return rc;
	if (old || always_6641) {
		char *text = smtp_like(old, m->target_smtp);
		rc = text ? rewrite_string(plan, s, CPUU_PID_PROFILE_USER_SMTP_EMAIL_ADDRESS, text, always_6641,
					   "PR_PROFILE_USER_SMTP_EMAIL_ADDRESS -> target primary SMTP")
			  : cpuu_error_oom();
		free(text);
	}
	free(old);
	if (rc)
		return rc;

	static const struct { uint16_t id; const char *why; } named[] = {
		{ CPUU_PID_DISPLAY_NAME, "PR_DISPLAY_NAME named the source address -> target SMTP" },
		{ CPUU_PID_PROFILE_ACCT_NAME, "PR_PROFILE_ACCT_NAME named the source address -> target SMTP" },
		{ CPUU_PID_PROFILE_USER_EMAIL, "PR_PROFILE_USER_EMAIL named the source address -> target SMTP" },
		{ CPUU_PID_PROFILE_UNRESOLVED_NAME, "PR_PROFILE_UNRESOLVED_NAME -> target SMTP (what Autodiscover resolves)" },
	};
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
		rc = section_string(&old, s, named[i].id);
		if (rc)
			return rc;
		/* The unresolved name is always re-pointed when present; the others
		 * only when they were the source address (a custom account name stays). */
		int hit = old && (named[i].id == CPUU_PID_PROFILE_UNRESOLVED_NAME || eq_ci(old, a->smtp) ||
				  eq_ci(old, m->source_smtp));
		if (hit)
			rc = rewrite_string(plan, s, named[i].id, m->target_smtp, 0, named[i].why);
		free(old);
		if (rc)
			return rc;
	}
	return CPUU_OK;
}

/* "/o=Org/ou=AG" part of a legacyExchangeDN (before "/cn=Recipients"). */
static char *org_prefix(const char *legacy_dn)
{
	if (!legacy_dn)
		return NULL;
	for (const char *p = legacy_dn; *p; p++)
		if (!strncasecmp(p, "/cn=Recipients", 14))
			return cpuu_strndup(legacy_dn, (size_t)(p - legacy_dn));
	return NULL;
}

static char *server_dn_for(const cpuu_match *m)
{
	char *prefix = org_prefix(m->target_legacy_dn);
	if (!prefix || !m->target_server) {
		free(prefix);
		return NULL;
	}
	char *dn = cpuu_aprintf("%s/cn=Configuration/cn=Servers/cn=%s", prefix, m->target_server);
	free(prefix);
	return dn;
}

static int plan_emsmdb_onprem(cpuu_plan *plan, const section *s,
			      const cpuu_account *a, const cpuu_match *m)
{
	int rc;
	char *server_dn = server_dn_for(m);
	/* Only values the profile already has are rewritten: an Autodiscover-only
	 * profile keeps being one. */
	if ((rc = rewrite_string(plan, s, CPUU_PID_PROFILE_USER, m->target_legacy_dn, 0,
				 "PR_PROFILE_USER -> target legacyExchangeDN")) ||
	    (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_HOME_SERVER, m->target_server,
				    "PR_PROFILE_HOME_SERVER -> target personality server",
				    "PR_PROFILE_HOME_SERVER: target server unknown, re-learned by Autodiscover")) ||
	    (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_UNRESOLVED_SERVER, m->target_server,
				    "PR_PROFILE_UNRESOLVED_SERVER -> target personality server",
				    "PR_PROFILE_UNRESOLVED_SERVER: target server unknown, re-learned")) ||
	    (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_HOME_SERVER_DN, server_dn,
				    "PR_PROFILE_HOME_SERVER_DN -> target server DN",
				    "PR_PROFILE_HOME_SERVER_DN: target server DN unknown, re-learned")) ||
	    (rc = rewrite_smtp_props(plan, s, a, m, 1)))
		goto out;
	for (size_t i = 0; i < sizeof emsmdb_caches / sizeof emsmdb_caches[0]; i++)
		if ((rc = delete_prop(plan, s, emsmdb_caches[i].id, emsmdb_caches[i].why)))
			goto out;
out:
	free(server_dn);
	return rc;
}

static int plan_emsmdb_online(cpuu_plan *plan, const section *s,
			      const cpuu_account *a, const cpuu_match *m)
{
	/* Exchange Online: an Autodiscover-only account on the target address
	 * (the property set of a "modern" profile: config flags, 6641, 3001,
	 * 6620, 6607, 663D); every on-premises identity value goes. */
	static const struct { uint16_t id; const char *why; } gone[] = {
		{ CPUU_PID_PROFILE_USER, "PR_PROFILE_USER: Exchange Online target, Autodiscover sets it" },
		{ CPUU_PID_PROFILE_HOME_SERVER, "PR_PROFILE_HOME_SERVER: Exchange Online target, Autodiscover sets it" },
		{ CPUU_PID_PROFILE_UNRESOLVED_SERVER, "PR_PROFILE_UNRESOLVED_SERVER: Exchange Online target" },
		{ CPUU_PID_PROFILE_HOME_SERVER_DN, "PR_PROFILE_HOME_SERVER_DN: Exchange Online target, Autodiscover sets it" },
	};
	int rc = rewrite_smtp_props(plan, s, a, m, 1);
	if (!rc)
		rc = rewrite_string(plan, s, CPUU_PID_PROFILE_UNRESOLVED_NAME, m->target_smtp, 1,
				    "PR_PROFILE_UNRESOLVED_NAME -> target SMTP for Autodiscover");
	for (size_t i = 0; !rc && i < sizeof gone / sizeof gone[0]; i++)
		rc = delete_prop(plan, s, gone[i].id, gone[i].why);
	for (size_t i = 0; !rc && i < sizeof emsmdb_caches / sizeof emsmdb_caches[0]; i++)
		rc = delete_prop(plan, s, emsmdb_caches[i].id, emsmdb_caches[i].why);
	return rc;
}

/* A store entry ID (MS-OXCDATA 2.2.4.3) of the source mailbox rebuilt for the
 * target: server, mailbox DN, and the V2/V3 blocks it had. Never byte-patched
 * (it holds variable-length strings). 1 when rebuilt, 0 when some part is
 * unknown (or it is not a store entry ID we can read). */
static int rebuild_store_eid(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len, const cpuu_match *m)
{
	cpuu_store_eid eid;
	int rebuilt = 0;
	*out = NULL;
	if (!m->target_server || !m->target_legacy_dn || cpuu_store_eid_parse(&eid, data, len) != CPUU_OK) {
		cpuu_error_clear();
		return 0;
	}
	char *server_dn = eid.server_dn ? server_dn_for(m) : NULL;
	if (!eid.server_dn || server_dn) {
		free(eid.server);
		free(eid.mailbox_dn);
		free(eid.server_dn);
		free(eid.server_fqdn);
		eid.server = cpuu_strdup(m->target_server);
		eid.mailbox_dn = cpuu_strdup(m->target_legacy_dn);
		eid.server_dn = server_dn;
		server_dn = NULL;
		/* The FQDN of an Exchange 2013+ mailbox is its personality. */
		eid.server_fqdn = eid.server_dn ? cpuu_strdup(m->target_server) : NULL;
		if (eid.smtp) {
			free(eid.smtp);
			eid.smtp = cpuu_strdup(m->target_smtp);
		}
		rebuilt = cpuu_store_eid_build(out, out_len, &eid) == CPUU_OK;
	}
	free(server_dn);
	cpuu_store_eid_clear(&eid);
	cpuu_error_clear();
	return rebuilt;
}

/* PR_ENTRYID of the mailbox store names the source server and mailbox: rebuilt
 * for the target when every part is known, else removed so Outlook
 * regenerates it. */
static int plan_store_entryid(cpuu_plan *plan, const section *s, const cpuu_match *m, int online)
{
	for (size_t i = 0; i < s->count; i++) {
		uint32_t tag;
		if (!value_has_id(s, i, CPUU_PID_ENTRYID, &tag))
			continue;
		uint8_t *data = NULL;
		size_t len = 0;
		int rebuilt = !online && CPUU_PROP_TYPE(tag) == CPUU_PT_BINARY &&
			      rebuild_store_eid(&data, &len, s->values[i].data, s->values[i].len, m);
		int rc = rebuilt ? plan_set_known(plan, s->path, &s->values[i], s->values[i].name, s->values[i].type,
						  data, len, "PR_ENTRYID of the mailbox store rebuilt for the target")
				 : plan_delete_known(plan, s->path, &s->values[i],
						     "PR_ENTRYID of the mailbox store: removed, Outlook regenerates it");
		free(data);
		if (rc)
			return rc;
	}
	return CPUU_OK;
}

static int plan_store(cpuu_plan *plan, const section *s, const cpuu_account *a,
		      const cpuu_match *m, int online)
{
	int rc;
	char *server_dn = online ? NULL : server_dn_for(m);
	if (online) {
		if ((rc = delete_prop(plan, s, CPUU_PID_PROFILE_MAILBOX, "PR_PROFILE_MAILBOX: Exchange Online target")) ||
		    (rc = delete_prop(plan, s, CPUU_PID_PROFILE_SERVER, "PR_PROFILE_SERVER: Exchange Online target")) ||
		    (rc = delete_prop(plan, s, CPUU_PID_PROFILE_SERVER_DN, "PR_PROFILE_SERVER_DN: Exchange Online target")) ||
		    (rc = delete_prop(plan, s, CPUU_PID_PROFILE_USER, "PR_PROFILE_USER: Exchange Online target")))
			goto out;
	} else if ((rc = rewrite_string(plan, s, CPUU_PID_PROFILE_MAILBOX, m->target_legacy_dn, 0,
					"PR_PROFILE_MAILBOX -> target legacyExchangeDN")) ||
		   (rc = rewrite_string(plan, s, CPUU_PID_PROFILE_USER, m->target_legacy_dn, 0,
					"PR_PROFILE_USER -> target legacyExchangeDN")) ||
		   (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_SERVER, m->target_server,
					   "PR_PROFILE_SERVER -> target personality server",
					   "PR_PROFILE_SERVER: target server unknown, re-learned")) ||
		   (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_SERVER_DN, server_dn,
					   "PR_PROFILE_SERVER_DN -> target server DN",
					   "PR_PROFILE_SERVER_DN: target server DN unknown, re-learned")) ||
		   (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_HOME_SERVER, m->target_server,
					   "PR_PROFILE_HOME_SERVER -> target personality server",
					   "PR_PROFILE_HOME_SERVER: target server unknown, re-learned")) ||
		   (rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_HOME_SERVER_DN, server_dn,
					   "PR_PROFILE_HOME_SERVER_DN -> target server DN",
					   "PR_PROFILE_HOME_SERVER_DN: target server DN unknown, re-learned")))
		goto out;
	if ((rc = delete_prop(plan, s, CPUU_PID_PROFILE_SERVER_FQDN, "PR_PROFILE_SERVER_FQDN: source server, re-learned")) ||
	    (rc = delete_prop(plan, s, CPUU_PID_PROFILE_MAPIHTTP_MAILSTORE_INTERNAL_URL, "MAPI/HTTP mailstore URL of the source")) ||
	    (rc = delete_prop(plan, s, CPUU_PID_PROFILE_MAPIHTTP_MAILSTORE_EXTERNAL_URL, "MAPI/HTTP mailstore URL of the source")) ||
	    (rc = rewrite_smtp_props(plan, s, a, m, 0)) ||
	    (rc = plan_store_entryid(plan, s, m, online)))
		goto out;
out:
	free(server_dn);
	return rc;
}

/* "Account Name" in the account manager is the SMTP address for accounts
 * Outlook set up itself; a name the user chose stays. REG_SZ or REG_BINARY
 * holding UTF-16LE. */
static int plan_account_name(cpuu_plan *plan, cpuu_reg *reg, const cpuu_profile *p,
			     const cpuu_account *a, const cpuu_match *m)
{
	if (!a->account_key)
		return CPUU_OK;
	char *path = cpuu_aprintf("%s\\" CPUU_SECTION_ACCOUNT_MANAGER "\\%s", p->path, a->account_key);
	if (!path)
		return cpuu_error_oom();
	cpuu_reg_key *k = NULL;
	cpuu_reg_value v;
	memset(&v, 0, sizeof v);
	int rc = cpuu_reg_key_open(&k, reg, NULL, path);
	if (!rc) {
		rc = cpuu_reg_value_get(&v, reg, k, "Account Name");
		cpuu_reg_key_free(k);
	}
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		free(path);
		return CPUU_OK;
	}
	char *text = NULL;
	size_t n;
	if (!rc && (v.type == CPUU_REG_SZ || v.type == CPUU_REG_BINARY) &&
	    cpuu_utf16le_to_utf8(&text, &n, v.data, v.len, 0) == CPUU_OK &&
	    (eq_ci(text, a->smtp) || eq_ci(text, m->source_smtp))) {
		uint8_t *data = NULL;
		size_t len = 0;
		rc = cpuu_utf8_to_utf16le(&data, &len, m->target_smtp, 1);
		/* v is the value as the registry holds it now (planning writes
		 * nothing): no second look-up. */
		if (!rc)
			rc = plan_set_known(plan, path, &v, v.name, v.type, data, len,
					    "Account Name was the source address -> target SMTP");
		free(data);
	}
	cpuu_error_clear();
	free(text);
	cpuu_reg_value_clear(&v);
	free(path);
	return rc;
}

static int same_mailbox(const cpuu_account *a, const cpuu_match *m)
{
	return a->mailbox_guid && m->target_mailbox_guid && eq_ci(a->mailbox_guid, m->target_mailbox_guid);
}

/* An OST holds one mailbox's data: a different target mailbox gets a new
 * file next to the old one (which the runner renames aside, never deletes). */
static char *new_ost_path(const char *old, const char *smtp)
{
	const char *slash = strrchr(old, '\\');
	size_t dirlen = slash ? (size_t)(slash - old) + 1 : 0;
	char *path = cpuu_aprintf("%.*s%s.ost", (int)dirlen, old, smtp);
	if (path && eq_ci(path, old)) {
		free(path);
		path = cpuu_aprintf("%.*s%s (target).ost", (int)dirlen, old, smtp);
	}
	return path;
}

/* The account already names the target mailbox: its OST was dealt with when
 * that happened (a new path then would be a second new OST). */
static int at_target(const cpuu_account *a, const cpuu_match *m)
{
	if (m->target_kind == CPUU_TARGET_ONLINE)
		return !a->legacy_dn && !a->home_server && eq_ci(a->smtp, m->target_smtp);
	return eq_ci(a->legacy_dn, m->target_legacy_dn);
}

static int plan_ost(cpuu_plan *plan, const section *s, const cpuu_account *a,
		    const cpuu_match *m, const cpuu_switch_opts *opts)
{
	if (!a->ost_path || !opts->new_ost_for_new_mailbox || same_mailbox(a, m) || at_target(a, m))
		return CPUU_OK;
	char *path = new_ost_path(a->ost_path, m->target_smtp);
	if (!path)
		return cpuu_error_oom();
	int rc = rewrite_string(plan, s, CPUU_PID_PROFILE_OFFLINE_STORE_PATH, path, 0,
				"PR_PROFILE_OFFLINE_STORE_PATH: a new OST for the target mailbox");
	if (!rc) {
		plan_ost_entry *grown = cpuu_array_reserve(plan->ost, &plan->cap_ost, plan->nost + 1, sizeof *grown);
		if (!grown) {
			free(path);
			return cpuu_error_oom();
		}
		plan->ost = grown;
		grown[plan->nost].service_uid = cpuu_strdup(a->service_uid ? a->service_uid : "");
		grown[plan->nost].path = path;
		plan->nost++;
		return CPUU_OK;
	}
	free(path);
	return rc;
}

/* The Outlook Address Book (CONTAB) profile section keeps index-aligned
 * multi-valued arrays, one entry per contacts folder shown as an address book
 * (Microsoft's PidTagContactAddressBook* property pages): 0x6620 folder entry
 * IDs, 0x6621 store support masks, 0x6622 store names, 0x6623 folder names,
 * 0x6624 display names, 0x6626 store entry IDs. */
static const uint16_t contab_ids[] = { 0x6620, 0x6621, 0x6622, 0x6623, 0x6624, 0x6626 };
#define ID_CONTAB_STORE_ENTRYIDS 0x6626

static size_t mv_count(const cpuu_mapi_value *v)
{
	return v->u.mv.count;
}

/* Removes item i of a decoded multi-valued property. */
static void mv_remove(cpuu_mapi_value *v, size_t i)
{
	size_t n = v->u.mv.count, rest = n - i - 1;
	switch (CPUU_PROP_TYPE(v->tag)) {
	case CPUU_PT_MV_BINARY:
		free(v->u.mv.v.bin[i].data);
		memmove(&v->u.mv.v.bin[i], &v->u.mv.v.bin[i + 1], rest * sizeof *v->u.mv.v.bin);
		break;
	case CPUU_PT_MV_STRING8:
	case CPUU_PT_MV_UNICODE:
		free(v->u.mv.v.str[i]);
		memmove(&v->u.mv.v.str[i], &v->u.mv.v.str[i + 1], rest * sizeof *v->u.mv.v.str);
		break;
	case CPUU_PT_MV_LONG:
		memmove(&v->u.mv.v.l[i], &v->u.mv.v.l[i + 1], rest * sizeof *v->u.mv.v.l);
		break;
	default:
		return;
	}
	v->u.mv.count--;
}

/* Entries for the account's source mailbox: rebuilt for the target when the
 * target holds the same mailbox (same mailbox GUID: the folder entry IDs,
 * which carry that GUID (MS-OXCDATA 2.2.4.1), stay valid); otherwise removed
 * from every array at once, as the target's folder IDs cannot be known
 * offline (docs/switch.md, "Outlook Address Book"). */
static int plan_contab_section(cpuu_plan *plan, const section *s, const cpuu_account *a, const cpuu_match *m)
{
	const cpuu_reg_value *stores = NULL;
	uint32_t stores_tag = 0;
	for (size_t i = 0; i < s->count && !stores; i++)
		if (value_has_id(s, i, ID_CONTAB_STORE_ENTRYIDS, &stores_tag) &&
		    CPUU_PROP_TYPE(stores_tag) == CPUU_PT_MV_BINARY)
			stores = &s->values[i];
	if (!stores)
		return CPUU_OK;
	cpuu_mapi_value sv;
	int rc = cpuu_mapi_value_decode(&sv, stores_tag, stores->type, stores->data, stores->len);
	if (rc)
		return cpuu_error_prefix("%s\\%s", s->path, stores->name);
	size_t n = mv_count(&sv);
	int keep_data = same_mailbox(a, m) && m->target_kind != CPUU_TARGET_ONLINE;
	/* hit[i]: 0 not ours, 1 rebuilt, 2 removed. */
	unsigned char *hit = calloc(n ? n : 1, 1);
	int any = 0;
	for (size_t i = 0; hit && i < n; i++) {
		cpuu_store_eid eid;
		if (cpuu_store_eid_parse(&eid, sv.u.mv.v.bin[i].data, sv.u.mv.v.bin[i].len) != CPUU_OK) {
			cpuu_error_clear();
			continue;
		}
		int ours = eid.mailbox_dn && (eq_ci(eid.mailbox_dn, a->legacy_dn) || eq_ci(eid.mailbox_dn, m->source_legacy_dn));
		cpuu_store_eid_clear(&eid);
		if (!ours)
			continue;
		uint8_t *data = NULL;
		size_t len = 0;
		if (keep_data && rebuild_store_eid(&data, &len, sv.u.mv.v.bin[i].data, sv.u.mv.v.bin[i].len, m)) {
			free(sv.u.mv.v.bin[i].data);
			sv.u.mv.v.bin[i].data = data;
			sv.u.mv.v.bin[i].len = len;
			hit[i] = 1;
		} else {
			hit[i] = 2;
		}
		any = 1;
	}
	if (!hit)
		rc = cpuu_error_oom();
	if (!any || rc) {
		free(hit);
		cpuu_mapi_value_clear(&sv);
		return rc;
	}
	/* Every array of the section, aligned on the store array. */
	for (size_t v = 0; !rc && v < s->count; v++) {
		uint32_t tag;
		int which = -1;
		for (size_t k = 0; k < sizeof contab_ids / sizeof contab_ids[0]; k++)
			if (value_has_id(s, v, contab_ids[k], &tag) && (CPUU_PROP_TYPE(tag) & CPUU_PT_MV_FLAG))
				which = (int)k;
		if (which < 0)
			continue;
		cpuu_mapi_value mv;
		int is_stores = &s->values[v] == stores;
		if (!is_stores) {
			if ((rc = cpuu_mapi_value_decode(&mv, tag, s->values[v].type, s->values[v].data, s->values[v].len))) {
				cpuu_error_prefix("%s\\%s", s->path, s->values[v].name);
				break;
			}
			if (mv_count(&mv) != n) {
				rc = cpuu_error_set(CPUU_EINVALID, "%s\\%s: %zu entries where the store list has %zu",
						    s->path, s->values[v].name, mv_count(&mv), n);
				cpuu_mapi_value_clear(&mv);
				break;
			}
		}
		cpuu_mapi_value *target = is_stores ? &sv : &mv;
		for (size_t i = n; i-- > 0;)
			if (hit[i] == 2)
				mv_remove(target, i);
		uint8_t *data = NULL;
		size_t len = 0;
		rc = cpuu_mapi_value_encode(&data, &len, target, s->values[v].type);
		if (!rc)
			rc = plan_set_known(plan, s->path, &s->values[v], s->values[v].name, s->values[v].type, data, len,
					    keep_data ? "Outlook Address Book: the mailbox's store entry rebuilt for the target"
						      : "Outlook Address Book: entries of the source mailbox's folders removed");
		free(data);
		if (!is_stores)
			cpuu_mapi_value_clear(&mv);
	}
	free(hit);
	cpuu_mapi_value_clear(&sv);
	return rc;
}

/* 1 when section uid may hold the Outlook Address Book's store list, the
 * only thing plan_contab_section acts on: a plain "11026626" value (the one
 * name that parses to PT_MV_BINARY 0x6626; names are unique regardless of
 * case). Asked by name, so the other sections of the profile are not read
 * whole. Anything but "absent" answers 1: the full load then decides (and
 * fails) exactly as before. */
static int contab_candidate(sections *c, const char *uid)
{
	if (sections_find(c, uid))
		return 1;
	cpuu_reg_key *k = NULL;
	cpuu_reg_value v = { 0 };
	int rc = sections_open(&k, c, uid);
	int opened = rc == CPUU_OK;
	if (opened)
		rc = cpuu_reg_value_get(&v, c->reg, k, "11026626");
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(k);
	if (opened && rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return 0;
	}
	return 1;
}

static int plan_contab(cpuu_plan *plan, sections *c, const cpuu_account *a, const cpuu_match *m)
{
	cpuu_reg_key *k = NULL;
	cpuu_strlist subs = { 0 };
	const cpuu_reg_key *pk = sections_profile(c);
	int rc = pk ? CPUU_OK : cpuu_reg_key_open(&k, c->reg, NULL, c->profile_path);
	if (!rc)
		rc = cpuu_reg_key_subkeys(&subs, c->reg, pk ? pk : k);
	cpuu_reg_key_free(k);
	for (size_t i = 0; !rc && i < subs.count; i++) {
		if (strlen(subs.items[i]) != 32 || !contab_candidate(c, subs.items[i]))
			continue;
		const section *sec;
		if ((rc = section_load(&sec, c, subs.items[i])) == CPUU_OK)
			rc = plan_contab_section(plan, sec, a, m);
	}
	cpuu_strlist_free(&subs);
	return rc;
}

/* Exchange address-book provider sections cache the source server: the
 * account's own (its service section's PR_AB_PROVIDERS, 01023d01) and the
 * well-known MUIDEMSAB section when it names this account's source server
 * (outlook-profile.md §3: "001f662a / 001e6602, if present"). */
#define SECTION_MUIDEMSAB "dca740c8c042101ab4b908002b2fe182"
#define CPUU_PID_AB_PROVIDERS 0x3D01

static int plan_ab_section(cpuu_plan *plan, const section *s, const cpuu_match *m)
{
	const char *server = m->target_kind == CPUU_TARGET_ONLINE ? NULL : m->target_server;
	int rc = rewrite_or_delete(plan, s, CPUU_PID_PROFILE_HOME_SERVER, server, "address book: home server -> target personality server",
				   "address book: cached source home server, re-learned");
	if (!rc)
		rc = delete_prop(plan, s, CPUU_PID_PROFILE_HOME_SERVER_FQDN, "address book: cached source server FQDN, re-learned");
	return rc;
}

static int plan_ab(cpuu_plan *plan, sections *c, const cpuu_account *a, const cpuu_match *m)
{
	const section *svc, *ab;
	int rc = CPUU_OK;
	if (a->service_uid && (rc = section_load(&svc, c, a->service_uid)) == CPUU_OK) {
		for (size_t i = 0; !rc && i < svc->count; i++) {
			uint32_t tag;
			if (!value_has_id(svc, i, CPUU_PID_AB_PROVIDERS, &tag) || CPUU_PROP_TYPE(tag) != CPUU_PT_BINARY ||
			    svc->values[i].len % 16)
				continue;
			for (size_t off = 0; !rc && off < svc->values[i].len; off += 16) {
				char uid[33];
				cpuu_hex_encode(uid, svc->values[i].data + off, 16);
				if ((rc = section_load(&ab, c, uid)) == CPUU_OK)
					rc = plan_ab_section(plan, ab, m);
			}
		}
	}
	if (rc)
		return rc;
	/* The well-known section, when it still names this account's source. */
	int present = sections_find(c, SECTION_MUIDEMSAB) != NULL;
	if (!present) {
		cpuu_reg_key *k = NULL;
		present = sections_open(&k, c, SECTION_MUIDEMSAB) == CPUU_OK;
		cpuu_reg_key_free(k);
	}
	cpuu_error_clear();
	if (!present || !a->home_server)
		return CPUU_OK;
	if ((rc = section_load(&ab, c, SECTION_MUIDEMSAB)) == CPUU_OK) {
		char *cached = NULL;
		rc = section_string(&cached, ab, CPUU_PID_PROFILE_HOME_SERVER);
		if (!rc && eq_ci(cached, a->home_server))
			rc = plan_ab_section(plan, ab, m);
		free(cached);
	}
	return rc;
}

const char *cpuu_plan_new_ost_path(const cpuu_plan *plan, const cpuu_account *account)
{
	for (size_t i = 0; plan && i < plan->nost; i++)
		if (account->service_uid && eq_ci(plan->ost[i].service_uid, account->service_uid))
			return plan->ost[i].path;
	return NULL;
}

int cpuu_plan_switch_account(cpuu_plan *plan, cpuu_reg *reg, const cpuu_profile *profile,
			     const cpuu_account *account, const cpuu_match *m,
			     const cpuu_switch_opts *opts)
{
	cpuu_switch_opts defaults;
	if (!opts) {
		cpuu_switch_opts_init(&defaults);
		opts = &defaults;
	}
	if (account->kind != CPUU_ACCOUNT_EXCHANGE)
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': account %s is not an Exchange account",
				      profile->name, account->service_uid ? account->service_uid : "?");
	if (!m->switched)
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': %s is not switched yet", profile->name,
				      account->smtp ? account->smtp : "account");
	if (!m->target_smtp || (m->target_kind != CPUU_TARGET_ONLINE && !m->target_legacy_dn))
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': the target of %s lacks %s", profile->name,
				      account->smtp ? account->smtp : "the account",
				      m->target_smtp ? "a legacyExchangeDN" : "a primary SMTP address");
	if (!account->emsmdb_section)
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': account %s has no EMSMDB section",
				      profile->name, account->smtp ? account->smtp : "?");
	int online = m->target_kind == CPUU_TARGET_ONLINE;
	sections c;
	const section *ems, *store;
	sections_init(&c, reg, profile->path);
	int rc = section_load(&ems, &c, account->emsmdb_section);
	if (!rc)
		rc = online ? plan_emsmdb_online(plan, ems, account, m)
			    : plan_emsmdb_onprem(plan, ems, account, m);
	if (!rc)
		rc = plan_ost(plan, ems, account, m, opts);
	if (!rc && account->store_section && cpuu_strcasecmp_ascii(account->store_section, account->emsmdb_section)) {
		rc = section_load(&store, &c, account->store_section);
		if (!rc)
			rc = plan_store(plan, store, account, m, online);
	}
	if (!rc)
		rc = plan_account_name(plan, reg, profile, account, m);
	if (!rc && opts->contab)
		rc = plan_contab(plan, &c, account, m);
	if (!rc)
		rc = plan_ab(plan, &c, account, m);
	sections_free(&c);
	return rc;
}

int cpuu_plan_relink_mailbox(cpuu_plan *plan, cpuu_reg *reg, const cpuu_profile *profile,
			     const cpuu_additional_mailbox *mailbox, const cpuu_match *m)
{
	if (!m->switched)
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': mailbox %s is not switched yet", profile->name,
				      mailbox->mailbox_dn ? mailbox->mailbox_dn : "?");
	if (!mailbox->section_uid)
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': additional mailbox without a section", profile->name);
	if (!m->target_smtp || (m->target_kind != CPUU_TARGET_ONLINE && !m->target_legacy_dn))
		return cpuu_error_set(CPUU_EINVALID, "profile '%s': the target of mailbox %s lacks %s", profile->name,
				      mailbox->mailbox_dn ? mailbox->mailbox_dn : "?",
				      m->target_smtp ? "a legacyExchangeDN" : "a primary SMTP address");
	/* The mailbox's own facts stand in for an account's in the name rules. */
	cpuu_account owner;
	memset(&owner, 0, sizeof owner);
	owner.kind = CPUU_ACCOUNT_EXCHANGE;
	owner.smtp = mailbox->smtp;
	owner.legacy_dn = mailbox->mailbox_dn;
	sections c;
	const section *store;
	sections_init(&c, reg, profile->path);
	int rc = section_load(&store, &c, mailbox->section_uid);
	if (!rc)
		rc = plan_store(plan, store, &owner, m, m->target_kind == CPUU_TARGET_ONLINE);
	sections_free(&c);
	return rc;
}
