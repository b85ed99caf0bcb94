/* Update, Rollback and Cleanup of the Outlook profiles in one registry (a
 * hive file offline). The three modes of the established tool
 * (docs/update.md):
 *   Update   for every selected profile and every Exchange account in it,
 *            look the mailbox up; once switched, plan, back up, apply, mark.
 *   Rollback restore every profile Update changed from what it kept.
 *   Cleanup  drop what Update kept; afterwards Rollback has nothing to undo.
 * All three are idempotent: running one twice changes nothing the second time. */
#ifndef CPUU_UPDATE_H
#define CPUU_UPDATE_H

#include "cpuu/directory.h"
#include "cpuu/outcome.h"
#include "cpuu/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The established tool's exit status bit mask (kept so logon scripts work). */
enum cpuu_exit_bits {
	CPUU_EXIT_CANNOT_START = 0,
	CPUU_EXIT_SUCCESS = 1,
	CPUU_EXIT_NO_SWITCH_MSG = 2,
	CPUU_EXIT_SWITCH_ERR = 4,
	CPUU_EXIT_USER_ABORT = 8,
	CPUU_EXIT_GLOBAL_ERR = 16,
	CPUU_EXIT_CRASH = 32,
	CPUU_EXIT_FAILED_TO_WRITE_LOG = 64,
	CPUU_EXIT_FAILED_TO_CREATE_TMP_DIR = 128,
	CPUU_EXIT_FAILED_TO_COPY_LOG = 256,
	CPUU_EXIT_INVALID_SWITCH_MSG = 512
};

typedef struct cpuu_result {
	char *user;
	char *hive;
	char *profile;      /* NULL for hive-wide records */
	char *account;      /* the account's SMTP (or service UID), NULL for profile records */
	cpuu_mode mode;
	cpuu_outcome outcome;
	size_t changes;     /* values changed (or planned in a dry run) */
	char *message;      /* why, for people; NULL when nothing to say */
	double duration_ms;
} cpuu_result;

typedef struct cpuu_results {
	cpuu_result *items;
	size_t count;
	unsigned exit_mask;  /* enum cpuu_exit_bits */
	char *plan_text;     /* dry run: the planned changes (cpuu_plan_format), else NULL */
} cpuu_results;

void cpuu_results_free(cpuu_results *r);
/* One JSON object per line (docs/results.md). */
int cpuu_results_to_jsonl(char **out, const cpuu_results *r);

typedef enum cpuu_cached_rule {
	CPUU_CACHED_ALL = 0,  /* cached-mode profiles are processed */
	CPUU_CACHED_NONE,     /* only online profiles */
	CPUU_CACHED_LISTED    /* cached ones only if the user is a listed remote user */
} cpuu_cached_rule;

