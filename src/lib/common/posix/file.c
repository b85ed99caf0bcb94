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
	int fd = open(dir, O_RDONLY | O_CLOEXEC);
	int rc = CPUU_OK;
	/* Some filesystems cannot fsync a folder; that is not a failure of ours. */
	if (fd >= 0 && fsync(fd) != 0 && errno != EINVAL && errno != EBADF)
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
