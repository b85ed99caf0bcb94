/* Atomic file replacement, POSIX side (the Windows side is file_win32.c):
 * a temp file in the same folder, written, fsynced, renamed over the target,
 * and the folder fsynced, so a crash leaves the old file or the new one,
 * never half of one. Every writer of outside-facing files goes through here. */
#ifndef _WIN32
#ifdef __linux__
#define _GNU_SOURCE /* sync_file_range */
#endif
#include "common/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Starts writing a file's data to disk without waiting. A batch starts every
 * file first and then fsyncs them one after the other: the filesystem
 * allocates all blocks at once, so the first journal commit carries the whole
 * batch and the later fsyncs find their data already on the way. */
void cpuu_file_start_writeback(int fd)
{
#ifdef __linux__
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* advisory: the fsync that follows checks */
#else
	(void)fd;
#endif
}

int cpuu_file_write_temp(char **tmp, const char *path, const void *data, size_t len, unsigned flags)
{
	*tmp = cpuu_aprintf("%s.tmp.XXXXXX", path);
	if (!*tmp)
		return cpuu_error_oom();
	int fd = mkstemp(*tmp);
	if (fd < 0) {
		int e = errno;
		free(*tmp);
		*tmp = NULL;
		return cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE), "%s: cannot create a temporary file next to it: %s", path, strerror(e));
	}
	const char *p = data;
	size_t done = 0;
	int e = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		done += (size_t)w;
	}
	/* mkstemp makes 0600 (right for backups); shared files are world-readable. */
	if (!e && (flags & CPUU_FILE_SHARED) && fchmod(fd, 0644) != 0)
		e = errno;
	if (!e && !(flags & CPUU_FILE_NO_SYNC) && fsync(fd) != 0)
		e = errno;
	if (!e && (flags & CPUU_FILE_NO_SYNC))
		cpuu_file_start_writeback(fd);
	if (close(fd) != 0 && !e)
		e = errno;
	if (e) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE), "%s: write failed: %s", path, strerror(e));
	}
	return CPUU_OK;
}

int cpuu_file_sync_folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? cpuu_strndup(path, (size_t)(slash - path) + (slash == path)) : cpuu_strdup(".");
	if (!dir)
		return cpuu_error_oom();
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = CPUU_OK;
	/* A folder that cannot even be opened was not synced: a failure, never
	 * a silent success. Some filesystems cannot fsync a folder (EINVAL,
	 * EBADF); that is not a failure of ours. */
	if (fd < 0)
		rc = cpuu_error_set(CPUU_EIO, "%s: the folder could not be opened to sync it: %s", dir, strerror(errno));
	else if (fsync(fd) != 0 && errno != EINVAL && errno != EBADF)
		rc = cpuu_error_set(CPUU_EIO, "%s: the folder could not be synced: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int cpuu_file_write_atomic(const char *path, const void *data, size_t len, unsigned flags)
{
	char *tmp = NULL;
	int rc = cpuu_file_write_temp(&tmp, path, data, len, flags);
	if (rc)
		return rc;
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		return cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE), "%s: cannot replace it: %s", path, strerror(e));
	}
	free(tmp);
	/* Make the rename itself durable; a failure here loses nothing renamed. */
	return flags & CPUU_FILE_NO_SYNC ? CPUU_OK : cpuu_file_sync_folder_of(path);
}
#endif

/* ---- Files beneath a user folder (docs/registry.md, "No name trusted
 * twice"). Each component below the base is resolved without following
 * links: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the kernel
 * has it (Linux 5.6), else openat(O_NOFOLLOW | O_DIRECTORY) one component
 * at a time. Nothing is ever reached through a link, a "..", or an absolute
 * path, whoever owns the folder. ---- */
#ifndef _WIN32
#include <sys/syscall.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

static int portable_only;

void cpuu_file_beneath_portable(int on)
{
	portable_only = on;
}

