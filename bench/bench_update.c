/* Profile update speed against its baselines, measured in the same run:
 *   floor        hivex open (write mode) + commit with no edit
 *   cpuu         cpuu update of one hive (plan, .reg backup, apply, atomic commit)
 *   hivexregedit the same edits as a .reg file, merged by hivexregedit --merge
 *   reged        the same edits imported by chntpw's reged -I -C
 * on a realistic hive: a real NTUSER.DAT grown with filler keys to a few MB,
 * three profiles, five Exchange accounts. Targets (issue 4): cpuu within
 * 1.2x of the floor, held against the floor made durable (temp, fsync,
 * rename, folder fsync), as every write here must be (docs/update.md,
 * "Which floor"); at least 5x faster than hivexregedit.
 * The contenders take turns within each round (see measure_all).
 * Usage: bench_update [runs] [folder] (default 7 runs, the median is
 * reported; folder default $TMPDIR or /tmp). On a tmpfs (/dev/shm) fsync
 * costs nothing, so cpuu / floor there is the cost of cpuu's own work. */
#include "cpuu/mapping.h"
#include "cpuu/plan.h"
#include "cpuu/profile.h"
#include "cpuu/regtext.h"
#include "cpuu/update.h"
#include "fixture.h"

#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef double (*bench_fn)(const char *work, void *ctx);

/* CPU time (user + system) of this process and its waited-for children. */
static double cpu_ms(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e3;
}

typedef struct timing {
	double wall; /* median, ms */
	double cpu;  /* mean, ms (rusage is too coarse for a median of one run) */
} timing;

/* One contender of the comparison. */
typedef struct contender {
	bench_fn fn;
	void *ctx;
	double *wall; /* one per run */
	double cpu;   /* summed */
} contender;

/* Runs every contender once per round, in turn, so that drift of the machine
 * (the disk's flush latency moves by 2-3x within minutes on a VM) falls on
 * all of them alike and the ratios stay meaningful. */
static void measure_all(int runs, const char *base, const char *work, contender *c, size_t n)
{
	for (int i = 0; i < runs; i++)
		for (size_t k = 0; k < n; k++) {
			if (!c[k].fn)
				continue;
			copy_file(base, work);
			char cmd[4200];
			snprintf(cmd, sizeof cmd, "rm -rf '%.4000s.cpuu' && sync", work);
			if (system(cmd) != 0)
				die("clean");
			double c0 = cpu_ms();
			c[k].wall[i] = c[k].fn(work, c[k].ctx);
			c[k].cpu += cpu_ms() - c0;
		}
}

static timing summary_of(const contender *c, int runs)
{
	if (!c->fn)
		return (timing){ -1, -1 };
	qsort(c->wall, (size_t)runs, sizeof *c->wall, cmp_double);
	return (timing){ c->wall[runs / 2], c->cpu / runs };
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

static double run_cmd(const char *work, void *ctx)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, (const char *)ctx, work);
	double t0 = now_ms();
	int rc = system(cmd);
	double t = now_ms() - t0;
	if (rc != 0) {
		fprintf(stderr, "bench_update: command failed: %s\n", cmd);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	if (runs < 1)
		runs = 1;
	const char *where = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[3072];
	snprintf(dir, sizeof dir, "%.2000s/cpuu-bench-update-XXXXXX", where);
	if (!mkdtemp(dir))
		die("mkdtemp");
	char base[4096], work[4096], reg_file[4096];
	snprintf(base, sizeof base, "%s/base.DAT", dir);
	snprintf(work, sizeof work, "%s/NTUSER.DAT", dir);
	snprintf(reg_file, sizeof reg_file, "%s/edits.reg", dir);

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
	cpuu_match_source resolver = { lookup, map };
	write_edits_reg(base, map, reg_file);
	printf("hive: %.1f MB (%s + 3000 filler keys), 3 profiles, 5 Exchange accounts; median of %d runs\n",
	       (double)st.st_size / 1e6, access(real, R_OK) == 0 ? "win81 NTUSER.DAT" : "blank", runs);

	char hx[8192], rg[8192];
	snprintf(hx, sizeof hx, "hivexregedit --merge '%%s' --prefix 'HKEY_CURRENT_USER' '%s' >/dev/null 2>&1", reg_file);
	snprintf(rg, sizeof rg, "reged -I -C '%%s' 'HKEY_CURRENT_USER' '%s' >/dev/null 2>&1", reg_file);
	int have_hx = system("command -v hivexregedit >/dev/null 2>&1") == 0;
	int have_rg = system("command -v reged >/dev/null 2>&1") == 0;
	contender c[5] = {
		{ run_floor, NULL, NULL, 0 },
		{ run_floor_durable, NULL, NULL, 0 },
		{ run_cpuu, &resolver, NULL, 0 },
		{ have_hx ? run_cmd : NULL, hx, NULL, 0 },
		{ have_rg ? run_cmd : NULL, rg, NULL, 0 },
	};
	for (size_t k = 0; k < 5; k++)
		if (!(c[k].wall = calloc((size_t)runs, sizeof *c[k].wall)))
			die("memory");
	measure_all(runs, base, work, c, 5);
	timing floor = summary_of(&c[0], runs), durable = summary_of(&c[1], runs), cpuu = summary_of(&c[2], runs);
	timing hxt = summary_of(&c[3], runs), rgt = summary_of(&c[4], runs);
	for (size_t k = 0; k < 5; k++)
		free(c[k].wall);
	printf("%-40s %10s %10s\n", "", "wall ms", "cpu ms");
	printf("%-40s %10.2f %10.2f\n", "floor: hivex open + commit", floor.wall, floor.cpu);
	printf("%-40s %10.2f %10.2f\n", "floor, durable: + fsync, rename, fsync", durable.wall, durable.cpu);
	printf("%-40s %10.2f %10.2f\n", "cpuu update (durable, with backup)", cpuu.wall, cpuu.cpu);
	if (have_hx)
		printf("%-40s %10.2f %10.2f\n", "hivexregedit --merge (no fsync)", hxt.wall, hxt.cpu);
	else
		printf("%-40s (not installed: apt-get install libhivex-bin)\n", "hivexregedit --merge");
	if (have_rg)
		printf("%-40s %10.2f %10.2f\n", "reged -I -C (in place, no fsync)", rgt.wall, rgt.cpu);
	else
		printf("%-40s (not installed: apt-get install chntpw)\n", "reged -I -C");
	printf("ratios:\n");
	printf("  cpuu / floor          wall %.2fx  cpu %.2fx   (the floor never fsyncs: docs/update.md)\n",
	       cpuu.wall / floor.wall, cpuu.cpu / floor.cpu);
	printf("  cpuu / durable floor  wall %.2fx  cpu %.2fx   (target <= 1.2x)\n", cpuu.wall / durable.wall,
	       cpuu.cpu / durable.cpu);
	if (have_hx)
		printf("  hivexregedit / cpuu   wall %.2fx  cpu %.2fx   (target >= 5x)\n", hxt.wall / cpuu.wall,
		       hxt.cpu / cpuu.cpu);
	if (have_rg)
		printf("  reged / cpuu          wall %.2fx  cpu %.2fx\n", rgt.wall / cpuu.wall, rgt.cpu / cpuu.cpu);
	cpuu_mapping_free(map);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
