/* Registry commit and refusals: atomic write, backups, no-op commits, dirty,
 * corrupt and read-only hives, full disk. Linux test (ioctl, mount). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpuu/registry.h"
#include "registry_fixture.h"
#include "testutil.h"


static void set_bin(cpuu_reg *reg, const char *key, const char *name, size_t len, uint8_t fill)
{
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, key), CPUU_OK);
	uint8_t *d = malloc(len ? len : 1);
	memset(d, fill, len);
	if (cpuu_reg_value_set(reg, k, name, CPUU_REG_BINARY, d, len))
		fail_msg("set %s: %s", name, cpuu_error_last()->message);
	free(d);
	cpuu_reg_key_free(k);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_noop_commit_writes_nothing(void **state)
{
	fx *f = *state;
	struct stat before, after;
	size_t n0;
	uint8_t *orig = test_read_file(f->hive, &n0);
	assert_int_equal(stat(f->hive, &before), 0);
	cpuu_reg *reg = open_rw(f->hive);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	assert_null(cpuu_reg_last_backup(reg));
	cpuu_reg_free(reg);
	assert_int_equal(stat(f->hive, &after), 0);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(count_entries(f->dir), 1); /* no backup, no temp */
	free(orig);

	/* a change, then a second commit without change */
	reg = open_rw(f->hive);
	set_bin(reg, "K", "v", 8, 1);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	assert_non_null(cpuu_reg_last_backup(reg));
	assert_int_equal(stat(f->hive, &before), 0);
	size_t n1;
	uint8_t *bytes1 = test_read_file(f->hive, &n1);
	/* setting a value to what it already holds is no change either */
	set_bin(reg, "K", "V", 8, 1);
	assert_false(cpuu_reg_dirty(reg));
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	assert_null(cpuu_reg_last_backup(reg));
	cpuu_reg_free(reg);
	assert_int_equal(stat(f->hive, &after), 0);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_ino, after.st_ino);
	size_t n2;
	uint8_t *bytes2 = test_read_file(f->hive, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(bytes1, bytes2, n1);
	assert_int_equal(count_entries(f->dir), 2); /* hive + one backup */
	free(bytes1);
	free(bytes2);
}

static void test_backups_never_overwritten(void **state)
{
	fx *f = *state;
	assert_int_equal(chmod(f->hive, 0640), 0);
	char *v0 = test_path(f->dir, "v0");
	assert_int_equal(test_copy_file(f->hive, v0), 0);
	char *bak = test_path(f->dir, "NTUSER.DAT.cpuu-bak");
	char *bak1 = test_path(f->dir, "NTUSER.DAT.cpuu-bak.1");

	cpuu_reg *reg = open_rw(f->hive);
	set_bin(reg, "A", "one", 10, 1);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	assert_string_equal(cpuu_reg_last_backup(reg), bak);
	assert_true(test_files_equal(bak, v0));
	char *v1 = test_path(f->dir, "v1");
	assert_int_equal(test_copy_file(f->hive, v1), 0);

	/* the handle stays usable: a second edit and commit */
	set_bin(reg, "B", "two", 20, 2);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	assert_string_equal(cpuu_reg_last_backup(reg), bak1);
	assert_true(test_files_equal(bak, v0));
	assert_true(test_files_equal(bak1, v1));

	/* explicit backup path, numbered the same way */
	char *mine = test_path(f->dir, "mine.bak");
	char *mine1 = test_path(f->dir, "mine.bak.1");
	assert_int_equal(test_write_file(mine, "x", 1), 0);
	set_bin(reg, "C", "three", 30, 3);
	cpuu_reg_commit_opts o = { .backup_path = mine };
	assert_int_equal(cpuu_reg_commit(reg, &o), CPUU_OK);
	assert_string_equal(cpuu_reg_last_backup(reg), mine1);
	size_t n;
	uint8_t *x = test_read_file(mine, &n);
	assert_int_equal(n, 1);
	free(x);

	/* no backup when told */
	int entries = count_entries(f->dir);
	set_bin(reg, "D", "four", 4, 4);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	assert_null(cpuu_reg_last_backup(reg));
	assert_int_equal(count_entries(f->dir), entries);
	cpuu_reg_free(reg);

	struct stat st;
	assert_int_equal(stat(f->hive, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, f->hive, 0), CPUU_OK);
	const char *keys[] = { "A", "B", "C", "D" };
	for (size_t i = 0; i < 4; i++) {
		cpuu_reg_key *k = NULL;
		assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, keys[i]), CPUU_OK);
		cpuu_reg_key_free(k);
	}
	cpuu_reg_free(reg);
	free(v0);
	free(v1);
	free(bak);
	free(bak1);
	free(mine);
	free(mine1);
}

