/* Mapping file benchmark: a generated 1,000,000-row CSV, loaded and queried,
 * against baselines measured in the same run on the same file:
 *   floor  - reading the file and counting lines with fgets (pure I/O + scan);
 *   peer   - the sqlite3 shell: .import --csv into :memory: plus an index on
 *            each source key column, then 1,000,000 indexed lookups as a join.
 * Target (issue 3): load in about a second. Usage: bench_mapping [rows] */
#include "cpuu/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Wall time, and CPU time (this process, or its finished children): the
 * machine may be shared, and CPU time is what contention does not inflate. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double children_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

typedef struct timing {
	double wall, cpu;
} timing;

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void guid_of(char out[37], uint64_t a, uint64_t b)
{
	snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xffff, (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffull));
}

/* Rows shaped like a real export: modern legacyDNs (cn=<hex>-alias), one or
 * two old X500s on most users, display names "Last, First" (quoted), a third
 * of the users not switched yet, some on Exchange Online. */
static int generate(const char *csv, const char *keys, size_t rows)
{
	FILE *f = fopen(csv, "w");
	FILE *k = fopen(keys, "w");
	if (!f || !k)
		return -1;
	fputs("source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
	      "target_mailbox_guid,target_display_name,target_kind,target_server,switched\n", f);
	fputs("key\n", k);
	const char *ag = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients";
	const char *tg = "/o=Fabrikam/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients";
	for (size_t i = 0; i < rows; i++) {
		char sg[37], tgd[37];
		uint64_t a = next_rand(), b = next_rand();
		guid_of(sg, a, b);
		guid_of(tgd, b, a);
		int nx = (int)(a % 3);
		int online = (b % 5) == 0;
		fprintf(f, "%s/cn=%016llx-user%zu,user%zu@contoso.com,%s,", ag, (unsigned long long)a, i, i, sg);
		if (nx >= 1)
			fprintf(f, "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=user%zu", i);
		if (nx == 2)
			fprintf(f, ";/o=OldOrg/ou=Site1/cn=Recipients/cn=u%zu", i);
		fprintf(f, ",%s/cn=%016llx-user%zu,user%zu@fabrikam.com,%s,\"User%zu, First\",%s,%s@fabrikam.com,%s\n",
			tg, (unsigned long long)b, i, i, tgd, i, online ? "online" : "onprem", tgd,
			(a % 3) ? "true" : "false");
		fprintf(k, "user%zu@contoso.com\n", (size_t)(next_rand() % rows));
	}
	int bad = ferror(f) || ferror(k);
	bad |= fclose(f) != 0;
	bad |= fclose(k) != 0;
	return bad ? -1 : 0;
}

static timing floor_fgets(const char *csv, size_t *lines)
{
	char line[4096];
	timing t = { now(), cpu_now() };
	FILE *f = fopen(csv, "r");
	size_t n = 0;
	while (f && fgets(line, sizeof line, f))
		n++;
	if (f)
		fclose(f);
	*lines = n;
	t.wall = now() - t.wall;
	t.cpu = cpu_now() - t.cpu;
	return t;
}

/* Runs a sqlite3 shell script; returns its wall and CPU time (wall -1 if
 * sqlite3 is missing). select_time gets the last ".timer" report (real, and
 * user + sys). */
