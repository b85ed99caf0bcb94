/* File operations of the hand-over, POSIX half first, Windows half after. */
#include "autocomplete/internal.h"

#include <errno.h>
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

#ifndef _WIN32
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ac_fs_is_file(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return cpuu_error_set(CPUU_EIO, "%s: %s", path, strerror(errno));
	}
	if (S_ISREG(st.st_mode))
		return 1;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "%s is a %s, not a plain file: refused", path,
			      S_ISLNK(st.st_mode) ? "symbolic link" : "special file or folder");
}

int ac_fs_is_dir(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return cpuu_error_set(CPUU_EIO, "%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return 1;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "%s is a %s, not a folder: refused", path,
			      S_ISLNK(st.st_mode) ? "symbolic link" : "file");
}

int ac_fs_list(ac_dirent_list *out, const char *dir)
{
	memset(out, 0, sizeof *out);
	DIR *d = opendir(dir);
	if (!d)
		return cpuu_error_set(CPUU_EIO, "%s: cannot list: %s", dir, strerror(errno));
	struct dirent *e;
	int rc = CPUU_OK;
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

int ac_fs_read(uint8_t **out, size_t *len, const char *path, size_t max)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return cpuu_error_set(cpuu_error_of_errno(errno, CPUU_ERRNO_READ), "%s: cannot open: %s", path,
				      strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: not a plain file of at most %zu bytes", path, max);
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
			return cpuu_error_set(CPUU_EIO, "%s: read failed: %s", path, strerror(e));
		}
		done += (size_t)r;
	}
	close(fd);
	*out = b;
	*len = n;
	return CPUU_OK;
}

int ac_fs_write_temp(char **tmp, const char *final_path, const uint8_t *data, size_t len)
{
	int rc = cpuu_file_write_temp(tmp, final_path, data, len, CPUU_FILE_SHARED);
	if (!rc && cpuu_fault("autocomplete:write")) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		rc = cpuu_error_set(CPUU_EIO, "%s: write failed: injected fault", final_path);
	}
	return rc;
}

int ac_fs_rename(const char *from, const char *to)
{
	if (cpuu_fault("autocomplete:rename"))
		return cpuu_error_set(CPUU_EIO, "cannot rename %s to %s: injected fault", from, to);
	if (rename(from, to) != 0)
		return cpuu_error_set(CPUU_EIO, "cannot rename %s to %s: %s", from, to, strerror(errno));
	return CPUU_OK;
}

int ac_fs_unlink(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		return cpuu_error_set(CPUU_EIO, "cannot delete %s: %s", path, strerror(errno));
	return CPUU_OK;
}

void ac_fs_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd); /* some filesystems cannot: nothing already renamed is lost */
		close(fd);
	}
}

#else
#include <windows.h>

static int win_attr(DWORD *attr, const char *path)
{
	*attr = GetFileAttributesA(path);
	if (*attr == INVALID_FILE_ATTRIBUTES) {
		DWORD e = GetLastError();
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return 0;
		return cpuu_error_set(CPUU_EIO, "%s: Windows error %lu", path, (unsigned long)e);
	}
	if (*attr & FILE_ATTRIBUTE_REPARSE_POINT)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s is a link (reparse point): refused", path);
	return 1;
}

int ac_fs_is_file(const char *path)
{
	DWORD a;
	int rc = win_attr(&a, path);
	if (rc <= 0)
		return rc;
	if (a & FILE_ATTRIBUTE_DIRECTORY)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s is a folder, not a file: refused", path);
	return 1;
}

int ac_fs_is_dir(const char *path)
{
	DWORD a;
	int rc = win_attr(&a, path);
	if (rc <= 0)
		return rc;
	if (!(a & FILE_ATTRIBUTE_DIRECTORY))
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s is a file, not a folder: refused", path);
	return 1;
}

