/* Step "prf" (the PRF route, [Features] PRF; docs/prf.md): instead of a
 * rewrite in place, a switched account's profile is left as it is and
 * Outlook recreates it from a .prf at its next start. The .prf is written
 * before the commit through the journal (removed if the commit does not
 * happen, and by Rollback). */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "C:\\Users\\<name>" of the profile's owner, from a path the profile holds
 * (OST, PST); else from the user's name. */
static char *windows_home(const upd_run *run, const cpuu_profile *p)
{
	for (size_t i = 0; i < p->naccounts; i++) {
		const char *path = p->accounts[i].ost_path;
		if (!path || strlen(path) < 10 || path[1] != ':' || strncasecmp(path + 2, "\\Users\\", 7))
			continue;
		const char *end = strchr(path + 9, '\\');
		if (end)
			return cpuu_strndup(path, (size_t)(end - path));
	}
	return cpuu_aprintf("C:\\Users\\%s", run->user);
}

/* A plain file name from the profile name (data): safe characters only. */
static char *file_name(const char *profile)
{
	char *name = cpuu_strdup(profile);
	for (char *c = name; c && *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_'))
			*c = '_';
	return name;
}

/* Where the .prf goes: *win on the workstation, *local in the user folder. */
static int prf_place(char **win, char **local, const upd_run *run, const cpuu_profile *p)
{
	char *home = windows_home(run, p), *name = file_name(p->name);
	int rc = CPUU_OK;
	*local = NULL;
	if (!home || !name || !(*win = cpuu_aprintf("%s\\AppData\\Local\\cpuu\\%s.prf", home, name)))
		rc = cpuu_error_oom();
	else if (!(*local = upd_local_path(run->opts->user_dir, *win)))
		rc = cpuu_error_set(CPUU_EINVALID, "cannot place the .prf in the user folder (%s)", *win);
	free(home);
	free(name);
	return rc;
}

/* Plans and applies the import (and the signature records), then writes the
 * .prf (*win: its Windows path); *sigs counts the signature choices carried. */
static int arm_prf(char **win, size_t *sigs, upd_run *run, upd_account_step *s, cpuu_plan *plan)
{
	const cpuu_profile *p = s->p;
	char *text = NULL, *local = NULL, *setup = NULL, *entry = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	cpuu_prf_opts po;
	cpuu_prf_opts_init(&po);
	if (s->a->ost_path && s->a->mailbox_guid && s->m->target_mailbox_guid &&
	    !cpuu_strcasecmp_ascii(s->a->mailbox_guid, s->m->target_mailbox_guid))
		po.ost_path = s->a->ost_path; /* the same mailbox: its OST stays valid */
	int rc = cpuu_prf_build(&text, p, s->a, s->m, &po);
	if (!rc)
		rc = prf_place(win, &local, run, p);
	if (!rc)
		rc = cpuu_prf_plan_import(plan, run->reg, p->outlook_version, *win);
	if (!rc && run->opts->signatures)
		rc = cpuu_prf_plan_signatures_record(plan, sigs, run->reg, p, s->a, s->m, NULL);
	if (!rc && !(rc = cpuu_prf_setup_key(&setup, p->outlook_version)) &&
	    !(entry = cpuu_aprintf("\\Setup %s", p->outlook_version)))
		rc = cpuu_error_oom();
	/* The profile is backed up although cpuu leaves it: Outlook replaces it. */
	if (!rc)
		rc = upd_txn_backup_key(&run->txn, p->name, p->path);
	if (!rc)
		rc = upd_txn_apply(&run->txn, entry, setup, plan);
	if (!rc)
		rc = cpuu_prf_encode(&bytes, &len, text, po.encoding);
	if (!rc)
		rc = upd_txn_write_file(&run->txn, UPD_PRF_KEY, s->mname, *win, local, bytes, len);
	free(entry);
	free(setup);
	free(bytes);
	free(text);
	free(local);
	return rc;
}

void upd_step_prf(upd_run *run, cpuu_results *res, const upd_where *w)
{
	upd_account_step s;
	cpuu_plan *plan = NULL;
	char *armed = NULL, *win = NULL;
	size_t sigs = 0;
	int rc = CPUU_OK;
	if (!upd_account_begin(&s, run, w->profile, w->account))
		goto done;
	if ((rc = upd_state_get(&armed, run->reg, UPD_PRF_KEY, s.mname)))
		goto done;
	if (armed) {
		s.outcome = CPUU_OUTCOME_ALREADY_SWITCHED;
		s.why = "the profile is set to be recreated by Outlook (PRF armed)";
	} else if (run->opts->dry_run) {
		s.outcome = CPUU_OUTCOME_PLANNED;
		s.why = "would have Outlook recreate the profile from a .prf (PRF route)";
	} else if (!run->opts->user_dir) {
		rc = cpuu_error_set(CPUU_EINVALID, "the PRF route needs the user folder (--user-dir)");
	} else if (!(rc = cpuu_plan_new(&plan)) && !(rc = arm_prf(&win, &sigs, run, &s, plan))) {
		s.changes = cpuu_plan_count(plan) + 1;
		s.msg = cpuu_aprintf("Outlook recreates profile '%s' from %s at its next start%s", s.p->name, win,
				     sigs ? "; signature choices carried" : "");
		s.why = s.msg;
		s.outcome = CPUU_OUTCOME_SWITCHED;
		run->switched_now = 1;
	}
done:
	if (rc)
		upd_account_fail(&s);
	upd_account_end(&s, run, res);
	cpuu_plan_free(plan);
	free(armed);
	free(win);
}
