#ifndef CPUU_UPDATE_INTERNAL_H
#define CPUU_UPDATE_INTERNAL_H

#include "common/internal.h"
#include <dirent.h>
#include "cpuu/autocomplete.h"
#include "cpuu/profile.h"
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
/* Values "<credential target>" = the name it was moved aside to in the
 * user's Credential Manager (live Windows runs; docs/m365.md). */
#define UPD_CREDENTIALS_KEY UPD_STATE_KEY "\\Credentials"
#define UPD_CRED_ASIDE_PREFIX "cpuu-old:"
/* How backups name the registry root. */
#define UPD_ROOT_NAME "HKEY_CURRENT_USER"

#include "update/txn.h"

typedef struct upd_run {
	const cpuu_run_opts *opts;
	const cpuu_match_source *resolver;
	const char *hive;
	char *user;
	char *state_dir;
	cpuu_reg *reg;
	upd_txn txn;              /* backup, journal of file actions, commit */
	cpuu_strlist ad_touched;  /* "<office version>|<source SMTP domain>" of switched accounts */
	int switched_now;         /* some account or mailbox was switched in this run */
	size_t not_switched;      /* accounts whose mailbox is known and not switched yet */
	int failed;               /* nothing may follow: the registry was not written */
	const char *critical_failed; /* the -Critical feature that failed in the current profile */
} upd_run;

/* --- feature steps (docs/update.md, "Adding a step") ---
 * A step plans its registry edits (cpuu_plan) and hands them, with its file
 * actions, to the transaction (txn.h); it writes result records and never
 * touches a file or commits itself. The driver (run.c) calls the steps of
 * its table in order, per account, per profile, then once per run. */
typedef enum upd_scope {
	UPD_SCOPE_ACCOUNT, /* each Exchange account of each selected profile */
	UPD_SCOPE_PROFILE, /* each selected profile with an account switched (or planned) in this run */
	UPD_SCOPE_RUN      /* once, after every profile */
} upd_scope;

typedef struct upd_where {
	const cpuu_profile_set *set;
	const cpuu_profile *profile;   /* ACCOUNT and PROFILE scopes */
	const cpuu_account *account;   /* ACCOUNT scope */
	cpuu_outcome account_outcome;  /* ACCOUNT scope: the account's own record (steps after "account") */
} upd_where;

/* A step table line. feature is the offset of its [Features] switch (an int
 * field of cpuu_run_opts) or UPD_ALWAYS; the step runs when that switch is
 * nonzero (on = 1) or zero (on = 0: a route the switch replaces). */
#define UPD_ALWAYS ((size_t)-1)
typedef struct upd_step {
	const char *name;
	upd_scope scope;
	size_t feature;
	int on;
	void (*run)(upd_run *run, cpuu_results *res, const upd_where *where);
	unsigned critical; /* the CPUU_CRITICAL_* bit naming this step, or 0 */
} upd_step;

/* The steps (one file each). */
void upd_step_account(upd_run *run, cpuu_results *res, const upd_where *w);      /* step_account.c */
void upd_step_prf(upd_run *run, cpuu_results *res, const upd_where *w);          /* step_prf.c */
void upd_step_addboxes(upd_run *run, cpuu_results *res, const upd_where *w);     /* step_addboxes.c */
void upd_step_autocomplete(upd_run *run, cpuu_results *res, const upd_where *w); /* step_autocomplete.c */
void upd_step_autodiscover(upd_run *run, cpuu_results *res, const upd_where *w); /* step_autodiscover.c */
void upd_step_signatures(upd_run *run, cpuu_results *res, const upd_where *w);   /* step_signatures.c */
void upd_step_caches(upd_run *run, cpuu_results *res, const upd_where *w);       /* step_caches.c */
void upd_step_identity(upd_run *run, cpuu_results *res, const upd_where *w);     /* step_identity.c */
void upd_step_adpolicy(upd_run *run, cpuu_results *res, const upd_where *w);     /* step_adpolicy.c */
void upd_step_authhealth(upd_run *run, cpuu_results *res, const upd_where *w);   /* step_m365report.c */
void upd_step_m365detect(upd_run *run, cpuu_results *res, const upd_where *w);   /* step_m365report.c */
void upd_step_activation(upd_run *run, cpuu_results *res, const upd_where *w);   /* step_activation.c */
void upd_step_credentials(upd_run *run, cpuu_results *res, const upd_where *w);  /* step_credentials.c */
void upd_step_tokenbroker(upd_run *run, cpuu_results *res, const upd_where *w);  /* step_tokenbroker.c */
void upd_step_notice(upd_run *run, cpuu_results *res, const upd_where *w);       /* step_notice.c */
/* step_credentials.c: Rollback (keep 0) puts every credential moved aside
 * back; Cleanup (keep 1) leaves them; the records go. */
