/* Step "identity" ([Features] OfficeIdentity; docs/m365.md): once the user's
 * mailbox lives in the target, the Office sign-in identities that belong to
 * the source are reset the way Microsoft's cutover tool (OCCT) does it:
 * FederationProvider of each such Identities\<id> set to "Error", and the
 * Identity key's own FederationProvider removed when it is a source
 * identity's. Nothing else: the key is never deleted whole, identities of
 * other organizations and consumer accounts are kept, and nothing under
 * %APPDATA%\Microsoft\Protect (DPAPI master keys) is ever touched. */
#include "update/internal.h"
#include "cpuu/m365.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

static int plan_version(cpuu_plan *plan, size_t *nreset, size_t *nkept, upd_run *run, const cpuu_m365_state *st,
			const char *ver, const char *root)
{
	uint8_t *error = NULL;
	size_t elen = 0;
	int rc = cpuu_utf8_to_utf16le(&error, &elen, "Error", 1);
	const char *root_fp = NULL;
	for (size_t i = 0; !rc && i < st->nfindings; i++)
		if (st->findings[i].kind == CPUU_M365_IDENTITY_ROOT && !strcmp(st->findings[i].version, ver))
			root_fp = st->findings[i].value;
	int root_is_source = 0;
	for (size_t i = 0; !rc && i < st->nidentities; i++) {
		const cpuu_m365_identity *id = &st->identities[i];
		if (strcmp(id->version, ver))
			continue;
		if (!id->source) {
			(*nkept)++;
			continue;
		}
		if (root_fp && id->federation && !cpuu_strcasecmp_ascii(root_fp, id->federation))
			root_is_source = 1;
		if (id->marked)
			continue;
		char *key = cpuu_aprintf("%s\\Identities\\%s", root, id->id);
		rc = key ? cpuu_plan_set_value(plan, run->reg, key, "FederationProvider", CPUU_REG_SZ, error, elen,
					       "Office identity of the source: sign in again (OCCT)")
			 : cpuu_error_oom();
		free(key);
		(*nreset)++;
	}
	if (!rc && root_is_source)
		rc = cpuu_plan_delete_value(plan, run->reg, root, "FederationProvider",
					    "the source's provider at the Identity root (OCCT)");
	free(error);
	return rc;
}

static void one_version(upd_run *run, cpuu_results *res, const cpuu_m365_state *st, const char *ver)
{
	double t0 = upd_now_ms();
	char *root = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Common\\Identity", ver);
	char *entry = cpuu_aprintf("\\Identity %s", ver);
	char *label = cpuu_aprintf("identity:%s", ver);
	cpuu_plan *plan = NULL;
	size_t reset = 0, kept = 0, changes = 0;
	int rc = root && entry && label ? cpuu_plan_new(&plan) : cpuu_error_oom();
	if (!rc)
		rc = plan_version(plan, &reset, &kept, run, st, ver, root);
	changes = rc ? 0 : cpuu_plan_count(plan);
	if (!rc && changes)
		rc = run->opts->dry_run ? upd_plan_text_add(res, label, plan) : upd_txn_apply(&run->txn, entry, root, plan);
	char *msg = rc ? NULL
		       : cpuu_aprintf("%zu identit%s of the source reset, %zu other%s kept", reset, reset == 1 ? "y" : "ies",
				      kept, kept == 1 ? "" : "s");
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !changes ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, label, o, changes, rc ? cpuu_error_last()->message : msg);
	free(msg);
	cpuu_plan_free(plan);
	free(label);
	free(entry);
	free(root);
}

void upd_step_identity(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	if (!run->ad_touched.count)
		return; /* no mailbox of this user lives in the target: the source identity still serves */
	cpuu_strlist domains = { 0 };
	cpuu_m365_state *st = NULL;
	cpuu_m365_source src = { &domains, run->opts->m365_source_tenants, NULL };
	int rc = upd_m365_source_domains(&domains, run);
	if (!rc)
		rc = cpuu_m365_read(&st, run->reg, &src);
	if (rc) {
		upd_result_add(res, run, NULL, "identity", CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
	} else {
		/* Each Office version with identities gets its record. */
		cpuu_strlist vers = { 0 };
		for (size_t i = 0; i < st->nidentities; i++) {
			int seen = 0;
			for (size_t j = 0; j < vers.count; j++)
				seen |= !strcmp(vers.items[j], st->identities[i].version);
			if (!seen)
				cpuu_strlist_add(&vers, st->identities[i].version);
		}
		for (size_t i = 0; i < vers.count; i++)
			one_version(run, res, st, vers.items[i]);
		if (!vers.count)
			upd_result_add(res, run, NULL, "identity", CPUU_OUTCOME_NOTHING_TO_DO, 0, "no Office sign-in identity");
		cpuu_strlist_free(&vers);
	}
	cpuu_m365_state_free(st);
	cpuu_strlist_free(&domains);
}
