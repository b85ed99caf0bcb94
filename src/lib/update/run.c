/* The three modes over one hive: Update, Rollback, Cleanup. */
#include "update/internal.h"

#include "cpuu/profile.h"
#include "cpuu/unicode.h"

#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

void cpuu_run_opts_init(cpuu_run_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->mode = CPUU_MODE_UPDATE;
	opts->add_boxes = 1;
	opts->exclude_scp_lookup = 1;
	opts->autodiscover_reset = 1;
	opts->autocomplete = 1;
	opts->signatures = 1;
	cpuu_switch_opts_init(&opts->switch_opts);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "/profiles/alice/NTUSER.DAT" -> "alice": offline hives sit in the user's folder. */
static char *user_from_hive(const char *hive)
{
	const char *end = strrchr(hive, '/');
	if (!end || end == hive)
		return cpuu_strdup(hive);
	const char *start = end - 1;
	while (start > hive && start[-1] != '/')
		start--;
	return cpuu_strndup(start, (size_t)(end - start));
}

static int profile_selected(const cpuu_run_opts *o, const cpuu_profile *p)
{
	if (!o->profiles || o->profiles->count == 0)
		return 1;
	for (size_t i = 0; i < o->profiles->count; i++)
		if (!cpuu_strcasecmp_ascii(o->profiles->items[i], p->name))
			return 1;
	return 0;
}

static int user_listed(const cpuu_strlist *list, const char *user)
{
	for (size_t i = 0; list && i < list->count; i++) {
		const char *e = list->items[i];
		const char *bs = strrchr(e, '\\');
		if (!cpuu_strcasecmp_ascii(e, user) || (bs && !cpuu_strcasecmp_ascii(bs + 1, user)))
			return 1;
	}
	return 0;
}

static int profile_cached(const cpuu_profile *p)
{
	for (size_t i = 0; i < p->naccounts; i++)
		if (p->accounts[i].kind == CPUU_ACCOUNT_EXCHANGE && p->accounts[i].cached == 1)
			return 1;
	return 0;
}

static const char *account_label(const cpuu_account *a)
{
	return a->smtp ? a->smtp : a->legacy_dn ? a->legacy_dn : a->service_uid ? a->service_uid : "?";
}

static char *marker_name(const cpuu_profile *p, const cpuu_account *a)
{
	return cpuu_aprintf("%s|%s", p->name, a->service_uid ? a->service_uid : "");
}

/* Looks a mailbox up by each key in turn (the source identity of an earlier
 * switch first). Ambiguity anywhere wins: such a mailbox is never switched. */
static cpuu_outcome resolve_keys(const upd_run *run, const char *const *keys, size_t nkeys, const cpuu_match **out,
				 const char **why)
{
	int no_target = 0;
	*out = NULL;
	for (size_t i = 0; i < nkeys; i++) {
		if (!keys[i])
			continue;
		const cpuu_match *m = NULL;
		cpuu_lookup_status st = CPUU_LOOKUP_NO_SOURCE;
		int rc = run->resolver->lookup(run->resolver->ctx, &m, &st, keys[i]);
		if (rc == CPUU_EINVALID) {
			/* A key of no kind the source knows: try the next one. */
			cpuu_error_clear();
			continue;
		}
		if (rc != CPUU_OK) {
			/* A directory that cannot answer is not "no match". */
			*why = cpuu_error_last()->message;
			return CPUU_OUTCOME_ERROR;
		}
		if (st == CPUU_LOOKUP_AMBIGUOUS) {
			*why = "ambiguous correspondence: several source or target objects match";
			return CPUU_OUTCOME_AMBIGUOUS;
		}
		if (st == CPUU_LOOKUP_NO_TARGET)
			no_target = 1;
		if (st == CPUU_LOOKUP_FOUND && m) {
			*out = m;
			if (!m->switched) {
				*why = "not switched yet";
				return CPUU_OUTCOME_NOT_SWITCHED;
			}
			return CPUU_OUTCOME_SWITCHED;
		}
	}
	*why = no_target ? "source mailbox has no target correspondence" : "mailbox not found in the correspondence";
	return CPUU_OUTCOME_NO_MATCH;
}

static cpuu_outcome resolve(const upd_run *run, const cpuu_account *a, const char *marker_src,
			    const cpuu_match **out, const char **why)
{
	const char *keys[] = { marker_src, a->legacy_dn, a->smtp, a->mailbox_guid };
	return resolve_keys(run, keys, sizeof keys / sizeof keys[0], out, why);
}

/* The live registry (win32 backend, docs/windows.md) changes with every
 * call rather than at the commit: there the backup goes to disk each time it
 * grows, before the first change to what it covers. Hives get it once,
 * before their commit (run_changes). */
static int backup_now_if_live(upd_run *run)
{
	if (strcmp(cpuu_reg_backend_name(run->reg), "win32"))
		return CPUU_OK;
	char *full = cpuu_aprintf("%s/%s", run->state_dir, run->backup_file);
	int rc = !full ? cpuu_error_oom()
		 : cpuu_fault("update:backup") ? cpuu_error_set(CPUU_EIO, "%s: cannot write (injected fault)", full)
					       : cpuu_regtext_write_file(full, run->backup);
	free(full);
	return rc;
}

/* Keeps a key's subtree as it was before cpuu's first change to it: it joins
 * this run's backup document (written once, before the commit) under the
 * entry name (a profile name, or "\\AutoDiscover <version>": key names
 * cannot hold a backslash, so the two never meet). A key that does not exist
 * is recorded as [-key]: Rollback then deletes it. */
static int ensure_backup_key(upd_run *run, const char *entry_name, const char *path)
{
	char *existing = NULL;
	int rc = upd_state_get(&existing, run->reg, UPD_BACKUPS_KEY, entry_name);
	if (rc || existing) {
		free(existing);
		return rc;
	}
	for (size_t i = 0; i < run->backed_up.count; i++)
		if (!strcmp(run->backed_up.items[i], entry_name))
			return CPUU_OK;
	if (!run->backup) {
		if (!(run->backup = calloc(1, sizeof *run->backup)))
			return cpuu_error_oom();
		run->backup->version = 5;
		if ((rc = upd_mkdir(run->state_dir)) || !(run->backup_file = upd_backup_file_name(run->state_dir)))
			return rc ? rc : cpuu_error_last()->code;
	}
	/* An absent key is recorded by its topmost missing ancestor: creating the
	 * key creates those too, and Rollback must remove them all. */
	char *top = cpuu_strdup(path);
	cpuu_reg_key *probe = NULL;
	for (char *sep = top ? strchr(top, '\\') : NULL; sep; sep = strchr(sep + 1, '\\')) {
		*sep = '\0';
		int found = cpuu_reg_key_open(&probe, run->reg, NULL, top) == CPUU_OK;
		cpuu_reg_key_free(probe);
		probe = NULL;
		if (!found)
			break;
		*sep = '\\';
	}
	cpuu_error_clear();
	char *prefix = top ? cpuu_aprintf(UPD_ROOT_NAME "\\%s", top) : NULL;
	char *entry = top ? cpuu_aprintf("%s|%s", run->backup_file, top) : NULL;
	cpuu_regtext *doc = NULL;
	cpuu_reg_key *k = NULL;
	if (!prefix || !entry)
		rc = cpuu_error_oom();
	if (!rc)
		rc = cpuu_reg_key_open(&k, run->reg, NULL, top);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		if (!(doc = calloc(1, sizeof *doc)) || !(doc->keys = calloc(1, sizeof *doc->keys)))
			rc = cpuu_error_oom();
		else {
			doc->nkeys = 1;
			doc->keys[0].path = prefix;
			doc->keys[0].delete_key = 1;
			prefix = NULL;
			rc = CPUU_OK;
		}
	} else if (!rc) {
		rc = cpuu_regtext_export(&doc, run->reg, k, prefix);
		if (!rc)
			upd_mask_secure(doc);
	}
	if (!rc) {
		cpuu_regtext_key *grown = realloc(run->backup->keys, (run->backup->nkeys + doc->nkeys) * sizeof *grown);
		if (!grown) {
			rc = cpuu_error_oom();
		} else {
			/* The keys move into the run's document. */
			memcpy(grown + run->backup->nkeys, doc->keys, doc->nkeys * sizeof *grown);
			run->backup->keys = grown;
			run->backup->nkeys += doc->nkeys;
			doc->nkeys = 0;
		}
	}
	if (!rc)
		rc = backup_now_if_live(run);
	if (!rc)
		rc = upd_state_set(run->reg, UPD_BACKUPS_KEY, entry_name, entry);
	if (!rc)
		rc = cpuu_strlist_add(&run->backed_up, entry_name);
	if (rc)
		cpuu_error_prefix("backing up %s", path);
	cpuu_regtext_free(doc);
	cpuu_reg_key_free(k);
	free(prefix);
	free(entry);
	free(top);
	return rc;
}

