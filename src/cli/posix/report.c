/* cpuu report ingest | summary | html: the central store of result records
 * (docs/report.md). */
#include "cli.h"
#include "opt.h"

#include "cpuu/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DB "cpuu-report.sqlite"

static void usage(FILE *out)
{
	fprintf(out, "usage: cpuu report ingest --from PATH... [--db URL] [--quiet]\n"
		     "       cpuu report summary [--csv|--json] [--db URL]\n"
		     "       cpuu report html --out DIR [--db URL]\n"
		     "  (cpuu report SUBCOMMAND --help lists its options; docs/report.md)\n"
		     "exit status: 0, or a code of docs/exit-codes.md (7 when some lines were malformed)\n");
}

static void warn_line(void *ctx, const char *message)
{
	if (!*(int *)ctx)
		fprintf(stderr, "cpuu: warning: %s\n", message);
}

static int cmd_ingest(cpuu_report *rep, const cpuu_strlist *from, int quiet)
{
	cpuu_report_ingest_stats st = { 0 };
	int rc = cpuu_report_ingest_paths(rep, (const char *const *)from->items, from->count, &st, warn_line, &quiet);
	fprintf(stderr, "cpuu: %zu file(s), %zu record(s): %zu added, %zu already stored, %zu malformed line(s)",
		st.files, st.records, st.added, st.duplicates, st.malformed);
	if (st.unreadable)
		fprintf(stderr, ", %zu unreadable file(s)", st.unreadable);
	if (st.unchanged)
		fprintf(stderr, ", %zu file(s) unchanged since the last ingest", st.unchanged);
	fprintf(stderr, "\n");
	if (rc)
		return cli_fail();
	return st.malformed || st.unreadable ? CLI_EXIT_INVALID : CLI_EXIT_OK;
}

static int cmd_summary(cpuu_report *rep, cpuu_report_format fmt)
{
	cpuu_report_summary *s = NULL;
	char *text = NULL;
	int rc = cpuu_report_summary_get(&s, rep);
	if (!rc)
		rc = cpuu_report_summary_format(&text, rep, s, fmt);
	if (!rc)
		fputs(text, stdout);
	cpuu_free(text);
	cpuu_report_summary_free(s);
	if (!rc && fflush(stdout) != 0) {
		fprintf(stderr, "cpuu: cannot write the summary\n");
		return CLI_EXIT_IO;
	}
	return rc ? cli_fail() : CLI_EXIT_OK;
}

int cli_cmd_report(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	const char *sub = argv[1], *db = DEFAULT_DB, *out = NULL;
	cpuu_report_format fmt = CPUU_REPORT_TEXT;
	int quiet = 0;
	cpuu_strlist from = { 0 };
	if (strcmp(sub, "ingest") && strcmp(sub, "summary") && strcmp(sub, "html")) {
		fprintf(stderr, "cpuu report: unknown subcommand '%s'\n", sub);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	int csv = 0, json = 0;
	const cli_opt db_opt = { "--db", CLI_OPT_STRING, &db, "URL",
				 "sqlite:PATH, a plain PATH, or postgresql://... (default: ./" DEFAULT_DB ")", 0, 0 };
	const cli_opt ingest_table[] = {
		db_opt,
		{ "--from", CLI_OPT_LIST, &from, "PATH", "result files, or folders searched for *.jsonl", 0, 0 },
		{ "--quiet", CLI_OPT_FLAG, &quiet, NULL, "do not list malformed lines (still counted)", 0, 0 },
		{ 0 },
	};
	const cli_opt summary_table[] = {
		db_opt,
		{ "--csv", CLI_OPT_FLAG, &csv, NULL, "the latest state per user/profile/account as CSV", 0, 0 },
		{ "--json", CLI_OPT_FLAG, &json, NULL, "users, counts and failures as one JSON object", 0, 0 },
		{ 0 },
	};
	const cli_opt html_table[] = {
		db_opt,
		{ "--out", CLI_OPT_STRING, &out, "DIR", "where index.html is written", 0, 0 },
		{ 0 },
	};
	const cli_opt *table = !strcmp(sub, "ingest") ? ingest_table : !strcmp(sub, "summary") ? summary_table : html_table;
	/* Messages name "report SUBCOMMAND" as the command. */
	char name[32];
	snprintf(name, sizeof name, "report %s", sub);
	char *saved = argv[1];
	argv[1] = name;
	int prc = cli_opt_parse(table, argc - 1, argv + 1);
	argv[1] = saved;
	if (prc == CLI_OPT_HELP) {
		printf("usage: cpuu report %s\n", sub);
		cli_opt_help(stdout, table);
		cpuu_strlist_free(&from);
		return CLI_EXIT_OK;
	}
	if (prc != CLI_OPT_OK) {
		cpuu_strlist_free(&from);
		return CLI_EXIT_USAGE;
	}
	if (csv && json) {
		fprintf(stderr, "cpuu: report summary: --csv or --json, not both\n");
		return CLI_EXIT_USAGE;
	}
	fmt = csv ? CPUU_REPORT_CSV : json ? CPUU_REPORT_JSON : CPUU_REPORT_TEXT;
	if (!strcmp(sub, "ingest") && !from.count) {
		fprintf(stderr, "cpuu report ingest: give --from PATH...\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(sub, "html") && !out) {
		fprintf(stderr, "cpuu report html: give --out DIR\n");
		return CLI_EXIT_USAGE;
	}
	cpuu_report *rep = NULL;
	if (cpuu_report_open(&rep, db)) {
		cpuu_strlist_free(&from);
		return cli_fail();
	}
	int code;
	if (!strcmp(sub, "ingest"))
		code = cmd_ingest(rep, &from, quiet);
	else if (!strcmp(sub, "summary"))
		code = cmd_summary(rep, fmt);
	else
		code = cpuu_report_html(rep, out) ? cli_fail() : CLI_EXIT_OK;
	cpuu_report_free(rep);
	cpuu_strlist_free(&from);
	return code;
}
