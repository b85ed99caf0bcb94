/* Private declarations of the directory module (LDAP side). The mapping-file
 * side has its own declarations in its .c files. */
#ifndef CPUU_DIRECTORY_INTERNAL_H
#define CPUU_DIRECTORY_INTERNAL_H

#include "common/internal.h"
#include "cpuu/ldapdir.h"

/* --- The LDAP backend (ldap_openldap.c; a wldap32 one can replace it) ----
 * Backend-neutral values: the rest of the module never sees LDAP*, BerValue
 * or LDAPMessage. */

typedef struct dir_val {
	char *data;  /* NUL-terminated copy (binary values may hold NULs) */
	size_t len;
} dir_val;

typedef struct dir_attr {
	char *name;
	dir_val *vals;
	size_t count;
} dir_attr;

typedef struct dir_entry {
	char *dn;
	dir_attr *attrs;
	size_t count;
} dir_entry;

typedef struct dir_conn dir_conn;

int dir_conn_open(dir_conn **out, const cpuu_ldap_settings *s);
void dir_conn_close(dir_conn *c);
/* Subtree search under base with paged results; cb is called once per entry
 * (entry valid during the call); a negative return from cb stops the search
 * and is returned. */
typedef int (*dir_entry_cb)(void *user, const dir_entry *e);
int dir_conn_search(dir_conn *c, const char *base, const char *filter,
		    const char *const *attrs, dir_entry_cb cb, void *user);
/* Adds values to an attribute (LDAP modify, add). *exists is set to 1 (and
 * CPUU_OK returned) when the server says a value is already there. */
int dir_conn_add_values(int *exists, dir_conn *c, const char *dn, const char *attr,
			const char *const *vals, size_t count);

/* --- Ranged attribute values (ldap_range.c) -------------------------------
 * A backend copies entries with the attribute names as sent
 * ("proxyAddresses;range=0-1499"), then calls dir_entry_complete_ranges,
 * which reads the rest of each ranged attribute through read (a
 * base-object search of dn for the one attribute req, copied into *out
 * with raw names) and leaves every attribute under its plain name. */
typedef int (*dir_range_read)(dir_entry *out, void *ctx, const char *dn, const char *req);
int dir_entry_complete_ranges(dir_entry *e, dir_range_read read, void *ctx);
void dir_entry_clear(dir_entry *e);
/* The test-only hook CPUU_TEST_LDAP_RANGE_STEP (0 when unset): ask for
 * ranges of that many values from the first request on. */
int dir_range_step(void);
/* Continuation reads made so far by this process (for tests). */
size_t dir_range_followups(void);
/* "attr;range=LO-*", or "attr;range=LO-(LO+step-1)" with a step. */
char *dir_range_attr_name(const char *attr, unsigned long lo, int step);
/* attrs with ";range=0-(step-1)" added to each (a NULL-terminated copy). */
char **dir_range_attrs(const char *const *attrs, int step);
void dir_range_attrs_free(char **attrs);

/* The connection object of the public API. */
struct cpuu_ldap {
	dir_conn *conn;
	char *base_dn;
	char *url;
	int page_size;
	/* Set by the first network failure (timeout, connection lost): the
	 * message, repeated at once by every later call (ldap_conn.c). */
	char *unavailable;
};

/* dir_conn_search / dir_conn_add_values on ld's connection, except that
 * after a network failure the directory counts as unavailable for the rest
 * of the run: a stalled DC costs the timeout once, not once per lookup. */
int dir_ldap_search(cpuu_ldap *ld, const char *filter, const char *const *attrs, dir_entry_cb cb, void *user);
int dir_ldap_add_values(int *exists, cpuu_ldap *ld, const char *dn, const char *attr,
			const char *const *vals, size_t count);

/* --- Entries ------------------------------------------------------------- */

const dir_attr *dir_entry_attr(const dir_entry *e, const char *name); /* case-insensitive */
const dir_val *dir_entry_first(const dir_entry *e, const char *name);   /* NULL if absent */

