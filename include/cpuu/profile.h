/* The Outlook profile model, read from a registry (see docs/profile-format.md).
 *
 * Profiles are found under Software\Microsoft\Office\16.0\Outlook\Profiles,
 * ...\15.0\Outlook\Profiles and
 * Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles.
 * Facts that are absent are NULL (or -1 for tri-state ints), never guessed. */
#ifndef CPUU_PROFILE_H
#define CPUU_PROFILE_H

#include "cpuu/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cpuu_account_kind {
	CPUU_ACCOUNT_EXCHANGE,
	CPUU_ACCOUNT_PST,
	CPUU_ACCOUNT_IMAP,
	CPUU_ACCOUNT_POP,
	CPUU_ACCOUNT_OTHER
} cpuu_account_kind;

/* "exchange", "pst", "imap", "pop", "other". */
const char *cpuu_account_kind_name(cpuu_account_kind kind);

typedef struct cpuu_additional_mailbox {
	char *section_uid;   /* store provider section (32 hex) */
	char *display_name;
	char *mailbox_dn;    /* PR_PROFILE_MAILBOX */
	char *server;        /* PR_PROFILE_SERVER, or NULL */
	char *smtp;
} cpuu_additional_mailbox;

typedef struct cpuu_account {
	cpuu_account_kind kind;
	char *account_key;     /* account-manager subkey name, e.g. "00000002", or NULL */
	char *service_uid;     /* 32 lowercase hex, or NULL */
	char *service_name;    /* PR_SERVICE_NAME, e.g. "MSEMS", or NULL */
	char *display_name;    /* PR_DISPLAY_NAME (IMAP/POP: "Display Name"); else "Account Name" */
	char *smtp;
	char *legacy_dn;
	char *home_server;
	char *server_dn;
	char *mailbox_guid;    /* from the personality server "<guid>@<domain>", or NULL */
	char *ost_path;        /* Exchange: OST; PST: the PST path */
	int cached;            /* 1 cached mode, 0 online, -1 unknown / not Exchange */
	char *emsmdb_section;  /* UID of the section holding the identity values */
	char *store_section;   /* UID of the primary store provider section */
	cpuu_additional_mailbox *additional;
	size_t nadditional;
	char *account_name;    /* account manager "Account Name", or NULL */
} cpuu_account;

typedef struct cpuu_profile {
	char *name;
	char *path;            /* registry path of the profile key (from the root) */
	int is_default;
	char *outlook_version; /* "16.0", "15.0" or "wms" (Windows Messaging Subsystem) */
	cpuu_account *accounts;
	size_t naccounts;
} cpuu_profile;

typedef struct cpuu_profile_set {
	cpuu_profile *profiles;
	size_t nprofiles;
} cpuu_profile_set;

/* Reads every profile (16.0, then 15.0, then WMS; accounts in account-manager
 * mail-list order, then unlisted account subkeys, then PR_SERVICES entries no
 * account names). Structural problems (dangling UID links, wrong value types
 * or lengths, bad UTF-16, ...) fail the whole load with CPUU_EINVALID and a
 * one-line message naming the profile, the section key and the value: a later
 * update must never act on a half-understood profile. *out is NULL on error.
 * Only reads: the registry is never changed. Secure ("S...") values are never
 * read. */
int cpuu_profiles_load(cpuu_profile_set **out, cpuu_reg *reg);
void cpuu_profile_set_free(cpuu_profile_set *set);

/* The documented, stable JSON form (docs/inspect-json.md). */
int cpuu_profiles_to_json(char **out, const cpuu_profile_set *set);

#ifdef __cplusplus
}
#endif
#endif
