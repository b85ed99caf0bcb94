/* Atomic commit of a hive: hivex writes a temp file in the same folder
 * (hivex_commit itself truncates and rewrites in place, without fsync), we
 * fsync it, keep the original as a backup, rename over, fsync the folder.
 * Until the rename the original is untouched; any failure removes the temp.
 *
 * No name is trusted twice (docs/registry.md, "Write path"): the temp file
 * is created with O_EXCL|O_NOFOLLOW relative to the folder descriptor taken
 * at open, hivex writes it through that descriptor ("/proc/self/fd/N"), and
 * the rename is a renameat within that folder, checked afterwards to have
 * put our file in place. The whole sequence runs under the hive's lock, and
 * a writer that is not cpuu (hivexsh) is caught both before the rename (the
 * file changed since it was read) and after it (it wrote between our check
 * and our rename: its version is put back and the commit fails). */
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

/* Some filesystems cannot fsync a folder (EINVAL, EBADF): nothing of ours
 * failed there. Anything else is reported. */
static int sync_folder(hive_impl *hi)
{
	errno = 0;
	if (cpuu_fault("commit:dirsync") ? (errno = EIO, 1) : fsync(hi->dirfd) != 0) {
		if (errno == EINVAL || errno == EBADF)
			return CPUU_OK;
		return io_error(errno, hi->path, "changes written, but fsync of the folder failed (they may not survive "
						 "a crash)");
	}
	return CPUU_OK;
}

static char *temp_name(const hive_impl *hi)
{
	return cpuu_aprintf(".%s.cpuu-tmp", hi->base);
}

/* A fresh temp file beside the hive. Under the lock a leftover of a killed
 * commit of this hive can only be ours, and goes. */
static int temp_create(int *fd, char **name, hive_impl *hi)
{
	*fd = -1;
	if (!(*name = temp_name(hi)))
		return cpuu_error_oom();
	(void)unlinkat(hi->dirfd, *name, 0);
	*fd = openat(hi->dirfd, *name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0) {
		int rc = io_error(errno, hi->path, "cannot create a temp file in its folder");
		free(*name);
		*name = NULL;
		return rc;
	}
	return CPUU_OK;
}

/* Checks that the hive in the folder is still the version we read. */
int cpuu_hive_unchanged(hive_impl *hi)
{
	cpuu_file_id by_name, by_fd;
	if (cpuu_fs_fstatat(&by_name, hi->dirfd, hi->base) != 0)
		return io_error(errno, hi->path, "cannot stat the hive before commit");
	if (cpuu_fs_fstat(&by_fd, hi->fd) != 0)
		return io_error(errno, hi->path, "cannot stat the hive before commit");
	if (!cpuu_fs_same_version(&by_name, &hi->id) || !cpuu_fs_same_version(&by_fd, &hi->id))
		return cpuu_error_set(CPUU_EIO, "%s: the file changed on disk since it was opened; refusing to overwrite it",
				      hi->path);
	return CPUU_OK;
}

