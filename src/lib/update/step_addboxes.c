/* Step "addboxes" ([Features] AddBoxes): additional mailboxes of an account
 * that is at its target follow their owners: switched owners' mailboxes are
 * relinked to the target, the others stay as they are (reported, no exit
 * bit: nothing is wrong with the user). */
#include "update/internal.h"

#include <stdlib.h>

static void relink(upd_run *run, cpuu_results *res, const cpuu_profile *p, const cpuu_account *a,
		   const cpuu_additional_mailbox *mb)
{
	double t0 = upd_now_ms();
	char *mname = cpuu_aprintf("%s|%s|%s", p->name, a->service_uid ? a->service_uid : "",
				   mb->section_uid ? mb->section_uid : "");
	char *label = cpuu_aprintf("additional:%s", mb->smtp ? mb->smtp : mb->mailbox_dn ? mb->mailbox_dn : "?");
	char *marker_src = NULL, *msg = NULL;
	cpuu_plan *plan = NULL;
	const cpuu_match *m = NULL;
	const char *why = NULL;
	size_t changes = 0;
	cpuu_outcome outcome;
	int rc = mname && label ? upd_state_get(&marker_src, run->reg, UPD_SWITCHED_KEY, mname) : cpuu_error_oom();
	if (rc)
		goto fail;
	const char *keys[] = { marker_src, mb->mailbox_dn, mb->smtp };
	outcome = upd_resolve_keys(run, keys, 3, &m, &why);
	if (outcome == CPUU_OUTCOME_NOT_SWITCHED || outcome == CPUU_OUTCOME_NO_MATCH) {
		why = outcome == CPUU_OUTCOME_NO_MATCH ? "additional mailbox without correspondence: left as it is"
						       : "additional mailbox: owner not switched yet, left as it is";
		outcome = outcome == CPUU_OUTCOME_NO_MATCH ? CPUU_OUTCOME_NO_MATCH : CPUU_OUTCOME_SKIPPED;
		goto done;
	}
	if (outcome != CPUU_OUTCOME_SWITCHED)
		goto done;
	why = NULL;
	if ((rc = cpuu_plan_new(&plan)) || (rc = cpuu_plan_relink_mailbox(plan, run->reg, p, mb, m)))
		goto fail;
	changes = cpuu_plan_count(plan);
	if ((rc = upd_carry_out(run, res, p, label, plan, mname,
				m->source_legacy_dn ? m->source_legacy_dn : mb->mailbox_dn, &outcome)))
		goto fail;
	why = outcome == CPUU_OUTCOME_ALREADY_SWITCHED ? "additional mailbox already relinked"
	      : outcome == CPUU_OUTCOME_SWITCHED      ? "additional mailbox relinked to its owner's target"
						      : NULL;
	goto done;
fail:
	outcome = CPUU_OUTCOME_ERROR;
	changes = 0;
	msg = cpuu_strdup(cpuu_error_last()->message);
	why = msg;
done:
	upd_result_add_since(t0, res, run, p->name, label, outcome, changes, why);
	free(msg);
	free(marker_src);
	free(label);
	free(mname);
	cpuu_plan_free(plan);
}

/* Only after an account that is (or would be) at its target. */
void upd_step_addboxes(upd_run *run, cpuu_results *res, const upd_where *w)
{
	cpuu_outcome o = w->account_outcome;
	if (o != CPUU_OUTCOME_SWITCHED && o != CPUU_OUTCOME_ALREADY_SWITCHED && o != CPUU_OUTCOME_PLANNED)
		return;
	for (size_t i = 0; i < w->account->nadditional; i++)
		relink(run, res, w->profile, w->account, &w->account->additional[i]);
}
