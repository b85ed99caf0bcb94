/* One writer per hive, and the write path's distrust of names: concurrent
 * writer processes on one hive lose nothing, a second run waits and is
 * refused with CPUU_ELOCKED, a killed run's lock is recognised as stale, a
 * writer that takes no lock (hivexsh) is caught around the rename, and
 * links swapped in at the moment of the commit never redirect a write
 * (made deterministic with CPUU_FAULT=<point>:run). Linux test (fork). */
#define _GNU_SOURCE /* vasprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpuu/registry.h"
#include "registry_fixture.h"
#include "testutil.h"

static char *cpuu_aprintf_test(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	assert_non_null(s);
	return s;
}

static cpuu_reg *open_wait(const char *path, int wait_ms)
{
	cpuu_reg_open_opts o;
	cpuu_reg_open_opts_init(&o);
	o.flags = CPUU_REG_OPEN_WRITE;
	o.lock_wait_ms = wait_ms;
	cpuu_reg *reg = NULL;
	return cpuu_reg_open_hive_ex(&reg, path, &o) == CPUU_OK ? reg : NULL;
}

static int set_value(cpuu_reg *reg, const char *key, const char *name, uint32_t v)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_create(&k, reg, NULL, key);
	if (!rc)
		rc = cpuu_reg_set_dword(reg, k, name, v);
	cpuu_reg_key_free(k);
	return rc;
}

static int has_value(const char *hive, const char *key, const char *name, uint32_t *v)
{
	cpuu_reg *reg = NULL;
	if (cpuu_reg_open_hive(&reg, hive, 0))
		return 0;
	cpuu_reg_key *k = NULL;
	int ok = cpuu_reg_key_open(&k, reg, NULL, key) == CPUU_OK && cpuu_reg_get_dword(v, reg, k, name) == CPUU_OK;
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	return ok;
}

static char *lock_path(const fx *f)
{
	return test_path(f->dir, ".NTUSER.DAT.cpuu-lock");
}

/* Each of several processes opens the hive, adds its own values and
 * commits, several rounds over: with one writer at a time every value of
 * every round is there at the end. (Without the lock, the later commit of
 * two overlapping ones drops the earlier one's values.) */
static void test_concurrent_writers_lose_nothing(void **state)
{
	fx *f = *state;
	enum { PROCS = 6, ROUNDS = 4 };
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			for (int r = 0; r < ROUNDS; r++) {
				cpuu_reg *reg = open_wait(f->hive, 60000);
				char name[32];
				snprintf(name, sizeof name, "P%dR%d", p, r);
				int rc = !reg ? 1 : set_value(reg, "Concurrent", name, (uint32_t)(p * 100 + r));
				usleep(2000); /* widen the read-to-commit window */
				if (!rc)
					rc = cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 });
				if (rc)
					fprintf(stderr, "writer %d: %s\n", p, cpuu_error_last()->message);
				cpuu_reg_free(reg);
				if (rc)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st = 0;
		assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	for (int p = 0; p < PROCS; p++)
		for (int r = 0; r < ROUNDS; r++) {
			char name[32];
			snprintf(name, sizeof name, "P%dR%d", p, r);
			uint32_t v = 0;
			if (!has_value(f->hive, "Concurrent", name, &v))
				fail_msg("value %s lost", name);
			assert_int_equal(v, (uint32_t)(p * 100 + r));
		}
	char *lock = lock_path(f);
	assert_int_equal(access(lock, F_OK), -1); /* released by the last one */
	free(lock);
}

/* A second writer (even in the same process: the lock belongs to the open
 * file, not the process) waits its bounded time and is refused before
 * reading anything; the first one's commit is unaffected. */
