/* The run's transaction: backup document, journal of file actions, commit
 * phases (txn.h). The journal is the one place that knows what a file
 * effect becomes after a durable commit, after a failed one, and at
 * Rollback; steps only add records. */
#include "update/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#ifndef _WIN32
#include <pthread.h>
#endif
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#endif

#include "cpuu/unicode.h"

void upd_txn_init(upd_txn *t, cpuu_reg *reg, const char *state_dir, const char *user_dir)
{
	memset(t, 0, sizeof *t);
	t->reg = reg;
	t->state_dir = state_dir;
	t->user_dir = user_dir;
}

int upd_txn_begin_change(upd_txn *t)
{
	if (!t->change_called) {
		t->change_called = 1;
		t->change_rc = t->before_change ? t->before_change(t->before_change_ctx) : CPUU_OK;
		if (t->change_rc)
			snprintf(t->change_msg, sizeof t->change_msg, "%s",
				 cpuu_error_last()->code ? cpuu_error_last()->message : "refused before the first change");
	}
	return t->change_rc ? cpuu_error_set(t->change_rc, "not changed: %s", t->change_msg) : CPUU_OK;
}

static void action_free(upd_action *a)
{
	free(a->path);
	cpuu_ac_changes_clear(&a->handed);
}

void upd_txn_clear(upd_txn *t)
{
	if (t->prepared && t->reg)
		cpuu_reg_commit_abort(t->reg);
	for (size_t i = 0; i < t->nactions; i++)
		action_free(&t->actions[i]);
	free(t->actions);
	cpuu_strlist_free(&t->backed_up);
	cpuu_regtext_out_free(t->backup);
	free(t->backup_file);
	memset(t, 0, sizeof *t);
}

/* Appends a record; path copied, ch (if any) taken over. */
static int journal_add(upd_txn *t, upd_act kind, const char *path, cpuu_ac_changes *ch)
{
	upd_action *grown = cpuu_array_reserve(t->actions, &t->cap, t->nactions + 1, sizeof *grown);
	char *copy = path ? cpuu_strdup(path) : NULL;
	if (!grown || (path && !copy)) {
		free(copy);
		return cpuu_error_oom();
	}
	t->actions = grown;
	upd_action *a = &grown[t->nactions++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->path = copy;
	if (ch) {
		a->handed = *ch;
		memset(ch, 0, sizeof *ch);
	}
	return CPUU_OK;
}

/* --- the backup document --- */

static char *backup_path(const upd_txn *t)
{
	return cpuu_aprintf("%s/%s", t->state_dir, t->backup_file);
}

/* The entries this run wrote name the file it was given in the end. */
static int relabel_entries(upd_txn *t, const char *made)
{
	size_t old = strlen(t->backup_file);
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && i < t->backed_up.count; i++) {
		char *entry = NULL, *now = NULL;
		rc = upd_state_get(&entry, t->reg, UPD_BACKUPS_KEY, t->backed_up.items[i]);
		if (!rc && entry && !strncmp(entry, t->backup_file, old) && entry[old] == '|') {
			now = cpuu_aprintf("%s%s", made, entry + old);
			rc = now ? upd_state_set(t->reg, UPD_BACKUPS_KEY, t->backed_up.items[i], now) : cpuu_error_oom();
		}
		free(now);
		free(entry);
	}
	char *copy = rc ? NULL : cpuu_strdup(made);
	if (!rc && !copy)
		rc = cpuu_error_oom();
	if (!rc) {
		free(t->backup_file);
		t->backup_file = copy;
	}
	return rc;
}

/* The backup file made at a name no file has (never replacing one, even a
 * concurrent run's: cpuu_file_write_new links it in place). */
