/* The live directories: an LDAP client (OpenLDAP's libldap on Linux, wldap32
 * in the Windows build, behind the same calls), the lookup chain source ->
 * correspondence -> target over two directories, the one-pass export to a
 * mapping file, and the X500 proxies for the targets. docs/directory.md
 * describes the rules (mail-enabled filter, GUID byte order, online/onprem,
 * switch signal) and every INI key used here.
 *
 * Passwords come from PasswordFile / PasswordEnv (cpuu_config_password), are
 * held only as long as the bind needs them and never appear in a message. */
#ifndef CPUU_LDAPDIR_H
#define CPUU_LDAPDIR_H

#include "cpuu/config.h"
#include "cpuu/directory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- One directory connection ------------------------------------------ */

typedef struct cpuu_ldap_settings {
	const char *url;        /* ldap://host[:port] or ldaps://host[:port] */
	const char *base_dn;    /* search base */
	const char *bind_dn;    /* NULL: anonymous */
	const char *password;   /* NULL or "" with bind_dn NULL: anonymous */
	int start_tls;          /* StartTLS on an ldap:// URL */
	const char *ca_file;    /* PEM CA file; NULL: the system store */
	int verify_cert;        /* 1: refuse an unverified server certificate */
	int timeout_seconds;    /* network, bind and search time limit (>= 1) */
	int page_size;          /* RFC 2696 page size (>= 1) */
	int kerberos;           /* 1: bind with the caller's Kerberos ticket (SASL
	                         * GSSAPI; Negotiate on Windows), no password */
} cpuu_ldap_settings;

typedef struct cpuu_ldap cpuu_ldap;

/* Connects, StartTLS if asked, binds (simple). Errors: CPUU_ENETWORK
 * (unreachable, timeout), CPUU_EAUTH (credentials refused), CPUU_ETLS
 * (handshake or certificate check), CPUU_EINVALID (bad URL or settings). */
int cpuu_ldap_connect(cpuu_ldap **out, const cpuu_ldap_settings *s);
/* Same with the [Source] or [Target] section of cfg (password from
 * PasswordFile/PasswordEnv when BindDN is set). */
int cpuu_ldap_connect_config(cpuu_ldap **out, const cpuu_config *cfg, const char *section);
void cpuu_ldap_free(cpuu_ldap *ld);

/* --- Two directories and the correspondence rules ---------------------- */

typedef struct cpuu_directory cpuu_directory;

/* Reads [Source], [Target], [Correspondence], [Switch] and connects to both
 * directories. */
int cpuu_directory_open(cpuu_directory **out, const cpuu_config *cfg);
void cpuu_directory_free(cpuu_directory *d);

/* Looks a source mailbox up live. key: a legacyExchangeDN or X500 address
 * ("/o=..." with optional "X500:"), an SMTP address (any smtp proxy, optional
 * "SMTP:"), or a mailbox GUID (32 hex digits, dashes and braces optional).
 * On CPUU_OK *status is set and *out filled (source facts for FOUND and
 * NO_TARGET, target facts for FOUND, all NULL otherwise); clear it with
 * cpuu_match_clear. out->switched is 1 only for FOUND. CPUU_EINVALID for a
 * key of no known kind; network errors as for cpuu_ldap_connect. */
int cpuu_directory_lookup(cpuu_match *out, cpuu_lookup_status *status,
			  cpuu_directory *d, const char *key);

typedef struct cpuu_export_stats {
	size_t sources;    /* mail-enabled source objects read */
	size_t targets;    /* mail-enabled target objects read */
	size_t found;      /* sources with exactly one target */
	size_t no_target;  /* sources without a target */
	size_t ambiguous;  /* sources with several targets (one row per candidate) */
} cpuu_export_stats;

/* One paged pass over each directory, joined in memory: one row per source
 * (a source without target has empty target columns; a source with several
 * candidate targets gets one row per candidate, so the mapping file answers
 * AMBIGUOUS for it exactly as the live lookup does). Free with
 * cpuu_matches_free. */
int cpuu_directory_export(cpuu_match **rows, size_t *count, cpuu_export_stats *stats,
			  cpuu_directory *d);
/* cpuu_directory_export + cpuu_mapping_write, then the indexed mapping
 * beside it (cpuu_mapping_index_path_for). stats may be NULL. */
int cpuu_directory_export_file(cpuu_directory *d, const char *path, cpuu_export_stats *stats);
void cpuu_matches_free(cpuu_match *rows, size_t count);

/* --- Lookups from whichever source the configuration names ------------- */

typedef struct cpuu_resolver cpuu_resolver;

/* The mapping file when [Mapping] File is set, else the live directories of
 * [Source]/[Target]. CPUU_EINVALID when neither is configured. */
int cpuu_resolver_open(cpuu_resolver **out, const cpuu_config *cfg);
/* The same with mapping_file (a path as given, e.g. on the command line) in
 * place of [Mapping] File; NULL: as cpuu_resolver_open. */
int cpuu_resolver_open_with(cpuu_resolver **out, const cpuu_config *cfg, const char *mapping_file);
/* The resolver as the engine's lookup interface (cpuu_match_source): owned
 * by r, valid while r lives. Mapping rows are lent as they are; a live
 * answer lives in one slot of r until the next lookup. */
const cpuu_match_source *cpuu_resolver_source(cpuu_resolver *r);
/* The mapping file's warnings ("line N: reason"), NULL for live directories. */
const cpuu_strlist *cpuu_resolver_warnings(const cpuu_resolver *r);
/* 1 when answering from the mapping file. */
int cpuu_resolver_uses_file(const cpuu_resolver *r);
/* As cpuu_directory_lookup; *out is an owned copy (cpuu_match_clear). */
int cpuu_resolver_lookup(cpuu_match *out, cpuu_lookup_status *status,
			 cpuu_resolver *r, const char *key);
void cpuu_resolver_free(cpuu_resolver *r);

/* Deep copy (dst is overwritten, not cleared first). */
int cpuu_match_copy(cpuu_match *dst, const cpuu_match *src);

/* --- X500 proxies for the targets -------------------------------------- */

typedef struct cpuu_x500_plan cpuu_x500_plan;

/* For every source with exactly one target: "X500:" + the source
 * legacyExchangeDN and every source X500 proxy that the target's
 * proxyAddresses lacks (case-insensitive). Addresses that belong to more
 * than one source object are left out (they would make the target
 * ambiguous). Never removes anything. */
int cpuu_x500_plan_build(cpuu_x500_plan **out, cpuu_directory *d);
size_t cpuu_x500_plan_targets(const cpuu_x500_plan *p); /* targets to change */
size_t cpuu_x500_plan_values(const cpuu_x500_plan *p);  /* values to add */
size_t cpuu_x500_plan_skipped(const cpuu_x500_plan *p); /* shared addresses left out */
/* The plan as an LDIF change file (RFC 2849; "changetype: modify", "add:
 * proxyAddresses"; base64 where needed), written atomically. */
int cpuu_x500_plan_write_ldif(const cpuu_x500_plan *p, const char *path);
/* Adds the values with LDAP modify (add) on the target directory. A value
 * that appeared meanwhile is not an error. *added: values really added. */
int cpuu_x500_plan_apply(size_t *added, const cpuu_x500_plan *p, cpuu_directory *d);
void cpuu_x500_plan_free(cpuu_x500_plan *p);

#ifdef __cplusplus
}
#endif
#endif
