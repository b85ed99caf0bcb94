/* Which registry values are secrets that must never be copied into a
 * backup, a log or a report (issue 16, item 5): the backup keeps a
 * placeholder and a rollback takes the value from the hive itself.
 *  - Data holding a DPAPI blob: its header is the version DWORD 1 followed
 *    by the provider GUID df9d8cd0-1501-11d1-8c7a-00c04fc297eb (the GUID of
 *    every CryptProtectData blob). Outlook's account manager stores its
 *    passwords as one prefix byte and such a blob, so the header is looked
 *    for in the first bytes rather than only at offset 0.
 *  - Values named as a password by the account manager ("IMAP Password",
 *    "POP3 Password", "SMTP Password", "HTTP Password", "NNTP Password")
 *    or plainly "Password": a secret whatever their data looks like.
 * Secure MAPI properties ("S" + 8 hex digits) are recognised by the mapi
 * module (cpuu_mapi_tag_parse); callers check both. */
#include "registry/internal.h"

#include <string.h>

static const uint8_t dpapi_header[20] = {
	0x01, 0x00, 0x00, 0x00,                         /* dwVersion 1 */
	0xd0, 0x8c, 0x9d, 0xdf, 0x01, 0x15, 0xd1, 0x11, /* {df9d8cd0-1501-11d1- */
	0x8c, 0x7a, 0x00, 0xc0, 0x4f, 0xc2, 0x97, 0xeb, /*  8c7a-00c04fc297eb} */
};

/* How far into the data a blob may start (Outlook's prefix byte, a
 * length or type word in front of it). */
#define DPAPI_SEARCH 16u

int cpuu_reg_data_is_dpapi(const uint8_t *data, size_t len)
{
	if (!data || len < sizeof dpapi_header)
		return 0;
	/* Every value of a backup is asked: only where the header's first
	 * byte is (memchr) is the whole header compared. */
	size_t last = len - sizeof dpapi_header < DPAPI_SEARCH ? len - sizeof dpapi_header : DPAPI_SEARCH;
	for (const uint8_t *p = data; (p = memchr(p, dpapi_header[0], (size_t)(data + last + 1 - p))); p++)
		if (!memcmp(p, dpapi_header, sizeof dpapi_header))
			return 1;
	return 0;
}

#define PW(s) { s, sizeof s - 1 }
static const struct {
	const char *name;
	size_t len;
} password_names[] = {
	PW("Password"), PW("IMAP Password"), PW("POP3 Password"), PW("SMTP Password"), PW("HTTP Password"), PW("NNTP Password"),
};

/* Can name equal pw under cpuu_reg_name_cmp? That folds ASCII and Latin-1
 * only: no other character folds to an ASCII letter, and each character of
 * pw (ASCII) matches one byte, or two (a two-byte form its decoding takes
 * as that character). So a match has between len and 2 len bytes, and an
 * ASCII first byte that is pw's first letter in either case. Most names
 * fail this at once; the rest are compared in full. */
static int may_match(const char *name, size_t n, const char *pw, size_t len)
{
	unsigned char c = (unsigned char)name[0];
	if (n < len || n > 2 * len)
		return 0;
	return c >= 0x80 || (c | 0x20) == ((unsigned char)pw[0] | 0x20);
}

int cpuu_reg_value_is_secret(const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	(void)type; /* a secret is one in any type */
	size_t n = name ? strlen(name) : 0;
	if (name)
		for (size_t i = 0; i < sizeof password_names / sizeof password_names[0]; i++)
			if (may_match(name, n, password_names[i].name, password_names[i].len) &&
			    cpuu_reg_name_cmp(name, password_names[i].name) == 0)
				return 1;
	return cpuu_reg_data_is_dpapi(data, len);
}
