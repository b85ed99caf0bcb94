/* Step "caches" (OAB, cached Autodiscover answers): the caches Outlook
 * keeps of the source organization in the user's folder are moved aside
 * (never deleted) after the commit once an account switched, so Outlook
 * fetches the target's. Recorded as hive-wide Files entries for Rollback. */
#include "update/internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Journals one cache that exists; *moved counts it. */
static int cache_aside(upd_run *run, size_t *moved, const char *entry, const char *windows_path)
{
	char *local = upd_local_path(run->opts->user_dir, windows_path);
	/* Looked at (and later moved) without following a link: a link there
	 * or on the way is refused, nothing outside the folder is touched. */
	int rc = local ? upd_exists_in(run->opts->user_dir, local) : 0;
	if (rc > 0 && !(rc = upd_txn_move_aside(&run->txn, entry, windows_path, local)))
		(*moved)++;
	free(local);
	return rc;
}

void upd_step_caches(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	if (!run->opts->user_dir || !run->switched_now || run->opts->dry_run)
		return;
	char *outlook = cpuu_aprintf("C:\\Users\\%s\\AppData\\Local\\Microsoft\\Outlook", run->user);
	char *oab = outlook ? cpuu_aprintf("%s\\Offline Address Books", outlook) : NULL;
	char *local = outlook ? upd_local_path(run->opts->user_dir, outlook) : NULL;
	size_t moved = 0;
	int rc = oab ? cache_aside(run, &moved, "\\oab", oab) : cpuu_error_oom();
	DIR *d = !rc && local ? upd_opendir_in(run->opts->user_dir, local) : NULL;
	struct dirent *e;
	static const char suffix[] = " - Autodiscover.xml";
	while (!rc && d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= sizeof suffix - 1 || cpuu_strcasecmp_ascii(e->d_name + n - (sizeof suffix - 1), suffix))
			continue;
		char *win = cpuu_aprintf("%s\\%s", outlook, e->d_name);
		char *entry = cpuu_aprintf("\\autodiscover|%s", e->d_name);
		rc = win && entry ? cache_aside(run, &moved, entry, win) : cpuu_error_oom();
		free(win);
		free(entry);
	}
	if (d)
		closedir(d);
	/* Outlook 2016+ keeps its Autodiscover answers as Outlook\16\*.xml too
	 * (OCCT clears them at cutover). */
	char *o16 = !rc ? cpuu_aprintf("%s\\16", outlook) : NULL;
	char *local16 = o16 ? upd_local_path(run->opts->user_dir, o16) : NULL;
	d = local16 ? opendir(local16) : NULL;
	while (!rc && d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 4 || cpuu_strcasecmp_ascii(e->d_name + n - 4, ".xml"))
			continue;
		char *win = cpuu_aprintf("%s\\%s", o16, e->d_name);
		char *entry = cpuu_aprintf("\\autodiscover16|%s", e->d_name);
		rc = win && entry ? cache_aside(run, &moved, entry, win) : cpuu_error_oom();
		free(win);
		free(entry);
	}
	if (d)
		closedir(d);
	free(local16);
	free(o16);
	if (rc || moved)
		upd_result_add(res, run, NULL, "caches", rc ? CPUU_OUTCOME_ERROR : CPUU_OUTCOME_SWITCHED, rc ? 0 : moved,
			       rc ? cpuu_error_last()->message
				  : "offline address book / cached Autodiscover answers of the source moved aside");
	free(local);
	free(oab);
	free(outlook);
}
