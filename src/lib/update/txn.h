/* One run's transaction (private to update/): the backup document, one
 * journal of file actions, and the commit phases. Steps reach the registry's
 * backup and the user's files through here only, so that every file effect
 * has, in one place, what follows a durable commit and what undoes it when
 * the commit does not happen (or at Rollback) — the way libgit2 routes every
 * file effect through its lock files. */
#ifndef CPUU_UPDATE_TXN_H
#define CPUU_UPDATE_TXN_H

#include "cpuu/autocomplete.h"
#include "cpuu/plan.h"
#include "cpuu/registry.h"
#include "cpuu/regtext.h"

#include <stddef.h>
#include <stdint.h>

/* What a journal record does once the registry is durably committed, and
 * what undoes it when the commit does not happen. */
typedef enum upd_act {
	UPD_ACT_MOVE_ASIDE, /* commit: path -> "<path>.cpuu-old"; abort: nothing (not moved yet) */
	UPD_ACT_WRITTEN,    /* written before the commit; commit: kept; abort: removed */
	UPD_ACT_HANDOVER,   /* autocomplete hand-over done before the commit; commit: kept; abort: undone */
	UPD_ACT_UNLINK,     /* commit: removed (nothing names it any more); abort: kept */
	UPD_ACT_RMDIR,      /* commit: the folder removed when empty; abort: kept */
	UPD_ACT_UNSYNCED,   /* written without sync (batch): synced with its folder before the registry */
	UPD_ACT_CRED,       /* commit: the credential moved aside in the store; abort: nothing (not moved yet) */
	UPD_ACT_RETIRE      /* commit: the backup file (a name in state_dir) renamed "retired-..." for Cleanup */
} upd_act;

typedef struct upd_action {
	upd_act kind;
	char *path;
	cpuu_ac_changes handed; /* UPD_ACT_HANDOVER */
} upd_action;

typedef struct upd_txn {
	cpuu_reg *reg;
	const char *state_dir;    /* where backups live */
	const char *user_dir;     /* the user folder (offline), or NULL */
	cpuu_regtext_out *backup; /* subtrees first changed in this run, as the file's bytes */
	char *backup_file;        /* its file name in state_dir */
	int backup_made;          /* backup_file exists: this run created it */
	const char *owner;        /* the hive's path or the live label: tags its backups' names */
	cpuu_strlist backed_up;   /* entry names in backup */
	upd_action *actions;      /* the journal, in the order of the run */
	size_t nactions, cap;
	int prepared;             /* a commit is prepared and awaits finish (batch) */
	int renamed;              /* the batch put the hive in place; its folder awaits sync */
	int (*before_change)(void *ctx); /* cpuu_run_opts.before_change */
	void *before_change_ctx;
	int change_called;        /* before_change was called ... */
	int change_rc;            /* ... and returned this (kept: refused once, refused always) */
	char change_msg[256];     /* its message */
} upd_txn;

void upd_txn_init(upd_txn *t, cpuu_reg *reg, const char *state_dir, const char *user_dir);
/* Every change to the registry or the user's files goes through here first:
 * the run's before_change is called once, before the first; its refusal is
 * returned for this change and every later one. */
int upd_txn_begin_change(upd_txn *t);
/* Aborts a prepared commit and frees everything (the journal is not run). */
void upd_txn_clear(upd_txn *t);

/* Removes the owner's orphans from the state folder: backups (and their
 * temp files) that its registry, as read before any change, does not name
 * (left by a killed run). Call before the first change, never in a dry run. */
void upd_txn_sweep(upd_txn *t);

/* Update: the moves aside a committed run recorded (Files records) but did
 * not get to (killed after its commit) are journaled again, to be done
 * after this run's commit: each whose file is still there and whose
 * "<file>.cpuu-old" is not. Call before any change, never in a dry run. */
void upd_txn_resume(upd_txn *t);

/* --- the backup document --- */
/* Keeps the subtree at path as it was before cpuu's first change to it, under
 * entry_name (a profile name, or "\\<what>" for keys that are no profile).
 * Once per entry: an entry the registry already names is kept as it is. */
