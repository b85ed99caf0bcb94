/* Bulk offline runs: N small hives (default 10,000), one user each, run by
 * `cpuu update --users-dir` with 1 worker and with one per core. Prints the
 * wall time, hives/s, the speed-up (target on 2 cores: >= 1.8x) and the
 * peak memory of the run at N/10 and N hives (flat memory: the two peaks
 * should match). Usage: bench_bulk [hives] [folder] (default: $TMPDIR or
 * /tmp; give a tmpfs such as /dev/shm to see the CPU-bound scaling without
 * the disk). Every configuration gets its own copy of the users, made and
 * synced before any timing: a copy made right after deleting the last one
 * measured the filesystem's inode reuse (ext4 without a journal scans for
 * recently deleted inodes), not cpuu. */
#include "cpuu/mapping.h"
#include "cpuu/registry.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AG "/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_bulk: %s: %s\n", what, cpuu_error_last()->message);
	exit(1);
}

/* One template hive per user is copied, then given that user's profile. */
static void make_users(const char *dir, int n, FILE *csv)
{
	for (int i = 0; i < n; i++) {
		char udir[4096], hive[4200], text[2048];
		snprintf(udir, sizeof udir, "%s/user%05d", dir, i);
		snprintf(hive, sizeof hive, "%s/NTUSER.DAT", udir);
		if (mkdir(udir, 0700) != 0)
			die("mkdir");
		if (cpuu_hive_create_blank(hive, NULL))
			die("blank");
		snprintf(text, sizeof text,
			 "[profile Outlook]\nversion = 16.0\ndefault = yes\n[exchange]\ndisplay_name = User %d\n"
			 "smtp = user%d@source.example\nlegacy_dn = /o=Source" AG "user%d\n"
			 "mailbox_guid = 11111111-2222-4333-8444-%012d\ncached = yes\n",
			 i, i, i, i);
		cpuu_reg *reg = NULL;
		cpuu_fixture *f = NULL;
		cpuu_reg_commit_opts nb = { .no_backup = 1 };
		if (cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE) || cpuu_fixture_parse(&f, text, strlen(text)) ||
		    cpuu_fixture_apply(reg, f) || cpuu_reg_commit(reg, &nb))
			die("fixture");
		cpuu_fixture_free(f);
		cpuu_reg_free(reg);
		if (csv)
			fprintf(csv,
				"/o=Source" AG "user%d,user%d@source.example,11111111-2222-4333-8444-%012d,,/o=Target" AG
				"user%d,user%d@target.example,aaaaaaaa-2222-4333-8444-%012d,User %d,onprem,"
				"aaaaaaaa-2222-4333-8444-%012d@target.example,%s\n",
				i, i, i, i, i, i, i, i, i % 10 ? "true" : "false");
	}
}

typedef struct outcome {
	double seconds;
	long peak_kb; /* largest resident set of the run's processes */
} outcome;

/* Copies template to work for one timed run; synced so the copy's dirty
 * pages are not flushed by the timed run. */
static void copy_users(const char *template, const char *work)
{
	char cmd[8400];
	snprintf(cmd, sizeof cmd, "cp -a '%.4095s' '%.4095s' && sync", template, work);
	if (system(cmd) != 0)
		die("copy users");
}

/* Runs the CLI on its own copy (work) with the given workers; a dry run
 * reads and plans everything but writes nothing. */
static outcome run_cli(const char *work, const char *map, int workers, int dry, int batch)
{
	char w[16], b[16];
	snprintf(w, sizeof w, "%d", workers);
	snprintf(b, sizeof b, "%d", batch);
	fflush(stdout);
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(CPUU_CLI_PATH, "cpuu", "update", "--mapping", map, "--users-dir", work, "--workers", w,
		      "--batch", b, "--json", dry ? "--dry-run" : "--json", (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 127)
		die("cpuu run");
	outcome o = { now_s() - t0, ru.ru_maxrss };
	return o;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	if (n < 10)
		n = 10;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const char *base = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/cpuu-bench-bulk-XXXXXX", base);
	if (!mkdtemp(dir))
		die("mkdtemp");
	char users[4200], small[4200], map[4200];
	snprintf(users, sizeof users, "%s/users", dir);
	snprintf(small, sizeof small, "%s/small", dir);
	snprintf(map, sizeof map, "%s/mapping.csv", dir);
	mkdir(users, 0700);
	mkdir(small, 0700);
	FILE *csv = fopen(map, "w");
	if (!csv)
		die("mapping");
	fprintf(csv, "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
		     "target_mailbox_guid,target_display_name,target_kind,target_server,switched\n");
	double t0 = now_s();
	make_users(users, n, csv);
	fclose(csv);
	make_users(small, n / 10, NULL);
	printf("setup: %d user hives in %.1f s\n", n, now_s() - t0);

	/* One copy per timed run, all made before the first timing. */
	enum { RUNS = 8 };
	char work[RUNS][4200];
	for (int i = 0; i < RUNS; i++) {
		snprintf(work[i], sizeof work[i], "%s/work%d", dir, i);
		copy_users(i == RUNS - 1 ? small : users, work[i]);
	}
	run_cli(work[0], map, (int)cores, 1, 16); /* warms the page cache and the CLI */
	outcome dry1 = run_cli(work[0], map, 1, 1, 16);
	outcome dryn = run_cli(work[0], map, (int)cores, 1, 16);
	outcome each1 = run_cli(work[1], map, 1, 0, 1);
	outcome eachn = run_cli(work[2], map, (int)cores, 0, 1);
	outcome bat1 = run_cli(work[3], map, 1, 0, 16);
	outcome batn = run_cli(work[4], map, (int)cores, 0, 16);
	outcome few = run_cli(work[RUNS - 1], map, (int)cores, 0, 16);
	printf("folder: %s\n", dir);
	printf("%-40s %10s %10s %12s\n", "", "seconds", "hives/s", "peak RSS kB");
#define ROW(label, o, count) printf("%-40s %10.2f %10.0f %12ld\n", label, (o).seconds, (count) / (o).seconds, (o).peak_kb)
	ROW("dry run, 1 worker", dry1, n);
	ROW("dry run, 1 worker per core", dryn, n);
	ROW("update, synced per hive, 1 worker", each1, n);
	ROW("update, synced per hive, 1 per core", eachn, n);
	ROW("update, batches of 16, 1 worker", bat1, n);
	ROW("update, batches of 16, 1 per core", batn, n);
	ROW("update, batches, 1 per core, n/10 hives", few, n / 10);
#undef ROW
	printf("speed-up on %ld cores (target on 2 cores >= 1.8x): dry run %.2fx, synced per hive %.2fx, "
	       "batches %.2fx\n", cores, dry1.seconds / dryn.seconds, each1.seconds / eachn.seconds,
	       bat1.seconds / batn.seconds);
	printf("batches vs synced per hive, 1 per core: %.2fx faster\n", eachn.seconds / batn.seconds);
	printf("memory: peak at %d hives / at %d hives = %.2f (flat: about 1)\n", n, n / 10,
	       (double)batn.peak_kb / (double)few.peak_kb);
	/* CPUU_BENCH_KEEP=1 keeps the generated users and mapping, for profiling. */
	if (getenv("CPUU_BENCH_KEEP")) {
		printf("kept: %s\n", dir);
		return 0;
	}
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
