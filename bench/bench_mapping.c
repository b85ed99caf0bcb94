/* Mapping file benchmark: a generated 1,000,000-row CSV, loaded and queried,
 * and its indexed mapping (docs/mapping-index.md), against baselines measured
 * in the same run on the same file, in turns within each of >= 5 rounds
 * (medians and ranges):
 *   floor  - reading the file and counting lines with fgets (pure I/O + scan);
 *   cpuu   - cpuu_mapping_load in process, and 1,000,000 lookups;
 *   peer   - the sqlite3 shell: .import --csv into :memory: plus an index on
 *            each source key column, then 1,000,000 indexed lookups as a join;
 *   CLI    - whole processes: `cpuu map lookup` with [Mapping] File = the CSV
 *            (loads it all) and = the index (cold: its pages dropped first),
 *            their outputs compared;
 *   index  - one user's lookups (open + legacyDN, SMTP, GUID, X500) with the
 *            index's pages dropped from the cache (posix_fadvise DONTNEED),
 *            bytes counted by the index's read layer; answers checked
 *            against the loaded CSV.
 * Goals (issue 15): load median <= 1 s; one user's lookups <= 64 KB read and
 * <= 5 ms cold. Usage: bench_mapping [rows] [rounds] */
#include "cpuu/mapping.h"
#include "bench_util.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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


/* One measured sample: wall and CPU ms. */
typedef struct sample {
	double *wall, *cpu;
	int n;
} sample;

static void sample_init(sample *x, int rounds)
{
	x->wall = calloc((size_t)rounds, sizeof *x->wall);
	x->cpu = calloc((size_t)rounds, sizeof *x->cpu);
	x->n = 0;
	if (!x->wall || !x->cpu)
		exit(1);
}

static void sample_add(sample *x, double wall, double cpu)
{
	x->wall[x->n] = wall;
	x->cpu[x->n] = cpu;
	x->n++;
}

static void sample_print(const char *label, const sample *x)
{
	bu_stat w = bu_stat_of(x->wall, x->n), c = bu_stat_of(x->cpu, x->n);
	if (!x->n) {
		printf("  %-56s %s\n", label, "-");
		return;
	}
	printf("  %-56s %9.1f [%7.1f-%7.1f] %9.1f [%7.1f-%7.1f]\n", label, w.median, w.min, w.max, c.median, c.min,
	       c.max);
}

static double median_wall(const sample *x)
{
	return bu_stat_of(x->wall, x->n).median;
}

static double median_cpu(const sample *x)
{
	return bu_stat_of(x->cpu, x->n).median;
}

static void floor_fgets(sample *x, const char *csv, size_t *lines)
{
	char line[4096];
	double w = bu_now_ms(), c = bu_cpu_ms();
	FILE *f = fopen(csv, "r");
	size_t n = 0;
	while (f && fgets(line, sizeof line, f))
		n++;
	if (f)
		fclose(f);
	*lines = n;
	sample_add(x, bu_now_ms() - w, bu_cpu_ms() - c);
}

/* Runs a sqlite3 shell script: its wall and CPU time go to load; the last
 * ".timer" report (the indexed join) to join. 0 if it ran. */
static int run_sqlite(const char *dir, const char *script, sample *load, sample *join)
{
	char path[4200], out[4200], cmd[13000];
	snprintf(path, sizeof path, "%s/bench.sql", dir);
	snprintf(out, sizeof out, "%s/bench.out", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "cd '%s' && sqlite3 :memory: < '%s' > '%s' 2>&1", dir, path, out);
	double c = bu_cpu_ms(), t = bu_now_ms();
	int rc = system(cmd);
	t = bu_now_ms() - t;
	c = bu_cpu_ms() - c;
	if (rc != 0)
		return -1;
	double jr = -1, jc = -1;
	long count = -1;
	FILE *o = fopen(out, "r");
	char line[512];
	while (o && fgets(line, sizeof line, o)) {
		double r, u, sy;
		long cnt;
		if (sscanf(line, "Run Time: real %lf user %lf sys %lf", &r, &u, &sy) == 3) {
			jr = r * 1e3;
			jc = (u + sy) * 1e3;
		} else if (sscanf(line, "%ld", &cnt) == 1) {
			count = cnt;
		}
	}
	if (o)
		fclose(o);
	/* The peer's answer is checked: every one of the keys is found once. */
	if (count != 1000000) {
		fprintf(stderr, "bench_mapping: sqlite3 join found %ld rows, expected 1000000: peer failed\n", count);
		return -1;
	}
	/* The join's time is inside the whole run: the load is the rest. */
	sample_add(load, t - jr, c - jc);
	sample_add(join, jr, jc);
	return 0;
}

