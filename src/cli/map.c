/* cpuu map export|lookup|x500: the source -> target correspondence from the
 * command line (docs/directory.md). Public API only. */
#include "cli.h"
#include "opt.h"

#include "cpuu/config.h"
#include "cpuu/ldapdir.h"
#include "cpuu/mapping.h"

#include <stdio.h>
#include <string.h>

static void map_usage(FILE *out)
{
	fprintf(out,
		"usage: cpuu map export --config FILE --out mapping.csv\n"
		"       cpuu map lookup --config FILE [--json] KEY\n"
		"       cpuu map x500 --config FILE [--out x500.ldif] [--apply]\n"
		"       cpuu map index CSV [--out INDEX] | --check INDEX   (docs/mapping-index.md)\n"
		"  export  one pass over both directories; writes the mapping CSV (docs/mapping-csv.md)\n"
		"  lookup  KEY: a legacyExchangeDN or X500 address, an SMTP address or a mailbox GUID;\n"
		"          answers from [Mapping] File when set, else from the directories.\n"
		"          exit 0 found, 3 no source or no target, 9 ambiguous\n"
		"  x500    LDIF adding the source legacyExchangeDN and X500 addresses to each\n"
		"          matched target's proxyAddresses; --apply adds them over LDAP\n"
		"          (a dry-run summary first). Never removes anything.\n");
}

struct map_args {
	const char *config;
	const char *out;
	const char *key;
	int json;
	int apply;
};

