/* Private declarations of the report module: the store backend interface
 * (SQLite, PostgreSQL) and helpers shared by ingest, summary and HTML. */
#ifndef CPUU_REPORT_INTERNAL_H
#define CPUU_REPORT_INTERNAL_H

#include "common/internal.h"
#include "cpuu/report.h"

#include <stdio.h>

#define REPORT_MAX_LINE (1 << 20)

/* A row of a query as text (NULL for SQL NULL); return nonzero to stop with
 * that code. */
typedef int (*report_row_fn)(void *ctx, int ncol, const char *const *values);

/* What the store remembers of a result file, so the next ingest reads only
 * what is new: its size and mtime when last read, the bytes and lines up to
 * the end of the last complete line, and a hash of its first bytes (a file
 * replaced by another is read again from its start). */
#define REPORT_HEAD_BYTES 512
typedef struct report_file_seen {
	int64_t mtime, size;
	int64_t consumed; /* bytes up to the end of the last complete line */
	int64_t lines;    /* lines in those bytes */
	int64_t head;     /* report_head_hash of the first min(consumed, REPORT_HEAD_BYTES) bytes */
} report_file_seen;

int64_t report_head_hash(const unsigned char *data, size_t len);

/* A result file by its absolute path: from the folder walk, its mtime and
 * size (the rest 0); from the store, all of what it remembers (files.c). */
typedef struct report_file {
	char *path;
	report_file_seen seen;
} report_file;
typedef struct report_file_list {
	report_file *items;
	size_t count, cap;
} report_file_list;
int report_file_list_add(report_file_list *l, const char *path, const report_file_seen *seen);
void report_file_list_free(report_file_list *l);
/* Every file the store knows, sorted by path (one query). */
int report_known_load(report_file_list *out, cpuu_report *rep);
const report_file_seen *report_known_find(const report_file_list *known, const char *path);
/* Files read since the load into known (same path: fresh wins); empties
 * fresh. */
int report_known_merge(report_file_list *known, report_file_list *fresh);

/* One store backend. Every query text is written in the SQL both stores
 * understand; parameters are $1.. in PostgreSQL and ?NNN in SQLite, so the
 * backends own the statements with parameters (file upsert, record insert). */
typedef struct report_backend {
	const char *name;
	int (*begin)(cpuu_report *rep);
	int (*commit)(cpuu_report *rep);
	int (*rollback)(cpuu_report *rep);
	/* Creates or updates the file row (path unique); *id is its id, or 0
	 * when the backend defers the statement (insert then finds the file by
	 * path). */
	int (*file)(cpuu_report *rep, int64_t *id, const char *path, const report_file_seen *seen, int64_t now);
	/* Inserts unless (file, line, hash) exists. May be deferred (PostgreSQL
	 * pipelines them): errors may surface at flush. */
	int (*insert)(cpuu_report *rep, int64_t file_id, const char *path, int64_t line, int64_t hash,
		      int64_t observed_at, const cpuu_report_record *rec);
	/* Completes what is deferred; *added = records new to the store since
	 * the last flush. Called before every commit. */
	int (*flush)(cpuu_report *rep, size_t *added);
	int (*query)(cpuu_report *rep, const char *sql, report_row_fn row, void *ctx);
	void (*close)(cpuu_report *rep);
} report_backend;

struct cpuu_report {
	const report_backend *be;
	void *impl;
};

int report_sqlite_open(cpuu_report *rep, const char *path);
int report_pg_open(cpuu_report *rep, const char *url);

/* Schema shared by both stores (the DDL differs in types only). */
#define REPORT_LATEST_SELECT                                                                               \
	"SELECT id, file_id, line, user_name, hive, profile, account, mode, outcome, changes, message, "  \
	"duration_ms, observed_at FROM (SELECT r.*, row_number() OVER (PARTITION BY user_name, "          \
	"coalesce(profile, ''), coalesce(account, '') ORDER BY observed_at DESC, id DESC) AS rn "          \
	"FROM report_records r) t WHERE rn = 1"

