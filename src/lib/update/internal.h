#ifndef CPUU_UPDATE_INTERNAL_H
#define CPUU_UPDATE_INTERNAL_H

#include "common/internal.h"
#include "cpuu/regtext.h"
#include "cpuu/update.h"

/* Where cpuu keeps its own state inside the user's registry. */
#define UPD_STATE_KEY "Software\\cpuu"
/* Values "<profile>|<service uid>" = the source legacyExchangeDN that account
 * was switched from (REG_SZ): how a later run recognises its own work. */
#define UPD_SWITCHED_KEY UPD_STATE_KEY "\\Switched"
/* Values "<profile>" = file name (in the state folder) of the profile's .reg
 * backup taken before its first change: what Rollback restores. */
#define UPD_BACKUPS_KEY UPD_STATE_KEY "\\Backups"
/* How backups name the registry root. */
#define UPD_ROOT_NAME "HKEY_CURRENT_USER"

typedef struct upd_run {
	const cpuu_run_opts *opts;
	const cpuu_resolver *resolver;
	const char *hive;
	char *user;
	char *state_dir;
	cpuu_reg *reg;
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
/* A file name for a profile's backup: safe characters only, never a path. */
char *upd_backup_file_name(const char *profile);
int upd_mkdir(const char *dir);

/* restore.c: makes the subtree at doc's first key equal to doc (keys, values,
 * value order, bytes); *changes counts keys touched. */
int upd_restore_subtree(cpuu_reg *reg, const cpuu_regtext *doc, size_t *changes);

#endif
