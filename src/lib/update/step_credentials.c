/* Step "credentials" ([Features] OfficeCredentials; docs/m365.md): in live
 * runs on Windows, once a mailbox of the user lives in the target, the
 * Credential Manager entries of Office that name the source ("generic
 * credentials listed for Office", reset activation page [S15]; §3 #9) are
 * moved aside inside the store after the commit — never deleted, never read
 * into a file — so Office stops signing in with the source's credentials.
 * Rollback moves them back; Cleanup leaves them. Offline hives have no
 * credential store: nothing happens there. */
#include "update/internal.h"
#include "cpuu/m365.h"

#include <stdlib.h>
#include <string.h>

void upd_step_credentials(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	if (!upd_cred_available() || !(cpuu_reg_capabilities(run->reg) & CPUU_REG_CAP_LIVE) || !run->ad_touched.count)
		return;
	double t0 = upd_now_ms();
	cpuu_strlist domains = { 0 }, found = { 0 };
	int rc = upd_m365_source_domains(&domains, run);
	if (!rc)
		rc = upd_cred_find(&found, &domains);
	for (size_t i = 0; !rc && !run->opts->dry_run && i < found.count; i++)
		rc = upd_txn_cred_aside(&run->txn, found.items[i]);
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !found.count ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, "credentials", o, rc ? 0 : found.count,
			     rc ? cpuu_error_last()->message
				: found.count ? "Office credentials of the source moved aside in Credential Manager"
					      : "no Office credential of the source");
	cpuu_strlist_free(&found);
	cpuu_strlist_free(&domains);
}

void upd_credentials_undo(upd_run *run, cpuu_results *res, int keep)
{
	cpuu_strlist names = { 0 };
	if (upd_state_names(&names, run->reg, UPD_CREDENTIALS_KEY) != CPUU_OK)
		return;
	size_t back = 0;
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && i < names.count; i++) {
		int moved = keep ? 0 : upd_cred_back(names.items[i]);
		rc = moved < 0 ? moved : upd_state_delete(run->reg, UPD_CREDENTIALS_KEY, names.items[i]);
		back += moved > 0;
	}
	if (rc || names.count)
		upd_result_add(res, run, NULL, "credentials",
			       rc ? CPUU_OUTCOME_ERROR : keep ? CPUU_OUTCOME_CLEANED : CPUU_OUTCOME_ROLLED_BACK, back,
			       rc ? cpuu_error_last()->message
				  : keep ? "credentials moved aside are left in Credential Manager (cpuu-old:...)" : NULL);
	cpuu_strlist_free(&names);
}
