#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *test_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *test_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/cpuu-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

void test_tmpdir_remove(char *dir)
{
	if (!dir)
		return;
	char cmd[4200];
	/* Tests may leave read-only files or folders behind on purpose. */
	snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
	free(dir);
}

uint8_t *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		uint8_t *g = realloc(buf, cap *= 2);
		if (!g) {
			free(buf);
			buf = NULL;
		} else {
			buf = g;
		}
	}
	fclose(f);
	if (buf && len)
		*len = n;
	return buf;
}

int test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int rc = fwrite(data, 1, len, f) == len ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int test_copy_file(const char *from, const char *to)
{
	size_t n;
	uint8_t *d = test_read_file(from, &n);
	if (!d)
		return -1;
	int rc = test_write_file(to, d, n);
	free(d);
	if (rc == 0)
		chmod(to, 0644); /* the shared originals are read-only */
	return rc;
}

int test_files_equal(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *da = test_read_file(a, &na), *db = test_read_file(b, &nb);
	int eq = da && db && na == nb && memcmp(da, db, na) == 0;
	free(da);
	free(db);
	return eq;
}

char *test_real_hive(const char *name)
{
	char *dir = test_path(CPUU_SHARED_DIR, "real-hives");
	char *p = dir ? test_path(dir, name) : NULL;
	free(dir);
	if (p && access(p, R_OK) != 0) {
		free(p);
		return NULL;
	}
	return p;
}
