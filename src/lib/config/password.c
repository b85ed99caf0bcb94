/* Bind passwords live outside the INI: in a file or an environment variable. */
#include "config/internal.h"

#include <stdlib.h>
#include <string.h>

/* PasswordEnv's variable is read once and taken out of the environment
 * (issue 16): child processes and /proc/<pid>/environ no longer see it, and
 * its text in the environment block (what a core dump holds) is wiped. The
 * value is kept here, as the password file's would be read again, for the
 * process's later binds (Source and Target may name one variable; a bulk
 * run binds again); a variable set again since is read afresh. */
#define ENV_TAKEN_MAX 8
static struct {
	char *name, *value;
} env_taken[ENV_TAKEN_MAX];

static const char *env_take(const char *name)
{
	size_t slot = ENV_TAKEN_MAX;
	for (size_t i = 0; i < ENV_TAKEN_MAX; i++)
		if (env_taken[i].name && !strcmp(env_taken[i].name, name))
			slot = i;
	char *v = getenv(name);
	if (!v)
		return slot < ENV_TAKEN_MAX ? env_taken[slot].value : NULL;
	char *copy = cpuu_strdup(v);
	for (volatile char *c = v; *c; c++)
		*c = '\0';
#ifdef _WIN32
	_putenv_s(name, "");
#else
	unsetenv(name);
#endif
	if (!copy)
		return NULL;
	if (slot == ENV_TAKEN_MAX)
		for (size_t i = 0; i < ENV_TAKEN_MAX && slot == ENV_TAKEN_MAX; i++)
			if (!env_taken[i].name && (env_taken[i].name = cpuu_strdup(name)))
				slot = i;
	if (slot == ENV_TAKEN_MAX)
		return copy; /* leaks one string at most 8 variables on: never in practice */
	if (env_taken[slot].value) {
		memset(env_taken[slot].value, 0, strlen(env_taken[slot].value));
		free(env_taken[slot].value);
	}
	env_taken[slot].value = copy;
	return copy;
}

int cpuu_config_password(char **out, const cpuu_config *cfg, const char *section)
{
	*out = NULL;
	const char *file = cpuu_config_get_string(cfg, section, "PasswordFile");
	const char *env = cpuu_config_get_string(cfg, section, "PasswordEnv");
	if (file) {
		uint8_t *data;
		size_t len;
		int rc = cpuu_config_read_file(&data, &len, file);
		if (rc < 0)
			return cpuu_error_prefix("[%s] PasswordFile", section);
		/* One trailing line end is what editors and `echo` add. */
		if (len && data[len - 1] == '\n')
			len--;
		if (len && data[len - 1] == '\r')
			len--;
		data[len] = 0;
		if (len == 0 || memchr(data, '\0', len) || memchr(data, '\n', len)) {
			memset(data, 0, len);
			free(data);
			/* An empty simple-bind password is an anonymous bind on most servers. */
			return cpuu_error_set(CPUU_EINVALID, "[%s] PasswordFile %s: must hold exactly one non-empty line",
					      section, file);
		}
		*out = (char *)data;
		return CPUU_OK;
	}
	if (env && *env) {
		const char *v = env_take(env);
		if (!v)
			return cpuu_error_set(CPUU_ENOTFOUND, "[%s] PasswordEnv: environment variable %s is not set", section, env);
		if (!*v)
			return cpuu_error_set(CPUU_EINVALID, "[%s] PasswordEnv: environment variable %s is empty", section, env);
		*out = cpuu_strdup(v);
		return *out ? CPUU_OK : cpuu_error_oom();
	}
	return cpuu_error_set(CPUU_ENOTFOUND, "[%s]: neither PasswordFile nor PasswordEnv is set", section ? section : "");
}
