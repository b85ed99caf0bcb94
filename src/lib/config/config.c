/* The typed configuration: INI lines checked against the schema (schema.c). */
#include "config/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cfg_value {
	char *str;         /* effective text: raw STRING/LIST, canonical ENUM, resolved PATH */
	long ival;         /* INT */
	int bval;          /* BOOL */
	cpuu_strlist list; /* LIST */
	unsigned line;     /* 0: default or cpuu_config_set */
	int set;
} cfg_value;

struct cpuu_config {
	char *path;
	char *dir;             /* folder of path, for relative PATH values; NULL = none */
	const char *fname;     /* for messages: path or "<buffer>" */
	cpuu_strlist warnings;
	size_t n;
	cfg_value *values;     /* parallel to the schema */
	char *warned_section;  /* last unknown section warned about */
};

static void value_clear(cfg_value *v)
{
	free(v->str);
	cpuu_strlist_free(&v->list);
	memset(v, 0, sizeof *v);
}

static size_t index_of(const cpuu_config_key_info *info)
{
	const cpuu_config_key_info *all = cpuu_config_schema(NULL);
	return (size_t)(info - all);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

int cpuu_config_parse_list(cpuu_strlist *out, const char *value)
{
	cpuu_strlist_free(out);
	const char *p = value;
	cpuu_buf item = { 0 };
	while (*p) {
		while (is_space(*p))
			p++;
		cpuu_buf_dispose(&item);
		cpuu_buf_append(&item, "", 0);
		if (*p == '"') {
			p++;
			for (;;) {
				if (!*p) {
					cpuu_buf_dispose(&item);
					cpuu_strlist_free(out);
					return cpuu_error_set(CPUU_EINVALID, "unterminated quote in the list");
				}
				if (*p == '"' && p[1] == '"') {
					cpuu_buf_append(&item, "\"", 1);
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					cpuu_buf_append(&item, p++, 1);
				}
			}
			while (is_space(*p))
				p++;
			if (*p && *p != ',') {
				cpuu_buf_dispose(&item);
				cpuu_strlist_free(out);
				return cpuu_error_set(CPUU_EINVALID, "text after a quoted list item");
			}
		} else {
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			while (n && is_space(p[n - 1]))
				n--;
			cpuu_buf_append(&item, p, n);
			p = end ? end : p + strlen(p);
		}
		if (*p == ',')
			p++;
		if (item.failed) {
			cpuu_buf_dispose(&item);
			cpuu_strlist_free(out);
			return cpuu_error_oom();
		}
		/* Empty items ("a,,b", a trailing comma) carry nothing: skip them. */
		if (item.len && cpuu_strlist_push(out, item.data) < 0) {
			cpuu_buf_dispose(&item);
			cpuu_strlist_free(out);
			return cpuu_error_oom();
		}
	}
	cpuu_buf_dispose(&item);
	return CPUU_OK;
}

static int parse_bool(int *out, const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!cpuu_strcasecmp_ascii(s, yes[i])) {
			*out = 1;
			return 1;
		}
		if (!cpuu_strcasecmp_ascii(s, no[i])) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

static int path_is_absolute(const char *p)
{
	/* POSIX root, UNC or rooted Windows path, drive letter, or an
	 * environment reference (%TEMP%\...) that only the run can expand. */
	if (p[0] == '/' || p[0] == '\\' || p[0] == '%' || p[0] == '~')
		return 1;
	return ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':';
}

static int valid_attr_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static int valid_env_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		char a = *s, b = *prefix;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a + 32);
		if (a != b)
			return 0;
	}
	return 1;
}

