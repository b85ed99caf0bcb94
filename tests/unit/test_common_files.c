/* File helpers of common: operations beneath a user folder never reach
 * through a link (with openat2 and with the component-by-component walk),
 * and the bounded reader refuses FIFOs, devices, folders and files over
 * its limit without blocking. Linux test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/internal.h"
#include "testutil.h"

typedef struct fx {
	char *root;    /* the test's folder */
	char *user;    /* root/user: the user folder */
	char *outside; /* root/outside: what links point at */
} fx;

static void put(const char *dir, const char *name, const char *text)
{
	char *p = test_path(dir, name);
	assert_int_equal(test_write_file(p, text, strlen(text)), 0);
	free(p);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->root = test_tmpdir("files");
	f->user = test_path(f->root, "user");
	f->outside = test_path(f->root, "outside");
	assert_int_equal(mkdir(f->user, 0755), 0);
	assert_int_equal(mkdir(f->outside, 0755), 0);
	put(f->outside, "secret", "outside");
	char *p = test_path(f->user, "AppData");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	put(f->user, "AppData/mail.ost", "ost");
	/* the attacks: a folder link and a file link inside the user folder */
	p = test_path(f->user, "Linked");
	assert_int_equal(symlink(f->outside, p), 0);
	free(p);
	p = test_path(f->user, "AppData/link.ost");
	char *target = test_path(f->outside, "secret");
	assert_int_equal(symlink(target, p), 0);
	free(target);
	free(p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	cpuu_file_beneath_portable(0);
	test_tmpdir_remove(f->root);
	free(f->user);
	free(f->outside);
	free(f);
	return 0;
}

static void outside_untouched(const fx *f)
{
	char *p = test_path(f->outside, "secret");
	size_t n;
	uint8_t *d = test_read_file(p, &n);
	assert_non_null(d);
	assert_int_equal(n, 7);
	assert_memory_equal(d, "outside", 7);
	free(d);
	free(p);
	char *moved = test_path(f->outside, "moved");
	assert_int_equal(access(moved, F_OK), -1);
	free(moved);
}

static void beneath_cases(fx *f)
{
	int fd = -1;
	/* the plain cases work */
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "AppData/mail.ost", O_RDONLY, 0), CPUU_OK);
	close(fd);
	assert_int_equal(cpuu_file_rename_beneath(f->user, "AppData/mail.ost", "AppData/mail.ost.cpuu-old", 0), CPUU_OK);
	assert_int_equal(cpuu_file_rename_beneath(f->user, "AppData/mail.ost.cpuu-old", "AppData/mail.ost",
						  CPUU_FILE_NOREPLACE),
			 CPUU_OK);
	assert_int_equal(cpuu_file_mkdir_beneath(f->user, "AppData/state", 0700), CPUU_OK);
	assert_int_equal(cpuu_file_mkdir_beneath(f->user, "AppData/state", 0700), CPUU_EEXISTS);
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "AppData/state/backup.reg", O_WRONLY | O_CREAT | O_EXCL,
						0600),
			 CPUU_OK);
	close(fd);
	put(f->user, "AppData/other.ost", "other");
	assert_int_equal(cpuu_file_rename_beneath(f->user, "AppData/other.ost", "AppData/mail.ost", CPUU_FILE_NOREPLACE),
			 CPUU_EEXISTS);
	assert_int_equal(cpuu_file_unlink_beneath(f->user, "AppData/state/backup.reg"), CPUU_OK);
	assert_int_equal(cpuu_file_unlink_beneath(f->user, "AppData/state/backup.reg"), CPUU_ENOTFOUND);

	/* through the folder link: every operation refused */
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "Linked/secret", O_RDONLY, 0), CPUU_EUNSUPPORTED);
	assert_non_null(strstr(cpuu_error_last()->message, "link"));
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "Linked/new", O_WRONLY | O_CREAT, 0600), CPUU_EUNSUPPORTED);
	assert_int_equal(cpuu_file_rename_beneath(f->user, "Linked/secret", "AppData/got", 0), CPUU_EUNSUPPORTED);
	assert_int_equal(cpuu_file_rename_beneath(f->user, "AppData/mail.ost", "Linked/moved", 0), CPUU_EUNSUPPORTED);
	assert_int_equal(cpuu_file_unlink_beneath(f->user, "Linked/secret"), CPUU_EUNSUPPORTED);
	assert_int_equal(cpuu_file_mkdir_beneath(f->user, "Linked/dir", 0700), CPUU_EUNSUPPORTED);
	/* the file link as the last component: opening refuses, writing
	 * through it never happens */
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "AppData/link.ost", O_WRONLY | O_TRUNC, 0),
			 CPUU_EUNSUPPORTED);
	/* escapes by text */
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "../outside/secret", O_RDONLY, 0), CPUU_EINVALID);
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "/etc/passwd", O_RDONLY, 0), CPUU_EINVALID);
	assert_int_equal(cpuu_file_open_beneath(&fd, f->user, "AppData//mail.ost", O_RDONLY, 0), CPUU_EINVALID);
	/* the user folder itself a link: refused */
	char *alias = test_path(f->root, "alias");
	assert_int_equal(symlink(f->outside, alias), 0);
	assert_int_equal(cpuu_file_open_beneath(&fd, alias, "secret", O_RDONLY, 0), CPUU_EUNSUPPORTED);
	unlink(alias);
	free(alias);
	outside_untouched(f);
}