/* Options by subcommand: a table each, so a new one is a new table. */
static int parse(struct map_args *a, int argc, char **argv, const char *sub)
{
	memset(a, 0, sizeof *a);
#define CONFIG_OPT { "--config", CLI_OPT_STRING, &a->config, "FILE", "configuration (docs/config.md)", 0, 0 }
	const cli_opt export_opts[] = {
		CONFIG_OPT, { "--out", CLI_OPT_STRING, &a->out, "FILE", "the mapping CSV", 0, 0 }, { 0 }
	};
	const cli_opt lookup_opts[] = {
		CONFIG_OPT, { "--json", CLI_OPT_FLAG, &a->json, NULL, "JSON output", 0, 0 },
		{ "KEY", CLI_OPT_ARG, &a->key, NULL, "legacyExchangeDN or X500, SMTP address or mailbox GUID", 0, 0 }, { 0 }
	};
	const cli_opt x500_opts[] = {
		CONFIG_OPT, { "--out", CLI_OPT_STRING, &a->out, "FILE", "the LDIF", 0, 0 },
		{ "--apply", CLI_OPT_FLAG, &a->apply, NULL, "add the values over LDAP", 0, 0 }, { 0 }
	};
#undef CONFIG_OPT
	const cli_opt *table = !strcmp(sub, "lookup") ? lookup_opts : !strcmp(sub, "x500") ? x500_opts : export_opts;
	/* Messages name the whole command: "cpuu: map lookup: ...". */
	char name[32], *sub_arg = argv[0];
	snprintf(name, sizeof name, "map %s", sub);
	argv[0] = name;
	int parsed = cli_opt_parse(table, argc, argv);
	argv[0] = sub_arg;
	if (parsed != CLI_OPT_OK)
		return CLI_EXIT_USAGE; /* --help was answered by cli_cmd_map */
	if (!a->config) {
		fprintf(stderr, "cpuu: map %s: --config is required\n", sub);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int load_config(cpuu_config **cfg, const char *path)
{
	int rc = cpuu_config_load(cfg, path);
	if (rc != CPUU_OK)
		return rc;
	const cpuu_strlist *w = cpuu_config_warnings(*cfg);
	for (size_t i = 0; w && i < w->count; i++)
		fprintf(stderr, "cpuu: warning: %s\n", cli_shown(w->items[i]));
	return CPUU_OK;
}

static int cmd_export(const struct map_args *a)
{
	if (!a->out) {
		fprintf(stderr, "cpuu: map export: --out is required\n");
		return CLI_EXIT_USAGE;
	}
	cpuu_config *cfg = NULL;
	cpuu_directory *dir = NULL;
	cpuu_export_stats st;
	int rc = load_config(&cfg, a->config);
	if (rc == CPUU_OK)
		rc = cpuu_directory_open(&dir, cfg);
	if (rc == CPUU_OK)
		rc = cpuu_directory_export_file(dir, a->out, &st);
	if (rc == CPUU_OK)
		printf("%s: %zu source mailbox(es), %zu target(s) read: %zu found, %zu without target, %zu ambiguous\n",
		       a->out, st.sources, st.targets, st.found, st.no_target, st.ambiguous);
	int code = rc == CPUU_OK ? CLI_EXIT_OK : cli_fail();
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
	return code;
}

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static const char *kind_name(cpuu_target_kind k)
{
	return k == CPUU_TARGET_ONLINE ? "online" : k == CPUU_TARGET_ONPREM ? "onprem" : NULL;
}

static void print_json(const char *key, cpuu_lookup_status st, const cpuu_match *m, int file)
{
	printf("{\"key\":");
	json_str(key);
	printf(",\"status\":");
	json_str(cpuu_lookup_status_name(st));
	printf(",\"answered_by\":\"%s\"", file ? "mapping" : "directory");
	const struct { const char *name, *value; } f[] = {
		{ "source_legacy_dn", m->source_legacy_dn }, { "source_smtp", m->source_smtp },
		{ "source_mailbox_guid", m->source_mailbox_guid }, { "target_legacy_dn", m->target_legacy_dn },
		{ "target_smtp", m->target_smtp }, { "target_mailbox_guid", m->target_mailbox_guid },
		{ "target_display_name", m->target_display_name }, { "target_kind", kind_name(m->target_kind) },
		{ "target_server", m->target_server },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		printf(",\"%s\":", f[i].name);
		json_str(f[i].value);
		if (i == 2) {
			printf(",\"source_x500\":[");
			for (size_t k = 0; k < m->source_x500.count; k++) {
				if (k)
					putchar(',');
				json_str(m->source_x500.items[k]);
			}
			putchar(']');
		}
	}
	printf(",\"switched\":%s}\n", m->switched ? "true" : "false");
}

static void line(const char *label, const char *value)
{
	if (value)
		printf("%-20s %s\n", label, cli_shown(value)); /* directory data: shown escaped */
}

static void print_text(const char *key, cpuu_lookup_status st, const cpuu_match *m, int file)
{
	line("key:", key);
	line("status:", cpuu_lookup_status_name(st));
	line("answered by:", file ? "mapping file" : "directory");
	line("source legacy DN:", m->source_legacy_dn);
	line("source smtp:", m->source_smtp);
	line("source mailbox:", m->source_mailbox_guid);
	for (size_t k = 0; k < m->source_x500.count; k++)
		line("source x500:", m->source_x500.items[k]);
	line("target legacy DN:", m->target_legacy_dn);
	line("target smtp:", m->target_smtp);
	line("target mailbox:", m->target_mailbox_guid);
	line("target name:", m->target_display_name);
	line("target kind:", kind_name(m->target_kind));
	line("target server:", m->target_server);
	line("switched:", m->switched ? "yes" : "no");
}

static int lookup_exit(cpuu_lookup_status st)
{
	switch (st) {
	case CPUU_LOOKUP_FOUND: return CLI_EXIT_OK;
	case CPUU_LOOKUP_AMBIGUOUS: return CLI_EXIT_AMBIGUOUS;
	default: return CLI_EXIT_NOTFOUND;
	}
}

static int cmd_lookup(const struct map_args *a)
{
	if (!a->key) {
		fprintf(stderr, "cpuu: map lookup: a KEY (legacyDN, SMTP address or GUID) is required\n");
		return CLI_EXIT_USAGE;
	}
	cpuu_config *cfg = NULL;
	cpuu_resolver *r = NULL;
	cpuu_match m = { 0 };
	cpuu_lookup_status st = CPUU_LOOKUP_NO_SOURCE;
	int rc = load_config(&cfg, a->config);
	if (rc == CPUU_OK)
		rc = cpuu_resolver_open(&r, cfg);
	if (rc == CPUU_OK)
		rc = cpuu_resolver_lookup(&m, &st, r, a->key);
	if (rc == CPUU_OK)
		(a->json ? print_json : print_text)(a->key, st, &m, cpuu_resolver_uses_file(r));
	int code = rc == CPUU_OK ? lookup_exit(st) : cli_fail();
	cpuu_match_clear(&m);
	cpuu_resolver_free(r);
	cpuu_config_free(cfg);
	return code;
}

static int cmd_x500(const struct map_args *a)
{
	if (!a->out && !a->apply) {
		fprintf(stderr, "cpuu: map x500: --out FILE and/or --apply is required\n");
		return CLI_EXIT_USAGE;
	}
	cpuu_config *cfg = NULL;
	cpuu_directory *dir = NULL;
	cpuu_x500_plan *p = NULL;
	int rc = load_config(&cfg, a->config);
	if (rc == CPUU_OK)
		rc = cpuu_directory_open(&dir, cfg);
	if (rc == CPUU_OK)
		rc = cpuu_x500_plan_build(&p, dir);
	if (rc == CPUU_OK && a->out)
		rc = cpuu_x500_plan_write_ldif(p, a->out);
	if (rc == CPUU_OK) {
		printf("%s%zu X500 address(es) to add to %zu target(s); %zu address(es) shared by several sources left out\n",
		       a->apply ? "dry run: " : "", cpuu_x500_plan_values(p), cpuu_x500_plan_targets(p),
		       cpuu_x500_plan_skipped(p));
		if (a->out)
			printf("LDIF written to %s\n", a->out);
		fflush(stdout);
	}
	if (rc == CPUU_OK && a->apply) {
		size_t added = 0;
		rc = cpuu_x500_plan_apply(&added, p, dir);
		if (rc == CPUU_OK)
			printf("applied: %zu X500 address(es) added\n", added);
	}
	int code = rc == CPUU_OK ? CLI_EXIT_OK : cli_fail();
	cpuu_x500_plan_free(p);
	cpuu_directory_free(dir);
	cpuu_config_free(cfg);
	return code;
}

int cli_cmd_map(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		map_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "index")) /* map_index.c: the indexed mapping */
		return cli_cmd_map_index(argc - 1, argv + 1);
	struct map_args a;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			map_usage(stdout);
			return CLI_EXIT_OK;
		}
	if (strcmp(sub, "export") && strcmp(sub, "lookup") && strcmp(sub, "x500")) {
		fprintf(stderr, "cpuu: map: unknown subcommand '%s' (export, lookup, x500)\n", sub);
		return CLI_EXIT_USAGE;
	}
	int rc = parse(&a, argc - 1, argv + 1, sub);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (!strcmp(sub, "export"))
		return cmd_export(&a);
	if (!strcmp(sub, "lookup"))
		return cmd_lookup(&a);
	return cmd_x500(&a);
}