/* Checks that go beyond the type (one key each). reason gets a short text. */
static int check_special(const cpuu_config_key_info *info, const cfg_value *v, const char **reason)
{
	const char *s = v->str;
	if (!strcmp(info->key, "Url") && s && *s) {
		const char *rest = has_prefix_ci(s, "ldap://") ? s + 7 : has_prefix_ci(s, "ldaps://") ? s + 8 : NULL;
		if (!rest || !*rest || *rest == '/') {
			*reason = "expected ldap://host[:port] or ldaps://host[:port]";
			return 0;
		}
	}
	if (!strcmp(info->key, "Attribute") && s && !valid_attr_name(s)) {
		*reason = "not an LDAP attribute name (letters, digits and '-', starting with a letter)";
		return 0;
	}
	if (!strcmp(info->key, "PasswordEnv") && s && *s && !valid_env_name(s)) {
		*reason = "not an environment variable name (letters, digits, '_')";
		return 0;
	}
	if (!strcmp(info->section, "Profiles") && !strcmp(info->key, "Profiles") && v->list.count > 1) {
		for (size_t i = 0; i < v->list.count; i++)
			if (!cpuu_strcasecmp_ascii(v->list.items[i], "all")) {
				*reason = "'all' cannot be combined with profile names";
				return 0;
			}
	}
	return 1;
}

/* Parses text as info's type into v. On failure returns CPUU_EINVALID with
 * the reason as the message (the caller adds file, line, section and key). */
static int parse_value(cfg_value *v, const cpuu_config *cfg, const cpuu_config_key_info *info, const char *text)
{
	char *end;
	const char *reason = NULL;
	memset(v, 0, sizeof *v);
	switch (info->type) {
	case CPUU_CFG_STRING:
		v->str = cpuu_strdup(text);
		if (!v->str)
			return cpuu_error_oom();
		break;
	case CPUU_CFG_PATH:
		if (!*text)
			break; /* explicitly empty: no such file */
		if (cfg->dir && !path_is_absolute(text))
			v->str = cpuu_aprintf("%s/%s", cfg->dir, text);
		else
			v->str = cpuu_strdup(text);
		if (!v->str)
			return cpuu_error_oom();
		break;
	case CPUU_CFG_BOOL:
		if (!parse_bool(&v->bval, text))
			return cpuu_error_set(CPUU_EINVALID, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", text);
		v->str = cpuu_strdup(v->bval ? "true" : "false");
		if (!v->str)
			return cpuu_error_oom();
		break;
	case CPUU_CFG_INT:
		errno = 0;
		v->ival = strtol(text, &end, 10);
		if (!*text || *end || errno)
			return cpuu_error_set(CPUU_EINVALID, "'%s' is not a whole number", text);
		if (v->ival < info->min || v->ival > info->max)
			return cpuu_error_set(CPUU_EINVALID, "%ld is out of range [%ld, %ld]", v->ival, info->min, info->max);
		v->str = cpuu_aprintf("%ld", v->ival);
		if (!v->str)
			return cpuu_error_oom();
		break;
	case CPUU_CFG_ENUM: {
		const char *c = info->choices;
		while (c && *c) {
			const char *bar = strchr(c, '|');
			size_t n = bar ? (size_t)(bar - c) : strlen(c);
			if (strlen(text) == n) {
				int same = 1;
				for (size_t i = 0; i < n && same; i++) {
					char a = text[i], b = c[i];
					if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
					if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
					same = a == b;
				}
				if (same) {
					v->str = cpuu_strndup(c, n);
					if (!v->str)
						return cpuu_error_oom();
					break;
				}
			}
			c = bar ? bar + 1 : NULL;
		}
		if (!v->str)
			return cpuu_error_set(CPUU_EINVALID, "'%s' is not one of %s", text, info->choices);
		break;
	}
	case CPUU_CFG_LIST: {
		int rc = cpuu_config_parse_list(&v->list, text);
		if (rc < 0)
			return rc;
		v->str = cpuu_strdup(text);
		if (!v->str) {
			value_clear(v);
			return cpuu_error_oom();
		}
		break;
	}
	}
	if (!check_special(info, v, &reason)) {
		value_clear(v);
		return cpuu_error_set(CPUU_EINVALID, "%s", reason);
	}
	return CPUU_OK;
}

static int warn(cpuu_config *cfg, const char *fmt, ...) CPUU_PRINTF(2, 3);
static int warn(cpuu_config *cfg, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cpuu_strlist_push(&cfg->warnings, msg) < 0)
		return cpuu_error_oom();
	return CPUU_OK;
}

