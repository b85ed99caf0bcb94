/* Rollback and Cleanup: every subtree Update backed up is restored exactly
 * (Rollback) or its backup dropped (Cleanup); the journal records Update
 * kept in the hive (files moved aside, written, handed over) are undone or
 * left for the admin through the transaction (txn.h). */
#include "update/internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* A backup entry read back from the registry is data: "<file>|<path>" with a
 * bare file name, or nothing. */
static int split_entry(char **file, const char **path, char *entry)
{
	char *bar = entry ? strchr(entry, '|') : NULL;
	if (!bar || bar == entry || !bar[1])
		return 0;
	*bar = '\0';
	*file = entry;
	*path = bar + 1;
	if (strstr(entry, ".."))
		return 0;
	for (const char *p = entry; *p; p++)
		if (*p == '/' || *p == '\\' || *p == ':')
			return 0;
	return 1;
}

/* Backup documents read during one rollback, by file name. */
typedef struct doc_cache {
	cpuu_strlist names;
	cpuu_regtext **docs;
	size_t cap;
} doc_cache;

static int cached_doc(const cpuu_regtext **out, doc_cache *c, const char *dir, const char *file)
{
	for (size_t i = 0; i < c->names.count; i++)
		if (!strcmp(c->names.items[i], file)) {
			*out = c->docs[i];
			return CPUU_OK;
		}
	char *full = cpuu_aprintf("%s/%s", dir, file);
	cpuu_regtext *doc = NULL;
	int rc = full ? cpuu_regtext_read_file(&doc, full) : cpuu_error_oom();
	free(full);
	if (rc)
		return rc;
	cpuu_regtext **grown = cpuu_array_reserve(c->docs, &c->cap, c->names.count + 1, sizeof *grown);
	if (grown)
		c->docs = grown;
	if (!grown || cpuu_strlist_add(&c->names, file)) {
		cpuu_regtext_free(doc);
		return cpuu_error_oom();
	}
	c->docs[c->names.count - 1] = doc;
	*out = doc;
	return CPUU_OK;
}

static void doc_cache_free(doc_cache *c)
{
	for (size_t i = 0; i < c->names.count; i++)
		cpuu_regtext_free(c->docs[i]);
	free(c->docs);
	cpuu_strlist_free(&c->names);
}

/* The records "<profile>|..." of key: undone (Rollback) or left (Cleanup)
 * and dropped (markers hold no file: dropped only). */
static int drop_records(upd_run *run, const char *profile, const char *key, int keep_files)
{
	cpuu_strlist names = { 0 };
	int rc = upd_state_names(&names, run->reg, key);
	size_t plen = strlen(profile);
	for (size_t j = 0; !rc && j < names.count; j++)
		if (!strncmp(names.items[j], profile, plen) && names.items[j][plen] == '|')
			rc = upd_txn_undo_record(&run->txn, key, names.items[j], keep_files);
	cpuu_strlist_free(&names);
	return rc;
}

/* Backup entries that are no profile ("\\AutoDiscover 16.0") are named in
 * results as Update names the step that made them. */
static char *entry_label(const char *entry)
{
	static const struct {
		const char *entry, *label;
	} names[] = { { "\\AutoDiscover ", "autodiscover:" }, { "\\Setup ", "prf:" }, { "\\RunOnce", "autocomplete" },
		      { "\\Identity ", "identity:" } };
	if (entry[0] != '\\')
		return NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t n = strlen(names[i].entry);
		if (!strncmp(entry, names[i].entry, n))
			return cpuu_aprintf("%s%s", names[i].label, entry + n);
	}
	return cpuu_strdup(entry + 1);
}

