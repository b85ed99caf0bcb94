/* The wizard's files: cpuu.ini and the logon-script batch files. */
#include "config/internal.h"
#include "cpuu/config.h"
#include "cpuu/wizard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <direct.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

static int refuse_controls(const char *s, const char *what)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return cpuu_error_set(CPUU_EINVALID, "%s: control character or line break in '%.60s'", what, s);
	return CPUU_OK;
}

int cpuu_wizard_bat_arg(char **out, const char *s)
{
	*out = NULL;
	int rc = refuse_controls(s, "batch argument");
	if (rc)
		return rc;
	if (strchr(s, '"'))
		return cpuu_error_set(CPUU_EINVALID,
				      "batch argument: a double quote cannot be carried safely by cmd.exe: '%.60s'", s);
	cpuu_buf b = { 0 };
	cpuu_buf_puts(&b, "\"");
	size_t n = strlen(s), trailing = 0;
	while (trailing < n && s[n - 1 - trailing] == '\\')
		trailing++;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%')
			cpuu_buf_puts(&b, "%%"); /* cmd.exe expands %...% even inside quotes */
		else
			cpuu_buf_append(&b, &s[i], 1);
	}
	/* argv parsing: backslashes right before the closing quote escape it
	 * unless doubled. */
	for (size_t i = 0; i < trailing; i++)
		cpuu_buf_puts(&b, "\\");
	cpuu_buf_puts(&b, "\"");
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

int cpuu_wizard_ini_value(char **out, const char *s)
{
	*out = NULL;
	int rc = refuse_controls(s, "INI value");
	if (rc)
		return rc;
	size_t n = strlen(s);
	/* The reader trims blanks, strips one pair of outer quotes and refuses
	 * an opening quote never closed: add a pair whenever any would change
	 * the value (a value starting with a quote always gets one). */
	int wrap = n == 0 || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[0] == '"';
	*out = wrap ? cpuu_aprintf("\"%s\"", s) : cpuu_strdup(s);
	return *out ? CPUU_OK : cpuu_error_oom();
}

/* A LIST value: items joined by ',', each quoted ("" for a quote) when it
 * holds a comma, a quote or outer blanks. */
static int ini_list(char **out, const cpuu_strlist *items)
{
	cpuu_buf b = { 0 };
	for (size_t i = 0; i < items->count; i++) {
		const char *it = items->items[i];
		int rc = refuse_controls(it, "INI list item");
		if (rc) {
			cpuu_buf_dispose(&b);
			return rc;
		}
		size_t n = strlen(it);
		int q = n == 0 || strchr(it, ',') || strchr(it, '"') || it[0] == ' ' || it[n - 1] == ' ';
		if (i)
			cpuu_buf_puts(&b, ", ");
		if (!q) {
			cpuu_buf_puts(&b, it);
			continue;
		}
		cpuu_buf_puts(&b, "\"");
		for (const char *p = it; *p; p++)
			cpuu_buf_puts(&b, *p == '"' ? "\"\"" : (char[2]){ *p, 0 });
		cpuu_buf_puts(&b, "\"");
	}
	char *joined = cpuu_buf_detach(&b, NULL);
	if (!joined)
		return CPUU_ENOMEM;
	int rc = cpuu_wizard_ini_value(out, joined);
	free(joined);
	return rc;
}

static void put_kv(cpuu_buf *b, const char *key, const char *value_text)
{
	cpuu_buf_printf(b, "%s = %s\r\n", key, value_text);
}

static int put_string(cpuu_buf *b, const char *key, const char *value)
{
	if (!value)
		return CPUU_OK;
	char *v = NULL;
	int rc = cpuu_wizard_ini_value(&v, value);
	if (!rc)
		put_kv(b, key, v);
	free(v);
	return rc;
}

/* The file name part of a Windows path (after the last '\' or '/'). */
static const char *leaf(const char *p)
{
	const char *a = strrchr(p, '\\'), *c = strrchr(p, '/');
	const char *l = a > c ? a : c;
	return l ? l + 1 : p;
}

