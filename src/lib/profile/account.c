/* Accounts of one profile: the account manager (9375CFF0...) in the order of
 * its mail list, then its other subkeys, then the services of PR_SERVICES
 * that no account names. */
#include "profile/internal.h"

#include "cpuu/mapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cpuu_account_kind_name(cpuu_account_kind kind)
{
	switch (kind) {
	case CPUU_ACCOUNT_EXCHANGE: return "exchange";
	case CPUU_ACCOUNT_PST: return "pst";
	case CPUU_ACCOUNT_IMAP: return "imap";
	case CPUU_ACCOUNT_POP: return "pop";
	default: return "other";
	}
}

void prof_account_clear(cpuu_account *a)
{
	free(a->account_key);
	free(a->service_uid);
	free(a->service_name);
	free(a->display_name);
	free(a->smtp);
	free(a->legacy_dn);
	free(a->home_server);
	free(a->server_dn);
	free(a->mailbox_guid);
	free(a->ost_path);
	free(a->emsmdb_section);
	free(a->store_section);
	free(a->account_name);
	for (size_t i = 0; i < a->nadditional; i++) {
		cpuu_additional_mailbox *m = &a->additional[i];
		free(m->section_uid);
		free(m->display_name);
		free(m->mailbox_dn);
		free(m->server);
		free(m->smtp);
	}
	free(a->additional);
	memset(a, 0, sizeof *a);
}

static cpuu_account_kind kind_from_service_name(const char *name)
{
	if (!name)
		return CPUU_ACCOUNT_OTHER;
	if (!cpuu_strcasecmp_ascii(name, "MSEMS"))
		return CPUU_ACCOUNT_EXCHANGE;
	if (!cpuu_strcasecmp_ascii(name, "MSPST MS") || !cpuu_strcasecmp_ascii(name, "MSUPST MS"))
		return CPUU_ACCOUNT_PST;
	return CPUU_ACCOUNT_OTHER;
}

static int push_account(cpuu_profile *p, cpuu_account *a)
{
	cpuu_account *grown = cpuu_array_reserve(p->accounts, NULL, p->naccounts + 1, sizeof *grown);
	if (!grown) {
		prof_account_clear(a);
		return cpuu_error_oom();
	}
	p->accounts = grown;
	p->accounts[p->naccounts++] = *a;
	memset(a, 0, sizeof *a);
	return CPUU_OK;
}

/* Reads the service section (uid) into a: name, kind if not already decided
 * by the account class, and the kind's facts. */
static int fill_from_service(cpuu_account *a, int kind_known, const prof_ctx *ctx, const uint8_t uid[16],
			     const char *from_section, const char *from_value)
{
	prof_section svc;
	int rc = prof_section_open_uid(&svc, ctx, uid, from_section, from_value);
	if (rc < 0)
		return rc;
	if (!(a->service_uid = cpuu_strdup(svc.uid)))
		rc = cpuu_error_oom();
	if (rc == CPUU_OK)
		rc = prof_get_string(&a->service_name, ctx, &svc, CPUU_PID_SERVICE_NAME);
	if (rc == CPUU_OK && !kind_known)
		a->kind = kind_from_service_name(a->service_name);
	if (rc == CPUU_OK && a->kind == CPUU_ACCOUNT_EXCHANGE)
		rc = prof_exchange_fill(a, ctx, &svc);
	else if (rc == CPUU_OK && a->kind == CPUU_ACCOUNT_PST)
		rc = prof_pst_fill(a, ctx, &svc);
	if (rc == CPUU_OK && !a->display_name)
		rc = prof_get_string(&a->display_name, ctx, &svc, CPUU_PID_DISPLAY_NAME);
	prof_section_close(&svc);
	return rc;
}

/* An optional account-manager string ("Account Name", "clsid", "Email"):
 * REG_SZ, or REG_BINARY holding UTF-16LE. */
static int acct_string(char **out, const prof_ctx *ctx, const char *where, const cpuu_reg_key *key, const char *name)
{
	*out = NULL;
	int rc = cpuu_reg_get_string(out, ctx->reg, key, name);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	return rc < 0 ? prof_wrap(ctx, where, name) : CPUU_OK;
}

