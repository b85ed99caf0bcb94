/* cpuu wizard: writes cpuu.ini and the three logon-script batch files.
 * Interactive on a terminal (each question shows its default), or entirely
 * from flags for scripting (--yes, or no terminal on standard input). */
#include "cli.h"

#include "cpuu/wizard.h"

#include "opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One question on the terminal; keeps *value when the answer is empty. */
static void ask(const char *question, const char **value, char *buf, size_t size)
{
	printf("%s [%s]: ", question, *value ? *value : "");
	fflush(stdout);
	if (!fgets(buf, (int)size, stdin))
		return;
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0])
		*value = buf;
}

/* The same until the answer is one of choices ("a|b|c"); end of input keeps
 * the default. */
static void ask_choice(const char *question, const char **value, const char *choices, char *buf, size_t size)
{
	for (int tries = 0; tries < 20; tries++) {
		char q[512];
		snprintf(q, sizeof q, "%s (%s)", question, choices);
		const char *before = *value;
		ask(q, value, buf, size);
		size_t n = *value ? strlen(*value) : 0;
		for (const char *c = choices; n && *c;) {
			size_t k = strcspn(c, "|");
			if (k == n && !strncmp(c, *value, n))
				return;
			c += k + (c[k] == '|');
		}
		if (*value == before)
			return; /* no answer (end of input): the default stands */
		printf("  please answer one of: %s\n", choices);
		*value = before;
	}
}

/* "a, b ,c" -> items (blanks around each trimmed); "" or "all" (when
 * all_word) -> none. */
static void split_list(cpuu_strlist *out, const char *text, int all_word)
{
	cpuu_strlist_free(out);
	if (!text || (all_word && !strcmp(text, "all")))
		return;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, ",");
		const char *a = p, *z = p + n;
		while (a < z && (*a == ' ' || *a == '\t'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
			z--;
		if (z > a) {
			char item[512];
			snprintf(item, sizeof item, "%.*s", (int)(z - a), a);
			cpuu_strlist_add(out, item);
		}
		p += n + (p[n] == ',');
	}
}

static void join_list(char *buf, size_t size, const cpuu_strlist *l, const char *empty)
{
	buf[0] = '\0';
	for (size_t i = 0; i < l->count; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "", l->items[i]);
	if (!l->count)
		snprintf(buf, size, "%s", empty);
}

/* What an admin must decide (docs/wizard.md), each with its default. */
typedef struct answers {
	char out[1024], exe[1024], target[64], corr[1024], surl[512], sbase[512], turl[512], tbase[512], share[1024],
		profiles[1024], cached[64], users[1024], state[1024], feature[16][16];
	char defaults[2][1024];
} answers;

static void interview(answers *A, const char **out, cpuu_wizard *w, cpuu_strlist *profiles, cpuu_strlist *users,
		      cpuu_strlist *features)
{
	printf("cpuu wizard: the files for the logon script (docs/wizard.md). Enter keeps the [default].\n");
	ask("Output folder (made when missing)", out, A->out, sizeof A->out);
	ask("cpuu.exe as the logon script reaches it (empty: beside the batch files)", &w->exe, A->exe, sizeof A->exe);
	if (!w->target)
		w->target = "onprem";
	ask_choice("Target: on-premises Exchange or Exchange Online", &w->target, "onprem|online", A->target,
		   sizeof A->target);
	const char *corr = w->mapping ? w->mapping : !strcmp(w->target, "online") ? NULL : "live";
	for (int tries = 0; tries < 20; tries++) {
		ask("Correspondence: the exported mapping file as workstations reach it ('cpuu map export'),\n"
		    "  or 'live' for the source and target directories",
		    &corr, A->corr, sizeof A->corr);
		if (corr && (strcmp(corr, "live") || strcmp(w->target, "online")))
			break;
		printf("  an Exchange Online target needs the mapping file\n");
		if (!corr || corr != A->corr)
			break; /* end of input */
		corr = NULL;
	}
	w->mapping = corr && strcmp(corr, "live") ? corr : NULL;
	if (corr && !strcmp(corr, "live")) {
		ask("Source directory URL (ldap://host or ldaps://host)", &w->source_url, A->surl, sizeof A->surl);
		ask("Source search base (BaseDN)", &w->source_base, A->sbase, sizeof A->sbase);
		ask("Target directory URL", &w->target_url, A->turl, sizeof A->turl);
		ask("Target search base (BaseDN)", &w->target_base, A->tbase, sizeof A->tbase);
	}
	ask("Log share for each workstation's log and results (empty: none)", &w->log_share, A->share, sizeof A->share);
	join_list(A->defaults[0], sizeof A->defaults[0], profiles, "all");
	const char *prof = A->defaults[0];
	ask("Profiles to process (names, comma-separated, or all)", &prof, A->profiles, sizeof A->profiles);
	split_list(profiles, prof, 1);
	if (!w->cached)
		w->cached = "all";
	ask_choice("Cached-mode profiles: all, only listed users' or none", &w->cached, "all|listed|none", A->cached,
		   sizeof A->cached);
	if (!strcmp(w->cached, "listed")) {
		join_list(A->defaults[1], sizeof A->defaults[1], users, "");
		const char *u = A->defaults[1];
		ask("Users whose cached profiles are processed (user or DOMAIN\\user, comma-separated)", &u, A->users,
		    sizeof A->users);
		split_list(users, u, 0);
	}
	/* Each [Features] switch of the schema, its default or the --feature given. */
	size_t n;
	const cpuu_config_key_info *k = cpuu_config_schema(&n);
	cpuu_strlist chosen = { 0 };
	for (size_t i = 0, f = 0; i < n && f < 16; i++) {
		if (strcmp(k[i].section, "Features") || k[i].type != CPUU_CFG_BOOL)
			continue;
		const char *v = k[i].default_value && strchr("tTyY1", k[i].default_value[0]) ? "yes" : "no";
		for (size_t j = 0; j < features->count; j++) {
			size_t kl = strlen(k[i].key);
			if (!strncmp(features->items[j], k[i].key, kl) && features->items[j][kl] == '=')
				v = features->items[j] + kl + 1;
		}
		char q[512], item[128];
		snprintf(q, sizeof q, "Feature %s: %s", k[i].key, k[i].help);
		ask_choice(q, &v, "yes|no", A->feature[f], sizeof A->feature[f]);
		snprintf(item, sizeof item, "%s=%s", k[i].key, v);
		cpuu_strlist_add(&chosen, item);
		f++;
	}
	cpuu_strlist_free(features);
	*features = chosen;
	ask("Backup folder on the workstation (empty: %LOCALAPPDATA%\\cpuu)", &w->state_dir, A->state, sizeof A->state);
}