static int ensure_backup(upd_run *run, const cpuu_profile *p)
{
	return ensure_backup_key(run, p->name, p->path);
}

/* Remembers that an account of this Office version now lives in the target:
 * the version's Autodiscover settings get their turn after the profiles. */
static void note_autodiscover(upd_run *run, const cpuu_profile *p, const cpuu_match *m, const cpuu_account *a)
{
	const char *smtp = m && m->source_smtp ? m->source_smtp : a->smtp;
	const char *at = smtp ? strrchr(smtp, '@') : NULL;
	if (!p->outlook_version || !strcmp(p->outlook_version, "wms"))
		return; /* Outlook 2010 and older: no per-version Autodiscover key to mind */
	char *item = cpuu_aprintf("%s|%s", p->outlook_version, at ? at + 1 : "");
	if (!item)
		return;
	for (size_t i = 0; i < run->ad_touched.count; i++)
		if (!cpuu_strcasecmp_ascii(run->ad_touched.items[i], item)) {
			free(item);
			return;
		}
	cpuu_strlist_add(&run->ad_touched, item);
	free(item);
}

/* What every planned change goes through: nothing to do (already done), a
 * dry run (the plan joins the printed diff), or backup + apply + marker.
 * Sets *outcome; returns nonzero on failure (message set). */
static int carry_out(upd_run *run, cpuu_results *res, const cpuu_profile *p, const char *label,
		     const cpuu_plan *plan, const char *marker, const char *source_dn, cpuu_outcome *outcome)
{
	if (cpuu_plan_count(plan) == 0) {
		*outcome = CPUU_OUTCOME_ALREADY_SWITCHED;
		return CPUU_OK;
	}
	int rc;
	if (run->opts->dry_run) {
		char *text = NULL;
		if ((rc = cpuu_plan_format(&text, plan)))
			return rc;
		char *joined = cpuu_aprintf("%s; profile '%s', %s\n%s\n", res->plan_text ? res->plan_text : "",
					    p->name, label, text);
		free(text);
		if (!joined)
			return cpuu_error_oom();
		free(res->plan_text);
		res->plan_text = joined;
		*outcome = CPUU_OUTCOME_PLANNED;
		return CPUU_OK;
	}
	if ((rc = ensure_backup(run, p)) || (rc = cpuu_plan_apply(run->reg, plan)) ||
	    (rc = upd_state_set(run->reg, UPD_SWITCHED_KEY, marker, source_dn ? source_dn : "")))
		return rc;
	*outcome = CPUU_OUTCOME_SWITCHED;
	run->switched_now = 1;
	return CPUU_OK;
}

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

/* The PRF route for one switched account: the profile is left as it is and
 * Outlook recreates it from a .prf at its next start. */
static int arm_prf(upd_run *run, const cpuu_profile *p, const cpuu_account *a, const cpuu_match *m,
		   const char *mname, cpuu_plan *plan, char **why_out)
{
	char *text = NULL, *home = NULL, *win = NULL, *local = NULL, *name = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0, sigs = 0;
	cpuu_prf_opts po;
	cpuu_prf_opts_init(&po);
	if (a->ost_path && a->mailbox_guid && m->target_mailbox_guid &&
	    !cpuu_strcasecmp_ascii(a->mailbox_guid, m->target_mailbox_guid))
		po.ost_path = a->ost_path; /* the same mailbox: its OST stays valid */
	int rc = cpuu_prf_build(&text, p, a, m, &po);
	/* A plain file name from the profile name (data): safe characters only. */
	if (!rc && !(name = cpuu_strdup(p->name)))
		rc = cpuu_error_oom();
	for (char *c = name; !rc && *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		      *c == '_'))
			*c = '_';
	if (!rc && !(home = windows_home(run, p)))
		rc = cpuu_error_oom();
	if (!rc && !(win = cpuu_aprintf("%s\\AppData\\Local\\cpuu\\%s.prf", home, name)))
		rc = cpuu_error_oom();
	if (!rc && !(local = upd_local_path(run->opts->user_dir, win)))
		rc = cpuu_error_set(CPUU_EINVALID, "cannot place the .prf in the user folder (%s)", win);
	if (!rc)
		rc = cpuu_prf_plan_import(plan, run->reg, p->outlook_version, win);
	if (!rc)
		rc = cpuu_prf_plan_signatures_record(plan, &sigs, run->reg, p, a, m, NULL);
	char *setup = NULL, *entry = NULL;
	if (!rc && !(rc = cpuu_prf_setup_key(&setup, p->outlook_version)) &&
	    !(entry = cpuu_aprintf("\\Setup %s", p->outlook_version)))
		rc = cpuu_error_oom();
	/* The profile is backed up although cpuu leaves it: Outlook replaces it. */
	if (!rc)
		rc = ensure_backup(run, p);
	if (!rc)
		rc = ensure_backup_key(run, entry, setup);
	if (!rc)
		rc = cpuu_plan_apply(run->reg, plan);
	if (!rc)
		rc = cpuu_prf_encode(&bytes, &len, text, po.encoding);
	if (!rc) {
		/* Written before the commit, removed if the commit does not happen;
		 * the folders on the way are made inside the user folder only. */
		size_t base = strlen(run->opts->user_dir);
		char *dir = cpuu_strdup(local);
		for (char *c = dir ? dir + base + 1 : NULL; !rc && c && (c = strchr(c, '/')); c++) {
			*c = '\0';
			rc = upd_mkdir(dir);
			*c = '/';
		}
		free(dir);
		FILE *f = rc ? NULL : fopen(local, "wb");
		if (!rc && (!f || fwrite(bytes, 1, len, f) != len))
			rc = cpuu_error_set(CPUU_EIO, "%s: cannot write: %s", local, strerror(errno));
		if (f && fclose(f) != 0 && !rc)
			rc = cpuu_error_set(CPUU_EIO, "%s: cannot write: %s", local, strerror(errno));
		if (!rc)
			rc = cpuu_strlist_add(&run->prf_written, local);
	}
	if (!rc)
		rc = upd_state_set(run->reg, UPD_PRF_KEY, mname, win);
	if (!rc)
		*why_out = cpuu_aprintf("Outlook recreates profile '%s' from %s at its next start%s", p->name, win,
					sigs ? "; signature choices carried" : "");
	free(entry);
	free(setup);
	free(bytes);
	free(text);
	free(home);
	free(win);
	free(local);
	free(name);
	return rc;
}