static void test_second_writer_refused(void **state)
{
	fx *f = *state;
	cpuu_reg *first = open_rw(f->hive);
	assert_non_null(first);
	size_t n0;
	uint8_t *before = test_read_file(f->hive, &n0);
	cpuu_reg *second = NULL;
	cpuu_reg_open_opts o;
	cpuu_reg_open_opts_init(&o);
	o.flags = CPUU_REG_OPEN_WRITE;
	o.lock_wait_ms = 150;
	assert_int_equal(cpuu_reg_open_hive_ex(&second, f->hive, &o), CPUU_ELOCKED);
	assert_null(second);
	char pid[32];
	snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
	assert_non_null(strstr(cpuu_error_last()->message, pid));
	assert_non_null(strstr(cpuu_error_last()->message, f->hive));
	assert_string_equal(cpuu_error_name(CPUU_ELOCKED), "ELOCKED");
	size_t n1;
	uint8_t *after = test_read_file(f->hive, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	/* readers need no lock */
	cpuu_reg *reader = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reader, f->hive, 0), CPUU_OK);
	cpuu_reg_free(reader);
	assert_int_equal(set_value(first, "K", "v", 1), CPUU_OK);
	assert_int_equal(cpuu_reg_commit(first, NULL), CPUU_OK);
	cpuu_reg_free(first);
	/* free again */
	second = open_wait(f->hive, 0);
	assert_non_null(second);
	cpuu_reg_free(second);
	free(before);
	free(after);
}

/* A run killed while holding the lock leaves its lock file; the kernel
 * dropped its fcntl lock, so the next run takes over at once. */
static void test_killed_holder_is_stale(void **state)
{
	fx *f = *state;
	int ready[2], hold[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cpuu_reg *reg = open_wait(f->hive, 0);
		(void)!write(ready[1], reg ? "1" : "0", 1);
		close(hold[1]);
		char ignored;
		(void)!read(hold[0], &ignored, 1); /* until killed, or the test ends */
		_exit(0);
	}
	char c = 0;
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, '1');
	/* alive: refused */
	cpuu_reg *reg = open_wait(f->hive, 0);
	assert_null(reg);
	assert_int_equal(cpuu_error_last()->code, CPUU_ELOCKED);
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	char *lock = lock_path(f);
	assert_int_equal(access(lock, F_OK), 0); /* left behind */
	reg = open_wait(f->hive, 0);
	if (!reg)
		fail_msg("stale lock not taken over: %s", cpuu_error_last()->message);
	cpuu_reg_free(reg);
	assert_int_equal(access(lock, F_OK), -1);
	free(lock);
	close(ready[0]);
	close(ready[1]);
	close(hold[0]);
	close(hold[1]);
}

static void write_lock_file(const char *path, const char *text)
{
	assert_int_equal(test_write_file(path, text, strlen(text)), 0);
}

/* Lock files nobody holds: a complete record is stale; an empty one is a
 * run between creating it and writing its record (live) unless old; a
 * link or folder at the lock's name is refused, never followed. */
static void test_lock_file_rules(void **state)
{
	fx *f = *state;
	char *lock = lock_path(f);
	write_lock_file(lock, "cpuu-lock 1 pid=999999 host=elsewhere time=1\n");
	cpuu_reg *reg = open_wait(f->hive, 0);
	assert_non_null(reg);
	cpuu_reg_free(reg);

	write_lock_file(lock, "");
	reg = open_wait(f->hive, 100);
	assert_null(reg);
	assert_int_equal(cpuu_error_last()->code, CPUU_ELOCKED);
	assert_non_null(strstr(cpuu_error_last()->message, "starting"));
	struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, lock, old, 0), 0);
	reg = open_wait(f->hive, 0);
	assert_non_null(reg);
	cpuu_reg_free(reg);

	char *victim = test_path(f->dir, "victim");
	write_lock_file(victim, "keep");
	assert_int_equal(symlink("victim", lock), 0);
	reg = open_wait(f->hive, 100);
	assert_null(reg);
	assert_int_equal(cpuu_error_last()->code, CPUU_ELOCKED);
	assert_non_null(strstr(cpuu_error_last()->message, "not a regular file"));
	size_t n;
	char *kept = (char *)test_read_file(victim, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(kept, "keep", 4);
	free(kept);
	unlink(lock);
	free(victim);
	free(lock);
}

/* hivexsh (no lock) commits between cpuu's check and its rename: its
 * version is put back, the commit fails as not written. */