static int create_backup(char **made, const char *full, const uint8_t *bytes, size_t len, unsigned flags)
{
	unsigned fflags = flags & CPUU_REGTEXT_NO_SYNC ? CPUU_FILE_NO_SYNC : 0;
#ifndef _WIN32
	return cpuu_file_write_new(made, full, bytes, len, fflags);
#else
	/* Windows: the name taken by an exclusive create, then filled. */
	*made = NULL;
	for (unsigned i = 0; i < 10000; i++) {
		char *cand = i ? cpuu_aprintf("%s.%u", full, i) : cpuu_strdup(full);
		if (!cand)
			return cpuu_error_oom();
		int fd = _open(cand, _O_CREAT | _O_EXCL | _O_WRONLY | _O_BINARY, _S_IREAD | _S_IWRITE);
		if (fd >= 0) {
			_close(fd);
			int rc = cpuu_file_write_atomic(cand, bytes, len, fflags);
			if (rc) {
				_unlink(cand);
				free(cand);
				return rc;
			}
			*made = cand;
			return CPUU_OK;
		}
		int e = errno;
		free(cand);
		if (e != EEXIST)
			return cpuu_error_set(CPUU_EIO, "%s: cannot create it: %s", full, strerror(e));
	}
	return cpuu_error_set(CPUU_EIO, "%s: too many backups of that name", full);
#endif
}

static int write_backup(upd_txn *t, unsigned flags)
{
	char *full = backup_path(t);
	if (!full)
		return cpuu_error_oom();
	int rc = CPUU_OK;
	if (cpuu_fault("update:backup")) {
		rc = cpuu_error_set(CPUU_EIO, "%s: cannot write (injected fault)", full);
	} else if (t->backup_made) {
		/* The live registry's backup grows: this run's own file, replaced
		 * (the messages of cpuu_regtext_write_file_ex). */
		const uint8_t *bytes = NULL;
		size_t len = 0;
		rc = cpuu_regtext_out_bytes(&bytes, &len, t->backup);
		if (rc)
			cpuu_error_prefix("%s", full);
		else
			rc = cpuu_file_write_atomic(full, bytes, len, flags & CPUU_REGTEXT_NO_SYNC ? CPUU_FILE_NO_SYNC : 0);
	} else {
		/* The file's bytes were built as the subtrees were backed up. */
		const uint8_t *bytes = NULL;
		size_t len = 0;
		char *made = NULL;
		rc = cpuu_regtext_out_bytes(&bytes, &len, t->backup);
		if (!rc)
			rc = create_backup(&made, full, bytes, len, flags);
		const char *slash = made ? strrchr(made, '/') : NULL;
		const char *base = slash ? slash + 1 : made;
		if (!rc) {
			t->backup_made = 1;
			/* Gone again if the registry that would name it is not committed
			 * (the live registry names it at once: it stays). */
			if (!(cpuu_reg_capabilities(t->reg) & CPUU_REG_CAP_LIVE))
				rc = journal_add(t, UPD_ACT_WRITTEN, made, NULL);
		}
		if (!rc && strcmp(base, t->backup_file))
			rc = relabel_entries(t, base);
		free(made);
	}
	free(full);
	return rc;
}

void upd_txn_sweep(upd_txn *t)
{
	cpuu_strlist names = { 0 }, files = { 0 };
	DIR *d = t->owner && !upd_state_dir_check(t->state_dir) ? opendir(t->state_dir) : NULL;
	cpuu_error_clear();
	if (!d)
		return;
	int rc = upd_state_names(&names, t->reg, UPD_BACKUPS_KEY);
	for (size_t i = 0; !rc && i < names.count; i++) {
		char *entry = NULL;
		rc = upd_state_get(&entry, t->reg, UPD_BACKUPS_KEY, names.items[i]);
		char *bar = entry ? strchr(entry, '|') : NULL;
		if (bar)
			*bar = '\0';
		if (!rc && entry)
			rc = cpuu_strlist_add(&files, entry);
		free(entry);
	}
	/* A registry that cannot be read names what it names: nothing goes. */
	for (struct dirent *de; !rc && (de = readdir(d));) {
		if (!upd_backup_is_owners(de->d_name, t->owner))
			continue;
		int named = 0;
		for (size_t i = 0; i < files.count && !named; i++)
			named = !strcmp(files.items[i], de->d_name);
		if (!named && cpuu_file_unlink_beneath(t->state_dir, de->d_name))
			cpuu_error_clear(); /* left for the next run */
	}
	closedir(d);
	cpuu_error_clear();
	cpuu_strlist_free(&names);
	cpuu_strlist_free(&files);
}
/* The live registry (win32 backend, docs/windows.md) changes with every
 * call rather than at the commit: there the backup goes to disk each time it
 * grows, before the first change to what it covers. Hives get it once,
 * before their commit. */
