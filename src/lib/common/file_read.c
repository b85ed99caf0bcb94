/* The bounded whole-file reader (common/internal.h): inputs such as
 * --config and --mapping are read only when they are regular files of a
 * sane size, so /dev/zero, a FIFO or a multi-gigabyte file named by
 * mistake is refused with a message instead of blocking or eating memory. */
#include "common/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#define open _open
#define close _close
#define fstat _fstat64
#define stat_t struct _stat64
#ifndef S_ISREG
#define S_ISREG(m) (((m) & _S_IFMT) == _S_IFREG)
#endif
#define OPEN_FLAGS (_O_RDONLY | _O_BINARY | _O_NOINHERIT)
#else
#include <unistd.h>
#define stat_t struct stat
/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
#endif

int cpuu_file_open_bounded(FILE **f, uint64_t *size, const char *path, size_t limit)
{
	*f = NULL;
	*size = 0;
	int fd = open(path, OPEN_FLAGS);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return cpuu_error_set(CPUU_ENOTFOUND, "%s: no such file", path);
		return cpuu_error_set(CPUU_EIO, "%s: cannot open: %s", path, strerror(e));
	}
	stat_t st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return cpuu_error_set(CPUU_EIO, "%s: cannot stat: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cpuu_error_set(CPUU_EINVALID, "%s: not a regular file (a folder, FIFO or device); refusing to read it",
				      path);
	}
	if ((uint64_t)st.st_size > (uint64_t)limit) {
		close(fd);
		return cpuu_error_set(CPUU_EINVALID, "%s: %llu bytes, over the limit of %llu MB for this input; refusing to "
				      "read it", path, (unsigned long long)st.st_size,
				      (unsigned long long)(limit >> 20));
	}
#ifndef _WIN32
	/* Back to blocking reads for the regular file. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
#endif
	FILE *s = fdopen(fd, "rb");
	if (!s) {
		int e = errno;
		close(fd);
		return cpuu_error_set(CPUU_EIO, "%s: cannot open: %s", path, strerror(e));
	}
	*f = s;
	*size = (uint64_t)st.st_size;
	return CPUU_OK;
}

int cpuu_file_read_all(char **data, size_t *len, const char *path, size_t limit)
{
	*data = NULL;
	*len = 0;
	FILE *f;
	uint64_t size;
	int rc = cpuu_file_open_bounded(&f, &size, path, limit);
	if (rc)
		return rc;
	/* The size is a hint (the file may change while read); the limit is
	 * not: one byte more than allowed ends the read. */
	size_t cap = (size_t)size + 2, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1 || ferror(f))
			break;
		if (n > limit)
			break;
		size_t ncap = cap > limit / 2 ? limit + 2 : cap * 2;
		char *g = ncap > cap ? realloc(buf, ncap) : NULL;
		if (!g) {
			if (ncap > cap) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		buf = g;
		cap = ncap;
	}
	int err = ferror(f);
	fclose(f);
	if (!buf)
		return cpuu_error_oom();
	if (err) {
		free(buf);
		return cpuu_error_set(CPUU_EIO, "%s: read error", path);
	}
	if (n > limit) {
		free(buf);
		return cpuu_error_set(CPUU_EINVALID, "%s: grew over the limit of %llu MB while read; refusing it", path,
				      (unsigned long long)(limit >> 20));
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return CPUU_OK;
}