int ac_fs_list(ac_dirent_list *out, const char *dir)
{
	memset(out, 0, sizeof *out);
	char *pat = cpuu_aprintf("%s\\*", dir);
	if (!pat)
		return cpuu_error_oom();
	WIN32_FIND_DATAA fd;
	HANDLE h = FindFirstFileA(pat, &fd);
	free(pat);
	if (h == INVALID_HANDLE_VALUE)
		return cpuu_error_set(CPUU_EIO, "%s: cannot list (Windows error %lu)", dir,
				      (unsigned long)GetLastError());
	int rc = CPUU_OK;
	do {
		if (strcmp(fd.cFileName, ".") && strcmp(fd.cFileName, ".."))
			rc = list_add(out, fd.cFileName);
	} while (rc == CPUU_OK && FindNextFileA(h, &fd));
	FindClose(h);
	if (rc < 0)
		ac_fs_list_free(out);
	return rc;
}

int ac_fs_read(uint8_t **out, size_t *len, const char *path, size_t max)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return cpuu_error_set(CPUU_EIO, "%s: cannot open: %s", path, strerror(errno));
	cpuu_buf b = { 0 };
	uint8_t chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		cpuu_buf_append(&b, chunk, n);
		if (b.len > max)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err || b.len > max) {
		cpuu_buf_dispose(&b);
		return cpuu_error_set(err ? CPUU_EIO : CPUU_EUNSUPPORTED, "%s: %s", path,
				      err ? "read failed" : "file too large");
	}
	size_t got = 0;
	char *p = cpuu_buf_detach(&b, &got);
	if (!p)
		return CPUU_ENOMEM;
	*out = (uint8_t *)p;
	*len = got;
	return CPUU_OK;
}

int ac_fs_write_temp(char **tmp, const char *final_path, const uint8_t *data, size_t len)
{
	HANDLE f = INVALID_HANDLE_VALUE;
	*tmp = NULL;
	for (unsigned n = 0; n < 100 && f == INVALID_HANDLE_VALUE; n++) {
		free(*tmp);
		*tmp = cpuu_aprintf("%s.tmp.%lu.%u", final_path, (unsigned long)GetCurrentProcessId(), n);
		if (!*tmp)
			return cpuu_error_oom();
		f = CreateFileA(*tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
		if (f == INVALID_HANDLE_VALUE && GetLastError() != ERROR_FILE_EXISTS)
			break;
	}
	DWORD e = f == INVALID_HANDLE_VALUE ? GetLastError() : 0;
	size_t done = 0;
	while (!e && done < len) {
		DWORD chunk = len - done > 0x40000000u ? 0x40000000u : (DWORD)(len - done), w = 0;
		if (!WriteFile(f, data + done, chunk, &w, NULL))
			e = GetLastError();
		else
			done += w;
	}
	if (f != INVALID_HANDLE_VALUE) {
		if (!e && !FlushFileBuffers(f))
			e = GetLastError();
		CloseHandle(f);
	}
	if (e) {
		if (f != INVALID_HANDLE_VALUE)
			DeleteFileA(*tmp);
		free(*tmp);
		*tmp = NULL;
		return cpuu_error_set(CPUU_EIO, "%s: write failed (Windows error %lu)", final_path, (unsigned long)e);
	}
	return CPUU_OK;
}

int ac_fs_rename(const char *from, const char *to)
{
	if (!MoveFileExA(from, to, MOVEFILE_WRITE_THROUGH))
		return cpuu_error_set(CPUU_EIO, "cannot rename %s to %s (Windows error %lu)", from, to,
				      (unsigned long)GetLastError());
	return CPUU_OK;
}

int ac_fs_unlink(const char *path)
{
	if (!DeleteFileA(path) && GetLastError() != ERROR_FILE_NOT_FOUND)
		return cpuu_error_set(CPUU_EIO, "cannot delete %s (Windows error %lu)", path,
				      (unsigned long)GetLastError());
	return CPUU_OK;
}

void ac_fs_sync_dir(const char *dir)
{
	(void)dir; /* MOVEFILE_WRITE_THROUGH already made the rename durable */
}
#endif