void upd_credentials_undo(upd_run *run, cpuu_results *res, int keep);
/* step_activation.c: the same for the Licensing key moved aside inside the
 * registry (Rollback moves it back; Cleanup leaves Licensing.cpuu-old). */
void upd_activation_undo(upd_run *run, cpuu_results *res, int keep);

/* cred_<platform>.c: the user's Credential Manager (Windows; none elsewhere). */
int upd_cred_available(void);
/* Generic credentials of Office ("MicrosoftOffice<ver>_Data:...") whose
 * target or user name has an address in one of domains. */
int upd_cred_find(cpuu_strlist *out, const cpuu_strlist *domains);
/* target -> "cpuu-old:<target>" inside the store (and back): 1 moved, 0 no
 * such credential, negative on error. */
int upd_cred_aside(const char *target);
int upd_cred_back(const char *target);

/* scenario.c: a [Features] switch (offset of its int field in cpuu_run_opts)
 * as the run uses it: -1 (auto) resolved by [General] Scenario. */
int upd_feature_on(const cpuu_run_opts *o, size_t feature);
/* The Office versions ("16.0") and source SMTP domains of the accounts that
 * now live in the target (from ad_touched), plus [M365] SourceDomains. */
int upd_m365_source_domains(cpuu_strlist *out, const upd_run *run);
void upd_m365_versions(cpuu_strlist *out, const upd_run *run);
/* step_rollback.c: Rollback and Cleanup (the other two modes). */
void upd_rollback_or_cleanup(upd_run *run, cpuu_results *res);

/* step_autodiscover.c: an account of this Office version now lives in the
 * target; the version's Autodiscover settings get their turn after the
 * profiles. */
void upd_autodiscover_note(upd_run *run, const cpuu_profile *p, const cpuu_match *m, const cpuu_account *a);

/* select.c: why the run leaves a profile out ([Profiles] rules), or NULL. */
const char *upd_profile_skipped(const upd_run *run, const cpuu_profile *p);
/* select.c: one error record (SWITCH_ERR) per name in --profiles /
 * [Profiles] Profiles that no profile of the registry has. */
void upd_profiles_missing(upd_run *run, cpuu_results *res, const cpuu_profile_set *set);

/* step.c: what the steps share. */
double upd_now_ms(void);
/* Looks a mailbox up by each key in turn; ambiguity anywhere wins. */
cpuu_outcome upd_resolve_keys(const upd_run *run, const char *const *keys, size_t nkeys, const cpuu_match **out,
			      const char **why);
/* Dry run: the plan joins the printed diff under "; header". */
int upd_plan_text_add(cpuu_results *res, const char *header, const cpuu_plan *plan);
/* Backup + apply + marker for a profile's plan (nothing planned: already
 * switched; dry run: planned and shown). */
int upd_carry_out(upd_run *run, cpuu_results *res, const cpuu_profile *p, const char *label, const cpuu_plan *plan,
		  const char *marker, const char *source_dn, cpuu_outcome *outcome);

/* The account steps' common frame: the switched marker, the lookup, and the
 * account's one record. */
typedef struct upd_account_step {
	const cpuu_profile *p;
	const cpuu_account *a;
	double t0;
	char *mname;          /* "<profile>|<service uid>": the account's marker name */
	char *marker_src;     /* the source DN of an earlier switch, or NULL */
	const cpuu_match *m;  /* the correspondence (borrowed) */
	cpuu_outcome outcome;
	size_t changes;
	const char *why;
	char *msg;            /* owned message behind why */
} upd_account_step;
/* 1: the mailbox is switched and the step goes on; 0: the outcome is set. */
int upd_account_begin(upd_account_step *s, upd_run *run, const cpuu_profile *p, const cpuu_account *a);
/* The step failed: the error message is the record's. */
void upd_account_fail(upd_account_step *s);
void upd_account_end(upd_account_step *s, upd_run *run, cpuu_results *res);
const char *upd_account_label(const cpuu_account *a);

