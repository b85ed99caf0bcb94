/* File operations of the hand-over, POSIX half first, Windows half after.
 * Every path is a user folder (base, the administrator's) and a
 * '/'-separated rel inside it, resolved by the no-follow helpers of common
 * (cpuu_file_*_beneath): each component is opened without following a
 * link and every rename, create and unlink is relative to the descriptor
 * of the folder so opened, so a link swapped in by the folder's owner at
 * any moment is refused, never followed out of the folder (issue 16 item
 * 2; docs/update.md, "Links in user folders"). */
#include "autocomplete/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ac_fs_list_free(ac_dirent_list *l)
{
	for (size_t i = 0; l && i < l->count; i++)
		free(l->names[i]);
	if (l) {
		free(l->names);
		l->names = NULL;
		l->count = 0;
	}
}

static int list_add(ac_dirent_list *l, const char *name)
{
	char **n = cpuu_array_reserve(l->names, NULL, l->count + 1, sizeof *n);
	if (!n)
		return cpuu_error_oom();
	l->names = n;
	if (!(l->names[l->count] = cpuu_strdup(name)))
		return cpuu_error_oom();
	l->count++;
	return CPUU_OK;
}

int ac_fs_rename(const char *base, const char *from, const char *to, unsigned flags)
{
	if (cpuu_fault("autocomplete:rename"))
		return cpuu_error_set(CPUU_EIO, "cannot rename %s to %s: injected fault", from, to);
	return cpuu_file_rename_beneath(base, from, to, flags);
}

int ac_fs_unlink(const char *base, const char *rel)
{
	int rc = cpuu_file_unlink_beneath(base, rel);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	return rc;
}

#ifndef _WIN32
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 if rel is the kind wanted, 0 if missing; anything else is refused. */
static int is_kind(const char *base, const char *rel, unsigned want, const char *kind, const char *instead)
{
	unsigned m = 0;
	int rc = cpuu_file_mode_beneath(&m, base, rel);
	if (rc <= 0 || (m & S_IFMT) == want)
		return rc;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "%s/%s is a %s, not a %s: refused", base, rel,
			      S_ISLNK(m) ? "symbolic link" : instead, kind);
}

int ac_fs_is_file(const char *base, const char *rel)
{
	return is_kind(base, rel, S_IFREG, "plain file", "special file or folder");
}

int ac_fs_is_dir(const char *base, const char *rel)
{
	return is_kind(base, rel, S_IFDIR, "folder", "file");
}

int ac_fs_list(ac_dirent_list *out, const char *base, const char *rel)
{
	memset(out, 0, sizeof *out);
	int fd, rc = cpuu_file_open_beneath(&fd, base, rel, O_RDONLY | O_DIRECTORY, 0);
	if (rc)
		return rc;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return cpuu_error_set(CPUU_EIO, "%s/%s: cannot list: %s", base, rel, strerror(e));
	}
	struct dirent *e;
	while (rc == CPUU_OK && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rc = list_add(out, e->d_name);
	}
	closedir(d);
	if (rc < 0)
		ac_fs_list_free(out);
	return rc;
}

int ac_fs_read(uint8_t **out, size_t *len, const char *base, const char *rel, size_t max)
{
	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO put there never blocks the open. */
	int fd, rc = cpuu_file_open_beneath(&fd, base, rel, O_RDONLY | O_NONBLOCK, 0);
	if (rc)
		return rc;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s/%s: not a plain file of at most %zu bytes", base, rel, max);
	}
	size_t n = (size_t)st.st_size, done = 0;
	uint8_t *b = malloc(n ? n : 1);
	if (!b) {
		close(fd);
		return cpuu_error_oom();
	}
	while (done < n) {
		ssize_t r = read(fd, b + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(b);
			close(fd);
			return cpuu_error_set(CPUU_EIO, "%s/%s: read failed: %s", base, rel, strerror(e));
		}
		done += (size_t)r;
	}
	close(fd);
	*out = b;
	*len = n;
	return CPUU_OK;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		done += (size_t)w;
	}
	return fsync(fd) == 0 ? 0 : errno;
}

void ac_fs_sync_dir(const char *base, const char *rel)
{
	int fd;
	if (cpuu_file_open_beneath(&fd, base, rel, O_RDONLY | O_DIRECTORY, 0) == CPUU_OK) {
		fsync(fd); /* some filesystems cannot: nothing already renamed is lost */
		close(fd);
	} else {
		cpuu_error_clear();
	}
}

#define TEMP_MODE 0644 /* Outlook reads the hand-over as the user: world-readable as before */
#define OPEN_TEMP(fd, base, rel) cpuu_file_open_beneath(fd, base, rel, O_WRONLY | O_CREAT | O_EXCL, TEMP_MODE)
#define WRITE_TEMP(fd, data, len) write_all(fd, data, len)
#define CLOSE_TEMP(fd) close(fd)
#define ERR_TEXT(e) strerror(e)
#define PROCESS_ID() ((long)getpid())

#else
#include <io.h>
#include <sys/stat.h>
#include <windows.h>

/* Windows: every component is checked not to be a reparse point
 * (cpuu_win32_exists_beneath, the common helper), then the attributes of
 * the whole path say what it is. */
static int win_attr(DWORD *attr, const char *base, const char *rel)
{
	int rc = cpuu_win32_exists_beneath(base, rel);
	if (rc <= 0)
		return rc;
	char *path = cpuu_aprintf("%s\\%s", base, rel);
	if (!path)
		return cpuu_error_oom();
	for (char *c = path; *c; c++)
		if (*c == '/')
			*c = '\\';
	*attr = GetFileAttributesA(path);
	free(path);
	if (*attr == INVALID_FILE_ATTRIBUTES)
		return 0;
	if (*attr & FILE_ATTRIBUTE_REPARSE_POINT)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s\\%s is a link (reparse point): refused", base, rel);
	return 1;
}

