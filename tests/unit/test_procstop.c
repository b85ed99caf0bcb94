/* Stopping MAPI clients, with real processes: a copy of sleep ends on the
 * polite request; a script that ignores it is ended; a refusal stops
 * nothing; other processes are untouched. The test's processes have names of
 * their own (a real Outlook under Wine on a developer's machine is safe). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/procstop.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, path, "1000", (char *)NULL);
		_exit(127);
	}
	/* Let it start and take its name. */
	for (int i = 0; i < 100; i++) {
		char p[64], name[64] = "";
		snprintf(p, sizeof p, "/proc/%d/comm", (int)pid);
		FILE *f = fopen(p, "r");
		if (f) {
			if (!fgets(name, sizeof name, f))
				name[0] = '\0';
			fclose(f);
		}
		if (strstr(name, ".EXE"))
			break;
		usleep(10000);
	}
	return pid;
}

static char *make_programs(void)
{
	char *dir = test_tmpdir("procstop");
	char cmd[4200];
	snprintf(cmd, sizeof cmd,
		 "cp \"$(command -v sleep)\" '%s/CPUUT-OL.EXE' && "
		 "printf '#!/bin/sh\\ntrap \"\" TERM\\nwhile :; do sleep 0.05; done\\n' > '%s/CPUUT-LY.EXE' && "
		 "chmod +x '%s/CPUUT-LY.EXE' && cp \"$(command -v sleep)\" '%s/notepad.exe'",
		 dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	return dir;
}

static int says_no(void *ctx, const cpuu_strlist *running)
{
	*(size_t *)ctx = running->count;
	return 0;
}

static void test_polite_then_forced(void **state)
{
	(void)state;
	char *dir = make_programs();
	char outlook[4200], lync[4200], other[4200];
	snprintf(outlook, sizeof outlook, "%s/CPUUT-OL.EXE", dir);
	snprintf(lync, sizeof lync, "%s/CPUUT-LY.EXE", dir);
	snprintf(other, sizeof other, "%s/notepad.exe", dir);
	pid_t po = spawn(outlook), pl = spawn(lync), pn = spawn(other);

	cpuu_strlist names = { 0 };
	cpuu_strlist_add(&names, "cpuut-ol.exe"); /* names compare without case */
	cpuu_strlist_add(&names, "CPUUT-LY.EXE");

	/* A refusal: nothing is stopped. */
	cpuu_procstop_result r;
	size_t asked = 0;
	assert_int_equal(cpuu_procstop_run(&r, &names, 500, says_no, &asked), CPUU_EABORTED);
	assert_int_equal(asked, 2);
	cpuu_procstop_result_clear(&r);
	assert_int_equal(kill(po, 0), 0);
	assert_int_equal(kill(pl, 0), 0);

	/* 300 ms of grace, then the forced end. */
	assert_int_equal(cpuu_procstop_run(&r, &names, 300, NULL, NULL), CPUU_OK);
	assert_int_equal(r.running.count, 2);
	assert_int_equal(r.closed, 1);
	assert_int_equal(r.killed, 1);
	assert_int_equal(r.survived, 0);
	cpuu_procstop_result_clear(&r);
	int status;
	assert_int_equal(waitpid(po, &status, 0), po);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_int_equal(waitpid(pl, &status, 0), pl);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Not on the list: untouched. */
	assert_int_equal(waitpid(pn, &status, WNOHANG), 0);
	kill(pn, SIGKILL);
	waitpid(pn, &status, 0);

	/* Nothing left running: nothing to do. */
	assert_int_equal(cpuu_procstop_run(&r, &names, 100, says_no, &asked), CPUU_OK);
	assert_int_equal(r.running.count, 0);
	cpuu_procstop_result_clear(&r);
	cpuu_strlist_free(&names);
	test_tmpdir_remove(dir);
}

static void test_default_list_names_outlook(void **state)
{
	(void)state;
	const cpuu_strlist *d = cpuu_procstop_default_names();
	int outlook = 0, lync = 0;
	for (size_t i = 0; i < d->count; i++) {
		outlook |= !strcmp(d->items[i], "OUTLOOK.EXE");
		lync |= !strcmp(d->items[i], "lync.exe");
	}
	assert_true(outlook && lync);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_polite_then_forced),
		cmocka_unit_test(test_default_list_names_outlook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
