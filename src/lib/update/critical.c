/* -Critical (docs/compat.md): a savepoint before each profile, undone when
 * a feature the run was told is critical fails in it. */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>

/* -Critical: a critical feature failed in p; everything this run did to p
 * is undone before the commit and its records say so. */
void upd_profile_undo(upd_run *run, cpuu_results *res, size_t first, upd_txn_mark *mark, size_t ad_count)
{
	int rc = upd_txn_mark_undo(&run->txn, mark);
	if (rc) {
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		run->failed = 1; /* the registry is not what any record says: no commit */
		return;
	}
	while (run->ad_touched.count > ad_count)
		free(run->ad_touched.items[--run->ad_touched.count]);
	char *msg = cpuu_aprintf("not switched: the critical feature of step '%s' failed in this profile",
				 run->critical_failed);
	res->exit_mask = 0;
	for (size_t j = 0; j < res->count; j++) {
		cpuu_result *r = &res->items[j];
		if (j >= first && (r->outcome == CPUU_OUTCOME_SWITCHED || r->outcome == CPUU_OUTCOME_PLANNED)) {
			r->outcome = CPUU_OUTCOME_ERROR;
			r->changes = 0;
			free(r->message);
			r->message = cpuu_strdup(msg ? msg : "not switched: a critical feature failed");
		}
		res->exit_mask |= upd_outcome_bits(r->outcome);
	}
	free(msg);
}

/* What one profile's changes can touch in the registry: the profile, cpuu's
 * own state (markers, backups, file records) and RunOnce (hand-overs). */
int upd_profile_mark(upd_run *run, upd_txn_mark *mark, const cpuu_profile *p)
{
	const char *paths[] = { p->path, UPD_STATE_KEY, UPD_RUNONCE_KEY };
	return upd_txn_mark_set(&run->txn, mark, paths, sizeof paths / sizeof paths[0]);
}
