/* Source -> target correspondence: who a source mailbox becomes, and whether
 * it is switched yet. Two sources that must give the same answers: live LDAP
 * directories and an exported mapping file (docs/mapping-csv.md). */
#ifndef CPUU_DIRECTORY_H
#define CPUU_DIRECTORY_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cpuu_target_kind {
	CPUU_TARGET_UNKNOWN = 0,
	CPUU_TARGET_ONPREM,
	CPUU_TARGET_ONLINE
} cpuu_target_kind;

/* One source mailbox and its target. Strings are UTF-8 or NULL when absent;
 * GUIDs are in registry form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase. */
typedef struct cpuu_match {
	char *source_legacy_dn;
	char *source_smtp;
	char *source_mailbox_guid;
	cpuu_strlist source_x500;   /* every X500 proxy of the source, without "X500:" */
	char *target_legacy_dn;
	char *target_smtp;
	char *target_mailbox_guid;
	char *target_display_name;
	cpuu_target_kind target_kind;
	char *target_server;        /* personality "<guid>@<domain>" or server name */
	int switched;               /* 1 switched, 0 not yet */
} cpuu_match;

void cpuu_match_clear(cpuu_match *m);

/* Lookup results. */
typedef enum cpuu_lookup_status {
	CPUU_LOOKUP_FOUND = 0,
	CPUU_LOOKUP_NO_SOURCE,      /* no source object for that key */
	CPUU_LOOKUP_NO_TARGET,      /* source found, no target correspondence */
	CPUU_LOOKUP_AMBIGUOUS,      /* more than one candidate: never switch */
	/* The key's only entry is a malformed correspondence (a mapping row
	 * skipped with a warning): never switch; the run's INVALID_SWITCH_MSG. */
	CPUU_LOOKUP_INVALID
} cpuu_lookup_status;

const char *cpuu_lookup_status_name(cpuu_lookup_status s); /* "found", "no_source", ... */

/* The one lookup interface the engine and the feature steps use, whatever
 * answers (mapping file or live directories: cpuu_resolver_source in
 * cpuu/ldapdir.h provides it from the configuration). lookup follows
 * cpuu_mapping_lookup's contract: *status set; *match borrowed, owned by the
 * source and valid at least until the next lookup call. */
typedef struct cpuu_match_source {
	int (*lookup)(void *ctx, const cpuu_match **match, cpuu_lookup_status *status, const char *key);
	void *ctx;
} cpuu_match_source;

#ifdef __cplusplus
}
#endif
#endif
