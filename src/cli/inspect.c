/* cpuu inspect --hive FILE [--json]: the Outlook profiles in a hive, read
 * only (the file is opened without write access and never changed). */
#include "cli.h"
#include "opt.h"

#include "cpuu/profile.h"
#include "cpuu/registry.h"

#include <stdio.h>
#include <string.h>

static void field(const char *label, const char *value)
{
	if (value)
		printf("    %-14s %s\n", label, value);
}

static void print_text(const cpuu_profile_set *set)
{
	if (set->nprofiles == 0) {
		printf("no Outlook profiles found\n");
		return;
	}
	for (size_t i = 0; i < set->nprofiles; i++) {
		const cpuu_profile *p = &set->profiles[i];
		printf("%sprofile \"%s\"%s (Outlook %s)\n", i ? "\n" : "", p->name, p->is_default ? " [default]" : "",
		       p->outlook_version);
		printf("  path: %s\n", p->path);
		if (p->naccounts == 0)
			printf("  no accounts\n");
		for (size_t j = 0; j < p->naccounts; j++) {
			const cpuu_account *a = &p->accounts[j];
			printf("  account %zu: %s%s%s%s\n", j + 1, cpuu_account_kind_name(a->kind),
			       a->display_name ? " \"" : "", a->display_name ? a->display_name : "",
			       a->display_name ? "\"" : "");
			if (a->account_name && (!a->display_name || strcmp(a->account_name, a->display_name)))
				field("account name:", a->account_name);
			field("service:", a->service_uid);
			field("smtp:", a->smtp);
			field("legacy DN:", a->legacy_dn);
			field("home server:", a->home_server);
			field("server DN:", a->server_dn);
			field("mailbox GUID:", a->mailbox_guid);
			field(a->kind == CPUU_ACCOUNT_PST ? "pst path:" : "ost path:", a->ost_path);
			if (a->cached >= 0)
				field("cached mode:", a->cached ? "on" : "off");
			for (size_t k = 0; k < a->nadditional; k++) {
				const cpuu_additional_mailbox *m = &a->additional[k];
				printf("    additional mailbox: %s\n", m->display_name ? m->display_name : "(no name)");
				if (m->mailbox_dn)
					printf("      mailbox DN:   %s\n", m->mailbox_dn);
				if (m->server)
					printf("      server:       %s\n", m->server);
				if (m->smtp)
					printf("      smtp:         %s\n", m->smtp);
			}
		}
	}
}

int cli_cmd_inspect(int argc, char **argv)
{
	const char *hive = NULL;
	int json = 0, live = 0;
	const cli_opt table[] = {
		{ "--hive", CLI_OPT_STRING, &hive, "FILE", "an offline NTUSER.DAT (opened read-only)", 0, 0 },
		{ "--live", CLI_OPT_FLAG, &live, NULL, "the logged-on user's HKEY_CURRENT_USER (Windows build; read-only)", 0, 0 },
		{ "--json", CLI_OPT_FLAG, &json, NULL, "the stable JSON form (docs/inspect-json.md)", 0, 0 },
		{ 0 }
	};
	int code = CLI_EXIT_USAGE;
	cpuu_reg *reg = NULL;
	cpuu_profile_set *set = NULL;
	char *text = NULL;
	int parsed = cli_opt_parse(table, argc, argv);
	if (parsed == CLI_OPT_OK && (!hive || !*hive) == !live) {
		fprintf(stderr, "cpuu: inspect: give --hive FILE or --live (see 'cpuu inspect --help')\n");
		goto done;
	}
	if (parsed == CLI_OPT_HELP) {
		printf("usage: cpuu inspect --hive FILE | --live [--json]\n");
		cli_opt_help(stdout, table);
		code = CLI_EXIT_OK;
	}
	if (parsed != CLI_OPT_OK)
		goto done;
	int rc = live ? cpuu_reg_open_live(&reg, 0) : cpuu_reg_open_hive(&reg, hive, 0);
	if (rc == CPUU_OK)
		rc = cpuu_profiles_load(&set, reg);
	if (rc == CPUU_OK && json)
		rc = cpuu_profiles_to_json(&text, set);
	if (rc < 0) {
		code = cli_fail();
		goto done;
	}
	if (json)
		fputs(text, stdout);
	else
		print_text(set);
	code = CLI_EXIT_OK;
	if (fflush(stdout) != 0) {
		fprintf(stderr, "cpuu: inspect: cannot write the output\n");
		code = CLI_EXIT_IO;
	}
done:
	cpuu_free(text);
	cpuu_profile_set_free(set);
	cpuu_reg_free(reg);
	return code;
}
