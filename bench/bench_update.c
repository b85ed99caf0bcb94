/* Profile update speed against its baselines, measured in the same run, the
 * contenders in turns within each round (>= 5 rounds; medians and ranges):
 *   in process   (the grown 5.3 MB hive) hivex open + commit (floor), the
 *                same made durable, and cpuu_run_hive with the mapping
 *                preloaded;
 *   whole process (the realistic 262 KB hive: a real Windows 7 NTUSER.DAT
 *                with the same profiles written into it, 290 KB) cpuu update
 *                (CLI, [Mapping] File = a CSV) against cpuu_floor_proc (the
 *                durable floor as a lean process) and the peers applying the
 *                same edits: hivexregedit --merge and chntpw's reged -I -C;
 *                every process started directly (posix_spawn, no shell);
 *   no-op logon  cpuu update on that hive already switched (every later
 *                logon), whole process, against hivexsh opening the same hive.
 * Every peer's result is verified: each value cpuu's plan edits is read back
 * from the peer's hive and compared with cpuu's own result; a peer whose hive
 * differs is reported as FAILED and not timed (reged -I -C stops at the
 * first value deletion, writes nothing and still exits 0). The no-op run must
 * leave the hive byte for byte unchanged.
 * The hive: a real NTUSER.DAT grown with filler keys, three profiles, five
 * Exchange accounts. Goals (issue 15): cpuu update as a process <= 1.5x the
 * durable floor process; no-op <= 1.5x hivexsh; >= 10x faster than
 * hivexregedit; "met" is decided on medians.
 * Usage: bench_update [rounds] [folder] (default 31 rounds; folder default
 * $TMPDIR or /tmp). On a tmpfs (/dev/shm) fsync costs nothing. */
#include "cpuu/mapping.h"
#include "cpuu/plan.h"
#include "cpuu/profile.h"
#include "cpuu/regtext.h"
#include "cpuu/update.h"
#include "fixture.h"
#include "bench_util.h"

#include <dirent.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define AG "/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

static const char *fixture_text =
	"[profile Outlook]\nversion = 16.0\ndefault = yes\n"
	"[exchange]\ndisplay_name = Alice\nsmtp = alice@source.example\nlegacy_dn = /o=Source" AG "alice\n"
	"mailbox_guid = 11111111-2222-4333-8444-555555555501\ncached = yes\n"
	"ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost\n"
	"additional = /o=Source" AG "sales | Sales\n"
	"[exchange]\ndisplay_name = Alice Team\nsmtp = team@source.example\nlegacy_dn = /o=Source" AG "team\n"
	"mailbox_guid = 11111111-2222-4333-8444-555555555502\ncached = no\n"
	"[pst]\npath = C:\\Users\\alice\\Documents\\Archive.pst\ndisplay_name = Archive\n"
	"[profile Travel]\nversion = 16.0\n"
	"[exchange]\ndisplay_name = Alice\nsmtp = alice@source.example\nlegacy_dn = /o=Source" AG "alice\n"
	"mailbox_guid = 11111111-2222-4333-8444-555555555501\ncached = yes\n"
	"ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\travel.ost\n"
	"[exchange]\ndisplay_name = Shared Desk\nsmtp = desk@source.example\nlegacy_dn = /o=Source" AG "desk\n"
	"mailbox_guid = 11111111-2222-4333-8444-555555555503\ncached = yes\n"
	"[profile Old]\nversion = 15.0\nstrings = string8\n"
	"[exchange]\ndisplay_name = Alice\nsmtp = alice@source.example\nlegacy_dn = /o=Source" AG "alice\n"
	"mailbox_guid = 11111111-2222-4333-8444-555555555501\ncached = yes\n";

