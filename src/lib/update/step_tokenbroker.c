/* Step "tokenbroker" ([Features] TokenBroker, opt-in; docs/m365.md): KB
 * 4499299 (Event 1098, "unable to create an Outlook profile after a
 * migration"): when the user's SID changed — a move to a new domain, which
 * is a cross-forest migration — the WAM account files
 * %LOCALAPPDATA%\Packages\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\AC\
 * TokenBroker\Accounts\*.tbacct are to go. cpuu cannot see the SID change
 * from the hive, so the admin turns this on; the files are moved aside
 * after the commit (renamed, never deleted or read), once a mailbox of the
 * user lives in the target, and Rollback renames them back. The
 * CloudExperienceHost copy is left alone (Microsoft warns against partial
 * deletion of WAM accounts). */
#include "update/internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNTS "AppData\\Local\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC\\TokenBroker\\Accounts"

void upd_step_tokenbroker(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	if (!run->opts->user_dir || !run->ad_touched.count)
		return;
	double t0 = upd_now_ms();
	char *win = cpuu_aprintf("C:\\Users\\%s\\" ACCOUNTS, run->user);
	char *local = win ? upd_local_path(run->opts->user_dir, win) : NULL;
	DIR *d = local ? opendir(local) : NULL;
	struct dirent *e;
	size_t found = 0;
	int rc = win ? CPUU_OK : cpuu_error_oom();
	while (!rc && d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 7 || cpuu_strcasecmp_ascii(e->d_name + n - 7, ".tbacct"))
			continue;
		found++;
		if (run->opts->dry_run)
			continue;
		char *fwin = cpuu_aprintf("%s\\%s", win, e->d_name);
		char *flocal = cpuu_aprintf("%s/%s", local, e->d_name);
		char *record = cpuu_aprintf("\\tokenbroker|%s", e->d_name);
		rc = fwin && flocal && record ? upd_txn_move_aside(&run->txn, record, fwin, flocal) : cpuu_error_oom();
		free(record);
		free(flocal);
		free(fwin);
	}
	if (d)
		closedir(d);
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !found ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, "tokenbroker", o, rc ? 0 : found,
			     rc ? cpuu_error_last()->message
				: found ? "WAM account files moved aside (KB 4499299); Windows signs the user in again"
					: "no WAM account file");
	free(local);
	free(win);
}
