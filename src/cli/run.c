/* cpuu update | rollback | cleanup: the three modes over one hive or many. */
#include "cli.h"

#include "cpuu/config.h"
#include "cpuu/ldapdir.h"
#include "cpuu/mapping.h"
#include "cpuu/procstop.h"
#include "cpuu/runlog.h"
#include "cpuu/update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

static void usage(FILE *out, const char *mode)
{
	fprintf(out,
		"usage: cpuu %s [--config cpuu.ini] [--mapping mapping.csv] --hive NTUSER.DAT\n"
		"       cpuu %s ... --hives LIST | --users-dir DIR   (bulk: see 'Bulk runs' in the README)\n"
		"       cpuu %s ... --live   (Windows: the logged-on user's registry; docs/windows.md)\n"
		"options:\n"
		"  --config FILE      configuration (docs/config.md)\n"
		"  --mapping FILE     mapping CSV (overrides [Mapping] File)\n"
		"  --hive FILE        one user's NTUSER.DAT\n"
		"  --live             the live HKEY_CURRENT_USER (Windows build only; state folder\n"
		"                     default %%LOCALAPPDATA%%\\cpuu, user default %%USERNAME%%)\n"
		"  --hives FILE       a file listing hive paths, one a line (bulk)\n"
		"  --users-dir DIR    every DIR/<user>/NTUSER.DAT (bulk)\n"
		"  --workers N        parallel workers in bulk runs (default: one per core)\n"
		"  --batch N          bulk: hives whose fsyncs are grouped (default 1: each hive on its own)\n"
		"  --user NAME        user name in the results (default: the hive's folder)\n"
		"  --user-dir DIR     the user's profile folder (C:\\Users\\<name>): old OSTs go aside there\n"
		"  --state-dir DIR    where backups are kept (default: <hive>.cpuu)\n"
		"  --profiles NAME... only these profiles (default: [Profiles] Profiles)\n"
		"  --dry-run          plan and show the changes, write nothing\n"
		"  --json             result records as JSON lines on stdout\n"
		"exit status: the bit mask in docs/exit-codes.md\n",
		mode, mode, mode);
}

static int mapping_lookup(void *ctx, const cpuu_match **match, cpuu_lookup_status *status, const char *key)
{
	return cpuu_mapping_lookup(match, status, ctx, key);
}

/* Live directory lookups hand out owned copies; the engine wants a borrowed
 * match that lives until the next lookup: one slot does. */
typedef struct live_source {
	cpuu_resolver *resolver;
	cpuu_match slot;
} live_source;

static int live_lookup(void *ctx, const cpuu_match **match, cpuu_lookup_status *status, const char *key)
{
	live_source *ls = ctx;
	cpuu_match_clear(&ls->slot);
	int rc = cpuu_resolver_lookup(&ls->slot, status, ls->resolver, key);
	*match = rc == CPUU_OK && (*status == CPUU_LOOKUP_FOUND || *status == CPUU_LOOKUP_NO_TARGET) ? &ls->slot : NULL;
	return rc;
}

#ifdef _WIN32
/* %LOCALAPPDATA%\cpuu and %USERNAME%: the logon script's user. */
static int live_defaults(char **state_dir, char **user)
{
	const char *local = getenv("LOCALAPPDATA"), *name = getenv("USERNAME");
	if (!*state_dir && local && *local) {
		size_t n = strlen(local) + sizeof "\\cpuu";
		if ((*state_dir = malloc(n)))
			snprintf(*state_dir, n, "%s\\cpuu", local);
	}
	if (!*user && name && *name) {
		size_t n = strlen(name) + 1;
		if ((*user = malloc(n)))
			memcpy(*user, name, n);
	}
	return *state_dir && *user ? CPUU_OK : CPUU_EINVALID;
}
#else
static int live_defaults(char **state_dir, char **user)
{
	(void)state_dir;
	(void)user;
	return CPUU_EINVALID; /* unreachable: the live registry does not open here */
}
#endif

static void print_results(const cpuu_results *r, int json);

/* [Processes] Ask: the user decides before their programs are closed. */
static int confirm_close(void *ctx, const cpuu_strlist *running)
{
	(void)ctx;
	char text[1024];
	snprintf(text, sizeof text,
		 "Your mailbox has moved. %s%s must be closed to update your Outlook profile.\n\nClose %s now?",
		 running->items[0], running->count > 1 ? " and other mail programs" : "",
		 running->count > 1 ? "them" : "it");
#ifdef _WIN32
	/* user32 only now: a logon run that asks nothing never loads it. */
	typedef int(WINAPI * message_box_fn)(HWND, LPCWSTR, LPCWSTR, UINT);
	HMODULE u32 = LoadLibraryW(L"user32.dll");
	message_box_fn box = u32 ? (message_box_fn)(void (*)(void))GetProcAddress(u32, "MessageBoxW") : NULL;
	wchar_t wtext[1024];
	if (!box || !MultiByteToWideChar(CP_UTF8, 0, text, -1, wtext, 1024))
		return 0;
	return box(NULL, wtext, L"cpuu", MB_YESNO | MB_ICONQUESTION | MB_SETFOREGROUND) == IDYES;
#else
	if (!isatty(fileno(stdin)))
		return 0; /* nobody to ask: do not close anything */
	fprintf(stderr, "%s [Y/n] ", text);
	char answer[16];
	if (!fgets(answer, sizeof answer, stdin))
		return 0;
	return answer[0] != 'n' && answer[0] != 'N';
#endif
}

