/* The user's Credential Manager through the Credential API (advapi32), for
 * live runs (docs/m365.md, "Credential Manager"). A credential is moved
 * aside inside the store — rewritten under "cpuu-old:<target>" with its
 * blob, then the original deleted — so its secret never passes into a file,
 * log or record of cpuu; moving back is the same the other way. */
#include "update/internal.h"
#include "cpuu/m365.h"
#include "cpuu/unicode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <wincred.h>

int upd_cred_available(void)
{
	return 1;
}

static wchar_t *wide(const char *utf8)
{
	uint8_t *w = NULL;
	size_t n = 0;
	return cpuu_utf8_to_utf16le(&w, &n, utf8, 1) == CPUU_OK ? (wchar_t *)w : NULL;
}

static char *narrow(const wchar_t *w)
{
	char *s = NULL;
	size_t n = 0;
	if (!w)
		return NULL;
	return cpuu_utf16le_to_utf8(&s, &n, (const uint8_t *)w, wcslen(w) * 2, 0) == CPUU_OK ? s : NULL;
}

/* Office keeps its sign-ins as generic credentials named
 * "MicrosoftOffice<version>_Data:<...>" (reset activation page [S15]). */
static int is_office(const char *target)
{
	return !strncmp(target, "MicrosoftOffice", 15) && strstr(target, "_Data:");
}

static int names_domain(const char *text, const cpuu_strlist *domains)
{
	for (size_t i = 0; text && domains && i < domains->count; i++) {
		size_t dl = strlen(domains->items[i]);
		for (const char *p = strchr(text, '@'); p; p = strchr(p + 1, '@'))
			if (!_strnicmp(p + 1, domains->items[i], dl) && !isalnum((unsigned char)p[1 + dl]) &&
			    p[1 + dl] != '.' && p[1 + dl] != '-')
				return 1;
	}
	return 0;
}

int upd_cred_find(cpuu_strlist *out, const cpuu_strlist *domains)
{
	memset(out, 0, sizeof *out);
	DWORD n = 0;
	PCREDENTIALW *all = NULL;
	if (!CredEnumerateW(NULL, 0, &n, &all)) {
		if (GetLastError() == ERROR_NOT_FOUND)
			return CPUU_OK;
		return cpuu_error_set(CPUU_EIO, "Credential Manager: cannot list credentials (error %lu)", GetLastError());
	}
	int rc = CPUU_OK;
	for (DWORD i = 0; !rc && i < n; i++) {
		if (all[i]->Type != CRED_TYPE_GENERIC)
			continue;
		char *target = narrow(all[i]->TargetName);
		char *user = narrow(all[i]->UserName);
		if (target && is_office(target) && (names_domain(target, domains) || names_domain(user, domains)))
			rc = cpuu_strlist_add(out, target);
		free(target);
		free(user);
	}
	CredFree(all);
	return rc;
}

/* Rewrites credential from under to_name and deletes it; 1 moved, 0 no
 * such credential. */
static int move(const char *from_name, const char *to_name)
{
	wchar_t *from = wide(from_name), *to = wide(to_name);
	PCREDENTIALW c = NULL;
	int rc;
	if (!from || !to) {
		rc = cpuu_error_oom();
	} else if (!CredReadW(from, CRED_TYPE_GENERIC, 0, &c)) {
		rc = GetLastError() == ERROR_NOT_FOUND
			     ? 0
			     : cpuu_error_set(CPUU_EIO, "Credential Manager: cannot read %s (error %lu)", from_name,
					      GetLastError());
	} else {
		CREDENTIALW copy = *c;
		copy.TargetName = to;
		copy.TargetAlias = NULL;
		if (!CredWriteW(&copy, 0))
			rc = cpuu_error_set(CPUU_EIO, "Credential Manager: cannot write %s (error %lu)", to_name,
					    GetLastError());
		else if (!CredDeleteW(from, CRED_TYPE_GENERIC, 0))
			rc = cpuu_error_set(CPUU_EIO, "Credential Manager: cannot remove %s (error %lu)", from_name,
					    GetLastError());
		else
			rc = 1;
		SecureZeroMemory(c->CredentialBlob, c->CredentialBlobSize);
		CredFree(c);
	}
	free(from);
	free(to);
	return rc;
}

int upd_cred_aside(const char *target)
{
	char *aside = cpuu_aprintf("%s%s", UPD_CRED_ASIDE_PREFIX, target);
	int rc = aside ? move(target, aside) : cpuu_error_oom();
	free(aside);
	return rc;
}

int upd_cred_back(const char *target)
{
	char *aside = cpuu_aprintf("%s%s", UPD_CRED_ASIDE_PREFIX, target);
	int rc = aside ? move(aside, target) : cpuu_error_oom();
	free(aside);
	return rc;
}