static const char *mapping_text =
	"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
	"target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"
	"/o=Source" AG "alice,alice@source.example,11111111-2222-4333-8444-555555555501,,/o=Target" AG "alice,"
	"alice@target.example,aaaaaaaa-2222-4333-8444-555555555501,Alice,onprem,aaaaaaaa-2222-4333-8444-555555555501@target.example,true\n"
	"/o=Source" AG "team,team@source.example,11111111-2222-4333-8444-555555555502,,/o=Target" AG "team,"
	"team@target.example,aaaaaaaa-2222-4333-8444-555555555502,Team,onprem,aaaaaaaa-2222-4333-8444-555555555502@target.example,true\n"
	"/o=Source" AG "desk,desk@source.example,11111111-2222-4333-8444-555555555503,,,"
	"desk@target.onmicrosoft.com,,Desk,online,,true\n";

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_update: %s: %s\n", what, cpuu_error_last()->message);
	exit(1);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[16384];
	snprintf(cmd, sizeof cmd, "cp '%.4095s' '%.4095s' && chmod u+w '%.4095s'", from, to, to);
	if (system(cmd) != 0)
		die("copy");
}

static int lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	return cpuu_mapping_lookup(m, st, ctx, key);
}

/* Filler: what a real user's hive carries besides Outlook. */
static void grow(cpuu_reg *reg, int keys)
{
	uint8_t blob[96];
	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i * 7);
	for (int k = 0; k < keys; k++) {
		char path[128];
		snprintf(path, sizeof path, "Software\\BenchVendor\\App%03d\\Settings%03d", k / 100, k % 100);
		cpuu_reg_key *key = NULL;
		if (cpuu_reg_key_create(&key, reg, NULL, path))
			die("grow");
		for (int v = 0; v < 8; v++) {
			char name[32];
			snprintf(name, sizeof name, "Value%d", v);
			if (cpuu_reg_value_set(reg, key, name, CPUU_REG_BINARY, blob, sizeof blob))
				die("grow value");
		}
		cpuu_reg_key_free(key);
	}
}

/* The values cpuu's plan edits (key relative to the hive root, value name):
 * what is compared between cpuu's result and each peer's. */
typedef struct edited {
	char *key, *name;
} edited;
/* What one hive's contenders are checked against: the values cpuu's plan
 * edits there and cpuu's own result. */
typedef struct vsnap vsnap;
typedef struct expect {
	edited *edits;
	size_t nedits;
	vsnap *ref;
} expect;
static expect g_grown, g_real, *g_cur = &g_grown;

/* The edits cpuu would make, as a .reg file for the other tools. */
static void write_edits_reg(const char *hive, const cpuu_mapping *map, const char *out)
{
	cpuu_reg *reg = NULL;
	cpuu_profile_set *set = NULL;
	if (cpuu_reg_open_hive(&reg, hive, 0) || cpuu_profiles_load(&set, reg))
		die("load profiles");
	cpuu_regtext doc = { .version = 5 };
	size_t cap = 0;
	for (size_t i = 0; i < set->nprofiles; i++)
		for (size_t j = 0; j < set->profiles[i].naccounts; j++) {
			const cpuu_account *a = &set->profiles[i].accounts[j];
			const cpuu_match *m = NULL;
			cpuu_lookup_status st;
			if (a->kind != CPUU_ACCOUNT_EXCHANGE || cpuu_mapping_lookup(&m, &st, map, a->legacy_dn) ||
			    st != CPUU_LOOKUP_FOUND)
				continue;
			cpuu_plan *plan = NULL;
			if (cpuu_plan_new(&plan) || cpuu_plan_switch_account(plan, reg, &set->profiles[i], a, m, NULL))
				die("plan");
			for (size_t e = 0; e < cpuu_plan_count(plan); e++) {
				const cpuu_edit *ed = cpuu_plan_edit(plan, e);
				if (doc.nkeys == cap) {
					cap = cap ? cap * 2 : 16;
					doc.keys = realloc(doc.keys, cap * sizeof *doc.keys);
				}
				cpuu_regtext_key *k = &doc.keys[doc.nkeys++];
				memset(k, 0, sizeof *k);
				size_t n = strlen(ed->key) + 32;
				k->path = malloc(n);
				snprintf(k->path, n, "HKEY_CURRENT_USER\\%s", ed->key);
				k->values = calloc(1, sizeof *k->values);
				k->nvalues = 1;
				k->values[0].name = strdup(ed->name);
				k->values[0].delete_value = ed->op == CPUU_EDIT_DELETE_VALUE;
				k->values[0].type = ed->type;
				k->values[0].len = ed->len;
				k->values[0].data = malloc(ed->len ? ed->len : 1);
				memcpy(k->values[0].data, ed->data ? ed->data : (const uint8_t *)"", ed->len);
				g_cur->edits = realloc(g_cur->edits, (g_cur->nedits + 1) * sizeof *g_cur->edits);
				g_cur->edits[g_cur->nedits].key = strdup(ed->key);
				g_cur->edits[g_cur->nedits].name = strdup(ed->name);
				g_cur->nedits++;
			}
			cpuu_plan_free(plan);
		}
	/* hivexregedit and reged read 8-bit/UTF-8 .reg text, not UTF-16. */
	char *text = NULL;
	size_t len = 0;
	FILE *fp = fopen(out, "wb");
	if (cpuu_regtext_format(&text, &len, &doc) || !fp || fwrite(text, 1, len, fp) != len || fclose(fp))
		die("write .reg");
	cpuu_free(text);
	printf("edits: %zu values in %zu profiles\n", doc.nkeys, set->nprofiles);
	for (size_t i = 0; i < doc.nkeys; i++) {
		free(doc.keys[i].path);
		free(doc.keys[i].values[0].name);
		free(doc.keys[i].values[0].data);
		free(doc.keys[i].values);
	}
	free(doc.keys);
	cpuu_profile_set_free(set);
	cpuu_reg_free(reg);
}

