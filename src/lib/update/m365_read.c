/* Reads a user's Microsoft 365 cutover state (cpuu/m365.h): every key and
 * value name here comes from ../shared/reference/m365-cutover.md §3 and the
 * Microsoft pages it cites (docs/m365.md has the table with sources). Only
 * named values are read; binary values and credential-looking names never. */
#include "update/internal.h"
#include "cpuu/m365.h"

#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Office versions with a per-user Identity and Outlook\AutoDiscover key. */
static const char *const versions[] = { "15.0", "16.0" };

/* Outlook\AutoDiscover values of KB 2212902 / KB 3211279 / KB 4046818. */
static const char *const ad_values[] = { "PreferLocalXML",	 "ExcludeHttpRedirect",	   "ExcludeHttpsAutoDiscoverDomain",
					 "ExcludeHttpsRootDomain", "ExcludeScpLookup",	   "ExcludeSrvRecord",
					 "ExcludeLastKnownGoodURL", "ExcludeExplicitO365Endpoint", "ZeroConfigExchange",
					 "ZeroConfigExchangeOnce" };

const char *cpuu_scenario_name(cpuu_scenario s)
{
	static const char *const names[] = { "onprem-crossforest", "onprem-to-exo", "tenant-to-tenant" };
	return (unsigned)s < CPUU_SCENARIO_COUNT ? names[s] : "unknown";
}

int cpuu_scenario_from_name(cpuu_scenario *out, const char *name)
{
	for (int i = 0; name && i < CPUU_SCENARIO_COUNT; i++)
		if (!cpuu_strcasecmp_ascii(name, cpuu_scenario_name((cpuu_scenario)i))) {
			*out = (cpuu_scenario)i;
			return CPUU_OK;
		}
	return cpuu_error_set(CPUU_ENOTFOUND, "unknown scenario '%s'", name ? name : "");
}

int cpuu_scenario_target_is_exo(cpuu_scenario s)
{
	return s == CPUU_SCENARIO_ONPREM_TO_EXO || s == CPUU_SCENARIO_TENANT_TO_TENANT;
}

const char *cpuu_m365_kind_name(cpuu_m365_kind k)
{
	static const char *const names[] = { "autodiscover", "autodiscover-policy", "identity-root", "health",
					     "new-outlook",  "onedrive",	    "teams",	     "activation",
					     "new-teams" };
	return (unsigned)k < CPUU_M365_KIND_COUNT ? names[k] : "unknown";
}

/* Does a word start at s (ASCII letters compared without case)? */
static int word_at(const char *s, const char *word)
{
	for (; *word; s++, word++) {
		int c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c != *word)
			return 0;
	}
	return 1;
}

/* One pass over the name (every backed-up value's name is asked): only a
 * word's first letter can start a match. */
int cpuu_m365_secret_name(const char *name)
{
	static const char *const words[] = { "token", "secret", "password", "credential", "cookie", "blob" };
	/* The first letters of the words, either case: one look per byte. */
	static const unsigned char first[256] = { ['t'] = 1, ['s'] = 1, ['p'] = 1, ['c'] = 1, ['b'] = 1,
						  ['T'] = 1, ['S'] = 1, ['P'] = 1, ['C'] = 1, ['B'] = 1 };
	for (const char *h = name; h && *h; h++) {
		int c = (unsigned char)*h;
		if (!first[c])
			continue;
		c |= 0x20; /* a letter: lower case */
		for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
			if (words[i][0] == c && word_at(h, words[i]))
				return 1;
	}
	return 0;
}

int cpuu_m365_domain_matches(const char *address, const cpuu_strlist *domains)
{
	const char *at = address ? strrchr(address, '@') : NULL;
	for (size_t i = 0; at && at[1] && domains && i < domains->count; i++)
		if (!cpuu_strcasecmp_ascii(at + 1, domains->items[i]))
			return 1;
	return 0;
}

static int in_list(const char *s, const cpuu_strlist *l)
{
	for (size_t i = 0; s && l && i < l->count; i++)
		if (!cpuu_strcasecmp_ascii(s, l->items[i]))
			return 1;
	return 0;
}

/* A string value, or NULL when absent, not a string, or credential-like. */
static char *get_text(cpuu_reg *reg, const cpuu_reg_key *k, const char *name)
{
	char *s = NULL;
	if (cpuu_m365_secret_name(name) || cpuu_reg_get_string(&s, reg, k, name) != CPUU_OK)
		s = NULL;
	cpuu_error_clear();
	return s;
}

