/* The user's files that a profile names (the OST), offline: Windows paths
 * from the registry mapped into the user's folder. Those paths are data: a
 * path that is not under "X:\Users\<name>\" or that climbs out with ".." is
 * refused, so nothing outside the user folder is ever touched. */
#include "update/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

char *upd_local_path(const char *user_dir, const char *windows_path)
{
	const char *p = windows_path;
	if (!user_dir || !p || !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) || p[1] != ':' ||
	    strncasecmp(p + 2, "\\Users\\", 7) != 0)
		return NULL;
	p += 9;
	const char *rest = strchr(p, '\\');
	if (!rest || rest == p || !rest[1])
		return NULL;
	rest++;
	/* Every component must be a plain name. */
	for (const char *c = rest; *c;) {
		size_t n = strcspn(c, "\\/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		c += n;
		if (*c)
			c++;
	}
	char *out = cpuu_aprintf("%s/%s", user_dir, rest);
	if (!out)
		return NULL;
	for (char *c = out + strlen(user_dir) + 1; *c; c++)
		if (*c == '\\')
			*c = '/';
	return out;
}

int upd_rename_if(const char *from, const char *to)
{
	struct stat st;
	if (stat(from, &st) != 0)
		return 0;
	if (stat(to, &st) == 0)
		return 0;
	if (rename(from, to) != 0)
		return cpuu_error_set(CPUU_EIO, "cannot rename %s to %s: %s", from, to, strerror(errno));
	return 1;
}