/* results.c */
unsigned upd_outcome_bits(cpuu_outcome o);
/* A failed commit leaves the hive as it was: what looked done is not
 * (results.c). hive_failed adds the hive's ERROR record and GLOBAL_ERR;
 * not_written both, naming the commit stage that failed. */
void upd_commit_failed(cpuu_results *res, const char *message);
int upd_hive_failed(cpuu_results *res, upd_run *run, int rc);
void upd_not_written(upd_run *run, cpuu_results *res, const char *stage, int rc);
/* -Critical (critical.c): the savepoint of what one profile's changes can
 * touch, and its undo when a critical feature failed in that profile (the
 * profile's records from index first on become errors). */
int upd_profile_mark(upd_run *run, upd_txn_mark *mark, const cpuu_profile *p);
void upd_profile_undo(upd_run *run, cpuu_results *res, size_t first, upd_txn_mark *mark, size_t ad_count);
cpuu_result *upd_result_add(cpuu_results *r, const upd_run *run, const char *profile, const char *account,
			    cpuu_outcome outcome, size_t changes, const char *message);
/* The same, with the time spent since t0 (upd_now_ms). */
cpuu_result *upd_result_add_since(double t0, cpuu_results *r, const upd_run *run, const char *profile,
				  const char *account, cpuu_outcome outcome, size_t changes, const char *message);

/* state.c */
/* Reads a REG_SZ state value; *out NULL when absent. */
int upd_state_get(char **out, cpuu_reg *reg, const char *key, const char *name);
int upd_state_set(cpuu_reg *reg, const char *key, const char *name, const char *text);
int upd_state_delete(cpuu_reg *reg, const char *key, const char *name);
/* All value names of a state key (empty when the key is absent). */
int upd_state_names(cpuu_strlist *out, cpuu_reg *reg, const char *key);
/* Deletes Software\cpuu when it holds nothing any more. */
int upd_state_prune(cpuu_reg *reg);
/* This run's backup's file name (owner: the hive or the live registry's
 * label): never a path; made unique when the file is created. */
char *upd_backup_file_name(const char *owner);
/* Is name one of owner's backups (or a temp of one) / one Rollback retired? */
int upd_backup_is_owners(const char *name, const char *owner);
int upd_backup_is_retired(const char *name, const char *owner);
/* Is name a backup (or its temp) of a cpuu from before backups named their
 * owner (docs/update.md, "A backup's life": only Cleanup removes those,
 * and only from a hive's own state folder)? */
int upd_backup_is_legacy(const char *name);
int upd_mkdir(const char *dir);
/* The state folder (its last component) is no link: backups are never
 * written, swept or removed through one (absent: OK). */
int upd_state_dir_check(const char *dir);

/* files.c: the local path of a Windows path from a profile inside the user
 * folder ("C:\\Users\\<name>\\rest" -> "<user_dir>/rest"), or NULL when the
 * path is elsewhere or would escape the folder. */
char *upd_local_path(const char *user_dir, const char *windows_path);
/* Renames from -> to, both below base (the user folder), when from exists
 * and to does not (never replacing): every component resolved without
 * following links (a link on the way: an error). 1 renamed,
 * 0 from missing or to existing (never replaced), <0 error.
 * upd_unlink_in: local below base removed (missing: OK), links not followed.
 * upd_exists_in: 1 local exists below base, 0 not, <0 a link (refused).
 * upd_opendir_in: the folder local below base, opened without following a
 * link, or NULL. */
int upd_rename_if(const char *base, const char *from, const char *to);
int upd_unlink_in(const char *base, const char *local);
int upd_exists_in(const char *base, const char *local);
DIR *upd_opendir_in(const char *base, const char *local);

/* restore.c: secure values ("S" + 8 hex: DPAPI-encrypted, possibly cached
 * credentials) never enter a backup: each keeps only its place, as an empty
 * REG_NONE value of that name, and Restore keeps the value as it is (Update
 * never changes one). */
void upd_mask_secure(cpuu_regtext *doc);
/* The values upd_mask_secure masks (backups streamed from the registry). */
int upd_value_is_secret(const char *name, uint32_t type, const uint8_t *data, size_t len);

/* restore.c: makes the registry subtree at path (from the root) equal to the
 * keys of doc at and below UPD_ROOT_NAME\path (keys, values, value order,
 * bytes); *changes counts keys touched. */
int upd_restore_subtree(cpuu_reg *reg, const cpuu_regtext *doc, const char *path, size_t *changes);

#endif