/* One backup entry: restored (rollback) or dropped (cleanup). */
static void one_entry(upd_run *run, cpuu_results *res, doc_cache *cache, cpuu_strlist *used, const char *profile)
{
	double t0 = upd_now_ms();
	int cleanup = run->opts->mode == CPUU_MODE_CLEANUP, dry = run->opts->dry_run;
	char *entry = NULL, *file = NULL;
	const char *path = NULL;
	const cpuu_regtext *doc = NULL;
	size_t changes = 0;
	int rc = upd_state_get(&entry, run->reg, UPD_BACKUPS_KEY, profile);
	if (!rc && !split_entry(&file, &path, entry))
		rc = cpuu_error_set(CPUU_EINVALID, "backup entry of profile '%s' is malformed", profile);
	/* Something to undo or drop: the programs holding the profile go first. */
	if (!rc && !dry)
		rc = upd_txn_begin_change(&run->txn);
	if (!rc && !cleanup && !dry) {
		rc = cached_doc(&doc, cache, run->state_dir, file);
		if (!rc)
			rc = upd_restore_subtree(run->reg, doc, path, &changes);
		if (!rc)
			rc = drop_records(run, profile, UPD_SWITCHED_KEY, 0);
		/* The PRF route: its .prf files go, pending signatures too. */
		if (!rc)
			rc = drop_records(run, profile, UPD_PRF_KEY, 0);
		if (!rc)
			rc = drop_records(run, profile, CPUU_PRF_PENDING_KEY, 0);
		if (!rc)
			rc = cpuu_strlist_add(used, file);
	}
	/* Renamed OSTs come back (rollback) or stay aside for the admin
	 * (cleanup: they are never deleted); either way the record goes. */
	if (!rc && !dry)
		rc = drop_records(run, profile, UPD_FILES_KEY, cleanup);
	if (!rc && !dry)
		rc = upd_state_delete(run->reg, UPD_BACKUPS_KEY, profile);
	if (!rc && cleanup && !dry) {
		char *full = cpuu_aprintf("%s/%s", run->state_dir, file);
		rc = full ? upd_txn_unlink_after(&run->txn, full) : cpuu_error_oom();
		free(full);
	}
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : dry ? CPUU_OUTCOME_PLANNED : cleanup ? CPUU_OUTCOME_CLEANED : CPUU_OUTCOME_ROLLED_BACK;
	char *label = entry_label(profile);
	upd_result_add_since(t0, res, run, profile[0] == '\\' ? NULL : profile, label, o, changes,
			     rc ? cpuu_error_last()->message : cleanup ? "backup dropped; no rollback from now on" : NULL);
	free(label);
	free(entry);
}

/* The hive-wide records ("\\oab", "\\autodiscover|<file>",
 * "\\autocomplete|<profile>"): the user's caches come back and hand-overs
 * are taken back (rollback), or the files stay (cleanup); the records go. */
static void hive_wide_records(upd_run *run, cpuu_results *res, int cleanup)
{
	cpuu_strlist files = { 0 };
	if (upd_state_names(&files, run->reg, UPD_FILES_KEY) != CPUU_OK)
		return;
	for (size_t i = 0; i < files.count; i++) {
		const char *name = files.items[i];
		if (name[0] != '\\')
			continue;
		int ac = !strncmp(name, "\\autocomplete|", 14);
		int rc = upd_txn_undo_record(&run->txn, UPD_FILES_KEY, name, cleanup);
		if (!rc && ac && !cleanup)
			rc = upd_state_delete(run->reg, UPD_AUTOCOMPLETE_KEY, name + 14);
		if (rc)
			upd_result_add(res, run, ac ? name + 14 : NULL, ac ? "autocomplete" : "caches", CPUU_OUTCOME_ERROR,
				       0, cpuu_error_last()->message);
	}
	cpuu_strlist_free(&files);
}

/* Is file still named by a backup entry (one whose rollback failed)? */
static int still_named(upd_run *run, const char *file)
{
	cpuu_strlist names = { 0 };
	int named = upd_state_names(&names, run->reg, UPD_BACKUPS_KEY) != CPUU_OK; /* unsure: named */
	for (size_t i = 0; !named && i < names.count; i++) {
		char *entry = NULL, *f = NULL;
		const char *path = NULL;
		if (upd_state_get(&entry, run->reg, UPD_BACKUPS_KEY, names.items[i]) != CPUU_OK)
			named = 1;
		else if (split_entry(&f, &path, entry))
			named = !strcmp(f, file);
		free(entry);
	}
	cpuu_strlist_free(&names);
	cpuu_error_clear();
	return named;
}

/* The backups Rollback used and nothing names any more are retired after
 * the commit ("retired-..." in the state folder), for Cleanup. */