static void update_account(upd_run *run, cpuu_results *res, const cpuu_profile *p, const cpuu_account *a)
{
	double t0 = now_ms();
	char *mname = marker_name(p, a);
	char *marker_src = NULL;
	cpuu_plan *plan = NULL;
	const cpuu_match *m = NULL;
	const char *why = NULL;
	cpuu_outcome outcome;
	size_t changes = 0;
	char *msg = NULL;

	int rc = mname ? upd_state_get(&marker_src, run->reg, UPD_SWITCHED_KEY, mname) : cpuu_error_oom();
	if (rc)
		goto fail;
	outcome = resolve(run, a, marker_src, &m, &why);
	if (outcome != CPUU_OUTCOME_SWITCHED)
		goto done;
	why = NULL;
	if (run->opts->prf_route) {
		char *armed = NULL;
		if ((rc = upd_state_get(&armed, run->reg, UPD_PRF_KEY, mname)))
			goto fail;
		if (armed) {
			free(armed);
			outcome = CPUU_OUTCOME_ALREADY_SWITCHED;
			why = "the profile is set to be recreated by Outlook (PRF armed)";
			goto done;
		}
		if (run->opts->dry_run) {
			outcome = CPUU_OUTCOME_PLANNED;
			why = "would have Outlook recreate the profile from a .prf (PRF route)";
			goto done;
		}
		if (!run->opts->user_dir) {
			rc = cpuu_error_set(CPUU_EINVALID, "the PRF route needs the user folder (--user-dir)");
			goto fail;
		}
		if ((rc = cpuu_plan_new(&plan)) || (rc = arm_prf(run, p, a, m, mname, plan, &msg)))
			goto fail;
		changes = cpuu_plan_count(plan) + 1;
		why = msg;
		outcome = CPUU_OUTCOME_SWITCHED;
		run->switched_now = 1;
		goto done;
	}
	/* The marker is committed with the OST change: once it exists, the OST
	 * was already pointed at the target. */
	cpuu_switch_opts sw = run->opts->switch_opts;
	if (marker_src)
		sw.new_ost_for_new_mailbox = 0;
	if ((rc = cpuu_plan_new(&plan)) || (rc = cpuu_plan_switch_account(plan, run->reg, p, a, m, &sw)))
		goto fail;
	changes = cpuu_plan_count(plan);
	char *label = cpuu_aprintf("account %s", account_label(a));
	rc = label ? carry_out(run, res, p, label, plan, mname,
			       m->source_legacy_dn ? m->source_legacy_dn : a->legacy_dn, &outcome)
		   : cpuu_error_oom();
	free(label);
	if (rc)
		goto fail;
	if (outcome == CPUU_OUTCOME_ALREADY_SWITCHED)
		why = "already switched; nothing to change";
	if (outcome != CPUU_OUTCOME_SWITCHED)
		goto done;
	/* The old OST goes aside once the profile no longer uses it: recorded in
	 * this commit, renamed after it (run_modes). */
	if (run->opts->user_dir && a->ost_path && cpuu_plan_new_ost_path(plan, a)) {
		char *local = upd_local_path(run->opts->user_dir, a->ost_path);
		if (local && ((rc = upd_state_set(run->reg, UPD_FILES_KEY, mname, a->ost_path)) ||
			      (rc = cpuu_strlist_add(&run->aside, local)))) {
			free(local);
			goto fail;
		}
		if (!local)
			why = "the old OST is outside the user folder: left where it is";
		free(local);
	}
	outcome = CPUU_OUTCOME_SWITCHED;
	goto done;
fail:
	outcome = CPUU_OUTCOME_ERROR;
	changes = 0;
	msg = cpuu_strdup(cpuu_error_last()->message);
	why = msg;
done:
	if (outcome == CPUU_OUTCOME_SWITCHED || outcome == CPUU_OUTCOME_ALREADY_SWITCHED ||
	    outcome == CPUU_OUTCOME_PLANNED)
		note_autodiscover(run, p, m, a);
	cpuu_result *r = upd_result_add(res, run, p->name, account_label(a), outcome, changes, why);
	if (r)
		r->duration_ms = now_ms() - t0;
	free(msg);
	free(marker_src);
	free(mname);
	cpuu_plan_free(plan);
}

/* Additional mailboxes of an account that is at its target follow their
 * owners: switched owners' mailboxes are relinked to the target, the others
 * stay as they are (reported, no exit bit: nothing is wrong with the user). */