static int build_ini(char **out, const cpuu_wizard *w)
{
	cpuu_buf b = { 0 };
	int rc = CPUU_OK;
	cpuu_buf_puts(&b, "; cpuu configuration, written by 'cpuu wizard' (keys: docs/config.md)\r\n\r\n[General]\r\n");
	rc = put_string(&b, "LogShare", w->log_share);
	/* The share receives what the run logs: without local files there is
	 * nothing to copy (docs/logging.md). */
	if (!rc && w->log_share)
		rc = put_string(&b, "LogFile", CPUU_WIZARD_LOG_FILE);
	if (!rc && w->log_share)
		rc = put_string(&b, "ResultFile", CPUU_WIZARD_RESULT_FILE);
	if (!rc)
		rc = put_string(&b, "BackupDir", w->state_dir);
	cpuu_buf_puts(&b, "\r\n[Profiles]\r\n");
	if (!rc && w->profiles && w->profiles->count) {
		char *v = NULL;
		if (!(rc = ini_list(&v, w->profiles)))
			put_kv(&b, "Profiles", v);
		free(v);
	}
	if (!rc && w->cached) {
		if (strcmp(w->cached, "all") && strcmp(w->cached, "listed") && strcmp(w->cached, "none"))
			rc = cpuu_error_set(CPUU_EINVALID, "CachedProfiles must be all, listed or none, not '%.40s'", w->cached);
		else
			put_kv(&b, "CachedProfiles", w->cached);
	}
	if (!rc && w->remote_users && w->remote_users->count) {
		char *v = NULL;
		if (!(rc = ini_list(&v, w->remote_users)))
			put_kv(&b, "RemoteUsers", v);
		free(v);
	}
	cpuu_buf_puts(&b, "\r\n[Features]\r\n");
	for (size_t i = 0; !rc && w->features && i < w->features->count; i++) {
		const char *f = w->features->items[i];
		const char *eq = strchr(f, '=');
		char *name = eq ? cpuu_strndup(f, (size_t)(eq - f)) : NULL;
		const cpuu_config_key_info *k = name ? cpuu_config_key_find("Features", name) : NULL;
		if (!k || k->type != CPUU_CFG_BOOL)
			rc = cpuu_error_set(CPUU_EINVALID, "unknown feature '%.40s' (docs/config.md, [Features])", f);
		else if (cpuu_strcasecmp_ascii(eq + 1, "yes") && cpuu_strcasecmp_ascii(eq + 1, "no"))
			rc = cpuu_error_set(CPUU_EINVALID, "feature '%s' takes yes or no", name);
		else if ((!cpuu_strcasecmp_ascii(eq + 1, "yes")) != (k->default_value && strchr("tTyY1", k->default_value[0])))
			put_kv(&b, k->key, !cpuu_strcasecmp_ascii(eq + 1, "yes") ? "yes" : "no");
		free(name);
	}
	cpuu_buf_puts(&b, "\r\n[Mapping]\r\n");
	if (!rc)
		rc = put_string(&b, "File", w->mapping);
	if (!rc && w->target && strcmp(w->target, "onprem") && strcmp(w->target, "online"))
		rc = cpuu_error_set(CPUU_EINVALID, "the target must be onprem or online, not '%.40s'", w->target);
	if (!rc && w->target && !strcmp(w->target, "online") && !w->mapping)
		rc = cpuu_error_set(CPUU_EINVALID, "an Exchange Online target needs the exported mapping file "
						   "('cpuu map export'): workstations cannot read its directory over LDAP");
	if (!rc && !w->mapping && (w->source_url || w->target_url)) {
		cpuu_buf_puts(&b, "\r\n; binds and the switch signal: docs/config.md ([Source], [Switch])\r\n[Source]\r\n");
		rc = put_string(&b, "Url", w->source_url);
		if (!rc)
			rc = put_string(&b, "BaseDN", w->source_base);
		cpuu_buf_puts(&b, "\r\n[Target]\r\n");
		if (!rc)
			rc = put_string(&b, "Url", w->target_url);
		if (!rc)
			rc = put_string(&b, "BaseDN", w->target_base);
	}
	if (rc) {
		cpuu_buf_dispose(&b);
		return rc;
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

/* A batch argument for a path, or for "beside the batch file" (NULL path):
 * %~dp0 is the batch file's own folder, expanded by cmd.exe at run time
 * (with a trailing backslash) and never parsed again. */
static int bat_path(char **out, const char *path, const char *leaf_name)
{
	if (!path) {
		*out = cpuu_aprintf("\"%%~dp0%s\"", leaf_name);
		return *out ? CPUU_OK : cpuu_error_oom();
	}
	return cpuu_wizard_bat_arg(out, path);
}

static int build_bat(char **out, const cpuu_wizard *w, const char *ini, const char *mode)
{
	char *exe = NULL, *cfg = NULL;
	int rc = bat_path(&exe, w->exe, "cpuu.exe");
	if (!rc)
		rc = bat_path(&cfg, ini, "cpuu.ini");
	if (rc) {
		free(exe);
		return rc;
	}
	char stamp[32];
	struct tm tm;
	cpuu_utc_now(&tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", &tm);
	/* UTF-8 without BOM (a BOM would break the first line), run under code
	 * page 65001 and the caller's code page restored; delayed expansion off
	 * so '!' in names is just a character; output to a per-user log so the
	 * logon stays quiet; cpuu's exit bits passed back to the caller. */
	*out = cpuu_aprintf("@echo off\r\n"
			    "rem cpuu %s at logon: written by 'cpuu wizard' on %s (docs/wizard.md).\r\n"
			    "setlocal DisableDelayedExpansion\r\n"
			    "for /f \"tokens=2 delims=:.\" %%%%c in ('chcp') do set \"CPUU_CP=%%%%c\"\r\n"
			    "chcp 65001 >nul\r\n"
			    "%s %s --live --config %s >>\"%%TEMP%%\\cpuu-%s.log\" 2>&1\r\n"
			    "set \"CPUU_RC=%%ERRORLEVEL%%\"\r\n"
			    "chcp %%CPUU_CP%% >nul\r\n"
			    "endlocal & exit /b %%CPUU_RC%%\r\n",
			    mode, stamp, exe, mode, cfg, mode);
	free(exe);
	free(cfg);
	return *out ? CPUU_OK : cpuu_error_oom();
}

/* The logon share's files are read by every workstation: world-readable. */
static int write_file(const char *dir, const char *name, const char *text)
{
	char *path = cpuu_aprintf("%s/%s", dir, name);
	int rc = path ? cpuu_file_write_atomic(path, text, strlen(text), CPUU_FILE_SHARED) : cpuu_error_oom();
	free(path);
	return rc;
}

static int make_one_folder(const char *path)
{
#ifdef _WIN32
	int r = _mkdir(path);
#else
	int r = mkdir(path, 0755);
#endif
	struct stat st;
	if (r && (errno != EEXIST || stat(path, &st) || !S_ISDIR(st.st_mode)))
		return cpuu_error_set(errno == ENOENT ? CPUU_ENOTFOUND : CPUU_EIO, "%s: cannot create the folder: %s",
				      path, strerror(errno == EEXIST ? ENOTDIR : errno));
	return CPUU_OK;
}

/* The output folder and its missing parents, as `mkdir -p` (an admin names
 * a new folder for the deployment; nothing is written outside it). */
static int make_folder(const char *dir)
{
	char *p = cpuu_strdup(dir);
	if (!p)
		return cpuu_error_oom();
	int rc = CPUU_OK;
	for (char *c = p + 1; !rc && *c; c++)
		if ((*c == '/' || *c == '\\') && c[-1] != '/' && c[-1] != '\\' && c[-1] != ':') {
			char keep = *c;
			*c = '\0';
			rc = make_one_folder(p);
			*c = keep;
		}
	if (!rc)
		rc = make_one_folder(p);
	free(p);
	return rc;
}

int cpuu_wizard_write(const char *dir, const cpuu_wizard *w)
{
	if (!w || (w->exe && !*w->exe))
		return cpuu_error_set(CPUU_EINVALID, "the path of cpuu.exe is empty (leave it out: beside the batch files)");
	char *ini_path = NULL, *ini = NULL, *bats[3] = { 0 };
	static const char *const modes[3] = { "update", "rollback", "cleanup" };
	static const char *const names[3] = { "CPUU_Update.bat", "CPUU_Rollback.bat", "CPUU_Cleanup.bat" };
	int rc = CPUU_OK;
	if (w->ini)
		ini_path = cpuu_strdup(w->ini);
	else if (w->exe)
		ini_path = cpuu_aprintf("%.*scpuu.ini", (int)(leaf(w->exe) - w->exe), w->exe);
	if ((w->ini || w->exe) && !ini_path)
		rc = cpuu_error_oom();
	if (!rc)
		rc = build_ini(&ini, w); /* ini_path NULL: beside the batch files too */
	/* Everything is built (and checked) before anything is written. */
	for (int i = 0; !rc && i < 3; i++)
		rc = build_bat(&bats[i], w, ini_path, modes[i]);
	if (!rc)
		rc = make_folder(dir);
	if (!rc)
		rc = write_file(dir, "cpuu.ini", ini);
	for (int i = 0; !rc && i < 3; i++)
		rc = write_file(dir, names[i], bats[i]);
	for (int i = 0; i < 3; i++)
		free(bats[i]);
	free(ini);
	free(ini_path);
	return rc;
}