static int contains_ci(const char *s, const char *needle)
{
	for (; *s; s++)
		if (has_prefix_ci(s, needle))
			return 1;
	return 0;
}

static int section_known(const char *section)
{
	size_t n;
	const cpuu_config_key_info *all = cpuu_config_schema(&n);
	for (size_t i = 0; i < n; i++)
		if (!cpuu_strcasecmp_ascii(all[i].section, section))
			return 1;
	return 0;
}

static int on_line(void *user, const char *section, const char *key, const char *value, unsigned line)
{
	cpuu_config *cfg = user;
	const cpuu_config_key_info *info = cpuu_config_key_find(section, key);
	/* The established tool's keys, in whatever section its INI has them
	 * (never a password in cpuu's own directory sections). */
	const cpuu_config_legacy *old = info ? NULL : cpuu_config_legacy_find(key);
	if (old && (old->section || (cpuu_strcasecmp_ascii(section, "Source") && cpuu_strcasecmp_ascii(section, "Target")))) {
		if (!old->section)
			return warn(cfg, "%s:%u: %s: the established tool's key; %s; ignored", cfg->fname, line, key,
				    old->ignored_because);
		if (!old->inverted)
			return on_line(user, old->section, old->cpuu_key, value, line);
		const cpuu_config_key_info *b = cpuu_config_key_find(old->section, old->cpuu_key);
		cfg_value nv;
		int rc = parse_value(&nv, cfg, b, value);
		if (rc < 0) {
			cpuu_error_prefix("%s:%u: [%s] %s", cfg->fname, line, section, key);
			return rc;
		}
		int on = nv.bval;
		value_clear(&nv);
		return on ? on_line(user, old->section, old->cpuu_key, "false", line) : CPUU_OK;
	}
	if (!info && contains_ci(key, "password"))
		return cpuu_error_set(CPUU_EINVALID,
			"%s:%u: [%s] %s: passwords are never read from the INI; use PasswordFile or PasswordEnv",
			cfg->fname, line, section, key);
	if (!*section)
		return warn(cfg, "%s:%u: %s: key outside any section, ignored", cfg->fname, line, key);
	if (!info) {
		if (section_known(section))
			return warn(cfg, "%s:%u: [%s] %s: unknown key, ignored", cfg->fname, line, section, key);
		if (cfg->warned_section && !cpuu_strcasecmp_ascii(cfg->warned_section, section))
			return CPUU_OK;
		free(cfg->warned_section);
		cfg->warned_section = cpuu_strdup(section);
		return warn(cfg, "%s:%u: [%s]: unknown section, its keys are ignored", cfg->fname, line, section);
	}
	cfg_value nv;
	int rc = parse_value(&nv, cfg, info, value);
	if (rc < 0) {
		if (rc == CPUU_EINVALID)
			cpuu_error_prefix("%s:%u: [%s] %s", cfg->fname, line, info->section, info->key);
		return rc;
	}
	cfg_value *v = &cfg->values[index_of(info)];
	if (v->set && v->line) {
		rc = warn(cfg, "%s:%u: [%s] %s: given again (first at line %u); this value wins",
			  cfg->fname, line, info->section, info->key, v->line);
		if (rc < 0) {
			value_clear(&nv);
			return rc;
		}
	}
	value_clear(v);
	*v = nv;
	v->set = 1;
	v->line = line;
	return CPUU_OK;
}

