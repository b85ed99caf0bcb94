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
#include <fcntl.h>
#include <unistd.h>

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

/* local's path relative to base, or NULL when local is not below it. */
static const char *rel_in(const char *base, const char *local)
{
	size_t n = base ? strlen(base) : 0;
	if (!n || strncmp(local, base, n) || local[n] != '/' || !local[n + 1])
		return NULL;
	return local + n + 1;
}

int upd_rename_if(const char *base, const char *from, const char *to)
{
	const char *rf = rel_in(base, from), *rt = rel_in(base, to);
	if (!rf || !rt)
		return cpuu_error_set(CPUU_EINVALID, "%s: not inside %s", rf ? to : from, base ? base : "the user folder");
	/* Every component resolved without following a link (a link on the
	 * way is refused); the target is never replaced. */
	int rc = cpuu_file_rename_beneath(base, rf, rt, CPUU_FILE_NOREPLACE);
	if (rc == CPUU_ENOTFOUND || rc == CPUU_EEXISTS) {
		cpuu_error_clear();
		return 0;
	}
	return rc ? rc : 1;
}

int upd_unlink_in(const char *base, const char *local)
{
	const char *rel = rel_in(base, local);
	if (!rel)
		return cpuu_error_set(CPUU_EINVALID, "%s: not inside %s", local, base ? base : "the user folder");
	int rc = cpuu_file_unlink_beneath(base, rel);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	return rc;
}

int upd_exists_in(const char *base, const char *local)
{
	const char *rel = rel_in(base, local);
	if (!rel)
		return cpuu_error_set(CPUU_EINVALID, "%s: not inside %s", local, base ? base : "the user folder");
#ifndef _WIN32
	unsigned mode = 0;
	int found = cpuu_file_mode_beneath(&mode, base, rel);
	if (found > 0 && S_ISLNK(mode))
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: a link; left alone (never followed out of the user folder)",
				      local);
	return found;
#else
	return cpuu_win32_exists_beneath(base, rel);
#endif
}

DIR *upd_opendir_in(const char *base, const char *local)
{
	const char *rel = rel_in(base, local);
	if (!rel)
		return NULL;
#ifndef _WIN32
	int fd = -1;
	if (cpuu_file_open_beneath(&fd, base, rel, O_RDONLY | O_DIRECTORY, 0))
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
#else
	return opendir(local);
#endif
}
