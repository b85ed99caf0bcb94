/* cpuu inspect --hive FILE [--json]: the Outlook profiles in a hive, read
 * only (the file is opened without write access and never changed). */
#include "cli.h"
#include "opt.h"

#include "cpuu/m365.h"
#include "cpuu/profile.h"
#include "cpuu/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void field(const char *label, const char *value)
{
	if (value)
		printf("    %-14s %s\n", label, cli_shown(value));
}

static void print_text(const cpuu_profile_set *set)
{
	if (set->nprofiles == 0) {
		printf("no Outlook profiles found\n");
		return;
	}
	for (size_t i = 0; i < set->nprofiles; i++) {
		const cpuu_profile *p = &set->profiles[i];
		printf("%sprofile \"%s\"%s (Outlook %s)\n", i ? "\n" : "", cli_shown(p->name),
		       p->is_default ? " [default]" : "", cli_shown(p->outlook_version));
		printf("  path: %s\n", cli_shown(p->path));
		if (p->naccounts == 0)
			printf("  no accounts\n");
		for (size_t j = 0; j < p->naccounts; j++) {
			const cpuu_account *a = &p->accounts[j];
			printf("  account %zu: %s%s%s%s\n", j + 1, cpuu_account_kind_name(a->kind),
			       a->display_name ? " \"" : "", a->display_name ? cli_shown(a->display_name) : "",
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
				printf("    additional mailbox: %s\n",
				       m->display_name ? cli_shown(m->display_name) : "(no name)");
				if (m->mailbox_dn)
					printf("      mailbox DN:   %s\n", cli_shown(m->mailbox_dn));
				if (m->server)
					printf("      server:       %s\n", cli_shown(m->server));
				if (m->smtp)
					printf("      smtp:         %s\n", cli_shown(m->smtp));
			}
		}
	}
}

/* The Microsoft 365 state beside the profiles (docs/m365.md). */
static void print_m365(const cpuu_m365_state *st)
{
	printf("\nMicrosoft 365\n");
	if (!st->nidentities && !st->nfindings)
		printf("  nothing found\n");
	for (size_t i = 0; i < st->nidentities; i++) {
		const cpuu_m365_identity *id = &st->identities[i];
		printf("  identity %s %s: %s (%s)%s%s\n", cli_shown(id->version), cli_shown(id->id),
		       id->email ? cli_shown(id->email) : "(no e-mail)",
		       id->provider ? cli_shown(id->provider) : "no provider", id->source ? " [source]" : "",
		       id->marked ? " [reset]" : "");
		if (id->federation)
			printf("    federation provider: %s\n", cli_shown(id->federation));
		if (id->tenant)
			printf("    tenant: %s\n", cli_shown(id->tenant));
	}
	for (size_t i = 0; i < st->nfindings; i++) {
		const cpuu_m365_finding *f = &st->findings[i];
		printf("  %s%s%s: %s%s%s%s%s\n", cpuu_m365_kind_name(f->kind), f->version ? " " : "",
		       f->version ? cli_shown(f->version) : "", cli_shown(f->name), f->value ? " = " : "",
		       f->value ? cli_shown(f->value) : "",
		       f->source ? " [source]" : "", f->problem ? " [problem]" : "");
		printf("    %s\n", cli_shown(f->note));
	}
}

/* Splices the "m365" member into the profiles document ("...\n}\n"). */
static char *with_m365(const char *profiles, const char *m365)
{
	size_t n = strlen(profiles);
	while (n && (profiles[n - 1] == '\n' || profiles[n - 1] == '}'))
		n--;
	size_t len = n + strlen(m365) + 32;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%.*s,\n  \"m365\": %s\n}\n", (int)n, profiles, m365);
	return out;
}

int cli_cmd_inspect(int argc, char **argv)
{
	const char *hive = NULL;
	const char *domains = NULL;
	const char *user_dir = NULL;
	int json = 0, live = 0;
	const cli_opt table[] = {
		{ "--hive", CLI_OPT_STRING, &hive, "FILE", "an offline NTUSER.DAT (opened read-only)", 0, 0 },
		{ "--live", CLI_OPT_FLAG, &live, NULL, "the logged-on user's HKEY_CURRENT_USER (Windows build; read-only)", 0, 0 },
		{ "--json", CLI_OPT_FLAG, &json, NULL, "the stable JSON form (docs/inspect-json.md)", 0, 0 },
		{ "--source-domains", CLI_OPT_STRING, &domains, "LIST",
		  "comma-separated SMTP domains of the source: marks its identities and accounts (docs/m365.md)", 0, 0 },
		{ "--user-dir", CLI_OPT_STRING, &user_dir, "DIR",
		  "the user's profile folder (C:\\Users\\<name>), where new Teams is looked for\n"
		  "(--live: the logged-on user's)", 0, 0 },
		{ 0 }
	};
	int code = CLI_EXIT_USAGE;
	cpuu_reg *reg = NULL;
	cpuu_profile_set *set = NULL;
	char *text = NULL, *m365 = NULL, *doc = NULL;
	cpuu_m365_state *st = NULL;
	cpuu_strlist src_domains = { 0 };
	cli_user_folders folders = { 0 };
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
	for (const char *d = domains; rc == CPUU_OK && d && *d;) {
		size_t n = strcspn(d, ",");
		char one[256];
		snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), d);
		char *t = one + strspn(one, " ");
		for (size_t e = strlen(t); e && t[e - 1] == ' ';)
			t[--e] = '\0';
		if (*t)
			rc = cpuu_strlist_add(&src_domains, t);
		d += n + (d[n] == ',');
	}
	if (live && !user_dir && cli_user_folders_get(&folders) == CPUU_OK)
		user_dir = folders.profile;
	cpuu_m365_source src = { &src_domains, NULL, user_dir };
	if (rc == CPUU_OK)
		rc = cpuu_m365_read(&st, reg, &src);
	if (rc == CPUU_OK && json)
		rc = cpuu_profiles_to_json(&text, set);
	if (rc == CPUU_OK && json)
		rc = cpuu_m365_to_json(&m365, st);
	if (rc == CPUU_OK && json && !(doc = with_m365(text, m365)))
		rc = CPUU_ENOMEM;
	if (rc < 0) {
		code = cli_fail();
		goto done;
	}
	if (json) {
		fputs(doc, stdout);
	} else {
		print_text(set);
		print_m365(st);
	}
	code = CLI_EXIT_OK;
	if (fflush(stdout) != 0) {
		fprintf(stderr, "cpuu: inspect: cannot write the output\n");
		code = CLI_EXIT_IO;
	}
done:
	cpuu_free(text);
	cpuu_free(m365);
	free(doc);
	cpuu_m365_state_free(st);
	cpuu_strlist_free(&src_domains);
	cli_user_folders_free(&folders);
	cpuu_profile_set_free(set);
	cpuu_reg_free(reg);
	return code;
}