int upd_txn_backup_key(upd_txn *t, const char *entry_name, const char *path);
/* Backs up (entry_name, path) and applies plan to the registry; entry_name
 * NULL: what plan changes lies in a subtree an earlier run backed up. */
int upd_txn_apply(upd_txn *t, const char *entry_name, const char *path, const cpuu_plan *plan);

/* --- the journal: each call records the action's trace in the hive (what
 * Rollback reads: state key + name) where it has one --- */
/* Moves local aside after the commit; record (UPD_FILES_KEY) = windows_path. */
int upd_txn_move_aside(upd_txn *t, const char *record, const char *windows_path, const char *local);
/* Writes bytes to local now (folders on the way made inside the user folder
 * only), removed if the commit does not happen; record_key\record_name =
 * windows_path. */
int upd_txn_write_file(upd_txn *t, const char *record_key, const char *record_name, const char *windows_path,
		       const char *local, const uint8_t *bytes, size_t len);
/* Takes over a hand-over's change list (*ch zeroed): undone if the commit
 * does not happen; recorded (UPD_FILES_KEY, record) for Rollback. */
int upd_txn_hand_over(upd_txn *t, const char *record, cpuu_ac_changes *ch);
/* Moves the Credential Manager entry target aside after the commit; record
 * (UPD_CREDENTIALS_KEY, target) = its new name. */
int upd_txn_cred_aside(upd_txn *t, const char *target);
/* Removes path after the commit (once per path). */
int upd_txn_unlink_after(upd_txn *t, const char *path);
/* Retires a backup file (a name in state_dir) after the commit: renamed
 * "retired-..." (never replacing a file), where Cleanup finds it. */
int upd_txn_retire_after(upd_txn *t, const char *file);
/* Removes the folder after the commit when it is empty. */
int upd_txn_rmdir_after(upd_txn *t, const char *dir);

/* Rollback (keep_files 0) or Cleanup (1) of one record kept in the hive by
 * the calls above: the file effect undone, or left for the admin, then the
 * record dropped. */
int upd_txn_undo_record(upd_txn *t, const char *key, const char *name, int keep_files);

/* --- savepoints: one profile's share of the run undone before the commit
 * (-Critical, docs/compat.md) --- */
typedef struct upd_txn_mark {
	size_t nactions, nbacked_up, nbackup_keys;
	cpuu_strlist tops;      /* the registry subtrees saved (from the root) */
	cpuu_regtext **before;  /* each as it was, [-top] when absent */
} upd_txn_mark;
/* Saves the subtrees at paths (their topmost missing key when absent) and
 * where the journal and the backup document stand. */
int upd_txn_mark_set(upd_txn *t, upd_txn_mark *m, const char *const *paths, size_t n);
/* Back to the mark: the saved subtrees restored in the registry, the
 * journal's newer records undone newest first and dropped, the backup
 * document's newer entries dropped. */
int upd_txn_mark_undo(upd_txn *t, upd_txn_mark *m);
void upd_txn_mark_clear(upd_txn_mark *m);

/* --- the commit phases --- */
/* Single hive and live registry (batch 0): the backup written and synced,
 * then the registry committed. Batch: the backup written unsynced (journal:
 * synced in upd_txn_flush) and the commit prepared. On failure *stage says
 * which ("backup failed" or NULL) and the message is set. */
int upd_txn_commit(upd_txn *t, int dry_run, int batch, const char **stage);
/* Batch: every unsynced file and its folder synced, the prepared registry
 * flushed; on failure the prepared commit is aborted. */
int upd_txn_flush(upd_txn *t);
/* Batch: the prepared registry put in place (t->renamed). */
int upd_txn_finish(upd_txn *t);
/* Runs the journal: committed, each record's after-commit action (a failure
 * is reported through report and the rest goes on); else each undo. */
typedef void (*upd_txn_report)(void *ctx, const char *message);
void upd_txn_complete(upd_txn *t, int committed, upd_txn_report report, void *ctx);

#endif
