/* The admin's view: a central store of result records (docs/results.md),
 * ingested from JSON-lines files into SQLite (default) or PostgreSQL, with
 * the full history and the latest state per user/profile/account; summaries
 * (text, JSON, CSV) and a static HTML dashboard. Linux only (docs/report.md). */
#ifndef CPUU_REPORT_H
#define CPUU_REPORT_H

#include "cpuu/common.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One result record as read from a JSON line. mode and outcome are one of the
 * documented names; profile, account and message may be NULL. */
typedef struct cpuu_report_record {
	char *user;
	char *hive;
	char *profile;
	char *account;
	char *mode;
	char *outcome;
	int64_t changes;
	char *message;
	double duration_ms;
} cpuu_report_record;

/* Strict parser for one line (without its newline): a flat JSON object of
 * strings, numbers and null, UTF-8, with every field of docs/results.md of
 * the right type; unknown keys are ignored, duplicate keys refused. On error
 * returns CPUU_EINVALID with the reason (and column) in cpuu_error_last() and
 * leaves *out zeroed. */
int cpuu_report_record_parse(cpuu_report_record *out, const char *line, size_t len);
void cpuu_report_record_clear(cpuu_report_record *rec); /* frees, zeroes */

/* An open store. url: "sqlite:PATH", a plain PATH (SQLite file, created if
 * absent), or "postgresql://..." / "postgres://..." (libpq connection URI).
 * The schema is created when missing. */
typedef struct cpuu_report cpuu_report;
int cpuu_report_open(cpuu_report **out, const char *url);
void cpuu_report_free(cpuu_report *rep);
const char *cpuu_report_backend(const cpuu_report *rep); /* "sqlite" or "postgresql" */

typedef struct cpuu_report_ingest_stats {
	size_t files;      /* files read */
	size_t records;    /* well-formed records seen */
	size_t added;      /* records new to the store */
	size_t duplicates; /* records already stored (same file, line and content) */
	size_t malformed;  /* lines refused (each reported to warn as "file:line: why") */
	size_t unreadable; /* files that could not be read (reported to warn) */
	size_t unchanged;  /* files not opened: read to their end by an earlier ingest */
	size_t bytes_read; /* bytes read from files (only what is new since the last ingest) */
} cpuu_report_ingest_stats;

/* Called for each malformed line or unreadable file; message is one line. */
typedef void (*cpuu_report_warn_fn)(void *ctx, const char *message);

/* Ingests a file (any name) or every *.jsonl file under a folder
 * (recursively, in name order). Idempotent: a record is identified by its
 * file's absolute path, its line number and its content, so ingesting a file
 * twice adds nothing and a file that grew adds only its new lines.
 * Incremental: the store keeps how far each file was read, so an unchanged
 * file is not opened and a grown one is read from where the last ingest
 * stopped (docs/report.md). Files are
 * committed in batches (one transaction per batch of files). Adds to *stats
 * (may be NULL). Malformed lines do not fail the call; store errors do (the
 * batch under way is rolled back). */
int cpuu_report_ingest(cpuu_report *rep, const char *path, cpuu_report_ingest_stats *stats,
		       cpuu_report_warn_fn warn, void *ctx);
/* cpuu_report_ingest of each path in turn (each committed at its end; the
 * first error stops), reading what the store knows of its files once for
 * all of them. */
int cpuu_report_ingest_paths(cpuu_report *rep, const char *const *paths, size_t n, cpuu_report_ingest_stats *stats,
			     cpuu_report_warn_fn warn, void *ctx);

/* The latest record per user/profile/account, with the time it was observed
 * (the modification time of its file when ingested, seconds since 1970). */
typedef struct cpuu_report_state {
	cpuu_report_record rec;
	int64_t observed_at;
	int64_t seq; /* store order: of two records observed at the same time, the later one is higher */
} cpuu_report_state;

typedef struct cpuu_report_count {
	char *name;
	size_t count;
} cpuu_report_count;

/* What a record is about (docs/report.md "Records by kind"), from its
 * profile and account fields: an Exchange account of a profile, a feature
 * step (account "autocomplete", "caches", "signatures", "autodiscover:<v>",
 * "additional:<mailbox>"), a profile as a whole (account null) or the hive
 * as a whole (profile and account null). */
