/* Small helpers for the cmocka programs: temporary folders, whole-file I/O,
 * copies of the read-only real hives. Include after cmocka's prerequisites. */
#ifndef CPUU_TESTUTIL_H
#define CPUU_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit code that CTest counts as "skipped". */
#define TEST_SKIP_EXIT 77

/* A fresh empty folder under $TMPDIR (or /tmp); removed by test_tmpdir_remove. */
char *test_tmpdir(const char *tag);
void test_tmpdir_remove(char *dir); /* rm -rf and free */
/* dir + "/" + name, malloc'ed. */
char *test_path(const char *dir, const char *name);

/* Whole-file read (NULL if unreadable) and write (0 on success). */
uint8_t *test_read_file(const char *path, size_t *len);
int test_write_file(const char *path, const void *data, size_t len);
int test_copy_file(const char *from, const char *to);
/* 1 if both files exist and are byte-identical. */
int test_files_equal(const char *a, const char *b);

/* Path of a real hive in ../shared/real-hives (e.g. "win7pro-NTUSER.DAT"),
 * or NULL if that folder is absent. */
char *test_real_hive(const char *name);

#endif
