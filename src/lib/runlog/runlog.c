/* The run's log files and their copy to the share. */
#include "common/internal.h"
#include "cpuu/runlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#ifdef _WIN32
#define PATH_SEP '\\'
#else
#define PATH_SEP '/'
#endif

struct cpuu_runlog {
	FILE *log, *results;
	char *log_path, *results_path, *share;
	unsigned bits;
	cpuu_log_level level;
};

/* A name from outside (user, host) as one safe path component. */
static void put_safe(cpuu_buf *b, const char *s)
{
	if (!s || !*s) {
		cpuu_buf_puts(b, "_");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int bad = *p < 0x20 || *p == 0x7F || *p == '/' || *p == '\\' || *p == ':' || *p == '*' || *p == '?' ||
			  *p == '"' || *p == '<' || *p == '>' || *p == '|' || (p == (const unsigned char *)s && *p == '.');
		cpuu_buf_append(b, bad ? "_" : (const char *)p, 1);
	}
}

int cpuu_runlog_expand(char **out, const char *pattern, const char *user, const char *host)
{
	struct tm tm;
	cpuu_utc_now(&tm);
	char date[16], clock[16];
	strftime(date, sizeof date, "%Y%m%d", &tm);
	strftime(clock, sizeof clock, "%H%M%S", &tm);
	cpuu_buf b = { 0 };
	for (const char *p = pattern; *p; p++) {
		if (*p != '#' || !p[1]) {
			cpuu_buf_append(&b, p, 1);
			continue;
		}
		switch (*++p) {
		case 'u': put_safe(&b, user); break;
		case 'h': put_safe(&b, host); break;
		case 'd': cpuu_buf_puts(&b, date); break;
		case 't': cpuu_buf_puts(&b, clock); break;
		case '#': cpuu_buf_puts(&b, "#"); break;
		default: cpuu_buf_append(&b, p - 1, 2); break;
		}
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

static FILE *open_append(char **path, const char *pattern, const cpuu_runlog_opts *o, unsigned *bits)
{
	if (!pattern || !*pattern)
		return NULL;
	if (cpuu_runlog_expand(path, pattern, o->user, o->host) != CPUU_OK) {
		*bits |= CPUU_EXIT_FAILED_TO_WRITE_LOG;
		return NULL;
	}
	FILE *f = fopen(*path, "ab");
	if (!f)
		*bits |= CPUU_EXIT_FAILED_TO_WRITE_LOG;
	return f;
}

int cpuu_runlog_open(cpuu_runlog **out, const cpuu_runlog_opts *opts)
{
	cpuu_runlog *l = calloc(1, sizeof *l);
	*out = l;
	if (!l)
		return cpuu_error_oom();
	l->log = open_append(&l->log_path, opts->log_file, opts, &l->bits);
	l->results = open_append(&l->results_path, opts->result_file, opts, &l->bits);
	l->share = opts->log_share && *opts->log_share ? cpuu_strdup(opts->log_share) : NULL;
	l->level = opts->level ? opts->level : CPUU_LOG_INFO;
	return CPUU_OK;
}

static void vline(cpuu_runlog *l, cpuu_log_level level, const char *fmt, va_list ap)
{
	if (!l || !l->log || level > l->level)
		return;
	struct tm tm;
	cpuu_utc_now(&tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	/* One line per message: names in it (profiles, accounts, paths, error
	 * messages) are data and shown escaped, so none forges a log line or
	 * sends escape sequences to whoever reads the log in a terminal. */
	char small[512], *line = small;
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof small && (line = malloc((size_t)n + 1)) != NULL)
		vsnprintf(line, (size_t)n + 1, fmt, ap);
	cpuu_buf b = { 0 };
	cpuu_buf_printf(&b, "%s ", stamp);
	cpuu_buf_display(&b, n < 0 || !line ? "(message lost: out of memory)" : line);
	cpuu_buf_puts(&b, "\n");
	if (line != small)
		free(line);
	size_t len = 0;
	char *text = cpuu_buf_detach(&b, &len);
	int ok = text && fwrite(text, 1, len, l->log) == len;
	free(text);
	if (!ok)
		l->bits |= CPUU_EXIT_FAILED_TO_WRITE_LOG;
}

void cpuu_runlog_line(cpuu_runlog *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(l, CPUU_LOG_INFO, fmt, ap);
	va_end(ap);
}

void cpuu_runlog_msg(cpuu_runlog *l, cpuu_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(l, level, fmt, ap);
	va_end(ap);
}

static cpuu_log_level outcome_level(cpuu_outcome o)
{
	if (o == CPUU_OUTCOME_ERROR)
		return CPUU_LOG_ERROR;
	return o == CPUU_OUTCOME_NO_MATCH || o == CPUU_OUTCOME_AMBIGUOUS || o == CPUU_OUTCOME_INVALID ? CPUU_LOG_WARNING
															     : CPUU_LOG_INFO;
}

void cpuu_runlog_results(cpuu_runlog *l, const cpuu_results *r)
{
	if (!l || !r)
		return;
	for (size_t i = 0; i < r->count; i++) {
		const cpuu_result *x = &r->items[i];
		cpuu_runlog_msg(l, outcome_level(x->outcome), "%s %s%s%s%s%s%s: %s (%zu change%s)%s%s", cpuu_mode_name(x->mode),
				 x->user ? x->user : "-", x->profile ? " profile '" : "", x->profile ? x->profile : "",
				 x->profile ? "'" : "", x->account ? " " : "", x->account ? x->account : "",
				 cpuu_outcome_name(x->outcome), x->changes,
				 x->changes == 1 ? "" : "s", x->message ? " - " : "", x->message ? x->message : "");
	}
	if (l->results) {
		char *text = NULL;
		if (cpuu_results_to_jsonl(&text, r) != CPUU_OK || fputs(text, l->results) < 0)
			l->bits |= CPUU_EXIT_FAILED_TO_WRITE_LOG;
		free(text);
	}
}

/* Copies a local file into the share folder under its own name. */
static int copy_to_share(const char *file, const char *share)
{
	const char *base = strrchr(file, PATH_SEP);
#ifdef _WIN32
	const char *fwd = strrchr(file, '/');
	if (fwd > base)
		base = fwd;
#endif
	base = base ? base + 1 : file;
	char *dest = cpuu_aprintf("%s%c%s", share, PATH_SEP, base);
	FILE *in = fopen(file, "rb");
	FILE *out = dest ? fopen(dest, "wb") : NULL;
	int ok = in && out;
	char buf[65536];
	size_t n;
	while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		ok = 0;
	if (!ok && dest)
		remove(dest);
	free(dest);
	return ok;
}

unsigned cpuu_runlog_close(cpuu_runlog *l)
{
	if (!l)
		return 0;
	unsigned bits = l->bits;
	if (l->log && fclose(l->log) != 0)
		bits |= CPUU_EXIT_FAILED_TO_WRITE_LOG;
	if (l->results && fclose(l->results) != 0)
		bits |= CPUU_EXIT_FAILED_TO_WRITE_LOG;
	if (l->share) {
		if ((l->log && !copy_to_share(l->log_path, l->share)) ||
		    (l->results && !copy_to_share(l->results_path, l->share)))
			bits |= CPUU_EXIT_FAILED_TO_COPY_LOG;
	}
	free(l->log_path);
	free(l->results_path);
	free(l->share);
	free(l);
	return bits;
}