static void test_concurrent_hivexsh_detected(void **state)
{
	fx *f = *state;
	if (system("command -v hivexsh >/dev/null 2>&1") != 0)
		skip();
	char *script = test_path(f->dir, "theirs.hivexsh");
	write_lock_file(script, "add Theirs\ncommit\n");
	char *cmd = cpuu_aprintf_test("hivexsh -w '%s' -f '%s'", f->hive, script);
	cpuu_reg *reg = open_wait(f->hive, 0);
	assert_non_null(reg);
	assert_int_equal(set_value(reg, "Ours", "v", 7), CPUU_OK);
	setenv("CPUU_FAULT", "commit:rename:run", 1);
	setenv("CPUU_FAULT_RUN", cmd, 1);
	int rc = cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 });
	unsetenv("CPUU_FAULT");
	unsetenv("CPUU_FAULT_RUN");
	assert_int_equal(rc, CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "another program wrote"));
	/* a later change through this handle is refused, not silently applied
	 * over their version */
	assert_int_equal(set_value(reg, "Ours", "w", 9), CPUU_OK);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_EIO);
	cpuu_reg_free(reg);
	cpuu_reg *check = NULL;
	assert_int_equal(cpuu_reg_open_hive(&check, f->hive, 0), CPUU_OK);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, check, NULL, "Theirs"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, check, NULL, "Ours"), CPUU_ENOTFOUND);
	cpuu_reg_free(check);

	/* and one that wrote before the commit began is refused outright */
	write_lock_file(script, "add TheirsAgain\ncommit\n");
	reg = open_wait(f->hive, 0);
	assert_int_equal(set_value(reg, "Ours", "v", 8), CPUU_OK);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "changed on disk"));
	cpuu_reg_free(reg);
	free(cmd);
	free(script);
}

/* Swaps at the moment of the commit: the temp's name replaced by a link to
 * a file outside (root would overwrite it if the temp were reopened by
 * name), before hivex writes and again just before the rename. The outside
 * file never changes, and the hive is always a whole hive. */
static void swap_case(fx *f, const char *point, int expect_rc)
{
	char *victim = test_path(f->dir, "outside");
	write_lock_file(victim, "precious");
	char *tmp = test_path(f->dir, ".NTUSER.DAT.cpuu-tmp");
	char *cmd = cpuu_aprintf_test("rm -f '%s' && ln -s '%s' '%s'", tmp, victim, tmp);
	cpuu_reg *reg = open_wait(f->hive, 0);
	assert_non_null(reg);
	assert_int_equal(set_value(reg, "Swap", point, 1), CPUU_OK);
	setenv("CPUU_FAULT", point, 1);
	setenv("CPUU_FAULT_RUN", cmd, 1);
	int rc = cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 });
	unsetenv("CPUU_FAULT");
	unsetenv("CPUU_FAULT_RUN");
	if (rc != expect_rc)
		fail_msg("%s: expected %s, got %s (%s)", point, cpuu_error_name(expect_rc), cpuu_error_name(rc),
			 cpuu_error_last()->message);
	cpuu_reg_free(reg);
	size_t n;
	char *kept = (char *)test_read_file(victim, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(kept, "precious", 8);
	free(kept);
	struct stat st;
	assert_int_equal(lstat(f->hive, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* never the link */
	uint32_t v = 0;
	assert_int_equal(has_value(f->hive, "Swap", point, &v), expect_rc == CPUU_OK);
	unlink(tmp);
	free(cmd);
	free(tmp);
	free(victim);
}

static void test_symlink_swaps_never_redirect(void **state)
{
	fx *f = *state;
	/* before hivex writes: written through our descriptor, and the swapped
	 * name is caught before the rename (hive unchanged) */
	swap_case(f, "commit:write:run", CPUU_EIO);
	/* between that check and the rename: the link lands at the hive's
	 * name, is caught, and our version is written again over it */
	swap_case(f, "commit:rename:run", CPUU_OK);
}

/* A failed folder fsync after the rename is a failure of the commit,
 * never a success (the new file may not survive a crash yet). */
static void test_failed_folder_sync_is_an_error(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_wait(f->hive, 0);
	assert_non_null(reg);
	assert_int_equal(set_value(reg, "K", "v", 1), CPUU_OK);
	setenv("CPUU_FAULT", "commit:dirsync:fail", 1);
	int rc = cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 });
	unsetenv("CPUU_FAULT");
	assert_int_equal(rc, CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "fsync of the folder failed"));
	cpuu_reg_free(reg);
	uint32_t v = 0;
	assert_true(has_value(f->hive, "K", "v", &v)); /* written, only not known durable */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_writers_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_writer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_holder_is_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_file_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_hivexsh_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_swaps_never_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_folder_sync_is_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
