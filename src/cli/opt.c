/* Option tables: parse, check, describe (opt.h). */
#include "opt.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Digits only: strtol alone takes "3x" as 3, " -1" and "+2" as numbers. */
static int parse_long(long *out, const char *s, long min, long max)
{
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno == ERANGE || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "K/N", both plain decimals, 0 <= K < N <= max: shards count from 0, as
 * a Kubernetes indexed Job's JOB_COMPLETION_INDEX does. */
static int parse_shard(cli_shard *out, const char *s, long max)
{
	const char *slash = strchr(s, '/');
	char k_text[24];
	long k, n;
	if (!slash || (size_t)(slash - s) >= sizeof k_text)
		return -1;
	memcpy(k_text, s, (size_t)(slash - s));
	k_text[slash - s] = '\0';
	if (parse_long(&n, slash + 1, 1, max) || parse_long(&k, k_text, 0, n - 1))
		return -1;
	out->index = (unsigned)k;
	out->count = (unsigned)n;
	return 0;
}

/* The established tool's switches ("-Profiles", "-ini") are one dash and
 * any case, as Windows programs read them; cpuu's own are "--" and exact. */
static int is_alias(const cli_opt *t)
{
	return t->name[0] == '-' && t->name[1] != '-';
}

static int name_matches(const cli_opt *t, const char *arg, size_t n)
{
	if (!is_alias(t))
		return !strncmp(arg, t->name, n);
	for (size_t i = 0; i < n; i++) {
		char a = arg[i], b = t->name[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* "--name" or "--name=value" (for options taking one value); "-Alias". */
static const cli_opt *find(const cli_opt *t, const char *arg, const char **inline_value)
{
	for (; t->kind != CLI_OPT_END; t++) {
		if (t->kind == CLI_OPT_ARG || (strncmp(arg, "--", 2) && !is_alias(t)))
			continue;
		size_t n = strlen(t->name);
		if (strlen(arg) < n)
			continue;
		if (name_matches(t, arg, n) && (!arg[n] || (!is_alias(t) && arg[n] == '=' && (t->kind == CLI_OPT_STRING ||
										   t->kind == CLI_OPT_INT ||
										   t->kind == CLI_OPT_APPEND ||
										   t->kind == CLI_OPT_SHARD)))) {
			*inline_value = arg[n] ? arg + n + 1 : NULL;
			return t;
		}
	}
	return NULL;
}

/* The next positional row not filled yet. */
static const cli_opt *next_arg(const cli_opt *t)
{
	for (; t->kind != CLI_OPT_END; t++)
		if (t->kind == CLI_OPT_ARG && !*(const char **)t->value)
			return t;
	return NULL;
}

int cli_opt_parse(const cli_opt *table, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return CLI_OPT_HELP;
		const char *inline_value = NULL;
		const cli_opt *o = find(table, a, &inline_value);
		/* A lone "-" is a positional argument: standard input. */
		if (!o && (a[0] != '-' || !a[1]) && (o = next_arg(table))) {
			*(const char **)o->value = a;
			continue;
		}
		if (!o) {
			fprintf(stderr, "cpuu: %s: %s '%s' (see 'cpuu %s --help')\n", argv[0],
				a[0] == '-' ? "unknown option" : "unexpected argument", a, argv[0]);
			return CLI_OPT_BAD;
		}
		if (o->kind == CLI_OPT_FLAG) {
			*(int *)o->value = 1;
			continue;
		}
		if (o->kind == CLI_OPT_LIST) {
			/* Up to the next option: "-Profiles A B -Log x" gives A, B. */
			const char *iv;
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) && !find(table, argv[i + 1], &iv))
				if (cpuu_strlist_add(o->value, argv[++i])) {
					fprintf(stderr, "cpuu: %s: out of memory\n", argv[0]);
					return CLI_OPT_BAD;
				}
			continue;
		}
		if (!inline_value && i + 1 >= argc) {
			fprintf(stderr, "cpuu: %s: %s needs a value (%s)\n", argv[0], a, o->value_name);
			return CLI_OPT_BAD;
		}
		const char *v = inline_value ? inline_value : argv[++i];
		if (o->kind == CLI_OPT_STRING) {
			*(const char **)o->value = v;
		} else if (o->kind == CLI_OPT_APPEND) {
			if (cpuu_strlist_add(o->value, v)) {
				fprintf(stderr, "cpuu: %s: out of memory\n", argv[0]);
				return CLI_OPT_BAD;
			}
		} else if (o->kind == CLI_OPT_SHARD) {
			if (parse_shard(o->value, v, o->max)) {
				fprintf(stderr, "cpuu: %s: %s: '%s' is not K/N with N from 1 to %ld and K from 0 to N-1\n",
					argv[0], o->name, v, o->max);
				return CLI_OPT_BAD;
			}
		} else if (parse_long(o->value, v, o->min, o->max)) {
			fprintf(stderr, "cpuu: %s: %s: '%s' is not a whole number from %ld to %ld\n", argv[0], o->name, v,
				o->min, o->max);
			return CLI_OPT_BAD;
		}
	}
	return CLI_OPT_OK;
}

void cli_opt_help(FILE *out, const cli_opt *t)
{
	for (; t->kind != CLI_OPT_END; t++) {
		char head[64];
		snprintf(head, sizeof head, "%s%s%s%s", t->name, t->value_name ? " " : "",
			 t->value_name ? t->value_name : "", t->kind == CLI_OPT_LIST ? "..." : "");
		fprintf(out, "  %-18s ", head);
		for (const char *h = t->help; *h; h++) {
			fputc(*h, out);
			if (*h == '\n')
				fprintf(out, "  %-18s ", "");
		}
		fputc('\n', out);
	}
}
