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

int cpuu_fs_stat(cpuu_file_id *id, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	memset(id, 0, sizeof *id);
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = (uint64_t)st.st_size;
	id->mtime_sec = (int64_t)st.st_mtim.tv_sec;
	id->mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
	id->mode = (unsigned)st.st_mode & 07777u;
	id->uid = (long)st.st_uid;
	id->gid = (long)st.st_gid;
	id->regular = S_ISREG(st.st_mode) ? 1 : 0;
	return 0;
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
				char *bdir = cpuu_fs_dirname(cand);
				if (bdir)
					cpuu_fs_fsync_dir(bdir);
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