/* Rewrites seq2 in a copy and fixes the checksum so only the sequence
 * numbers are wrong. */
static void make_dirty(const char *path, uint32_t seq2)
{
	size_t n;
	uint8_t *b = test_read_file(path, &n);
	assert_non_null(b);
	b[8] = (uint8_t)seq2;
	b[9] = (uint8_t)(seq2 >> 8);
	b[10] = b[11] = 0;
	uint32_t x = 0;
	for (size_t i = 0; i < 508; i += 4)
		x ^= (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
	if (x == 0)
		x = 1;
	if (x == 0xFFFFFFFFu)
		x = 0xFFFFFFFEu;
	b[508] = (uint8_t)x;
	b[509] = (uint8_t)(x >> 8);
	b[510] = (uint8_t)(x >> 16);
	b[511] = (uint8_t)(x >> 24);
	assert_int_equal(test_write_file(path, b, n), 0);
	free(b);
}

static void expect_refused(const char *path, int code, const char *needle)
{
	size_t n0 = 0;
	uint8_t *before = test_read_file(path, &n0);
	for (int mode = 0; mode < 2; mode++) {
		cpuu_reg *reg = NULL;
		int rc = cpuu_reg_open_hive(&reg, path, mode ? CPUU_REG_OPEN_WRITE : 0);
		if (rc != code)
			fail_msg("%s: expected %s, got %s (%s)", path, cpuu_error_name(code), cpuu_error_name(rc),
				 cpuu_error_last()->message);
		assert_null(reg);
		if (needle)
			assert_non_null(strstr(cpuu_error_last()->message, needle));
		/* one line, naming the file */
		assert_null(strchr(cpuu_error_last()->message, '\n'));
		if (code != CPUU_ENOTFOUND)
			assert_non_null(strstr(cpuu_error_last()->message, path));
	}
	size_t n1 = 0;
	uint8_t *after = test_read_file(path, &n1);
	assert_int_equal(n0, n1);
	if (n0)
		assert_memory_equal(before, after, n0);
	free(before);
	free(after);
}

static void test_dirty_refused(void **state)
{
	fx *f = *state;
	/* bring seq to 12 by committing, then make seq2 = 13 */
	cpuu_reg *reg = open_rw(f->hive);
	for (int i = 0; i < 11; i++) {
		set_bin(reg, "K", "v", 5, (uint8_t)i);
		cpuu_reg_commit_opts o = { .no_backup = 1 };
		assert_int_equal(cpuu_reg_commit(reg, &o), CPUU_OK);
	}
	cpuu_reg_free(reg);
	size_t n;
	uint8_t *b = test_read_file(f->hive, &n);
	assert_int_equal(b[4], 12);
	assert_int_equal(b[8], 12);
	free(b);
	make_dirty(f->hive, 13);
	expect_refused(f->hive, CPUU_EDIRTY, "sequence numbers 12 != 13");
	assert_non_null(strstr(cpuu_error_last()->message, "LOG1"));
}

static void test_corrupt_refused(void **state)
{
	fx *f = *state;
	size_t n;
	uint8_t *good = test_read_file(f->hive, &n);
	char *p = test_path(f->dir, "bad.dat");

	assert_int_equal(test_write_file(p, good, 6000), 0); /* truncated */
	expect_refused(p, CPUU_ECORRUPT, "truncated");
	assert_int_equal(test_write_file(p, good, 100), 0); /* truncated header */
	expect_refused(p, CPUU_ECORRUPT, "truncated");
	assert_int_equal(test_write_file(p, "", 0), 0);
	expect_refused(p, CPUU_ECORRUPT, "empty");
	assert_int_equal(test_write_file(p, "Windows Registry Editor Version 5.00\r\n", 38), 0);
	expect_refused(p, CPUU_ECORRUPT, "regf");
	uint8_t *junk = malloc(8192);
	srand(7);
	for (size_t i = 0; i < 8192; i++)
		junk[i] = (uint8_t)rand();
	assert_int_equal(test_write_file(p, junk, 8192), 0);
	expect_refused(p, CPUU_ECORRUPT, NULL);
	/* regf header but garbage bins: hivex refuses */
	memcpy(junk, good, 4096);
	assert_int_equal(test_write_file(p, junk, 8192), 0);
	expect_refused(p, CPUU_ECORRUPT, NULL);
	/* hbin header present but cells garbage: the structural check */
	memcpy(junk, good, 4096 + 32);
	assert_int_equal(test_write_file(p, junk, 8192), 0);
	expect_refused(p, CPUU_ECORRUPT, "corrupt hive");
	free(junk);
	/* a bit flipped in the header */
	uint8_t *flip = malloc(n);
	memcpy(flip, good, n);
	flip[40] ^= 0x10;
	assert_int_equal(test_write_file(p, flip, n), 0);
	expect_refused(p, CPUU_ECORRUPT, "checksum");
	/* a transaction log is not a hive */
	memcpy(flip, good, n);
	flip[28] = 1;
	flip[508] ^= 1;
	assert_int_equal(test_write_file(p, flip, n), 0);
	expect_refused(p, CPUU_ECORRUPT, "transaction log");
	free(flip);
	free(good);
	/* missing file, folder */
	char *missing = test_path(f->dir, "missing.dat");
	expect_refused(missing, CPUU_ENOTFOUND, "missing.dat");
	free(missing);
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, f->dir, 0), CPUU_EINVALID);
	free(p);
}

