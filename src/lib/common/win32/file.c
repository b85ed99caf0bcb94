/* Windows side of the atomic file replacement (the POSIX side is
 * mkstemp + fsync + rename in each writer). */
#include "common/internal.h"

#include <stdlib.h>
#include <windows.h>

int cpuu_win32_write_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = NULL;
	HANDLE f = INVALID_HANDLE_VALUE;
	DWORD e = 0;
	for (unsigned n = 0; n < 100 && f == INVALID_HANDLE_VALUE; n++) {
		free(tmp);
		tmp = cpuu_aprintf("%s.tmp.%lu.%u", path, (unsigned long)GetCurrentProcessId(), n);
		if (!tmp)
			return cpuu_error_oom();
		f = CreateFileA(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
		e = f == INVALID_HANDLE_VALUE ? GetLastError() : 0;
		if (e && e != ERROR_FILE_EXISTS && e != ERROR_ALREADY_EXISTS)
			break;
	}
	if (f == INVALID_HANDLE_VALUE) {
		free(tmp);
		return cpuu_error_set(e == ERROR_ACCESS_DENIED || e == ERROR_WRITE_PROTECT ? CPUU_EREADONLY : CPUU_EIO,
				      "%s: cannot create a temporary file next to it (Windows error %lu)", path,
				      (unsigned long)e);
	}
	const char *p = data;
	size_t done = 0;
	while (!e && done < len) {
		DWORD chunk = len - done > 0x40000000u ? 0x40000000u : (DWORD)(len - done), w = 0;
		if (!WriteFile(f, p + done, chunk, &w, NULL))
			e = GetLastError();
		else
			done += w;
	}
	if (!e && !FlushFileBuffers(f))
		e = GetLastError();
	if (!CloseHandle(f) && !e)
		e = GetLastError();
	if (!e && !MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		e = GetLastError();
	if (e) {
		DeleteFileA(tmp);
		free(tmp);
		return cpuu_error_set(e == ERROR_ACCESS_DENIED || e == ERROR_WRITE_PROTECT ? CPUU_EREADONLY : CPUU_EIO,
				      "%s: write failed (Windows error %lu)", path, (unsigned long)e);
	}
	free(tmp);
	return CPUU_OK;
}

/* Windows writes through (FlushFileBuffers, MOVEFILE_WRITE_THROUGH) whatever
 * the flags say; the file keeps the folder's inherited ACL. */
int cpuu_file_write_atomic(const char *path, const void *data, size_t len, unsigned flags)
{
	(void)flags;
	return cpuu_win32_write_atomic(path, data, len);
}

/* ---- Files beneath a user folder, Windows side (common/internal.h).
 * Windows has no openat: each component of the path is checked not to be
 * a reparse point (symbolic link, junction, mount point) before the
 * operation, which then uses the whole path. A user who can swap a
 * component for a junction between the check and the use still wins that
 * race; creating symbolic links needs a privilege users lack by default,
 * and the live run works in the user's own profile, as that user. ---- */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <string.h>

static int reparse_or_missing(const char *path, int *missing)
{
	DWORD a = GetFileAttributesA(path);
	*missing = a == INVALID_FILE_ATTRIBUTES;
	return !*missing && (a & FILE_ATTRIBUTE_REPARSE_POINT);
}

/* base\rel with every component checked; *full for the caller to free. */
static int win_beneath(char **full, const char *base, const char *rel, int last_may_be_missing)
{
	*full = NULL;
	if (!rel || !*rel || rel[0] == '/' || rel[0] == '\\' || strchr(rel, ':'))
		return cpuu_error_set(CPUU_EINVALID, "%s: '%s' is not a path inside the folder", base, rel ? rel : "");
	int missing;
	if (reparse_or_missing(base, &missing))
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: is a link or junction; refused", base);
	if (missing)
		return cpuu_error_set(CPUU_ENOTFOUND, "%s: no such folder", base);
	size_t blen = strlen(base), rlen = strlen(rel);
	char *p = malloc(blen + rlen + 2);
	if (!p)
		return cpuu_error_oom();
	memcpy(p, base, blen);
	size_t at = blen;
	for (const char *c = rel; *c;) {
		const char *end = c;
		while (*end && *end != '/' && *end != '\\')
			end++;
		size_t n = (size_t)(end - c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			free(p);
			return cpuu_error_set(CPUU_EINVALID, "%s: '%s' is not a plain path inside the folder", base, rel);
		}
		p[at++] = '\\';
		memcpy(p + at, c, n);
		at += n;
		p[at] = '\0';
		int last = *end == '\0';
		if (reparse_or_missing(p, &missing)) {
			free(p);
			return cpuu_error_set(CPUU_EUNSUPPORTED, "%s\\%s: refused: a component is a link or junction; files "
					      "in a user folder are never reached through links", base, rel);
		}
		if (missing && !(last && last_may_be_missing)) {
			free(p);
			return cpuu_error_set(CPUU_ENOTFOUND, "%s\\%s: no such file or folder", base, rel);
		}
		c = *end ? end + 1 : end;
	}
	*full = p;
	return CPUU_OK;
}

static int win_err(DWORD e, const char *base, const char *rel, const char *what)
{
	if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
		return cpuu_error_set(CPUU_ENOTFOUND, "%s\\%s: no such file or folder", base, rel);
	if (e == ERROR_ALREADY_EXISTS || e == ERROR_FILE_EXISTS)
		return cpuu_error_set(CPUU_EEXISTS, "%s\\%s: exists already", base, rel);
	return cpuu_error_set(e == ERROR_ACCESS_DENIED || e == ERROR_WRITE_PROTECT ? CPUU_EREADONLY : CPUU_EIO,
			      "%s\\%s: cannot %s (Windows error %lu)", base, rel, what, (unsigned long)e);
}

int cpuu_file_open_beneath(int *fd, const char *base, const char *rel, int flags, unsigned mode)
{
	*fd = -1;
	char *full;
	int rc = win_beneath(&full, base, rel, (flags & _O_CREAT) != 0);
	if (rc)
		return rc;
	*fd = _open(full, flags | _O_BINARY | _O_NOINHERIT, (int)mode);
	int e = errno;
	free(full);
	if (*fd < 0) {
		if (e == ENOENT)
			return cpuu_error_set(CPUU_ENOTFOUND, "%s\\%s: no such file", base, rel);
		if (e == EEXIST)
			return cpuu_error_set(CPUU_EEXISTS, "%s\\%s: exists already", base, rel);
		return cpuu_error_set(e == EACCES ? CPUU_EREADONLY : CPUU_EIO, "%s\\%s: cannot open: %s", base, rel,
				      strerror(e));
	}
	return CPUU_OK;
}

int cpuu_file_rename_beneath(const char *base, const char *from, const char *to, unsigned flags)
{
	char *f, *t;
	int rc = win_beneath(&f, base, from, 0);
	if (rc)
		return rc;
	if ((rc = win_beneath(&t, base, to, 1))) {
		free(f);
		return rc;
	}
	DWORD how = MOVEFILE_WRITE_THROUGH | ((flags & CPUU_FILE_NOREPLACE) ? 0 : MOVEFILE_REPLACE_EXISTING);
	BOOL ok = MoveFileExA(f, t, how);
	DWORD e = ok ? 0 : GetLastError();
	free(f);
	free(t);
	return ok ? CPUU_OK : win_err(e, base, from, "rename");
}

int cpuu_file_unlink_beneath(const char *base, const char *rel)
{
	char *full;
	int rc = win_beneath(&full, base, rel, 0);
	if (rc)
		return rc;
	BOOL ok = DeleteFileA(full);
	DWORD e = ok ? 0 : GetLastError();
	free(full);
	return ok ? CPUU_OK : win_err(e, base, rel, "remove");
}

int cpuu_file_mkdir_beneath(const char *base, const char *rel, unsigned mode)
{
	(void)mode; /* the folder inherits its parent's ACL */
	char *full;
	int rc = win_beneath(&full, base, rel, 1);
	if (rc)
		return rc;
	BOOL ok = CreateDirectoryA(full, NULL);
	DWORD e = ok ? 0 : GetLastError();
	free(full);
	return ok ? CPUU_OK : win_err(e, base, rel, "create");
}

int cpuu_win32_exists_beneath(const char *base, const char *rel)
{
	char *full;
	int rc = win_beneath(&full, base, rel, 1);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	int found = GetFileAttributesA(full) != INVALID_FILE_ATTRIBUTES;
	free(full);
	return found;
}
