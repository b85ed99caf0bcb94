/* The PRF route (docs/prf.md): instead of rewriting a profile in place, hand
 * Outlook a profile file (.prf) that creates the target account, and arrange
 * for Outlook to import it once at its next start (ImportPRF).
 *
 *   cpuu_prf_build      the .prf text for one switched Exchange account of a
 *                       profile, with the profile's PST files; refuses what a
 *                       .prf cannot carry or would silently change.
 *   cpuu_prf_encode     that text as the bytes of the file (ANSI or UTF-16LE).
 *   cpuu_prf_plan_import  planned registry edits (dry-run visible, undone by
 *                       the caller's backup) that make Outlook import it.
 *   cpuu_prf_signatures_*  the per-account "New Signature" /
 *                       "Reply-Forward Signature" choices, which no .prf key
 *                       can carry: read, recorded before the profile is
 *                       recreated, re-applied once Outlook created the account. */
#ifndef CPUU_PRF_H
#define CPUU_PRF_H

#include "cpuu/directory.h"
#include "cpuu/plan.h"
#include "cpuu/profile.h"
#include "cpuu/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cpuu_prf_overwrite {
	/* OverwriteProfile=Yes: the profile is recreated from the file. Every
	 * account of the profile must be one the file carries (the switched
	 * Exchange account, PST files, the Outlook Address Book); anything else
	 * would be lost and is refused (CPUU_EUNSUPPORTED). */
	CPUU_PRF_OVERWRITE_YES = 0,
	/* OverwriteProfile=Append: only the Exchange service is written
	 * (OverwriteExistingService=Yes); the other services stay as they are.
	 * Refused when the profile has more than one Exchange account (which one
	 * Outlook would overwrite is not documented). */
	CPUU_PRF_OVERWRITE_APPEND = 1
} cpuu_prf_overwrite;

typedef enum cpuu_prf_encoding {
	/* 8-bit Windows-1252 text, CRLF: what every published sample and the
	 * Office Customization Tool's output are. Text with no Windows-1252 form
	 * is refused (CPUU_EINVALID). */
	CPUU_PRF_ANSI = 0,
	/* UTF-16LE with a BOM, CRLF: for names outside Windows-1252. Inferred,
	 * not verified (docs/prf.md). PT_STRING8 values (mailbox, server, paths)
	 * must still have a Windows-1252 form. */
	CPUU_PRF_UTF16LE = 1
} cpuu_prf_encoding;

typedef struct cpuu_prf_opts {
	const char *profile_name;   /* NULL: the existing profile's name */
	int default_profile;        /* DefaultProfile: 1 Yes, 0 No, -1 (default) as the profile is now */
	cpuu_prf_overwrite overwrite;
	int modify_default_profile_if_present; /* ModifyDefaultProfileIfPresent; default 0 (FALSE) */
	/* OfflineFolderPath: NULL writes none (Outlook picks its default OST);
	 * otherwise the OST path to use, e.g. the account's own ost_path when
	 * the target is the same mailbox, or cpuu_plan_new_ost_path(). */
	const char *ost_path;
	int include_pst;            /* carry the profile's PST files; default 1 (Yes mode only) */
	cpuu_prf_encoding encoding; /* what the file will be written as; default ANSI */
} cpuu_prf_opts;

void cpuu_prf_opts_init(cpuu_prf_opts *opts);

/* The .prf for switching `account` (an Exchange account of `profile`) to the
 * target in m (switched or not: the caller decides when). *text is UTF-8 with
 * CRLF line ends (what the file says, for dry runs and reviews); write it with
 * cpuu_prf_encode. On-premises targets with a known legacyExchangeDN and
 * server get MailboxName = legacyDN and HomeServer = server; otherwise
 * MailboxName = target SMTP (Autodiscover), HomeServer only when known.
 * Refuses (CPUU_EINVALID, naming the value) control characters, line breaks,
 * leading or trailing blanks, values wrapped in quotes, text the chosen
 * encoding cannot hold, and a missing target address. */
