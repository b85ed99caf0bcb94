/* Step "activation" ([Features] OfficeActivation, opt-in; docs/m365.md):
 * once a mailbox of the user lives in the target, what "Reset activation
 * state" names per user is moved aside, so Office activates for the target
 * at its next start:
 *  - the registry key Common\Licensing (§3 #1) becomes Licensing.cpuu-old
 *    beside it, inside the registry (copied key by key, value by value with
 *    its type and bytes, then removed): its values may be licence tokens,
 *    which never enter a backup, record, plan or log — only the key's path
 *    and a count do. Recorded in Software\cpuu\Keys for Rollback;
 *  - the licence folders (§3 #2, #3: Microsoft 365 Apps' Licenses, Shared
 *    Computer Activation's 16.0\Licensing), renamed after the commit (never
 *    deleted or copied), when a user folder is known.
 * Rollback moves both back; Cleanup leaves them (*.cpuu-old) and drops the
 * records. */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Values "<key path>" = "<path it was moved to>" (REG_SZ). */
#define KEYS_KEY UPD_STATE_KEY "\\Keys"
#define ASIDE_SUFFIX ".cpuu-old"
/* The version §3 #1 names. */
#define LICENSING_KEY "Software\\Microsoft\\Office\\16.0\\Common\\Licensing"

static int key_exists(cpuu_reg *reg, const char *path)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, path);
	cpuu_reg_key_free(k);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return 0;
	}
	return rc ? rc : 1;
}

/* from's subtree copied to to (created), every value with its type and
 * bytes, in stored order; *nvalues counts them. The bytes pass from one key
 * to the other and nowhere else. */
static int copy_tree(cpuu_reg *reg, const char *from, const char *to, size_t *nvalues)
{
	cpuu_reg_key *src = NULL, *dst = NULL;
	cpuu_reg_value *vals = NULL;
	size_t n = 0;
	cpuu_strlist subs = { 0 };
	int rc = cpuu_reg_key_open(&src, reg, NULL, from);
	if (!rc)
		rc = cpuu_reg_key_create(&dst, reg, NULL, to);
	if (!rc)
		rc = cpuu_reg_key_values(&vals, &n, reg, src);
	for (size_t i = 0; !rc && i < n; i++)
		rc = cpuu_reg_value_set(reg, dst, vals[i].name, vals[i].type, vals[i].data, vals[i].len);
	*nvalues += rc ? 0 : n;
	cpuu_reg_values_free(vals, n);
	if (!rc)
		rc = cpuu_reg_key_subkeys(&subs, reg, src);
	for (size_t i = 0; !rc && i < subs.count; i++) {
		char *f = cpuu_aprintf("%s\\%s", from, subs.items[i]), *t = cpuu_aprintf("%s\\%s", to, subs.items[i]);
		rc = f && t ? copy_tree(reg, f, t, nvalues) : cpuu_error_oom();
		free(f);
		free(t);
	}
	cpuu_strlist_free(&subs);
	cpuu_reg_key_free(src);
	cpuu_reg_key_free(dst);
	return rc;
}

/* Moves the key at from to to inside the registry: to must not exist
 * (never replaced). */
static int move_key(cpuu_reg *reg, const char *from, const char *to, size_t *nvalues)
{
	int rc = copy_tree(reg, from, to, nvalues);
	return rc ? rc : cpuu_reg_key_delete(reg, NULL, from);
}

/* The Licensing key: 1 to move (or moved), 0 nothing to move, <0 error. */
static int licensing_key(upd_run *run, size_t *nvalues)
{
	const char *aside = LICENSING_KEY ASIDE_SUFFIX;
	int here = key_exists(run->reg, LICENSING_KEY);
	int there = here > 0 ? key_exists(run->reg, aside) : 0;
	if (here <= 0 || there < 0)
		return here < 0 ? here : there;
	/* Moved aside by an earlier run, and Office made a new one since (for
	 * the target): the source's stays where it is, the new one too. */
	if (there)
		return 0;
	if (run->opts->dry_run)
		return 1;
	int rc = upd_txn_begin_change(&run->txn); /* Outlook and Office stop first (live) */
	if (!rc)
		rc = upd_state_set(run->reg, KEYS_KEY, LICENSING_KEY, aside);
	if (!rc)
		rc = move_key(run->reg, LICENSING_KEY, aside, nvalues);
	return rc ? rc : 1;
}

