/* No credential store to act on off Windows: offline hives carry none (the
 * Credential Manager's files are DPAPI-protected and stay untouched). */
#include "update/internal.h"

#include <string.h>

int upd_cred_available(void)
{
	return 0;
}

int upd_cred_find(cpuu_strlist *out, const cpuu_strlist *domains)
{
	(void)domains;
	memset(out, 0, sizeof *out);
	return CPUU_OK;
}

int upd_cred_aside(const char *target)
{
	(void)target;
	return 0;
}

int upd_cred_back(const char *target)
{
	(void)target;
	return 0;
}