/* A DWORD as decimal text, or NULL. */
static char *get_dword_text(cpuu_reg *reg, const cpuu_reg_key *k, const char *name, uint32_t *v)
{
	uint32_t d = 0;
	int rc = cpuu_reg_get_dword(&d, reg, k, name);
	cpuu_error_clear();
	if (rc)
		return NULL;
	if (v)
		*v = d;
	return cpuu_aprintf("%u", d);
}

typedef struct reader {
	cpuu_m365_state *st;
	cpuu_reg *reg;
	const cpuu_m365_source *src;
	size_t icap, fcap;
} reader;

static int add_finding(reader *r, cpuu_m365_kind kind, const char *ver, const char *key, const char *name,
		       char *value, int source, int problem, const char *note)
{
	cpuu_m365_state *st = r->st;
	cpuu_m365_finding *grown = cpuu_array_reserve(st->findings, &r->fcap, st->nfindings + 1, sizeof *grown);
	if (!grown) {
		free(value);
		return cpuu_error_oom();
	}
	st->findings = grown;
	cpuu_m365_finding *f = &st->findings[st->nfindings];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->version = ver ? cpuu_strdup(ver) : NULL;
	f->key = cpuu_strdup(key);
	f->name = cpuu_strdup(name);
	f->value = value;
	f->source = source;
	f->problem = problem;
	f->note = note;
	st->nfindings++;
	return (ver && !f->version) || !f->key || !f->name ? cpuu_error_oom() : CPUU_OK;
}

static cpuu_reg_key *open_key(cpuu_reg *reg, const char *path)
{
	cpuu_reg_key *k = NULL;
	if (cpuu_reg_key_open(&k, reg, NULL, path) != CPUU_OK)
		k = NULL;
	cpuu_error_clear();
	return k;
}

static int read_identities(reader *r, const char *ver)
{
	char *root = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Common\\Identity", ver);
	char *ids = root ? cpuu_aprintf("%s\\Identities", root) : NULL;
	if (!ids) {
		free(root);
		return cpuu_error_oom();
	}
	int rc = CPUU_OK;
	cpuu_reg_key *rk = open_key(r->reg, root);
	char *fp = rk ? get_text(r->reg, rk, "FederationProvider") : NULL;
	if (fp)
		rc = add_finding(r, CPUU_M365_IDENTITY_ROOT, ver, root, "FederationProvider", fp, 0, 0,
				 "the provider Office signs in with first (OCCT removes it at cutover)");
	/* Modern-auth blockers (CAE page, Microsoft support wiki, Office 2013 page). */
	static const struct {
		const char *name;
		uint32_t bad;
		const char *note;
	} health[] = {
		{ "DisableADALatopWAMOverride", 1, "disables WAM for Office: Microsoft says do not (CAE unsupported); reported, never set" },
		{ "DisableAADWAM", 1, "disables WAM for Office: Microsoft says do not (CAE unsupported); reported, never set" },
		{ "EnableADAL", 0, "modern authentication turned off for Office" },
	};
	for (size_t i = 0; !rc && rk && i < sizeof health / sizeof health[0]; i++) {
		uint32_t v = 0;
		char *t = get_dword_text(r->reg, rk, health[i].name, &v);
		if (t)
			rc = add_finding(r, CPUU_M365_HEALTH, ver, root, health[i].name, t, 0, v == health[i].bad,
					 health[i].note);
	}
	cpuu_reg_key_free(rk);
	cpuu_reg_key *k = rc ? NULL : open_key(r->reg, ids);
	cpuu_strlist sub = { 0 };
	if (k)
		rc = cpuu_reg_key_subkeys(&sub, r->reg, k);
	for (size_t i = 0; !rc && i < sub.count; i++) {
		char *path = cpuu_aprintf("%s\\%s", ids, sub.items[i]);
		cpuu_reg_key *ik = path ? open_key(r->reg, path) : NULL;
		free(path);
		if (!ik)
			continue;
		cpuu_m365_identity *grown =
			cpuu_array_reserve(r->st->identities, &r->icap, r->st->nidentities + 1, sizeof *grown);
		if (!grown) {
			cpuu_reg_key_free(ik);
			rc = cpuu_error_oom();
			break;
		}
		r->st->identities = grown;
		cpuu_m365_identity *id = &grown[r->st->nidentities++];
		memset(id, 0, sizeof *id);
		id->version = cpuu_strdup(ver);
		id->id = cpuu_strdup(sub.items[i]);
		id->email = get_text(r->reg, ik, "EmailAddress");
		if (!id->email)
			id->email = get_text(r->reg, ik, "SignInName");
		id->provider = get_text(r->reg, ik, "ProviderId");
		id->federation = get_text(r->reg, ik, "FederationProvider");
		id->tenant = get_text(r->reg, ik, "TenantId");
		id->marked = id->federation && !strcmp(id->federation, "Error");
		/* Consumer (Microsoft account) identities are never the source's. */
		int consumer = id->provider && !cpuu_strcasecmp_ascii(id->provider, "LiveId");
		id->source = !consumer && r->src &&
			     (cpuu_m365_domain_matches(id->email, r->src->domains) || in_list(id->tenant, r->src->tenants));
		cpuu_reg_key_free(ik);
		if (!id->version || !id->id)
			rc = cpuu_error_oom();
	}
	cpuu_strlist_free(&sub);
	cpuu_reg_key_free(k);
	free(ids);
	free(root);
	return rc;
}

