/* Default signatures: the account manager's per-account "New Signature" and
 * "Reply-Forward Signature" values. They are not MAPI properties and no .prf
 * section maps them (docs/prf.md), so a recreated profile loses them unless
 * they are recorded first and written into the new account once Outlook has
 * created it. */
#include "prf/internal.h"

#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

static void sig_clear(cpuu_signature *s)
{
	free(s->name);
	free(s->data);
	memset(s, 0, sizeof *s);
}

void cpuu_signatures_clear(cpuu_signatures *s)
{
	if (!s)
		return;
	sig_clear(&s->new_message);
	sig_clear(&s->reply_forward);
}

static char *account_key_path(const cpuu_profile *p, const char *account_key)
{
	return cpuu_aprintf("%s\\" CPUU_SECTION_ACCOUNT_MANAGER "\\%s", p->path, account_key);
}

static int read_one(cpuu_signature *out, cpuu_reg *reg, const cpuu_reg_key *k, const char *name)
{
	cpuu_reg_value v;
	int rc = cpuu_reg_value_get(&v, reg, k, name);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	/* Outlook writes REG_BINARY UTF-16LE; scripts write REG_SZ. */
	if (v.type != CPUU_REG_SZ && v.type != CPUU_REG_EXPAND_SZ && v.type != CPUU_REG_BINARY) {
		rc = cpuu_error_set(CPUU_EINVALID, "%s\\%s: type %u is not a signature name", cpuu_reg_key_path(k),
				    v.name, v.type);
	} else if ((rc = cpuu_utf16le_to_utf8(&out->name, NULL, v.data, v.len, 0)) != CPUU_OK) {
		cpuu_error_prefix("%s\\%s", cpuu_reg_key_path(k), v.name);
	} else {
		out->type = v.type;
		out->len = v.len;
		out->data = v.data;
		v.data = NULL;
	}
	cpuu_reg_value_clear(&v);
	return rc;
}

int cpuu_prf_signatures_read(cpuu_signatures *out, cpuu_reg *reg, const cpuu_profile *profile,
			     const cpuu_account *account)
{
	if (!out)
		return cpuu_error_set(CPUU_EINVALID, "signatures: NULL output");
	memset(out, 0, sizeof *out);
	if (!reg || !profile || !account || !profile->path)
		return cpuu_error_set(CPUU_EINVALID, "signatures: NULL argument");
	if (!account->account_key)
		return CPUU_OK; /* no account-manager subkey: no choices */
	char *path = account_key_path(profile, account->account_key);
	if (!path)
		return cpuu_error_oom();
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, path);
	free(path);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	rc = read_one(&out->new_message, reg, k, PRF_NEW_SIGNATURE);
	if (!rc)
		rc = read_one(&out->reply_forward, reg, k, PRF_REPLY_SIGNATURE);
	cpuu_reg_key_free(k);
	if (rc)
		cpuu_signatures_clear(out);
	return rc;
}

int cpuu_prf_plan_signatures_record(cpuu_plan *plan, size_t *count, cpuu_reg *reg, const cpuu_profile *profile,
				    const cpuu_account *account, const cpuu_match *m, const char *new_profile)
{
	if (count)
		*count = 0;
	if (!plan || !m || !profile)
		return cpuu_error_set(CPUU_EINVALID, "signatures: NULL argument");
	const char *pname = new_profile ? new_profile : profile->name;
	if (!m->target_smtp || !*m->target_smtp || strchr(m->target_smtp, '|'))
		return cpuu_error_set(CPUU_EINVALID, "signatures: target address '%s' cannot name a record",
				      m->target_smtp ? m->target_smtp : "");
	if (!pname || !*pname)
		return cpuu_error_set(CPUU_EINVALID, "signatures: no profile name");
	cpuu_signatures s;
	int rc = cpuu_prf_signatures_read(&s, reg, profile, account);
	if (rc)
		return rc;
	const cpuu_signature *list[2] = { &s.new_message, &s.reply_forward };
	const char *names[2] = { PRF_NEW_SIGNATURE, PRF_REPLY_SIGNATURE };
	size_t n = 0;
	for (int i = 0; i < 2 && !rc; i++) {
		if (!list[i]->name)
			continue;
		char *value = cpuu_aprintf("%s|%s|%s", pname, m->target_smtp, names[i]);
		if (!value) {
			rc = cpuu_error_oom();
			break;
		}
		char *why = cpuu_aprintf("%s '%s' kept for the account Outlook creates from the PRF", names[i],
					 list[i]->name);
		rc = why ? cpuu_plan_set_value(plan, reg, CPUU_PRF_PENDING_KEY, value, list[i]->type, list[i]->data,
					       list[i]->len, why)
			 : cpuu_error_oom();
		free(why);
		free(value);
		n++;
	}
	cpuu_signatures_clear(&s);
	if (!rc && count)
		*count = n;
	return rc;
}

static const cpuu_profile *find_profile(const cpuu_profile_set *set, const char *name)
{
	for (size_t i = 0; set && i < set->nprofiles; i++)
		if (set->profiles[i].name && !cpuu_strcasecmp_ascii(set->profiles[i].name, name))
			return &set->profiles[i];
	return NULL;
}