static int load_one_account(cpuu_profile *p, const prof_ctx *ctx, const cpuu_reg_key *mgr, const char *subkey)
{
	cpuu_account a = { 0 };
	cpuu_reg_key *key = NULL;
	char *clsid = NULL;
	cpuu_reg_value uidv = { 0 };
	char *where = cpuu_aprintf("%s\\%s", CPUU_SECTION_ACCOUNT_MANAGER, subkey);
	int rc = where ? CPUU_OK : cpuu_error_oom();
	a.cached = -1;
	a.kind = CPUU_ACCOUNT_OTHER;
	if (rc == CPUU_OK && (rc = cpuu_reg_key_open(&key, ctx->reg, mgr, subkey)) < 0)
		rc = prof_wrap(ctx, where, NULL);
	if (rc == CPUU_OK && !(a.account_key = cpuu_strdup(subkey)))
		rc = cpuu_error_oom();
	if (rc == CPUU_OK)
		rc = acct_string(&a.account_name, ctx, where, key, "Account Name");
	if (rc == CPUU_OK)
		rc = acct_string(&clsid, ctx, where, key, "clsid");
	int kind_known = 0;
	if (rc == CPUU_OK && clsid) {
		if (!cpuu_strcasecmp_ascii(clsid, CPUU_ACCT_CLSID_IMAP4))
			a.kind = CPUU_ACCOUNT_IMAP, kind_known = 1;
		else if (!cpuu_strcasecmp_ascii(clsid, CPUU_ACCT_CLSID_POP3))
			a.kind = CPUU_ACCOUNT_POP, kind_known = 1;
	}
	if (rc == CPUU_OK && kind_known)
		rc = acct_string(&a.smtp, ctx, where, key, "Email");
	if (rc == CPUU_OK && kind_known)
		rc = acct_string(&a.display_name, ctx, where, key, "Display Name");
	if (rc == CPUU_OK) {
		rc = cpuu_reg_value_get(&uidv, ctx->reg, key, "Service UID");
		if (rc == CPUU_ENOTFOUND) {
			cpuu_error_clear();
			rc = CPUU_OK;
		} else if (rc < 0) {
			rc = prof_wrap(ctx, where, "Service UID");
		} else if (uidv.type != CPUU_REG_BINARY || uidv.len != 16) {
			rc = prof_fail(CPUU_EINVALID, ctx, where, "Service UID",
				       "expected REG_BINARY of 16 bytes, found type %u, %zu bytes",
				       (unsigned)uidv.type, uidv.len);
		} else {
			rc = fill_from_service(&a, kind_known, ctx, uidv.data, where, "Service UID");
		}
	}
	/* The name the user gave the account is the last resort for a display name. */
	if (rc == CPUU_OK && !a.display_name && a.account_name && !(a.display_name = cpuu_strdup(a.account_name)))
		rc = cpuu_error_oom();
	cpuu_reg_value_clear(&uidv);
	free(clsid);
	cpuu_reg_key_free(key);
	free(where);
	if (rc < 0) {
		prof_account_clear(&a);
		return rc;
	}
	return push_account(p, &a);
}

static int parse_account_id(uint32_t *id, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 8)
		return 0;
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint32_t)d;
	}
	*id = v;
	return 1;
}

/* The mail list: an ordered array of DWORD account IDs; absent is fine. */
static int read_order(uint32_t **ids, size_t *n, const prof_ctx *ctx, const cpuu_reg_key *mgr)
{
	cpuu_reg_value v = { 0 };
	*ids = NULL;
	*n = 0;
	int rc = cpuu_reg_value_get(&v, ctx->reg, mgr, CPUU_ACCT_LIST_MAIL);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc < 0)
		return prof_wrap(ctx, CPUU_SECTION_ACCOUNT_MANAGER, CPUU_ACCT_LIST_MAIL);
	if (v.type != CPUU_REG_BINARY || v.len % 4 != 0) {
		rc = prof_fail(CPUU_EINVALID, ctx, CPUU_SECTION_ACCOUNT_MANAGER, CPUU_ACCT_LIST_MAIL,
			       "expected REG_BINARY of DWORD account IDs, found type %u, %zu bytes",
			       (unsigned)v.type, v.len);
		cpuu_reg_value_clear(&v);
		return rc;
	}
	if (v.len) {
		*ids = malloc(v.len);
		if (!*ids) {
			cpuu_reg_value_clear(&v);
			return cpuu_error_oom();
		}
		*n = v.len / 4;
		for (size_t i = 0; i < *n; i++)
			(*ids)[i] = cpuu_le32(v.data + 4 * i);
	}
	cpuu_reg_value_clear(&v);
	return CPUU_OK;
}