int cli_cmd_wizard(int argc, char **argv)
{
	const char *out = NULL;
	int yes = 0;
	cpuu_wizard w = { 0 };
	cpuu_strlist profiles = { 0 }, users = { 0 }, features = { 0 };
	answers *A = NULL;
	const cli_opt table[] = {
		{ "--out", CLI_OPT_STRING, &out, "DIR", "where cpuu.ini and the batch files are written", 0, 0 },
		{ "--exe", CLI_OPT_STRING, &w.exe, "PATH", "cpuu.exe as the logon script reaches it (default: beside the batch files)", 0, 0 },
		{ "--ini", CLI_OPT_STRING, &w.ini, "PATH", "the INI as the logon script reaches it (default: beside cpuu.exe)", 0, 0 },
		{ "--mapping", CLI_OPT_STRING, &w.mapping, "PATH", "[Mapping] File (default: live directories, set in the INI by hand)", 0, 0 },
		{ "--log-share", CLI_OPT_STRING, &w.log_share, "PATH", "[General] LogShare", 0, 0 },
		{ "--state-dir", CLI_OPT_STRING, &w.state_dir, "PATH", "[General] BackupDir", 0, 0 },
		{ "--profiles", CLI_OPT_LIST, &profiles, "NAME", "[Profiles] Profiles (default: all)", 0, 0 },
		{ "--cached", CLI_OPT_STRING, &w.cached, "all|listed|none", "[Profiles] CachedProfiles", 0, 0 },
		{ "--remote-users", CLI_OPT_LIST, &users, "USER", "[Profiles] RemoteUsers", 0, 0 },
		{ "--feature", CLI_OPT_APPEND, &features, "NAME=yes|no", "(repeatable; docs/config.md [Features])", 0, 0 },
		{ "--target", CLI_OPT_STRING, &w.target, "onprem|online", "where the mailboxes go (online needs --mapping)", 0, 0 },
		{ "--source-url", CLI_OPT_STRING, &w.source_url, "URL", "live directories: [Source] Url", 0, 0 },
		{ "--source-base", CLI_OPT_STRING, &w.source_base, "DN", "[Source] BaseDN", 0, 0 },
		{ "--target-url", CLI_OPT_STRING, &w.target_url, "URL", "[Target] Url", 0, 0 },
		{ "--target-base", CLI_OPT_STRING, &w.target_base, "DN", "[Target] BaseDN", 0, 0 },
		{ "--yes", CLI_OPT_FLAG, &yes, NULL, "ask nothing (also when standard input is not a terminal)", 0, 0 },
		{ 0 }
	};
	int rc = CLI_EXIT_OK;
	int parsed = cli_opt_parse(table, argc, argv);
	if (parsed == CLI_OPT_HELP) {
		printf("usage: cpuu wizard --out DIR [--exe PATH] [options]\n"
		       "writes DIR/cpuu.ini, CPUU_Update.bat, CPUU_Rollback.bat, CPUU_Cleanup.bat\n");
		cli_opt_help(stdout, table);
	}
	if (parsed != CLI_OPT_OK) {
		rc = parsed == CLI_OPT_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
		goto done;
	}
	A = calloc(1, sizeof *A);
	if (!A) {
		rc = CLI_EXIT_ERROR;
		goto done;
	}
	if (!yes && cli_stdin_is_terminal())
		interview(A, &out, &w, &profiles, &users, &features);
	if (!out) {
		fprintf(stderr, "cpuu wizard: --out is needed\n");
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	w.profiles = &profiles;
	w.remote_users = &users;
	w.features = &features;
	if (cpuu_wizard_write(out, &w)) {
		rc = cli_fail();
		goto done;
	}
	printf("wrote %s: cpuu.ini, CPUU_Update.bat, CPUU_Rollback.bat, CPUU_Cleanup.bat\n", out);
	printf("put CPUU_Update.bat in the logon script; review cpuu.ini (docs/config.md)\n");
	if (!w.mapping && !w.source_url)
		printf("note: no correspondence source yet: set [Mapping] File or [Source]/[Target] in cpuu.ini\n");
	if (w.log_share)
		printf("each workstation's log and result records go to %s as cpuu_<user>_<host>_<date>_<time>.log/.jsonl\n",
		       w.log_share);
done:
	free(A);
	cpuu_strlist_free(&profiles);
	cpuu_strlist_free(&users);
	cpuu_strlist_free(&features);
	return rc;
}
