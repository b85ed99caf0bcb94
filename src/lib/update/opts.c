/* cpuu.ini -> a run's settings, in one place (cpuu/runconfig.h). Defaults are
 * the schema's: this file only converts, it never invents a value. */
#include "update/internal.h"
#include "cpuu/runconfig.h"
#include "cpuu/m365.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { PATH_BACKUP, PATH_TEMP, PATH_LOG, PATH_RESULT, PATH_SHARE };

int cpuu_log_level_from_name(cpuu_log_level *out, const char *name)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (!cpuu_strcasecmp_ascii(name, names[i])) {
			*out = (cpuu_log_level)(i + 1);
			return CPUU_OK;
		}
	return cpuu_error_set(CPUU_ENOTFOUND, "unknown log level '%s'", name ? name : "");
}

/* "%NAME%" references, as Windows' ExpandEnvironmentStrings reads them, so
 * that the wizard's %LOCALAPPDATA%\cpuu means the same on every build. A '%'
 * without a closing one is kept; an unset variable is an error, not a folder
 * literally named "%X%". */
static int expand_env(char **out, const char *key, const char *path)
{
	*out = NULL;
	if (!path)
		return CPUU_OK;
	cpuu_buf b = { 0 };
	for (const char *p = path; *p;) {
		const char *close = *p == '%' ? strchr(p + 1, '%') : NULL;
		if (!close || close == p + 1) {
			cpuu_buf_append(&b, p, close ? 2 : 1); /* "%%" or a lone '%' */
			p += close ? 2 : 1;
			continue;
		}
		char *name = cpuu_strndup(p + 1, (size_t)(close - p - 1));
		const char *v = name ? getenv(name) : NULL;
		if (!v) {
			int rc = name ? cpuu_error_set(CPUU_EINVALID, "[General] %s: the environment variable %%%s%% is not set",
						       key, name)
				      : cpuu_error_oom();
			free(name);
			cpuu_buf_dispose(&b);
			return rc;
		}
		free(name);
		cpuu_buf_puts(&b, v);
		p = close + 1;
	}
	return (*out = cpuu_buf_detach(&b, NULL)) ? CPUU_OK : cpuu_error_oom();
}

static int read_paths(cpuu_run_config *rc, const cpuu_config *cfg)
{
	static const char *const keys[] = { "BackupDir", "TempDir", "LogFile", "ResultFile", "LogShare" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int err = expand_env(&rc->owned_paths[i], keys[i], cpuu_config_get_string(cfg, "General", keys[i]));
		if (err)
			return err;
	}
	rc->opts.state_dir = rc->owned_paths[PATH_BACKUP];
	rc->temp_dir = rc->owned_paths[PATH_TEMP];
	rc->log_file = rc->owned_paths[PATH_LOG];
	rc->result_file = rc->owned_paths[PATH_RESULT];
	rc->log_share = rc->owned_paths[PATH_SHARE];
	return CPUU_OK;
}

/* auto|on|off (the schema checked it) -> -1 (the scenario decides), 1, 0. */
static int tristate(const char *v)
{
	return v && !cpuu_strcasecmp_ascii(v, "on") ? 1 : v && !cpuu_strcasecmp_ascii(v, "off") ? 0 : -1;
}

