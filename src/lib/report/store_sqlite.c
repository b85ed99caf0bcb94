/* SQLite store: one file, WAL journal, synchronous=NORMAL. A committed batch
 * survives a process crash; after a power loss the last batches may be lost
 * (WAL is fsynced at checkpoints), which a re-run of the ingest repairs since
 * ingest is idempotent (docs/report.md). */
#include "report/internal.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

typedef struct sq {
	sqlite3 *db;
	sqlite3_stmt *file_stmt;
	sqlite3_stmt *insert_stmt;
	char *path;
	size_t added; /* since the last flush */
} sq;

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS report_files ("
	" id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, mtime INTEGER NOT NULL,"
	" size INTEGER NOT NULL, ingested_at INTEGER NOT NULL, consumed INTEGER NOT NULL DEFAULT 0,"
	" lines INTEGER NOT NULL DEFAULT 0, head INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS report_records ("
	" id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES report_files(id),"
	" line INTEGER NOT NULL, hash INTEGER NOT NULL, user_name TEXT NOT NULL, hive TEXT NOT NULL,"
	" profile TEXT, account TEXT, mode TEXT NOT NULL, outcome TEXT NOT NULL, changes INTEGER NOT NULL,"
	" message TEXT, duration_ms REAL NOT NULL, observed_at INTEGER NOT NULL,"
	" UNIQUE (file_id, line, hash));"
	"CREATE VIEW IF NOT EXISTS report_latest AS " REPORT_LATEST_SELECT ";";

static int sq_fail(sq *s, const char *what)
{
	return cpuu_error_set(CPUU_EIO, "sqlite %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int sq_exec(cpuu_report *rep, const char *sql)
{
	sq *s = rep->impl;
	char *err = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		cpuu_error_set(CPUU_EIO, "sqlite %s: %s", s->path, err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return CPUU_EIO;
	}
	return CPUU_OK;
}

static int sq_begin(cpuu_report *rep)
{
	/* IMMEDIATE: take the write lock now, so two ingests queue on
	 * busy_timeout instead of failing on a lock upgrade. */
	return sq_exec(rep, "BEGIN IMMEDIATE");
}

static int sq_commit(cpuu_report *rep)
{
	return sq_exec(rep, "COMMIT");
}

static int sq_rollback(cpuu_report *rep)
{
	sq *s = rep->impl;
	s->added = 0;
	if (sqlite3_get_autocommit(s->db))
		return CPUU_OK;
	return sq_exec(rep, "ROLLBACK");
}

static int sq_file(cpuu_report *rep, int64_t *id, const char *path, const report_file_seen *seen, int64_t now)
{
	sq *s = rep->impl;
	sqlite3_stmt *st = s->file_stmt;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seen->mtime);
	sqlite3_bind_int64(st, 3, seen->size);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, seen->consumed);
	sqlite3_bind_int64(st, 6, seen->lines);
	sqlite3_bind_int64(st, 7, seen->head);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return sq_fail(s, "file row");
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return CPUU_OK;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int sq_insert(cpuu_report *rep, int64_t file_id, const char *path, int64_t line, int64_t hash,
		     int64_t observed_at, const cpuu_report_record *r)
{
	sq *s = rep->impl;
	sqlite3_stmt *st = s->insert_stmt;
	(void)path;
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, line);
	sqlite3_bind_int64(st, 3, hash);
	sqlite3_bind_text(st, 4, r->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->hive, -1, SQLITE_STATIC);
	bind_opt(st, 6, r->profile);
	bind_opt(st, 7, r->account);
	sqlite3_bind_text(st, 8, r->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, r->changes);
	bind_opt(st, 11, r->message);
	sqlite3_bind_double(st, 12, r->duration_ms);
	sqlite3_bind_int64(st, 13, observed_at);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return sq_fail(s, "insert");
	s->added += sqlite3_changes(s->db) > 0;
	return CPUU_OK;
}

static int sq_flush(cpuu_report *rep, size_t *added)
{
	sq *s = rep->impl;
	*added = s->added;
	s->added = 0;
	return CPUU_OK;
}

static int sq_query(cpuu_report *rep, const char *sql, report_row_fn row, void *ctx)
{
	sq *s = rep->impl;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(s, "query");
	int n = sqlite3_column_count(st), rc;
	const char *vals[32];
	if (n > 32)
		n = 32;
	int out = CPUU_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if ((out = row(ctx, n, vals)))
			break;
	}
	if (!out && rc != SQLITE_DONE)
		out = sq_fail(s, "query");
	sqlite3_finalize(st);
	return out;
}

static void sq_close(cpuu_report *rep)
{
	sq *s = rep->impl;
	if (!s)
		return;
	sqlite3_finalize(s->file_stmt);
	sqlite3_finalize(s->insert_stmt);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
	rep->impl = NULL;
}

static const report_backend sqlite_backend = {
	"sqlite", sq_begin, sq_commit, sq_rollback, sq_file, sq_insert, sq_flush, sq_query, sq_close,
};

/* A store made before ingest became incremental lacks the columns that say
 * how far each file was read: add them (0 = read it whole once more, which
 * adds nothing twice). */
static int has_consumed(void *ctx, int ncol, const char *const *v)
{
	if (ncol > 1 && v[1] && !strcmp(v[1], "consumed"))
		*(int *)ctx = 1;
	return 0;
}

static int sq_upgrade(cpuu_report *rep)
{
	int found = 0;
	int rc = sq_query(rep, "PRAGMA table_info(report_files)", has_consumed, &found);
	if (!rc && !found)
		rc = sq_exec(rep, "ALTER TABLE report_files ADD COLUMN consumed INTEGER NOT NULL DEFAULT 0;"
				  "ALTER TABLE report_files ADD COLUMN lines INTEGER NOT NULL DEFAULT 0;"
				  "ALTER TABLE report_files ADD COLUMN head INTEGER NOT NULL DEFAULT 0;");
	return rc;
}

int report_sqlite_open(cpuu_report *rep, const char *path)
{
	sq *s = calloc(1, sizeof *s);
	if (!s || !(s->path = cpuu_strdup(path))) {
		free(s);
		return cpuu_error_oom();
	}
	rep->be = &sqlite_backend;
	rep->impl = s;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		int rc = s->db ? sq_fail(s, "open") : cpuu_error_oom();
		sq_close(rep);
		return rc;
	}
	sqlite3_busy_timeout(s->db, 30000);
	int rc = sq_exec(rep, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
	if (!rc)
		rc = sq_exec(rep, schema);
	if (!rc)
		rc = sq_upgrade(rep);
	if (!rc && (sqlite3_prepare_v2(s->db,
				       "INSERT INTO report_files (path, mtime, size, ingested_at, consumed, lines, head)"
				       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (path) DO UPDATE SET"
				       " mtime = excluded.mtime, size = excluded.size, ingested_at = excluded.ingested_at,"
				       " consumed = excluded.consumed, lines = excluded.lines, head = excluded.head"
				       " RETURNING id",
				       -1, &s->file_stmt, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db,
				       "INSERT INTO report_records (file_id, line, hash, user_name, hive, profile, account,"
				       " mode, outcome, changes, message, duration_ms, observed_at) VALUES (?1, ?2, ?3, ?4,"
				       " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING",
				       -1, &s->insert_stmt, NULL) != SQLITE_OK))
		rc = sq_fail(s, "prepare");
	if (rc) {
		cpuu_error_prefix("cannot open report store");
		sq_close(rep);
	}
	return rc;
}
