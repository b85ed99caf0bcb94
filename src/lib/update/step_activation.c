/* Step "activation" ([Features] OfficeActivation, opt-in; docs/m365.md):
 * once a mailbox of the user lives in the target, the per-user Office
 * licence folders of "Reset activation state" (§3 #2, #3: Microsoft 365
 * Apps' Licenses, Shared Computer Activation's 16.0\Licensing) are moved
 * aside after the commit (renamed, never deleted or copied: their licence
 * tokens never leave the user's folder), so Office activates for the target
 * at its next start. Rollback renames them back; Cleanup leaves them. The
 * registry Licensing key (§3 #1) is reported by inspect, not changed. */
#include "update/internal.h"

#include <stdlib.h>
#include <sys/stat.h>

void upd_step_activation(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	static const char *const folders[] = { "Licenses", "16.0\\Licensing" };
	if (!run->opts->user_dir || !run->ad_touched.count)
		return;
	double t0 = upd_now_ms();
	size_t found = 0;
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && i < sizeof folders / sizeof folders[0]; i++) {
		char *win = cpuu_aprintf("C:\\Users\\%s\\AppData\\Local\\Microsoft\\Office\\%s", run->user, folders[i]);
		char *local = win ? upd_local_path(run->opts->user_dir, win) : NULL;
		char *record = cpuu_aprintf("\\activation|%s", folders[i]);
		struct stat st;
		if (!win || !record)
			rc = cpuu_error_oom();
		else if (local && stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
			found++;
			if (!run->opts->dry_run)
				rc = upd_txn_move_aside(&run->txn, record, win, local);
		}
		free(record);
		free(local);
		free(win);
	}
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !found ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, "activation", o, rc ? 0 : found,
			     rc ? cpuu_error_last()->message
				: found ? "Office licence folders of the source moved aside; Office activates again at its next start"
					: "no per-user Office licence folder");
}
