#ifndef CPUU_UPDATE_INTERNAL_H
#define CPUU_UPDATE_INTERNAL_H

#include "common/internal.h"
#include "cpuu/autocomplete.h"
#include "cpuu/prf.h"
#include "cpuu/regtext.h"
#include "cpuu/update.h"

/* Where cpuu keeps its own state inside the user's registry. */
#define UPD_STATE_KEY "Software\\cpuu"
/* Values "<profile>|<service uid>" = the source legacyExchangeDN that account
 * was switched from (REG_SZ): how a later run recognises its own work. */
#define UPD_SWITCHED_KEY UPD_STATE_KEY "\\Switched"
/* Values "<profile>" = "<file>|<profile key path>": the .reg file (in the
 * state folder) holding the profile's subtree as it was before cpuu's first
 * change, and where in that file it is. One file per run holds every profile
 * that run changed first (one fsync instead of one per profile). */
#define UPD_BACKUPS_KEY UPD_STATE_KEY "\\Backups"
/* Values "<profile>|<service uid>" = the Windows path of an OST that Update
 * renamed aside ("<path>.cpuu-old"); Rollback renames it back. Values
 * starting with a backslash are the user's caches moved aside the same way
 * ("\\oab", "\\autodiscover|<file name>"). */
#define UPD_FILES_KEY UPD_STATE_KEY "\\Files"
/* Values "<profile>" = the .nk2 hand-over done for it: never handed again. */
#define UPD_AUTOCOMPLETE_KEY UPD_STATE_KEY "\\Autocomplete"
/* Values "<profile>|<service uid>" = the Windows path of the .prf armed for
 * that account (PRF route): it is never armed twice. */
#define UPD_PRF_KEY UPD_STATE_KEY "\\Prf"
/* Where Windows runs a command once at the next logon. */
#define UPD_RUNONCE_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce"
/* How backups name the registry root. */
#define UPD_ROOT_NAME "HKEY_CURRENT_USER"

typedef struct upd_run {
	const cpuu_run_opts *opts;
	const cpuu_match_source *resolver;
	const char *hive;
	char *user;
	char *state_dir;
	cpuu_reg *reg;
	cpuu_regtext *backup;     /* profiles first changed in this run */
	char *backup_file;        /* its file name in state_dir */
	cpuu_strlist backed_up;   /* profile names in backup */
	cpuu_strlist aside;       /* local OST paths to rename aside after the commit */
	cpuu_strlist to_unlink;   /* backup files to delete after the commit (cleanup) */
	cpuu_strlist ad_touched;  /* "<office version>|<source SMTP domain>" of switched accounts */
	int switched_now;         /* some account or mailbox was switched in this run */
	int failed;               /* nothing may follow: the registry was not written */
	int prepared;             /* a commit is prepared and awaits finish (batch) */
	int renamed;              /* the batch put this hive in place; its folder awaits sync */
	char *unsynced_backup;    /* backup written without sync (batch), to be synced */
	cpuu_strlist prf_written; /* .prf files written in this run (removed if not committed) */
	cpuu_ac_changes *handed;  /* autocomplete hand-overs of this run (undone if not committed) */
	size_t nhanded;
} upd_run;

/* results.c */
unsigned upd_outcome_bits(cpuu_outcome o);
cpuu_result *upd_result_add(cpuu_results *r, const upd_run *run, const char *profile, const char *account,
			    cpuu_outcome outcome, size_t changes, const char *message);

/* state.c */
/* Reads a REG_SZ state value; *out NULL when absent. */
int upd_state_get(char **out, cpuu_reg *reg, const char *key, const char *name);
int upd_state_set(cpuu_reg *reg, const char *key, const char *name, const char *text);
int upd_state_delete(cpuu_reg *reg, const char *key, const char *name);
/* All value names of a state key (empty when the key is absent). */
int upd_state_names(cpuu_strlist *out, cpuu_reg *reg, const char *key);
/* Deletes Software\cpuu when it holds nothing any more. */
int upd_state_prune(cpuu_reg *reg);
/* A new file name for this run's backup in dir: never a path, never an
 * existing file. */
char *upd_backup_file_name(const char *dir);
int upd_mkdir(const char *dir);

/* files.c: the local path of a Windows path from a profile inside the user
 * folder ("C:\\Users\\<name>\\rest" -> "<user_dir>/rest"), or NULL when the
 * path is elsewhere or would escape the folder. */
char *upd_local_path(const char *user_dir, const char *windows_path);
/* Renames from -> to when from exists and to does not; 1 renamed, 0 nothing
 * to do, negative on error. */
int upd_rename_if(const char *from, const char *to);

/* restore.c: secure values ("S" + 8 hex: DPAPI-encrypted, possibly cached
 * credentials) never enter a backup: each keeps only its place, as an empty
 * REG_NONE value of that name, and Restore keeps the value as it is (Update
 * never changes one). */
void upd_mask_secure(cpuu_regtext *doc);

/* restore.c: makes the registry subtree at path (from the root) equal to the
 * keys of doc at and below UPD_ROOT_NAME\path (keys, values, value order,
 * bytes); *changes counts keys touched. */
int upd_restore_subtree(cpuu_reg *reg, const cpuu_regtext *doc, const char *path, size_t *changes);

#endif