int cpuu_config_new(cpuu_config **out)
{
	size_t n;
	const cpuu_config_key_info *all = cpuu_config_schema(&n);
	*out = NULL;
	cpuu_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg || !(cfg->values = calloc(n, sizeof *cfg->values))) {
		free(cfg);
		return cpuu_error_oom();
	}
	cfg->n = n;
	cfg->fname = "<buffer>";
	for (size_t i = 0; i < n; i++) {
		if (!all[i].default_value)
			continue;
		int rc = parse_value(&cfg->values[i], cfg, &all[i], all[i].default_value);
		if (rc < 0) {
			/* A schema bug: the default must parse. */
			cpuu_error_prefix("default of [%s] %s", all[i].section, all[i].key);
			cpuu_config_free(cfg);
			return rc;
		}
	}
	*out = cfg;
	return CPUU_OK;
}

void cpuu_config_free(cpuu_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++)
		value_clear(&cfg->values[i]);
	free(cfg->values);
	cpuu_strlist_free(&cfg->warnings);
	free(cfg->warned_section);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

static const cfg_value *find_value(const cpuu_config *cfg, const char *section, const char *key,
				   const cpuu_config_key_info **info)
{
	const cpuu_config_key_info *i = cpuu_config_key_find(section, key);
	if (info)
		*info = i;
	return (cfg && i) ? &cfg->values[index_of(i)] : NULL;
}

/* Rules that tie several keys together, checked once the whole file is read. */
static int check_cross(cpuu_config *cfg)
{
	static const char *const dirs[] = { "Source", "Target" };
	for (size_t d = 0; d < 2; d++) {
		const cfg_value *pf = find_value(cfg, dirs[d], "PasswordFile", NULL);
		const cfg_value *pe = find_value(cfg, dirs[d], "PasswordEnv", NULL);
		const cfg_value *url = find_value(cfg, dirs[d], "Url", NULL);
		const cfg_value *tls = find_value(cfg, dirs[d], "StartTLS", NULL);
		const cfg_value *verify = find_value(cfg, dirs[d], "VerifyCert", NULL);
		if (pf->str && pe->str && *pe->str)
			return cpuu_error_set(CPUU_EINVALID, "%s:%u: [%s] %s: set only one of PasswordFile and PasswordEnv",
					      cfg->fname, pf->line > pe->line ? pf->line : pe->line, dirs[d],
					      pf->line > pe->line ? "PasswordFile" : "PasswordEnv");
		if (tls->bval && url->str && has_prefix_ci(url->str, "ldaps://"))
			return cpuu_error_set(CPUU_EINVALID, "%s:%u: [%s] StartTLS: an ldaps:// URL is already TLS; StartTLS is for ldap://",
					      cfg->fname, tls->line, dirs[d]);
		if (!verify->bval) {
			int rc = warn(cfg, "%s:%u: [%s] VerifyCert: certificate checking is off; anyone on the path can read the bind password",
				      cfg->fname, verify->line, dirs[d]);
			if (rc < 0)
				return rc;
		}
	}
	const cfg_value *present = find_value(cfg, "Switch", "Present", NULL);
	const cfg_value *value = find_value(cfg, "Switch", "Value", NULL);
	if (present->bval && value->set)
		return warn(cfg, "%s:%u: [Switch] Value: ignored because Present = yes", cfg->fname, value->line);
	return CPUU_OK;
}

