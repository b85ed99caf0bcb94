/* Step "account": a switched Exchange account rewritten in place to its
 * target (docs/switch.md); its old OST goes aside after the commit. */
#include "update/internal.h"

#include <stdlib.h>

/* The old OST goes aside once the profile no longer uses it: recorded in
 * this commit, renamed after it (the journal). */
static int old_ost_aside(upd_run *run, upd_account_step *s, const cpuu_plan *plan)
{
	const cpuu_account *a = s->a;
	if (!run->opts->user_dir || !a->ost_path || !cpuu_plan_new_ost_path(plan, a))
		return CPUU_OK;
	char *local = upd_local_path(run->opts->user_dir, a->ost_path);
	if (!local) {
		s->why = "the old OST is outside the user folder: left where it is";
		return CPUU_OK;
	}
	int rc = upd_txn_move_aside(&run->txn, s->mname, a->ost_path, local);
	free(local);
	return rc;
}

void upd_step_account(upd_run *run, cpuu_results *res, const upd_where *w)
{
	upd_account_step s;
	cpuu_plan *plan = NULL;
	if (!upd_account_begin(&s, run, w->profile, w->account))
		goto done;
	/* The marker is committed with the OST change: once it exists, the OST
	 * was already pointed at the target. */
	cpuu_switch_opts sw = run->opts->switch_opts;
	if (s.marker_src)
		sw.new_ost_for_new_mailbox = 0;
	int rc = cpuu_plan_new(&plan);
	if (!rc)
		rc = cpuu_plan_switch_account(plan, run->reg, s.p, s.a, s.m, &sw);
	s.changes = rc ? 0 : cpuu_plan_count(plan);
	char *label = rc ? NULL : cpuu_aprintf("account %s", upd_account_label(s.a));
	if (!rc)
		rc = label ? upd_carry_out(run, res, s.p, label, plan, s.mname,
					   s.m->source_legacy_dn ? s.m->source_legacy_dn : s.a->legacy_dn, &s.outcome)
			   : cpuu_error_oom();
	free(label);
	if (!rc && s.outcome == CPUU_OUTCOME_ALREADY_SWITCHED)
		s.why = "already switched; nothing to change";
	if (!rc && s.outcome == CPUU_OUTCOME_SWITCHED)
		rc = old_ost_aside(run, &s, plan);
	if (rc)
		upd_account_fail(&s);
done:
	upd_account_end(&s, run, res);
	cpuu_plan_free(plan);
}
