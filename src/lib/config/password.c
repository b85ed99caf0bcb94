/* Bind passwords live outside the INI: in a file or an environment variable. */
#include "config/internal.h"

#include <stdlib.h>
#include <string.h>

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
		const char *v = getenv(env);
		if (!v)
			return cpuu_error_set(CPUU_ENOTFOUND, "[%s] PasswordEnv: environment variable %s is not set", section, env);
		if (!*v)
			return cpuu_error_set(CPUU_EINVALID, "[%s] PasswordEnv: environment variable %s is empty", section, env);
		*out = cpuu_strdup(v);
		return *out ? CPUU_OK : cpuu_error_oom();
	}
	return cpuu_error_set(CPUU_ENOTFOUND, "[%s]: neither PasswordFile nor PasswordEnv is set", section ? section : "");
}
