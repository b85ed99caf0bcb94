/* The run's shared vocabulary: modes and per-record outcomes. One table,
 * used by the update engine that writes result records and by everything
 * that reads them (report ingest, bulk summaries, run log), so a new outcome
 * can never make a reader reject records (docs/results.md). */
#ifndef CPUU_OUTCOME_H
#define CPUU_OUTCOME_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cpuu_mode {
	CPUU_MODE_UPDATE,
	CPUU_MODE_ROLLBACK,
	CPUU_MODE_CLEANUP
} cpuu_mode;

#define CPUU_MODE_COUNT 3

typedef enum cpuu_outcome {
	CPUU_OUTCOME_SWITCHED,         /* changed now */
	CPUU_OUTCOME_PLANNED,          /* dry run: would change */
	CPUU_OUTCOME_ALREADY_SWITCHED, /* switched earlier; nothing to change */
	CPUU_OUTCOME_NOT_SWITCHED,     /* target known, mailbox not switched yet */
	CPUU_OUTCOME_NO_MATCH,         /* no source object or no target */
	CPUU_OUTCOME_AMBIGUOUS,        /* several candidates: never switched */
	CPUU_OUTCOME_SKIPPED,          /* not selected (profile list, cached-mode rule) */
	CPUU_OUTCOME_ERROR,            /* failed; nothing changed in that hive */
	CPUU_OUTCOME_ROLLED_BACK,
	CPUU_OUTCOME_NOTHING_TO_UNDO,
	CPUU_OUTCOME_CLEANED,
	/* A feature step found nothing of the switched source to change (e.g. an
	 * autocomplete cache without an entry of a switched mailbox): neither a
	 * success of the user's switch nor a failure. */
	CPUU_OUTCOME_NOTHING_TO_DO,
	/* The mailbox's correspondence exists but is malformed or contradictory
	 * (a broken mapping row; switched with no target): never switched, the
	 * run's INVALID_SWITCH_MSG (512). */
	CPUU_OUTCOME_INVALID
} cpuu_outcome;

#define CPUU_OUTCOME_COUNT 13

const char *cpuu_mode_name(cpuu_mode mode);     /* "update", "rollback", "cleanup"; "unknown" */
const char *cpuu_outcome_name(cpuu_outcome o);  /* "switched", "planned", ...; "unknown" */
/* Name -> value; CPUU_ENOTFOUND (with a message) for an unknown name. */
int cpuu_mode_from_name(cpuu_mode *out, const char *name);
int cpuu_outcome_from_name(cpuu_outcome *out, const char *name);

#ifdef __cplusplus
}
#endif
#endif