/* Phase 1: the new hive in a temp file beside the original; with sync, made
 * durable. The original is untouched; hi->prepared holds the temp's name. */
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
	int rc = cpuu_hive_unchanged(hi);
	if (rc || (rc = cpuu_fs_check_writable(hi->path)))
		return rc;
	if ((rc = cpuu_hive_flush(hi)) || (rc = cpuu_hive_hivex(hi)))
		return rc;

	char *tmp = NULL;
	int fd = -1;
	if ((rc = temp_create(&fd, &tmp, hi)))
		return rc;
	/* hivex writes by path: the path of our descriptor, so whatever is
	 * swapped in at the temp's name meanwhile is never written through. */
	char *via = cpuu_fs_fd_path(fd), *by_name = NULL;
	if (!via) {
		char *dir = cpuu_fs_dirname(hi->path);
		by_name = dir ? cpuu_aprintf("%s/%s", dir, tmp) : NULL;
		free(dir);
		if (!by_name) {
			rc = cpuu_error_oom();
			goto fail;
		}
	}
	cpuu_hive_raw_drop(hi); /* hivex_commit rewrites its header */
	errno = 0;
	if (cpuu_fault("commit:write") ? (errno = ENOSPC, 1) : hivex_commit(hi->h, via ? via : by_name, 0) != 0) {
		rc = io_error(errno, hi->path, "cannot write the new hive to a temp file");
		goto fail;
	}
	struct stat st_fd;
	if (fstat(fd, &st_fd) != 0) {
		rc = io_error(errno, hi->path, "cannot stat the temp file");
		goto fail;
	}
	if (!via) {
		/* Written by name (no /proc): make sure it went to our file. */
		struct stat st_path;
		if (fstatat(hi->dirfd, tmp, &st_path, AT_SYMLINK_NOFOLLOW) != 0 || st_fd.st_ino != st_path.st_ino ||
		    st_fd.st_dev != st_path.st_dev || st_fd.st_size == 0) {
			rc = cpuu_error_set(CPUU_EIO, "%s: temp file '%s' was replaced while writing", hi->path, tmp);
			goto fail;
		}
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
	free(via);
	free(by_name);
	hi->prepared = tmp;
	hi->prepared_fd = fd;
	hi->prepared_backup = !(opts && opts->no_backup);
	hi->prepared_backup_path = opts && opts->backup_path ? cpuu_strdup(opts->backup_path) : NULL;
	return CPUU_OK;

fail:
	free(via);
	free(by_name);
	if (fd >= 0)
		close(fd);
	unlinkat(hi->dirfd, tmp, 0);
	free(tmp);
	return rc;
}

static void prepared_clear(hive_impl *hi)
{
	if (hi->prepared_fd >= 0)
		close(hi->prepared_fd);
	hi->prepared_fd = -1;
	free(hi->prepared);
	free(hi->prepared_backup_path);
	hi->prepared = NULL;
	hi->prepared_backup_path = NULL;
	hi->prepared_backup = 0;
}

static int copy_fd(int to, int from, uint64_t size)
{
	uint8_t buf[65536];
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		if (full_pread(from, buf, n, (off_t)off) != 0 || full_pwrite(to, buf, n, (off_t)off) != 0)
			return -1;
		off += n;
	}
	return 0;
}

/* Puts a copy of the open file src in place of the hive (temp, fsync,
 * renameat, checked): the way back when the folder or the file was
 * tampered with around our rename. 0 when the copy is in place; -1 when src
 * is not a whole hive or the folder would not take it. */
static int place_copy(hive_impl *hi, int src, int *placed_fd)
{
	cpuu_file_id id;
	if (cpuu_fs_fstat(&id, src) != 0)
		return -1;
	char *tmp = NULL;
	int fd = -1;
	if (temp_create(&fd, &tmp, hi))
		return -1;
	cpuu_hive_header hdr;
	cpuu_file_id placed, mine;
	int ok = copy_fd(fd, src, id.size) == 0 && cpuu_hive_validate(&hdr, fd, hi->path) == CPUU_OK &&
		 cpuu_hive_check_fd(fd, id.size, hi->path) == CPUU_OK && fchmod(fd, (mode_t)id.mode) == 0 &&
		 fsync(fd) == 0 && renameat(hi->dirfd, tmp, hi->dirfd, hi->base) == 0;
	if (ok)
		ok = cpuu_fs_fstatat(&placed, hi->dirfd, hi->base) == 0 && cpuu_fs_fstat(&mine, fd) == 0 &&
		     placed.dev == mine.dev && placed.ino == mine.ino;
	else
		unlinkat(hi->dirfd, tmp, 0);
	free(tmp);
	if (ok) {
		(void)sync_folder(hi);
		if (placed_fd) {
			*placed_fd = fd;
			return 0;
		}
	}
	close(fd);
	return ok ? 0 : -1;
}

/* Phase 2: keep the original as a backup if asked, rename the temp over it;
 * with sync, fsync the folder so the rename survives a crash. */
