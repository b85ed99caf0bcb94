/* Report ingest benchmark: a logon storm of 5,000 workstations, each leaving
 * one result file of 3 records on the log share (15,000 records), ingested
 * into a fresh SQLite store with cpuu_report_ingest; against a baseline
 * measured in the same run on the same rows:
 *   raw-insert - the same rows, already in memory, inserted into the same
 *                table with one prepared statement in one transaction (no
 *                files, no parsing, no idempotence lookups beyond the unique
 *                index): the floor of what SQLite itself costs.
 * Then the same folder again (idempotent pass: nothing added), and a storm
 * with the writers racing the ingest: a child process writes the files line
 * by line while the parent ingests in a loop; after the writer ends one last
 * ingest must hold every record, none lost, none twice.
 * Goal (issue 7): >= 50,000 records/s.
 * Fleet scale (issue 15): a share of 100,000 workstation files already in the
 * store; each round, 1% of the workstations log on again and append a record;
 * the incremental ingest (the store remembers how far each file was read)
 * against a full one (the same store with that memory wiped, so every file is
 * read whole again and every old record found stored: what ingest did
 * before). Paired and interleaved over 5 rounds; medians and ranges; each
 * side must add exactly the new records.
 * Usage: bench_report [workstations] [fleet-workstations] */
#include "cpuu/report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static const char *const outcomes[] = { "switched", "already_switched", "not_switched", "no_match", "error" };

/* Record k (0..2) of workstation i, as one JSON line. */
static int record_line(char *buf, size_t cap, size_t i, int k)
{
	const char *o = outcomes[(i * 3 + (size_t)k) % 5];
	if (k == 2)
		return snprintf(buf, cap,
				"{\"user\":\"user%05zu\",\"hive\":\"\\\\\\\\fs01\\\\profiles$\\\\user%05zu\\\\NTUSER.DAT\","
				"\"profile\":null,\"account\":null,\"mode\":\"update\",\"outcome\":\"skipped\","
				"\"changes\":0,\"message\":\"cached-mode profile not selected\",\"duration_ms\":0.%03zu}\n",
				i, i, i % 1000);
	return snprintf(buf, cap,
			"{\"user\":\"user%05zu\",\"hive\":\"\\\\\\\\fs01\\\\profiles$\\\\user%05zu\\\\NTUSER.DAT\","
			"\"profile\":\"Outlook\",\"account\":\"%s%05zu@contoso.com\",\"mode\":\"update\",\"outcome\":\"%s\","
			"\"changes\":%d,\"message\":%s,\"duration_ms\":%zu.%03zu}\n",
			i, i, k ? "shared" : "user", i, o, k ? 0 : 17, strcmp(o, "error") ? "null" : "\"commit failed\"",
			i % 7, i % 1000);
}

static int write_share(const char *dir, size_t n)
{
	char path[8400], line[1024];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/WS%06zu.jsonl", dir, i);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		for (int k = 0; k < 3; k++) {
			record_line(line, sizeof line, i, k);
			fputs(line, f);
		}
		if (fclose(f) != 0)
			return -1;
	}
	return 0;
}

/* The baseline: parse nothing, read nothing; rows already in memory. */
static double raw_insert(const char *db_path, size_t n, double *cpu)
{
	sqlite3 *db = NULL;
	*cpu = 0;
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	sqlite3_exec(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		     "CREATE TABLE r (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, line INTEGER NOT NULL,"
		     " hash INTEGER NOT NULL, user_name TEXT NOT NULL, hive TEXT NOT NULL, profile TEXT, account TEXT,"
		     " mode TEXT NOT NULL, outcome TEXT NOT NULL, changes INTEGER NOT NULL, message TEXT,"
		     " duration_ms REAL NOT NULL, observed_at INTEGER NOT NULL, UNIQUE (file_id, line, hash));",
		     NULL, NULL, NULL);
	typedef struct row {
		char user[32], hive[96], account[64];
		const char *outcome, *message;
		int k;
	} row;
	row *rows = calloc(n * 3, sizeof *rows);
	if (!rows) {
		sqlite3_close(db);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++) {
			row *r = &rows[i * 3 + (size_t)k];
			snprintf(r->user, sizeof r->user, "user%05zu", i);
			snprintf(r->hive, sizeof r->hive, "\\\\fs01\\profiles$\\user%05zu\\NTUSER.DAT", i);
			snprintf(r->account, sizeof r->account, "%s%05zu@contoso.com", k ? "shared" : "user", i);
			r->outcome = k == 2 ? "skipped" : outcomes[(i * 3 + (size_t)k) % 5];
			r->message = k == 2 ? "cached-mode profile not selected" : strcmp(r->outcome, "error") ? NULL : "commit failed";
			r->k = k;
		}
	double c = cpu_now(), t = now();
	sqlite3_stmt *st = NULL;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO r (file_id, line, hash, user_name, hive, profile, account, mode, outcome,"
			       " changes, message, duration_ms, observed_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
			       " ON CONFLICT DO NOTHING", -1, &st, NULL);
	for (size_t j = 0; j < n * 3; j++) {
		row *r = &rows[j];
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(j / 3 + 1));
		sqlite3_bind_int64(st, 2, r->k + 1);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(j * 2654435761u));
		sqlite3_bind_text(st, 4, r->user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->hive, -1, SQLITE_STATIC);
		if (r->k == 2) {
			sqlite3_bind_null(st, 6);
			sqlite3_bind_null(st, 7);
		} else {
			sqlite3_bind_text(st, 6, "Outlook", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 7, r->account, -1, SQLITE_STATIC);
		}
		sqlite3_bind_text(st, 8, "update", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, r->outcome, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, r->k ? 0 : 17);
		if (r->message)
			sqlite3_bind_text(st, 11, r->message, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 11);
		sqlite3_bind_double(st, 12, 1.5);
		sqlite3_bind_int64(st, 13, 1700000000);
		if (sqlite3_step(st) != SQLITE_DONE)
			fprintf(stderr, "raw insert: %s\n", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	t = now() - t;
	*cpu = cpu_now() - c;
	free(rows);
	sqlite3_close(db);
	return t;
}

