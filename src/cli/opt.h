/* Table-driven option parsing for the commands (libgit2's opt parser is the
 * model): one row per option, its kind, where the value goes, and its help
 * line, so that parsing, checking and `--help` come from the same table. */
#ifndef CPUU_CLI_OPT_H
#define CPUU_CLI_OPT_H

#include "cpuu/common.h"

#include <stdio.h>

typedef enum cli_opt_kind {
	CLI_OPT_END = 0, /* ends the table: { 0 } */
	CLI_OPT_FLAG,    /* --x: *(int *)value = 1 */
	CLI_OPT_STRING,  /* --x VALUE or --x=VALUE: *(const char **)value */
	CLI_OPT_INT,     /* --x N: *(long *)value, a decimal within [min, max], nothing else */
	CLI_OPT_LIST,    /* --x A B ...: every following argument up to one starting with "--" or naming a row (cpuu_strlist *) */
	CLI_OPT_APPEND,  /* --x VALUE, repeatable: each added to a cpuu_strlist */
	CLI_OPT_ARG,     /* a positional argument (name: its label), in table order: *(const char **)value */
	CLI_OPT_SHARD    /* --x K/N: *(cli_shard *)value, shard K (from 0) of N, N within [1, max] */
} cli_opt_kind;

/* One shard of a bulk run (--shard K/N); count 0: not sharded. */
typedef struct cli_shard {
	unsigned index, count;
} cli_shard;

typedef struct cli_opt {
	/* "--workers" (CLI_OPT_ARG: "KEY"); one dash ("-Profiles"): an alias
	 * kept for the established tool's command line, matched in any case,
	 * never with "=value" (docs/compat.md). */
	const char *name;
	cli_opt_kind kind;
	void *value;
	const char *value_name; /* "N", "FILE", ... in the help */
	const char *help;       /* may hold '\n' for more lines */
	long min, max;          /* CLI_OPT_INT */
} cli_opt;

enum { CLI_OPT_OK = 0, CLI_OPT_HELP = 1, CLI_OPT_BAD = -1 };

/* Parses argv[1..argc) (argv[0] is the command name) against the table.
 * CLI_OPT_HELP for --help/-h; CLI_OPT_BAD after printing one line
 * "cpuu: CMD: reason" on stderr (docs/exit-codes.md) for an unknown option, a missing value, a number that is not a
 * plain decimal within range ("3x", "-1", "99999999999999999999"), or an
 * argument no CLI_OPT_ARG row takes. Positional arguments left out stay NULL
 * (the command says which it needs). */
int cli_opt_parse(const cli_opt *table, int argc, char **argv);
/* "  --name VALUE   help" lines for the table. */
void cli_opt_help(FILE *out, const cli_opt *table);

#endif