typedef struct cpuu_run_opts {
	cpuu_mode mode;
	int dry_run;
	const char *user;              /* name in result records; NULL: from the hive's folder */
	const cpuu_strlist *profiles;  /* profile names to process; NULL or empty: all */
	cpuu_cached_rule cached_rule;
	/* CPUU_CACHED_LISTED: users whose cached profiles are processed; an entry
	 * "user" or "DOMAIN\\user" matches the run's user (case-insensitive). */
	const cpuu_strlist *remote_users;
	const char *state_dir;         /* where backups live; NULL: "<hive>.cpuu" beside the hive */
	/* Offline: the user's profile folder, standing for C:\\Users\\<name>, so the
	 * files a profile names (the OST) can be found; NULL: files are left alone.
	 * The old OST of a switched mailbox is renamed to "<name>.cpuu-old". */
	const char *user_dir;
	/* Nonzero: the user folder is the hive's own folder (DIR/<user>/NTUSER.DAT),
	 * as in bulk runs over a folder of roaming profiles. */
	int user_dir_is_hive_folder;
	cpuu_switch_opts switch_opts;
	/* [Features] AddBoxes: additional (shared, delegate) mailboxes of a
	 * switched account follow their owners to the target. Default 1. */
	int add_boxes;
	/* [Features] ExcludeScpLookup: per Office version with a switched
	 * account, Outlook\\AutoDiscover\\ExcludeScpLookup = 1, so a workstation
	 * still joined to the source forest does not find the source Exchange
	 * through its service connection point. Default 1. */
	int exclude_scp_lookup;
	/* [Features] AutodiscoverReset: remove that key's local-XML overrides
	 * named after a switched account's source SMTP domain. Default 1. */
	int autodiscover_reset;
	/* [Features] Autocomplete: with a user folder, the autocomplete cache of
	 * a profile whose accounts switched is rewritten to the targets and
	 * handed to Outlook as <profile>.nk2, imported once at the next start
	 * (docs/autocomplete.md). Default 1. */
	int autocomplete;
	/* [Features] PRF: instead of rewriting a switched account in place, have
	 * Outlook recreate the profile from a .prf at its next start (ImportPRF),
	 * carrying PST files and signature choices (docs/prf.md). Needs the user
	 * folder. Default 0: Microsoft advises against PRF for Outlook 2016+. */
	int prf_route;
	/* [Features] Signatures: the PRF route carries the account's default
	 * new/reply signature choices into the recreated account (recorded when
	 * armed, written once Outlook made the account; docs/prf.md). An
	 * in-place switch never touches them. Default 1. */
	int signatures;
	/* [General] Scenario (enum cpuu_scenario, cpuu/m365.h; docs/m365.md):
	 * where the mailboxes go; decides the Microsoft 365 steps below when
	 * their [Features] key says auto. Default onprem-crossforest. */
	int scenario;
	/* Microsoft 365 steps ([Features] keys; docs/m365.md): -1 auto (the
	 * scenario decides), 0 off, 1 on. Default -1 each.
	 * OfficeIdentity: the source's Office sign-in identities reset as OCCT
	 * does (FederationProvider "Error", root FederationProvider removed). */
	int office_identity;
	/* AutodiscoverPolicy: the scenario's Outlook\AutoDiscover values
	 * (ExcludeExplicitO365Endpoint, ExcludeLastKnownGoodURL); policy twins
	 * and ZeroConfig values reported, never changed. */
	int autodiscover_policy;
	/* AuthHealth: modern-auth blockers reported per user, never set. */
	int auth_health;
	/* M365Detect: New Outlook, OneDrive business accounts and Teams of the
	 * source reported per user. */
	int m365_detect;
	/* OfficeActivation (opt-in in every scenario): the per-user Office
	 * licence folders moved aside so Office activates for the target. */
	int office_activation;
	/* OfficeCredentials (live Windows runs): Credential Manager entries of
	 * Office naming the source moved aside inside the store. */
	int office_credentials;
	/* TokenBroker (opt-in): with a user folder, the WAM account files of KB
	 * 4499299 moved aside (the user's SID changed in the move). */
	int token_broker;
	/* [M365] SourceDomains / SourceTenants: more SMTP domains and tenant IDs
	 * of the source than the switched accounts name. NULL: none. */
	const cpuu_strlist *m365_source_domains;
	const cpuu_strlist *m365_source_tenants;
	/* [Features] UserNotice (-1 auto: on for Exchange Online targets) and
	 * [M365] Notice / NoticeTitle: the user's one-time notice while a
	 * mailbox of theirs is not switched yet, so they get their target
	 * password ready (docs/m365.md). NULL text: no notice. */
	int user_notice;
	const char *notice_text;
	const char *notice_title;
	/* Shows the notice in the logged-on user's session without waiting for
	 * it to be read (the live logon, docs/m365.md); 0, or a negative
	 * cpuu_error_code with one line of why in why[why_size]. NULL: the run
	 * has no user session (offline hives, bulk runs): the notice step does
	 * nothing. */
	int (*show_notice)(void *ctx, const char *title, const char *text, char *why, size_t why_size);
	void *show_notice_ctx;
	/* Called once, right before the run's first change to the registry or
	 * the user's files: never in a dry run, never when nothing changes (a
	 * no-op logon, a rollback with nothing to undo). The live logon stops
	 * Outlook and other MAPI clients here (docs/windows.md). A nonzero
	 * return (a negative cpuu_error_code, message set) stops the run before
	 * anything changes: each change it would have made is an ERROR result.
	 * NULL: nothing is called. */
	int (*before_change)(void *ctx);
	void *before_change_ctx;
	/* -Critical / [General] Critical (CPUU_CRITICAL_* bits): a profile in
	 * which one of these features fails is not switched at all: its changes
	 * of this run are undone before the commit, its records say why, and
	 * SWITCH_ERR is set. 0: a failing feature fails alone. */
	unsigned critical;
	/* [General] AllowAdditionalServices: the MAPI services (PR_SERVICE_NAME)
	 * a profile may hold to be processed; a profile holding another one is
	 * skipped, as the established tool does. NULL: every service. */
	const cpuu_strlist *allowed_services;
} cpuu_run_opts;

/* Features that -Critical can name and cpuu does (docs/compat.md). */
enum cpuu_critical_bits {
	CPUU_CRITICAL_ADDBOXES = 1u << 0,     /* step addboxes */
	CPUU_CRITICAL_AUTOCOMPLETE = 1u << 1, /* step autocomplete */
	CPUU_CRITICAL_CONTAB = 1u << 2,       /* part of the account step's plan */
	CPUU_CRITICAL_PRF = 1u << 3           /* step prf */
};

void cpuu_run_opts_init(cpuu_run_opts *opts);

/* Runs one mode over a hive file. Returns CPUU_OK when the run itself worked
 * (per-account failures are results with CPUU_OUTCOME_ERROR and the
 * SWITCH_ERR bit); a hive that cannot be opened or written returns its error
 * code, with one ERROR result and GLOBAL_ERR set in (*out)->exit_mask.
 * *out is always set (free with cpuu_results_free) unless CPUU_ENOMEM. */
int cpuu_run_hive(cpuu_results **out, const char *hive_path, const cpuu_run_opts *opts,
		  const cpuu_match_source *resolver);

/* The same over n hives at once (bulk runs): every hive is changed and
 * written beside itself without syncing; then the files are synced back to
 * back (so one journal commit carries most of them), renamed into place, and
 * their folders synced. After a crash each hive is still fully old or fully
 * new. out[i] as for cpuu_run_hive; returns the first sync error. */
int cpuu_run_hives(cpuu_results **out, const char *const *hive_paths, size_t n, const cpuu_run_opts *opts,
		   const cpuu_match_source *resolver);

/* The same over a registry already open for writing (e.g. the live
 * HKEY_CURRENT_USER on Windows). label names it in the results ("hive"
 * field); opts->state_dir is required (there is no hive file to put it
 * beside), and so is opts->user. Commits through cpuu_reg_commit. */
int cpuu_run_registry(cpuu_results **out, cpuu_reg *reg, const char *label, const cpuu_run_opts *opts,
		      const cpuu_match_source *resolver);

#ifdef __cplusplus
}
#endif
#endif