static int ingest(const char *url, const char *dir, cpuu_report_ingest_stats *st, double *wall, double *cpu)
{
	cpuu_report *rep = NULL;
	double c = cpu_now(), t = now();
	int rc = cpuu_report_open(&rep, url);
	if (!rc)
		rc = cpuu_report_ingest(rep, dir, st, NULL, NULL);
	cpuu_report_free(rep);
	*wall = now() - t;
	*cpu = cpu_now() - c;
	if (rc)
		fprintf(stderr, "bench_report: %s\n", cpuu_error_last()->message);
	return rc;
}

/* Workstations writing their files line by line while we ingest. */
static int storm(const char *base, size_t n)
{
	char share[4200], url[4300], path[8400], line[1024];
	snprintf(share, sizeof share, "%s/storm", base);
	snprintf(url, sizeof url, "sqlite:%s/storm.sqlite", base);
	mkdir(share, 0755);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s/WS%05zu.jsonl", share, i);
			FILE *f = fopen(path, "a");
			if (!f)
				_exit(1);
			setvbuf(f, NULL, _IONBF, 0); /* the reader sees half-written lines */
			for (int k = 0; k < 3; k++) {
				int len = record_line(line, sizeof line, i, k);
				fwrite(line, 1, (size_t)len / 2, f);
				fwrite(line + len / 2, 1, (size_t)len - (size_t)len / 2, f);
			}
			fclose(f);
		}
		_exit(0);
	}
	cpuu_report_ingest_stats total = { 0 };
	size_t passes = 0;
	int status = 0, done = 0;
	double t = now();
	while (!done) {
		done = waitpid(pid, &status, WNOHANG) == pid;
		cpuu_report_ingest_stats st = { 0 };
		double w, c;
		if (ingest(url, share, &st, &w, &c))
			return -1;
		total.added += st.added;
		total.malformed += st.malformed;
		passes++;
	}
	t = now() - t;
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && total.added == n * 3 && total.malformed == 0;
	printf("storm:      %zu records written while ingesting: %zu stored in %zu passes (%.2f s), %zu malformed: %s\n",
	       n * 3, total.added, passes, t, total.malformed, ok ? "no loss" : "LOSS");
	return ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Appends one more record to every 100th workstation's file (a logon). */
static size_t logon_wave(const char *share, size_t n, size_t wave)
{
	char path[8400], line[1024];
	size_t added = 0;
	for (size_t i = wave % 100; i < n; i += 100) {
		snprintf(path, sizeof path, "%s/WS%06zu.jsonl", share, i);
		FILE *f = fopen(path, "a");
		if (!f)
			continue;
		record_line(line, sizeof line, i * 7 + wave, (int)(wave % 2));
		fputs(line, f);
		if (fclose(f) == 0)
			added++;
	}
	return added;
}