/* --- Values and filters (ldap_util.c) ------------------------------------ */

/* RFC 4515 escaping of an assertion value (every byte outside printable
 * ASCII and ( ) * \ NUL as \xx). Returns malloc'ed text or NULL (ENOMEM set). */
char *dir_filter_escape(const void *data, size_t len);
/* "registry form" of a 16-byte GUID: Data1-3 little-endian, lowercase. out[37]. */
void dir_guid_format(char out[37], const uint8_t g[16]);
/* Parses 32 hex digits with optional dashes (8-4-4-4-12) and braces; blanks
 * around are ignored. */
int dir_guid_parse_text(uint8_t g[16], const char *s);
/* Text form or base64 of the 16 bytes (AD tools write either). */
int dir_guid_parse_any(uint8_t g[16], const char *s);
/* Base64 (RFC 4648) of bytes; malloc'ed. */
char *dir_base64(const void *data, size_t len);
/* ASCII lowercase copy (for keys compared case-insensitively). */
char *dir_lower(const char *s);
/* Case-insensitive ASCII prefix test. */
int dir_has_prefix(const char *s, const char *prefix);

/* --- The rules and the directories --------------------------------------- */

typedef enum dir_holds {
	DIR_HOLDS_GUID = 0,
	DIR_HOLDS_LEGACYDN,
	DIR_HOLDS_SMTP
} dir_holds;

typedef struct dir_rules {
	char *corr_attr;
	int corr_on_target;     /* the target carries the attribute */
	dir_holds holds;
	char *switch_attr;
	char *switch_value;
	int switch_present;
	int switch_on_target;
} dir_rules;

struct cpuu_directory {
	cpuu_ldap *source;
	cpuu_ldap *target;
	dir_rules rules;
};

/* What cpuu keeps of one source or target object. */
typedef struct dir_object {
	char *dn;
	char *legacy_dn;
	char *smtp;           /* primary: the "SMTP:" proxy, else mail */
	char *mailbox_guid;   /* registry form */
	char *object_guid;    /* registry form */
	char *display_name;
	cpuu_strlist x500;    /* without "X500:" */
	cpuu_strlist proxies; /* every proxyAddresses value (targets) */
	cpuu_target_kind kind;
	char *server;
	int switch_signal;    /* the switch rule holds on this object */
	char *corr_value;     /* the correspondence attribute's value, raw */
} dir_object;

void dir_object_clear(dir_object *o);
/* Attributes to request for source/target objects (NULL-terminated). */
#define DIR_MAX_ATTRS 16
void dir_object_attrs(const char *out[DIR_MAX_ATTRS], const dir_rules *r);
int dir_object_from_entry(dir_object *o, const dir_entry *e, const dir_rules *r, int target);

/* Mail-enabled users: what export walks and lookups search among. */
#define DIR_MAIL_ENABLED "(&(objectClass=user)(mailNickname=*))"

/* Normalized correspondence keys (lookup_join.c): the key that target t is
 * known by, and the key that source s points at; NULL when there is none. */
char *dir_corr_key_of_target(const dir_object *t, const dir_rules *r);
char *dir_corr_key_of_source(const dir_object *s, const dir_rules *r);

/* Fills m from s (and t if not NULL; switched only with t). */
int dir_match_fill(cpuu_match *m, const dir_object *s, const dir_object *t, const dir_rules *r);

/* The joined directories (one pass each), shared by export and x500. */
typedef struct dir_join {
	dir_object *sources;
	size_t nsources;
	dir_object *targets;
	size_t ntargets;
	/* for source i: candidate targets cand[i][0..ncand[i]) */
	size_t **cand;
	size_t *ncand;
} dir_join;
int dir_join_build(dir_join *j, cpuu_directory *d);
void dir_join_clear(dir_join *j);

int dir_rules_load(dir_rules *r, const cpuu_config *cfg);
void dir_rules_clear(dir_rules *r);

#endif
