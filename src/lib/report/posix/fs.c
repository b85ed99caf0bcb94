/* The POSIX calls of the report module (realpath, stat, readdir, mkstemp,
 * fsync, rename), kept apart from the portable code. */
#include "report/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *report_abspath(const char *path)
{
	char *p = realpath(path, NULL);
	if (!p)
		cpuu_error_set(errno == ENOMEM ? CPUU_ENOMEM : CPUU_ENOTFOUND, "%s: %s", path, strerror(errno));
	return p;
}

int report_stat(const char *path, int *is_dir, int64_t *mtime, int64_t *size)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return cpuu_error_set(cpuu_error_of_errno(errno, CPUU_ERRNO_READ), "%s: %s", path, strerror(errno));
	*is_dir = S_ISDIR(st.st_mode);
	*mtime = (int64_t)st.st_mtime;
	*size = (int64_t)st.st_size;
	return CPUU_OK;
}

int report_read_from(char **data, size_t *len, int64_t *mtime, int64_t *size, unsigned char *head,
		     size_t *head_len, const char *path, int64_t from)
{
	*data = NULL;
	*len = *head_len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return cpuu_error_set(cpuu_error_of_errno(errno, CPUU_ERRNO_READ), "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cpuu_error_set(CPUU_EIO, "not a regular file");
	}
	int rc = CPUU_OK;
	ssize_t h;
	while ((h = pread(fd, head, REPORT_HEAD_BYTES, 0)) < 0 && errno == EINTR)
		;
	if (h < 0)
		rc = cpuu_error_set(CPUU_EIO, "%s", strerror(errno));
	else
		*head_len = (size_t)h;
	if (from < 0 || from > (int64_t)st.st_size)
		from = 0;
	/* The size may change under us (a writer appending): read to EOF. */
	size_t cap = (size_t)(st.st_size - from) + 1, n = 0;
	char *buf = rc ? NULL : malloc(cap);
	if (!rc && lseek(fd, (off_t)from, SEEK_SET) < 0)
		rc = cpuu_error_set(CPUU_EIO, "%s", strerror(errno));
	while (!rc) {
		if (!buf) {
			rc = cpuu_error_oom();
			break;
		}
		if (n == cap) {
			char *g = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap *= 2);
			if (!g) {
				free(buf);
				buf = NULL;
				continue;
			}
			buf = g;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cpuu_error_set(CPUU_EIO, "%s", strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	*mtime = (int64_t)st.st_mtime;
	*size = (int64_t)st.st_size;
	return CPUU_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static int walk(report_file_list *out, const char *dir, int depth)
{
	if (depth > 32)
		return cpuu_error_set(CPUU_EINVALID, "%s: folders nested too deep", dir);
	DIR *d = opendir(dir);
	if (!d)
		return cpuu_error_set(cpuu_error_of_errno(errno, CPUU_ERRNO_READ), "%s: %s", dir, strerror(errno));
	cpuu_strlist names = { 0 };
	struct dirent *e;
	int rc = CPUU_OK;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files (editors' and rsync's temporaries) */
		if ((rc = cpuu_strlist_add(&names, e->d_name)))
			break;
	}
	closedir(d);
	if (names.count)
		qsort(names.items, names.count, sizeof *names.items, cmp_str);
	for (size_t i = 0; !rc && i < names.count; i++) {
		char *p = cpuu_aprintf("%s/%s", dir, names.items[i]);
		if (!p) {
			rc = cpuu_error_oom();
			break;
		}
		struct stat st;
		/* lstat: a symlink loop in a share must not send us round forever. */
		if (lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = walk(out, p, depth + 1);
			else if (S_ISREG(st.st_mode) && ends_with(p, ".jsonl"))
				rc = report_file_list_add(out, p,
							  &(report_file_seen){ .mtime = (int64_t)st.st_mtime,
									       .size = (int64_t)st.st_size });
		}
		free(p);
	}
	cpuu_strlist_free(&names);
	return rc;
}

int report_list_jsonl(report_file_list *out, const char *dir)
{
	return walk(out, dir, 0);
}

int report_write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return cpuu_error_set(CPUU_EIO, "%s: %s", dir, strerror(errno));
	char *tmp = cpuu_aprintf("%s/.%s.XXXXXX", dir, name);
	char *dst = cpuu_aprintf("%s/%s", dir, name);
	if (!tmp || !dst) {
		free(tmp);
		free(dst);
		return cpuu_error_oom();
	}
	int rc = CPUU_OK;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = cpuu_error_set(CPUU_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = cpuu_error_set(CPUU_EIO, "%s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (!rc && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
		rc = cpuu_error_set(CPUU_EIO, "%s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = cpuu_error_set(CPUU_EIO, "%s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, dst) != 0)
		rc = cpuu_error_set(CPUU_EIO, "%s: %s", dst, strerror(errno));
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	free(dst);
	return rc;
}
