/* libFuzzer target for the result-record reader (cpuu report ingest). The
 * input is a whole result file; each line goes through
 * cpuu_report_record_parse as ingest feeds it. Invariants:
 *  - a refused line returns CPUU_EINVALID with a message and leaves the
 *    record zeroed (nothing allocated);
 *  - an accepted line has user, hive, mode, outcome set, changes >= 0 and a
 *    finite duration >= 0; written back as JSON (every string escaped) it
 *    parses again to the very same fields.
 * With CPUU_FUZZ_SEEDGEN: writes seed files into argv[1] (fuzz/README.md). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/report.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

typedef struct fres_buf {
	char *p;
	size_t n, cap;
} fres_buf;

static void fres_put(fres_buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p)
			abort();
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void fres_str(fres_buf *b, const char *s)
{
	if (!s) {
		fres_put(b, "null", 4);
		return;
	}
	fres_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			fres_put(b, esc, 2);
		} else if (*p < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			fres_put(b, esc, 6);
		} else {
			fres_put(b, (const char *)p, 1);
		}
	}
	fres_put(b, "\"", 1);
}

static int fres_eq(const char *a, const char *b)
{
	return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

static void fres_check_line(const char *line, size_t len)
{
	cpuu_report_record r;
	int rc = cpuu_report_record_parse(&r, line, len);
	if (rc) {
		if (rc != CPUU_EINVALID || !cpuu_error_last()->message[0])
			abort();
		if (r.user || r.hive || r.profile || r.account || r.mode || r.outcome || r.message)
			abort();
		return;
	}
	if (!r.user || !r.hive || !r.mode || !r.outcome || r.changes < 0 || !isfinite(r.duration_ms) ||
	    r.duration_ms < 0)
		abort();
	fres_buf b = { 0 };
	char num[96];
	fres_put(&b, "{\"user\":", 8);
	fres_str(&b, r.user);
	fres_put(&b, ",\"hive\":", 8);
	fres_str(&b, r.hive);
	fres_put(&b, ",\"profile\":", 11);
	fres_str(&b, r.profile);
	fres_put(&b, ",\"account\":", 11);
	fres_str(&b, r.account);
	fres_put(&b, ",\"mode\":", 8);
	fres_str(&b, r.mode);
	fres_put(&b, ",\"outcome\":", 11);
	fres_str(&b, r.outcome);
	fres_put(&b, ",\"message\":", 11);
	fres_str(&b, r.message);
	int n = snprintf(num, sizeof num, ",\"changes\":%lld,\"duration_ms\":%.17g}", (long long)r.changes,
			 r.duration_ms);
	fres_put(&b, num, (size_t)n);
	cpuu_report_record again;
	if (cpuu_report_record_parse(&again, b.p, b.n) != CPUU_OK)
		abort();
	if (!fres_eq(r.user, again.user) || !fres_eq(r.hive, again.hive) || !fres_eq(r.profile, again.profile) ||
	    !fres_eq(r.account, again.account) || !fres_eq(r.mode, again.mode) || !fres_eq(r.outcome, again.outcome) ||
	    !fres_eq(r.message, again.message) || r.changes != again.changes || r.duration_ms != again.duration_ms)
		abort();
	cpuu_report_record_clear(&again);
	cpuu_report_record_clear(&r);
	free(b.p);
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		fres_check_line(p, n);
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

#ifdef CPUU_FUZZ_SEEDGEN
static int fres_seed(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	fputs(text, f);
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: seed_results DIR\n");
		return 2;
	}
	int bad = 0;
	bad |= fres_seed(argv[1], "example.jsonl",
			 "{\"user\":\"alice\",\"hive\":\"/srv/profiles/alice/NTUSER.DAT\",\"profile\":\"Outlook\","
			 "\"account\":\"alice@source.example\",\"mode\":\"update\",\"outcome\":\"switched\",\"changes\":17,"
			 "\"message\":null,\"duration_ms\":1.859}\n");
	bad |= fres_seed(argv[1], "hivewide.jsonl",
			 "{\"user\":\"bob\",\"hive\":\"C:\\\\Users\\\\bob\\\\NTUSER.DAT\",\"profile\":null,\"account\":null,"
			 "\"mode\":\"rollback\",\"outcome\":\"nothing_to_undo\",\"changes\":0,\"message\":\"no backup\","
			 "\"duration_ms\":0.25}\r\n"
			 "{\"user\":\"bob\",\"hive\":\"h\",\"mode\":\"cleanup\",\"outcome\":\"cleaned\",\"changes\":3,"
			 "\"duration_ms\":1e-3,\"site\":\"Paris\",\"n\":-0.5E+2,\"z\":null}\n");
	bad |= fres_seed(argv[1], "escapes.jsonl",
			 "{\"user\":\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"hive\":\"\xc3\xa9\xe2\x82\xac\","
			 "\"profile\":\"<p>&'\",\"account\":\"=1+2\",\"mode\":\"update\",\"outcome\":\"error\","
			 "\"changes\":0,\"message\":\"commit failed\",\"duration_ms\":0}\n");
	bad |= fres_seed(argv[1], "broken.jsonl",
			 "{\"user\":\"a\",\"user\":\"b\"}\n{\"user\":\"x\",broken}\n[1,2]\n{\"user\":\"a\\ud800\"}\n"
			 "{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"exploded\",\"changes\":1,"
			 "\"duration_ms\":1}\n{\"user\":\"a\",\"hive\":\"h\",\"mode\":\"update\",\"outcome\":\"error\","
			 "\"changes\":1.5,\"duration_ms\":1}\n");
	return bad;
}
#endif
