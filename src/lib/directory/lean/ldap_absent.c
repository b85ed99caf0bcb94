/* The LDAP backend of the lean `cpuu` executable: none. An update or no-op
 * logon run reads the mapping file and never talks to a directory, so the
 * lean executable is linked without libldap (and the GnuTLS, SASL and
 * Kerberos libraries it brings), which the dynamic loader would otherwise
 * resolve at every start (docs/update.md, "A lean update process").
 * Directory work runs in `cpuu-admin`, the full executable installed beside
 * it; the CLI hands a directory-backed run over before it gets here, so
 * reaching these functions means a caller skipped that hand-off. */
#include "directory/internal.h"

int dir_conn_open(dir_conn **out, const cpuu_ldap_settings *s)
{
	*out = NULL;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: this executable has no LDAP client; "
						  "directory work runs in cpuu-admin (installed beside cpuu)",
			      s && s->url ? s->url : "directory");
}

void dir_conn_close(dir_conn *c)
{
	(void)c;
}

int dir_conn_search(dir_conn *c, const char *base, const char *filter,
		    const char *const *attrs, dir_entry_cb cb, void *user)
{
	(void)c, (void)base, (void)filter, (void)attrs, (void)cb, (void)user;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "no LDAP client in this executable (use cpuu-admin)");
}

int dir_conn_add_values(int *exists, dir_conn *c, const char *dn, const char *attr,
			const char *const *vals, size_t count)
{
	(void)c, (void)dn, (void)attr, (void)vals, (void)count;
	*exists = 0;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "no LDAP client in this executable (use cpuu-admin)");
}