static const cpuu_account *find_account(const cpuu_profile *p, const char *smtp)
{
	for (size_t i = 0; i < p->naccounts; i++) {
		const cpuu_account *a = &p->accounts[i];
		if (!a->account_key)
			continue;
		if ((a->smtp && !cpuu_strcasecmp_ascii(a->smtp, smtp)) ||
		    (a->account_name && !cpuu_strcasecmp_ascii(a->account_name, smtp)))
			return a;
	}
	return NULL;
}

/* Splits "<profile>|<smtp>|<value name>" (the profile name may itself hold
 * '|'; the address may not). */
static int parse_record(char **profile, char **smtp, const char **which, const char *name)
{
	*profile = *smtp = NULL;
	*which = NULL;
	const char *last = strrchr(name, '|');
	const char *mid = NULL;
	for (const char *p = name; last && p < last; p++)
		if (*p == '|')
			mid = p;
	if (!last || !mid || mid == name || mid + 1 == last)
		return cpuu_error_set(CPUU_EINVALID, "%s\\%s: not '<profile>|<address>|<value>'", CPUU_PRF_PENDING_KEY,
				      name);
	if (!cpuu_strcasecmp_ascii(last + 1, PRF_NEW_SIGNATURE))
		*which = PRF_NEW_SIGNATURE;
	else if (!cpuu_strcasecmp_ascii(last + 1, PRF_REPLY_SIGNATURE))
		*which = PRF_REPLY_SIGNATURE;
	else
		return cpuu_error_set(CPUU_EINVALID, "%s\\%s: '%s' is not a signature value", CPUU_PRF_PENDING_KEY, name,
				      last + 1);
	*profile = cpuu_strndup(name, (size_t)(mid - name));
	*smtp = cpuu_strndup(mid + 1, (size_t)(last - mid - 1));
	if (!*profile || !*smtp) {
		free(*profile);
		free(*smtp);
		*profile = *smtp = NULL;
		return cpuu_error_oom();
	}
	return CPUU_OK;
}

static int apply_record(cpuu_plan *plan, int *done, cpuu_reg *reg, const cpuu_profile_set *profiles,
			const cpuu_reg_value *rec)
{
	*done = 0;
	char *pname = NULL, *smtp = NULL;
	const char *which = NULL;
	int rc = parse_record(&pname, &smtp, &which, rec->name);
	if (rc)
		return rc;
	/* The record is registry data: only a signature name goes on. */
	char *check = NULL;
	if (rec->type != CPUU_REG_SZ && rec->type != CPUU_REG_EXPAND_SZ && rec->type != CPUU_REG_BINARY)
		rc = cpuu_error_set(CPUU_EINVALID, "%s\\%s: type %u is not a signature name", CPUU_PRF_PENDING_KEY,
				    rec->name, rec->type);
	else if ((rc = cpuu_utf16le_to_utf8(&check, NULL, rec->data, rec->len, 0)) != CPUU_OK)
		cpuu_error_prefix("%s\\%s", CPUU_PRF_PENDING_KEY, rec->name);
	free(check);
	if (rc) {
		free(pname);
		free(smtp);
		return rc;
	}
	const cpuu_profile *p = find_profile(profiles, pname);
	const cpuu_account *a = p ? find_account(p, smtp) : NULL;
	if (a) {
		char *path = account_key_path(p, a->account_key);
		cpuu_reg_key *k = NULL;
		cpuu_reg_value own;
		int has_own = 0;
		rc = path ? cpuu_reg_key_open(&k, reg, NULL, path) : cpuu_error_oom();
		if (!rc) {
			rc = cpuu_reg_value_get(&own, reg, k, which);
			has_own = rc == CPUU_OK;
			if (has_own)
				cpuu_reg_value_clear(&own);
			if (rc == CPUU_ENOTFOUND) {
				cpuu_error_clear();
				rc = CPUU_OK;
			}
		}
		cpuu_reg_key_free(k);
		/* A choice the user made in the new account since wins. */
		if (!rc && !has_own)
			rc = cpuu_plan_set_value(plan, reg, path, which, rec->type, rec->data, rec->len,
						 "default signature carried over from the recreated profile");
		if (!rc)
			rc = cpuu_plan_delete_value(plan, reg, CPUU_PRF_PENDING_KEY, rec->name,
						    "signature choice delivered to the new account");
		free(path);
		*done = rc == CPUU_OK;
	}
	free(pname);
	free(smtp);
	return rc;
}

int cpuu_prf_plan_signatures_apply(cpuu_plan *plan, size_t *applied, size_t *pending, cpuu_reg *reg,
				   const cpuu_profile_set *profiles)
{
	if (applied)
		*applied = 0;
	if (pending)
		*pending = 0;
	if (!plan || !reg)
		return cpuu_error_set(CPUU_EINVALID, "signatures: NULL argument");
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, CPUU_PRF_PENDING_KEY);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	cpuu_reg_value *vals = NULL;
	size_t n = 0;
	rc = cpuu_reg_key_values(&vals, &n, reg, k);
	cpuu_reg_key_free(k);
	size_t a = 0, p = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		int done = 0;
		rc = apply_record(plan, &done, reg, profiles, &vals[i]);
		if (done)
			a++;
		else
			p++;
	}
	cpuu_reg_values_free(vals, n);
	if (rc)
		return rc;
	if (applied)
		*applied = a;
	if (pending)
		*pending = p;
	return CPUU_OK;
}
