/* Finding profiles: the three roots, DefaultProfile, and the set's lifetime. */
#include "profile/internal.h"

#include <stdlib.h>
#include <string.h>

static const struct root {
	const char *profiles;   /* key holding one subkey per profile */
	const char *default_in; /* key holding DefaultProfile */
	const char *version;
} roots[] = {
	{ "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", "Software\\Microsoft\\Office\\16.0\\Outlook", "16.0" },
	{ "Software\\Microsoft\\Office\\15.0\\Outlook\\Profiles", "Software\\Microsoft\\Office\\15.0\\Outlook", "15.0" },
	{ "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles",
	  "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles", "wms" },
};

static void profile_clear(cpuu_profile *p)
{
	for (size_t i = 0; i < p->naccounts; i++)
		prof_account_clear(&p->accounts[i]);
	free(p->accounts);
	free(p->name);
	free(p->path);
	free(p->outlook_version);
	memset(p, 0, sizeof *p);
}

void cpuu_profile_set_free(cpuu_profile_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nprofiles; i++)
		profile_clear(&set->profiles[i]);
	free(set->profiles);
	free(set);
}

/* DefaultProfile, or NULL when the key or value is absent. */
static int read_default(char **out, cpuu_reg *reg, const char *keypath)
{
	cpuu_reg_key *key = NULL;
	*out = NULL;
	int rc = cpuu_reg_key_open(&key, reg, NULL, keypath);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc < 0)
		return cpuu_error_prefix("%s", keypath);
	rc = cpuu_reg_get_string(out, reg, key, "DefaultProfile");
	cpuu_reg_key_free(key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	return rc < 0 ? cpuu_error_prefix("%s: value DefaultProfile", keypath) : CPUU_OK;
}

static int load_profile(cpuu_profile *p, cpuu_reg *reg, const cpuu_reg_key *root, const struct root *r,
			const char *name, const char *def)
{
	cpuu_reg_key *key = NULL;
	p->name = cpuu_strdup(name);
	p->outlook_version = cpuu_strdup(r->version);
	/* Key names compare case-insensitively, as in Windows. */
	p->is_default = def && !cpuu_strcasecmp_ascii(def, name);
	if (!p->name || !p->outlook_version)
		return cpuu_error_oom();
	int rc = cpuu_reg_key_open(&key, reg, root, name);
	if (rc < 0)
		return cpuu_error_prefix("profile '%s'", name);
	/* The path as the hive spells it (SOFTWARE\... in some hives), not the
	 * spelling the roots are looked up with: docs/inspect-json.md. */
	p->path = cpuu_strdup(cpuu_reg_key_path(key));
	if (!p->path) {
		cpuu_reg_key_free(key);
		return cpuu_error_oom();
	}
	prof_ctx ctx = { reg, key, name };
	rc = prof_load_accounts(p, &ctx);
	cpuu_reg_key_free(key);
	return rc;
}

static int load_root(cpuu_profile_set *set, cpuu_reg *reg, const struct root *r)
{
	cpuu_reg_key *root = NULL;
	cpuu_strlist names = { 0 };
	char *def = NULL;
	int rc = cpuu_reg_key_open(&root, reg, NULL, r->profiles);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc < 0)
		return cpuu_error_prefix("%s", r->profiles);
	if ((rc = read_default(&def, reg, r->default_in)) < 0)
		goto out;
	if ((rc = cpuu_reg_key_subkeys(&names, reg, root)) < 0) {
		cpuu_error_prefix("%s", r->profiles);
		goto out;
	}
	for (size_t i = 0; i < names.count && rc == CPUU_OK; i++) {
		cpuu_profile *grown = cpuu_array_reserve(set->profiles, NULL, set->nprofiles + 1, sizeof *grown);
		if (!grown) {
			rc = cpuu_error_oom();
			break;
		}
		set->profiles = grown;
		cpuu_profile *p = &set->profiles[set->nprofiles++];
		memset(p, 0, sizeof *p);
		rc = load_profile(p, reg, root, r, names.items[i], def);
	}
out:
	free(def);
	cpuu_strlist_free(&names);
	cpuu_reg_key_free(root);
	return rc;
}

int cpuu_profiles_load(cpuu_profile_set **out, cpuu_reg *reg)
{
	*out = NULL;
	if (!reg)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_profiles_load: no registry");
	cpuu_profile_set *set = calloc(1, sizeof *set);
	if (!set)
		return cpuu_error_oom();
	/* One broken profile fails the whole load: a later update must never act
	 * on a half-understood registry (docs/profile-format.md, "Profile model"). */
	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		int rc = load_root(set, reg, &roots[i]);
		if (rc < 0) {
			cpuu_profile_set_free(set);
			return rc;
		}
	}
	*out = set;
	return CPUU_OK;
}