static int wipe_offsets(const char *db_path)
{
	sqlite3 *db = NULL;
	int ok = sqlite3_open(db_path, &db) == SQLITE_OK &&
		 sqlite3_exec(db, "UPDATE report_files SET consumed = 0, lines = 0, head = 0, size = -1", NULL, NULL,
			      NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok ? 0 : -1;
}

static int fleet(const char *base, size_t n)
{
	char share[4200], url[4300];
	snprintf(share, sizeof share, "%s/fleet", base);
	snprintf(url, sizeof url, "sqlite:%s/fleet.sqlite", base);
	mkdir(share, 0755);
	if (write_share(share, n))
		return -1;
	cpuu_report_ingest_stats st = { 0 };
	double w, c;
	if (ingest(url, share, &st, &w, &c) || st.added != n * 3) {
		printf("fleet: first ingest FAILED (%zu of %zu records)\n", st.added, n * 3);
		return -1;
	}
	printf("fleet: %zu workstation files, %zu records, first ingest %.2f s; each round 1%% of them append a record\n",
	       n, n * 3, w);
	enum { ROUNDS = 5 };
	double inc[ROUNDS], full[ROUNDS];
	size_t inc_read[ROUNDS], full_read[ROUNDS];
	int bad = 0;
	size_t wave = 0;
	for (int r = 0; r < ROUNDS; r++)
		for (int turn = 0; turn < 2; turn++) {
			int incremental = (turn + r) % 2 == 0; /* take turns going first */
			size_t expect = logon_wave(share, n, wave++);
			if (!incremental && wipe_offsets(url + 7)) {
				bad = 1;
				continue;
			}
			cpuu_report_ingest_stats s2 = { 0 };
			if (ingest(url, share, &s2, &w, &c) || s2.added != expect) {
				printf("fleet: %s ingest FAILED: added %zu of %zu new records\n",
				       incremental ? "incremental" : "full", s2.added, expect);
				bad = 1;
			}
			(incremental ? inc : full)[r] = w;
			(incremental ? inc_read : full_read)[r] = s2.bytes_read;
		}
	if (bad)
		return -1;
	double si[ROUNDS], sf[ROUNDS];
	memcpy(si, inc, sizeof si);
	memcpy(sf, full, sizeof sf);
	qsort(si, ROUNDS, sizeof *si, cmp_double);
	qsort(sf, ROUNDS, sizeof *sf, cmp_double);
	printf("baseline full re-ingest (every file read whole, old records found stored): median %.3f s "
	       "[%.3f..%.3f], %.1f MB read\n",
	       sf[ROUNDS / 2], sf[0], sf[ROUNDS - 1], (double)full_read[0] / 1e6);
	printf("cpuu incremental ingest (only what is new since the last ingest): median %.3f s [%.3f..%.3f], "
	       "%.1f MB read\n",
	       si[ROUNDS / 2], si[0], si[ROUNDS - 1], (double)inc_read[0] / 1e6);
	printf("ratio incremental/full: %.3fx the baseline's time (%.1fx faster), %.4fx its bytes read\n",
	       si[ROUNDS / 2] / sf[ROUNDS / 2], sf[ROUNDS / 2] / si[ROUNDS / 2],
	       full_read[0] ? (double)inc_read[0] / (double)full_read[0] : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 5000;
	if (!n)
		n = 5000;
	char tmpl[] = "/tmp/cpuu-bench-report-XXXXXX";
	char *base = mkdtemp(tmpl);
	if (!base)
		return 1;
	char share[4200], url[4300], raw[4300], cmd[4400];
	snprintf(share, sizeof share, "%s/share", base);
	snprintf(url, sizeof url, "sqlite:%s/store.sqlite", base);
	snprintf(raw, sizeof raw, "%s/raw.sqlite", base);
	mkdir(share, 0755);
	int status = 0;
	if (write_share(share, n)) {
		fprintf(stderr, "bench_report: cannot write the share\n");
		status = 1;
		goto out;
	}
	size_t records = n * 3;
	double raw_cpu, raw_wall = raw_insert(raw, n, &raw_cpu);
	cpuu_report_ingest_stats st = { 0 }, again = { 0 };
	double wall, cpu, wall2, cpu2;
	if (ingest(url, share, &st, &wall, &cpu) || ingest(url, share, &again, &wall2, &cpu2)) {
		status = 1;
		goto out;
	}
	printf("workstations %zu, records %zu (3 each), one file per workstation, SQLite (WAL, synchronous=NORMAL)\n", n,
	       records);
	printf("baseline raw-insert (same rows in memory, one prepared INSERT, one transaction): %.3f s wall, %.3f s "
	       "CPU, %.0f records/s\n",
	       raw_wall, raw_cpu, (double)records / raw_wall);
	printf("cpuu report ingest (read %zu files, parse, insert, batches of files): %.3f s wall, %.3f s CPU, %.0f "
	       "records/s  [goal >= 50000/s: %s]\n",
	       st.files, wall, cpu, (double)records / wall, (double)records / wall >= 50000 ? "met" : "NOT MET");
	printf("ratio ingest/raw-insert: %.2fx the baseline's time (%.0f%% of its rate)\n", wall / raw_wall,
	       100.0 * raw_wall / wall);
	printf("idempotent re-ingest of the same share: %.3f s, %zu added, %zu already stored, %zu files unchanged "
	       "(not opened)\n",
	       wall2, again.added, again.duplicates, again.unchanged);
	if (st.added != records || again.added != 0) {
		printf("LOSS OR DUPLICATES: added %zu of %zu, re-ingest added %zu\n", st.added, records, again.added);
		status = 1;
	}
	if (storm(base, n))
		status = 1;
	size_t fleet_n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 100000;
	if (fleet_n && fleet(base, fleet_n))
		status = 1;
out:
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_report: could not remove %s\n", base);
	return status;
}
