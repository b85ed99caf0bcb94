/* Exchange (MSEMS) and PST facts of one service: the per-account EMSMDB
 * section (service 01023d15, or the global section 13dbb0c8... in old
 * single-account profiles) and the store provider sections (01023d00). */
#include "profile/internal.h"

#include "cpuu/mapi.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "<8>-<4>-<4>-<4>-<12>@<domain>" (Exchange 2013+ personality): the
 * lowercase GUID in *out, else *out stays NULL. */
static int mailbox_guid_from_home_server(char **out, const char *hs)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	const char *p = hs;
	for (size_t g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, p++)
			if (!isxdigit((unsigned char)*p))
				return CPUU_OK;
		if (g < 4 && *p++ != '-')
			return CPUU_OK;
	}
	if (*p != '@' || p[1] == '\0' || strchr(p + 1, '@'))
		return CPUU_OK;
	if (!(*out = cpuu_strndup(hs, 36)))
		return cpuu_error_oom();
	for (char *q = *out; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return CPUU_OK;
}

/* First string found for id in the listed sections (NULL entries skipped). */
static int first_string(char **out, const prof_ctx *ctx, const prof_section *const *secs, size_t n, uint16_t id)
{
	*out = NULL;
	for (size_t i = 0; i < n && !*out; i++) {
		if (!secs[i] || !secs[i]->key)
			continue;
		int rc = prof_get_string(out, ctx, secs[i], id);
		if (rc < 0)
			return rc;
	}
	return CPUU_OK;
}

/* Some writers (the MAPI profile toolkit) keep "SMTP:user@domain" in 6641. */
static void strip_smtp_prefix(char *s)
{
	static const char prefix[] = "smtp:";
	if (!s)
		return;
	for (size_t i = 0; i < 5; i++)
		if (tolower((unsigned char)s[i]) != prefix[i])
			return;
	memmove(s, s + 5, strlen(s + 5) + 1);
}

static void additional_clear(cpuu_additional_mailbox *m)
{
	free(m->section_uid);
	free(m->display_name);
	free(m->mailbox_dn);
	free(m->server);
	free(m->smtp);
	memset(m, 0, sizeof *m);
}

static int add_additional(cpuu_account *a, const prof_ctx *ctx, const prof_section *store)
{
	cpuu_additional_mailbox m = { 0 };
	int rc;
	if (!(m.section_uid = cpuu_strdup(store->uid)))
		return cpuu_error_oom();
	if ((rc = prof_get_string(&m.display_name, ctx, store, CPUU_PID_DISPLAY_NAME)) < 0 ||
	    (rc = prof_get_string(&m.mailbox_dn, ctx, store, CPUU_PID_PROFILE_MAILBOX)) < 0 ||
	    (rc = prof_get_string(&m.server, ctx, store, CPUU_PID_PROFILE_SERVER)) < 0 ||
	    (rc = prof_get_string(&m.smtp, ctx, store, CPUU_PID_PROFILE_USER_SMTP_EMAIL_ADDRESS)) < 0) {
		additional_clear(&m);
		return rc;
	}
	strip_smtp_prefix(m.smtp);
	cpuu_additional_mailbox *grown = cpuu_array_reserve(a->additional, NULL, a->nadditional + 1, sizeof *grown);
	if (!grown) {
		additional_clear(&m);
		return cpuu_error_oom();
	}
	a->additional = grown;
	a->additional[a->nadditional++] = m;
	return CPUU_OK;
}

/* Walks 01023d00: keeps the first primary store (660a == 1) open in *primary,
 * records every delegate/additional one (660a == 2). */
static int walk_stores(cpuu_account *a, prof_section *primary, const prof_ctx *ctx, const prof_section *service)
{
	uint8_t *uids;
	size_t n;
	char from[10];
	cpuu_mapi_tag_format(from, CPUU_PROP_TAG(CPUU_PT_BINARY, CPUU_PID_STORE_PROVIDERS), 0);
	int rc = prof_get_uid_list(&uids, &n, ctx, service, CPUU_PID_STORE_PROVIDERS);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == CPUU_OK; i++) {
		prof_section s;
		int32_t type;
		int found;
		if ((rc = prof_section_open_uid(&s, ctx, uids + 16 * i, service->uid, from)) < 0)
			break;
		rc = prof_get_long(&type, &found, ctx, &s, CPUU_PID_PROFILE_TYPE);
		if (rc == CPUU_OK && found && type == CPUU_PROFILE_TYPE_PRIMARY && !primary->key) {
			*primary = s;
			continue;
		}
		if (rc == CPUU_OK && found && type == CPUU_PROFILE_TYPE_DELEGATE)
			rc = add_additional(a, ctx, &s);
		prof_section_close(&s);
	}
	free(uids);
	return rc;
}

/* The EMSMDB section: 01023d15 of the service (exactly one UID), else the
 * global section when present. */