static void update_additional(upd_run *run, cpuu_results *res, const cpuu_profile *p, const cpuu_account *a)
{
	for (size_t i = 0; i < a->nadditional; i++) {
		const cpuu_additional_mailbox *mb = &a->additional[i];
		double t0 = now_ms();
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
		outcome = resolve_keys(run, keys, 3, &m, &why);
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
		if ((rc = carry_out(run, res, p, label, plan, mname,
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
	done:;
		cpuu_result *r = upd_result_add(res, run, p->name, label, outcome, changes, why);
		if (r)
			r->duration_ms = now_ms() - t0;
		free(msg);
		free(marker_src);
		free(label);
		free(mname);
		cpuu_plan_free(plan);
	}
}

/* Per Office version whose accounts now live in the target: stop Outlook from
 * finding the source organization again (docs/switch.md, "Autodiscover"). */
static void update_autodiscover(upd_run *run, cpuu_results *res)
{
	cpuu_strlist versions = { 0 };
	for (size_t i = 0; i < run->ad_touched.count; i++) {
		const char *bar = strchr(run->ad_touched.items[i], '|');
		char *ver = bar ? cpuu_strndup(run->ad_touched.items[i], (size_t)(bar - run->ad_touched.items[i])) : NULL;
		int seen = 0;
		for (size_t j = 0; ver && j < versions.count; j++)
			seen |= !strcmp(versions.items[j], ver);
		if (ver && !seen)
			cpuu_strlist_add(&versions, ver);
		free(ver);
	}
	for (size_t v = 0; v < versions.count; v++) {
		double t0 = now_ms();
		const char *ver = versions.items[v];
		char *path = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Outlook\\AutoDiscover", ver);
		char *entry = cpuu_aprintf("\\AutoDiscover %s", ver);
		char *label = cpuu_aprintf("autodiscover:%s", ver);
		cpuu_plan *plan = NULL;
		cpuu_reg_key *k = NULL;
		cpuu_reg_value *vals = NULL;
		size_t nvals = 0, changes = 0;
		int rc = path && entry && label ? cpuu_plan_new(&plan) : cpuu_error_oom();
		if (!rc && run->opts->exclude_scp_lookup) {
			uint8_t one[4] = { 1, 0, 0, 0 };
			rc = cpuu_plan_set_value(plan, run->reg, path, "ExcludeScpLookup", CPUU_REG_DWORD, one, 4,
						 "the workstation's forest would lead Outlook back to the source (SCP)");
		}
		/* Local XML overrides name a domain: the source domains' go. */
		if (!rc && run->opts->autodiscover_reset && cpuu_reg_key_open(&k, run->reg, NULL, path) == CPUU_OK)
			rc = cpuu_reg_key_values(&vals, &nvals, run->reg, k);
		cpuu_error_clear();
		for (size_t i = 0; !rc && i < nvals; i++)
			for (size_t j = 0; j < run->ad_touched.count; j++) {
				const char *item = run->ad_touched.items[j];
				size_t vl = strlen(ver);
				if (strncmp(item, ver, vl) || item[vl] != '|' || !item[vl + 1] ||
				    cpuu_strcasecmp_ascii(vals[i].name, item + vl + 1))
					continue;
				rc = cpuu_plan_delete_value(plan, run->reg, path, vals[i].name,
							    "Autodiscover override for a source domain");
				break;
			}
		changes = rc ? 0 : cpuu_plan_count(plan);
		if (!rc && changes && !run->opts->dry_run)
			rc = ensure_backup_key(run, entry, path);
		if (!rc && changes && !run->opts->dry_run)
			rc = cpuu_plan_apply(run->reg, plan);
		if (!rc && changes && run->opts->dry_run) {
			char *text = NULL;
			if (!(rc = cpuu_plan_format(&text, plan))) {
				char *joined = cpuu_aprintf("%s; %s\n%s\n", res->plan_text ? res->plan_text : "", label, text);
				free(res->plan_text);
				res->plan_text = joined;
			}
			free(text);
		}
		cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
			       : !changes ? CPUU_OUTCOME_ALREADY_SWITCHED
			       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
		cpuu_result *r = upd_result_add(res, run, NULL, label, o, changes,
						rc ? cpuu_error_last()->message : NULL);
		if (r)
			r->duration_ms = now_ms() - t0;
		cpuu_reg_values_free(vals, nvals);
		cpuu_reg_key_free(k);
		cpuu_plan_free(plan);
		free(label);
		free(entry);
		free(path);
	}
	cpuu_strlist_free(&versions);
}

/* Moves a cache of the user's folder aside after the commit (recorded in it). */
static int cache_aside(upd_run *run, const char *entry, const char *windows_path)
{
	char *local = upd_local_path(run->opts->user_dir, windows_path);
	struct stat st;
	int rc = CPUU_OK;
	if (local && stat(local, &st) == 0 && (rc = upd_state_set(run->reg, UPD_FILES_KEY, entry, windows_path)) == 0)
		rc = cpuu_strlist_add(&run->aside, local);
	free(local);
	return rc;
}

/* The caches Outlook keeps of the source organization in the user's folder:
 * the Offline Address Book and the cached Autodiscover answers. Moved aside
 * (never deleted) once an account switched, so Outlook fetches the target's. */
static void update_caches(upd_run *run, cpuu_results *res)
{
	if (!run->opts->user_dir || !run->switched_now || run->opts->dry_run)
		return;
	char *outlook = cpuu_aprintf("C:\\Users\\%s\\AppData\\Local\\Microsoft\\Outlook", run->user);
	char *oab = outlook ? cpuu_aprintf("%s\\Offline Address Books", outlook) : NULL;
	char *local = outlook ? upd_local_path(run->opts->user_dir, outlook) : NULL;
	size_t moved = run->aside.count;
	int rc = oab ? cache_aside(run, "\\oab", oab) : cpuu_error_oom();
	DIR *d = !rc && local ? opendir(local) : NULL;
	struct dirent *e;
	static const char suffix[] = " - Autodiscover.xml";
	while (!rc && d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= sizeof suffix - 1 || cpuu_strcasecmp_ascii(e->d_name + n - (sizeof suffix - 1), suffix))
			continue;
		char *win = cpuu_aprintf("%s\\%s", outlook, e->d_name);
		char *entry = cpuu_aprintf("\\autodiscover|%s", e->d_name);
		rc = win && entry ? cache_aside(run, entry, win) : cpuu_error_oom();
		free(win);
		free(entry);
	}
	if (d)
		closedir(d);
	if (rc || run->aside.count > moved)
		upd_result_add(res, run, NULL, "caches", rc ? CPUU_OUTCOME_ERROR : CPUU_OUTCOME_SWITCHED,
			       rc ? 0 : run->aside.count - moved,
			       rc ? cpuu_error_last()->message
				  : "offline address book / cached Autodiscover answers of the source moved aside");
	free(local);
	free(oab);
	free(outlook);
}

/* "C|path" / "R|path|old" lines: a hand-over's change list as kept in the
 * hive for Rollback (paths never hold '|' or line breaks: Windows refuses
 * them in file names, and cpuu_autocomplete_undo checks every path). */
static char *changes_to_text(const cpuu_ac_changes *c)
{
	cpuu_buf b = { 0 };
	for (size_t i = 0; i < c->count; i++)
		if (c->items[i].action == CPUU_AC_FILE_CREATED)
			cpuu_buf_printf(&b, "C|%s\n", c->items[i].path);
		else
			cpuu_buf_printf(&b, "R|%s|%s\n", c->items[i].path, c->items[i].old_path);
	return cpuu_buf_detach(&b, NULL);
}

static int changes_from_text(cpuu_ac_changes *c, const char *text)
{
	memset(c, 0, sizeof *c);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = cpuu_strndup(p, n);
		cpuu_ac_file_change *g = line ? realloc(c->items, (c->count + 1) * sizeof *g) : NULL;
		if (!g) {
			free(line);
			cpuu_ac_changes_clear(c);
			return cpuu_error_oom();
		}
		c->items = g;
		cpuu_ac_file_change *ch = &g[c->count];
		memset(ch, 0, sizeof *ch);
		char *f1 = line[0] && line[1] == '|' ? line + 2 : NULL, *f2 = f1 ? strchr(f1, '|') : NULL;
		if (f2)
			*f2++ = '\0';
		if (f1 && line[0] == 'C' && !f2) {
			ch->action = CPUU_AC_FILE_CREATED;
			ch->path = cpuu_strdup(f1);
		} else if (f1 && line[0] == 'R' && f2) {
			ch->action = CPUU_AC_FILE_RENAMED;
			ch->path = cpuu_strdup(f1);
			ch->old_path = cpuu_strdup(f2);
		} else {
			free(line);
			cpuu_ac_changes_clear(c);
			return cpuu_error_set(CPUU_EINVALID, "autocomplete record: malformed line");
		}
		free(line);
		c->count++;
		p += n + (nl ? 1 : 0);
	}
	return CPUU_OK;
}

/* The autocomplete cache of a profile whose accounts switched in this run:
 * rewritten to the targets and handed to Outlook as <profile>.nk2 (before
 * the commit, undone if the commit does not happen), with a RunOnce
 * "outlook.exe /importnk2 /profile" so Outlook imports it once. */
static void update_autocomplete(upd_run *run, cpuu_results *res, const cpuu_profile *p)
{
	if (!run->opts->autocomplete || !run->opts->user_dir)
		return;
	char *done = NULL;
	if (upd_state_get(&done, run->reg, UPD_AUTOCOMPLETE_KEY, p->name) != CPUU_OK || done) {
		free(done);
		cpuu_error_clear();
		return;
	}
	double t0 = now_ms();
	if (run->opts->dry_run) {
		upd_result_add(res, run, p->name, "autocomplete", CPUU_OUTCOME_PLANNED, 0,
			       "the autocomplete cache would be rewritten and handed to Outlook (not read in a dry run)");
		return;
	}
	cpuu_ac_changes ch = { 0 };
	cpuu_ac_stats st;
	memset(&st, 0, sizeof st);
	char *record = NULL, *value_name = NULL, *command = NULL;
	cpuu_plan *plan = NULL;
	int rc = cpuu_autocomplete_handover(&ch, &st, run->opts->user_dir, p->name, run->resolver);
	if (!rc && ch.count) {
		/* Remember it first: a later failure of this run undoes it. */
		cpuu_ac_changes *g = realloc(run->handed, (run->nhanded + 1) * sizeof *g);
		if (!g) {
			rc = cpuu_error_oom();
		} else {
			run->handed = g;
			g[run->nhanded++] = ch;
			memset(&ch, 0, sizeof ch);
		}
		uint32_t h = 2166136261u;
		for (const unsigned char *q = (const unsigned char *)p->name; *q; q++)
			h = (h ^ *q) * 16777619u;
		char *entry = cpuu_aprintf("\\autocomplete|%s", p->name);
		record = rc ? NULL : changes_to_text(&run->handed[run->nhanded - 1]);
		value_name = cpuu_aprintf("cpuu-importnk2-%08x", (unsigned)h);
		command = cpuu_aprintf("outlook.exe /importnk2 /profile \"%s\"", p->name);
		uint8_t *data = NULL;
		size_t len = 0;
		if (!rc && (!entry || !record || !value_name || !command))
			rc = cpuu_error_oom();
		if (!rc)
			rc = cpuu_utf8_to_utf16le(&data, &len, command, 1);
		if (!rc)
			rc = cpuu_plan_new(&plan);
		if (!rc)
			rc = cpuu_plan_set_value(plan, run->reg, UPD_RUNONCE_KEY, value_name, CPUU_REG_SZ, data, len,
						 "Outlook imports the rewritten autocomplete cache once");
		if (!rc)
			rc = ensure_backup_key(run, "\\RunOnce", UPD_RUNONCE_KEY);
		if (!rc)
			rc = cpuu_plan_apply(run->reg, plan);
		if (!rc)
			rc = upd_state_set(run->reg, UPD_FILES_KEY, entry, record);
		if (!rc)
			rc = upd_state_set(run->reg, UPD_AUTOCOMPLETE_KEY, p->name, "handed over");
		free(data);
		free(entry);
	}
	char *msg = rc ? cpuu_strdup(cpuu_error_last()->message)
		       : cpuu_aprintf("%zu entr%s rewritten, %zu kept as they were; Outlook imports %s.nk2 at its next start",
				      st.rewritten, st.rewritten == 1 ? "y" : "ies",
				      st.unchanged + st.not_switched + st.unmatched + st.ambiguous, p->name);
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR : st.rewritten ? CPUU_OUTCOME_SWITCHED : CPUU_OUTCOME_ALREADY_SWITCHED;
	if (!rc && !st.rewritten) {
		free(msg);
		msg = cpuu_strdup("no autocomplete entry points at a switched mailbox");
	}
	cpuu_result *r = upd_result_add(res, run, p->name, "autocomplete", o, rc ? 0 : st.rewritten, msg);
	if (r)
		r->duration_ms = now_ms() - t0;
	free(msg);
	cpuu_ac_changes_clear(&ch);
	cpuu_plan_free(plan);
	free(record);
	free(value_name);
	free(command);
}

/* Signature choices recorded by the PRF route wait until Outlook has made
 * the new account; then they are written into it, once. */
static void update_pending_signatures(upd_run *run, cpuu_results *res, const cpuu_profile_set *set)
{
	cpuu_plan *plan = NULL;
	size_t applied = 0, pending = 0;
	int rc = cpuu_plan_new(&plan);
	if (!rc)
		rc = cpuu_prf_plan_signatures_apply(plan, &applied, &pending, run->reg, set);
	if (!rc && applied && !run->opts->dry_run)
		rc = cpuu_plan_apply(run->reg, plan);
	if (rc || applied)
		upd_result_add(res, run, NULL, "signatures", rc ? CPUU_OUTCOME_ERROR
							     : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED,
			       rc ? 0 : applied,
			       rc ? cpuu_error_last()->message : "signature choices carried into the recreated account");
	cpuu_plan_free(plan);
}

static void run_update(upd_run *run, cpuu_results *res, const cpuu_profile_set *set)
{
	for (size_t i = 0; i < set->nprofiles; i++) {
		const cpuu_profile *p = &set->profiles[i];
		if (!profile_selected(run->opts, p)) {
			upd_result_add(res, run, p->name, NULL, CPUU_OUTCOME_SKIPPED, 0, "profile not selected");
			continue;
		}
		int cached = profile_cached(p);
		if (cached && (run->opts->cached_rule == CPUU_CACHED_NONE ||
			       (run->opts->cached_rule == CPUU_CACHED_LISTED && !user_listed(run->opts->remote_users, run->user)))) {
			upd_result_add(res, run, p->name, NULL, CPUU_OUTCOME_SKIPPED, 0,
				       "cached-mode profile not selected by the configuration");
			continue;
		}
		size_t before = res->count;
		int switched_before = run->switched_now;
		run->switched_now = 0;
		for (size_t j = 0; j < p->naccounts; j++) {
			if (p->accounts[j].kind != CPUU_ACCOUNT_EXCHANGE)
				continue;
			size_t at = res->count;
			update_account(run, res, p, &p->accounts[j]);
			cpuu_outcome o = res->count > at ? res->items[at].outcome : CPUU_OUTCOME_ERROR;
			if (run->opts->add_boxes && (o == CPUU_OUTCOME_SWITCHED || o == CPUU_OUTCOME_ALREADY_SWITCHED ||
						    o == CPUU_OUTCOME_PLANNED))
				update_additional(run, res, p, &p->accounts[j]);
		}
		if (res->count == before)
			upd_result_add(res, run, p->name, NULL, CPUU_OUTCOME_SKIPPED, 0, "no Exchange account");
		int switched_here = run->switched_now;
		for (size_t j = before; j < res->count && !switched_here; j++)
			switched_here = res->items[j].outcome == CPUU_OUTCOME_PLANNED;
		if (switched_here)
			update_autocomplete(run, res, p);
		run->switched_now = switched_before || run->switched_now;
	}
	if (run->opts->exclude_scp_lookup || run->opts->autodiscover_reset)
		update_autodiscover(run, res);
	update_pending_signatures(run, res, set);
	update_caches(run, res);
}

/* A backup entry read back from the registry is data: "<file>|<path>" with a
 * bare file name, or nothing. */
static int split_entry(char **file, const char **path, char *entry)
{
	char *bar = entry ? strchr(entry, '|') : NULL;
	if (!bar || bar == entry || !bar[1])
		return 0;
	*bar = '\0';
	*file = entry;
	*path = bar + 1;
	if (strstr(entry, ".."))
		return 0;
	for (const char *p = entry; *p; p++)
		if (*p == '/' || *p == '\\' || *p == ':')
			return 0;
	return 1;
}

/* Backup documents read during one rollback, by file name. */
typedef struct doc_cache {
	cpuu_strlist names;
	cpuu_regtext **docs;
} doc_cache;

static int cached_doc(const cpuu_regtext **out, doc_cache *c, const char *dir, const char *file)
{
	for (size_t i = 0; i < c->names.count; i++)
		if (!strcmp(c->names.items[i], file)) {
			*out = c->docs[i];
			return CPUU_OK;
		}
	char *full = cpuu_aprintf("%s/%s", dir, file);
	cpuu_regtext *doc = NULL;
	int rc = full ? cpuu_regtext_read_file(&doc, full) : cpuu_error_oom();
	free(full);
	if (rc)
		return rc;
	cpuu_regtext **grown = realloc(c->docs, (c->names.count + 1) * sizeof *grown);
	if (grown)
		c->docs = grown;
	if (!grown || cpuu_strlist_add(&c->names, file)) {
		cpuu_regtext_free(doc);
		return cpuu_error_oom();
	}
	c->docs[c->names.count - 1] = doc;
	*out = doc;
	return CPUU_OK;
}

static void doc_cache_free(doc_cache *c)
{
	for (size_t i = 0; i < c->names.count; i++)
		cpuu_regtext_free(c->docs[i]);
	free(c->docs);
	cpuu_strlist_free(&c->names);
}

/* Deletes the state values "<profile>|..." of key; with restore_files, each
 * value names an OST renamed aside, which is renamed back first. */
static int drop_markers(upd_run *run, const char *profile, const char *key, int restore_files)
{
	cpuu_strlist names = { 0 };
	int rc = upd_state_names(&names, run->reg, key);
	size_t plen = strlen(profile);
	for (size_t j = 0; !rc && j < names.count; j++) {
		if (strncmp(names.items[j], profile, plen) || names.items[j][plen] != '|')
			continue;
		if (restore_files && run->opts->user_dir) {
			char *win = NULL;
			rc = upd_state_get(&win, run->reg, key, names.items[j]);
			char *local = win ? upd_local_path(run->opts->user_dir, win) : NULL;
			char *aside = local ? cpuu_aprintf("%s.cpuu-old", local) : NULL;
			if (!rc && aside && upd_rename_if(aside, local) < 0)
				rc = cpuu_error_last()->code;
			free(aside);
			free(local);
			free(win);
		}
		if (!rc)
			rc = upd_state_delete(run->reg, key, names.items[j]);
	}
	cpuu_strlist_free(&names);
	return rc;
}

/* Removes the .prf files armed for a profile and their records. */
static int drop_prf(upd_run *run, const char *profile)
{
	cpuu_strlist names = { 0 };
	int rc = upd_state_names(&names, run->reg, UPD_PRF_KEY);
	size_t plen = strlen(profile);
	for (size_t j = 0; !rc && j < names.count; j++) {
		if (strncmp(names.items[j], profile, plen) || names.items[j][plen] != '|')
			continue;
		char *win = NULL;
		rc = upd_state_get(&win, run->reg, UPD_PRF_KEY, names.items[j]);
		char *local = win && run->opts->user_dir ? upd_local_path(run->opts->user_dir, win) : NULL;
		if (local && unlink(local) != 0 && errno != ENOENT)
			rc = cpuu_error_set(CPUU_EIO, "%s: cannot remove: %s", local, strerror(errno));
		if (!rc)
			rc = upd_state_delete(run->reg, UPD_PRF_KEY, names.items[j]);
		free(local);
		free(win);
	}
	cpuu_strlist_free(&names);
	return rc;
}

static void run_rollback_or_cleanup(upd_run *run, cpuu_results *res, cpuu_strlist *to_unlink)
{
	cpuu_strlist names = { 0 };
	doc_cache cache = { 0 };
	int cleanup = run->opts->mode == CPUU_MODE_CLEANUP;
	if (upd_state_names(&names, run->reg, UPD_BACKUPS_KEY)) {
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		return;
	}
	if (names.count == 0)
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_NOTHING_TO_UNDO, 0,
			       cleanup ? "no backup to clean up" : "nothing to undo");
	for (size_t i = 0; i < names.count; i++) {
		double t0 = now_ms();
		const char *profile = names.items[i];
		char *entry = NULL, *file = NULL;
		const char *path = NULL;
		const cpuu_regtext *doc = NULL;
		size_t changes = 0;
		int rc = upd_state_get(&entry, run->reg, UPD_BACKUPS_KEY, profile);
		if (!rc && !split_entry(&file, &path, entry))
			rc = cpuu_error_set(CPUU_EINVALID, "backup entry of profile '%s' is malformed", profile);
		if (!rc && !cleanup && !run->opts->dry_run) {
			rc = cached_doc(&doc, &cache, run->state_dir, file);
			if (!rc)
				rc = upd_restore_subtree(run->reg, doc, path, &changes);
			if (!rc)
				rc = drop_markers(run, profile, UPD_SWITCHED_KEY, 0);
			/* The PRF route: its .prf files go, pending signatures too. */
			if (!rc)
				rc = drop_prf(run, profile);
			if (!rc)
				rc = drop_markers(run, profile, CPUU_PRF_PENDING_KEY, 0);
		}
		/* Renamed OSTs come back (rollback) or stay aside for the admin
		 * (cleanup: they are never deleted); either way the record goes. */
		if (!rc && !run->opts->dry_run)
			rc = drop_markers(run, profile, UPD_FILES_KEY, !cleanup);
		if (!rc && !run->opts->dry_run)
			rc = upd_state_delete(run->reg, UPD_BACKUPS_KEY, profile);
		if (!rc && cleanup && !run->opts->dry_run) {
			char *full = cpuu_aprintf("%s/%s", run->state_dir, file);
			int seen = 0;
			for (size_t j = 0; full && j < to_unlink->count; j++)
				seen |= !strcmp(to_unlink->items[j], full);
			rc = !full ? cpuu_error_oom() : seen ? CPUU_OK : cpuu_strlist_add(to_unlink, full);
			free(full);
		}
		cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
			       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED
			       : cleanup ? CPUU_OUTCOME_CLEANED : CPUU_OUTCOME_ROLLED_BACK;
		/* Entries that are not profiles ("\\AutoDiscover 16.0") are named as update names them. */
		char *label = profile[0] == '\\' ? cpuu_aprintf("autodiscover:%s", strchr(profile, ' ') ? strchr(profile, ' ') + 1 : "") : NULL;
		cpuu_result *r = upd_result_add(res, run, label ? NULL : profile, label, o, changes,
						rc ? cpuu_error_last()->message
						   : cleanup ? "backup dropped; no rollback from now on" : NULL);
		free(label);
		if (r)
			r->duration_ms = now_ms() - t0;
		free(entry);
	}
	doc_cache_free(&cache);
	cpuu_strlist_free(&names);
	/* The user's caches moved aside come back (rollback) or stay for the
	 * admin (cleanup); either way their records go. */
	cpuu_strlist files = { 0 };
	if (!run->opts->dry_run && upd_state_names(&files, run->reg, UPD_FILES_KEY) == CPUU_OK)
		for (size_t i = 0; i < files.count; i++) {
			if (files.items[i][0] != '\\')
				continue;
			if (!strncmp(files.items[i], "\\autocomplete|", 14)) {
				/* Rollback takes the hand-over back; Cleanup keeps the files. */
				char *text = NULL;
				cpuu_ac_changes ch = { 0 };
				int rc = upd_state_get(&text, run->reg, UPD_FILES_KEY, files.items[i]);
				if (!rc && text && !cleanup && run->opts->user_dir && !(rc = changes_from_text(&ch, text)))
					rc = cpuu_autocomplete_undo(run->opts->user_dir, &ch);
				if (!rc)
					rc = upd_state_delete(run->reg, UPD_FILES_KEY, files.items[i]);
				if (!rc && !cleanup)
					rc = upd_state_delete(run->reg, UPD_AUTOCOMPLETE_KEY, files.items[i] + 14);
				if (rc)
					upd_result_add(res, run, files.items[i] + 14, "autocomplete", CPUU_OUTCOME_ERROR, 0,
						       cpuu_error_last()->message);
				cpuu_ac_changes_clear(&ch);
				free(text);
				continue;
			}
			char *win = NULL;
			int rc = upd_state_get(&win, run->reg, UPD_FILES_KEY, files.items[i]);
			char *local = !rc && win && !cleanup ? upd_local_path(run->opts->user_dir, win) : NULL;
			char *aside = local ? cpuu_aprintf("%s.cpuu-old", local) : NULL;
			if (!rc && aside && upd_rename_if(aside, local) < 0)
				rc = cpuu_error_last()->code;
			if (!rc)
				rc = upd_state_delete(run->reg, UPD_FILES_KEY, files.items[i]);
			if (rc)
				upd_result_add(res, run, NULL, "caches", CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
			free(aside);
			free(local);
			free(win);
		}
	cpuu_strlist_free(&files);
	if (!run->opts->dry_run && upd_state_prune(run->reg))
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
}

/* A failed commit leaves the hive as it was: what looked done is not. */
static void commit_failed(cpuu_results *res, const char *message)
{
	res->exit_mask = 0;
	for (size_t i = 0; i < res->count; i++) {
		cpuu_result *r = &res->items[i];
		if (r->outcome == CPUU_OUTCOME_SWITCHED || r->outcome == CPUU_OUTCOME_ROLLED_BACK ||
		    r->outcome == CPUU_OUTCOME_CLEANED) {
			r->outcome = CPUU_OUTCOME_ERROR;
			r->changes = 0;
			free(r->message);
			r->message = cpuu_strdup(message);
		}
		res->exit_mask |= upd_outcome_bits(r->outcome);
	}
}

static int hive_failed(cpuu_results *res, upd_run *run, int rc)
{
	upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
	res->exit_mask |= CPUU_EXIT_GLOBAL_ERR;
	return rc;
}

/* Phase 1: the modes over an open registry, the backup written, and the
 * registry committed (single runs) or its commit prepared (batch: no sync,
 * the caller syncs the filesystem once for every hive). */
static void run_changes(upd_run *run, cpuu_results *res, int batch)
{
	const cpuu_run_opts *opts = run->opts;
	cpuu_profile_set *set = NULL;
	int rc;
	if (opts->mode == CPUU_MODE_UPDATE) {
		if ((rc = cpuu_profiles_load(&set, run->reg))) {
			hive_failed(res, run, rc);
			run->failed = 1;
			return;
		}
		run_update(run, res, set);
		cpuu_profile_set_free(set);
	} else {
		run_rollback_or_cleanup(run, res, &run->to_unlink);
	}
	/* The backup must be on disk before the registry that points at it. */
	if (!opts->dry_run && run->backup && run->backup->nkeys) {
		char *full = cpuu_aprintf("%s/%s", run->state_dir, run->backup_file);
		rc = !full ? cpuu_error_oom()
		     : cpuu_fault("update:backup") ? cpuu_error_set(CPUU_EIO, "%s: cannot write (injected fault)", full)
						   : cpuu_regtext_write_file_ex(full, run->backup, batch ? CPUU_REGTEXT_NO_SYNC : 0);
		if (!rc && batch) {
			run->unsynced_backup = full; /* synced with the batch, before any rename */
			full = NULL;
		}
		free(full);
		if (rc) {
			char *msg = cpuu_aprintf("not written: backup failed: %s", cpuu_error_last()->message);
			commit_failed(res, msg ? msg : "not written");
			free(msg);
			hive_failed(res, run, rc);
			run->failed = 1;
			return;
		}
	}
	if (!opts->dry_run && cpuu_reg_dirty(run->reg)) {
		cpuu_reg_commit_opts copts = { .no_backup = 1 };
		cpuu_fault("update:before-commit"); /* a kill point between backup and commit */
		rc = batch ? cpuu_reg_commit_prepare(run->reg, &copts) : cpuu_reg_commit(run->reg, &copts);
		if (rc) {
			char *msg = cpuu_aprintf("not written: %s", cpuu_error_last()->message);
			commit_failed(res, msg ? msg : "not written");
			free(msg);
			hive_failed(res, run, rc);
			run->failed = 1;
			return;
		}
		run->prepared = batch;
	}
}

/* Phase 2 (batch only): the prepared registry put in place. */
static void run_finish_commit(upd_run *run, cpuu_results *res)
{
	if (!run->prepared)
		return;
	run->prepared = 0;
	int rc = cpuu_reg_commit_finish(run->reg);
	if (rc) {
		char *msg = cpuu_aprintf("not written: %s", cpuu_error_last()->message);
		commit_failed(res, msg ? msg : "not written");
		free(msg);
		hive_failed(res, run, rc);
		run->failed = 1;
	}
}

/* Phase 3: what may only follow a durable commit. */
static void run_after_commit(upd_run *run, cpuu_results *res)
{
	/* Nothing was committed: the files handed to Outlook go too. */
	for (size_t i = 0; run->failed && i < run->nhanded; i++)
		cpuu_autocomplete_undo(run->opts->user_dir, &run->handed[i]);
	for (size_t i = 0; run->failed && i < run->prf_written.count; i++)
		unlink(run->prf_written.items[i]);
	if (run->failed || !run->opts || run->opts->dry_run)
		return;
	/* Old OSTs go aside only once the committed profile points elsewhere. */
	for (size_t i = 0; i < run->aside.count; i++) {
		char *to = cpuu_aprintf("%s.cpuu-old", run->aside.items[i]);
		if (!to || upd_rename_if(run->aside.items[i], to) < 0)
			upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0,
				       to ? cpuu_error_last()->message : "out of memory");
		free(to);
	}
	/* Backups go only once the registry no longer points at them. */
	for (size_t i = 0; i < run->to_unlink.count; i++)
		if (unlink(run->to_unlink.items[i]) != 0 && errno != ENOENT)
			upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, "could not remove a backup file");
	if (run->opts->mode == CPUU_MODE_CLEANUP)
		rmdir(run->state_dir); /* only succeeds when empty, which is what we want */
}

