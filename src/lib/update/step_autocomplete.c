/* Step "autocomplete" ([Features] Autocomplete; docs/autocomplete.md): the
 * autocomplete cache of a profile whose accounts switched in this run is
 * rewritten to the targets and handed to Outlook as <profile>.nk2 (before
 * the commit, journaled: undone if the commit does not happen), with a
 * RunOnce "outlook.exe /importnk2 /profile" so Outlook imports it once. */
#include "update/internal.h"

#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

/* The RunOnce value that has Outlook import the hand-over once. */
static int plan_import(upd_run *run, const cpuu_profile *p)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *q = (const unsigned char *)p->name; *q; q++)
		h = (h ^ *q) * 16777619u;
	char *value_name = cpuu_aprintf("cpuu-importnk2-%08x", (unsigned)h);
	char *command = cpuu_aprintf("outlook.exe /importnk2 /profile \"%s\"", p->name);
	uint8_t *data = NULL;
	size_t len = 0;
	cpuu_plan *plan = NULL;
	int rc = value_name && command ? cpuu_utf8_to_utf16le(&data, &len, command, 1) : cpuu_error_oom();
	if (!rc)
		rc = cpuu_plan_new(&plan);
	if (!rc)
		rc = cpuu_plan_set_value(plan, run->reg, UPD_RUNONCE_KEY, value_name, CPUU_REG_SZ, data, len,
					 "Outlook imports the rewritten autocomplete cache once");
	if (!rc)
		rc = upd_txn_apply(&run->txn, "\\RunOnce", UPD_RUNONCE_KEY, plan);
	cpuu_plan_free(plan);
	free(data);
	free(value_name);
	free(command);
	return rc;
}

static int hand_over(upd_run *run, cpuu_ac_stats *st, const cpuu_profile *p)
{
	cpuu_ac_changes ch = { 0 };
	/* The hand-over writes the user's files itself: a change like any other
	 * (the profile's switch began the run's changes already). */
	int rc = upd_txn_begin_change(&run->txn);
	if (!rc)
		rc = cpuu_autocomplete_handover(&ch, st, run->opts->user_dir, p->name, run->resolver);
	if (rc || !ch.count)
		return rc;
	char *entry = cpuu_aprintf("\\autocomplete|%s", p->name);
	rc = entry ? upd_txn_hand_over(&run->txn, entry, &ch) : cpuu_error_oom();
	if (!rc)
		rc = plan_import(run, p);
	if (!rc)
		rc = upd_state_set(run->reg, UPD_AUTOCOMPLETE_KEY, p->name, "handed over");
	cpuu_ac_changes_clear(&ch);
	free(entry);
	return rc;
}

void upd_step_autocomplete(upd_run *run, cpuu_results *res, const upd_where *w)
{
	const cpuu_profile *p = w->profile;
	if (!run->opts->user_dir)
		return;
	char *done = NULL;
	if (upd_state_get(&done, run->reg, UPD_AUTOCOMPLETE_KEY, p->name) != CPUU_OK || done) {
		free(done);
		cpuu_error_clear();
		return;
	}
	double t0 = upd_now_ms();
	if (run->opts->dry_run) {
		upd_result_add(res, run, p->name, "autocomplete", CPUU_OUTCOME_PLANNED, 0,
			       "the autocomplete cache would be rewritten and handed to Outlook (not read in a dry run)");
		return;
	}
	cpuu_ac_stats st;
	memset(&st, 0, sizeof st);
	int rc = hand_over(run, &st, p);
	char *msg = rc ? cpuu_strdup(cpuu_error_last()->message)
		  : !st.rewritten && !st.kept_whole
			? cpuu_strdup("no autocomplete entry points at a switched mailbox")
		  : !st.rewritten
			? cpuu_aprintf("%zu entr%s of switched mailboxes could not be rebuilt whole for the target and "
				       "%s kept as %s",
				       st.kept_whole, st.kept_whole == 1 ? "y" : "ies", st.kept_whole == 1 ? "is" : "are",
				       st.kept_whole == 1 ? "it was" : "they were")
			: cpuu_aprintf("%zu entr%s rewritten, %zu kept as they were (%zu of them switched but not "
				       "rebuildable whole); Outlook imports %s.nk2 at its next start",
				       st.rewritten, st.rewritten == 1 ? "y" : "ies",
				       st.unchanged + st.not_switched + st.unmatched + st.ambiguous + st.kept_whole,
				       st.kept_whole, p->name);
	/* A cache with nothing of a switched mailbox is no switch of the user;
	 * one whose only switched rows had to be kept whole is not "nothing to
	 * do" either: those entries still name the source (skipped, said why). */
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : st.rewritten ? CPUU_OUTCOME_SWITCHED
		       : st.kept_whole ? CPUU_OUTCOME_SKIPPED
				       : CPUU_OUTCOME_NOTHING_TO_DO;
	upd_result_add_since(t0, res, run, p->name, "autocomplete", o, rc ? 0 : st.rewritten, msg);
	free(msg);
}
