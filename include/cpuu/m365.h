/* Microsoft 365 cutover state of one user's registry (docs/m365.md): the
 * Office sign-in identities and which of them belong to the source, the
 * Autodiscover values and their policy twins, known modern-auth blockers,
 * New Outlook, OneDrive business accounts, Teams and Office activation.
 * Read-only: the update steps plan their changes from it, `cpuu inspect`
 * shows it. Values are rendered as short text (DWORD as decimal, strings as
 * they are); binary values and names that look like credentials are never
 * read into it. */
#ifndef CPUU_M365_H
#define CPUU_M365_H

#include "cpuu/common.h"
#include "cpuu/registry.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* [General] Scenario: where the mailboxes go; decides which Microsoft 365
 * steps are on when their [Features] key says "auto". */
typedef enum cpuu_scenario {
	CPUU_SCENARIO_ONPREM_CROSSFOREST = 0, /* Exchange on-premises -> Exchange on-premises (another forest) */
	CPUU_SCENARIO_ONPREM_TO_EXO,          /* Exchange on-premises -> Exchange Online */
	CPUU_SCENARIO_TENANT_TO_TENANT        /* Exchange Online tenant -> another tenant */
} cpuu_scenario;

#define CPUU_SCENARIO_COUNT 3

/* "onprem-crossforest", "onprem-to-exo", "tenant-to-tenant"; "unknown". */
const char *cpuu_scenario_name(cpuu_scenario s);
/* Name -> value; CPUU_ENOTFOUND with a message for an unknown name. */
int cpuu_scenario_from_name(cpuu_scenario *out, const char *name);
/* 1 when the scenario's target is Exchange Online. */
int cpuu_scenario_target_is_exo(cpuu_scenario s);

/* One Office sign-in identity (HKCU\Software\Microsoft\Office\<ver>\Common\
 * Identity\Identities\<id>). */
typedef struct cpuu_m365_identity {
	char *version;     /* "16.0" */
	char *id;          /* the subkey name */
	char *email;       /* EmailAddress, else SignInName; NULL when neither */
	char *provider;    /* ProviderId ("ADAL", "OrgId", "LiveId"...), or NULL */
	char *federation;  /* FederationProvider, or NULL */
	char *tenant;      /* TenantId, or NULL */
	int source;        /* belongs to the source (docs/m365.md, "Which identity is the source's") */
	int marked;        /* FederationProvider already "Error" (reset by cpuu or OCCT) */
} cpuu_m365_identity;

typedef enum cpuu_m365_kind {
	CPUU_M365_AUTODISCOVER,        /* a value under Outlook\AutoDiscover (per user) */
	CPUU_M365_AUTODISCOVER_POLICY, /* the same under Software\Policies: reported, never changed */
	CPUU_M365_IDENTITY_ROOT,       /* FederationProvider at the Identity key itself */
	CPUU_M365_HEALTH,              /* a known modern-auth blocker or switch */
	CPUU_M365_NEW_OUTLOOK,         /* UseNewOutlook */
	CPUU_M365_ONEDRIVE,            /* a OneDrive business account */
	CPUU_M365_TEAMS,               /* Teams signed in (HomeUserUpn) */
	CPUU_M365_ACTIVATION,          /* Office licensing state kept for the user */
	CPUU_M365_NEW_TEAMS            /* new Teams (MSIX) installed for the user: its package folder
					* (key: the folder below the user's profile folder) */
} cpuu_m365_kind;

#define CPUU_M365_KIND_COUNT 9

/* "autodiscover", "autodiscover-policy", "identity-root", "health",
 * "new-outlook", "onedrive", "teams", "activation", "new-teams". */
const char *cpuu_m365_kind_name(cpuu_m365_kind k);

typedef struct cpuu_m365_finding {
	cpuu_m365_kind kind;
	char *version;     /* Office version ("16.0"), or NULL */
	char *key;         /* registry path from the user's root */
	char *name;        /* value name (or account key name) */
	char *value;       /* rendered value (DWORD decimal, short text), or NULL */
	int source;        /* belongs to the source (OneDrive, Teams: by e-mail domain) */
	int problem;       /* a value the sources say breaks sign-in or Autodiscover */
	const char *note;  /* why it matters (static text) */
} cpuu_m365_finding;

typedef struct cpuu_m365_state {
	cpuu_m365_identity *identities;
	size_t nidentities;
	cpuu_m365_finding *findings;
	size_t nfindings;
} cpuu_m365_state;

/* What marks an identity or account as the source's: its e-mail domain is
 * one of domains (case-insensitive), or its TenantId one of tenants.
 * Consumer identities (ProviderId LiveId) never are. Either list may be
 * NULL. */
typedef struct cpuu_m365_source {
	const cpuu_strlist *domains;
	const cpuu_strlist *tenants;
	/* The user's profile folder (C:\\Users\\<name>) as a local path, where
	 * new Teams' package folder is looked for; NULL: not looked for. */
	const char *user_dir;
} cpuu_m365_source;

int cpuu_m365_read(cpuu_m365_state **out, cpuu_reg *reg, const cpuu_m365_source *src);
void cpuu_m365_state_free(cpuu_m365_state *st);

/* The state as the JSON object `cpuu inspect --json` prints under "m365"
 * (docs/inspect-json.md), indented for that place, no trailing newline. */
int cpuu_m365_to_json(char **out, const cpuu_m365_state *st);

/* 1 when the address's domain (after the last '@') is one of domains. */
int cpuu_m365_domain_matches(const char *address, const cpuu_strlist *domains);

/* A value name that may hold a credential or token (…Token…, …Secret…,
 * …Password…, …Credential…, …Cookie…, …Blob…): never read into findings,
 * never written into a backup (docs/m365.md). */
int cpuu_m365_secret_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