static void run_clear(upd_run *run)
{
	if (run->prepared)
		cpuu_reg_commit_abort(run->reg);
	cpuu_strlist_free(&run->to_unlink);
	cpuu_strlist_free(&run->aside);
	cpuu_strlist_free(&run->backed_up);
	cpuu_strlist_free(&run->ad_touched);
	cpuu_strlist_free(&run->prf_written);
	for (size_t i = 0; i < run->nhanded; i++)
		cpuu_ac_changes_clear(&run->handed[i]);
	free(run->handed);
	cpuu_regtext_free(run->backup);
	free(run->backup_file);
	free(run->unsynced_backup);
	free(run->user);
	free(run->state_dir);
	memset(run, 0, sizeof *run);
}

static int run_setup(cpuu_results **out, upd_run *run, const char *label, const cpuu_run_opts *opts,
		     const cpuu_match_source *resolver, const char *default_user, const char *default_state)
{
	memset(run, 0, sizeof *run);
	*out = calloc(1, sizeof **out);
	if (!*out)
		return cpuu_error_oom();
	run->opts = opts;
	run->resolver = resolver;
	run->hive = label;
	run->user = opts->user ? cpuu_strdup(opts->user) : cpuu_strdup(default_user);
	run->state_dir = opts->state_dir ? cpuu_strdup(opts->state_dir) : cpuu_strdup(default_state);
	if (!run->user || !run->state_dir)
		return cpuu_error_oom();
	if (opts->mode == CPUU_MODE_UPDATE && !resolver)
		return cpuu_error_set(CPUU_EINVALID, "update needs a correspondence source");
	return CPUU_OK;
}

