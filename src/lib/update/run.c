/* The three modes over one hive: Update, Rollback, Cleanup. This is the
 * driver: the step table below, the hive jobs, and the commit phases of the
 * run's transaction (txn.h) with their result records. What each feature
 * does lives in its step_<name>.c. */
#include "update/internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define FEATURE(field) offsetof(cpuu_run_opts, field)

/* Update's steps, in order within each scope (docs/update.md, "Adding a
 * step"). The account's own record comes from the first account step.
 * The last column: the -Critical name that covers the step (CONTAB entries
 * are part of the account's own plan: they fail with it). */
static const upd_step steps[] = {
	{ "account", UPD_SCOPE_ACCOUNT, FEATURE(prf_route), 0, upd_step_account, CPUU_CRITICAL_CONTAB },
	{ "prf", UPD_SCOPE_ACCOUNT, FEATURE(prf_route), 1, upd_step_prf, CPUU_CRITICAL_PRF },
	{ "addboxes", UPD_SCOPE_ACCOUNT, FEATURE(add_boxes), 1, upd_step_addboxes, CPUU_CRITICAL_ADDBOXES },
	{ "autocomplete", UPD_SCOPE_PROFILE, FEATURE(autocomplete), 1, upd_step_autocomplete, CPUU_CRITICAL_AUTOCOMPLETE },
	{ "autodiscover", UPD_SCOPE_RUN, UPD_ALWAYS, 1, upd_step_autodiscover, 0 },
	{ "signatures", UPD_SCOPE_RUN, FEATURE(signatures), 1, upd_step_signatures, 0 },
	{ "caches", UPD_SCOPE_RUN, UPD_ALWAYS, 1, upd_step_caches, 0 },
	{ "identity", UPD_SCOPE_RUN, FEATURE(office_identity), 1, upd_step_identity, 0 },
	{ "activation", UPD_SCOPE_RUN, FEATURE(office_activation), 1, upd_step_activation, 0 },
	{ "credentials", UPD_SCOPE_RUN, FEATURE(office_credentials), 1, upd_step_credentials, 0 },
	{ "tokenbroker", UPD_SCOPE_RUN, FEATURE(token_broker), 1, upd_step_tokenbroker, 0 },
	{ "adpolicy", UPD_SCOPE_RUN, FEATURE(autodiscover_policy), 1, upd_step_adpolicy, 0 },
	{ "authhealth", UPD_SCOPE_RUN, FEATURE(auth_health), 1, upd_step_authhealth, 0 },
	{ "m365detect", UPD_SCOPE_RUN, FEATURE(m365_detect), 1, upd_step_m365detect, 0 },
	{ "notice", UPD_SCOPE_RUN, FEATURE(user_notice), 1, upd_step_notice, 0 },
};

/* Whether the step's failure is one the run was told is critical. */
static int step_critical(const upd_step *s, const cpuu_run_opts *o)
{
	if (!(s->critical & o->critical))
		return 0;
	return s->critical != CPUU_CRITICAL_CONTAB || o->switch_opts.contab;
}

static int step_on(const upd_step *s, const cpuu_run_opts *o)
{
	if (s->feature == UPD_ALWAYS)
		return 1;
	return !upd_feature_on(o, s->feature) == !s->on;
}

/* Runs the enabled steps of one scope; returns the outcome of the first
 * record they wrote (CPUU_OUTCOME_ERROR: none). */
static cpuu_outcome run_steps(upd_run *run, cpuu_results *res, upd_scope scope, upd_where *w)
{
	int first = 1;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if (steps[i].scope != scope || !step_on(&steps[i], run->opts))
			continue;
		size_t at = res->count;
		steps[i].run(run, res, w);
		for (size_t r = at; r < res->count && !run->critical_failed && step_critical(&steps[i], run->opts); r++)
			if (res->items[r].outcome == CPUU_OUTCOME_ERROR)
				run->critical_failed = steps[i].name;
		if (first && scope == UPD_SCOPE_ACCOUNT) {
			w->account_outcome = res->count > at ? res->items[at].outcome : CPUU_OUTCOME_ERROR;
			first = 0;
		}
	}
	return w->account_outcome;
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

