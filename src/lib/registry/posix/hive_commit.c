/* Atomic commit of a hive: hivex writes a temp file in the same folder
 * (hivex_commit itself truncates and rewrites in place, without fsync), we
 * fsync it, keep the original as a backup, rename over, fsync the folder.
 * Until the rename the original is untouched; any failure removes the temp.
 * POSIX calls of the sequence live here and in hive_fs.c. */
#include "registry/hive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int io_error(int e, const char *fmt_path, const char *what)
{
	int code = cpuu_error_of_errno(e, CPUU_ERRNO_WRITE);
	return cpuu_error_set(code, "%s: %s: %s", fmt_path, what, e ? strerror(e) : "unknown error");
}

static int full_pread(int fd, uint8_t *buf, size_t n, off_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static int full_pwrite(int fd, const uint8_t *buf, size_t n, off_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pwrite(fd, buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* hivex stores the plain XOR as checksum, Windows expects 1 / 0xFFFFFFFE
 * for an XOR of 0 / 0xFFFFFFFF. Nudging the last-written timestamp by 100 ns
 * moves the XOR out of those two cases, so both readers agree. */
static int fix_checksum(int fd)
{
	uint8_t b[512];
	if (full_pread(fd, b, sizeof b, 0) != 0)
		return -1;
	uint32_t x = cpuu_hive_xor(b);
	if (x != 0 && x != 0xFFFFFFFFu)
		return 0;
	cpuu_put_le32(b + 12, cpuu_le32(b + 12) ^ 1u);
	cpuu_put_le32(b + 508, cpuu_hive_xor(b));
	return full_pwrite(fd, b, sizeof b, 0);
}

/* Phase 1: the new hive in a temp file beside the original; with sync, made
 * durable. The original is untouched; hi->prepared holds the temp path. */
static int commit_prepare(hive_impl *hi, const cpuu_reg_commit_opts *opts, int sync)
{
	free(hi->last_backup);
	hi->last_backup = NULL;
	hive_cache_clear(&hi->cache); /* node handles are only trusted until the file changes */
	if (hi->prepared)
		return cpuu_error_set(CPUU_EINVALID, "%s: a commit is already prepared", hi->path);
	if (!cpuu_hive_is_dirty(hi))
		return CPUU_OK;
	if (hi->broken)
		return cpuu_error_set(CPUU_ERROR, "%s: an earlier hivex failure left the in-memory hive inconsistent; "
				      "refusing to write it (the file is unchanged)", hi->path);

	cpuu_file_id now;
	if (cpuu_fs_stat(&now, hi->path) != 0)
		return io_error(errno, hi->path, "cannot stat the hive before commit");
	if (now.dev != hi->id.dev || now.ino != hi->id.ino || now.size != hi->id.size ||
	    now.mtime_sec != hi->id.mtime_sec || now.mtime_nsec != hi->id.mtime_nsec)
		return cpuu_error_set(CPUU_EIO, "%s: the file changed on disk since it was opened; refusing to overwrite it",
				      hi->path);
	int rc = cpuu_fs_check_writable(hi->path);
	if (rc)
		return rc;
	if ((rc = cpuu_hive_flush(hi)))
		return rc;

	/* One temp name per hive: a temp left by a commit that never finished
	 * (killed between writing and renaming) is found without listing the
	 * folder, and goes. A commit of the same hive running in another process
	 * would find its temp gone and fail with the hive untouched. */
	char *dir = cpuu_fs_dirname(hi->path), *base = cpuu_fs_basename(hi->path);
	char *tmp = dir && base ? cpuu_aprintf("%s/.%s.cpuu-tmp", dir, base) : NULL;
	int fd = -1;
	free(dir);
	free(base);
	if (!tmp)
		return cpuu_error_oom();
	unlink(tmp);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = io_error(errno, hi->path, "cannot create a temp file in its folder");
		free(tmp);
		return rc;
	}
	errno = 0;
	if (cpuu_fault("commit:write") ? (errno = ENOSPC, 1) : hivex_commit(hi->h, tmp, 0) != 0) {
		rc = io_error(errno, hi->path, "cannot write the new hive to a temp file");
		goto fail;
	}
	/* hivex reopened the path by name: make sure it is still our file. */
	struct stat st_fd, st_path;
	if (fstat(fd, &st_fd) != 0 || lstat(tmp, &st_path) != 0 || st_fd.st_ino != st_path.st_ino ||
	    st_fd.st_dev != st_path.st_dev) {
		rc = cpuu_error_set(CPUU_EIO, "%s: temp file '%s' was replaced while writing", hi->path, tmp);
		goto fail;
	}
	if (fix_checksum(fd) != 0) {
		rc = io_error(errno, hi->path, "cannot finish the temp file header");
		goto fail;
	}
	if (fchmod(fd, (mode_t)hi->id.mode) != 0) {
		rc = io_error(errno, hi->path, "cannot set the mode of the temp file");
		goto fail;
	}
	if ((long)st_fd.st_uid != hi->id.uid || (long)st_fd.st_gid != hi->id.gid) {
		/* Best effort: only root can give the file back to its owner. */
		if (fchown(fd, (uid_t)hi->id.uid, (gid_t)hi->id.gid) != 0 && errno != EPERM) {
			rc = io_error(errno, hi->path, "cannot set the owner of the temp file");
			goto fail;
		}
	}
	if (!sync)
		cpuu_file_start_writeback(fd); /* the batch's fsync comes later */
	if (sync && (cpuu_fault("commit:fsync") ? (errno = EIO, 1) : fsync(fd) != 0)) {
		rc = io_error(errno, hi->path, "cannot fsync the temp file");
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = io_error(errno, hi->path, "cannot close the temp file");
		goto fail;
	}
	hi->prepared = tmp;
	hi->prepared_backup = !(opts && opts->no_backup);
	hi->prepared_backup_path = opts && opts->backup_path ? cpuu_strdup(opts->backup_path) : NULL;
	return CPUU_OK;

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return rc;
}

static void prepared_clear(hive_impl *hi)
{
	free(hi->prepared);
	free(hi->prepared_backup_path);
	hi->prepared = NULL;
	hi->prepared_backup_path = NULL;
	hi->prepared_backup = 0;
}

/* Phase 2: keep the original as a backup if asked, rename the temp over it;
 * with sync, fsync the folder so the rename survives a crash. */
static int commit_finish(hive_impl *hi, int sync)
{
	if (!hi->prepared)
		return CPUU_OK;
	char *made = NULL, *dir = cpuu_fs_dirname(hi->path);
	int rc = CPUU_OK;
	if (!dir) {
		rc = cpuu_error_oom();
		goto fail;
	}
	if (hi->prepared_backup) {
		char *bbase = hi->prepared_backup_path ? cpuu_strdup(hi->prepared_backup_path)
						       : cpuu_aprintf("%s.cpuu-bak", hi->path);
		if (!bbase) {
			rc = cpuu_error_oom();
			goto fail;
		}
		rc = cpuu_fs_backup(&made, hi->path, bbase);
		free(bbase);
		if (rc)
			goto fail;
	}
	if (cpuu_fault("commit:rename") ? (errno = EIO, 1) : rename(hi->prepared, hi->path) != 0) {
		rc = io_error(errno, hi->path, "cannot replace the hive with the new file");
		if (made) {
			unlink(made);
			free(made);
			made = NULL;
		}
		goto fail;
	}
	prepared_clear(hi);
	hi->structural = 0;
	hi->last_backup = made;
	if (cpuu_fs_stat(&hi->id, hi->path) != 0)
		memset(&hi->id, 0, sizeof hi->id);
	if (sync && (cpuu_fault("commit:dirsync") ? (errno = EIO, 1) : cpuu_fs_fsync_dir(dir) != 0))
		rc = io_error(errno, hi->path, "changes written, but fsync of the folder failed");
	free(dir);
	return rc;

fail:
	unlink(hi->prepared);
	prepared_clear(hi);
	free(made);
	free(dir);
	return rc;
}

int cpuu_hive_commit(void *impl, const cpuu_reg_commit_opts *opts)
{
	hive_impl *hi = impl;
	int rc = commit_prepare(hi, opts, 1);
	return rc ? rc : commit_finish(hi, 1);
}

int cpuu_hive_commit_prepare(void *impl, const cpuu_reg_commit_opts *opts)
{
	return commit_prepare(impl, opts, 0);
}

int cpuu_hive_commit_flush(void *impl)
{
	hive_impl *hi = impl;
	if (!hi->prepared)
		return CPUU_OK;
	int fd = open(hi->prepared, O_RDONLY | O_CLOEXEC);
	int e = 0;
	if (fd < 0 || (cpuu_fault("commit:fsync") ? (errno = EIO, 1) : fsync(fd) != 0))
		e = errno;
	if (fd >= 0)
		close(fd);
	return e ? io_error(e, hi->path, "cannot fsync the temp file") : CPUU_OK;
}

int cpuu_hive_commit_finish(void *impl)
{
	return commit_finish(impl, 0);
}

void cpuu_hive_commit_abort(void *impl)
{
	hive_impl *hi = impl;
	if (hi->prepared)
		unlink(hi->prepared);
	prepared_clear(hi);
}