static void stamp_duration(cpuu_results *res, double t0)
{
	if (res && res->count && res->items[res->count - 1].duration_ms == 0)
		res->items[res->count - 1].duration_ms = now_ms() - t0;
}

/* One hive's run, up to phase 1: set up, user folder, open, changes. */
typedef struct hive_job {
	upd_run run;
	cpuu_run_opts opts;  /* per hive: the user folder may be the hive's */
	char *folder;
	double t0;
	int rc;
} hive_job;

static void job_start(hive_job *j, cpuu_results **out, const char *hive_path, const cpuu_run_opts *opts,
		      const cpuu_match_source *resolver, int batch)
{
	memset(j, 0, sizeof *j);
	j->t0 = now_ms();
	cpuu_fault_subject(hive_path);
	j->opts = *opts;
	if (opts->user_dir_is_hive_folder && !opts->user_dir) {
		const char *slash = strrchr(hive_path, '/');
		j->folder = slash ? cpuu_strndup(hive_path, (size_t)(slash - hive_path)) : cpuu_strdup(".");
		j->opts.user_dir = j->folder;
	}
	char *user = user_from_hive(hive_path);
	char *state = cpuu_aprintf("%s.cpuu", hive_path);
	j->rc = user && state && (j->folder || !j->opts.user_dir_is_hive_folder || opts->user_dir)
			? run_setup(out, &j->run, hive_path, &j->opts, resolver, user, state)
			: cpuu_error_oom();
	free(user);
	free(state);
	if (j->rc) {
		j->run.failed = 1;
		return;
	}
	j->rc = cpuu_reg_open_hive(&j->run.reg, hive_path, opts->dry_run ? 0 : CPUU_REG_OPEN_WRITE);
	if (j->rc) {
		hive_failed(*out, &j->run, j->rc);
		j->run.failed = 1;
		return;
	}
	run_changes(&j->run, *out, batch);
	if (j->run.failed)
		j->rc = cpuu_error_last()->code ? cpuu_error_last()->code : CPUU_ERROR;
}