static void read_features(cpuu_run_opts *o, const cpuu_config *cfg)
{
	o->add_boxes = cpuu_config_get_bool(cfg, "Features", "AddBoxes");
	o->autocomplete = cpuu_config_get_bool(cfg, "Features", "Autocomplete");
	o->signatures = cpuu_config_get_bool(cfg, "Features", "Signatures");
	o->autodiscover_reset = cpuu_config_get_bool(cfg, "Features", "AutodiscoverReset");
	o->switch_opts.contab = cpuu_config_get_bool(cfg, "Features", "CONTAB");
	o->prf_route = cpuu_config_get_bool(cfg, "Features", "PRF");
	o->exclude_scp_lookup = cpuu_config_get_bool(cfg, "Features", "ExcludeScpLookup");
	o->office_identity = tristate(cpuu_config_get_string(cfg, "Features", "OfficeIdentity"));
	o->autodiscover_policy = tristate(cpuu_config_get_string(cfg, "Features", "AutodiscoverPolicy"));
	o->auth_health = tristate(cpuu_config_get_string(cfg, "Features", "AuthHealth"));
	o->m365_detect = tristate(cpuu_config_get_string(cfg, "Features", "M365Detect"));
	o->office_activation = tristate(cpuu_config_get_string(cfg, "Features", "OfficeActivation"));
	o->office_credentials = tristate(cpuu_config_get_string(cfg, "Features", "OfficeCredentials"));
	o->token_broker = tristate(cpuu_config_get_string(cfg, "Features", "TokenBroker"));
	o->user_notice = tristate(cpuu_config_get_string(cfg, "Features", "UserNotice"));
	o->notice_text = cpuu_config_get_string(cfg, "M365", "Notice");
	o->notice_title = cpuu_config_get_string(cfg, "M365", "NoticeTitle");
	const cpuu_strlist *l = cpuu_config_get_list(cfg, "M365", "SourceDomains");
	o->m365_source_domains = l && l->count ? l : NULL;
	l = cpuu_config_get_list(cfg, "M365", "SourceTenants");
	o->m365_source_tenants = l && l->count ? l : NULL;
}

/* The established tool's -Critical values (its administration guide) and
 * what each is in cpuu: a step's bit, or 0 for a feature cpuu does not
 * migrate (warned about, never an error: its logon scripts keep working). */
static const struct {
	const char *name;
	unsigned bit;
} critical_names[] = {
	{ "AddBoxes", CPUU_CRITICAL_ADDBOXES },
	{ "CONTAB", CPUU_CRITICAL_CONTAB },
	{ "Autocomplete", CPUU_CRITICAL_AUTOCOMPLETE },
	{ "PRF", CPUU_CRITICAL_PRF },
	{ "Activities", 0 },
	{ "Delegates", 0 },
	{ "Rules", 0 },
	{ "SRS", 0 },
	{ "SearchFolders", 0 },
	{ "Shortcuts", 0 },
};

static int critical_one(unsigned *bits, cpuu_strlist *warnings, const char *name)
{
	size_t k = 0, n = sizeof critical_names / sizeof critical_names[0];
	while (k < n && cpuu_strcasecmp_ascii(critical_names[k].name, name))
		k++;
	if (k == n)
		return cpuu_error_set(CPUU_EINVALID,
				      "Critical: unknown feature '%s' (AddBoxes, CONTAB, Autocomplete, PRF; "
				      "the established tool's Activities, Delegates, Rules, SRS, SearchFolders, "
				      "Shortcuts are accepted and ignored)",
				      name);
	*bits |= critical_names[k].bit;
	if (critical_names[k].bit || !warnings)
		return CPUU_OK;
	char *w = cpuu_aprintf("Critical: %s: cpuu does not migrate this feature; ignored", critical_names[k].name);
	int rc = w ? cpuu_strlist_add(warnings, w) : cpuu_error_oom();
	free(w);
	return rc;
}

/* Items may hold several names apart by blanks, as the established tool's
 * "-Critical AddBoxes Rules" and its INI value "AddBoxes Rules". */
int cpuu_critical_from_names(unsigned *bits, cpuu_strlist *warnings, const cpuu_strlist *names)
{
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && names && i < names->count; i++) {
		for (const char *p = names->items[i]; !rc && *p;) {
			size_t blank = strspn(p, " \t"), n = strcspn(p + blank, " \t");
			char *word = n ? cpuu_strndup(p + blank, n) : NULL;
			if (n)
				rc = word ? critical_one(bits, warnings, word) : cpuu_error_oom();
			free(word);
			p += blank + n;
		}
	}
	return rc;
}

/* "All" alone lifts the rule (NULL); else the listed services. */
static void read_services(cpuu_run_opts *o, const cpuu_config *cfg)
{
	const cpuu_strlist *l = cpuu_config_get_list(cfg, "General", "AllowAdditionalServices");
	o->allowed_services = l;
	for (size_t i = 0; l && i < l->count; i++)
		if (!cpuu_strcasecmp_ascii(l->items[i], "All"))
			o->allowed_services = NULL;
}