static int backup_now_if_live(upd_txn *t)
{
	return cpuu_reg_capabilities(t->reg) & CPUU_REG_CAP_LIVE ? write_backup(t, 0) : CPUU_OK;
}

/* "a\\b\\c" -> the topmost key on the way that does not exist ("a\\b" when
 * only "a" exists), or path itself when it exists: creating the key creates
 * its missing ancestors too, and Rollback must remove them all. */
static char *topmost_missing(cpuu_reg *reg, const char *path, cpuu_reg_key **opened)
{
	char *top = cpuu_strdup(path);
	cpuu_reg_key *probe = NULL;
	if (opened)
		*opened = NULL;
	/* Mostly the key exists (a profile backed up before its change): then
	 * so do its ancestors, and one open answers (its key kept for the
	 * export when asked for). */
	if (top && cpuu_reg_key_open(&probe, reg, NULL, path) == CPUU_OK) {
		if (opened)
			*opened = probe;
		else
			cpuu_reg_key_free(probe);
		return top;
	}
	cpuu_error_clear();
	for (char *sep = top ? strchr(top, '\\') : NULL; sep; sep = strchr(sep + 1, '\\')) {
		*sep = '\0';
		int found = cpuu_reg_key_open(&probe, reg, NULL, top) == CPUU_OK;
		cpuu_reg_key_free(probe);
		probe = NULL;
		if (!found)
			break;
		*sep = '\\';
	}
	cpuu_error_clear();
	return top;
}

/* The subtree at top as .reg keys under UPD_ROOT_NAME; an absent key is one
 * [-key] (Rollback deletes it). Secure values masked. */
static int export_subtree(cpuu_regtext **out, cpuu_reg *reg, const char *top)
{
	char *prefix = cpuu_aprintf(UPD_ROOT_NAME "\\%s", top);
	cpuu_reg_key *k = NULL;
	int rc = prefix ? cpuu_reg_key_open(&k, reg, NULL, top) : cpuu_error_oom();
	*out = NULL;
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		cpuu_regtext *doc = calloc(1, sizeof *doc);
		if (!doc || !(doc->keys = calloc(1, sizeof *doc->keys))) {
			free(doc);
			rc = cpuu_error_oom();
		} else {
			doc->nkeys = 1;
			doc->keys[0].path = prefix;
			doc->keys[0].delete_key = 1;
			prefix = NULL;
			*out = doc;
			rc = CPUU_OK;
		}
	} else if (!rc && !(rc = cpuu_regtext_export(out, reg, k, prefix))) {
		upd_mask_secure(*out);
	}
	cpuu_reg_key_free(k);
	free(prefix);
	return rc;
}

static int mask_secret(void *ctx, const char *name, uint32_t type, const uint8_t *data, size_t len)
{
	(void)ctx;
	return upd_value_is_secret(name, type, data, len);
}

/* export_subtree's keys appended to the run's backup file as its bytes
 * (no document in between: the backup is only ever written). k: top's key
 * when the caller has it open already (taken over), else NULL. */
static int backup_subtree(upd_txn *t, const char *top, cpuu_reg_key *k)
{
	char *prefix = cpuu_aprintf(UPD_ROOT_NAME "\\%s", top);
	int rc = !prefix ? cpuu_error_oom() : k ? CPUU_OK : cpuu_reg_key_open(&k, t->reg, NULL, top);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		rc = cpuu_regtext_out_delete_key(t->backup, prefix);
	} else if (!rc) {
		rc = cpuu_regtext_out_export(t->backup, t->reg, k, prefix, mask_secret, NULL);
	}
	/* As export_subtree leaves it: a refusal to write is the file's, at its
	 * write; the masks' parse messages are no error. */
	if (!rc)
		cpuu_error_clear();
	cpuu_reg_key_free(k);
	free(prefix);
	return rc;
}