static timing run_sqlite(const char *dir, const char *script, timing *select_time)
{
	timing res = { -1, -1 };
	char path[4200], out[4200], cmd[9000];
	snprintf(path, sizeof path, "%s/bench.sql", dir);
	snprintf(out, sizeof out, "%s/bench.out", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return res;
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "cd '%s' && sqlite3 :memory: < '%s' > '%s' 2>&1", dir, path, out);
	double c = children_cpu(), t = now();
	int rc = system(cmd);
	t = now() - t;
	c = children_cpu() - c;
	if (rc != 0)
		return res;
	res.wall = t;
	res.cpu = c;
	if (select_time) {
		select_time->wall = select_time->cpu = -1;
		FILE *o = fopen(out, "r");
		char line[512];
		while (o && fgets(line, sizeof line, o)) {
			double r, u, sy;
			if (sscanf(line, "Run Time: real %lf user %lf sys %lf", &r, &u, &sy) == 3) {
				select_time->wall = r;
				select_time->cpu = u + sy;
			}
		}
		if (o)
			fclose(o);
	}
	return res;
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *base = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/cpuu-bench-mapping-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char csv[4200], keys[4200];
	snprintf(csv, sizeof csv, "%s/mapping.csv", dir);
	snprintf(keys, sizeof keys, "%s/keys.csv", dir);

	double t = now();
	if (generate(csv, keys, rows) != 0) {
		fprintf(stderr, "cannot write %s\n", csv);
		return 1;
	}
	FILE *sz = fopen(csv, "rb");
	fseek(sz, 0, SEEK_END);
	double mb = (double)ftell(sz) / 1e6;
	fclose(sz);
	printf("bench_mapping: %zu rows, %.1f MB CSV (generated in %.2f s) in %s\n", rows, mb, now() - t, dir);

	/* Warm the page cache once so every contender reads from memory. */
	size_t lines = 0;
	floor_fgets(csv, &lines);
	timing t_floor = floor_fgets(csv, &lines);

	/* cpuu: best of 3 loads (by CPU time). */
	timing t_load = { 1e9, 1e9 };
	cpuu_mapping *m = NULL;
	for (int run = 0; run < 3; run++) {
		cpuu_mapping_free(m);
		m = NULL;
		timing tt = { now(), cpu_now() };
		if (cpuu_mapping_load(&m, csv) != CPUU_OK) {
			fprintf(stderr, "load failed: %s\n", cpuu_error_last()->message);
			return 1;
		}
		tt.wall = now() - tt.wall;
		tt.cpu = cpu_now() - tt.cpu;
		if (tt.cpu < t_load.cpu)
			t_load = tt;
	}
	if (cpuu_mapping_count(m) != rows || cpuu_mapping_warnings(m)->count) {
		fprintf(stderr, "load: %zu rows, %zu warnings (expected %zu, 0)\n", cpuu_mapping_count(m),
			cpuu_mapping_warnings(m)->count, rows);
		return 1;
	}

	/* 1,000,000 lookups of random rows, cycling through the key kinds. The
	 * keys are copied out first, as a caller holds them (from a profile). */
	size_t nlook = 1000000, found = 0;
	const char **q = malloc(nlook * sizeof *q);
	size_t total = 0;
	for (size_t i = 0; i < nlook; i++) {
		const cpuu_match *r = cpuu_mapping_get(m, (size_t)(next_rand() % rows));
		switch (i % 4) {
		case 0: q[i] = r->source_legacy_dn; break;
		case 1: q[i] = r->source_smtp; break;
		case 2: q[i] = r->source_mailbox_guid; break;
		default: q[i] = r->source_x500.count ? r->source_x500.items[0] : r->source_smtp; break;
		}
		total += strlen(q[i]) + 1;
	}
	char *arena = malloc(total), *w = arena;
	for (size_t i = 0; i < nlook; i++) {
		size_t n = strlen(q[i]) + 1;
		memcpy(w, q[i], n);
		q[i] = w;
		w += n;
	}
	timing t_look = { now(), cpu_now() };
	for (size_t i = 0; i < nlook; i++) {
		const cpuu_match *r;
		cpuu_lookup_status st;
		if (cpuu_mapping_lookup(&r, &st, m, q[i]) == CPUU_OK && st == CPUU_LOOKUP_FOUND)
			found++;
	}
	t_look.wall = now() - t_look.wall;
	t_look.cpu = cpu_now() - t_look.cpu;
	free(arena);
	free(q);
	cpuu_mapping_free(m);
	if (found != nlook) {
		fprintf(stderr, "lookups: %zu of %zu found\n", found, nlook);
		return 1;
	}

	/* Peer: sqlite3 in memory, CSV import + one index per source key column. */
	const char *load_sql =
		".import --csv mapping.csv m\n"
		"CREATE INDEX m_dn ON m(source_legacy_dn COLLATE NOCASE);\n"
		"CREATE INDEX m_smtp ON m(source_smtp COLLATE NOCASE);\n"
		"CREATE INDEX m_guid ON m(source_mailbox_guid);\n";
	char look_sql[1024];
	snprintf(look_sql, sizeof look_sql,
		 "%s.import --csv keys.csv k\n.timer on\n"
		 "SELECT count(*) FROM k JOIN m ON m.source_smtp = k.key COLLATE NOCASE;\n", load_sql);
	timing t_sql_load = run_sqlite(dir, load_sql, NULL);
	timing t_sql_look = { -1, -1 };
	if (t_sql_load.wall >= 0)
		run_sqlite(dir, look_sql, &t_sql_look);

	printf("\n%-56s %8s %8s %12s\n", "", "wall s", "cpu s", "rows/s(cpu)");
#define ROW(name, t, n) printf("%-56s %8.3f %8.3f %12.0f\n", name, (t).wall, (t).cpu, (double)(n) / (t).cpu)
	ROW("floor: fgets, count lines", t_floor, lines);
	ROW("cpuu_mapping_load (best of 3)", t_load, rows);
	if (t_sql_load.wall >= 0)
		ROW("peer: sqlite3 :memory: .import --csv + 3 indexes", t_sql_load, rows);
	else
		printf("%-56s %8s\n", "peer: sqlite3 (not installed: skipped)", "-");
	ROW("cpuu_mapping_lookup x1,000,000 (DN/SMTP/GUID/X500)", t_look, nlook);
	if (t_sql_look.wall >= 0)
		ROW("peer: sqlite3 indexed join, 1,000,000 SMTP keys", t_sql_look, nlook);

	printf("\nload / floor (fgets): %.1fx the floor's CPU time (%.1fx wall)\n", t_load.cpu / t_floor.cpu,
	       t_load.wall / t_floor.wall);
	if (t_sql_load.wall >= 0)
		printf("load vs sqlite3: %.1fx faster (CPU), %.1fx (wall)\n", t_sql_load.cpu / t_load.cpu,
		       t_sql_load.wall / t_load.wall);
	if (t_sql_look.cpu > 0)
		printf("lookups vs sqlite3 join: %.1fx faster (CPU)\n", t_sql_look.cpu / t_look.cpu);
	printf("target: load in about 1 s -> %s (%.2f s CPU, %.2f s wall)\n",
	       t_load.cpu <= 1.2 ? "met" : "NOT met", t_load.cpu, t_load.wall);

	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
	return 0;
}