static int beneath_errno(int e, const char *base, const char *rel, const char *what)
{
	if (e == ENOENT)
		return cpuu_error_set(CPUU_ENOTFOUND, "%s/%s: no such file or folder", base, rel);
	if (e == ELOOP || e == EXDEV || e == ENOTDIR)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s/%s: %s refused: a component is a link (or not a folder); "
				      "files in a user folder are never reached through links", base, rel, what);
	return cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE), "%s/%s: cannot %s: %s", base, rel, what, strerror(e));
}

/* Checks rel: relative, no "..", no empty name; *leaf gets its last part. */
static int rel_ok(const char *base, const char *rel, const char **leaf)
{
	if (!rel || !*rel || rel[0] == '/')
		return cpuu_error_set(CPUU_EINVALID, "%s: '%s' is not a path inside the folder", base, rel ? rel : "");
	const char *p = rel, *last = rel;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
			return cpuu_error_set(CPUU_EINVALID, "%s: '%s' is not a plain path inside the folder (empty, '.' "
					      "or '..' component)", base, rel);
		last = p;
		p += n;
		if (*p == '/')
			p++;
	}
	if (rel[strlen(rel) - 1] == '/')
		return cpuu_error_set(CPUU_EINVALID, "%s: '%s' ends with '/'", base, rel);
	*leaf = last;
	return CPUU_OK;
}

int cpuu_file_mode_beneath(unsigned *mode, const char *base, const char *rel)
{
	const char *leaf;
	int d, rc = cpuu_file_dir_beneath(&d, &leaf, base, rel);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	struct stat st;
	int r = fstatat(d, leaf, &st, AT_SYMLINK_NOFOLLOW), e = errno;
	close(d);
	if (r != 0)
		return e == ENOENT || e == ENOTDIR ? 0 : cpuu_error_set(CPUU_EIO, "%s/%s: %s", base, rel, strerror(e));
	*mode = (unsigned)st.st_mode;
	return 1;
}

int cpuu_file_dir_beneath(int *dirfd, const char **leaf, const char *base, const char *rel)
{
	*dirfd = -1;
	int rc = rel_ok(base, rel, leaf);
	if (rc)
		return rc;
	int d = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0) {
		int e = errno;
		if (e == ENOENT)
			return cpuu_error_set(CPUU_ENOTFOUND, "%s: no such folder", base);
		if (e == ELOOP || e == ENOTDIR)
			return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: is a link or not a folder; refused", base);
		return cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE), "%s: cannot open the folder: %s", base, strerror(e));
	}
	size_t plen = (size_t)(*leaf - rel);
	if (plen == 0) {
		*dirfd = d;
		return CPUU_OK;
	}
	char *parent = cpuu_strndup(rel, plen - 1);
	if (!parent) {
		close(d);
		return cpuu_error_oom();
	}
#if defined(__linux__) && defined(SYS_openat2)
	if (!portable_only) {
		struct open_how how;
		memset(&how, 0, sizeof how);
		how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
		long r = syscall(SYS_openat2, d, parent, &how, sizeof how);
		if (r >= 0 || (errno != ENOSYS && errno != EPERM)) {
			int e = errno;
			close(d);
			if (r < 0) {
				rc = beneath_errno(e, base, parent, "opening");
				free(parent);
				return rc;
			}
			free(parent);
			*dirfd = (int)r;
			return CPUU_OK;
		}
		/* ENOSYS: an older kernel; EPERM: a seccomp filter. Component by
		 * component below. */
	}
#endif
	for (char *p = parent; *p;) {
		char *end = strchr(p, '/');
		if (end)
			*end = '\0';
		int nd = openat(d, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(d);
		if (nd < 0) {
			if (end)
				*end = '/';
			rc = beneath_errno(e, base, parent, "opening");
			free(parent);
			return rc;
		}
		d = nd;
		if (!end)
			break;
		*end = '/';
		p = end + 1;
	}
	free(parent);
	*dirfd = d;
	return CPUU_OK;
}