int upd_txn_backup_key(upd_txn *t, const char *entry_name, const char *path)
{
	char *existing = NULL;
	int rc = upd_state_get(&existing, t->reg, UPD_BACKUPS_KEY, entry_name);
	if (rc || existing) {
		free(existing);
		return rc;
	}
	for (size_t i = 0; i < t->backed_up.count; i++)
		if (!strcmp(t->backed_up.items[i], entry_name))
			return CPUU_OK;
	if ((rc = upd_txn_begin_change(t)))
		return rc;
	if (!t->backup_file) {
		/* Each time until the state folder is usable: no backup, no change. */
		if ((rc = upd_state_dir_check(t->state_dir)) || (rc = upd_mkdir(t->state_dir)) ||
		    (rc = upd_state_dir_check(t->state_dir)) || !(t->backup_file = upd_backup_file_name(t->owner)))
			return rc ? rc : cpuu_error_last()->code;
	}
	if (!t->backup && (rc = cpuu_regtext_out_new(&t->backup)))
		return rc;
	cpuu_reg_key *found = NULL;
	char *top = topmost_missing(t->reg, path, &found);
	char *entry = NULL;
	rc = top ? backup_subtree(t, top, found) : cpuu_error_oom();
	if (!rc)
		rc = backup_now_if_live(t);
	/* Named after the write: the live registry's first one fixes the name. */
	if (!rc && !(entry = cpuu_aprintf("%s|%s", t->backup_file, top)))
		rc = cpuu_error_oom();
	if (!rc)
		rc = upd_state_set(t->reg, UPD_BACKUPS_KEY, entry_name, entry);
	if (!rc)
		rc = cpuu_strlist_add(&t->backed_up, entry_name);
	if (rc)
		cpuu_error_prefix("backing up %s", path);
	free(entry);
	free(top);
	return rc;
}

int upd_txn_apply(upd_txn *t, const char *entry_name, const char *path, const cpuu_plan *plan)
{
	int rc = cpuu_plan_count(plan) ? upd_txn_begin_change(t) : CPUU_OK;
	if (!rc && entry_name)
		rc = upd_txn_backup_key(t, entry_name, path);
	return rc ? rc : cpuu_plan_apply(t->reg, plan);
}

/* --- the journal --- */

int upd_txn_cred_aside(upd_txn *t, const char *target)
{
	char *aside = cpuu_aprintf("%s%s", UPD_CRED_ASIDE_PREFIX, target);
	int rc = aside ? upd_state_set(t->reg, UPD_CREDENTIALS_KEY, target, aside) : cpuu_error_oom();
	free(aside);
	return rc ? rc : journal_add(t, UPD_ACT_CRED, target, NULL);
}

int upd_txn_move_aside(upd_txn *t, const char *record, const char *windows_path, const char *local)
{
	int rc = upd_txn_begin_change(t);
	if (!rc)
		rc = upd_state_set(t->reg, UPD_FILES_KEY, record, windows_path);
	return rc ? rc : journal_add(t, UPD_ACT_MOVE_ASIDE, local, NULL);
}

void upd_txn_resume(upd_txn *t)
{
	cpuu_strlist names = { 0 };
	if (!t->user_dir || upd_state_names(&names, t->reg, UPD_FILES_KEY)) {
		cpuu_error_clear();
		return;
	}
	for (size_t i = 0; i < names.count; i++) {
		if (!strncmp(names.items[i], "\\autocomplete|", 14))
			continue; /* a hand-over is done before the commit: nothing pending */
		char *text = NULL, *local = NULL, *aside = NULL;
		if (!upd_state_get(&text, t->reg, UPD_FILES_KEY, names.items[i]) && text &&
		    (local = upd_local_path(t->user_dir, text)) && (aside = cpuu_aprintf("%s.cpuu-old", local)) &&
		    upd_exists_in(t->user_dir, local) == 1 && upd_exists_in(t->user_dir, aside) == 0)
			(void)journal_add(t, UPD_ACT_MOVE_ASIDE, local, NULL);
		free(aside);
		free(local);
		free(text);
	}
	cpuu_error_clear();
	cpuu_strlist_free(&names);
}

/* Makes the folders of rel below the user folder (never above it, never
 * through a link). */
static int mkdirs_in_user_dir(const upd_txn *t, const char *rel)
{
	char *dir = cpuu_strdup(rel);
	int rc = dir ? CPUU_OK : cpuu_error_oom();
	for (char *c = dir; !rc && c && (c = strchr(c, '/')); c++) {
		*c = '\0';
		rc = cpuu_file_mkdir_beneath(t->user_dir, dir, 0700);
		if (rc == CPUU_EEXISTS) {
			cpuu_error_clear();
			rc = CPUU_OK;
		}
		*c = '/';
	}
	free(dir);
	return rc;
}