/* --- Reading back edited values (hivex) ----------------------------------- */

struct vsnap {
	int present;
	hive_type type;
	char *data;
	size_t len;
};

static hive_node_h walk(hive_h *h, const char *path)
{
	hive_node_h n = hivex_root(h);
	char *copy = strdup(path), *save = NULL;
	for (char *part = strtok_r(copy, "\\", &save); part && n; part = strtok_r(NULL, "\\", &save))
		n = hivex_node_get_child(h, n, part);
	free(copy);
	return n;
}

/* The edited values of a hive; NULL if it cannot be opened. */
static vsnap *snapshot(const char *path)
{
	hive_h *h = hivex_open(path, 0);
	if (!h)
		return NULL;
	vsnap *v = calloc(g_cur->nedits + 1, sizeof *v);
	for (size_t i = 0; i < g_cur->nedits; i++) {
		hive_node_h n = walk(h, g_cur->edits[i].key);
		hive_value_h val = n ? hivex_node_get_value(h, n, g_cur->edits[i].name) : 0;
		if (!val)
			continue;
		v[i].present = 1;
		v[i].data = hivex_value_value(h, val, &v[i].type, &v[i].len);
	}
	hivex_close(h);
	return v;
}

static void snapshot_free(vsnap *v)
{
	for (size_t i = 0; v && i < g_cur->nedits; i++)
		free(v[i].data);
	free(v);
}

/* Number of edited values that differ between two snapshots. */
static size_t snap_diff(const vsnap *a, const vsnap *b, size_t *first)
{
	size_t d = 0;
	for (size_t i = 0; i < g_cur->nedits; i++) {
		int same = a[i].present == b[i].present &&
			   (!a[i].present || (a[i].type == b[i].type && a[i].len == b[i].len &&
					      (!a[i].len || !memcmp(a[i].data, b[i].data, a[i].len))));
		if (!same && d++ == 0 && first)
			*first = i;
	}
	return d;
}


static size_t diff_from_ref(const char *path, size_t *first)
{
	vsnap *v = snapshot(path);
	if (!v)
		return g_cur->nedits;
	size_t d = snap_diff(v, g_cur->ref, first);
	snapshot_free(v);
	return d;
}

static int files_equal(const char *a, const char *b)
{
	char cmd[9000];
	snprintf(cmd, sizeof cmd, "cmp -s '%.4000s' '%.4000s'", a, b);
	return system(cmd) == 0;
}

/* --- Contenders ----------------------------------------------------------- */

typedef double (*bench_fn)(const char *work, void *ctx);

/* One contender: how to run it, from which starting hive, how to check it. */
typedef struct contender {
	const char *label;
	bench_fn fn;
	void *ctx;
	const char *from;   /* the hive copied to work before each run */
	int check;          /* 1: edited values must equal cpuu's; 2: hive unchanged */
	expect *x;          /* for check 1 */
	double *wall;       /* one per timed round */
	double *by_round;   /* the same by round index; -1 if not timed then */
	double cpu;         /* summed */
	int n;
	size_t failed_runs;
	char why[256];      /* why it is not timed */
} contender;