static void job_end(hive_job *j, cpuu_results *res)
{
	run_after_commit(&j->run, res);
	cpuu_reg *reg = j->run.reg;
	run_clear(&j->run);
	cpuu_reg_free(reg);
	stamp_duration(res, j->t0);
	free(j->folder);
}

int cpuu_run_hive(cpuu_results **out, const char *hive_path, const cpuu_run_opts *opts,
		  const cpuu_match_source *resolver)
{
	/* A batch of one: its backup and new hive are synced back to back, so one
	 * journal commit carries both (the same guarantees as syncing each). */
	const char *paths[1] = { hive_path };
	*out = NULL;
	int rc = cpuu_run_hives(out, paths, 1, opts, resolver);
	if (!*out)
		return rc ? rc : CPUU_ENOMEM;
	if (!rc && ((*out)->exit_mask & CPUU_EXIT_GLOBAL_ERR))
		rc = cpuu_error_last()->code ? cpuu_error_last()->code : CPUU_ERROR;
	return rc;
}

int cpuu_run_hives(cpuu_results **out, const char *const *hive_paths, size_t n, const cpuu_run_opts *opts,
		   const cpuu_match_source *resolver)
{
	hive_job *jobs = calloc(n ? n : 1, sizeof *jobs);
	if (!jobs)
		return cpuu_error_oom();
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		job_start(&jobs[i], &out[i], hive_paths[i], opts, resolver, 1);
	}
	/* Every file of the batch written, now made durable back to back (the
	 * first journal commit carries the rest), then the renames, then the
	 * folders: each hive old or new after a crash, for about one journal
	 * commit per batch instead of four per hive. */
	int rc = CPUU_OK;
	for (size_t i = 0; i < n; i++) {
		upd_run *r = &jobs[i].run;
		int jrc = CPUU_OK;
		cpuu_fault_subject(hive_paths[i]);
		if (r->unsynced_backup && !(jrc = cpuu_sync_path(r->unsynced_backup)))
			jrc = cpuu_sync_path(r->state_dir);
		if (!jrc && r->prepared)
			jrc = cpuu_reg_commit_flush(r->reg);
		if (jrc && r->prepared) {
			/* Not durable: put nothing in place for this hive. */
			char *msg = cpuu_aprintf("not written: %s", cpuu_error_last()->message);
			commit_failed(out[i], msg ? msg : "not written");
			free(msg);
			hive_failed(out[i], r, jrc);
			cpuu_reg_commit_abort(r->reg);
			r->prepared = 0;
			r->failed = 1;
			if (!rc)
				rc = jrc;
		}
	}
	/* Every rename first, then every folder: the first folder sync commits
	 * the journal transaction that holds all the renames, and the others
	 * find it done (renaming and syncing hive by hive paid one journal
	 * commit per hive). */
	for (size_t i = 0; i < n; i++) {
		upd_run *r = &jobs[i].run;
		if (!r->prepared)
			continue;
		cpuu_fault_subject(hive_paths[i]);
		run_finish_commit(r, out[i]);
		r->renamed = !r->failed;
	}
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].run.renamed)
			continue;
		cpuu_fault_subject(hive_paths[i]);
		const char *slash = strrchr(hive_paths[i], '/');
		char *dir = slash ? cpuu_strndup(hive_paths[i], (size_t)(slash - hive_paths[i])) : cpuu_strdup(".");
		int drc = !dir ? cpuu_error_oom()
			  : cpuu_fault("commit:dirsync") ? cpuu_error_set(CPUU_EIO, "%s: cannot sync (injected fault)", dir)
							 : cpuu_sync_path(dir);
		free(dir);
		if (drc && !rc)
			rc = drc; /* renamed, but the rename may not survive a crash yet */
	}
	for (size_t i = 0; i < n; i++) {
		cpuu_fault_subject(hive_paths[i]);
		job_end(&jobs[i], out[i]);
	}
	cpuu_fault_subject(NULL);
	free(jobs);
	return rc;
}

int cpuu_run_registry(cpuu_results **out, cpuu_reg *reg, const char *label, const cpuu_run_opts *opts,
		      const cpuu_match_source *resolver)
{
	upd_run run;
	memset(&run, 0, sizeof run);
	double t0 = now_ms();
	if (!opts->state_dir || !opts->user) {
		*out = calloc(1, sizeof **out);
		return cpuu_error_set(CPUU_EINVALID, "a live registry run needs a state folder and a user name");
	}
	int rc = run_setup(out, &run, label, opts, resolver, opts->user, opts->state_dir);
	if (!rc) {
		run.reg = reg;
		run_changes(&run, *out, 0);
		if (run.failed)
			rc = cpuu_error_last()->code ? cpuu_error_last()->code : CPUU_ERROR;
		run_after_commit(&run, *out);
	}
	run_clear(&run);
	stamp_duration(*out, t0);
	return rc;
}