static int load_account_manager(cpuu_profile *p, const prof_ctx *ctx, const prof_section *mgr)
{
	cpuu_strlist subs = { 0 };
	uint32_t *ids = NULL;
	size_t nids = 0;
	char *done = NULL;
	int rc = cpuu_reg_key_subkeys(&subs, ctx->reg, mgr->key);
	if (rc < 0)
		return prof_wrap(ctx, CPUU_SECTION_ACCOUNT_MANAGER, NULL);
	if ((rc = read_order(&ids, &nids, ctx, mgr->key)) < 0)
		goto out;
	done = calloc(subs.count + 1, 1);
	if (!done) {
		rc = cpuu_error_oom();
		goto out;
	}
	for (size_t i = 0; i < nids && rc == CPUU_OK; i++) {
		size_t j;
		uint32_t id;
		for (j = 0; j < subs.count; j++)
			if (parse_account_id(&id, subs.items[j]) && id == ids[i])
				break;
		if (j == subs.count) {
			rc = prof_fail(CPUU_EINVALID, ctx, CPUU_SECTION_ACCOUNT_MANAGER, CPUU_ACCT_LIST_MAIL,
				       "dangling link: account %08x has no subkey", (unsigned)ids[i]);
			break;
		}
		if (done[j])
			continue; /* listed twice: one account */
		done[j] = 1;
		rc = load_one_account(p, ctx, mgr->key, subs.items[j]);
	}
	for (size_t j = 0; j < subs.count && rc == CPUU_OK; j++)
		if (!done[j])
			rc = load_one_account(p, ctx, mgr->key, subs.items[j]);
out:
	free(done);
	free(ids);
	cpuu_strlist_free(&subs);
	return rc;
}

static int known_service(const cpuu_profile *p, const char *uid)
{
	for (size_t i = 0; i < p->naccounts; i++)
		if (p->accounts[i].service_uid && !strcmp(p->accounts[i].service_uid, uid))
			return 1;
	return 0;
}

static int load_unlisted_services(cpuu_profile *p, const prof_ctx *ctx)
{
	prof_section hdr;
	int found;
	uint8_t *uids = NULL;
	size_t n = 0;
	char from[10];
	cpuu_mapi_tag_format(from, CPUU_PROP_TAG(CPUU_PT_BINARY, CPUU_PID_SERVICES), 0);
	int rc = prof_section_open_named(&hdr, &found, ctx, CPUU_SECTION_HEADER);
	if (rc < 0 || !found)
		return rc;
	rc = prof_get_uid_list(&uids, &n, ctx, &hdr, CPUU_PID_SERVICES);
	for (size_t i = 0; i < n && rc == CPUU_OK; i++) {
		char hex[33];
		cpuu_hex_encode(hex, uids + 16 * i, 16);
		if (known_service(p, hex))
			continue;
		cpuu_account a = { 0 };
		a.cached = -1;
		rc = fill_from_service(&a, 0, ctx, uids + 16 * i, CPUU_SECTION_HEADER, from);
		if (rc < 0)
			prof_account_clear(&a);
		else
			rc = push_account(p, &a);
	}
	free(uids);
	prof_section_close(&hdr);
	return rc;
}

int prof_load_accounts(cpuu_profile *p, const prof_ctx *ctx)
{
	prof_section mgr;
	int found;
	int rc = prof_section_open_named(&mgr, &found, ctx, CPUU_SECTION_ACCOUNT_MANAGER);
	if (rc < 0)
		return rc;
	if (found) {
		rc = load_account_manager(p, ctx, &mgr);
		prof_section_close(&mgr);
		if (rc < 0)
			return rc;
	}
	return load_unlisted_services(p, ctx);
}