static void retire_used(upd_run *run, cpuu_results *res, const cpuu_strlist *used)
{
	for (size_t i = 0; i < used->count; i++)
		if (!still_named(run, used->items[i]) && upd_txn_retire_after(&run->txn, used->items[i]))
			upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
}

/* Cleanup: the owner's retired backups go after the commit, and the
 * backups of an older cpuu (no owner tag: never swept by Update, nor
 * retired by its Rollback) that no entry of this registry names — only in
 * the hive's own state folder (<hive>.cpuu, the default): in a folder given
 * by --state-dir or BackupDir, which bulk runs and users may share, another
 * hive's committed registry may name one, so they stay there (one
 * `skipped` record says how many). Returns how many were found. */
static size_t drop_retired(upd_run *run, cpuu_results *res)
{
	size_t n = 0, legacy_left = 0;
	int own_folder = run->opts->state_dir == NULL;
	DIR *d = upd_state_dir_check(run->state_dir) ? NULL : opendir(run->state_dir);
	cpuu_error_clear();
	for (struct dirent *de; d && (de = readdir(d));) {
		int retired = upd_backup_is_retired(de->d_name, run->hive);
		int legacy = !retired && upd_backup_is_legacy(de->d_name);
		if (!retired && !legacy)
			continue;
		if (legacy && still_named(run, de->d_name))
			continue; /* goes with its entry */
		if (legacy && !own_folder) {
			legacy_left++;
			continue;
		}
		n++;
		const char *what = legacy ? "a backup of an older cpuu no entry names" : "a backup Rollback used";
		if (run->opts->dry_run) {
			char *msg = cpuu_aprintf("%s: to remove", what);
			upd_result_add(res, run, NULL, "backup", CPUU_OUTCOME_PLANNED, 0, msg ? msg : what);
			free(msg);
			continue;
		}
		char *full = cpuu_aprintf("%s/%s", run->state_dir, de->d_name);
		int rc = full ? upd_txn_unlink_after(&run->txn, full) : cpuu_error_oom();
		free(full);
		char *msg = rc ? NULL : cpuu_aprintf("%s: removed", what);
		upd_result_add(res, run, NULL, "backup", rc ? CPUU_OUTCOME_ERROR : CPUU_OUTCOME_CLEANED, 0,
			       rc ? cpuu_error_last()->message : msg ? msg : what);
		free(msg);
	}
	if (d)
		closedir(d);
	if (legacy_left) {
		char *msg = cpuu_aprintf("%zu backup file%s of an older cpuu (no owner tag) left in the shared state "
					 "folder %s: another hive may name %s; remove by hand once no hive does",
					 legacy_left, legacy_left == 1 ? "" : "s", run->state_dir,
					 legacy_left == 1 ? "it" : "them");
		upd_result_add(res, run, NULL, "backup", CPUU_OUTCOME_SKIPPED, 0, msg ? msg : "older backups left");
		free(msg);
	}
	return n;
}

void upd_rollback_or_cleanup(upd_run *run, cpuu_results *res)
{
	cpuu_strlist names = { 0 };
	doc_cache cache = { 0 };
	int cleanup = run->opts->mode == CPUU_MODE_CLEANUP;
	if (upd_state_names(&names, run->reg, UPD_BACKUPS_KEY)) {
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		return;
	}
	size_t retired = cleanup ? drop_retired(run, res) : 0;
	if (names.count == 0 && retired == 0)
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_NOTHING_TO_UNDO, 0,
			       cleanup ? "no backup to clean up" : "nothing to undo");
	cpuu_strlist used = { 0 };
	for (size_t i = 0; i < names.count; i++)
		one_entry(run, res, &cache, &used, names.items[i]);
	doc_cache_free(&cache);
	cpuu_strlist_free(&names);
	if (run->opts->dry_run) {
		cpuu_strlist_free(&used);
		return;
	}
	retire_used(run, res, &used);
	cpuu_strlist_free(&used);
	hive_wide_records(run, res, cleanup);
	upd_credentials_undo(run, res, cleanup);
	upd_activation_undo(run, res, cleanup);
	if (cleanup && upd_txn_rmdir_after(&run->txn, run->state_dir))
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
	if (upd_state_prune(run->reg))
		upd_result_add(res, run, NULL, NULL, CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
}