int cpuu_prf_build(char **text, const cpuu_profile *profile, const cpuu_account *account, const cpuu_match *m,
		   const cpuu_prf_opts *opts);

/* text (UTF-8, from cpuu_prf_build) as file bytes in the encoding. */
int cpuu_prf_encode(uint8_t **out, size_t *len, const char *text, cpuu_prf_encoding encoding);

/* "Software\\Microsoft\\Office\\<version>\\Outlook\\Setup" (caller frees), for
 * a profile's outlook_version "16.0", "15.0" (any "<n>.0"); CPUU_EINVALID for
 * "wms" and anything else (the Office version is not known there). */
int cpuu_prf_setup_key(char **out, const char *outlook_version);

/* Plans ImportPRF = prf_path (REG_SZ) in that Setup key, and the deletion of
 * its First-Run and FirstRun values, so Outlook imports the file at its next
 * start. prf_path is the Windows path Outlook will read (X:\... or
 * \\server\share\...). Nothing is planned for what already holds: planning
 * against a registry where this was applied gives no edit. Outlook removes
 * ImportPRF after importing and writes First-Run again, so the caller must
 * remember that it armed the import (docs/prf.md) and not arm it twice. */
int cpuu_prf_plan_import(cpuu_plan *plan, cpuu_reg *reg, const char *outlook_version, const char *prf_path);

/* One signature choice of an account: the value as found. */
typedef struct cpuu_signature {
	char *name;      /* the signature's name (UTF-8), NULL when the value is absent */
	uint32_t type;   /* CPUU_REG_SZ, CPUU_REG_EXPAND_SZ or CPUU_REG_BINARY (UTF-16LE) */
	uint8_t *data;   /* the raw bytes, so they can be written back unchanged */
	size_t len;
} cpuu_signature;

typedef struct cpuu_signatures {
	cpuu_signature new_message;   /* "New Signature" */
	cpuu_signature reply_forward; /* "Reply-Forward Signature" */
} cpuu_signatures;

void cpuu_signatures_clear(cpuu_signatures *s);

/* Reads the two values from the account-manager subkey
 * (<profile>\9375CFF0413111d3B88A00104B2A6676\<account_key>). An account
 * without such a subkey, or without the values, gives NULL names. A value of
 * another type, or text that is not UTF-16LE, is CPUU_EINVALID naming it. */
int cpuu_prf_signatures_read(cpuu_signatures *out, cpuu_reg *reg, const cpuu_profile *profile,
			     const cpuu_account *account);

/* Where recorded choices wait for Outlook to create the new account. */
#define CPUU_PRF_PENDING_KEY "Software\\cpuu\\PendingSignatures"

/* Plans recording the account's signature choices before the profile is
 * recreated: values "<new profile>|<target smtp>|New Signature" and
 * "...|Reply-Forward Signature" under CPUU_PRF_PENDING_KEY, with the type and
 * bytes found. new_profile is the name the .prf gives the profile (NULL: the
 * profile's own name, as cpuu_prf_opts.profile_name). *count (may be NULL) =
 * how many choices were recorded (0: nothing to carry). */
int cpuu_prf_plan_signatures_record(cpuu_plan *plan, size_t *count, cpuu_reg *reg, const cpuu_profile *profile,
				    const cpuu_account *account, const cpuu_match *m, const char *new_profile);

/* For every recorded choice whose profile now has an account for that
 * address (SMTP or Account Name, any case): plans writing it into that
 * account's subkey (only when the account has no such value of its own: a
 * choice made since wins) and deleting the record. Records whose account
 * does not exist yet stay. *applied / *pending count records (either may be
 * NULL). Running it again after applying plans nothing. */
int cpuu_prf_plan_signatures_apply(cpuu_plan *plan, size_t *applied, size_t *pending, cpuu_reg *reg,
				   const cpuu_profile_set *profiles);

#ifdef __cplusplus
}
#endif
#endif
