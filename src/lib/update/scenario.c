/* [General] Scenario: which Microsoft 365 steps are on when their [Features]
 * key says auto (docs/m365.md, "Scenarios"). One table, read by the step
 * table's switch test and by the steps. */
#include "update/internal.h"
#include "cpuu/m365.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	size_t feature;
	int on[CPUU_SCENARIO_COUNT]; /* onprem-crossforest, onprem-to-exo, tenant-to-tenant */
} defaults[] = {
	/* The Office identity of an on-premises AD account is the workstation's
	 * Windows sign-in, not a cloud identity of the source: nothing to reset. */
	{ offsetof(cpuu_run_opts, office_identity), { 0, 1, 1 } },
	/* Every scenario has an Autodiscover path that leads back to the source. */
	{ offsetof(cpuu_run_opts, autodiscover_policy), { 1, 1, 1 } },
	/* WAM and modern auth matter once the target is Exchange Online. */
	{ offsetof(cpuu_run_opts, auth_health), { 0, 1, 1 } },
	{ offsetof(cpuu_run_opts, m365_detect), { 0, 1, 1 } },
	/* Reactivation asks the user to sign in to Office: opt-in only. */
	{ offsetof(cpuu_run_opts, office_activation), { 0, 0, 0 } },
	/* Cached sign-ins of the source tenant make Office prompt for it. */
	{ offsetof(cpuu_run_opts, office_credentials), { 0, 1, 1 } },
	/* Only the admin knows whether the user's SID changed: opt-in. */
	{ offsetof(cpuu_run_opts, token_broker), { 0, 0, 0 } },
	/* Exchange Online targets: users need their target password before the
	 * switch (the established tool's Office 365 condition). */
	{ offsetof(cpuu_run_opts, user_notice), { 0, 1, 1 } },
};

int upd_feature_on(const cpuu_run_opts *o, size_t feature)
{
	int v;
	memcpy(&v, (const char *)o + feature, sizeof v);
	if (v >= 0)
		return v != 0;
	unsigned sc = (unsigned)o->scenario < CPUU_SCENARIO_COUNT ? (unsigned)o->scenario : 0;
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (defaults[i].feature == feature)
			return defaults[i].on[sc];
	return 1; /* a switch without a scenario default: negative means on */
}

int upd_m365_source_domains(cpuu_strlist *out, const upd_run *run)
{
	memset(out, 0, sizeof *out);
	int rc = CPUU_OK;
	const cpuu_strlist *ini = run->opts->m365_source_domains;
	for (size_t i = 0; !rc && ini && i < ini->count; i++)
		rc = cpuu_strlist_add(out, ini->items[i]);
	for (size_t i = 0; !rc && i < run->ad_touched.count; i++) {
		const char *bar = strchr(run->ad_touched.items[i], '|');
		int seen = !bar || !bar[1];
		for (size_t j = 0; !seen && j < out->count; j++)
			seen = !cpuu_strcasecmp_ascii(out->items[j], bar + 1);
		if (!seen)
			rc = cpuu_strlist_add(out, bar + 1);
	}
	return rc;
}

void upd_m365_versions(cpuu_strlist *out, const upd_run *run)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < run->ad_touched.count; i++) {
		const char *bar = strchr(run->ad_touched.items[i], '|');
		char *ver = bar ? cpuu_strndup(run->ad_touched.items[i], (size_t)(bar - run->ad_touched.items[i])) : NULL;
		int seen = 0;
		for (size_t j = 0; ver && j < out->count; j++)
			seen |= !strcmp(out->items[j], ver);
		if (ver && !seen)
			cpuu_strlist_add(out, ver);
		free(ver);
	}
}