/* chattr +i, honest even for root; 0 when it worked. */
static int set_immutable(const char *path, int on)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	int flags = 0;
	int rc = ioctl(fd, FS_IOC_GETFLAGS, &flags);
	if (rc == 0) {
		flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
		rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return rc;
}

static void expect_ro_open_impl(const char *path)
{
	size_t n0;
	uint8_t *before = test_read_file(path, &n0);
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE), CPUU_EREADONLY);
	assert_null(reg);
	assert_non_null(strstr(cpuu_error_last()->message, path));
	assert_int_equal(cpuu_reg_open_hive(&reg, path, 0), CPUU_OK);
	cpuu_reg_free(reg);
	size_t n1;
	uint8_t *after = test_read_file(path, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	free(before);
	free(after);
}

static void test_readonly_refused(void **state)
{
	fx *f = *state;
	if (set_immutable(f->hive, 1) != 0) {
		if (geteuid() == 0)
			skip(); /* root without chattr support: permissions cannot block us */
		assert_int_equal(chmod(f->hive, 0444), 0);
	}
	expect_ro_open_impl(f->hive);
	set_immutable(f->hive, 0);
	chmod(f->hive, 0644);

	/* read-only folder: the temp file and backup could not be made */
	if (set_immutable(f->dir, 1) != 0) {
		if (geteuid() == 0)
			skip();
		assert_int_equal(chmod(f->dir, 0555), 0);
	}
	cpuu_reg *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, f->hive, CPUU_REG_OPEN_WRITE), CPUU_EREADONLY);
	assert_non_null(strstr(cpuu_error_last()->message, "folder"));
	/* read-only open still works */
	assert_int_equal(cpuu_reg_open_hive(&reg, f->hive, 0), CPUU_OK);
	cpuu_reg_free(reg);
	set_immutable(f->dir, 0);
	chmod(f->dir, 0755);

	/* the folder turns read-only between open and commit */
	size_t n0;
	uint8_t *before = test_read_file(f->hive, &n0);
	reg = open_rw(f->hive);
	set_bin(reg, "K", "v", 9, 9);
	if (set_immutable(f->dir, 1) != 0)
		assert_int_equal(chmod(f->dir, 0555), 0);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_EREADONLY);
	assert_true(cpuu_reg_dirty(reg));
	set_immutable(f->dir, 0);
	chmod(f->dir, 0755);
	size_t n1;
	uint8_t *after = test_read_file(f->hive, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	/* the hive and its lock, held by the open handle; no temp */
	assert_int_equal(count_entries(f->dir), 2);
	char *lock = test_path(f->dir, ".NTUSER.DAT.cpuu-lock");
	assert_int_equal(access(lock, F_OK), 0);
	free(lock);
	/* and the same handle commits once the folder is writable again */
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	cpuu_reg_free(reg);
	free(before);
	free(after);
}