int64_t report_record_hash(const cpuu_report_record *r);

/* cpuu_report_record_kind as SQL over a row with columns profile and
 * account (kind.c has the same rules in C). A record whose account is not
 * a feature name and whose profile is set is an account record. */
#define REPORT_FEATURE_SQL                                                                                   \
	"(CASE WHEN account IN ('autocomplete', 'caches', 'signatures') THEN account "                      \
	"WHEN account LIKE 'autodiscover:%' THEN 'autodiscover' WHEN account LIKE 'additional:%' "            \
	"THEN 'additional' END)"
#define REPORT_IS_ACCOUNT_SQL "(profile IS NOT NULL AND account IS NOT NULL AND " REPORT_FEATURE_SQL " IS NULL)"

/* A user's latest records folded into their status (kind.c). Times are
 * (observed_at, seq) pairs: the latest at-target account record and the
 * latest rolled-back rollback record. */
typedef struct report_user_tally {
	int failed;
	size_t accounts, at_target;
	int64_t up_t, up_seq, rb_t, rb_seq;
	int has_up, has_rb;
} report_user_tally;
void report_user_tally_add(report_user_tally *t, const cpuu_report_state *st);
/* Folds the rows of all->items[from].rec.user (rows sorted by user);
 * returns the index after them. */
size_t report_user_tally_fold(report_user_tally *t, const cpuu_report_states *all, size_t from);
cpuu_report_user_status report_user_tally_status(const report_user_tally *t);

/* The rows of a query as an array of items of one shape: a row narrower
 * than min_cols is an error; fill converts one row into the item (an error
 * leaves the item out and stops the query); clear frees what an item owns
 * (NULL: nothing). */
typedef struct report_rows report_rows;
typedef struct report_row_shape {
	size_t item_size;
	int min_cols;
	int (*fill)(void *item, const report_rows *l, const char *const *v);
	void (*clear)(void *item);
} report_row_shape;
struct report_rows {
	const report_row_shape *shape;
	void *items;
	size_t count, cap;
};
/* Runs sql and appends each row to *out (emptied first); on error *out
 * holds the rows before it (free them with report_rows_free). */
int report_rows_query(report_rows *out, cpuu_report *rep, const report_row_shape *shape, const char *sql);
void report_rows_free(report_rows *l);

/* Runs a query whose first column is a count; *out = that number. */
int report_count(cpuu_report *rep, size_t *out, const char *sql);
/* Fills a state from columns user, hive, profile, account, mode, outcome,
 * changes, message, duration_ms, observed_at (v[0..9]). */
int report_state_from_row(cpuu_report_state *st, const char *const *v);
void report_state_clear(cpuu_report_state *st);

/* Output helpers: HTML text/attribute escape, CSV field (RFC 4180, and a
 * leading ' on cells a spreadsheet would run as a formula). */
void report_html_escape(cpuu_buf *b, const char *s);
void report_csv_field(cpuu_buf *b, const char *s);
/* "2026-11-26 19:00:30Z" (UTC) into out[32]. */
void report_format_time(char out[32], int64_t t);

/* File system (POSIX): absolute path, stat, folder walk, atomic write. */
char *report_abspath(const char *path);
int report_stat(const char *path, int *is_dir, int64_t *mtime, int64_t *size);
/* The file from byte `from` to its end (*data, *len), its mtime and size at
 * open, and its first REPORT_HEAD_BYTES bytes (head, *head_len). */
int report_read_from(char **data, size_t *len, int64_t *mtime, int64_t *size, unsigned char *head,
		     size_t *head_len, const char *path, int64_t from);
/* Every *.jsonl file under dir (not following links), in name order, with
 * the mtime and size of the walk's lstat. */
int report_list_jsonl(report_file_list *out, const char *dir);
int report_write_atomic(const char *dir, const char *name, const char *data, size_t len);

#endif