static int open_emsmdb(prof_section *out, const prof_ctx *ctx, const prof_section *service)
{
	uint8_t *uids;
	size_t n;
	char name[10];
	cpuu_mapi_tag_format(name, CPUU_PROP_TAG(CPUU_PT_BINARY, CPUU_PID_EMSMDB_SECTION_UID), 0);
	memset(out, 0, sizeof *out);
	int rc = prof_get_uid_list(&uids, &n, ctx, service, CPUU_PID_EMSMDB_SECTION_UID);
	if (rc < 0)
		return rc;
	if (n > 1) {
		free(uids);
		return prof_fail(CPUU_EINVALID, ctx, service->uid, name, "length %zu, expected 16 (one section UID)", n * 16);
	}
	if (n == 1) {
		rc = prof_section_open_uid(out, ctx, uids, service->uid, name);
		free(uids);
		return rc;
	}
	int found;
	return prof_section_open_named(out, &found, ctx, CPUU_SECTION_GLOBAL);
}

int prof_exchange_fill(cpuu_account *a, const prof_ctx *ctx, const prof_section *service)
{
	prof_section emsmdb = { 0 }, store = { 0 };
	int rc = open_emsmdb(&emsmdb, ctx, service);
	/* The identity section: a dozen properties are asked of it. */
	if (rc == CPUU_OK)
		rc = prof_section_read_all(ctx, &emsmdb);
	if (rc == CPUU_OK)
		rc = walk_stores(a, &store, ctx, service);
	if (rc < 0)
		goto out;
	if (emsmdb.key && !(a->emsmdb_section = cpuu_strdup(emsmdb.uid))) {
		rc = cpuu_error_oom();
		goto out;
	}
	if (store.key && !(a->store_section = cpuu_strdup(store.uid))) {
		rc = cpuu_error_oom();
		goto out;
	}
	/* Identity lives in the EMSMDB section; MAPI/HTTP-era writers also keep
	 * it in the primary store section, which is the fallback. */
	const prof_section *es[] = { &emsmdb, &store };
	const prof_section *esv[] = { &emsmdb, &store, service };
	if (!a->display_name && (rc = first_string(&a->display_name, ctx, esv, 3, CPUU_PID_DISPLAY_NAME)) < 0)
		goto out;
	if ((rc = first_string(&a->smtp, ctx, es, 2, CPUU_PID_PROFILE_USER_SMTP_EMAIL_ADDRESS)) < 0)
		goto out;
	strip_smtp_prefix(a->smtp);
	if ((rc = first_string(&a->legacy_dn, ctx, es, 2, CPUU_PID_PROFILE_USER)) < 0)
		goto out;
	if (!a->legacy_dn && store.key && (rc = prof_get_string(&a->legacy_dn, ctx, &store, CPUU_PID_PROFILE_MAILBOX)) < 0)
		goto out;
	if ((rc = first_string(&a->home_server, ctx, es, 2, CPUU_PID_PROFILE_HOME_SERVER)) < 0)
		goto out;
	if ((rc = first_string(&a->server_dn, ctx, es, 2, CPUU_PID_PROFILE_HOME_SERVER_DN)) < 0)
		goto out;
	if (!a->server_dn && store.key && (rc = prof_get_string(&a->server_dn, ctx, &store, CPUU_PID_PROFILE_SERVER_DN)) < 0)
		goto out;
	if ((rc = first_string(&a->ost_path, ctx, es, 2, CPUU_PID_PROFILE_OFFLINE_STORE_PATH)) < 0)
		goto out;
	/* Only the personality form carries the GUID; a NetBIOS name gives NULL. */
	if (a->home_server && (rc = mailbox_guid_from_home_server(&a->mailbox_guid, a->home_server)) < 0)
		goto out;
	a->cached = -1;
	for (size_t i = 0; i < 2; i++) {
		int32_t flags;
		int found;
		if (!es[i]->key)
			continue;
		if ((rc = prof_get_long(&flags, &found, ctx, es[i], CPUU_PID_PROFILE_CONFIG_FLAGS)) < 0)
			goto out;
		if (found) {
			/* MFCMAPI (MainDlg.cpp) tests (flags & CONFIG_OST_CACHE_PRIVATE) != 0. */
			a->cached = ((uint32_t)flags & CPUU_PROFILE_CONFIG_OST_CACHE_PRIVATE) != 0;
			break;
		}
	}
out:
	prof_section_close(&emsmdb);
	prof_section_close(&store);
	return rc;
}

int prof_pst_fill(cpuu_account *a, const prof_ctx *ctx, const prof_section *service)
{
	uint8_t *uids;
	size_t n;
	char from[10];
	cpuu_mapi_tag_format(from, CPUU_PROP_TAG(CPUU_PT_BINARY, CPUU_PID_STORE_PROVIDERS), 0);
	int rc = prof_get_uid_list(&uids, &n, ctx, service, CPUU_PID_STORE_PROVIDERS);
	if (rc < 0 || n == 0)
		return rc;
	/* The first store provider is the PST; the others are only checked. */
	for (size_t i = 0; i < n && rc == CPUU_OK; i++) {
		prof_section s;
		if ((rc = prof_section_open_uid(&s, ctx, uids + 16 * i, service->uid, from)) < 0)
			break;
		if (i == 0) {
			if (!(a->store_section = cpuu_strdup(s.uid)))
				rc = cpuu_error_oom();
			if (rc == CPUU_OK)
				rc = prof_get_string(&a->ost_path, ctx, &s, CPUU_PID_PST_PATH);
			if (rc == CPUU_OK && !a->display_name)
				rc = prof_get_string(&a->display_name, ctx, &s, CPUU_PID_DISPLAY_NAME);
		}
		prof_section_close(&s);
	}
	free(uids);
	return rc;
}
