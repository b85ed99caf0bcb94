/* Private declarations of the profile model (src/lib/profile). */
#ifndef CPUU_PROFILE_INTERNAL_H
#define CPUU_PROFILE_INTERNAL_H

#include "common/internal.h"
#include "cpuu/profile.h"
#include "cpuu/profile_ids.h"

/* What every reader needs to name the place of an error. */
typedef struct prof_ctx {
	cpuu_reg *reg;
	const cpuu_reg_key *profile_key;
	const char *profile; /* profile name, for messages */
} prof_ctx;

/* An open section, with its UID (32 lowercase hex). A section many
 * properties are read from has its values read once (prof_section_read_all)
 * and its properties found there, not asked of the registry one by one
 * (most asked-for forms are absent: each miss is a failed look-up). */
typedef struct prof_section {
	cpuu_reg_key *key;
	char uid[33];
	cpuu_reg_value *values; /* NULL until prof_section_read_all */
	uint32_t *tags;         /* tags[i]: value i's tag, when plain[i] */
	unsigned char *plain;   /* 1: value i is named by a plain (not secure) MAPI tag */
	size_t count;
} prof_section;

/* props.c: section access. Every error message names profile, section, value. */
/* Opens section uid (16 raw bytes). A missing key is a dangling link: CPUU_EINVALID
 * naming "from" (the section and value that held the link). */
int prof_section_open_uid(prof_section *out, const prof_ctx *ctx, const uint8_t uid[16],
			  const char *from_section, const char *from_value);
/* Opens a well-known section by name; *found = 0 when absent (not an error). */
int prof_section_open_named(prof_section *out, int *found, const prof_ctx *ctx, const char *name);
void prof_section_close(prof_section *s);
/* Reads every value of an open section at once. */
int prof_section_read_all(const prof_ctx *ctx, prof_section *s);
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
