/* cpuu update | rollback | cleanup, and cpuu run ([General] Mode): the three
 * modes over one hive or many. The configuration becomes the run's settings
 * in one place (cpuu_run_opts_from_config); the command line goes on top. */
#include "cli.h"

#include "cpuu/config.h"
#include "cpuu/display.h"
#include "cpuu/ldapdir.h"
#include "cpuu/procstop.h"
#include "cpuu/runconfig.h"
#include "cpuu/runlog.h"
#include "cpuu/update.h"
#include "opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nonzero when path is base + sub, ASCII letters compared without case. */
static int is_folder_under(const char *path, const char *base, const char *sub)
{
	size_t bl = strlen(base), sl = strlen(sub);
	if (strlen(path) != bl + sl)
		return 0;
	for (size_t i = 0; path[i]; i++) {
		char a = path[i], b = i < bl ? base[i] : sub[i - bl];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

/* The logged-on user as Windows knows them: the profile folder stands for
 * C:\\Users\\<name> (so the OST, the caches, the autocomplete cache and the
 * PRF route work as with --user-dir), the state folder defaults to
 * <Local AppData>\\cpuu, the user to the logon name. Known folders, not
 * %USERPROFILE%/%LOCALAPPDATA%/%USERNAME%: a logon script may lack them. */
static int live_defaults(cpuu_run_opts *opts, char **state_dir, const cli_user_folders *f, cpuu_runlog *log)
{
	if (!opts->user)
		opts->user = f->user;
	if (!opts->user_dir)
		opts->user_dir = f->profile;
	if (!opts->state_dir && f->local_appdata && (*state_dir = malloc(strlen(f->local_appdata) + sizeof "\\cpuu"))) {
		sprintf(*state_dir, "%s\\cpuu", f->local_appdata);
		opts->state_dir = *state_dir;
	}
	/* Files are found under the profile folder: a redirected AppData
	 * (folder redirection) is said, not followed (docs/windows.md). */
	const char *sub[2] = { "\\AppData\\Local", "\\AppData\\Roaming" };
	const char *got[2] = { f->local_appdata, f->roaming_appdata };
	for (int i = 0; i < 2; i++)
		if (got[i] && f->profile && !is_folder_under(got[i], f->profile, sub[i]))
			cpuu_runlog_msg(log, CPUU_LOG_WARNING, "%s is redirected to %s: its files are looked for under %s%s",
					sub[i] + 1, got[i], f->profile, sub[i]);
	/* Outlook imports the hand-over from the Roaming AppData it knows: one
	 * written under the profile folder would never be imported. */
	if (opts->autocomplete && f->roaming_appdata && f->profile &&
	    !is_folder_under(f->roaming_appdata, f->profile, sub[1])) {
		opts->autocomplete = 0;
		cpuu_runlog_msg(log, CPUU_LOG_WARNING, "autocomplete hand-over skipped: Roaming AppData is redirected");
	}
	cpuu_runlog_msg(log, CPUU_LOG_DEBUG, "live: user %s, user folder %s, state folder %s",
			opts->user ? opts->user : "?", opts->user_dir ? opts->user_dir : "?",
			opts->state_dir ? opts->state_dir : "?");
	return opts->state_dir && opts->user ? CPUU_OK : CPUU_EINVALID;
}

static void print_results(const cpuu_results *r, int json);

/* Outlook and other MAPI clients hold the profile open: they are stopped
 * ([Processes], docs/procstop.md) right before the run's first change, so a
 * logon with nothing to change stops nothing (cpuu_run_opts.before_change). */
typedef struct live_stop {
	const cpuu_run_config *rc;
	cpuu_runlog *log;
	unsigned mask; /* the exit bits when stopping failed or was refused */
} live_stop;

static int stop_mapi_clients(void *ctx)
{
	live_stop *s = ctx;
	cpuu_procstop_result r;
	/* The question names the action: update or rollback. */
	int err = cpuu_procstop_run(&r, s->rc->process_names, s->rc->grace_ms,
				    s->rc->ask ? cpuu_procstop_ask_user : NULL,
				    (void *)cpuu_mode_name(s->rc->opts.mode));
	if (r.running.count)
		cpuu_runlog_msg(s->log, CPUU_LOG_INFO, "mail programs stopped before the first change: %zu closed, "
						       "%zu ended, %zu survived (of %zu running)",
				r.closed, r.killed, r.survived, r.running.count);
	cpuu_procstop_result_clear(&r);
	if (err == CPUU_EABORTED) {
		fprintf(stderr, "cpuu: %s\n", cpuu_error_last()->message);
		s->mask = CPUU_EXIT_USER_ABORT;
	} else if (err) {
		fprintf(stderr, "cpuu: %s: the profile was not changed\n", cpuu_error_last()->message);
		s->mask = CPUU_EXIT_GLOBAL_ERR;
	}
	return err;
}

/* One run over the logged-on user's registry (cpuu_run_registry). */
static unsigned run_live(const char *cmd, const cpuu_run_config *rc, const cpuu_match_source *resolver, int json,
			 cpuu_runlog *log)
{
	cpuu_reg *reg = NULL;
	cpuu_results *res = NULL;
	char *state_dir = NULL;
	cli_user_folders folders = { 0 };
	unsigned mask = CPUU_EXIT_GLOBAL_ERR;
	cpuu_run_opts opts = rc->opts;
	live_stop stop = { rc, log, 0 };
	if (cpuu_reg_open_live(&reg, opts.dry_run ? 0 : CPUU_REG_OPEN_WRITE)) {
		/* Another cpuu in this session (its mutex): the bits of a hive
		 * another run holds (SWITCH_ERR|GLOBAL_ERR, docs/exit-codes.md). */
		if (cpuu_error_last()->code == CPUU_ELOCKED)
			mask = CPUU_EXIT_SWITCH_ERR | CPUU_EXIT_GLOBAL_ERR;
		cpuu_runlog_msg(log, CPUU_LOG_ERROR, "error: %s", cpuu_error_last()->message);
		cli_fail();
		goto done;
	}
	if (cli_user_folders_get(&folders))
		cpuu_runlog_msg(log, CPUU_LOG_WARNING, "the logged-on user's profile folder or name is unknown "
						       "(SHGetKnownFolderPath, GetUserName): the user's files are left alone");
	if (live_defaults(&opts, &state_dir, &folders, log)) {
		fprintf(stderr, "cpuu: %s: --live needs --state-dir and --user (the user's folders are unknown)\n", cmd);
		goto done;
	}
	/* Nothing may change under a running Outlook; Cleanup changes neither the
	 * profile nor Outlook's files, so it stops nothing. */
	if (opts.mode != CPUU_MODE_CLEANUP) {
		opts.before_change = stop_mapi_clients;
		opts.before_change_ctx = &stop;
	}
	/* A logon run has the user's session: the notice can be shown there. */
	opts.show_notice = cli_notice_show;
	int err = cpuu_run_registry(&res, reg, "HKCU", &opts, resolver);
	if (res) {
		print_results(res, json);
		cpuu_runlog_results(log, res);
		/* Refused or failed before the first change: nothing changed, and
		 * the bits say why rather than every account's error. */
		mask = stop.mask ? stop.mask : res->exit_mask;
	}
	if (err)
		fprintf(stderr, "cpuu: %s\n", cpuu_error_last()->message);
done:
	cpuu_results_free(res);
	cpuu_reg_free(reg);
	cli_user_folders_free(&folders);
	free(state_dir);
	return mask;
}

static void print_results(const cpuu_results *r, int json)
{
	if (json) {
		char *text = NULL;
		if (cpuu_results_to_jsonl(&text, r) == CPUU_OK)
			fputs(text, stdout);
		cpuu_free(text);
		return;
	}
	if (r->plan_text)
		fputs(r->plan_text, stdout);
	/* Users, profiles, accounts and messages are data: shown escaped
	 * (cpuu/display.h); the JSON records carry them exactly. */
	for (size_t i = 0; i < r->count; i++) {
		const cpuu_result *x = &r->items[i];
		cpuu_display_fputs(x->user, stdout);
		if (x->profile) {
			fputs("  profile '", stdout);
			cpuu_display_fputs(x->profile, stdout);
			fputs("'", stdout);
		}
		if (x->account) {
			fputs("  ", stdout);
			cpuu_display_fputs(x->account, stdout);
		}
		printf(": %s", cpuu_outcome_name(x->outcome));
		if (x->changes)
			printf(" (%zu change%s)", x->changes, x->changes == 1 ? "" : "s");
		if (x->message) {
			fputs(" - ", stdout);
			cpuu_display_fputs(x->message, stdout);
		}
		printf("\n");
	}
}


/* What the command line gives; absent numbers are -1. */
typedef struct run_args {
	const char *config, *mapping, *hive, *hives, *users_dir, *user, *state_dir, *user_dir;
	int json, dry_run, live;
	long workers, batch;
	cpuu_strlist profiles;
	cli_shard shard; /* --shard K/N (bulk) */
	/* The established tool's switches (docs/compat.md). */
	const char *log_file;
	cpuu_strlist critical;
	int no_scp_exclusion;
} run_args;

static void usage(FILE *out, const char *cmd, const cli_opt *table)
{
	fprintf(out,
		"usage: cpuu %s [--config cpuu.ini] [--mapping mapping.csv] --hive NTUSER.DAT\n"
		"       cpuu %s ... --hives LIST | --users-dir DIR   (bulk: see 'Bulk runs' in the README)\n"
		"       cpuu %s ... --live   (Windows: the logged-on user's registry; docs/windows.md)\n"
		"%s"
		"options:\n",
		cmd, cmd, cmd, strcmp(cmd, "run") ? "" : "the mode is [General] Mode (update, rollback or cleanup)\n");
	cli_opt_help(out, table);
	fprintf(out, "exit status: the bit mask in docs/exit-codes.md\n");
}

/* The run's user for the log: --user, else an offline hive's folder
 * (DIR/<user>/NTUSER.DAT, as in the result records), else the logged-on user. */
static const char *log_user(char *buf, size_t size, const run_args *a)
{
	if (a->user)
		return a->user;
	if (a->hive) {
		const char *end = strrchr(a->hive, '/'), *start = end;
		while (start && start > a->hive && start[-1] != '/')
			start--;
		if (end && start < end && (size_t)(end - start) < size) {
			memcpy(buf, start, (size_t)(end - start));
			buf[end - start] = '\0';
			return buf;
		}
	}
	return getenv("USERNAME") ? getenv("USERNAME") : getenv("USER");
}

/* The command line over the configuration's settings. */
static void apply_args(cpuu_run_config *rc, const run_args *a, int mode)
{
	if (mode >= 0)
		rc->opts.mode = (cpuu_mode)mode;
	rc->opts.dry_run |= a->dry_run;
	rc->json_results |= a->json;
	if (a->user)
		rc->opts.user = a->user;
	if (a->state_dir)
		rc->opts.state_dir = a->state_dir;
	rc->opts.user_dir = a->user_dir;
	/* Bulk over a folder of user profiles: each user's files sit beside the hive. */
	rc->opts.user_dir_is_hive_folder = a->users_dir != NULL;
	if (a->profiles.count)
		rc->opts.profiles = &a->profiles;
	if (a->workers >= 0)
		rc->workers = (unsigned)a->workers;
	if (a->log_file)
		rc->log_file = a->log_file;
	if (a->no_scp_exclusion)
		rc->opts.exclude_scp_lookup = 0;
}

static void log_settings(cpuu_runlog *log, const cpuu_run_config *rc)
{
	char *text = NULL;
	if (cpuu_run_config_describe(&text, rc) != CPUU_OK)
		return;
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		cpuu_runlog_msg(log, CPUU_LOG_DEBUG, "setting %s", line);
	}
	cpuu_free(text);
}

static unsigned run_one_hive(const char *hive, const cpuu_run_config *rc, const cpuu_match_source *src,
			     cpuu_runlog *log)
{
	cpuu_results *res = NULL;
	unsigned mask = CPUU_EXIT_GLOBAL_ERR;
	int err = cpuu_run_hive(&res, hive, &rc->opts, src);
	if (res) {
		print_results(res, rc->json_results);
		cpuu_runlog_results(log, res);
		mask = res->exit_mask;
	}
	if (err) {
		fprintf(stderr, "cpuu: %s\n", cpuu_error_last()->message);
		cpuu_runlog_msg(log, CPUU_LOG_ERROR, "error: %s", cpuu_error_last()->message);
	}
	cpuu_results_free(res);
	return mask;
}

/* mode < 0: [General] Mode decides (cpuu run). One exit path: done. */
static int cli_run_mode(int argc, char **argv, int mode)
{
	run_args a = { .workers = -1, .batch = 1 };
	const cli_opt table[] = {
		{ "--config", CLI_OPT_STRING, &a.config, "FILE", "configuration (docs/config.md)", 0, 0 },
		{ "--mapping", CLI_OPT_STRING, &a.mapping, "FILE", "mapping CSV (overrides [Mapping] File)", 0, 0 },
		{ "--hive", CLI_OPT_STRING, &a.hive, "FILE", "one user's NTUSER.DAT", 0, 0 },
		{ "--live", CLI_OPT_FLAG, &a.live, NULL,
		  "the live HKEY_CURRENT_USER (Windows build only; state folder\n"
		  "default %LOCALAPPDATA%\\cpuu, user default %USERNAME%)", 0, 0 },
		{ "--hives", CLI_OPT_STRING, &a.hives, "FILE", "a file listing hive paths, one a line (bulk)", 0, 0 },
		{ "--users-dir", CLI_OPT_STRING, &a.users_dir, "DIR", "every DIR/<user>/NTUSER.DAT (bulk)", 0, 0 },
		{ "--workers", CLI_OPT_INT, &a.workers, "N",
		  "parallel workers in bulk runs (default: [General] Workers; 0: one per core)", 0, 1024 },
		{ "--batch", CLI_OPT_INT, &a.batch, "N",
		  "bulk: hives whose fsyncs are grouped (default 1: each hive on its own)", 1, 64 },
		{ "--shard", CLI_OPT_SHARD, &a.shard, "K/N",
		  "bulk: only the hives of shard K (0 to N-1) of N, by their user folder's name", 0, 65536 },
		{ "--user", CLI_OPT_STRING, &a.user, "NAME", "user name in the results (default: the hive's folder)", 0, 0 },
		{ "--user-dir", CLI_OPT_STRING, &a.user_dir, "DIR",
		  "the user's profile folder (C:\\Users\\<name>): old OSTs go aside there", 0, 0 },
		{ "--state-dir", CLI_OPT_STRING, &a.state_dir, "DIR",
		  "where backups are kept (default: [General] BackupDir, else <hive>.cpuu)", 0, 0 },
		{ "--profiles", CLI_OPT_LIST, &a.profiles, "NAME", "only these profiles (default: [Profiles] Profiles)", 0, 0 },
		{ "--dry-run", CLI_OPT_FLAG, &a.dry_run, NULL, "plan and show the changes, write nothing", 0, 0 },
		{ "--json", CLI_OPT_FLAG, &a.json, NULL, "result records as JSON lines on stdout ([Logging] JsonResults)", 0, 0 },
		{ "--log", CLI_OPT_STRING, &a.log_file, "FILE", "the run's log ([General] LogFile; #u #h #d #t expanded)", 0, 0 },
		{ "--critical", CLI_OPT_LIST, &a.critical, "FEATURE",
		  "a profile where one of these fails is not switched ([General] Critical)", 0, 0 },
		/* The established tool's command line, as its logon scripts give it. */
		{ "-ini", CLI_OPT_STRING, &a.config, "FILE", "alias of --config (the established tool)", 0, 0 },
		{ "-Log", CLI_OPT_STRING, &a.log_file, "FILE", "alias of --log", 0, 0 },
		{ "-Profiles", CLI_OPT_LIST, &a.profiles, "NAME", "alias of --profiles", 0, 0 },
		{ "-Critical", CLI_OPT_LIST, &a.critical, "FEATURE", "alias of --critical", 0, 0 },
		{ "-ExcludeScpLookupNever", CLI_OPT_FLAG, &a.no_scp_exclusion, NULL,
		  "[Features] ExcludeScpLookup = no for this run", 0, 0 },
		{ 0 }
	};
	unsigned mask = CPUU_EXIT_GLOBAL_ERR;
	cpuu_config *cfg = NULL;
	cpuu_run_config rc = { 0 };
	cpuu_resolver *resolver = NULL;
	cpuu_runlog *log = NULL;
	const cpuu_match_source *src = NULL;

	int parsed = cli_opt_parse(table, argc, argv);
	if (parsed == CLI_OPT_HELP)
		usage(stdout, argv[0], table);
	if (parsed != CLI_OPT_OK) {
		/* A usage error is GLOBAL_ERR: exit 2 would read as NO_SWITCH_MSG in
		 * a logon script's bit mask. */
		mask = parsed == CLI_OPT_HELP ? 0 : CPUU_EXIT_GLOBAL_ERR;
		goto done;
	}
	if (!!a.hive + !!a.hives + !!a.users_dir + a.live != 1) {
		fprintf(stderr, "cpuu %s: give exactly one of --hive, --live, --hives, --users-dir\n", argv[0]);
		goto done;
	}
	if (a.shard.count && (a.hive || a.live)) {
		fprintf(stderr, "cpuu %s: --shard splits a bulk run (--hives, --users-dir)\n", argv[0]);
		goto done;
	}
	if ((a.config ? cpuu_config_load(&cfg, a.config) : cpuu_config_new(&cfg)) != CPUU_OK) {
		cli_fail();
		goto done;
	}
	const cpuu_strlist *warnings = cpuu_config_warnings(cfg);
	for (size_t i = 0; warnings && i < warnings->count; i++)
		fprintf(stderr, "cpuu: warning: %s\n", cli_shown(warnings->items[i]));
	if (cpuu_run_opts_from_config(&rc, cfg) != CPUU_OK) {
		cli_fail();
		goto done;
	}
	apply_args(&rc, &a, mode);
#ifdef CPUU_CLI_LEAN
	/* This executable has no LDAP client: an update whose correspondence
	 * source is the directory runs in cpuu-admin, before anything is made. */
	const char *lean_file = a.mapping ? a.mapping : cpuu_config_get_string(cfg, "Mapping", "File");
	const char *lean_url = cpuu_config_get_string(cfg, "Source", "Url");
	if (rc.opts.mode == CPUU_MODE_UPDATE && !(lean_file && lean_file[0]) && lean_url && lean_url[0]) {
		cli_admin_exec(argc, argv);
		goto done;
	}
#endif
	if (cpuu_critical_from_names(&rc.opts.critical, &rc.warnings, &a.critical) != CPUU_OK) {
		cli_fail();
		goto done;
	}
	for (size_t i = 0; i < rc.warnings.count; i++)
		fprintf(stderr, "cpuu: warning: %s\n", rc.warnings.items[i]);
	if (cpuu_run_temp_dir_create(&rc) != CPUU_OK) {
		cli_fail();
		mask = CPUU_EXIT_FAILED_TO_CREATE_TMP_DIR;
		goto done;
	}
	if (rc.opts.mode == CPUU_MODE_UPDATE) {
		/* One directory connection cannot be shared by bulk workers. */
		if (!(a.hive || a.live) && !a.mapping && !cpuu_config_get_string(cfg, "Mapping", "File")) {
			fprintf(stderr, "cpuu %s: no correspondence source: set [Mapping] File or give --mapping "
					"(bulk runs read an exported mapping: 'cpuu map export')\n", argv[0]);
			goto done;
		}
		if (cpuu_resolver_open_with(&resolver, cfg, a.mapping) != CPUU_OK) {
			cli_fail();
			goto done;
		}
		const cpuu_strlist *mw = cpuu_resolver_warnings(resolver);
		const char *file = a.mapping ? a.mapping : cpuu_config_get_string(cfg, "Mapping", "File");
		for (size_t i = 0; mw && i < mw->count; i++)
			fprintf(stderr, "cpuu: warning: %s: %s\n", cli_shown(file), cli_shown(mw->items[i]));
		src = cpuu_resolver_source(resolver);
	}

	/* The run's log ([General] LogFile, ResultFile, LogShare; [Logging] Level:
	 * docs/logging.md). */
	char host[256] = "", user_buf[256] = "";
	cli_host_name(host, sizeof host);
	cpuu_runlog_opts lo = { .log_file = rc.log_file, .result_file = rc.result_file, .log_share = rc.log_share,
				.user = log_user(user_buf, sizeof user_buf, &a), .host = host, .level = rc.log_level };
	cpuu_runlog_open(&log, &lo);
	cpuu_runlog_line(log, "cpuu %s started (%s)", cpuu_mode_name(rc.opts.mode),
			 a.hive ? a.hive : a.live ? "HKCU" : "bulk");
	log_settings(log, &rc);
	if (a.hive) {
		mask = run_one_hive(a.hive, &rc, src, log);
	} else if (a.live) {
		mask = run_live(argv[0], &rc, src, rc.json_results, log);
	} else {
		mask = cli_run_bulk(a.hives, a.users_dir, rc.workers, (int)a.batch, &a.shard, &rc, src);
	}
	cpuu_runlog_line(log, "cpuu %s finished: exit bits %u", cpuu_mode_name(rc.opts.mode), mask);
done:
	mask |= cpuu_runlog_close(log);
	cpuu_resolver_free(resolver);
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);
	cpuu_strlist_free(&a.profiles);
	cpuu_strlist_free(&a.critical);
	return (int)mask;
}

int cli_cmd_update(int argc, char **argv)
{
	return cli_run_mode(argc, argv, CPUU_MODE_UPDATE);
}

int cli_cmd_rollback(int argc, char **argv)
{
	return cli_run_mode(argc, argv, CPUU_MODE_ROLLBACK);
}

int cli_cmd_cleanup(int argc, char **argv)
{
	return cli_run_mode(argc, argv, CPUU_MODE_CLEANUP);
}

int cli_cmd_run(int argc, char **argv)
{
	return cli_run_mode(argc, argv, -1);
}