int upd_txn_write_file(upd_txn *t, const char *record_key, const char *record_name, const char *windows_path,
		       const char *local, const uint8_t *bytes, size_t len)
{
	size_t n = t->user_dir ? strlen(t->user_dir) : 0;
	if (!n || strncmp(local, t->user_dir, n) || local[n] != '/')
		return cpuu_error_set(CPUU_EINVALID, "%s: not inside the user folder", local);
	const char *rel = local + n + 1;
	int rc = upd_txn_begin_change(t);
	if (!rc)
		rc = mkdirs_in_user_dir(t, rel);
	int fd = -1;
	if (!rc)
		rc = cpuu_file_open_beneath(&fd, t->user_dir, rel, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		rc = journal_add(t, UPD_ACT_WRITTEN, local, NULL); /* a partial file goes too */
	for (size_t done = 0; !rc && done < len;) {
		ssize_t w = write(fd, bytes + done, len - done);
		if (w <= 0)
			rc = cpuu_error_set(CPUU_EIO, "%s: cannot write: %s", local, strerror(errno));
		else
			done += (size_t)w;
	}
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = cpuu_error_set(CPUU_EIO, "%s: cannot write: %s", local, strerror(errno));
	if (!rc)
		rc = upd_state_set(t->reg, record_key, record_name, windows_path);
	return rc;
}

/* "C|path" / "R|path|old" lines: a hand-over's change list as kept in the
 * hive for Rollback (paths never hold '|' or line breaks: Windows refuses
 * them in file names, and cpuu_autocomplete_undo checks every path). */
static char *changes_to_text(const cpuu_ac_changes *c)
{
	cpuu_buf b = { 0 };
	for (size_t i = 0; i < c->count; i++)
		if (c->items[i].action == CPUU_AC_FILE_CREATED)
			cpuu_buf_printf(&b, "C|%s\n", c->items[i].path);
		else
			cpuu_buf_printf(&b, "R|%s|%s\n", c->items[i].path, c->items[i].old_path);
	return cpuu_buf_detach(&b, NULL);
}

/* One "C|path" or "R|path|old" line into ch (line is cut in place). */
static int change_from_line(cpuu_ac_file_change *ch, char *line)
{
	memset(ch, 0, sizeof *ch);
	char *f1 = line[0] && line[1] == '|' ? line + 2 : NULL, *f2 = f1 ? strchr(f1, '|') : NULL;
	if (f2)
		*f2++ = '\0';
	if (f1 && line[0] == 'C' && !f2) {
		ch->action = CPUU_AC_FILE_CREATED;
		ch->path = cpuu_strdup(f1);
	} else if (f1 && line[0] == 'R' && f2) {
		ch->action = CPUU_AC_FILE_RENAMED;
		ch->path = cpuu_strdup(f1);
		ch->old_path = cpuu_strdup(f2);
	} else {
		return cpuu_error_set(CPUU_EINVALID, "autocomplete record: malformed line");
	}
	return CPUU_OK;
}

static int changes_from_text(cpuu_ac_changes *c, const char *text)
{
	size_t cap = 0;
	int rc = CPUU_OK;
	memset(c, 0, sizeof *c);
	for (const char *p = text; !rc && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = cpuu_strndup(p, n);
		cpuu_ac_file_change *g = line ? cpuu_array_reserve(c->items, &cap, c->count + 1, sizeof *g) : NULL;
		if (!g)
			rc = cpuu_error_oom();
		else if (!(rc = change_from_line(&(c->items = g)[c->count], line)))
			c->count++;
		free(line);
		p += n + (nl ? 1 : 0);
	}
	if (rc)
		cpuu_ac_changes_clear(c);
	return rc;
}

int upd_txn_hand_over(upd_txn *t, const char *record, cpuu_ac_changes *ch)
{
	char *text = changes_to_text(ch);
	/* Journaled first: whatever fails next, an uncommitted run undoes it. */
	int rc = journal_add(t, UPD_ACT_HANDOVER, NULL, ch);
	if (!rc && !text)
		rc = cpuu_error_oom();
	if (!rc)
		rc = upd_state_set(t->reg, UPD_FILES_KEY, record, text);
	free(text);
	return rc;
}

int upd_txn_unlink_after(upd_txn *t, const char *path)
{
	for (size_t i = 0; i < t->nactions; i++)
		if (t->actions[i].kind == UPD_ACT_UNLINK && !strcmp(t->actions[i].path, path))
			return CPUU_OK;
	return journal_add(t, UPD_ACT_UNLINK, path, NULL);
}

int upd_txn_retire_after(upd_txn *t, const char *file)
{
	for (size_t i = 0; i < t->nactions; i++)
		if (t->actions[i].kind == UPD_ACT_RETIRE && !strcmp(t->actions[i].path, file))
			return CPUU_OK;
	return journal_add(t, UPD_ACT_RETIRE, file, NULL);
}

int upd_txn_rmdir_after(upd_txn *t, const char *dir)
{
	return journal_add(t, UPD_ACT_RMDIR, dir, NULL);
}

int upd_txn_undo_record(upd_txn *t, const char *key, const char *name, int keep_files)
{
	/* Only Files and Prf records name a file; the other keys are markers. */
	int names_file = !strcmp(key, UPD_FILES_KEY) || !strcmp(key, UPD_PRF_KEY);
	char *text = NULL;
	int rc = upd_txn_begin_change(t);
	if (!rc && names_file && !keep_files && t->user_dir)
		rc = upd_state_get(&text, t->reg, key, name);
	if (!rc && text) {
		if (!strcmp(key, UPD_FILES_KEY) && !strncmp(name, "\\autocomplete|", 14)) {
			cpuu_ac_changes ch = { 0 };
			if (!(rc = changes_from_text(&ch, text)))
				rc = cpuu_autocomplete_undo(t->user_dir, &ch);
			cpuu_ac_changes_clear(&ch);
		} else {
			/* A Windows path the record names: a file written (the PRF
			 * route's .prf) goes, a file moved aside comes back. */
			char *local = upd_local_path(t->user_dir, text);
			char *aside = local ? cpuu_aprintf("%s.cpuu-old", local) : NULL;
			if (local && !strcmp(key, UPD_PRF_KEY)) {
				rc = upd_unlink_in(t->user_dir, local);
			} else if (aside && upd_rename_if(t->user_dir, aside, local) < 0) {
				rc = cpuu_error_last()->code;
			}
			free(aside);
			free(local);
		}
	}
	if (!rc)
		rc = upd_state_delete(t->reg, key, name);
	free(text);
	return rc;
}

/* --- the commit phases --- */

int upd_txn_commit(upd_txn *t, int dry_run, int batch, const char **stage)
{
	int rc = CPUU_OK;
	*stage = NULL;
	if (dry_run)
		return CPUU_OK;
	/* The backup must be on disk before the registry that points at it. */
	if (cpuu_regtext_out_keys(t->backup)) {
		rc = write_backup(t, batch ? CPUU_REGTEXT_NO_SYNC : 0);
		if (!rc && batch) {
			char *full = backup_path(t);
			rc = full ? journal_add(t, UPD_ACT_UNSYNCED, full, NULL) : cpuu_error_oom();
			free(full);
		}
		if (rc) {
			*stage = "backup failed";
			return rc;
		}
	}
	if (cpuu_reg_dirty(t->reg)) {
		cpuu_reg_commit_opts copts = { .no_backup = 1 };
		cpuu_fault("update:before-commit"); /* a kill point between backup and commit */
		rc = batch ? cpuu_reg_commit_prepare(t->reg, &copts) : cpuu_reg_commit(t->reg, &copts);
		if (!rc)
			t->prepared = batch;
	}
	return rc;
}

/* The backups written without sync, then their folder. */
static int sync_backups(const upd_txn *t)
{
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && i < t->nactions; i++)
		if (t->actions[i].kind == UPD_ACT_UNSYNCED && !(rc = cpuu_sync_path(t->actions[i].path)))
			rc = cpuu_sync_path(t->state_dir);
	return rc;
}

