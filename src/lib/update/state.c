/* cpuu's own state in the user's registry (markers, backup index) and the
 * state folder that holds the .reg backups. */
#include "update/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <direct.h>
#endif

int upd_state_get(char **out, cpuu_reg *reg, const char *key, const char *name)
{
	*out = NULL;
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	rc = cpuu_reg_get_string(out, reg, k, name);
	cpuu_reg_key_free(k);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		*out = NULL;
		return CPUU_OK;
	}
	return rc;
}

int upd_state_set(cpuu_reg *reg, const char *key, const char *name, const char *text)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_create(&k, reg, NULL, key);
	if (rc)
		return rc;
	rc = cpuu_reg_set_string(reg, k, name, text);
	cpuu_reg_key_free(k);
	return rc;
}

int upd_state_delete(cpuu_reg *reg, const char *key, const char *name)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	rc = cpuu_reg_value_delete(reg, k, name);
	cpuu_reg_key_free(k);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	return rc;
}

int upd_state_names(cpuu_strlist *out, cpuu_reg *reg, const char *key)
{
	memset(out, 0, sizeof *out);
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	cpuu_reg_value *values = NULL;
	size_t n = 0;
	rc = cpuu_reg_key_values(&values, &n, reg, k);
	cpuu_reg_key_free(k);
	for (size_t i = 0; !rc && i < n; i++)
		rc = cpuu_strlist_push(out, values[i].name);
	cpuu_reg_values_free(values, n);
	if (rc)
		cpuu_strlist_free(out);
	return rc;
}

/* Deletes key if it has neither values nor subkeys. */
static int delete_if_empty(cpuu_reg *reg, const char *key)
{
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	cpuu_strlist sub = { 0 };
	cpuu_reg_value *values = NULL;
	size_t n = 0;
	rc = cpuu_reg_key_subkeys(&sub, reg, k);
	if (!rc)
		rc = cpuu_reg_key_values(&values, &n, reg, k);
	int empty = !rc && sub.count == 0 && n == 0;
	cpuu_strlist_free(&sub);
	cpuu_reg_values_free(values, n);
	cpuu_reg_key_free(k);
	if (!rc && empty)
		rc = cpuu_reg_key_delete(reg, NULL, key);
	return rc;
}

int upd_state_prune(cpuu_reg *reg)
{
	int rc = delete_if_empty(reg, UPD_SWITCHED_KEY);
	if (!rc)
		rc = delete_if_empty(reg, UPD_BACKUPS_KEY);
	if (!rc)
		rc = delete_if_empty(reg, UPD_STATE_KEY);
	return rc;
}

/* Profile names come from the user's registry: they are data, so the file
 * name keeps only safe characters and a hash tells similar names apart. */
char *upd_backup_file_name(const char *profile)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)profile; *p; p++)
		h = (h ^ *p) * 16777619u;
	char safe[41];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)profile; *p && n < sizeof safe - 1; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			 *p == '-' || *p == '_';
		safe[n++] = ok ? (char)*p : '_';
	}
	safe[n] = '\0';
	return cpuu_aprintf("profile-%s-%08x.reg", safe, (unsigned)h);
}

int upd_mkdir(const char *dir)
{
#ifdef _WIN32
	int rc = _mkdir(dir);
#else
	int rc = mkdir(dir, 0700);
#endif
	if (rc != 0 && errno != EEXIST)
		return cpuu_error_set(CPUU_EIO, "cannot create state folder %s: %s", dir, strerror(errno));
	return CPUU_OK;
}
