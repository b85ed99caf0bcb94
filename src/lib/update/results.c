/* Result records: one per user, profile and account, as JSON lines. */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>

unsigned upd_outcome_bits(cpuu_outcome o)
{
	switch (o) {
	case CPUU_OUTCOME_SWITCHED:
	case CPUU_OUTCOME_PLANNED:
	case CPUU_OUTCOME_ALREADY_SWITCHED:
	case CPUU_OUTCOME_ROLLED_BACK:
	case CPUU_OUTCOME_CLEANED:
		return CPUU_EXIT_SUCCESS;
	case CPUU_OUTCOME_NOT_SWITCHED:
		return CPUU_EXIT_NO_SWITCH_MSG;
	case CPUU_OUTCOME_ERROR:
	case CPUU_OUTCOME_AMBIGUOUS:
		return CPUU_EXIT_SWITCH_ERR;
	case CPUU_OUTCOME_INVALID:
		return CPUU_EXIT_INVALID_SWITCH_MSG;
	default:
		return 0;
	}
}

cpuu_result *upd_result_add(cpuu_results *r, const upd_run *run, const char *profile, const char *account,
			    cpuu_outcome outcome, size_t changes, const char *message)
{
	cpuu_result *grown = cpuu_array_reserve(r->items, NULL, r->count + 1, sizeof *grown);
	if (!grown)
		return NULL;
	r->items = grown;
	cpuu_result *res = &grown[r->count];
	memset(res, 0, sizeof *res);
	res->user = cpuu_strdup(run->user);
	res->hive = cpuu_strdup(run->hive);
	res->profile = cpuu_strdup(profile);
	res->account = cpuu_strdup(account);
	res->message = cpuu_strdup(message);
	res->mode = run->opts->mode;
	res->outcome = outcome;
	res->changes = changes;
	r->count++;
	r->exit_mask |= upd_outcome_bits(outcome);
	return res;
}

cpuu_result *upd_result_add_since(double t0, cpuu_results *r, const upd_run *run, const char *profile,
				  const char *account, cpuu_outcome outcome, size_t changes, const char *message)
{
	cpuu_result *res = upd_result_add(r, run, profile, account, outcome, changes, message);
	if (res)
		res->duration_ms = upd_now_ms() - t0;
	return res;
}

void cpuu_results_free(cpuu_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++) {
		cpuu_result *x = &r->items[i];
		free(x->user);
		free(x->hive);
		free(x->profile);
		free(x->account);
		free(x->message);
	}
	free(r->items);
	free(r->plan_text);
	free(r);
}

int cpuu_results_to_jsonl(char **out, const cpuu_results *r)
{
	cpuu_buf b = { 0 };
	for (size_t i = 0; i < r->count; i++) {
		const cpuu_result *x = &r->items[i];
		cpuu_buf_puts(&b, "{\"user\":");
		cpuu_buf_json_string(&b, x->user);
		cpuu_buf_puts(&b, ",\"hive\":");
		cpuu_buf_json_string(&b, x->hive);
		cpuu_buf_puts(&b, ",\"profile\":");
		cpuu_buf_json_string(&b, x->profile);
		cpuu_buf_puts(&b, ",\"account\":");
		cpuu_buf_json_string(&b, x->account);
		cpuu_buf_printf(&b, ",\"mode\":\"%s\",\"outcome\":\"%s\",\"changes\":%zu,\"message\":",
				cpuu_mode_name(x->mode), cpuu_outcome_name(x->outcome), x->changes);
		cpuu_buf_json_string(&b, x->message);
		cpuu_buf_printf(&b, ",\"duration_ms\":%.3f}\n", x->duration_ms);
	}
	if (r->count == 0)
		cpuu_buf_puts(&b, "");
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

/* A failed commit leaves the hive as it was: what looked done is not. */
void upd_commit_failed(cpuu_results *res, const char *message)
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

int upd_hive_failed(cpuu_results *res, upd_run *run, int rc)
{
	upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
	res->exit_mask |= CPUU_EXIT_GLOBAL_ERR;
	run->failed = 1;
	return rc;
}

/* Nothing of this hive was written: its records say so ("not written: ..."). */
void upd_not_written(upd_run *run, cpuu_results *res, const char *stage, int rc)
{
	char *msg = stage ? cpuu_aprintf("not written: %s: %s", stage, cpuu_error_last()->message)
			  : cpuu_aprintf("not written: %s", cpuu_error_last()->message);
	upd_commit_failed(res, msg ? msg : "not written");
	free(msg);
	upd_hive_failed(res, run, rc);
}