static int read_profiles(cpuu_run_config *rc, const cpuu_config *cfg)
{
	cpuu_run_opts *o = &rc->opts;
	const cpuu_strlist *names = cpuu_config_get_list(cfg, "Profiles", "Profiles");
	/* "all" is the schema's default and cannot be mixed with names. */
	if (names && names->count && !(names->count == 1 && !cpuu_strcasecmp_ascii(names->items[0], "all")))
		o->profiles = names;
	const char *cached = cpuu_config_get_string(cfg, "Profiles", "CachedProfiles");
	o->cached_rule = cached && !strcmp(cached, "none") ? CPUU_CACHED_NONE
			 : cached && !strcmp(cached, "listed") ? CPUU_CACHED_LISTED : CPUU_CACHED_ALL;
	int err = cpuu_config_remote_users(&rc->owned_remote_users, cfg);
	if (err)
		return err;
	o->remote_users = &rc->owned_remote_users;
	return CPUU_OK;
}

int cpuu_run_opts_from_config(cpuu_run_config *out, const cpuu_config *cfg)
{
	memset(out, 0, sizeof *out);
	cpuu_run_opts_init(&out->opts);
	int err = cpuu_mode_from_name(&out->opts.mode, cpuu_config_get_string(cfg, "General", "Mode"));
	if (!err)
		err = cpuu_log_level_from_name(&out->log_level, cpuu_config_get_string(cfg, "Logging", "Level"));
	if (!err)
		err = read_paths(out, cfg);
	if (!err)
		err = read_profiles(out, cfg);
	if (!err && (err = cpuu_critical_from_names(&out->opts.critical, &out->warnings,
						    cpuu_config_get_list(cfg, "General", "Critical"))))
		cpuu_error_prefix("[General]");
	if (err) {
		cpuu_run_config_clear(out);
		return err;
	}
	cpuu_scenario sc = CPUU_SCENARIO_ONPREM_CROSSFOREST;
	err = cpuu_scenario_from_name(&sc, cpuu_config_get_string(cfg, "General", "Scenario"));
	if (err) {
		cpuu_error_prefix("[General] Scenario");
		cpuu_run_config_clear(out);
		return err;
	}
	out->opts.scenario = (int)sc;
	out->opts.dry_run = cpuu_config_get_bool(cfg, "General", "DryRun");
	out->workers = (unsigned)cpuu_config_get_int(cfg, "General", "Workers");
	read_features(&out->opts, cfg);
	read_services(&out->opts, cfg);
	out->json_results = cpuu_config_get_bool(cfg, "Logging", "JsonResults");
	const cpuu_strlist *names = cpuu_config_get_list(cfg, "Processes", "Names");
	out->process_names = names && names->count ? names : NULL;
	out->grace_ms = (unsigned)cpuu_config_get_int(cfg, "Processes", "GraceSeconds") * 1000u;
	out->ask = cpuu_config_get_bool(cfg, "Processes", "Ask");
	return CPUU_OK;
}

void cpuu_run_config_clear(cpuu_run_config *rc)
{
	if (!rc)
		return;
	cpuu_strlist_free(&rc->owned_remote_users);
	cpuu_strlist_free(&rc->warnings);
	for (size_t i = 0; i < sizeof rc->owned_paths / sizeof rc->owned_paths[0]; i++)
		free(rc->owned_paths[i]);
	memset(rc, 0, sizeof *rc);
}

static void describe_list(cpuu_buf *b, const char *name, const cpuu_strlist *l)
{
	cpuu_buf_printf(b, "%s=", name);
	for (size_t i = 0; l && i < l->count; i++)
		cpuu_buf_printf(b, "%s%s", i ? "," : "", l->items[i]);
	cpuu_buf_puts(b, "\n");
}

static void describe_text(cpuu_buf *b, const char *name, const char *v)
{
	cpuu_buf_printf(b, "%s=%s\n", name, v ? v : "(none)");
}