/* The licence folders: how many are (or would be) moved after the commit. */
static int licence_folders(upd_run *run, size_t *found)
{
	static const char *const folders[] = { "Licenses", "16.0\\Licensing" };
	int rc = CPUU_OK;
	for (size_t i = 0; run->opts->user_dir && !rc && i < sizeof folders / sizeof folders[0]; i++) {
		char *win = cpuu_aprintf("C:\\Users\\%s\\AppData\\Local\\Microsoft\\Office\\%s", run->user, folders[i]);
		char *local = win ? upd_local_path(run->opts->user_dir, win) : NULL;
		char *record = cpuu_aprintf("\\activation|%s", folders[i]);
		struct stat st;
		if (!win || !record)
			rc = cpuu_error_oom();
		else if (local && stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
			(*found)++;
			if (!run->opts->dry_run)
				rc = upd_txn_move_aside(&run->txn, record, win, local);
		}
		free(record);
		free(local);
		free(win);
	}
	return rc;
}

void upd_step_activation(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	if (!run->ad_touched.count)
		return;
	double t0 = upd_now_ms();
	size_t found = 0, nvalues = 0;
	int key = licensing_key(run, &nvalues);
	int rc = key < 0 ? key : licence_folders(run, &found);
	found += key > 0;
	char *msg = NULL;
	if (!rc && found)
		msg = cpuu_aprintf("%s%s%s; Office activates again at its next start",
				   key > 0 ? "Common\\Licensing key moved to Licensing" ASIDE_SUFFIX : "",
				   key > 0 && found > 1 ? ", " : "",
				   found > (size_t)(key > 0) ? "licence folders moved aside" : "");
	if (!rc && found && run->opts->dry_run && msg) {
		char *would = cpuu_aprintf("would be: %s", msg);
		free(msg);
		msg = would;
	}
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !found ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, "activation", o, rc ? 0 : found,
			     rc ? cpuu_error_last()->message
				: found ? (msg ? msg : "Office activation state of the source moved aside")
					: "no per-user Office licence key or folder");
	free(msg);
}

/* Deletes the records key when nothing is left in it. */
static int drop_if_empty(cpuu_reg *reg)
{
	cpuu_strlist names = { 0 };
	int rc = upd_state_names(&names, reg, KEYS_KEY);
	int empty = !rc && !names.count;
	cpuu_strlist_free(&names);
	if (!empty || key_exists(reg, KEYS_KEY) <= 0)
		return rc;
	return cpuu_reg_key_delete(reg, NULL, KEYS_KEY);
}

void upd_activation_undo(upd_run *run, cpuu_results *res, int keep)
{
	cpuu_strlist names = { 0 };
	if (upd_state_names(&names, run->reg, KEYS_KEY) != CPUU_OK || !names.count) {
		cpuu_strlist_free(&names);
		cpuu_error_clear();
		return;
	}
	double t0 = upd_now_ms();
	size_t back = 0, nvalues = 0;
	int rc = run->opts->dry_run ? CPUU_OK : upd_txn_begin_change(&run->txn);
	for (size_t i = 0; !rc && i < names.count; i++) {
		const char *path = names.items[i];
		char *aside = NULL;
		rc = upd_state_get(&aside, run->reg, KEYS_KEY, path);
		/* A record is data: it may name only a key cpuu moves. */
		if (!rc && (strcmp(path, LICENSING_KEY) || !aside || strcmp(aside, LICENSING_KEY ASIDE_SUFFIX)))
			rc = cpuu_error_set(CPUU_EINVALID, "%s\\%s: not a key cpuu moved aside", KEYS_KEY, path);
		int there = rc ? 0 : key_exists(run->reg, aside);
		int here = rc || there <= 0 ? 0 : key_exists(run->reg, path);
		if (!rc && (there < 0 || here < 0))
			rc = there < 0 ? there : here;
		else if (!rc && !keep && here > 0)
			/* Office made a new one since: neither is replaced. */
			rc = cpuu_error_set(CPUU_EEXISTS, "%s exists again (Office activated since): the source's stays at %s",
					    path, aside);
		if (!rc && !keep && there > 0 && !run->opts->dry_run)
			rc = move_key(run->reg, aside, path, &nvalues);
		back += !rc && !keep && there > 0;
		if (!rc && !run->opts->dry_run)
			rc = upd_state_delete(run->reg, KEYS_KEY, path);
		free(aside);
	}
	if (!rc && !run->opts->dry_run)
		rc = drop_if_empty(run->reg);
	upd_result_add_since(t0, res, run, NULL, "activation",
			     rc ? CPUU_OUTCOME_ERROR : keep ? CPUU_OUTCOME_CLEANED : CPUU_OUTCOME_ROLLED_BACK, back,
			     rc ? cpuu_error_last()->message
				: keep ? "Licensing.cpuu-old left in the registry for the admin" : NULL);
	cpuu_strlist_free(&names);
}