/* Outlook and other MAPI clients hold the profile open: they go first
 * ([Processes], docs/procstop.md). Returns the exit bits when the run must
 * not go on. */
static unsigned stop_mapi_clients(const cpuu_config *cfg)
{
	const cpuu_strlist *names = cpuu_config_get_list(cfg, "Processes", "Names");
	long grace = cpuu_config_get_int(cfg, "Processes", "GraceSeconds");
	int ask = cpuu_config_get_bool(cfg, "Processes", "Ask");
	cpuu_procstop_result r;
	int rc = cpuu_procstop_run(&r, names && names->count ? names : NULL, (unsigned)grace * 1000u,
				   ask ? confirm_close : NULL, NULL);
	cpuu_procstop_result_clear(&r);
	if (rc == CPUU_EABORTED) {
		fprintf(stderr, "cpuu: %s\n", cpuu_error_last()->message);
		return CPUU_EXIT_USER_ABORT;
	}
	if (rc) {
		fprintf(stderr, "cpuu: %s: the profile was not changed\n", cpuu_error_last()->message);
		return CPUU_EXIT_GLOBAL_ERR;
	}
	return 0;
}

/* One run over the logged-on user's registry (cpuu_run_registry). */
static unsigned run_live(const char *cmd, const cpuu_run_opts *base, const cpuu_match_source *resolver, int json,
			 const cpuu_config *cfg, cpuu_runlog *log)
{
	cpuu_reg *reg = NULL;
	if (cpuu_reg_open_live(&reg, base->dry_run ? 0 : CPUU_REG_OPEN_WRITE)) {
		cli_fail();
		return CPUU_EXIT_GLOBAL_ERR;
	}
	cpuu_run_opts opts = *base;
	char *state_dir = NULL, *user = NULL;
	if (!opts.state_dir || !opts.user) {
		if (live_defaults(&state_dir, &user)) {
			fprintf(stderr, "cpuu %s: --live needs --state-dir and --user (LOCALAPPDATA or USERNAME unset)\n",
				cmd);
			free(state_dir);
			free(user);
			cpuu_reg_free(reg);
			return CPUU_EXIT_GLOBAL_ERR;
		}
		if (!opts.state_dir)
			opts.state_dir = state_dir;
		if (!opts.user)
			opts.user = user;
	}
	/* Nothing may change under a running Outlook. */
	unsigned stop = opts.dry_run ? 0 : stop_mapi_clients(cfg);
	if (stop) {
		cpuu_reg_free(reg);
		free(state_dir);
		free(user);
		return stop;
	}
	cpuu_results *res = NULL;
	int rc = cpuu_run_registry(&res, reg, "HKCU", &opts, resolver);
	unsigned mask = CPUU_EXIT_GLOBAL_ERR;
	if (res) {
		print_results(res, json);
		cpuu_runlog_results(log, res);
		mask = res->exit_mask;
	}
	if (rc)
		fprintf(stderr, "cpuu: %s\n", cpuu_error_last()->message);
	cpuu_results_free(res);
	cpuu_reg_free(reg);
	free(state_dir);
	free(user);
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
	for (size_t i = 0; i < r->count; i++) {
		const cpuu_result *x = &r->items[i];
		printf("%s", x->user);
		if (x->profile)
			printf("  profile '%s'", x->profile);
		if (x->account)
			printf("  %s", x->account);
		printf(": %s", cpuu_outcome_name(x->outcome));
		if (x->changes)
			printf(" (%zu change%s)", x->changes, x->changes == 1 ? "" : "s");
		if (x->message)
			printf(" - %s", x->message);
		printf("\n");
	}
}

