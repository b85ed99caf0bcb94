/* POSIX-only file operations of the hive backend (stat, access, fsync of a
 * folder, backups by hard link or copy). The Windows build replaces this
 * file; nothing else in the registry module calls POSIX directly except the
 * commit sequence in hive_commit.c. */
#include "registry/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void id_of(cpuu_file_id *id, const struct stat *st)
{
	memset(id, 0, sizeof *id);
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	id->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
	id->ctime_sec = (int64_t)st->st_ctim.tv_sec;
	id->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
	id->mode = (unsigned)st->st_mode & 07777u;
	id->uid = (long)st->st_uid;
	id->gid = (long)st->st_gid;
	id->regular = S_ISREG(st->st_mode) ? 1 : 0;
}

int cpuu_fs_stat(cpuu_file_id *id, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	id_of(id, &st);
	return 0;
}

int cpuu_fs_fstat(cpuu_file_id *id, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -1;
	id_of(id, &st);
	return 0;
}

int cpuu_fs_fstatat(cpuu_file_id *id, int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	id_of(id, &st);
	return 0;
}

int cpuu_fs_same_version(const cpuu_file_id *a, const cpuu_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec && a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

int cpuu_fs_open_folder_of(int *dirfd, const char *resolved, const char *given)
{
	*dirfd = -1;
	char *dir = cpuu_fs_dirname(resolved);
	if (!dir)
		return cpuu_error_oom();
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	free(dir);
	if (fd < 0) {
		if (e == ENOENT || e == ENOTDIR)
			return cpuu_error_set(CPUU_ENOTFOUND, "%s: no such file", given);
		if (e == ELOOP)
			return cpuu_error_set(CPUU_EINVALID, "%s: its folder was replaced by a link while opening", given);
		return cpuu_error_set(CPUU_EIO, "%s: cannot open its folder: %s", given, strerror(e));
	}
	*dirfd = fd;
	return CPUU_OK;
}

int cpuu_fs_open_in(int *fd, int dirfd, const char *name, const char *given)
{
	*fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return cpuu_error_set(CPUU_ENOTFOUND, "%s: no such file", given);
		if (e == ELOOP)
			return cpuu_error_set(CPUU_EINVALID, "%s: is a symbolic link now (it was not when resolved); refusing it",
					      given);
		return cpuu_error_set(CPUU_EIO, "%s: cannot read: %s", given, strerror(e));
	}
	struct stat st;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return cpuu_error_set(CPUU_EINVALID, "%s: not a regular file", given);
	}
	return CPUU_OK;
}

char *cpuu_fs_fd_path(int fd)
{
#ifdef __linux__
	static int have_proc = -1;
	if (have_proc < 0)
		have_proc = access("/proc/self/fd", X_OK) == 0;
	if (have_proc)
		return cpuu_aprintf("/proc/self/fd/%d", fd);
#else
	(void)fd;
#endif
	return NULL;
}

char *cpuu_fs_realpath(const char *path)
{
	char *r = realpath(path, NULL);
	return r ? r : cpuu_strdup(path);
}

char *cpuu_fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return cpuu_strdup(".");
	if (slash == path)
		return cpuu_strdup("/");
	return cpuu_strndup(path, (size_t)(slash - path));
}

char *cpuu_fs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return cpuu_strdup(slash ? slash + 1 : path);
}

/* access() is honest for root too in the cases that matter here: an
 * immutable file (chattr +i) gives EPERM and a read-only mount EROFS. */
int cpuu_fs_check_writable(const char *path)
{
	if (access(path, W_OK) != 0) {
		int e = errno;
		if (e == ENOENT)
			return cpuu_error_set(CPUU_ENOTFOUND, "%s: no such file", path);
		return cpuu_error_set(CPUU_EREADONLY, "%s: not writable: %s", path, strerror(e));
	}
	char *dir = cpuu_fs_dirname(path);
	if (!dir)
		return cpuu_error_oom();
	int rc = CPUU_OK;
	if (access(dir, W_OK | X_OK) != 0) {
		int e = errno;
		rc = cpuu_error_set(CPUU_EREADONLY, "%s: folder '%s' is not writable (needed for the temp file and backup): %s",
				    path, dir, strerror(e));
	}
	free(dir);
	return rc;
}

int cpuu_fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	/* Some filesystems cannot fsync a folder; that is not a failure of ours. */
	if (r != 0 && (e == EINVAL || e == EBADF))
		return 0;
	return r;
}

int cpuu_sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cpuu_error_set(CPUU_EIO, "%s: cannot open to sync it: %s", path, strerror(errno));
	int r = fsync(fd);
	int e = errno;
	close(fd);
	/* Some filesystems cannot fsync a folder; that is not a failure of ours. */
	if (r != 0 && e != EINVAL && e != EBADF)
		return cpuu_error_set(CPUU_EIO, "%s: cannot sync: %s", path, strerror(e));
	return CPUU_OK;
}

static int copy_exclusive(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	struct stat st;
	if (fstat(in, &st) != 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	char buf[65536];
	int ok = 1;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ok = 0;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				ok = 0;
				break;
			}
			off += w;
		}
		if (!ok)
			break;
	}
	if (ok && fsync(out) != 0)
		ok = 0;
	int e = errno;
	close(in);
	if (close(out) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(dst);
		errno = e;
		return -1;
	}
	return 0;
}

int cpuu_fs_backup(char **made, const char *src, const char *base)
{
	*made = NULL;
	for (unsigned i = 0; i < 10000; i++) {
		char *cand = i ? cpuu_aprintf("%s.%u", base, i) : cpuu_strdup(base);
		if (!cand)
			return cpuu_error_oom();
		/* link() is atomic, costs no space and fails if cand exists. */
		if (link(src, cand) == 0) {
			*made = cand;
			return CPUU_OK;
		}
		int e = errno;
		if (e == EEXIST) {
			free(cand);
			continue;
		}
		if (e == EPERM || e == EXDEV || e == EMLINK || e == ENOSYS || e == EOPNOTSUPP) {
			if (copy_exclusive(src, cand) == 0) {
				/* The copy's name must be durable before the hive
				 * that it backs up is replaced. */
				char *bdir = cpuu_fs_dirname(cand);
				if (!bdir || cpuu_fs_fsync_dir(bdir) != 0) {
					int de = bdir ? errno : ENOMEM;
					unlink(cand);
					int rc = cpuu_error_set(CPUU_EIO, "%s: backup '%s' made, but its folder could not be "
								"synced: %s", src, cand, strerror(de));
					free(bdir);
					free(cand);
					return rc;
				}
				free(bdir);
				*made = cand;
				return CPUU_OK;
			}
			e = errno;
			if (e == EEXIST) {
				free(cand);
				continue;
			}
		}
		int code = cpuu_error_of_errno(e, CPUU_ERRNO_WRITE);
		int rc = cpuu_error_set(code, "%s: cannot make backup '%s': %s", src, cand, strerror(e));
		free(cand);
		return rc;
	}
	return cpuu_error_set(CPUU_EIO, "%s: too many backups named '%s.N' already", src, base);
}
