/* Private declarations of the profile model (src/lib/profile). */
#ifndef CPUU_PROFILE_INTERNAL_H
#define CPUU_PROFILE_INTERNAL_H

#include "common/internal.h"
#include "cpuu/profile.h"

/* Well-known section keys (docs/profile-format.md, "Profile model"). */
#define PROF_SECTION_HEADER "9207f3e0a3b11019908b08002b2a56c2"
#define PROF_SECTION_GLOBAL "13dbb0c8aa05101a9bb000aa002fc45a"
#define PROF_SECTION_ACCTMGR "9375CFF0413111d3B88A00104B2A6676"
/* Account-manager ordered lists (CLSID_OlkMail, CLSID_OlkStore, CLSID_OlkAddressBook). */
#define PROF_ACCT_LIST_MAIL "{ED475418-B0D6-11D2-8C3B-00104B2A6676}"
#define PROF_ACCT_LIST_STORE "{ED475420-B0D6-11D2-8C3B-00104B2A6676}"
#define PROF_ACCT_LIST_AB "{ED475419-B0D6-11D2-8C3B-00104B2A6676}"
/* Account classes (MS "Constants (Account management API)"). */
#define PROF_CLSID_POP3 "{ED475411-B0D6-11D2-8C3B-00104B2A6676}"
#define PROF_CLSID_IMAP4 "{ED475412-B0D6-11D2-8C3B-00104B2A6676}"

/* Property ids used by the model. */
enum {
	PROP_DISPLAY_NAME = 0x3001,
	PROP_STORE_PROVIDERS = 0x3D00,
	PROP_SERVICE_NAME = 0x3D09,
	PROP_SERVICES = 0x3D0E,
	PROP_EMSMDB_SECTION_UID = 0x3D15,
	PROP_PROFILE_CONFIG_FLAGS = 0x6601,
	PROP_PROFILE_HOME_SERVER = 0x6602,
	PROP_PROFILE_USER = 0x6603,
	PROP_PROFILE_TYPE = 0x660A,
	PROP_PROFILE_MAILBOX = 0x660B,
	PROP_PROFILE_SERVER = 0x660C,
	PROP_PROFILE_OFFLINE_STORE_PATH = 0x6610,
	PROP_PROFILE_HOME_SERVER_DN = 0x6612,
	PROP_PROFILE_SERVER_DN = 0x6614,
	PROP_PST_PATH = 0x6700,
	PROP_PROFILE_USER_SMTP = 0x6641
};

#define PROF_CONFIG_OST_CACHE_PRIVATE 0x180u
#define PROF_TYPE_PRIMARY 1
#define PROF_TYPE_DELEGATE 2

/* What every reader needs to name the place of an error. */
typedef struct prof_ctx {
	cpuu_reg *reg;
	const cpuu_reg_key *profile_key;
	const char *profile; /* profile name, for messages */
} prof_ctx;

/* An open section, with its UID (32 lowercase hex). */
typedef struct prof_section {
	cpuu_reg_key *key;
	char uid[33];
} prof_section;

/* props.c: section access. Every error message names profile, section, value. */
/* Opens section uid (16 raw bytes). A missing key is a dangling link: CPUU_EINVALID
 * naming "from" (the section and value that held the link). */
int prof_section_open_uid(prof_section *out, const prof_ctx *ctx, const uint8_t uid[16],
			  const char *from_section, const char *from_value);
/* Opens a well-known section by name; *found = 0 when absent (not an error). */
int prof_section_open_named(prof_section *out, int *found, const prof_ctx *ctx, const char *name);
void prof_section_close(prof_section *s);
/* String property: 001f<id> preferred, 001e<id> fallback; *out NULL when both absent. */
int prof_get_string(char **out, const prof_ctx *ctx, const prof_section *s, uint16_t id);
/* PT_LONG property; *found 0 when absent. */
int prof_get_long(int32_t *out, int *found, const prof_ctx *ctx, const prof_section *s, uint16_t id);
/* PT_BINARY list of 16-byte UIDs; *count 0 and *out NULL when absent. */
int prof_get_uid_list(uint8_t **out, size_t *count, const prof_ctx *ctx, const prof_section *s, uint16_t id);
/* Error helper: sets code with "profile 'P': section S: value V: <message>". */
int prof_fail(int code, const prof_ctx *ctx, const char *section, const char *value, const char *fmt, ...)
	CPUU_PRINTF(5, 6);
/* Prefixes the current error the same way; returns the current code. */
int prof_wrap(const prof_ctx *ctx, const char *section, const char *value);

/* account.c */
int prof_load_accounts(cpuu_profile *p, const prof_ctx *ctx);
void prof_account_clear(cpuu_account *a);

/* exchange.c: fills the Exchange facts of a (service section already open). */
int prof_exchange_fill(cpuu_account *a, const prof_ctx *ctx, const prof_section *service);
/* pst facts (path, display name) from the service's store providers. */
int prof_pst_fill(cpuu_account *a, const prof_ctx *ctx, const prof_section *service);

#endif