static int load(cpuu_config **out, const void *data, size_t len, const char *path)
{
	cpuu_config *cfg;
	*out = NULL;
	int rc = cpuu_config_new(&cfg);
	if (rc < 0)
		return rc;
	if (path) {
		cfg->path = cpuu_strdup(path);
		const char *slash = strrchr(path, '/');
#ifdef _WIN32
		const char *bs = strrchr(path, '\\');
		if (bs && (!slash || bs > slash))
			slash = bs;
#endif
		cfg->dir = slash ? cpuu_strndup(path, (size_t)(slash - path) + (slash == path)) : cpuu_strdup(".");
		if (!cfg->path || !cfg->dir) {
			cpuu_config_free(cfg);
			return cpuu_error_oom();
		}
		cfg->fname = cfg->path;
	}
	rc = cpuu_ini_parse_buffer(data, len, on_line, cfg);
	if (rc < 0) {
		/* Syntax errors come as "line N: ..."; give them the file name. */
		const char *msg = cpuu_error_last()->message;
		if (!strncmp(msg, "line ", 5) || !strncmp(msg, "not valid", 9) || !strncmp(msg, "UTF-16", 6)) {
			if (!strncmp(msg, "line ", 5)) {
				char *copy = cpuu_strdup(msg + 5);
				if (copy) {
					cpuu_error_set(rc, "%s:%s", cfg->fname, copy);
					free(copy);
				}
			} else {
				cpuu_error_prefix("%s", cfg->fname);
			}
		}
		cpuu_config_free(cfg);
		return rc;
	}
	rc = check_cross(cfg);
	if (rc < 0) {
		cpuu_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return CPUU_OK;
}

int cpuu_config_load_buffer(cpuu_config **out, const void *data, size_t len)
{
	return load(out, data, len, NULL);
}

int cpuu_config_load(cpuu_config **out, const char *path)
{
	uint8_t *data;
	size_t len;
	*out = NULL;
	int rc = cpuu_config_read_file(&data, &len, path);
	if (rc < 0)
		return rc;
	rc = load(out, data, len, path);
	free(data);
	return rc;
}

int cpuu_config_set(cpuu_config *cfg, const char *section, const char *key, const char *value)
{
	const cpuu_config_key_info *info;
	cfg_value *v = (cfg_value *)find_value(cfg, section, key, &info);
	if (!cfg || !value)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_config_set: NULL argument");
	if (!v)
		return cpuu_error_set(CPUU_ENOTFOUND, "[%s] %s: unknown configuration key", section ? section : "", key ? key : "");
	cfg_value nv;
	int rc = parse_value(&nv, cfg, info, value);
	if (rc < 0)
		return cpuu_error_prefix("[%s] %s", info->section, info->key);
	value_clear(v);
	*v = nv;
	v->set = 1;
	return CPUU_OK;
}

const cpuu_strlist *cpuu_config_warnings(const cpuu_config *cfg)
{
	return cfg ? &cfg->warnings : NULL;
}

const char *cpuu_config_path(const cpuu_config *cfg)
{
	return cfg ? cfg->path : NULL;
}

static const cfg_value *typed(const cpuu_config *cfg, const char *section, const char *key, int type_mask)
{
	const cpuu_config_key_info *info;
	const cfg_value *v = find_value(cfg, section, key, &info);
	if (!v || !(type_mask & (1 << info->type)))
		return NULL;
	return v;
}

const char *cpuu_config_get_string(const cpuu_config *cfg, const char *section, const char *key)
{
	const cfg_value *v = typed(cfg, section, key,
				   1 << CPUU_CFG_STRING | 1 << CPUU_CFG_ENUM | 1 << CPUU_CFG_PATH | 1 << CPUU_CFG_LIST);
	return v ? v->str : NULL;
}

int cpuu_config_get_bool(const cpuu_config *cfg, const char *section, const char *key)
{
	const cfg_value *v = typed(cfg, section, key, 1 << CPUU_CFG_BOOL);
	return v ? v->bval : 0;
}

long cpuu_config_get_int(const cpuu_config *cfg, const char *section, const char *key)
{
	const cfg_value *v = typed(cfg, section, key, 1 << CPUU_CFG_INT);
	return v ? v->ival : 0;
}

const cpuu_strlist *cpuu_config_get_list(const cpuu_config *cfg, const char *section, const char *key)
{
	const cfg_value *v = typed(cfg, section, key, 1 << CPUU_CFG_LIST);
	return v ? &v->list : NULL;
}

int cpuu_config_is_set(const cpuu_config *cfg, const char *section, const char *key)
{
	const cfg_value *v = find_value(cfg, section, key, NULL);
	return v ? v->set : 0;
}

unsigned cpuu_config_line(const cpuu_config *cfg, const char *section, const char *key)
{
	const cfg_value *v = find_value(cfg, section, key, NULL);
	return v ? v->line : 0;
}