/* Fills the hive beyond what the folder can take; commit must fail cleanly. */
static void full_disk_commit(const char *dir, const char *hive)
{
	size_t n0;
	uint8_t *before = test_read_file(hive, &n0);
	cpuu_reg *reg = open_rw(hive);
	for (int i = 0; i < 8; i++) {
		char name[16];
		snprintf(name, sizeof name, "v%d", i);
		set_bin(reg, "Big", name, 16000, (uint8_t)i);
	}
	int rc = cpuu_reg_commit(reg, NULL);
	if (rc != CPUU_EIO)
		fail_msg("expected EIO, got %s (%s)", cpuu_error_name(rc), cpuu_error_last()->message);
	assert_non_null(strstr(cpuu_error_last()->message, hive));
	const char *m = cpuu_error_last()->message;
	if (!strstr(m, strerror(ENOSPC)) && !strstr(m, strerror(EFBIG)))
		fail_msg("not a full-disk failure: %s", m);
	assert_true(cpuu_reg_dirty(reg));
	cpuu_reg_free(reg);
	size_t n1;
	uint8_t *after = test_read_file(hive, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	assert_int_equal(count_entries(dir), 1); /* no temp file, no backup left */
	free(before);
	free(after);
}

static void test_full_disk_tmpfs(void **state)
{
	fx *f = *state;
	char *mnt = test_path(f->dir, "small");
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
		free(mnt);
		skip(); /* no CAP_SYS_ADMIN here; the RLIMIT_FSIZE test covers the path */
	}
	char *hive = test_path(mnt, "NTUSER.DAT");
	assert_int_equal(cpuu_hive_create_blank(hive, NULL), CPUU_OK);
	full_disk_commit(mnt, hive);
	assert_int_equal(umount(mnt), 0);
	free(hive);
	free(mnt);
}

static void test_full_disk_rlimit(void **state)
{
	fx *f = *state;
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 64 * 1024; /* writes past this fail with EFBIG */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	full_disk_commit(f->dir, f->hive);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
}

static void test_changed_on_disk_refused(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	set_bin(reg, "K", "v", 9, 9);
	/* someone else rewrites the hive meanwhile */
	char *other = test_path(f->dir, "other.dat");
	assert_int_equal(cpuu_hive_create_blank(other, "OTHER"), CPUU_OK);
	assert_int_equal(rename(other, f->hive), 0);
	size_t n0;
	uint8_t *before = test_read_file(f->hive, &n0);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "changed on disk"));
	size_t n1;
	uint8_t *after = test_read_file(f->hive, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	cpuu_reg_free(reg);
	free(before);
	free(after);
	free(other);
}

static void test_symlink_commit_replaces_target(void **state)
{
	fx *f = *state;
	char *link = test_path(f->dir, "link.dat");
	assert_int_equal(symlink("NTUSER.DAT", link), 0);
	cpuu_reg *reg = open_rw(link);
	set_bin(reg, "Via", "link", 6, 6);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	cpuu_reg_free(reg);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* still a link */
	reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, f->hive, 0), CPUU_OK);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Via"), CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	free(link);
}

/* Temp files of commits that never finished go with the next commit of
 * that hive; look-alikes that are not ours stay. */
static void test_stale_temps_removed(void **state)
{
	fx *f = *state;
	const char *ours[] = { ".NTUSER.DAT.cpuu-tmp" };
	const char *not_ours[] = { ".NTUSER.DAT.cpuu-tmp-abc", ".OTHER.DAT.cpuu-tmp", "NTUSER.DAT.cpuu-tmp",
				   ".NTUSER.DAT.cpuu-tmp.bak" };
	for (size_t i = 0; i < sizeof ours / sizeof *ours; i++) {
		char *p = test_path(f->dir, ours[i]);
		assert_int_equal(test_write_file(p, "half a hive", 11), 0);
		free(p);
	}
	for (size_t i = 0; i < sizeof not_ours / sizeof *not_ours; i++) {
		char *p = test_path(f->dir, not_ours[i]);
		assert_int_equal(test_write_file(p, "keep", 4), 0);
		free(p);
	}
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK); /* nothing to write: nothing touched */
	char *first = test_path(f->dir, ours[0]);
	assert_int_equal(access(first, F_OK), 0);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "Software"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_free(reg);
	for (size_t i = 0; i < sizeof ours / sizeof *ours; i++) {
		char *p = test_path(f->dir, ours[i]);
		assert_int_not_equal(access(p, F_OK), 0);
		free(p);
	}
	for (size_t i = 0; i < sizeof not_ours / sizeof *not_ours; i++) {
		char *p = test_path(f->dir, not_ours[i]);
		assert_int_equal(access(p, F_OK), 0);
		free(p);
	}
	free(first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_noop_commit_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temps_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backups_never_overwritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_tmpfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_rlimit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_on_disk_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_commit_replaces_target, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