static void run_update(upd_run *run, cpuu_results *res, const cpuu_profile_set *set)
{
	for (size_t i = 0; i < set->nprofiles && !run->failed; i++) {
		const cpuu_profile *p = &set->profiles[i];
		const char *skip = upd_profile_skipped(run, p);
		if (skip) {
			upd_result_add(res, run, p->name, NULL, CPUU_OUTCOME_SKIPPED, 0, skip);
			continue;
		}
		size_t before = res->count;
		int switched_before = run->switched_now;
		upd_txn_mark mark = { 0 };
		size_t ad_count = run->ad_touched.count;
		run->critical_failed = NULL;
		if (run->opts->critical && upd_profile_mark(run, &mark, p)) {
			upd_result_add(res, run, p->name, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
			continue;
		}
		run->switched_now = 0;
		for (size_t j = 0; j < p->naccounts; j++) {
			if (p->accounts[j].kind != CPUU_ACCOUNT_EXCHANGE)
				continue;
			upd_where w = { set, p, &p->accounts[j], CPUU_OUTCOME_ERROR };
			run->not_switched += run_steps(run, res, UPD_SCOPE_ACCOUNT, &w) == CPUU_OUTCOME_NOT_SWITCHED;
		}
		if (res->count == before)
			upd_result_add(res, run, p->name, NULL, CPUU_OUTCOME_SKIPPED, 0, "no Exchange account");
		int switched_here = run->switched_now;
		for (size_t j = before; j < res->count && !switched_here; j++)
			switched_here = res->items[j].outcome == CPUU_OUTCOME_PLANNED;
		upd_where w = { set, p, NULL, CPUU_OUTCOME_ERROR };
		if (switched_here)
			run_steps(run, res, UPD_SCOPE_PROFILE, &w);
		if (run->critical_failed) {
			upd_profile_undo(run, res, before, &mark, ad_count);
			run->switched_now = 0;
		}
		upd_txn_mark_clear(&mark);
		run->switched_now = switched_before || run->switched_now;
	}
	run->critical_failed = NULL;
	if (run->failed)
		return;
	upd_profiles_missing(run, res, set);
	upd_where w = { set, NULL, NULL, CPUU_OUTCOME_ERROR };
	run_steps(run, res, UPD_SCOPE_RUN, &w);
}

/* Phase 1: the mode's steps over an open registry, then the transaction
 * committed (single runs) or its commit prepared (batch). */
static void run_changes(upd_run *run, cpuu_results *res, int batch)
{
	int rc;
	if (run->opts->mode == CPUU_MODE_UPDATE) {
		cpuu_profile_set *set = NULL;
		if ((rc = cpuu_profiles_load(&set, run->reg))) {
			upd_hive_failed(res, run, rc);
			return;
		}
		run_update(run, res, set);
		cpuu_profile_set_free(set);
		if (run->failed) {
			upd_commit_failed(res, "not written: a profile's changes could not be undone");
			res->exit_mask |= CPUU_EXIT_GLOBAL_ERR;
			return;
		}
	} else {
		upd_rollback_or_cleanup(run, res);
	}
	const char *stage = NULL;
	if ((rc = upd_txn_commit(&run->txn, run->opts->dry_run, batch, &stage)))
		upd_not_written(run, res, stage, rc);
}

typedef struct report_ctx {
	upd_run *run;
	cpuu_results *res;
} report_ctx;

static void report_after_commit(void *ctx, const char *message)
{
	report_ctx *c = ctx;
	upd_result_add(c->res, c->run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, message);
}

/* Phase 3: the journal run, after a durable commit or in its stead. */
static void run_after_commit(upd_run *run, cpuu_results *res)
{
	report_ctx c = { run, res };
	upd_txn_complete(&run->txn, !run->failed, report_after_commit, &c);
}

static void run_clear(upd_run *run)
{
	upd_txn_clear(&run->txn);
	cpuu_strlist_free(&run->ad_touched);
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

/* The registry is open: the transaction starts on it. */
static void run_begin(upd_run *run, cpuu_reg *reg)
{
	run->reg = reg;
	upd_txn_init(&run->txn, reg, run->state_dir, run->opts->user_dir);
	run->txn.before_change = run->opts->before_change;
	run->txn.before_change_ctx = run->opts->before_change_ctx;
	run->txn.owner = run->hive;
	if (!run->opts->dry_run)
		upd_txn_sweep(&run->txn); /* a killed run's backup, before any change */
	if (!run->opts->dry_run && run->opts->mode == CPUU_MODE_UPDATE)
		upd_txn_resume(&run->txn); /* a killed run's moves, after this commit */
}

static void stamp_duration(cpuu_results *res, double t0)
{
	if (res && res->count && res->items[res->count - 1].duration_ms == 0)
		res->items[res->count - 1].duration_ms = upd_now_ms() - t0;
}

/* One hive's run, up to phase 1: set up, user folder, open, changes. */
typedef struct hive_job {
	upd_run run;
	cpuu_run_opts opts;  /* per hive: the user folder may be the hive's */
	char *folder;
	double t0;
} hive_job;

static void job_start(hive_job *j, cpuu_results **out, const char *hive_path, const cpuu_run_opts *opts,
		      const cpuu_match_source *resolver)
{
	memset(j, 0, sizeof *j);
	j->t0 = upd_now_ms();
	cpuu_fault_subject(hive_path);
	j->opts = *opts;
	if (opts->user_dir_is_hive_folder && !opts->user_dir) {
		const char *slash = strrchr(hive_path, '/');
		j->folder = slash ? cpuu_strndup(hive_path, (size_t)(slash - hive_path)) : cpuu_strdup(".");
		j->opts.user_dir = j->folder;
	}
	char *user = user_from_hive(hive_path);
	char *state = cpuu_aprintf("%s.cpuu", hive_path);
	int rc = user && state && (j->folder || !j->opts.user_dir_is_hive_folder || opts->user_dir)
			 ? run_setup(out, &j->run, hive_path, &j->opts, resolver, user, state)
			 : cpuu_error_oom();
	free(user);
	free(state);
	cpuu_reg *reg = NULL;
	if (rc) {
		j->run.failed = 1;
	} else if ((rc = cpuu_reg_open_hive(&reg, hive_path, opts->dry_run ? 0 : CPUU_REG_OPEN_WRITE))) {
		upd_hive_failed(*out, &j->run, rc);
	} else {
		run_begin(&j->run, reg);
		run_changes(&j->run, *out, 1);
	}
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

/* The hive's folder synced after its rename. */
static int sync_hive_folder(const char *hive_path)
{
	const char *slash = strrchr(hive_path, '/');
	char *dir = slash ? cpuu_strndup(hive_path, (size_t)(slash - hive_path)) : cpuu_strdup(".");
	int rc = !dir ? cpuu_error_oom()
		 : cpuu_fault("commit:dirsync") ? cpuu_error_set(CPUU_EIO, "%s: cannot sync (injected fault)", dir)
						: cpuu_sync_path(dir);
	free(dir);
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
		job_start(&jobs[i], &out[i], hive_paths[i], opts, resolver);
	}
	/* Every file of the batch written, now made durable back to back (the
	 * first journal commit carries the rest), then every rename, then every
	 * folder: each hive old or new after a crash, for about one journal
	 * commit per batch instead of four per hive. */
	int rc = CPUU_OK;
	for (size_t i = 0; i < n; i++) {
		upd_run *r = &jobs[i].run;
		cpuu_fault_subject(hive_paths[i]);
		int prepared = r->txn.prepared;
		int jrc = r->failed ? CPUU_OK : upd_txn_flush(&r->txn);
		if (jrc && prepared) {
			upd_not_written(r, out[i], NULL, jrc); /* not durable: nothing put in place */
			if (!rc)
				rc = jrc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		upd_run *r = &jobs[i].run;
		cpuu_fault_subject(hive_paths[i]);
		int jrc = r->failed ? CPUU_OK : upd_txn_finish(&r->txn);
		if (jrc)
			upd_not_written(r, out[i], NULL, jrc);
	}
	for (size_t i = 0; i < n; i++) {
		cpuu_fault_subject(hive_paths[i]);
		int drc = jobs[i].run.txn.renamed ? sync_hive_folder(hive_paths[i]) : CPUU_OK;
		if (drc) {
			/* Renamed, but the rename may not survive a crash yet: the
			 * hive's result says so (not SUCCESS); the journal still runs,
			 * as the new hive is the one in place. */
			upd_result_add(out[i], &jobs[i].run, NULL, NULL, CPUU_OUTCOME_ERROR, 0,
				       cpuu_error_last()->message);
			out[i]->exit_mask |= CPUU_EXIT_GLOBAL_ERR;
			if (!rc)
				rc = drc;
		}
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
	double t0 = upd_now_ms();
	if (!opts->state_dir || !opts->user) {
		*out = calloc(1, sizeof **out);
		return cpuu_error_set(CPUU_EINVALID, "a live registry run needs a state folder and a user name");
	}
	int rc = run_setup(out, &run, label, opts, resolver, opts->user, opts->state_dir);
	if (!rc) {
		run_begin(&run, reg);
		run_changes(&run, *out, 0);
		if (run.failed)
			rc = cpuu_error_last()->code ? cpuu_error_last()->code : CPUU_ERROR;
		run_after_commit(&run, *out);
	}
	run_clear(&run);
	stamp_duration(*out, t0);
	return rc;
}
