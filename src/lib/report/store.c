/* Opening a store by URL and ingesting result files into it. */
#include "report/internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A batch ends after this many files or records: large enough that commits
 * do not dominate a logon storm of small files, small enough that a failure
 * redoes little (ingest is idempotent: a re-run adds what was rolled back). */
#define BATCH_FILES 512
#define BATCH_RECORDS 20000

int cpuu_report_open(cpuu_report **out, const char *url)
{
	*out = NULL;
	if (!url || !*url)
		return cpuu_error_set(CPUU_EINVALID, "empty report store URL");
	cpuu_report *rep = calloc(1, sizeof *rep);
	if (!rep)
		return cpuu_error_oom();
	int rc;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
		rc = report_pg_open(rep, url);
	else if (!strncmp(url, "sqlite:", 7))
		rc = report_sqlite_open(rep, url + 7);
	else if (strstr(url, "://"))
		/* Only the scheme: the rest of a URL may hold a password. */
		rc = cpuu_error_set(CPUU_EUNSUPPORTED, "%.*s: unknown store (use sqlite:PATH or postgresql://...)",
				    (int)(strstr(url, "://") - url + 3), url);
	else
		rc = report_sqlite_open(rep, url);
	if (rc) {
		free(rep);
		return rc;
	}
	*out = rep;
	return CPUU_OK;
}

void cpuu_report_free(cpuu_report *rep)
{
	if (!rep)
		return;
	if (rep->be) {
		rep->be->rollback(rep);
		rep->be->close(rep);
	}
	free(rep);
}

const char *cpuu_report_backend(const cpuu_report *rep)
{
	return rep && rep->be ? rep->be->name : "";
}