/* Drops a file's pages from the page cache: the next reads go to the disk,
 * as a workstation's first read over a share does. */
static void drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

/* Runs a command, returns its wall ms and its standard output (malloc'ed). */
static double run_capture(const char *cmd, char **out, double *cpu)
{
	double c = bu_cpu_ms(), t = bu_now_ms();
	FILE *p = popen(cmd, "r");
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t got;
	while (p && buf && (got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	int rc = p ? pclose(p) : -1;
	t = bu_now_ms() - t;
	*cpu = bu_cpu_ms() - c;
	if (buf)
		buf[len] = '\0';
	*out = buf;
	return rc == -1 ? -1 : t;
}

static int same_str(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	int rounds = bu_rounds(argc > 2 ? argv[2] : NULL, 5);
	const char *base = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/cpuu-bench-mapping-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char csv[4200], keys[4200], idx[4200], csv_ini[4200], idx_ini[4200];
	snprintf(csv, sizeof csv, "%s/mapping.csv", dir);
	snprintf(keys, sizeof keys, "%s/keys.csv", dir);
	snprintf(idx, sizeof idx, "%s/mapping.csv.idx", dir);
	snprintf(csv_ini, sizeof csv_ini, "%s/csv.ini", dir);
	snprintf(idx_ini, sizeof idx_ini, "%s/idx.ini", dir);

	/* CPUU_BENCH_KEEP=FILE: only write the generated CSV there, for profiling. */
	if (getenv("CPUU_BENCH_KEEP")) {
		int rc = generate(getenv("CPUU_BENCH_KEEP"), keys, rows);
		remove(keys);
		rmdir(dir);
		return rc ? 1 : 0;
	}
	double t = bu_now_ms();
	if (generate(csv, keys, rows) != 0) {
		fprintf(stderr, "cannot write %s\n", csv);
		return 1;
	}
	struct stat sb;
	stat(csv, &sb);
	double mb = (double)sb.st_size / 1e6;
	printf("bench_mapping: %zu rows, %.1f MB CSV (generated in %.2f s) in %s; %d rounds, contenders in turns\n",
	       rows, mb, (bu_now_ms() - t) / 1e3, dir, rounds);
	FILE *ini = fopen(csv_ini, "w");
	fprintf(ini, "[Mapping]\nFile = %s\n", csv);
	fclose(ini);
	ini = fopen(idx_ini, "w");
	fprintf(ini, "[Mapping]\nFile = %s\n", idx);
	fclose(ini);

	/* The index, built once (what `cpuu map export` adds to an export). */
	double bw = bu_now_ms(), bc = bu_cpu_ms();
	cpuu_mapping_index_info info;
	if (cpuu_mapping_index_build(&info, NULL, idx, csv) != CPUU_OK) {
		fprintf(stderr, "index build failed: %s\n", cpuu_error_last()->message);
		return 1;
	}
	bw = bu_now_ms() - bw;
	bc = bu_cpu_ms() - bc;

	/* Warm the page cache once so every CSV contender reads from memory. */
	size_t lines = 0;
	sample s_floor, s_load, s_sql_load, s_sql_join, s_look, s_cli_csv, s_cli_idx;
	sample_init(&s_floor, rounds);
	sample_init(&s_load, rounds);
	sample_init(&s_sql_load, rounds);
	sample_init(&s_sql_join, rounds);
	sample_init(&s_look, rounds);
	sample_init(&s_cli_csv, rounds);
	sample_init(&s_cli_idx, rounds);
	floor_fgets(&s_floor, csv, &lines);
	s_floor.n = 0;

	const char *sql =
		".import --csv mapping.csv m\n"
		"CREATE INDEX m_dn ON m(source_legacy_dn COLLATE NOCASE);\n"
		"CREATE INDEX m_smtp ON m(source_smtp COLLATE NOCASE);\n"
		"CREATE INDEX m_guid ON m(source_mailbox_guid);\n"
		".import --csv keys.csv k\n.timer on\n"
		"SELECT count(*) FROM k JOIN m ON m.source_smtp = k.key COLLATE NOCASE;\n";
	int have_sql = system("command -v sqlite3 >/dev/null 2>&1") == 0 && rows == 1000000;

	/* Users for the index: 50 per round, their four keys copied out. */
	const int per_round = 50;
	size_t nusers = (size_t)per_round * (size_t)rounds;
	double *u_ms = calloc(nusers, sizeof *u_ms), *u_kb = calloc(nusers, sizeof *u_kb);
	double *w_ms = calloc(nusers, sizeof *w_ms);
	size_t nlook = 1000000, u_done = 0, mismatches = 0, cli_mismatch = 0;
	cpuu_mapping *m = NULL;
	for (int r = 0; r < rounds; r++) {
		size_t cli_user = (size_t)(next_rand() % rows);
		char *cli_out[2] = { NULL, NULL };
		/* Contenders in a rotating order, so none always runs first. */
		for (int turn = 0; turn < 5; turn++) {
			switch ((turn + r) % 5) {
			case 0:
				floor_fgets(&s_floor, csv, &lines);
				break;
			case 1: {
				cpuu_mapping_free(m);
				m = NULL;
				double w = bu_now_ms(), c = bu_cpu_ms();
				if (cpuu_mapping_load(&m, csv) != CPUU_OK) {
					fprintf(stderr, "load failed: %s\n", cpuu_error_last()->message);
					return 1;
				}
				sample_add(&s_load, bu_now_ms() - w, bu_cpu_ms() - c);
				if (cpuu_mapping_count(m) != rows || cpuu_mapping_warnings(m)->count) {
					fprintf(stderr, "load: %zu rows, %zu warnings (expected %zu, 0)\n",
						cpuu_mapping_count(m), cpuu_mapping_warnings(m)->count, rows);
					return 1;
				}
				break;
			}
			case 2:
				if (have_sql && run_sqlite(dir, sql, &s_sql_load, &s_sql_join) != 0)
					have_sql = 0;
				break;
			case 3:
			case 4: {
				/* Whole processes, one lookup each (the same user for
				 * both in a round), outputs compared once both ran. */
				int on_csv = (turn + r) % 5 == 3;
				char cmd[9000];
				double c1;
				if (!on_csv)
					drop_cache(idx);
				snprintf(cmd, sizeof cmd, "'%s' map lookup --config '%s' --json user%zu@contoso.com",
					 CPUU_CLI_PATH, on_csv ? csv_ini : idx_ini, cli_user);
				double t1 = run_capture(cmd, &cli_out[on_csv ? 0 : 1], &c1);
				if (t1 < 0)
					cli_mismatch++;
				else
					sample_add(on_csv ? &s_cli_csv : &s_cli_idx, t1, c1);
				break;
			}
			}
		}
		if (!cli_out[0] || !cli_out[1] || strcmp(cli_out[0], cli_out[1]) ||
		    !strstr(cli_out[0], "\"status\":\"found\""))
			cli_mismatch++;
		free(cli_out[0]);
		free(cli_out[1]);
		/* In process: 1,000,000 lookups of random rows, all key kinds. */
		const char **q = malloc(nlook * sizeof *q);
		for (size_t i = 0; i < nlook; i++) {
			const cpuu_match *row = cpuu_mapping_get(m, (size_t)(next_rand() % rows));
			switch (i % 4) {
			case 0: q[i] = row->source_legacy_dn; break;
			case 1: q[i] = row->source_smtp; break;
			case 2: q[i] = row->source_mailbox_guid; break;
			default: q[i] = row->source_x500.count ? row->source_x500.items[0] : row->source_smtp; break;
			}
		}
		size_t found = 0;
		double w = bu_now_ms(), c = bu_cpu_ms();
		for (size_t i = 0; i < nlook; i++) {
			const cpuu_match *row;
			cpuu_lookup_status st;
			if (cpuu_mapping_lookup(&row, &st, m, q[i]) == CPUU_OK && st == CPUU_LOOKUP_FOUND)
				found++;
		}
		sample_add(&s_look, bu_now_ms() - w, bu_cpu_ms() - c);
		free(q);
		if (found != nlook) {
			fprintf(stderr, "lookups: %zu of %zu found\n", found, nlook);
			return 1;
		}
		/* The index: one user at a time, cold, then the same user warm. */
		for (int k = 0; k < per_round; k++, u_done++) {
			const cpuu_match *row = cpuu_mapping_get(m, (size_t)(next_rand() % rows));
			const char *ks[4] = { row->source_legacy_dn, row->source_smtp, row->source_mailbox_guid,
					      row->source_x500.count ? row->source_x500.items[0] : row->source_smtp };
			for (int pass = 0; pass < 2; pass++) {
				if (pass == 0)
					drop_cache(idx);
				double t0 = bu_now_ms();
				cpuu_mapping_index *ix = NULL;
				if (cpuu_mapping_index_open(&ix, idx) != CPUU_OK) {
					fprintf(stderr, "index open: %s\n", cpuu_error_last()->message);
					return 1;
				}
				cpuu_match got[4];
				cpuu_lookup_status st[4];
				for (int j = 0; j < 4; j++)
					if (cpuu_mapping_index_lookup(&got[j], &st[j], ix, ks[j]) != CPUU_OK)
						st[j] = CPUU_LOOKUP_NO_SOURCE;
				double el = bu_now_ms() - t0;
				uint64_t bytes = cpuu_mapping_index_bytes_read(ix);
				cpuu_mapping_index_free(ix);
				for (int j = 0; j < 4; j++) {
					const cpuu_match *want = NULL;
					cpuu_lookup_status wst;
					cpuu_mapping_lookup(&want, &wst, m, ks[j]);
					if (wst != st[j] || !want || !same_str(want->target_smtp, got[j].target_smtp) ||
					    !same_str(want->target_legacy_dn, got[j].target_legacy_dn) ||
					    want->switched != got[j].switched)
						mismatches++;
					cpuu_match_clear(&got[j]);
				}
				if (pass == 0) {
					u_ms[u_done] = el;
					u_kb[u_done] = (double)bytes / 1024.0;
				} else {
					w_ms[u_done] = el;
				}
			}
		}
	}
	cpuu_mapping_free(m);

	printf("\n  %-56s %9s %17s %9s %17s\n", "(ms; median [range])", "wall", "", "cpu", "");
	sample_print("floor: fgets, count lines", &s_floor);
	sample_print("cpuu_mapping_load", &s_load);
	if (s_sql_load.n)
		sample_print("peer: sqlite3 :memory: .import --csv + 3 indexes", &s_sql_load);
	else
		printf("  %-56s %s\n", "peer: sqlite3 (not installed, or not 1,000,000 rows)", "skipped");
	sample_print("cpuu_mapping_lookup x1,000,000 (DN/SMTP/GUID/X500)", &s_look);
	if (s_sql_join.n)
		sample_print("peer: sqlite3 indexed join, 1,000,000 SMTP keys", &s_sql_join);
	sample_print("CLI: cpuu map lookup, [Mapping] File = CSV", &s_cli_csv);
	sample_print("CLI: cpuu map lookup, [Mapping] File = index (cold)", &s_cli_idx);
	printf("  CLI outputs: %s\n", cli_mismatch ? "DIFFER between CSV and index (FAILED)" : "identical for CSV and index");

	bu_stat cold = bu_stat_of(u_ms, (int)nusers), warm = bu_stat_of(w_ms, (int)nusers);
	bu_stat kb = bu_stat_of(u_kb, (int)nusers);
	printf("\nindexed mapping: %.1f MB, %llu keys, built in %.2f s (%.2f s CPU)\n", (double)info.index_size / 1e6,
	       (unsigned long long)info.keys, bw / 1e3, bc / 1e3);
	bu_print_stat("one user's lookups, cold (open + DN, SMTP, GUID, X500)", cold, "ms");
	bu_print_stat("one user's lookups, warm", warm, "ms");
	bu_print_stat("bytes read from the index per user", kb, "KB");
	printf("  answers checked against the loaded CSV: %s (%zu users x 4 keys x cold/warm)\n",
	       mismatches ? "MISMATCH (FAILED)" : "identical", nusers);

	printf("\nratios (medians):\n");
	printf("  load / floor (fgets): %.1fx CPU, %.1fx wall\n", median_cpu(&s_load) / median_cpu(&s_floor),
	       median_wall(&s_load) / median_wall(&s_floor));
	if (s_sql_load.n)
		printf("  sqlite3 load / cpuu load: %.1fx (CPU), %.1fx (wall)\n", median_cpu(&s_sql_load) / median_cpu(&s_load),
		       median_wall(&s_sql_load) / median_wall(&s_load));
	if (s_sql_join.n)
		printf("  sqlite3 join / cpuu lookups: %.1fx (CPU)\n", median_cpu(&s_sql_join) / median_cpu(&s_look));
	printf("  CLI lookup, CSV / index: %.1fx (wall)\n", median_wall(&s_cli_csv) / median_wall(&s_cli_idx));
	printf("  one user: CSV load / index lookups cold: %.0fx (wall); bytes %.0f MB / %.1f KB\n",
	       median_wall(&s_load) / cold.median, mb, kb.median);
	printf("\ngoals (issue 15), on medians:\n");
	printf("  load median <= 1000 ms: %s (%.0f ms wall, %.0f ms CPU)\n",
	       median_wall(&s_load) <= 1000 ? "met" : "NOT met", median_wall(&s_load), median_cpu(&s_load));
	printf("  one user's lookups read <= 64 KB: %s (max %.1f KB)\n", kb.max <= 64 ? "met" : "NOT met", kb.max);
	printf("  one user's lookups <= 5 ms cold: %s (median %.2f ms, max %.2f ms)\n",
	       cold.median <= 5 ? "met" : "NOT met", cold.median, cold.max);

	free(u_ms);
	free(u_kb);
	free(w_ms);
	char cmd[4300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
	return (mismatches || cli_mismatch) ? 1 : 0;
}
