/* Which profiles a run takes ([Profiles] Profiles, CachedProfiles,
 * RemoteUsers; docs/update.md). */
#include "update/internal.h"

#include <string.h>

static int profile_selected(const cpuu_run_opts *o, const cpuu_profile *p)
{
	if (!o->profiles || o->profiles->count == 0)
		return 1;
	for (size_t i = 0; i < o->profiles->count; i++)
		if (!cpuu_strcasecmp_ascii(o->profiles->items[i], p->name))
			return 1;
	return 0;
}

static int user_listed(const cpuu_strlist *list, const char *user)
{
	for (size_t i = 0; list && i < list->count; i++) {
		const char *e = list->items[i];
		const char *bs = strrchr(e, '\\');
		if (!cpuu_strcasecmp_ascii(e, user) || (bs && !cpuu_strcasecmp_ascii(bs + 1, user)))
			return 1;
	}
	return 0;
}

static int profile_cached(const cpuu_profile *p)
{
	for (size_t i = 0; i < p->naccounts; i++)
		if (p->accounts[i].kind == CPUU_ACCOUNT_EXCHANGE && p->accounts[i].cached == 1)
			return 1;
	return 0;
}

/* The first service of p that [General] AllowAdditionalServices does not
 * list, or NULL. Accounts without a MAPI service (IMAP, POP through the
 * account manager) are no service of the rule. */
static const char *service_not_allowed(const cpuu_run_opts *o, const cpuu_profile *p)
{
	if (!o->allowed_services)
		return NULL;
	for (size_t i = 0; i < p->naccounts; i++) {
		const char *svc = p->accounts[i].service_name;
		size_t k = 0;
		while (svc && k < o->allowed_services->count && cpuu_strcasecmp_ascii(o->allowed_services->items[k], svc))
			k++;
		if (svc && k == o->allowed_services->count)
			return svc;
	}
	return NULL;
}

const char *upd_profile_skipped(const upd_run *run, const cpuu_profile *p)
{
	const cpuu_run_opts *o = run->opts;
	if (!profile_selected(o, p))
		return "profile not selected";
	if (service_not_allowed(o, p))
		return "the profile holds a service [General] AllowAdditionalServices does not list";
	if (profile_cached(p) && (o->cached_rule == CPUU_CACHED_NONE ||
				  (o->cached_rule == CPUU_CACHED_LISTED && !user_listed(o->remote_users, run->user))))
		return "cached-mode profile not selected by the configuration";
	return NULL;
}

/* A named profile that is not there is no silent success: the admin's list
 * or the user's workstation is not what was thought (docs/exit-codes.md). */
void upd_profiles_missing(upd_run *run, cpuu_results *res, const cpuu_profile_set *set)
{
	const cpuu_strlist *names = run->opts->profiles;
	for (size_t i = 0; names && i < names->count; i++) {
		size_t j = 0;
		while (j < set->nprofiles && cpuu_strcasecmp_ascii(names->items[i], set->profiles[j].name))
			j++;
		if (j == set->nprofiles)
			upd_result_add(res, run, names->items[i], NULL, CPUU_OUTCOME_ERROR, 0,
				       "no profile of this name (--profiles, [Profiles] Profiles)");
	}
}
