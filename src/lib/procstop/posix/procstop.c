/* POSIX backend (Linux /proc): SIGTERM, then SIGKILL. Used where cpuu runs
 * beside the user's session on Linux, and to test the policy with real
 * processes. A process is only signalled while its start time is unchanged,
 * so a pid reused by something else is never touched. */
#ifndef _WIN32
#include "procstop/internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Field 22 of /proc/<pid>/stat (start time), after the "(comm)" field. */
static unsigned long long start_time(unsigned long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%lu/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long v = 0;
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field == 22)
		v = strtoull(p, NULL, 10);
	return v;
}

int ps_list(ps_proc **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "cannot list processes: no /proc");
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);
		if (*end || !pid || pid == (unsigned long)getpid())
			continue;
		char path[64];
		snprintf(path, sizeof path, "/proc/%lu/comm", pid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char name[260] = "";
		if (!fgets(name, sizeof name, f))
			name[0] = '\0';
		fclose(f);
		name[strcspn(name, "\n")] = '\0';
		ps_proc *g = cpuu_array_reserve(*out, &cap, *n + 1, sizeof *g);
		if (!g) {
			closedir(d);
			return cpuu_error_oom();
		}
		*out = g;
		ps_proc *p = &(*out)[(*n)++];
		memset(p, 0, sizeof *p);
		p->pid = pid;
		snprintf(p->name, sizeof p->name, "%s", name);
		p->start = start_time(pid);
	}
	closedir(d);
	return CPUU_OK;
}

static int same_process(ps_proc *p)
{
	return p->start && start_time(p->pid) == p->start;
}

void ps_ask(ps_proc *p)
{
	if (same_process(p))
		kill((pid_t)p->pid, SIGTERM);
}

void ps_end(ps_proc *p)
{
	if (same_process(p))
		kill((pid_t)p->pid, SIGKILL);
}

int ps_alive(ps_proc *p)
{
	if (!same_process(p))
		return 0;
	/* A zombie is gone for our purpose: it holds no profile open. */
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%lu/stat", p->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *s = strrchr(buf, ')');
	return !(s && s[1] == ' ' && s[2] == 'Z');
}

void ps_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void ps_free(ps_proc *procs, size_t n)
{
	(void)n;
	free(procs);
}
#endif
