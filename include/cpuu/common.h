/* cpuu - Client Profile Updating Utility
 * Common definitions: return codes and the per-thread last-error message.
 *
 * Every function that can fail returns an int: CPUU_OK (0) or a negative
 * cpuu_error_code, and leaves a one-line message (naming the key, value, file
 * or line concerned) in cpuu_error_last(). Output parameters come first.
 */
#ifndef CPUU_COMMON_H
#define CPUU_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cpuu_error_code {
	CPUU_OK = 0,
	CPUU_ERROR = -1,        /* generic failure */
	CPUU_ENOMEM = -2,       /* out of memory */
	CPUU_ENOTFOUND = -3,    /* key, value, file or record absent */
	CPUU_EINVALID = -4,     /* malformed data or arguments (bad type, odd length, ...) */
	CPUU_EDIRTY = -5,       /* hive has unreplayed transaction logs (seq1 != seq2) */
	CPUU_ECORRUPT = -6,     /* not a hive / truncated / structurally broken */
	CPUU_EIO = -7,          /* read/write/fsync/rename failed (full disk, ...) */
	CPUU_EREADONLY = -8,    /* target not writable */
	CPUU_EUNSUPPORTED = -9, /* a format or feature we refuse to handle */
	CPUU_EAMBIGUOUS = -10,  /* more than one candidate where one is required */
	CPUU_EEXISTS = -11,     /* already exists */
	CPUU_ENETWORK = -12,    /* server unreachable, timeout */
	CPUU_EAUTH = -13,       /* bind / credentials refused */
	CPUU_ETLS = -14,        /* TLS negotiation or certificate check failed */
	CPUU_EABORTED = -15,    /* the user refused to go on (a question answered no): USER_ABORT */
	CPUU_ELOCKED = -16      /* another run holds the hive's lock (waited, then refused) */
} cpuu_error_code;

typedef struct cpuu_error {
	int code;              /* a cpuu_error_code */
	const char *message;   /* never NULL; "" when there is no error */
} cpuu_error;

/* The last error recorded on this thread (valid until the next cpuu call). */
const cpuu_error *cpuu_error_last(void);
void cpuu_error_clear(void);
/* Short stable name of a code, e.g. "ENOTFOUND". */
const char *cpuu_error_name(int code);

/* A list of owned UTF-8 strings. */
typedef struct cpuu_strlist {
	char **items;
	size_t count;
} cpuu_strlist;
void cpuu_strlist_free(cpuu_strlist *list); /* frees items, zeroes the struct */
/* Appends a copy of s. */
int cpuu_strlist_add(cpuu_strlist *list, const char *s);

/* Frees memory returned by any cpuu function as a plain buffer (char *, uint8_t *). */
void cpuu_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif
