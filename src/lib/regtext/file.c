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

int cpuu_regtext_write_file(const char *path, const cpuu_regtext *doc)
{
	return cpuu_regtext_write_file_ex(path, doc, 0);
}

int cpuu_regtext_write_file_ex(const char *path, const cpuu_regtext *doc, unsigned flags)
{
	if (!path)
		return cpuu_error_set(CPUU_EINVALID, "no file name");
	uint8_t *out = NULL;
	size_t ul = 0;
	int rc = cpuu_regtext_format_utf16le(&out, &ul, doc);
	if (rc)
		return cpuu_error_prefix("%s", path);
	rc = cpuu_file_write_atomic(path, out, ul, flags & CPUU_REGTEXT_NO_SYNC ? CPUU_FILE_NO_SYNC : 0);
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
		return cpuu_error_set(cpuu_error_of_errno(errno, CPUU_ERRNO_READ), "%s: %s", path, strerror(errno));
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