static void warnf(cpuu_report_warn_fn warn, void *ctx, const char *fmt, ...) CPUU_PRINTF(3, 4);
static void warnf(cpuu_report_warn_fn warn, void *ctx, const char *fmt, ...)
{
	if (!warn)
		return;
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Values from records end up on a terminal: no control characters
	 * (an escape sequence decoded from \u001b must not reach it). */
	for (unsigned char *p = (unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			*p = '?';
	warn(ctx, msg);
}

int64_t report_head_hash(const unsigned char *data, size_t len)
{
	uint64_t h = cpuu_hash_bytes(CPUU_HASH_INIT, data, len);
	return (int64_t)(h & 0x7FFFFFFFFFFFFFFFull); /* a signed 64-bit column in both stores */
}

typedef struct ingest {
	cpuu_report *rep;
	cpuu_report_ingest_stats *st;
	cpuu_report_warn_fn warn;
	void *ctx;
	int64_t now;
	int in_tx;
	size_t batch_files, batch_records;
	report_file_list known; /* what the store knew at the start, and what this command read since */
	report_file_list fresh; /* read in the current --from path, merged into known after it */
	int track;              /* a later path follows: keep fresh */
} ingest;

/* Completes and commits the batch under way; counts what it added. */
static int commit_batch(ingest *in)
{
	size_t added = 0;
	int rc = in->rep->be->flush(in->rep, &added);
	if (!rc)
		rc = in->rep->be->commit(in->rep);
	if (rc)
		return rc;
	in->in_tx = 0;
	in->st->added += added;
	in->st->duplicates += in->batch_records - added;
	in->batch_files = in->batch_records = 0;
	return CPUU_OK;
}

/* path is absolute and canonical (the folder walk starts from a resolved
 * root and does not follow links), so it identifies the file. Only what is
 * new since the last ingest is read: a file whose size and mtime are as
 * stored, read to its end, is not opened; a file that grew is read from the
 * end of its last complete line, provided its first bytes are unchanged (a
 * file rewritten in place is read again from its start; inserts are
 * idempotent either way). */
static int ingest_file(ingest *in, const report_file *f)
{
	const char *path = f->path;
	const report_file_seen *old = report_known_find(&in->known, path);
	/* f->seen holds the stat of the walk (or of the path given). */
	if (old && f->seen.size == old->size && f->seen.mtime == old->mtime && old->consumed == f->seen.size) {
		in->st->unchanged++;
		return CPUU_OK;
	}
	int64_t mtime, size;
	size_t len = 0, head_len = 0;
	char *data = NULL;
	unsigned char head[REPORT_HEAD_BYTES];
	int64_t from = old ? old->consumed : 0;
	if (report_read_from(&data, &len, &mtime, &size, head, &head_len, path, from)) {
		warnf(in->warn, in->ctx, "%s: cannot read: %s", path, cpuu_error_last()->message);
		in->st->unreadable++;
		return CPUU_OK;
	}
	int64_t lineno = 0;
	if (from > 0) {
		size_t hn = from < REPORT_HEAD_BYTES ? (size_t)from : REPORT_HEAD_BYTES;
		if (size < from || head_len < hn || report_head_hash(head, hn) != old->head) {
			/* Replaced or truncated: read it again from the start. */
			free(data);
			data = NULL;
			from = 0;
			if (report_read_from(&data, &len, &mtime, &size, head, &head_len, path, 0)) {
				warnf(in->warn, in->ctx, "%s: cannot read: %s", path, cpuu_error_last()->message);
				in->st->unreadable++;
				return CPUU_OK;
			}
		} else
			lineno = old->lines;
	}
	in->st->bytes_read += len;
	/* How far complete lines reach: the next ingest starts after the last
	 * newline, so an unterminated last line (a writer still appending) is
	 * read again then (taken now if it parses; stored once either way). */
	size_t complete = len;
	while (complete && data[complete - 1] != '\n')
		complete--;
	report_file_seen seen = { mtime, size, from + (int64_t)complete, lineno, 0 };
	for (size_t i = 0; i < complete; i++)
		seen.lines += data[i] == '\n';
	size_t hn = seen.consumed < REPORT_HEAD_BYTES ? (size_t)seen.consumed : REPORT_HEAD_BYTES;
	seen.head = report_head_hash(head, hn < head_len ? hn : head_len);
	int rc = CPUU_OK;
	if (!in->in_tx) {
		if ((rc = in->rep->be->begin(in->rep)))
			goto out;
		in->in_tx = 1;
	}
	int64_t file_id;
	if ((rc = in->rep->be->file(in->rep, &file_id, path, &seen, in->now)))
		goto out;
	if (in->track && (rc = report_file_list_add(&in->fresh, path, &seen)))
		goto out;
	in->st->files++;
	in->batch_files++;
	for (size_t pos = 0; pos < len;) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		size_t m = n;
		if (m && line[m - 1] == '\r')
			m--;
		size_t k = 0;
		while (k < m && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == m)
			continue; /* blank */
		cpuu_report_record rec;
		if (cpuu_report_record_parse(&rec, line, m)) {
			if (!nl)
				/* A writer may still be appending: not an error, the next ingest reads it whole. */
				warnf(in->warn, in->ctx, "%s:%lld: incomplete last line, left for the next ingest", path,
				      (long long)lineno);
			else {
				warnf(in->warn, in->ctx, "%s:%lld: %s", path, (long long)lineno,
				      cpuu_error_last()->message);
				in->st->malformed++;
			}
			continue;
		}
		rc = in->rep->be->insert(in->rep, file_id, path, lineno, report_record_hash(&rec), mtime, &rec);
		cpuu_report_record_clear(&rec);
		if (rc) {
			cpuu_error_prefix("%s:%lld", path, (long long)lineno);
			goto out;
		}
		in->st->records++;
		in->batch_records++;
	}
	if (in->batch_files >= BATCH_FILES || in->batch_records >= BATCH_RECORDS)
		rc = commit_batch(in);
out:
	free(data);
	return rc;
}

/* The files of one --from path: the file itself, or the *.jsonl files
 * under the folder. */
static int list_path(report_file_list *files, const char *path)
{
	int is_dir;
	report_file_seen seen = { 0 };
	char *abs = report_abspath(path);
	if (!abs)
		return cpuu_error_last()->code;
	int rc = report_stat(abs, &is_dir, &seen.mtime, &seen.size);
	if (!rc)
		rc = is_dir ? report_list_jsonl(files, abs) : report_file_list_add(files, abs, &seen);
	free(abs);
	return rc;
}

/* One path after another, each committed at its end, as separate calls
 * would; the store's file rows are read once, and what one path read is
 * known to the next (a file under two paths is unchanged the second time). */
int cpuu_report_ingest_paths(cpuu_report *rep, const char *const *paths, size_t n, cpuu_report_ingest_stats *stats,
			     cpuu_report_warn_fn warn, void *ctx)
{
	cpuu_report_ingest_stats local = { 0 };
	if (!stats)
		stats = &local;
	ingest in = { rep, stats, warn, ctx, (int64_t)time(NULL), 0, 0, 0, { 0 }, { 0 }, 0 };
	int rc = CPUU_OK, loaded = 0;
	for (size_t p = 0; !rc && p < n; p++) {
		report_file_list files = { 0 };
		rc = list_path(&files, paths[p]);
		if (!rc && !loaded) {
			rc = report_known_load(&in.known, rep);
			loaded = 1;
		}
		in.track = p + 1 < n;
		for (size_t i = 0; !rc && i < files.count; i++)
			rc = ingest_file(&in, &files.items[i]);
		if (!rc && in.in_tx)
			rc = commit_batch(&in);
		if (!rc)
			rc = report_known_merge(&in.known, &in.fresh);
		report_file_list_free(&files);
	}
	if (rc) {
		/* Roll back the batch under way but keep the first error's message. */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", cpuu_error_last()->message);
		rep->be->rollback(rep);
		cpuu_error_set(rc, "%s", msg);
		/* stats->added counts committed batches only: nothing to undo. */
	}
	report_file_list_free(&in.known);
	report_file_list_free(&in.fresh);
	return rc;
}

int cpuu_report_ingest(cpuu_report *rep, const char *path, cpuu_report_ingest_stats *stats,
		       cpuu_report_warn_fn warn, void *ctx)
{
	return cpuu_report_ingest_paths(rep, &path, 1, stats, warn, ctx);
}
