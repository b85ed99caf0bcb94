/* Bulk offline runs: N small hives (default 2,000), one user each, run by
 * `cpuu update --users-dir` with 1 worker and with one per core, as a dry
 * run, synced per hive and in batches of 16. Paired and interleaved: each of
 * >= 5 rounds runs every configuration once, in a rotating order, each on its
 * own copy of the users made and synced before any timing; speed-ups are
 * computed per round (1 worker and 1 per core back to back) and reported as
 * median and range, with the hives/s medians and ranges. Also the peak memory
 * at N/10 (one run) and N hives (flat memory: the two peaks should match), and every
 * run's result checked: the number of result records and of switched hives.
 * Usage: bench_bulk [hives] [folder] [rounds] (folder default: $TMPDIR or
 * /tmp; a tmpfs such as /dev/shm shows the CPU-bound scaling without the
 * disk). A copy made right after deleting the last one measured the
 * filesystem's inode reuse (ext4 without a journal scans for recently
 * deleted inodes), not cpuu: hence all copies first. */
#include "cpuu/mapping.h"
#include "cpuu/registry.h"
#include "fixture.h"
#include "bench_util.h"

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
	long peak_kb;   /* largest resident set of the run's processes */
	long records;   /* hives named in the JSON results */
	long switched;  /* of which switched (or planned, in a dry run) */
} outcome;

/* Copies template to work for one timed run (main syncs once after all the
 * copies, so their dirty pages are not flushed by a timed run). */
static void copy_users(const char *template, const char *work)
{
	char cmd[8400];
	snprintf(cmd, sizeof cmd, "cp -a '%.4095s' '%.4095s'", template, work);
	if (system(cmd) != 0)
		die("copy users");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Counts the hives named in the result records, and those with an account
 * switched (or, in a dry run, planned): records are per account and step. */
static void count_results(outcome *o, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[16384];
	char **hives = NULL;
	size_t n = 0, cap = 0;
	o->records = o->switched = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *h = strstr(line, "\"hive\":\"");
		if (line[0] != '{' || !h)
			continue;
		h += 8;
		char *end = strchr(h, '"');
		if (!end)
			continue;
		int sw = strstr(line, "\"outcome\":\"switched\"") || strstr(line, "\"outcome\":\"planned\"");
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			hives = realloc(hives, cap * sizeof *hives);
		}
		/* "1" + path for a switching record, "0" + path otherwise. */
		size_t len = (size_t)(end - h);
		hives[n] = malloc(len + 2);
		hives[n][0] = sw ? '1' : '0';
		memcpy(hives[n] + 1, h, len);
		hives[n][len + 1] = '\0';
		n++;
	}
	if (f)
		fclose(f);
	qsort(hives, n, sizeof *hives, cmp_str);
	/* distinct paths overall, and distinct among switching records */
	for (size_t i = 0; i < n; i++)
		if (hives[i][0] == '1' && (i == 0 || strcmp(hives[i], hives[i - 1])))
			o->switched++;
	for (size_t i = 0; i < n; i++)
		hives[i][0] = '0';
	qsort(hives, n, sizeof *hives, cmp_str);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(hives[i], hives[i - 1]))
			o->records++;
	for (size_t i = 0; i < n; i++)
		free(hives[i]);
	free(hives);
}

/* Runs the CLI on its own copy (work) with the given workers; a dry run
 * reads and plans everything but writes nothing. */
