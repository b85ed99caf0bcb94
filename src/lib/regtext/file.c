/* .reg files on disk: written UTF-16LE with a BOM, atomically. */
#include "regtext/internal.h"
#include "cpuu/unicode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

/* Largest .reg file we read: far above any profile export. */
#define MAX_FILE_BYTES (256u * 1024 * 1024)

#ifndef _WIN32
/* POSIX: temp file in the same folder, fsync, rename over the target, fsync
 * the folder, so a crash leaves the old file or the new one, never half. */
static int write_atomic(const char *path, const uint8_t *data, size_t len, int sync)
{
	char *tmp = cpuu_aprintf("%s.tmp.XXXXXX", path);
	if (!tmp)
		return cpuu_error_oom();
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return cpuu_error_set(e == EACCES || e == EROFS ? CPUU_EREADONLY : CPUU_EIO,
				      "%s: cannot create a temporary file: %s", path, strerror(e));
	}
	size_t done = 0;
	int e = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		done += (size_t)w;
	}
	if (!e && sync && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e) {
		unlink(tmp);
		free(tmp);
		return cpuu_error_set(CPUU_EIO, "%s: write failed: %s", path, strerror(e));
	}
	free(tmp);
	if (!sync)
		return CPUU_OK; /* the caller syncs the filesystem once for many files */
	/* Make the rename itself durable; failure here loses nothing already renamed. */
	char *dir = cpuu_strdup(path);
	if (dir) {
		char *slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		int dfd = open(slash ? dir : ".", O_RDONLY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	return CPUU_OK;
}
#else
static int write_atomic(const char *path, const uint8_t *data, size_t len, int sync)
{
	(void)sync; /* always written through on Windows */
	return cpuu_win32_write_atomic(path, data, len);
}
#endif

int cpuu_regtext_write_file(const char *path, const cpuu_regtext *doc)
{
	return cpuu_regtext_write_file_ex(path, doc, 0);
}

int cpuu_regtext_write_file_ex(const char *path, const cpuu_regtext *doc, unsigned flags)
{
	if (!path)
		return cpuu_error_set(CPUU_EINVALID, "no file name");
	char *text = NULL;
	size_t tl = 0;
	int rc = cpuu_regtext_format(&text, &tl, doc);
	if (rc)
		return cpuu_error_prefix("%s", path);
	uint8_t *u16 = NULL;
	size_t ul = 0;
	rc = cpuu_utf8n_to_utf16le(&u16, &ul, text, tl, 0);
	free(text);
	if (rc)
		return cpuu_error_prefix("%s", path);
	uint8_t *out = malloc(ul + 2);
	if (!out) {
		free(u16);
		return cpuu_error_oom();
	}
	out[0] = 0xFF;
	out[1] = 0xFE;
	memcpy(out + 2, u16, ul);
	free(u16);
	rc = write_atomic(path, out, ul + 2, !(flags & CPUU_REGTEXT_NO_SYNC));
	free(out);
	return rc;
}

int cpuu_regtext_read_file(cpuu_regtext **out, const char *path)
{
	*out = NULL;
	if (!path)
		return cpuu_error_set(CPUU_EINVALID, "no file name");
	FILE *f = fopen(path, "rb");
	if (!f)
		return cpuu_error_set(errno == ENOENT ? CPUU_ENOTFOUND : CPUU_EIO, "%s: %s", path, strerror(errno));
	cpuu_buf b = { 0 };
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > MAX_FILE_BYTES) {
			fclose(f);
			cpuu_buf_dispose(&b);
			return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: larger than %u bytes", path, MAX_FILE_BYTES);
		}
		cpuu_buf_append(&b, chunk, n);
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		cpuu_buf_dispose(&b);
		return cpuu_error_set(CPUU_EIO, "%s: read error", path);
	}
	size_t len = 0;
	char *data = cpuu_buf_detach(&b, &len);
	if (!data)
		return CPUU_ENOMEM;
	int rc = cpuu_regtext_parse(out, (const uint8_t *)data, len);
	free(data);
	if (rc)
		return cpuu_error_prefix("%s", path);
	return CPUU_OK;
}
