/* cpuu map index: builds the indexed companion of a mapping CSV
 * (docs/mapping-index.md), or checks one against its CSV. Public API only. */
#include "cli.h"
#include "opt.h"

#include "cpuu/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_info(const char *path, const cpuu_mapping_index_info *i)
{
	printf("%s: %llu row(s), %llu key(s), %llu warning(s) in the CSV, %llu bytes\n", path,
	       (unsigned long long)i->rows, (unsigned long long)i->keys, (unsigned long long)i->warnings,
	       (unsigned long long)i->index_size);
}

static int check(const char *path)
{
	cpuu_mapping_index *ix = NULL;
	int rc = cpuu_mapping_index_open(&ix, path);
	if (rc == CPUU_OK)
		rc = cpuu_mapping_index_verify(ix);
	if (rc != CPUU_OK) {
		cpuu_mapping_index_free(ix);
		return cli_fail();
	}
	cpuu_mapping_index_info info;
	cpuu_mapping_index_get_info(&info, ix);
	print_info(path, &info);
	printf("up to date with its CSV\n");
	cpuu_mapping_index_free(ix);
	return CLI_EXIT_OK;
}

int cli_cmd_map_index(int argc, char **argv)
{
	const char *csv = NULL, *out = NULL, *check_path = NULL;
	const cli_opt table[] = {
		{ "CSV", CLI_OPT_ARG, &csv, NULL, "the mapping CSV to index", 0, 0 },
		{ "--out", CLI_OPT_STRING, &out, "INDEX", "where to write it (default CSV.idx)", 0, 0 },
		{ "--check", CLI_OPT_STRING, &check_path, "INDEX",
		  "compare INDEX with its CSV (size, mtime, content hash) instead of building", 0, 0 },
		{ 0 },
	};
	int prc = cli_opt_parse(table, argc, argv);
	if (prc == CLI_OPT_HELP) {
		printf("usage: cpuu map index CSV [--out INDEX]\n"
		       "       cpuu map index --check INDEX\n"
		       "Builds the indexed companion of a mapping CSV: a read-only hash file a\n"
		       "workstation reads a few kilobytes of per user ([Mapping] File may name it\n"
		       "instead of the CSV). It answers exactly as the CSV and is refused once the CSV\n"
		       "changes (docs/mapping-index.md).\n");
		cli_opt_help(stdout, table);
		return CLI_EXIT_OK;
	}
	if (prc != CLI_OPT_OK)
		return CLI_EXIT_USAGE;
	if (check_path && !csv && !out)
		return check(check_path);
	if (!csv || check_path) {
		fprintf(stderr, "cpuu: map index: give CSV [--out INDEX], or --check INDEX alone\n");
		return CLI_EXIT_USAGE;
	}
	char *def = out ? NULL : cpuu_mapping_index_path_for(csv);
	const char *target = out ? out : def;
	if (!target) {
		fprintf(stderr, "cpuu: out of memory\n");
		return CLI_EXIT_ERROR;
	}
	cpuu_mapping_index_info info;
	cpuu_strlist warnings = { 0 };
	int rc = cpuu_mapping_index_build(&info, &warnings, target, csv);
	if (rc != CPUU_OK) {
		free(def);
		return cli_fail();
	}
	for (size_t i = 0; i < warnings.count; i++)
		fprintf(stderr, "cpuu: warning: %s: %s\n", csv, warnings.items[i]);
	print_info(target, &info);
	cpuu_strlist_free(&warnings);
	free(def);
	return CLI_EXIT_OK;
}