static int read_autodiscover(reader *r, const char *ver, int policy)
{
	char *path = cpuu_aprintf("Software\\%sMicrosoft\\Office\\%s\\Outlook\\AutoDiscover", policy ? "Policies\\" : "",
				  ver);
	if (!path)
		return cpuu_error_oom();
	cpuu_reg_key *k = open_key(r->reg, path);
	cpuu_m365_kind kind = policy ? CPUU_M365_AUTODISCOVER_POLICY : CPUU_M365_AUTODISCOVER;
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && k && i < sizeof ad_values / sizeof ad_values[0]; i++) {
		uint32_t v = 0;
		char *t = get_dword_text(r->reg, k, ad_values[i], &v);
		if (!t)
			continue;
		int zc = !strncmp(ad_values[i], "ZeroConfig", 10);
		rc = add_finding(r, kind, ver, path, ad_values[i], t, 0, zc && v,
				 zc ? "ZeroConfig builds profiles from the AD primary SMTP (KB 4046818)"
				 : policy ? "policy: wins over the per-user value; cpuu never changes it"
					  : "Autodiscover path switch (KB 2212902)");
	}
	/* "<domain>" = local Autodiscover XML (used with PreferLocalXML). */
	cpuu_reg_value *vals = NULL;
	size_t n = 0;
	if (!rc && k && cpuu_reg_key_values(&vals, &n, r->reg, k) == CPUU_OK)
		for (size_t i = 0; !rc && i < n; i++)
			if ((vals[i].type == CPUU_REG_SZ || vals[i].type == CPUU_REG_EXPAND_SZ) && strchr(vals[i].name, '.'))
				rc = add_finding(r, kind, ver, path, vals[i].name, get_text(r->reg, k, vals[i].name),
						 r->src && r->src->domains && in_list(vals[i].name, r->src->domains), 0,
						 "local Autodiscover XML for a domain");
	cpuu_error_clear();
	cpuu_reg_values_free(vals, n);
	cpuu_reg_key_free(k);
	free(path);
	return rc;
}

static int read_version(reader *r, const char *ver)
{
	int rc = read_identities(r, ver);
	if (!rc)
		rc = read_autodiscover(r, ver, 0);
	if (!rc)
		rc = read_autodiscover(r, ver, 1);
	char *prefs = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Outlook\\Preferences", ver);
	cpuu_reg_key *k = !rc && prefs ? open_key(r->reg, prefs) : NULL;
	uint32_t v = 0;
	char *t = k ? get_dword_text(r->reg, k, "UseNewOutlook", &v) : NULL;
	if (t)
		rc = add_finding(r, CPUU_M365_NEW_OUTLOOK, ver, prefs, "UseNewOutlook", t, 0, 0,
				 v ? "New Outlook in use: it keeps no MAPI profile for cpuu to switch"
				   : "classic Outlook chosen");
	cpuu_reg_key_free(k);
	free(prefs);
	char *lic = !rc ? cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Common\\Licensing", ver) : NULL;
	k = lic ? open_key(r->reg, lic) : NULL;
	if (k)
		rc = add_finding(r, CPUU_M365_ACTIVATION, ver, lic, "Licensing", NULL, 0, 0,
				 "per-user activation state (reset activation, Part 1 step 6)");
	cpuu_reg_key_free(k);
	free(lic);
	return rc;
}