int ac_fs_is_file(const char *base, const char *rel)
{
	DWORD a;
	int rc = win_attr(&a, base, rel);
	if (rc <= 0)
		return rc;
	if (a & FILE_ATTRIBUTE_DIRECTORY)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s\\%s is a folder, not a file: refused", base, rel);
	return 1;
}

int ac_fs_is_dir(const char *base, const char *rel)
{
	DWORD a;
	int rc = win_attr(&a, base, rel);
	if (rc <= 0)
		return rc;
	if (!(a & FILE_ATTRIBUTE_DIRECTORY))
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s\\%s is a file, not a folder: refused", base, rel);
	return 1;
}

int ac_fs_list(ac_dirent_list *out, const char *base, const char *rel)
{
	memset(out, 0, sizeof *out);
	int rc = ac_fs_is_dir(base, rel);
	if (rc <= 0)
		return rc < 0 ? rc : cpuu_error_set(CPUU_ENOTFOUND, "%s\\%s: no such folder", base, rel);
	char *pat = cpuu_aprintf("%s\\%s\\*", base, rel);
	if (!pat)
		return cpuu_error_oom();
	for (char *c = pat; *c; c++)
		if (*c == '/')
			*c = '\\';
	WIN32_FIND_DATAA fd;
	HANDLE h = FindFirstFileA(pat, &fd);
	free(pat);
	if (h == INVALID_HANDLE_VALUE)
		return cpuu_error_set(CPUU_EIO, "%s\\%s: cannot list (Windows error %lu)", base, rel,
				      (unsigned long)GetLastError());
	do {
		if (strcmp(fd.cFileName, ".") && strcmp(fd.cFileName, ".."))
			rc = list_add(out, fd.cFileName);
	} while (rc >= 0 && FindNextFileA(h, &fd));
	FindClose(h);
	if (rc < 0)
		ac_fs_list_free(out);
	return rc < 0 ? rc : CPUU_OK;
}

int ac_fs_read(uint8_t **out, size_t *len, const char *base, const char *rel, size_t max)
{
	*out = NULL;
	*len = 0;
	int fd, rc = cpuu_file_open_beneath(&fd, base, rel, _O_RDONLY, 0);
	if (rc)
		return rc;
	cpuu_buf b = { 0 };
	uint8_t chunk[65536];
	int n;
	while ((n = _read(fd, chunk, sizeof chunk)) > 0) {
		cpuu_buf_append(&b, chunk, (size_t)n);
		if (b.len > max)
			break;
	}
	_close(fd);
	if (n < 0 || b.len > max) {
		cpuu_buf_dispose(&b);
		return cpuu_error_set(n < 0 ? CPUU_EIO : CPUU_EUNSUPPORTED, "%s\\%s: %s", base, rel,
				      n < 0 ? "read failed" : "file too large");
	}
	size_t got = 0;
	char *p = cpuu_buf_detach(&b, &got);
	if (!p)
		return CPUU_ENOMEM;
	*out = (uint8_t *)p;
	*len = got;
	return CPUU_OK;
}

static int win_write_all(int fd, const uint8_t *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		unsigned chunk = len - done > 0x40000000u ? 0x40000000u : (unsigned)(len - done);
		int w = _write(fd, data + done, chunk);
		if (w <= 0)
			return w < 0 ? errno : EIO;
		done += (size_t)w;
	}
	return _commit(fd) == 0 ? 0 : errno;
}

void ac_fs_sync_dir(const char *base, const char *rel)
{
	(void)base; /* MOVEFILE_WRITE_THROUGH already made the rename durable */
	(void)rel;
}

#define OPEN_TEMP(fd, base, rel) \
	cpuu_file_open_beneath(fd, base, rel, _O_WRONLY | _O_CREAT | _O_EXCL, _S_IREAD | _S_IWRITE)
#define WRITE_TEMP(fd, data, len) win_write_all(fd, data, len)
#define CLOSE_TEMP(fd) _close(fd)
#define ERR_TEXT(e) strerror(e)
#define PROCESS_ID() ((long)GetCurrentProcessId())
#endif

/* A new file beside final_rel, created exclusively through the folder's
 * descriptor, written and synced; *tmp gets its rel. */
int ac_fs_write_temp(char **tmp, const char *base, const char *final_rel, const uint8_t *data, size_t len)
{
	*tmp = NULL;
	int fd = -1, rc = CPUU_EEXISTS;
	for (unsigned n = 0; n < 100 && rc == CPUU_EEXISTS; n++) {
		free(*tmp);
		if (!(*tmp = cpuu_aprintf("%s.tmp.%ld.%u", final_rel, PROCESS_ID(), n)))
			return cpuu_error_oom();
		rc = OPEN_TEMP(&fd, base, *tmp);
	}
	int e = rc ? 0 : WRITE_TEMP(fd, data, len);
	if (!rc)
		CLOSE_TEMP(fd);
	if (!rc && !e && cpuu_fault("autocomplete:write"))
		rc = cpuu_error_set(CPUU_EIO, "%s: write failed: injected fault", final_rel);
	else if (!rc && e)
		rc = cpuu_error_set(CPUU_EIO, "%s/%s: write failed: %s", base, final_rel, ERR_TEXT(e));
	if (rc) {
		if (fd >= 0)
			cpuu_file_unlink_beneath(base, *tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}
