/* cpuu command-line front end: dispatches to one function per command.
 * Uses only the public API in include/cpuu/. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_command commands[] = {
	{ "inspect", "list the Outlook profiles in a hive", cli_cmd_inspect },
	{ "update", "switch the profiles of switched mailboxes to the target", cli_cmd_update },
	{ "rollback", "restore the profiles that update changed", cli_cmd_rollback },
	{ "cleanup", "drop what update kept for rollback", cli_cmd_cleanup },
	{ "run", "the mode [General] Mode names (update, rollback or cleanup)", cli_cmd_run },
	{ "map", "source->target correspondence: export, lookup, x500", cli_cmd_map },
	{ "wizard", "write cpuu.ini and the logon-script batch files", cli_cmd_wizard },
	{ "report", "central report of result records: ingest, summary, html", cli_cmd_report },
	{ "decode", "show a MAPI binary value: entry IDs, lists, autocomplete, properties", cli_cmd_decode },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: cpuu <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'cpuu <command> --help' describes a command; exit codes: docs/exit-codes.md\n");
}

int main(int argc, char **argv)
{
	cli_platform_init();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], CLI_NOTICE_ARG))
		return cli_notice_child(); /* started by a logon run (cli_notice_show) */
	if (!strcmp(argv[1], "--version")) {
		printf("cpuu %s\n", CPUU_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	/* The established tool's command line has no command ("cpuu.exe -ini
	 * X.ini -Log L"): the mode [General] Mode names, over the logged-on
	 * user's registry (docs/compat.md). */
	if (argv[1][0] == '-' && argv[1][1] != '-' && argc < 1000) {
		char *args[1002];
		args[0] = (char *)"run";
		args[1] = (char *)"--live";
		for (int i = 1; i < argc; i++)
			args[i + 1] = argv[i];
		args[argc + 1] = NULL;
		return cli_cmd_run(argc + 1, args);
	}
	fprintf(stderr, "cpuu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