#ifndef _WIN32
typedef struct backup_sync {
	const upd_txn *t;
	int rc;
	char message[1024];
} backup_sync;

static void *sync_backups_thread(void *arg)
{
	backup_sync *b = arg;
	if ((b->rc = sync_backups(b->t)))
		snprintf(b->message, sizeof b->message, "%s", cpuu_error_last()->message);
	return NULL;
}
#endif

/* Both the backup and the new hive must be on disk before the rename that
 * puts the hive in place (upd_txn_finish); the order between the two does
 * not matter. Their fsyncs each wait for the device, so they run at once:
 * the backup's in a thread, the hive's here, and the flush ends when both
 * are done (one failure fails it, as before). */
int upd_txn_flush(upd_txn *t)
{
	int rc = CPUU_OK;
#ifndef _WIN32
	int threaded = 0;
	pthread_t th;
	backup_sync b = { t, CPUU_OK, "" };
	for (size_t i = 0; t->prepared && !threaded && i < t->nactions; i++)
		if (t->actions[i].kind == UPD_ACT_UNSYNCED)
			threaded = pthread_create(&th, NULL, sync_backups_thread, &b) == 0;
	if (!threaded)
		rc = sync_backups(t);
	if (!rc && t->prepared)
		rc = cpuu_reg_commit_flush(t->reg);
	if (threaded) {
		pthread_join(th, NULL);
		if (b.rc && !rc)
			rc = cpuu_error_set(b.rc, "%s", b.message);
	}
#else
	rc = sync_backups(t);
	if (!rc && t->prepared)
		rc = cpuu_reg_commit_flush(t->reg);
#endif
	if (rc && t->prepared) {
		cpuu_reg_commit_abort(t->reg);
		t->prepared = 0;
	}
	return rc;
}

