/* The LDAP backend of the Windows build. Until it is written over wldap32
 * (issue 6, item 3), directory lookups report CPUU_EUNSUPPORTED there and
 * Windows runs take their correspondence from a mapping file
 * (`cpuu map export` on Linux). */
#include "directory/internal.h"

int dir_conn_open(dir_conn **out, const cpuu_ldap_settings *s)
{
	(void)s;
	*out = NULL;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "LDAP lookups are not in the Windows build yet: "
				 "use a mapping file ([Mapping] File or --mapping)");
}

void dir_conn_close(dir_conn *c)
{
	(void)c;
}

int dir_conn_search(dir_conn *c, const char *base, const char *filter,
		    const char *const *attrs, dir_entry_cb cb, void *user)
{
	(void)c;
	(void)base;
	(void)filter;
	(void)attrs;
	(void)cb;
	(void)user;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "LDAP lookups are not in the Windows build yet");
}

int dir_conn_add_values(int *exists, dir_conn *c, const char *dn, const char *attr,
			const char *const *vals, size_t count)
{
	(void)c;
	(void)dn;
	(void)attr;
	(void)vals;
	(void)count;
	if (exists)
		*exists = 0;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "LDAP changes are not in the Windows build yet");
}