static void prepare(const char *from, const char *work)
{
	copy_file(from, work);
	char cmd[21000];
	/* cpuu keeps its backups and state beside the hive: a switched hive
	 * comes with its own. */
	snprintf(cmd, sizeof cmd,
		 "rm -rf '%.4000s.cpuu' '%.4000s.floor' && { [ ! -d '%.4000s.cpuu' ] || cp -a '%.4000s.cpuu' '%.4000s.cpuu'; } && sync",
		 work, work, from, from, work);
	if (system(cmd) != 0)
		die("prepare");
}

/* Copies the .reg backup cpuu left in <work>.cpuu/ to to; 0 if none. */
static int copy_backup_of(const char *work, const char *to)
{
	char folder[4200], from[4500];
	snprintf(folder, sizeof folder, "%s.cpuu", work);
	DIR *d = opendir(folder);
	int found = 0;
	for (struct dirent *de; d && !found && (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (!strncmp(de->d_name, "backup-", 7) && n > 4 && !strcmp(de->d_name + n - 4, ".reg")) {
			snprintf(from, sizeof from, "%s/%s", folder, de->d_name);
			copy_file(from, to);
			found = 1;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static int verify(contender *c, const char *work)
{
	if (c->check == 1) {
		g_cur = c->x;
		size_t first = 0, d = diff_from_ref(work, &first);
		if (d) {
			snprintf(c->why, sizeof c->why, "%zu of %zu edited values differ from cpuu's result (first: %s\\%s)",
				 d, g_cur->nedits, g_cur->edits[first].key, g_cur->edits[first].name);
			return 0;
		}
	} else if (c->check == 2 && !files_equal(work, c->from)) {
		snprintf(c->why, sizeof c->why, "the hive changed");
		return 0;
	}
	return 1;
}

/* Every contender once per round, in a rotating order, so that drift of the
 * machine (a VM's flush latency moves 2-3x within minutes) falls on all of
 * them alike and the ratios stay meaningful. A contender that fails its
 * check once is dropped from the timing. */
static void measure_all(int rounds, const char *work, contender *c, size_t n)
{
	for (int r = 0; r < rounds; r++)
		for (size_t t = 0; t < n; t++) {
			contender *k = &c[(t + (size_t)r) % n];
			if (!k->fn || k->why[0])
				continue;
			prepare(k->from, work);
			double c0 = bu_cpu_ms();
			double w = k->fn(work, k->ctx);
			double cpu = bu_cpu_ms() - c0;
			if (w < 0) {
				if (!k->why[0])
					snprintf(k->why, sizeof k->why, "failed to run");
				continue;
			}
			if (!verify(k, work)) {
				k->failed_runs++;
				continue;
			}
			k->wall[k->n++] = w;
			k->by_round[r] = w;
			k->cpu += cpu;
		}
}

static double run_floor(const char *work, void *ctx)
{
	(void)ctx;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.floor", work);
	double t0 = now_ms();
	hive_h *h = hivex_open(work, HIVEX_OPEN_WRITE);
	if (!h || hivex_commit(h, tmp, 0) != 0)
		die("hivex floor");
	hivex_close(h);
	double t = now_ms() - t0;
	unlink(tmp);
	return t;
}

/* The same, made durable the way cpuu commits: temp file in the same folder,
 * fsync, rename, fsync of the folder. */
static double run_floor_durable(const char *work, void *ctx)
{
	(void)ctx;
	char tmp[4200], dir[4200];
	snprintf(tmp, sizeof tmp, "%s.floor", work);
	snprintf(dir, sizeof dir, "%s", work);
	double t0 = now_ms();
	hive_h *h = hivex_open(work, HIVEX_OPEN_WRITE);
	if (!h || hivex_commit(h, tmp, 0) != 0)
		die("hivex floor");
	hivex_close(h);
	int fd = open(tmp, O_RDONLY);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || dfd < 0 || fsync(fd) || rename(tmp, work) || fsync(dfd))
		die("durable floor");
	close(fd);
	close(dfd);
	return now_ms() - t0;
}

static double run_cpuu(const char *work, void *ctx)
{
	cpuu_run_opts o;
	cpuu_run_opts_init(&o);
	cpuu_results *r = NULL;
	double t0 = now_ms();
	int rc = cpuu_run_hive(&r, work, &o, ctx);
	double t = now_ms() - t0;
	if (rc || !(r->exit_mask & CPUU_EXIT_SUCCESS))
		die("cpuu update");
	cpuu_results_free(r);
	return t;
}

/* cpuu's own result on a copy of base is the reference every peer is
 * compared with (kept in g_cur->ref); the edits must change something, or
 * the comparison proves nothing. Returns how many values differ. */
static size_t reference_run(const char *base, const char *ref, void *resolver)
{
	prepare(base, ref);
	run_cpuu(ref, resolver);
	vsnap *before = snapshot(base);
	g_cur->ref = snapshot(ref);
	if (!before || !g_cur->ref)
		die("snapshot");
	size_t changed = snap_diff(before, g_cur->ref, NULL);
	snapshot_free(before);
	if (!changed)
		die("cpuu changed none of the planned values");
	return changed;
}

/* A whole process: argv with "%HIVE%" standing for the hive; ok_status:
 * the exit status that means success (-1: any). Started directly
 * (posix_spawnp, output to /dev/null): a shell in between would add its own
 * start-up to every contender and flatten the ratios. */
#define HIVE_ARG "%HIVE%"
typedef struct command {
	const char *argv[10];
	int ok_status;
} command;

extern char **environ;

static double run_cmd(const char *work, void *ctx)
{
	const command *c = ctx;
	char *argv[10] = { 0 };
	for (size_t i = 0; i < 9 && c->argv[i]; i++)
		argv[i] = (char *)(strcmp(c->argv[i], HIVE_ARG) ? c->argv[i] : work);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	double t0 = now_ms();
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), status = 0;
	if (rc == 0)
		while (waitpid(pid, &status, 0) < 0) {
		}
	double t = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || !WIFEXITED(status) || (c->ok_status >= 0 && WEXITSTATUS(status) != c->ok_status)) {
		fprintf(stderr, "bench_update: command failed (%s): %s\n",
			rc ? strerror(rc) : WIFEXITED(status) ? "exit status" : "signal", argv[0]);
		return -1;
	}
	return t;
}

static bu_stat report(const contender *c, int rounds)
{
	bu_stat s = bu_stat_of(c->wall, c->n);
	if (!c->fn) {
		printf("  %-46s %s\n", c->label, c->why[0] ? c->why : "not installed");
	} else if (c->why[0]) {
		printf("  %-46s FAILED, not timed: %s\n", c->label, c->why);
		s.n = 0;
	} else {
		printf("  %-46s %9.2f [%7.2f-%7.2f] %9.2f  (n=%d of %d)\n", c->label, s.median, s.min, s.max,
		       c->n ? c->cpu / c->n : 0.0, c->n, rounds);
	}
	return s;
}

/* The ratio of the medians, and the median and range of the per-round
 * ratios (the two ran back to back in each round: paired). */
static void ratio(const char *label, const contender *ca, const contender *cb, int rounds, const char *goal,
		  double limit, int at_most)
{
	bu_stat a = bu_stat_of(ca->wall, ca->why[0] ? 0 : ca->n), b = bu_stat_of(cb->wall, cb->why[0] ? 0 : cb->n);
	if (a.n <= 0 || b.n <= 0) {
		printf("  %-44s -   (a contender failed or is missing)%s%s\n", label, goal ? "   goal " : "", goal ? goal : "");
		return;
	}
	double pr[64];
	int np = 0;
	for (int r = 0; r < rounds && np < 64; r++)
		if (ca->by_round[r] > 0 && cb->by_round[r] > 0)
			pr[np++] = ca->by_round[r] / cb->by_round[r];
	bu_stat p = bu_stat_of(pr, np);
	double q = a.median / b.median;
	int met = at_most ? q <= limit : q >= limit;
	/* CPU time is what a busy machine inflates least (means: rusage is
	 * too coarse for one run's median). */
	printf("  %-44s %6.2fx  (paired: %.2fx [%.2fx - %.2fx]; cpu %.2fx)", label, q, p.median, p.min, p.max,
	       (ca->cpu / ca->n) / (cb->cpu / cb->n));
	if (goal)
		printf("   goal %s: %s", goal, met ? "met" : "NOT met");
	printf("\n");
}

int main(int argc, char **argv)
{
	int rounds = bu_rounds(argc > 1 ? argv[1] : NULL, 31);
	const char *where = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[3072];
	snprintf(dir, sizeof dir, "%.2000s/cpuu-bench-update-XXXXXX", where);
	if (!mkdtemp(dir))
		die("mkdtemp");
	char base[4096], work[4096], reg_file[4096], ref[4096], csv[4096], ini[4096];
	snprintf(base, sizeof base, "%s/base.DAT", dir);
	snprintf(work, sizeof work, "%s/NTUSER.DAT", dir);
	snprintf(reg_file, sizeof reg_file, "%s/edits.reg", dir);
	snprintf(ref, sizeof ref, "%s/switched.DAT", dir);
	snprintf(csv, sizeof csv, "%s/mapping.csv", dir);
	snprintf(ini, sizeof ini, "%s/cpuu.ini", dir);

	const char *real = CPUU_SHARED_DIR "/real-hives/win81-NTUSER.DAT";
	if (access(real, R_OK) == 0)
		copy_file(real, base);
	else if (cpuu_hive_create_blank(base, NULL))
		die("blank hive");
	cpuu_reg *reg = NULL;
	cpuu_fixture *f = NULL;
	if (cpuu_reg_open_hive(&reg, base, CPUU_REG_OPEN_WRITE))
		die("open base");
	grow(reg, 3000);
	if (cpuu_fixture_parse(&f, fixture_text, strlen(fixture_text)) || cpuu_fixture_apply(reg, f))
		die("fixture");
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	if (cpuu_reg_commit(reg, &nb))
		die("commit base");
	cpuu_fixture_free(f);
	cpuu_reg_free(reg);
	struct stat st;
	stat(base, &st);

	/* CPUU_BENCH_KEEP=FILE keeps a copy of the generated hive, for profiling. */
	if (getenv("CPUU_BENCH_KEEP"))
		copy_file(base, getenv("CPUU_BENCH_KEEP"));
	cpuu_mapping *map = NULL;
	if (cpuu_mapping_load_buffer(&map, mapping_text, strlen(mapping_text)))
		die("mapping");
	FILE *fp = fopen(csv, "w");
	FILE *fi = fopen(ini, "w");
	if (!fp || !fi || fputs(mapping_text, fp) < 0 || fprintf(fi, "[Mapping]\nFile = %s\n", csv) < 0 || fclose(fp) ||
	    fclose(fi))
		die("write mapping/ini");
	cpuu_match_source resolver = { lookup, map };
	write_edits_reg(base, map, reg_file);

	size_t changed = reference_run(base, ref, &resolver);
	printf("hive: %.1f MB (%s + 3000 filler keys), 3 profiles, 5 Exchange accounts; %zu edited values "
	       "(%zu differ from the original); %d rounds, contenders in turns\n",
	       (double)st.st_size / 1e6, access(real, R_OK) == 0 ? "win81 NTUSER.DAT" : "blank", g_cur->nedits, changed,
	       rounds);

	/* The realistic hive for the whole-process rows: a real Windows 7
	 * NTUSER.DAT (262 KB) with the same profiles, no filler. */
	char rbase[4096], rref[4096], rreg[4096];
	snprintf(rbase, sizeof rbase, "%s/real-base.DAT", dir);
	snprintf(rref, sizeof rref, "%s/real-switched.DAT", dir);
	snprintf(rreg, sizeof rreg, "%s/real-edits.reg", dir);
	const char *win7 = CPUU_SHARED_DIR "/real-hives/win7pro-NTUSER.DAT";
	if (access(win7, R_OK) == 0)
		copy_file(win7, rbase);
	else if (cpuu_hive_create_blank(rbase, NULL))
		die("blank hive");
	if (cpuu_reg_open_hive(&reg, rbase, CPUU_REG_OPEN_WRITE) ||
	    cpuu_fixture_parse(&f, fixture_text, strlen(fixture_text)) || cpuu_fixture_apply(reg, f) ||
	    cpuu_reg_commit(reg, &nb))
		die("realistic hive");
	cpuu_fixture_free(f);
	cpuu_reg_free(reg);
	struct stat rst;
	stat(rbase, &rst);
	g_cur = &g_real;
	write_edits_reg(rbase, map, rreg);
	size_t rchanged = reference_run(rbase, rref, &resolver);
	printf("realistic hive (whole processes): %.0f KB (%s + the same profiles), %zu edited values (%zu differ "
	       "from the original)\n",
	       (double)rst.st_size / 1024, access(win7, R_OK) == 0 ? "win7pro NTUSER.DAT, 262 KB" : "blank",
	       g_cur->nedits, rchanged);
	if (getenv("CPUU_BENCH_KEEP_REAL"))
		copy_file(rbase, getenv("CPUU_BENCH_KEEP_REAL"));

	command c_hx = { { "hivexregedit", "--merge", HIVE_ARG, "--prefix", "HKEY_CURRENT_USER", rreg }, 0 };
	command c_rg = { { "reged", "-I", "-C", HIVE_ARG, "HKEY_CURRENT_USER", rreg }, 0 };
	command c_cli = { { CPUU_CLI_PATH, "update", "--config", ini, "--hive", HIVE_ARG }, CPUU_EXIT_SUCCESS };
	command c_fl = { { CPUU_FLOOR_PROC_PATH, HIVE_ARG }, 0 };
	/* The floor with a durable backup needs the bytes cpuu backs up: those
	 * of one cpuu run on the realistic hive. */
	char rbak[4096];
	snprintf(rbak, sizeof rbak, "%s/real-backup.reg", dir);
	prepare(rbase, work);
	if (run_cmd(work, &c_cli) < 0 || !copy_backup_of(work, rbak))
		die("cpuu's backup of the realistic hive");
	command c_flb = { { CPUU_FLOOR_PROC_PATH, "--backup", rbak, HIVE_ARG }, 0 };
	command c_hs = { { "hivexsh", HIVE_ARG }, 0 };
	command c_noop = { { CPUU_CLI_PATH, "update", "--config", ini, "--hive", HIVE_ARG }, -1 };
	int have_hx = system("command -v hivexregedit >/dev/null 2>&1") == 0;
	int have_rg = system("command -v reged >/dev/null 2>&1") == 0;
	int have_hs = system("command -v hivexsh >/dev/null 2>&1") == 0;
	enum { FLOOR, DURABLE, CPUU, CLI, FLOORPROC, FLOORBAK, HX, RG, NOOP, HIVEXSH, NC };
	contender c[NC] = {
		[FLOOR] = { "floor: hivex open + commit", run_floor, NULL, base, 0 },
		[DURABLE] = { "floor, durable: + fsync, rename, fsync", run_floor_durable, NULL, base, 0 },
		[CPUU] = { "cpuu_run_hive (mapping preloaded)", run_cpuu, &resolver, base, 1, &g_grown },
		[CLI] = { "cpuu update (whole process)", run_cmd, &c_cli, rbase, 1, &g_real },
		[FLOORPROC] = { "durable floor process (cpuu_floor_proc)", run_cmd, &c_fl, rbase, 0 },
		[FLOORBAK] = { "  + the same backup, durable (--backup)", run_cmd, &c_flb, rbase, 0 },
		[HX] = { "hivexregedit --merge (no fsync)", have_hx ? run_cmd : NULL, &c_hx, rbase, 1, &g_real },
		[RG] = { "reged -I -C (in place, no fsync)", have_rg ? run_cmd : NULL, &c_rg, rbase, 1, &g_real },
		[NOOP] = { "no-op: cpuu update on a switched hive", run_cmd, &c_noop, rref, 2 },
		[HIVEXSH] = { "hivexsh opening the same hive", have_hs ? run_cmd : NULL, &c_hs, rref, 2 },
	};
	for (size_t k = 0; k < NC; k++)
		if (!(c[k].wall = calloc((size_t)rounds, sizeof *c[k].wall)) ||
		    !(c[k].by_round = malloc((size_t)rounds * sizeof *c[k].by_round)))
			die("memory");
		else
			for (int r = 0; r < rounds; r++)
				c[k].by_round[r] = -1;
	if (!have_hx)
		snprintf(c[HX].why, sizeof c[HX].why, "not installed: apt-get install libhivex-bin");
	if (!have_rg)
		snprintf(c[RG].why, sizeof c[RG].why, "not installed: apt-get install chntpw");
	if (!have_hs)
		snprintf(c[HIVEXSH].why, sizeof c[HIVEXSH].why, "not installed: apt-get install libhivex-bin");
	/* A first, untimed run of each contender checks its result. */
	for (size_t k = 0; k < NC; k++) {
		if (!c[k].fn)
			continue;
		prepare(c[k].from, work);
		if (c[k].fn(work, c[k].ctx) < 0 && !c[k].why[0])
			snprintf(c[k].why, sizeof c[k].why, "failed to run");
		else if (!c[k].why[0] && !verify(&c[k], work))
			c[k].failed_runs++;
		if (c[k].why[0] && c[k].check == 1)
			snprintf(c[k].why + strlen(c[k].why), sizeof c[k].why - strlen(c[k].why), " (its exit status said success)");
	}
	measure_all(rounds, work, c, NC);

	printf("\n  %-46s %9s %17s %9s\n", "(ms)", "median", "[range]", "cpu mean");
	printf(" in process (grown hive, %.1f MB):\n", (double)st.st_size / 1e6);
	report(&c[FLOOR], rounds);
	report(&c[DURABLE], rounds);
	report(&c[CPUU], rounds);
	printf(" whole processes (realistic hive, %.0f KB):\n", (double)rst.st_size / 1024);
	report(&c[CLI], rounds);
	report(&c[FLOORPROC], rounds);
	report(&c[FLOORBAK], rounds);
	report(&c[HX], rounds);
	report(&c[RG], rounds);
	printf(" no-op logon (hive already switched):\n");
	report(&c[NOOP], rounds);
	report(&c[HIVEXSH], rounds);
	for (size_t k = 0; k < NC; k++)
		if (c[k].failed_runs && !c[k].why[0])
			printf("  note: %s failed its check in %zu round(s)\n", c[k].label, c[k].failed_runs);

	printf("\nratios of the medians (paired: the median and range of the per-round ratios):\n");
	ratio("cpuu_run_hive / floor", &c[CPUU], &c[FLOOR], rounds, NULL, 0, 1);
	ratio("cpuu_run_hive / durable floor", &c[CPUU], &c[DURABLE], rounds, NULL, 0, 1);
	ratio("cpuu update process / durable floor process", &c[CLI], &c[FLOORPROC], rounds, "<= 1.5x", 1.5, 1);
	ratio("cpuu update process / floor process + backup", &c[CLI], &c[FLOORBAK], rounds, NULL, 0, 1);
	ratio("cpuu update process / cpuu_run_hive", &c[CLI], &c[CPUU], rounds, NULL, 0, 1);
	ratio("hivexregedit / cpuu update process", &c[HX], &c[CLI], rounds, ">= 10x", 10, 0);
	ratio("no-op cpuu update / hivexsh open", &c[NOOP], &c[HIVEXSH], rounds, "<= 1.5x", 1.5, 1);
	if (c[RG].why[0] && c[RG].fn)
		printf("  reged / cpuu: no ratio, reged's result is wrong (see above)\n");

	for (size_t k = 0; k < NC; k++) {
		free(c[k].wall);
		free(c[k].by_round);
	}
	expect *sets[] = { &g_grown, &g_real };
	for (size_t k = 0; k < 2; k++) {
		g_cur = sets[k];
		snapshot_free(g_cur->ref);
		for (size_t i = 0; i < g_cur->nedits; i++) {
			free(g_cur->edits[i].key);
			free(g_cur->edits[i].name);
		}
		free(g_cur->edits);
	}
	cpuu_mapping_free(map);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