static outcome run_cli(const char *work, const char *map, int workers, int dry, int batch)
{
	char w[16], b[16], out[4300];
	snprintf(w, sizeof w, "%d", workers);
	snprintf(b, sizeof b, "%d", batch);
	snprintf(out, sizeof out, "%s.jsonl", work);
	fflush(stdout);
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(out, "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(CPUU_CLI_PATH, "cpuu", "update", "--mapping", map, "--users-dir", work, "--workers", w,
		      "--batch", b, "--json", dry ? "--dry-run" : "--json", (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 127)
		die("cpuu run");
	outcome o = { now_s() - t0, ru.ru_maxrss, 0, 0 };
	count_results(&o, out);
	unlink(out);
	return o;
}

enum { DRY1, DRYN, EACH1, EACHN, BAT1, BATN, FEW, NCONF };
static const struct {
	const char *label;
	int per_core, dry, batch, small;
} conf[NCONF] = {
	[DRY1] = { "dry run, 1 worker", 0, 1, 16, 0 },
	[DRYN] = { "dry run, 1 worker per core", 1, 1, 16, 0 },
	[EACH1] = { "update, synced per hive, 1 worker", 0, 0, 1, 0 },
	[EACHN] = { "update, synced per hive, 1 per core", 1, 0, 1, 0 },
	[BAT1] = { "update, batches of 16, 1 worker", 0, 0, 16, 0 },
	[BATN] = { "update, batches of 16, 1 per core", 1, 0, 16, 0 },
	[FEW] = { "update, batches, 1 per core, n/10 hives", 1, 0, 16, 1 },
};

static void speedup(const char *label, const double *a, const double *b, int rounds)
{
	double r[64];
	int n = 0;
	for (int i = 0; i < rounds && n < 64; i++)
		r[n++] = a[i] / b[i];
	bu_stat s = bu_stat_of(r, n);
	printf("  %-34s %5.2fx  [%.2fx - %.2fx]   target on 2 cores >= 1.8x: %s\n", label, s.median, s.min, s.max,
	       s.median >= 1.8 ? "met" : "NOT met");
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	if (n < 10)
		n = 10;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const char *base = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int rounds = bu_rounds(argc > 3 ? argv[3] : NULL, 5);
	if (rounds > 64)
		rounds = 64;
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

	/* One copy per run that writes, all made before the first timing; the
	 * dry runs share one (they change nothing). */
	char (*work)[4200] = calloc((size_t)rounds * NCONF, sizeof *work);
	char dry_work[4200];
	snprintf(dry_work, sizeof dry_work, "%s/dry", dir);
	copy_users(users, dry_work);
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NCONF; k++) {
			if (conf[k].dry || (conf[k].small && r > 0))
				continue;
			snprintf(work[r * NCONF + k], sizeof work[0], "%s/work%d-%d", dir, r, k);
			copy_users(conf[k].small ? small : users, work[r * NCONF + k]);
		}
	if (system("sync") != 0)
		die("sync");
	printf("setup: %d user hives (+ %d copies) in %.1f s; folder %s; %d rounds, configurations in turns\n", n,
	       rounds * 4 + 1, now_s() - t0, dir, rounds);
	run_cli(dry_work, map, (int)cores, 1, 16); /* warms the page cache and the CLI */

	double secs[NCONF][64];
	long peak[NCONF] = { 0 };
	long expect_switched = 0;
	for (int i = 0; i < n; i++)
		expect_switched += (i % 10) != 0;
	int bad = 0;
	for (int r = 0; r < rounds; r++)
		for (int t = 0; t < NCONF; t++) {
			int k = (t + r) % NCONF;
			/* The n/10 run gives only a peak memory: once is enough. */
			if (conf[k].small && r > 0)
				continue;
			const char *w = conf[k].dry ? dry_work : work[r * NCONF + k];
			outcome o = run_cli(w, map, conf[k].per_core ? (int)cores : 1, conf[k].dry, conf[k].batch);
			secs[k][r] = o.seconds;
			if (o.peak_kb > peak[k])
				peak[k] = o.peak_kb;
			long want = conf[k].small ? n / 10 : n;
			if (o.records != want || (!conf[k].small && o.switched != expect_switched)) {
				if (!bad++)
					fprintf(stderr, "bench_bulk: %s: %ld records (want %ld), %ld switched (want %ld)\n",
						conf[k].label, o.records, want, o.switched, expect_switched);
			}
		}
	printf("\n  %-40s %9s %19s %12s\n", "", "hives/s", "[range]", "peak RSS kB");
	for (int k = 0; k < NCONF; k++) {
		double rate[64];
		int count = conf[k].small ? n / 10 : n, runs = conf[k].small ? 1 : rounds;
		for (int r = 0; r < runs; r++)
			rate[r] = count / secs[k][r];
		bu_stat s = bu_stat_of(rate, runs);
		printf("  %-40s %9.0f [%7.0f - %7.0f] %12ld\n", conf[k].label, s.median, s.min, s.max, peak[k]);
	}
	printf("\nspeed-up on %ld cores, 1 worker -> 1 per core (paired per round: median [range]):\n", cores);
	speedup("dry run", secs[DRY1], secs[DRYN], rounds);
	speedup("update, synced per hive", secs[EACH1], secs[EACHN], rounds);
	speedup("update, batches of 16", secs[BAT1], secs[BATN], rounds);
	double r2[64];
	for (int r = 0; r < rounds; r++)
		r2[r] = secs[EACHN][r] / secs[BATN][r];
	bu_stat b2 = bu_stat_of(r2, rounds);
	printf("batches vs synced per hive, 1 per core: %.2fx faster [%.2fx - %.2fx]\n", b2.median, b2.min, b2.max);
	printf("memory: peak at %d hives / at %d hives = %.2f (flat: about 1)\n", n, n / 10,
	       (double)peak[BATN] / (double)peak[FEW]);
	printf("results checked (hives reported and hives switched, every run): %s\n", bad ? "MISMATCH (see above)" : "as expected");
	free(work);
	/* CPUU_BENCH_KEEP=1 keeps the generated users and mapping, for profiling. */
	if (getenv("CPUU_BENCH_KEEP")) {
		printf("kept: %s\n", dir);
		return 0;
	}
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 && !bad ? 0 : 1;
}