int upd_txn_finish(upd_txn *t)
{
	if (!t->prepared)
		return CPUU_OK;
	t->prepared = 0;
	int rc = cpuu_reg_commit_finish(t->reg);
	t->renamed = !rc;
	return rc;
}

/* --- what each kind of record does: after a durable commit, and instead
 * of it (nothing committed). NULL: nothing. --- */
typedef void (*after_fn)(const upd_txn *t, const upd_action *a, upd_txn_report report, void *ctx);
typedef void (*undo_fn)(const upd_txn *t, const upd_action *a);

/* Old files go aside only once the committed profile points elsewhere. */
static void move_aside(const upd_txn *t, const upd_action *a, upd_txn_report report, void *ctx)
{
	(void)t;
	char *to = cpuu_aprintf("%s.cpuu-old", a->path);
	if (!to || upd_rename_if(t->user_dir, a->path, to) < 0)
		report(ctx, to ? cpuu_error_last()->message : "out of memory");
	free(to);
}

/* Backups go only once the registry no longer points at them. */
static void remove_file(const upd_txn *t, const upd_action *a, upd_txn_report report, void *ctx)
{
	if (upd_unlink_in(t->state_dir, a->path))
		report(ctx, "could not remove a backup file");
}

/* "backup-X" -> "retired-X" beside it, never over a file (a retired
 * backup is kept for Cleanup, which removes it). */
static void retire(const upd_txn *t, const upd_action *a, upd_txn_report report, void *ctx)
{
	/* An older cpuu's backup (no owner tag) retires under this owner's
	 * tagged name, so this owner's Cleanup finds it like any other. */
	char *tagged = upd_backup_is_legacy(a->path) ? upd_backup_file_name(t->owner) : NULL;
	const char *from = tagged ? tagged : a->path;
	const char *rest = !strncmp(from, "backup-", 7) ? from + 7 : from;
	int rc = CPUU_EEXISTS;
	/* A backup of the same second retired before: the next free ".N". */
	for (unsigned i = 0; rc == CPUU_EEXISTS && i < 1000; i++) {
		char *to = i ? cpuu_aprintf("retired-%s.%u", rest, i) : cpuu_aprintf("retired-%s", rest);
		rc = to ? cpuu_file_rename_beneath(t->state_dir, a->path, to, CPUU_FILE_NOREPLACE) : cpuu_error_oom();
		free(to);
	}
	free(tagged);
	if (rc)
		report(ctx, cpuu_error_last()->message);
}

static void remove_empty_dir(const upd_txn *t, const upd_action *a, upd_txn_report report, void *ctx)
{
	(void)t;
	(void)report;
	(void)ctx;
	rmdir(a->path); /* only succeeds when empty, which is what we want */
}