int cpuu_file_open_beneath(int *fd, const char *base, const char *rel, int flags, unsigned mode)
{
	*fd = -1;
	const char *leaf;
	int d, rc = cpuu_file_dir_beneath(&d, &leaf, base, rel);
	if (rc)
		return rc;
	*fd = openat(d, leaf, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
	int e = errno;
	close(d);
	if (*fd < 0)
		return beneath_errno(e, base, rel, "opening");
	return CPUU_OK;
}

int cpuu_file_rename_beneath(const char *base, const char *from, const char *to, unsigned flags)
{
	const char *lf, *lt;
	int df, dt, rc = cpuu_file_dir_beneath(&df, &lf, base, from);
	if (rc)
		return rc;
	if ((rc = cpuu_file_dir_beneath(&dt, &lt, base, to))) {
		close(df);
		return rc;
	}
	int r;
#if defined(__linux__) && defined(SYS_renameat2)
	if (flags & CPUU_FILE_NOREPLACE) {
		r = (int)syscall(SYS_renameat2, df, lf, dt, lt, 1u /* RENAME_NOREPLACE */);
		if (r != 0 && errno == EINVAL) /* a filesystem without it: link + unlink, never replacing */
			r = linkat(df, lf, dt, lt, 0) == 0 ? unlinkat(df, lf, 0) : -1;
	} else
#endif
		if (flags & CPUU_FILE_NOREPLACE)
		r = linkat(df, lf, dt, lt, 0) == 0 ? unlinkat(df, lf, 0) : -1;
	else
		r = renameat(df, lf, dt, lt);
	int e = errno;
	close(df);
	close(dt);
	if (r != 0) {
		if (e == EEXIST)
			return cpuu_error_set(CPUU_EEXISTS, "%s/%s: exists already; not replaced", base, to);
		return beneath_errno(e, base, from, "renaming");
	}
	return CPUU_OK;
}

int cpuu_file_unlink_beneath(const char *base, const char *rel)
{
	const char *leaf;
	int d, rc = cpuu_file_dir_beneath(&d, &leaf, base, rel);
	if (rc)
		return rc;
	int r = unlinkat(d, leaf, 0), e = errno;
	close(d);
	return r == 0 ? CPUU_OK : beneath_errno(e, base, rel, "removing");
}

int cpuu_file_mkdir_beneath(const char *base, const char *rel, unsigned mode)
{
	const char *leaf;
	int d, rc = cpuu_file_dir_beneath(&d, &leaf, base, rel);
	if (rc)
		return rc;
	int r = mkdirat(d, leaf, (mode_t)mode), e = errno;
	close(d);
	if (r != 0 && e == EEXIST)
		return cpuu_error_set(CPUU_EEXISTS, "%s/%s: exists already", base, rel);
	return r == 0 ? CPUU_OK : beneath_errno(e, base, rel, "creating");
}
#endif

#ifndef _WIN32
/* A new file that never replaces anything (backups, issue 16 item 3): the
 * data goes to a synced temp file, which is then hard-linked to the first
 * free name of base, base.1, base.2, ... (link() fails rather than replace,
 * atomically, also on NFS), and the temp name removed. */
int cpuu_file_write_new(char **made, const char *base, const void *data, size_t len, unsigned flags)
{
	*made = NULL;
	char *tmp = NULL;
	int rc = cpuu_file_write_temp(&tmp, base, data, len, flags);
	if (rc)
		return rc;
	for (unsigned i = 0; i < 10000 && !rc; i++) {
		char *cand = i ? cpuu_aprintf("%s.%u", base, i) : cpuu_strdup(base);
		if (!cand) {
			rc = cpuu_error_oom();
			break;
		}
		if (link(tmp, cand) == 0) {
			*made = cand;
			break;
		}
		int e = errno;
		free(cand);
		if (e != EEXIST)
			rc = cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE), "%s: cannot create it: %s", base, strerror(e));
	}
	unlink(tmp);
	free(tmp);
	if (!rc && !*made)
		rc = cpuu_error_set(CPUU_EIO, "%s: too many files named '%s.N' already", base, base);
	if (!rc && !(flags & CPUU_FILE_NO_SYNC) && (rc = cpuu_file_sync_folder_of(*made))) {
		unlink(*made);
		free(*made);
		*made = NULL;
	}
	return rc;
}
#endif
