#ifndef CPUU_PRF_INTERNAL_H
#define CPUU_PRF_INTERNAL_H

#include "common/internal.h"
#include "cpuu/prf.h"
#include "cpuu/profile_ids.h"

#define PRF_NEW_SIGNATURE "New Signature"
#define PRF_REPLY_SIGNATURE "Reply-Forward Signature"

/* How a value reaches Outlook: as a PT_STRING8 property (converted to the
 * ANSI code page whatever the file's encoding) or as PT_UNICODE / plain text
 * whose file encoding decides what it may hold. */
enum prf_text_kind {
	PRF_TEXT_STRING8,
	PRF_TEXT_UNICODE
};

/* Checks that value can be written as `<key>=<value>` in section and read
 * back unchanged (text.c). Messages name "[section] key". */
int prf_check_value(const char *section, const char *key, const char *value, enum prf_text_kind kind,
		    cpuu_prf_encoding enc);

/* A Windows absolute path (X:\... or \\server\share\...) with no character
 * that would not survive a REG_SZ / INI round trip. */
int prf_check_windows_path(const char *what, const char *path);

#endif
