/* What the feature steps share: the lookup, the dry-run text, the common
 * "plan -> backup + apply + marker" and the account steps' frame. */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double upd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *upd_account_label(const cpuu_account *a)
{
	return a->smtp ? a->smtp : a->legacy_dn ? a->legacy_dn : a->service_uid ? a->service_uid : "?";
}

/* The source identity of an earlier switch is looked up first. */
cpuu_outcome upd_resolve_keys(const upd_run *run, const char *const *keys, size_t nkeys, const cpuu_match **out,
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
		if (st == CPUU_LOOKUP_INVALID) {
			*why = "the correspondence of this mailbox is malformed (see the mapping file's warnings): not switched";
			return CPUU_OUTCOME_INVALID;
		}
		if (st == CPUU_LOOKUP_NO_TARGET && m && m->switched) {
			*why = "contradictory correspondence: marked switched but names no target: not switched";
			return CPUU_OUTCOME_INVALID;
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

int upd_plan_text_add(cpuu_results *res, const char *header, const cpuu_plan *plan)
{
	char *text = NULL;
	int rc = cpuu_plan_format(&text, plan);
	if (rc)
		return rc;
	/* Appended in place: the text of the earlier plans is not copied again. */
	char *had = res->plan_text;
	size_t old = had ? strlen(had) : 0;
	cpuu_buf b = { had, old, had ? old + 1 : 0, false };
	res->plan_text = NULL;
	cpuu_buf_puts(&b, "; ");
	/* The header names the profile and account: data, shown escaped. */
	cpuu_buf_display(&b, header);
	cpuu_buf_puts(&b, "\n");
	cpuu_buf_puts(&b, text);
	cpuu_buf_puts(&b, "\n");
	free(text);
	if (b.failed) {
		/* Out of memory: the text stays what it was. */
		if (had) {
			b.data[old] = '\0';
			res->plan_text = b.data;
		} else {
			free(b.data);
		}
		return CPUU_ENOMEM;
	}
	res->plan_text = b.data;
	return CPUU_OK;
}

int upd_carry_out(upd_run *run, cpuu_results *res, const cpuu_profile *p, const char *label, const cpuu_plan *plan,
		  const char *marker, const char *source_dn, cpuu_outcome *outcome)
{
	if (cpuu_plan_count(plan) == 0) {
		*outcome = CPUU_OUTCOME_ALREADY_SWITCHED;
		return CPUU_OK;
	}
	int rc;
	if (run->opts->dry_run) {
		char *header = cpuu_aprintf("profile '%s', %s", p->name, label);
		rc = header ? upd_plan_text_add(res, header, plan) : cpuu_error_oom();
		free(header);
		*outcome = CPUU_OUTCOME_PLANNED;
		return rc;
	}
	if ((rc = upd_txn_apply(&run->txn, p->name, p->path, plan)) ||
	    (rc = upd_state_set(run->reg, UPD_SWITCHED_KEY, marker, source_dn ? source_dn : "")))
		return rc;
	*outcome = CPUU_OUTCOME_SWITCHED;
	run->switched_now = 1;
	return CPUU_OK;
}

int upd_account_begin(upd_account_step *s, upd_run *run, const cpuu_profile *p, const cpuu_account *a)
{
	memset(s, 0, sizeof *s);
	s->p = p;
	s->a = a;
	s->t0 = upd_now_ms();
	s->mname = cpuu_aprintf("%s|%s", p->name, a->service_uid ? a->service_uid : "");
	int rc = s->mname ? upd_state_get(&s->marker_src, run->reg, UPD_SWITCHED_KEY, s->mname) : cpuu_error_oom();
	if (rc) {
		upd_account_fail(s);
		return 0;
	}
	const char *keys[] = { s->marker_src, a->legacy_dn, a->smtp, a->mailbox_guid };
	s->outcome = upd_resolve_keys(run, keys, sizeof keys / sizeof keys[0], &s->m, &s->why);
	if (s->outcome != CPUU_OUTCOME_SWITCHED)
		return 0;
	s->why = NULL;
	return 1;
}

void upd_account_fail(upd_account_step *s)
{
	s->outcome = CPUU_OUTCOME_ERROR;
	s->changes = 0;
	free(s->msg);
	s->msg = cpuu_strdup(cpuu_error_last()->message);
	s->why = s->msg;
}

void upd_account_end(upd_account_step *s, upd_run *run, cpuu_results *res)
{
	if (s->outcome == CPUU_OUTCOME_SWITCHED || s->outcome == CPUU_OUTCOME_ALREADY_SWITCHED ||
	    s->outcome == CPUU_OUTCOME_PLANNED)
		upd_autodiscover_note(run, s->p, s->m, s->a);
	upd_result_add_since(s->t0, res, run, s->p->name, upd_account_label(s->a), s->outcome, s->changes, s->why);
	free(s->msg);
	free(s->marker_src);
	free(s->mname);
	memset(s, 0, sizeof *s);
}
