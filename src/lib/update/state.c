/* cpuu's own state in the user's registry (markers, backup index) and the
 * state folder that holds the .reg backups. */
#include "update/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef _WIN32
#include <direct.h>
#include <windows.h>
#endif

/* Opens a state key: 1 opened, 0 absent (nothing to report), <0 error. */
static int open_state(cpuu_reg_key **k, cpuu_reg *reg, const char *key)
{
	*k = NULL;
	int rc = cpuu_reg_key_open(k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return 0;
	}
	return rc ? rc : 1;
}

int upd_state_get(char **out, cpuu_reg *reg, const char *key, const char *name)
{
	*out = NULL;
	cpuu_reg_key *k;
	int rc = open_state(&k, reg, key);
	if (rc <= 0)
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
	cpuu_reg_key *k;
	int rc = open_state(&k, reg, key);
	if (rc <= 0)
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
	cpuu_reg_key *k;
	int rc = open_state(&k, reg, key);
	if (rc <= 0)
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
	cpuu_reg_key *k;
	int rc = open_state(&k, reg, key);
	if (rc <= 0)
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
		rc = delete_if_empty(reg, UPD_FILES_KEY);
	if (!rc)
		rc = delete_if_empty(reg, UPD_AUTOCOMPLETE_KEY);
	if (!rc)
		rc = delete_if_empty(reg, UPD_PRF_KEY);
	if (!rc)
		rc = delete_if_empty(reg, CPUU_PRF_PENDING_KEY);
	if (!rc)
		rc = delete_if_empty(reg, UPD_BACKUPS_KEY);
	if (!rc)
		rc = delete_if_empty(reg, UPD_STATE_KEY);
	return rc;
}

/* The owner's tag in its backup names: 12 hex digits of a hash of the hive
 * (its real path when it resolves) or the live registry's label. Runs of
 * one owner never overlap (the hive lock; one live run per session), so a
 * file with the tag that the owner's registry does not name is an orphan of
 * a killed run, whoever else shares the folder. */
static void owner_tag(char tag[13], const char *owner)
{
	char *real = NULL;
#ifndef _WIN32
	real = owner ? realpath(owner, NULL) : NULL;
#endif
	const char *o = real ? real : owner ? owner : "";
	uint64_t h = cpuu_hash_bytes(CPUU_HASH_INIT, o, strlen(o));
	snprintf(tag, 13, "%012llx", (unsigned long long)(h & 0xffffffffffffull));
	free(real);
}

/* backup-<UTC time>-<tag>.reg: sorts by age; cpuu_file_write_new makes it
 * unique (".1", ".2", ... when taken). */
char *upd_backup_file_name(const char *owner)
{
	char stamp[32], tag[13];
	struct tm tm;
	cpuu_utc_now(&tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	owner_tag(tag, owner);
	char *name = cpuu_aprintf("backup-%s-%s.reg", stamp, tag);
	if (!name)
		cpuu_error_oom();
	return name;
}

/* "<prefix><stamp>-<tag>.reg..." (a backup, its ".N" or a temp of it). */
static int named_for(const char *name, const char *prefix, const char *owner)
{
	char tag[13], mid[20];
	owner_tag(tag, owner);
	snprintf(mid, sizeof mid, "-%s.reg", tag);
	return !strncmp(name, prefix, strlen(prefix)) && strstr(name, mid) && !strchr(name, '/') &&
	       !strchr(name, '\\');
}

int upd_backup_is_owners(const char *name, const char *owner)
{
	return named_for(name, "backup-", owner);
}

int upd_backup_is_retired(const char *name, const char *owner)
{
	return named_for(name, "retired-", owner);
}

/* backup-YYYYMMDDTHHMMSSZ-<n>.reg, n decimal (1 to 5 digits), and the temp
 * files of one (".tmp." and more): what cpuu wrote before backups carried
 * their owner's tag. A tag is 12 hex digits, so no tagged name matches. */
int upd_backup_is_legacy(const char *name)
{
	static const char pre[] = "backup-";
	size_t n = sizeof pre - 1;
	if (strncmp(name, pre, n) || strchr(name, '/') || strchr(name, '\\'))
		return 0;
	const char *p = name + n;
	for (int i = 0; i < 16; i++) { /* YYYYMMDDTHHMMSSZ */
		int digit = p[i] >= '0' && p[i] <= '9';
		if (i == 8 ? p[i] != 'T' : i == 15 ? p[i] != 'Z' : !digit)
			return 0;
	}
	p += 16;
	if (*p++ != '-')
		return 0;
	size_t d = 0;
	while (p[d] >= '0' && p[d] <= '9')
		d++;
	if (d < 1 || d > 5 || strncmp(p + d, ".reg", 4))
		return 0;
	p += d + 4;
	return !*p || !strncmp(p, ".tmp.", 5);
}

int upd_mkdir(const char *dir)
{
#ifdef _WIN32
	int rc = _mkdir(dir);
#else
	int rc = mkdir(dir, 0700);
#endif
	if (rc != 0 && errno != EEXIST)
		return cpuu_error_set(CPUU_EIO, "cannot create folder %s: %s", dir, strerror(errno));
	return CPUU_OK;
}

int upd_state_dir_check(const char *dir)
{
#ifndef _WIN32
	struct stat st;
	if (lstat(dir, &st) != 0)
		return CPUU_OK; /* made when first needed */
	if (S_ISLNK(st.st_mode))
		return cpuu_error_set(CPUU_EUNSUPPORTED, "state folder %s is a link: refused (never followed)", dir);
	if (!S_ISDIR(st.st_mode))
		return cpuu_error_set(CPUU_EINVALID, "state folder %s is not a folder", dir);
#else
	/* A junction or symbolic link is a reparse point. */
	DWORD a = GetFileAttributesA(dir);
	if (a == INVALID_FILE_ATTRIBUTES)
		return CPUU_OK;
	if (a & FILE_ATTRIBUTE_REPARSE_POINT)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "state folder %s is a link: refused (never followed)", dir);
	if (!(a & FILE_ATTRIBUTE_DIRECTORY))
		return cpuu_error_set(CPUU_EINVALID, "state folder %s is not a folder", dir);
#endif
	return CPUU_OK;
}