/* A file this run wrote: in the user folder (the PRF route's) or the
 * state folder (the backup). */
static void unwrite(const upd_txn *t, const upd_action *a)
{
	size_t n = t->user_dir ? strlen(t->user_dir) : 0;
	int in_user = n && !strncmp(a->path, t->user_dir, n) && a->path[n] == '/';
	if (upd_unlink_in(in_user ? t->user_dir : t->state_dir, a->path))
		cpuu_error_clear(); /* the next run's sweep removes a backup left */
}

static void take_back(const upd_txn *t, const upd_action *a)
{
	cpuu_autocomplete_undo(t->user_dir, &a->handed);
}

/* Credentials go aside only once the hive records where they went. */
static void cred_aside(const upd_txn *t, const upd_action *a, upd_txn_report report, void *ctx)
{
	(void)t;
	if (upd_cred_aside(a->path) < 0)
		report(ctx, cpuu_error_last()->message);
}

static const struct {
	after_fn after;
	undo_fn undo;
} kinds[] = {
	[UPD_ACT_MOVE_ASIDE] = { move_aside, NULL },
	[UPD_ACT_WRITTEN] = { NULL, unwrite },
	[UPD_ACT_HANDOVER] = { NULL, take_back },
	[UPD_ACT_UNLINK] = { remove_file, NULL },
	[UPD_ACT_RMDIR] = { remove_empty_dir, NULL },
	[UPD_ACT_UNSYNCED] = { NULL, NULL }, /* synced by upd_txn_flush */
	[UPD_ACT_CRED] = { cred_aside, NULL },
	[UPD_ACT_RETIRE] = { retire, NULL },
};

void upd_txn_complete(upd_txn *t, int committed, upd_txn_report report, void *ctx)
{
	/* Forward after a commit; undone newest first, as a stack. */
	for (size_t i = 0; i < t->nactions; i++) {
		const upd_action *a = &t->actions[committed ? i : t->nactions - 1 - i];
		if (committed && kinds[a->kind].after)
			kinds[a->kind].after(t, a, report, ctx);
		else if (!committed && kinds[a->kind].undo)
			kinds[a->kind].undo(t, a);
	}
}

/* --- savepoints --- */

int upd_txn_mark_set(upd_txn *t, upd_txn_mark *m, const char *const *paths, size_t n)
{
	memset(m, 0, sizeof *m);
	m->nactions = t->nactions;
	m->nbacked_up = t->backed_up.count;
	m->nbackup_keys = cpuu_regtext_out_keys(t->backup);
	if (!(m->before = calloc(n ? n : 1, sizeof *m->before)))
		return cpuu_error_oom();
	for (size_t i = 0; i < n; i++) {
		char *top = topmost_missing(t->reg, paths[i], NULL);
		int rc = top ? cpuu_strlist_add(&m->tops, top) : cpuu_error_oom();
		if (!rc)
			rc = export_subtree(&m->before[i], t->reg, top);
		free(top);
		if (rc) {
			upd_txn_mark_clear(m);
			return rc;
		}
	}
	return CPUU_OK;
}

int upd_txn_mark_undo(upd_txn *t, upd_txn_mark *m)
{
	int rc = CPUU_OK;
	for (size_t i = 0; !rc && i < m->tops.count; i++) {
		size_t changes = 0;
		rc = upd_restore_subtree(t->reg, m->before[i], m->tops.items[i], &changes);
	}
	while (t->nactions > m->nactions) {
		upd_action *a = &t->actions[--t->nactions];
		if (kinds[a->kind].undo)
			kinds[a->kind].undo(t, a);
		action_free(a);
	}
	while (t->backed_up.count > m->nbacked_up)
		free(t->backed_up.items[--t->backed_up.count]);
	cpuu_regtext_out_truncate(t->backup, m->nbackup_keys);
	return rc;
}

void upd_txn_mark_clear(upd_txn_mark *m)
{
	for (size_t i = 0; m->before && i < m->tops.count; i++)
		cpuu_regtext_free(m->before[i]);
	free(m->before);
	cpuu_strlist_free(&m->tops);
	memset(m, 0, sizeof *m);
}