static void test_beneath_openat2(void **state)
{
	beneath_cases(*state);
}

static void test_beneath_portable(void **state)
{
	cpuu_file_beneath_portable(1);
	beneath_cases(*state);
}

static void test_bounded_reader(void **state)
{
	fx *f = *state;
	put(f->root, "small.ini", "[General]\nDryRun = yes\n");
	char *p = test_path(f->root, "small.ini");
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(cpuu_file_read_all(&data, &len, p, 1024), CPUU_OK);
	assert_int_equal(len, 23);
	assert_int_equal(data[len], '\0');
	free(data);
	/* over the limit */
	assert_int_equal(cpuu_file_read_all(&data, &len, p, 10), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "limit"));
	assert_null(data);
	free(p);
	/* a FIFO with no writer: refused at once, not waited on */
	p = test_path(f->root, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(cpuu_file_read_all(&data, &len, p, 1024), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "not a regular file"));
	free(p);
	/* devices and folders */
	assert_int_equal(cpuu_file_read_all(&data, &len, "/dev/zero", CPUU_FILE_CONFIG_MAX), CPUU_EINVALID);
	assert_int_equal(cpuu_file_read_all(&data, &len, f->root, CPUU_FILE_CONFIG_MAX), CPUU_EINVALID);
	p = test_path(f->root, "missing");
	assert_int_equal(cpuu_file_read_all(&data, &len, p, 1024), CPUU_ENOTFOUND);
	free(p);
	/* exactly at the limit is fine; empty is fine */
	put(f->root, "ten", "0123456789");
	p = test_path(f->root, "ten");
	assert_int_equal(cpuu_file_read_all(&data, &len, p, 10), CPUU_OK);
	assert_int_equal(len, 10);
	free(data);
	free(p);
	put(f->root, "empty", "");
	p = test_path(f->root, "empty");
	assert_int_equal(cpuu_file_read_all(&data, &len, p, 10), CPUU_OK);
	assert_int_equal(len, 0);
	free(data);
	free(p);
}

/* New files never replace one: base, then base.1, base.2, the older
 * contents intact. */
static void test_write_new_never_replaces(void **state)
{
	fx *f = *state;
	char *base = test_path(f->root, "backup.reg");
	char *made[3];
	for (int i = 0; i < 3; i++) {
		char text[8];
		snprintf(text, sizeof text, "v%d", i);
		assert_int_equal(cpuu_file_write_new(&made[i], base, text, 2, 0), CPUU_OK);
	}
	assert_string_equal(made[0], base);
	char *one = test_path(f->root, "backup.reg.1"), *two = test_path(f->root, "backup.reg.2");
	assert_string_equal(made[1], one);
	assert_string_equal(made[2], two);
	for (int i = 0; i < 3; i++) {
		size_t n;
		uint8_t *d = test_read_file(made[i], &n);
		assert_int_equal(n, 2);
		assert_int_equal(d[1], '0' + i);
		free(d);
		free(made[i]);
	}
	/* no temp left behind: exactly the three files (and the fixture's) */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | grep -c backup) -eq 3", f->root);
	assert_int_equal(system(cmd), 0);
	free(one);
	free(two);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_beneath_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beneath_portable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_new_never_replaces, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