typedef enum cpuu_report_kind {
	CPUU_REPORT_KIND_ACCOUNT,
	CPUU_REPORT_KIND_FEATURE,
	CPUU_REPORT_KIND_PROFILE,
	CPUU_REPORT_KIND_HIVE
} cpuu_report_kind;

/* The kind, and for a feature its name ("autocomplete", "autodiscover",
 * "caches", "signatures", "additional") in *feature (may be NULL). */
cpuu_report_kind cpuu_report_record_kind(const char *profile, const char *account, const char **feature);

/* Where a user stands, from their latest records: failed (any error or
 * ambiguous record), else not seen (no Exchange account of theirs reported:
 * only profile-level, hive-wide or feature records), else done (every
 * account record switched or already_switched, and no rollback of theirs
 * came after the last of them: a rollback's records name profiles, not
 * accounts, so the accounts' own latest records would still say switched),
 * else waiting (not switched yet, no match, planned, rolled back, ...). */
typedef enum cpuu_report_user_status {
	CPUU_REPORT_USER_DONE,
	CPUU_REPORT_USER_WAITING,
	CPUU_REPORT_USER_FAILED,
	CPUU_REPORT_USER_NOT_SEEN
} cpuu_report_user_status;
const char *cpuu_report_user_status_name(cpuu_report_user_status st); /* "done", "waiting", "failed", "not_seen" */

typedef struct cpuu_report_feature_count {
	char *feature;
	char *outcome;
	size_t count;
} cpuu_report_feature_count;

typedef struct cpuu_report_summary {
	size_t records;   /* history: every stored record */
	size_t files;     /* files ingested */
	size_t users;     /* distinct users = done + waiting + failed + not_seen */
	size_t users_done;
	size_t users_waiting;
	size_t users_failed;
	size_t users_not_seen;
	size_t accounts;  /* latest-state account records (features, profiles, hives apart) */
	size_t done;      /* of those, switched or already_switched */
	size_t features;  /* latest-state feature records */
	size_t others;    /* latest-state profile-level and hive-wide records */
	size_t nothing_to_do; /* latest-state records with outcome nothing_to_do (any kind) */
	cpuu_report_feature_count *by_feature; /* feature records by feature and outcome */
	size_t n_features;
	cpuu_report_count *by_outcome; /* account records of the latest state, by name */
	size_t n_outcomes;
	cpuu_report_count *by_mode;    /* over the latest state, by name */
	size_t n_modes;
	cpuu_report_state *failures;   /* latest state error or ambiguous (every kind) */
	size_t n_failures;
} cpuu_report_summary;

int cpuu_report_summary_get(cpuu_report_summary **out, cpuu_report *rep);
void cpuu_report_summary_free(cpuu_report_summary *s);

/* Every latest-state row, ordered by user, profile, account. */
typedef struct cpuu_report_states {
	cpuu_report_state *items;
	size_t count;
} cpuu_report_states;
int cpuu_report_latest(cpuu_report_states **out, cpuu_report *rep);
void cpuu_report_states_free(cpuu_report_states *s);

/* Progress over time: after each point's time, count account records had
 * reached switched or already_switched (first time each did), cumulative. */
typedef struct cpuu_report_point {
	int64_t t;
	size_t done;
} cpuu_report_point;
typedef struct cpuu_report_progress {
	cpuu_report_point *items;
	size_t count;
} cpuu_report_progress;
int cpuu_report_progress_get(cpuu_report_progress **out, cpuu_report *rep);
void cpuu_report_progress_free(cpuu_report_progress *p);

typedef enum cpuu_report_format {
	CPUU_REPORT_TEXT, /* terminal table: counts, failures with reasons */
	CPUU_REPORT_JSON, /* one JSON object: counts and failures */
	CPUU_REPORT_CSV   /* the latest state, one row per user/profile/account, with
	                   * its kind and its user's status in two last columns */
} cpuu_report_format;

/* Summary in a format (CSV reads the latest state from rep). */
int cpuu_report_summary_format(char **out, cpuu_report *rep, const cpuu_report_summary *s,
			       cpuu_report_format fmt);

/* Writes DIR/index.html (created with the folder if missing; replaced
 * atomically): one static page with inline CSS, SVG and JS, no external
 * resources. */
int cpuu_report_html(cpuu_report *rep, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