int cpuu_run_config_describe(char **out, const cpuu_run_config *rc)
{
	static const char *const levels[] = { "info", "error", "warning", "info", "debug" };
	static const char *const cached[] = { "all", "none", "listed" };
	const cpuu_run_opts *o = &rc->opts;
	cpuu_buf b = { 0 };
	cpuu_buf_printf(&b, "mode=%s\ndry_run=%d\n", cpuu_mode_name(o->mode), o->dry_run);
	describe_text(&b, "state_dir", o->state_dir);
	describe_text(&b, "user", o->user);
	describe_text(&b, "user_dir", o->user_dir);
	describe_list(&b, "profiles", o->profiles);
	cpuu_buf_printf(&b, "cached_rule=%s\n", cached[o->cached_rule % 3]);
	describe_list(&b, "remote_users", o->remote_users);
	cpuu_buf_printf(&b, "add_boxes=%d\nautocomplete=%d\nsignatures=%d\nautodiscover_reset=%d\ncontab=%d\n"
			    "prf_route=%d\nexclude_scp_lookup=%d\nnew_ost_for_new_mailbox=%d\n",
			o->add_boxes, o->autocomplete, o->signatures, o->autodiscover_reset, o->switch_opts.contab,
			o->prf_route, o->exclude_scp_lookup, o->switch_opts.new_ost_for_new_mailbox);
	cpuu_buf_printf(&b, "scenario=%s\noffice_identity=%d\nautodiscover_policy=%d\nauth_health=%d\nm365_detect=%d\noffice_activation=%d\n"
			    "office_credentials=%d\ntoken_broker=%d\n",
			cpuu_scenario_name((cpuu_scenario)o->scenario), o->office_identity, o->autodiscover_policy,
			o->auth_health, o->m365_detect, o->office_activation,
			o->office_credentials, o->token_broker);
	describe_list(&b, "m365_source_domains", o->m365_source_domains);
	describe_list(&b, "m365_source_tenants", o->m365_source_tenants);
	cpuu_buf_printf(&b, "user_notice=%d\n", o->user_notice);
	describe_text(&b, "notice_text", o->notice_text);
	describe_text(&b, "notice_title", o->notice_title);
	cpuu_buf_printf(&b, "critical=%u\n", o->critical);
	describe_list(&b, "allowed_services", o->allowed_services);
	cpuu_buf_printf(&b, "workers=%u\n", rc->workers);
	describe_text(&b, "temp_dir", rc->temp_dir);
	describe_text(&b, "log_file", rc->log_file);
	describe_text(&b, "result_file", rc->result_file);
	describe_text(&b, "log_share", rc->log_share);
	cpuu_buf_printf(&b, "log_level=%s\njson_results=%d\n", levels[rc->log_level % 5], rc->json_results);
	describe_list(&b, "process_names", rc->process_names);
	cpuu_buf_printf(&b, "grace_ms=%u\nask=%d\n", rc->grace_ms, rc->ask);
	return (*out = cpuu_buf_detach(&b, NULL)) ? CPUU_OK : cpuu_error_oom();
}

static int is_folder(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cpuu_run_temp_dir_create(const cpuu_run_config *rc)
{
	if (!rc->temp_dir || !rc->temp_dir[0] || is_folder(rc->temp_dir))
		return CPUU_OK;
	char *p = cpuu_strdup(rc->temp_dir);
	if (!p)
		return cpuu_error_oom();
	/* Parents first (mkdir -p): %TEMP%\cpuu\run may name several new levels. */
	for (char *s = p + 1; *s; s++) {
		if (*s != '/' && *s != '\\')
			continue;
		char c = *s;
		*s = '\0';
		if (s[-1] != ':' && !is_folder(p))
			upd_mkdir(p); /* a failure shows at the last level */
		*s = c;
	}
	int err = upd_mkdir(p);
	if (!err && !is_folder(p))
		err = cpuu_error_set(CPUU_EIO, "cannot create folder %s: %s", p, strerror(ENOTDIR));
	free(p);
	if (err)
		cpuu_error_prefix("[General] TempDir");
	return err;
}

/* The engine's defaults for callers without an INI (the INI's own defaults
 * come from the schema; test_update_opts checks the two agree). */
void cpuu_run_opts_init(cpuu_run_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->mode = CPUU_MODE_UPDATE;
	opts->add_boxes = 1;
	opts->exclude_scp_lookup = 1;
	opts->autodiscover_reset = 1;
	opts->autocomplete = 1;
	opts->signatures = 1;
	opts->office_identity = -1;
	opts->autodiscover_policy = -1;
	opts->auth_health = -1;
	opts->m365_detect = -1;
	opts->office_activation = -1;
	opts->office_credentials = -1;
	opts->token_broker = -1;
	opts->user_notice = -1;
	cpuu_switch_opts_init(&opts->switch_opts);
}