static int read_onedrive(reader *r)
{
	static const char path[] = "Software\\Microsoft\\OneDrive\\Accounts";
	cpuu_reg_key *k = open_key(r->reg, path);
	cpuu_strlist sub = { 0 };
	int rc = k ? cpuu_reg_key_subkeys(&sub, r->reg, k) : CPUU_OK;
	for (size_t i = 0; !rc && i < sub.count; i++) {
		char head[9];
		snprintf(head, sizeof head, "%s", sub.items[i]);
		if (cpuu_strcasecmp_ascii(head, "Business"))
			continue;
		char *p = cpuu_aprintf("%s\\%s", path, sub.items[i]);
		cpuu_reg_key *ak = p ? open_key(r->reg, p) : NULL;
		char *mail = ak ? get_text(r->reg, ak, "UserEmail") : NULL;
		int src = r->src && cpuu_m365_domain_matches(mail, r->src->domains);
		rc = p ? add_finding(r, CPUU_M365_ONEDRIVE, NULL, p, sub.items[i], mail, src, src,
				     src ? "OneDrive signed in to the source: switch it (not done by cpuu)"
					 : "OneDrive business account")
		       : cpuu_error_oom();
		cpuu_reg_key_free(ak);
		free(p);
	}
	cpuu_strlist_free(&sub);
	cpuu_reg_key_free(k);
	return rc;
}

static int read_teams(reader *r)
{
	static const char path[] = "Software\\Microsoft\\Office\\Teams";
	cpuu_reg_key *k = open_key(r->reg, path);
	char *upn = k ? get_text(r->reg, k, "HomeUserUpn") : NULL;
	int src = upn && r->src && cpuu_m365_domain_matches(upn, r->src->domains);
	int rc = upn ? add_finding(r, CPUU_M365_TEAMS, NULL, path, "HomeUserUpn", upn, src, src,
				   src ? "Teams signed in to the source: switch it (not done by cpuu)" : "Teams user")
		     : CPUU_OK;
	cpuu_reg_key_free(k);
	return rc;
}

/* New Teams (MSIX) keeps its data in its package folder, the one
 * Microsoft's "Clear the Teams client cache" names
 * (%userprofile%\appdata\local\Packages\MSTeams_8wekyb3d8bbwe\LocalCache\
 * Microsoft\MSTeams); Microsoft documents no per-user place of its signed-in
 * account (classic Teams' HomeUserUpn has none in new Teams), so its
 * presence is what cpuu can report: the admin learns who runs new Teams,
 * whose sign-in needs the switch too. Looked up without following links. */
static int read_new_teams(reader *r)
{
	static const char folder[] = "AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe";
	if (!r->src || !r->src->user_dir)
		return CPUU_OK;
	char *local = upd_local_path(r->src->user_dir, "C:\\Users\\u\\AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe");
	if (!local)
		return cpuu_error_oom();
	int here = upd_exists_in(r->src->user_dir, local);
	free(local);
	if (here < 0)
		cpuu_error_clear(); /* a link in the way: nothing reported */
	return here > 0 ? add_finding(r, CPUU_M365_NEW_TEAMS, NULL, folder, "MSTeams_8wekyb3d8bbwe", NULL, 0, 0,
				      "new Teams (MSIX) installed: its account is in no documented place; "
				      "sign it in to the target (not done by cpuu)")
			: CPUU_OK;
}

int cpuu_m365_read(cpuu_m365_state **out, cpuu_reg *reg, const cpuu_m365_source *src)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return cpuu_error_oom();
	reader r = { *out, reg, src, 0, 0 };
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && i < sizeof versions / sizeof versions[0]; i++)
		rc = read_version(&r, versions[i]);
	if (!rc) {
		cpuu_reg_key *k = open_key(reg, "Software\\Microsoft\\Exchange");
		char *t = k ? get_dword_text(reg, k, "AlwaysUseMSOAuthForAutoDiscover", NULL) : NULL;
		if (t)
			rc = add_finding(&r, CPUU_M365_HEALTH, NULL, "Software\\Microsoft\\Exchange",
					 "AlwaysUseMSOAuthForAutoDiscover", t, 0, 0,
					 "modern auth forced for Autodiscover (Office 2013 page)");
		cpuu_reg_key_free(k);
	}
	if (!rc)
		rc = read_onedrive(&r);
	if (!rc)
		rc = read_teams(&r);
	if (!rc)
		rc = read_new_teams(&r);
	if (rc) {
		cpuu_m365_state_free(*out);
		*out = NULL;
	}
	return rc;
}

void cpuu_m365_state_free(cpuu_m365_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nidentities; i++) {
		cpuu_m365_identity *id = &st->identities[i];
		free(id->version);
		free(id->id);
		free(id->email);
		free(id->provider);
		free(id->federation);
		free(id->tenant);
	}
	for (size_t i = 0; i < st->nfindings; i++) {
		free(st->findings[i].version);
		free(st->findings[i].key);
		free(st->findings[i].name);
		free(st->findings[i].value);
	}
	free(st->identities);
	free(st->findings);
	free(st);
}
