/* Stopping MAPI clients, with real processes: a copy of sleep ends on the
 * polite request; a copy started with SIGTERM ignored is ended; a refusal
 * stops nothing; other processes are untouched. (Not a shell script looping
 * on sleep: between its fork and exec, each sleep carries the script's
 * name, and was counted as a third program.) The test's processes have names of
 * their own, with this test's PID in them (a real Outlook under Wine, or
 * another copy of this test, is never counted or stopped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/procstop.h"
#include "procstop/internal.h"
#include "testutil.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

static pid_t children[3];
static size_t nchildren;

/* A failed assertion must not leave children holding ctest's output pipe
 * (ctest would wait for them until its timeout). */
static int kill_children(void **state)
{
	(void)state;
	for (size_t i = 0; i < nchildren; i++) {
		if (kill(children[i], SIGKILL) == 0)
			waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
	return 0;
}

/* ignore_term: the program ignores SIGTERM (an ignored signal stays
 * ignored across exec), so only the forced end stops it. */
static pid_t spawn_ex(const char *path, int ignore_term)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
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
	children[nchildren++] = pid;
	return pid;
}

static pid_t spawn(const char *path)
{
	return spawn_ex(path, 0);
}

static char ol_name[32], ly_name[32];

static char *make_programs(void)
{
	char *dir = test_tmpdir("procstop");
	/* 15 characters at most: Linux keeps that much of a process name. */
	snprintf(ol_name, sizeof ol_name, "CT%05uOL.EXE", (unsigned)getpid() % 100000u);
	snprintf(ly_name, sizeof ly_name, "CT%05uLY.EXE", (unsigned)getpid() % 100000u);
	char cmd[4400];
	snprintf(cmd, sizeof cmd,
		 "cp \"$(command -v sleep)\" '%s/%s' && cp \"$(command -v sleep)\" '%s/%s' && "
		 "cp \"$(command -v sleep)\" '%s/notepad.exe'",
		 dir, ol_name, dir, ly_name, dir);
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
	snprintf(outlook, sizeof outlook, "%s/%s", dir, ol_name);
	snprintf(lync, sizeof lync, "%s/%s", dir, ly_name);
	snprintf(other, sizeof other, "%s/notepad.exe", dir);
	pid_t po = spawn(outlook), pl = spawn_ex(lync, 1), pn = spawn(other);

	cpuu_strlist names = { 0 };
	char lower[32];
	for (size_t i = 0; i < sizeof lower; i++)
		lower[i] = (char)tolower((unsigned char)ol_name[i]);
	cpuu_strlist_add(&names, lower); /* names compare without case */
	cpuu_strlist_add(&names, ly_name);

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
	nchildren = 0;

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

/* The question names the action (issue 12): update and rollback differ, and
 * a mode not given is an update. */
static void test_question_matches_action(void **state)
{
	(void)state;
	cpuu_strlist one = { 0 };
	assert_int_equal(cpuu_strlist_add(&one, "OUTLOOK.EXE (42)"), CPUU_OK);
	char q[1024];
	ps_question(q, sizeof q, "update", &one);
	assert_non_null(strstr(q, "Your mailbox has moved."));
	assert_non_null(strstr(q, "OUTLOOK.EXE (42) must be closed to update your Outlook profile"));
	assert_non_null(strstr(q, "Close it now?"));
	ps_question(q, sizeof q, "rollback", &one);
	assert_null(strstr(q, "Your mailbox has moved"));
	assert_non_null(strstr(q, "put back as it was"));
	assert_non_null(strstr(q, "must be closed to restore your Outlook profile"));
	assert_int_equal(cpuu_strlist_add(&one, "lync.exe (43)"), CPUU_OK);
	ps_question(q, sizeof q, NULL, &one);
	assert_non_null(strstr(q, "OUTLOOK.EXE (42) and other mail programs must be closed to update"));
	assert_non_null(strstr(q, "Close them now?"));
	cpuu_strlist_free(&one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_polite_then_forced, kill_children),
		cmocka_unit_test(test_default_list_names_outlook),
		cmocka_unit_test(test_question_matches_action),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