static int cli_run_mode(int argc, char **argv, cpuu_mode mode)
{
	const char *config_path = NULL, *mapping_path = NULL, *hive = NULL, *hives = NULL, *users_dir = NULL;
	const char *user = NULL, *state_dir = NULL, *user_dir = NULL;
	int json = 0, dry_run = 0, workers = 0, live_reg = 0, batch = 1;
	cpuu_strlist profiles = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, argv[0]);
			return 0;
		} else if (!strcmp(a, "--config") && has) {
			config_path = argv[++i];
		} else if (!strcmp(a, "--mapping") && has) {
			mapping_path = argv[++i];
		} else if (!strcmp(a, "--hive") && has) {
			hive = argv[++i];
		} else if (!strcmp(a, "--live")) {
			live_reg = 1;
		} else if (!strcmp(a, "--hives") && has) {
			hives = argv[++i];
		} else if (!strcmp(a, "--users-dir") && has) {
			users_dir = argv[++i];
		} else if (!strcmp(a, "--workers") && has) {
			workers = atoi(argv[++i]);
		} else if (!strcmp(a, "--batch") && has) {
			batch = atoi(argv[++i]);
		} else if (!strcmp(a, "--user") && has) {
			user = argv[++i];
		} else if (!strcmp(a, "--state-dir") && has) {
			state_dir = argv[++i];
		} else if (!strcmp(a, "--user-dir") && has) {
			user_dir = argv[++i];
		} else if (!strcmp(a, "--profiles")) {
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
				if (cpuu_strlist_add(&profiles, argv[++i]))
					return CLI_EXIT_ERROR;
		} else if (!strcmp(a, "--dry-run")) {
			dry_run = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else {
			fprintf(stderr, "cpuu %s: unknown or incomplete option '%s'\n", argv[0], a);
			usage(stderr, argv[0]);
			cpuu_strlist_free(&profiles);
			return CPUU_EXIT_GLOBAL_ERR;
		}
	}
	if (!!hive + !!hives + !!users_dir + live_reg != 1) {
		fprintf(stderr, "cpuu %s: give exactly one of --hive, --live, --hives, --users-dir\n", argv[0]);
		cpuu_strlist_free(&profiles);
		return CPUU_EXIT_GLOBAL_ERR;
	}

	cpuu_config *cfg = NULL;
	cpuu_mapping *map = NULL;
	int rc = config_path ? cpuu_config_load(&cfg, config_path) : cpuu_config_new(&cfg);
	if (rc) {
		cli_fail();
		cpuu_strlist_free(&profiles);
		return CPUU_EXIT_GLOBAL_ERR;
	}
	const cpuu_strlist *warnings = cpuu_config_warnings(cfg);
	for (size_t i = 0; warnings && i < warnings->count; i++)
		fprintf(stderr, "cpuu: warning: %s\n", warnings->items[i]);

	cpuu_run_opts opts;
	cpuu_run_opts_init(&opts);
	opts.mode = mode;
	opts.dry_run = dry_run || cpuu_config_get_bool(cfg, "General", "DryRun");
	opts.user = user;
	opts.state_dir = state_dir;
	opts.user_dir = user_dir;
	/* Bulk over a folder of user profiles: each user's files sit beside the hive. */
	opts.user_dir_is_hive_folder = users_dir != NULL;
	const cpuu_strlist *cfg_profiles = cpuu_config_get_list(cfg, "Profiles", "Profiles");
	if (profiles.count)
		opts.profiles = &profiles;
	else if (cfg_profiles && !(cfg_profiles->count == 1 && !strcmp(cfg_profiles->items[0], "all")))
		opts.profiles = cfg_profiles;
	const char *cached = cpuu_config_get_string(cfg, "Profiles", "CachedProfiles");
	opts.cached_rule = cached && !strcmp(cached, "none") ? CPUU_CACHED_NONE
			   : cached && !strcmp(cached, "listed") ? CPUU_CACHED_LISTED : CPUU_CACHED_ALL;
	opts.add_boxes = cpuu_config_get_bool(cfg, "Features", "AddBoxes");
	opts.switch_opts.contab = cpuu_config_get_bool(cfg, "Features", "CONTAB");
	opts.autocomplete = cpuu_config_get_bool(cfg, "Features", "Autocomplete");
	opts.prf_route = cpuu_config_get_bool(cfg, "Features", "PRF");
	opts.exclude_scp_lookup = cpuu_config_get_bool(cfg, "Features", "ExcludeScpLookup");
	opts.autodiscover_reset = cpuu_config_get_bool(cfg, "Features", "AutodiscoverReset");

	/* RemoteUsers plus the lines of RemoteUsersFile. */
	cpuu_strlist remote = { 0 };
	if (cpuu_config_remote_users(&remote, cfg)) {
		cli_fail();
		cpuu_config_free(cfg);
		cpuu_strlist_free(&profiles);
		return CPUU_EXIT_GLOBAL_ERR;
	}
	opts.remote_users = &remote;

	cpuu_match_source resolver = { mapping_lookup, NULL };
	live_source live = { 0 };
	const char *file = mapping_path ? mapping_path : cpuu_config_get_string(cfg, "Mapping", "File");
	if (mode == CPUU_MODE_UPDATE && !file) {
		/* No mapping file: the live directories of [Source]/[Target]. One
		 * connection cannot be shared by bulk workers: export a file first. */
		if (!(hive || live_reg) || !cpuu_config_get_string(cfg, "Source", "Url")) {
			fprintf(stderr, "cpuu %s: no correspondence source: set [Mapping] File or give --mapping%s\n",
				argv[0], hive || live_reg ? ", or configure [Source]/[Target] directories"
					      : " (bulk runs read an exported mapping: 'cpuu map export')");
			cpuu_config_free(cfg);
			cpuu_strlist_free(&profiles);
			cpuu_strlist_free(&remote);
			return CPUU_EXIT_GLOBAL_ERR;
		}
		if (cpuu_resolver_open(&live.resolver, cfg)) {
			cli_fail();
			cpuu_config_free(cfg);
			cpuu_strlist_free(&profiles);
			cpuu_strlist_free(&remote);
			return CPUU_EXIT_GLOBAL_ERR;
		}
		resolver.lookup = live_lookup;
		resolver.ctx = &live;
	} else if (mode == CPUU_MODE_UPDATE) {
		if (cpuu_mapping_load(&map, file)) {
			cli_fail();
			cpuu_config_free(cfg);
			cpuu_strlist_free(&profiles);
			cpuu_strlist_free(&remote);
			return CPUU_EXIT_GLOBAL_ERR;
		}
		const cpuu_strlist *mw = cpuu_mapping_warnings(map);
		for (size_t i = 0; mw && i < mw->count; i++)
			fprintf(stderr, "cpuu: warning: %s: %s\n", file, mw->items[i]);
		resolver.ctx = map;
	}

	unsigned mask;
	/* The run's log ([General] LogFile, ResultFile, LogShare: docs/logging.md).
	 * Its user: --user, else an offline hive's folder (DIR/<user>/NTUSER.DAT,
	 * as in the result records), else the logged-on user. */
	char host[256] = "", hive_user[256] = "";
	cli_host_name(host, sizeof host);
	if (!user && hive) {
		const char *end = strrchr(hive, '/'), *start = end;
		while (start && start > hive && start[-1] != '/')
			start--;
		if (end && start < end && (size_t)(end - start) < sizeof hive_user)
			memcpy(hive_user, start, (size_t)(end - start));
	}
	cpuu_runlog_opts lo = { .log_file = cpuu_config_get_string(cfg, "General", "LogFile"),
				.result_file = cpuu_config_get_string(cfg, "General", "ResultFile"),
				.log_share = cpuu_config_get_string(cfg, "General", "LogShare"),
				.user = user ? user : hive_user[0] ? hive_user : getenv("USERNAME") ? getenv("USERNAME") : getenv("USER"),
				.host = host };
	cpuu_runlog *log = NULL;
	cpuu_runlog_open(&log, &lo);
	cpuu_runlog_line(log, "cpuu %s started (%s)", argv[0], hive ? hive : live_reg ? "HKCU" : "bulk");
	if (hive) {
		cpuu_results *res = NULL;
		rc = cpuu_run_hive(&res, hive, &opts, mode == CPUU_MODE_UPDATE ? &resolver : NULL);
		if (res) {
			print_results(res, json);
			cpuu_runlog_results(log, res);
			mask = res->exit_mask;
		} else {
			mask = CPUU_EXIT_GLOBAL_ERR;
		}
		if (rc) {
			fprintf(stderr, "cpuu: %s\n", cpuu_error_last()->message);
			cpuu_runlog_line(log, "error: %s", cpuu_error_last()->message);
		}
		cpuu_results_free(res);
	} else if (live_reg) {
		mask = run_live(argv[0], &opts, mode == CPUU_MODE_UPDATE ? &resolver : NULL, json, cfg, log);
	} else {
#ifdef _WIN32
		/* Worker processes by fork(): the Linux build's job. */
		(void)workers;
		(void)batch;
		fprintf(stderr, "cpuu %s: bulk runs (--hives, --users-dir) need the Linux build; "
				"on Windows use --live for the logged-on user\n", argv[0]);
		mask = CPUU_EXIT_GLOBAL_ERR;
#else
		mask = cli_run_bulk(hives, users_dir, workers, batch, &opts, mode == CPUU_MODE_UPDATE ? &resolver : NULL,
				    json);
#endif
	}
	cpuu_runlog_line(log, "cpuu %s finished: exit bits %u", argv[0], mask);
	mask |= cpuu_runlog_close(log);
	cpuu_match_clear(&live.slot);
	cpuu_resolver_free(live.resolver);
	cpuu_mapping_free(map);
	cpuu_config_free(cfg);
	cpuu_strlist_free(&profiles);
	cpuu_strlist_free(&remote);
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
