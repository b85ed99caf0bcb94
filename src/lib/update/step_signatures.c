/* Step "signatures" ([Features] Signatures; docs/prf.md, "Default
 * signatures"): signature choices recorded by the PRF route wait until
 * Outlook has made the new account; then they are written into it, once. */
#include "update/internal.h"

void upd_step_signatures(upd_run *run, cpuu_results *res, const upd_where *w)
{
	cpuu_plan *plan = NULL;
	size_t applied = 0, pending = 0;
	int rc = cpuu_plan_new(&plan);
	if (!rc)
		rc = cpuu_prf_plan_signatures_apply(plan, &applied, &pending, run->reg, w->set);
	if (!rc && applied && !run->opts->dry_run)
		rc = upd_txn_apply(&run->txn, NULL, NULL, plan); /* in a profile backed up when armed */
	if (rc || applied)
		upd_result_add(res, run, NULL, "signatures",
			       rc ? CPUU_OUTCOME_ERROR : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED,
			       rc ? 0 : applied,
			       rc ? cpuu_error_last()->message : "signature choices carried into the recreated account");
	cpuu_plan_free(plan);
}