static int commit_finish(hive_impl *hi, int sync)
{
	if (!hi->prepared)
		return CPUU_OK;
	char *made = NULL;
	int rc = CPUU_OK;
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
	/* The temp's name must still be our file (a link swapped in there
	 * would be renamed into the hive's place). */
	cpuu_file_id named, ours;
	if (cpuu_fs_fstatat(&named, hi->dirfd, hi->prepared) != 0 || cpuu_fs_fstat(&ours, hi->prepared_fd) != 0 ||
	    named.dev != ours.dev || named.ino != ours.ino) {
		rc = cpuu_error_set(CPUU_EIO, "%s: the temp file '%s' was replaced in the folder before the rename; "
				    "the hive is unchanged", hi->path, hi->prepared);
		goto fail;
	}
	if (cpuu_fault("commit:rename") ? (errno = EIO, 1)
					 : renameat(hi->dirfd, hi->prepared, hi->dirfd, hi->base) != 0) {
		rc = io_error(errno, hi->path, "cannot replace the hive with the new file");
		if (made) {
			unlink(made);
			free(made);
			made = NULL;
		}
		goto fail;
	}
	/* What the rename put in place must be our file: a name swapped in the
	 * folder between that check and the rename is caught here. */
	cpuu_file_id placed, old;
	int ok = cpuu_fs_fstatat(&placed, hi->dirfd, hi->base) == 0 && cpuu_fs_fstat(&ours, hi->prepared_fd) == 0;
	int ours_placed = ok && placed.dev == ours.dev && placed.ino == ours.ino;
	int old_same = cpuu_fs_fstat(&old, hi->fd) == 0 && old.size == hi->id.size &&
		       old.mtime_sec == hi->id.mtime_sec && old.mtime_nsec == hi->id.mtime_nsec;
	int fd_new = hi->prepared_fd;
	hi->prepared_fd = -1;
	prepared_clear(hi);
	hi->structural = 0;
	hi->last_backup = made;
	if (!ours_placed) {
		/* Something else went in at the hive's name: our version is
		 * written again, from our descriptor. */
		int again = -1;
		int placed_ok = place_copy(hi, fd_new, &again) == 0;
		close(fd_new);
		if (!placed_ok) {
			memset(&hi->id, 0, sizeof hi->id); /* no later commit trusts this folder */
			return cpuu_error_set(CPUU_EIO, "%s: the folder changed during the commit: the file at this name "
					      "is not the one cpuu wrote, and putting it back failed", hi->path);
		}
		fd_new = again;
		cpuu_fs_fstat(&ours, fd_new);
	}
	if (!old_same) {
		/* Another program (hivexsh and the like take no lock) wrote the
		 * old file between our check and our rename: its version would
		 * be lost behind ours. It is put back if it is a whole hive, and
		 * the commit fails as not written. */
		close(fd_new);
		memset(&hi->id, 0, sizeof hi->id);
		if (place_copy(hi, hi->fd, NULL) == 0)
			return cpuu_error_set(CPUU_EIO, "%s: another program wrote the hive while cpuu committed it; its "
					      "version was put back and this run's changes were not applied (run again)",
					      hi->path);
		return cpuu_error_set(CPUU_EIO, "%s: another program was writing the hive while cpuu committed it; "
				      "cpuu's version stays in place (the other write was incomplete)", hi->path);
	}
	/* From now on the new file is the version read: a later commit of this
	 * handle checks against it. */
	close(hi->fd);
	hi->fd = fd_new;
	hi->id = ours;
	if (sync)
		rc = sync_folder(hi);
	return rc;

fail:
	unlinkat(hi->dirfd, hi->prepared, 0);
	prepared_clear(hi);
	free(made);
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
	if (cpuu_fault("commit:fsync") ? (errno = EIO, 1) : fsync(hi->prepared_fd) != 0)
		return io_error(errno, hi->path, "cannot fsync the temp file");
	return CPUU_OK;
}

int cpuu_hive_commit_finish(void *impl)
{
	return commit_finish(impl, 0);
}

void cpuu_hive_commit_abort(void *impl)
{
	hive_impl *hi = impl;
	if (hi->prepared && hi->dirfd >= 0)
		unlinkat(hi->dirfd, hi->prepared, 0);
	prepared_clear(hi);
}
