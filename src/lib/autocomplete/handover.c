/* Offline hand-over of a rewritten autocomplete cache to Outlook as
 * <profile>.nk2 (docs/autocomplete.md "Hand-over"), and its undo. Paths from
 * profiles are data: the profile name must be a plain file name, nothing is
 * followed through links, and nothing is written outside the user folder. */
#include "autocomplete/internal.h"

#include <stdlib.h>
#include <string.h>

#define ROAM_REL "AppData/Roaming/Microsoft/Outlook"
#define CACHE_REL "AppData/Local/Microsoft/Outlook/RoamCache"
#define ASIDE_SUFFIX ".cpuu-old"
#define MAX_STREAM_BYTES (64u * 1024 * 1024)
#define TAG_WEIGHT 0x60040003u

static int plain_name(const char *name)
{
	size_t n = strlen(name);
	if (!n || n > 200 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || strchr("/\\:*?\"<>|", *c))
			return 0;
	/* Windows drops trailing dots and spaces: "x." would name another file. */
	return name[n - 1] != '.' && name[n - 1] != ' ';
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !cpuu_strcasecmp_ascii(s + n - m, suffix);
}

static int starts_with_ci(const char *s, const char *prefix)
{
	size_t m = strlen(prefix);
	if (strlen(s) < m)
		return 0;
	char *head = cpuu_strndup(s, m);
	int r = head && !cpuu_strcasecmp_ascii(head, prefix);
	free(head);
	return r;
}

/* 1 when every folder of rel exists (and none is a link), 0 when one is missing. */
static int folder_chain(const char *user_dir, const char *rel)
{
	char *r = cpuu_strdup(rel);
	if (!r)
		return cpuu_error_oom();
	int rc = 1;
	for (char *c = r;; c++) {
		if (*c != '/' && *c)
			continue;
		char save = *c;
		*c = '\0';
		rc = ac_fs_is_dir(user_dir, r);
		*c = save;
		if (rc <= 0 || !save)
			break;
	}
	free(r);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct source {
	char *rel;
	cpuu_autocomplete *ac;
} source;

typedef struct sources {
	source *items;
	size_t count;
} sources;

static void sources_free(sources *s)
{
	for (size_t i = 0; i < s->count; i++) {
		free(s->items[i].rel);
		cpuu_autocomplete_free(s->items[i].ac);
	}
	free(s->items);
	memset(s, 0, sizeof *s);
}

static int load_source(sources *s, const char *user_dir, const char *rel)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = ac_fs_is_file(user_dir, rel);
	if (rc == 0)
		rc = cpuu_error_set(CPUU_ENOTFOUND, "%s/%s: not found", user_dir, rel);
	if (rc > 0)
		rc = ac_fs_read(&data, &len, user_dir, rel, MAX_STREAM_BYTES);
	cpuu_autocomplete *ac = NULL;
	if (rc >= 0 && (rc = cpuu_autocomplete_parse(&ac, data, len)) < 0)
		cpuu_error_prefix("%s", rel);
	free(data);
	if (rc < 0)
		return rc;
	source *n = cpuu_array_reserve(s->items, NULL, s->count + 1, sizeof *n);
	char *r = cpuu_strdup(rel);
	if (!n || !r) {
		if (n)
			s->items = n;
		free(r);
		cpuu_autocomplete_free(ac);
		return cpuu_error_oom();
	}
	s->items = n;
	s->items[s->count].rel = r;
	s->items[s->count++].ac = ac;
	return CPUU_OK;
}

/* Names in a folder that match, in byte order (deterministic merges). */
static int matching_names(ac_dirent_list *out, const char *user_dir, const char *rel, const char *prefix,
			  const char *suffix, const char *exact)
{
	memset(out, 0, sizeof *out);
	ac_dirent_list all;
	int rc = ac_fs_list(&all, user_dir, rel);
	if (rc < 0)
		return rc;
	size_t keep = 0;
	for (size_t i = 0; i < all.count; i++) {
		const char *n = all.names[i];
		int ok = exact ? !cpuu_strcasecmp_ascii(n, exact)
			       : starts_with_ci(n, prefix) && ends_with_ci(n, suffix);
		if (ok)
			all.names[keep++] = all.names[i];
		else
			free(all.names[i]);
	}
	all.count = keep;
	if (keep > 1)
		qsort(all.names, keep, sizeof *all.names, cmp_str);
	*out = all;
	return CPUU_OK;
}

void cpuu_ac_changes_clear(cpuu_ac_changes *changes)
{
	if (!changes)
		return;
	for (size_t i = 0; i < changes->count; i++) {
		free(changes->items[i].path);
		free(changes->items[i].old_path);
	}
	free(changes->items);
	changes->items = NULL;
	changes->count = 0;
}

static int changes_add(cpuu_ac_changes *c, cpuu_ac_file_action action, const char *path, const char *old_path)
{
	cpuu_ac_file_change *n = cpuu_array_reserve(c->items, NULL, c->count + 1, sizeof *n);
	if (!n)
		return cpuu_error_oom();
	c->items = n;
	cpuu_ac_file_change *ch = &c->items[c->count];
	ch->action = action;
	ch->path = cpuu_strdup(path);
	ch->old_path = old_path ? cpuu_strdup(old_path) : NULL;
	if (!ch->path || (old_path && !ch->old_path)) {
		free(ch->path);
		free(ch->old_path);
		return cpuu_error_oom();
	}
	c->count++;
	return CPUU_OK;
}

/* --- merging several caches -------------------------------------------- */

typedef struct mrow {
	const cpuu_ac_row *row;
	int64_t weight;
	size_t order;
	uint64_t hash;
} mrow;

static uint64_t row_hash(const cpuu_ac_row *r)
{
	uint64_t h = CPUU_HASH_INIT;
	for (size_t i = 0; i < r->count; i++) {
		const cpuu_ac_prop *p = &r->props[i];
		uint8_t hd[8];
		cpuu_put_le32(hd, p->tag);
		cpuu_put_le32(hd + 4, p->reserved);
		h = cpuu_hash_bytes(h, hd, 8);
		h = cpuu_hash_bytes(h, p->value, 8);
		h = cpuu_hash_bytes(h, p->data, p->data_len);
	}
	return h;
}

static int row_equal(const cpuu_ac_row *a, const cpuu_ac_row *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++) {
		const cpuu_ac_prop *x = &a->props[i], *y = &b->props[i];
		if (x->tag != y->tag || x->reserved != y->reserved || memcmp(x->value, y->value, 8) ||
		    x->data_len != y->data_len || (x->data_len && memcmp(x->data, y->data, x->data_len)))
			return 0;
	}
	return 1;
}

static int by_hash(const void *a, const void *b)
{
	const mrow *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Descending weight, then original order (a stable sort). */
static int by_weight(const void *a, const void *b)
{
	const mrow *x = a, *y = b;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int merge(cpuu_ac_row **rows, size_t *nrows, size_t *dups, const sources *s)
{
	size_t total = 0;
	for (size_t i = 0; i < s->count; i++)
		total += s->items[i].ac->row_count;
	*rows = NULL;
	*nrows = 0;
	*dups = 0;
	if (!total)
		return CPUU_OK;
	mrow *m = calloc(total, sizeof *m);
	if (!m)
		return cpuu_error_oom();
	size_t k = 0;
	for (size_t i = 0; i < s->count; i++) {
		for (size_t r = 0; r < s->items[i].ac->row_count; r++, k++) {
			const cpuu_ac_row *row = &s->items[i].ac->rows[r];
			const cpuu_ac_prop *w = cpuu_ac_row_find(row, TAG_WEIGHT);
			m[k].row = row;
			m[k].weight = w ? (int32_t)cpuu_le32(w->value) : 0;
			m[k].order = k;
			m[k].hash = row_hash(row);
		}
	}
	/* Byte-identical rows once: the first one seen stays. */
	qsort(m, total, sizeof *m, by_hash);
	size_t keep = 0;
	for (size_t i = 0; i < total; i++) {
		size_t j = keep;
		int dup = 0;
		while (j > 0 && m[j - 1].hash == m[i].hash) {
			if (row_equal(m[j - 1].row, m[i].row)) {
				dup = 1;
				break;
			}
			j--;
		}
		if (dup)
			(*dups)++;
		else
			m[keep++] = m[i];
	}
	qsort(m, keep, sizeof *m, by_weight);
	cpuu_ac_row *out = malloc(keep * sizeof *out);
	if (!out) {
		free(m);
		return cpuu_error_oom();
	}
	for (size_t i = 0; i < keep; i++)
		out[i] = *m[i].row; /* shallow: the sources own the properties */
	free(m);
	*rows = out;
	*nrows = keep;
	return CPUU_OK;
}

/* --- hand-over ------------------------------------------------------------ */

static int put_in_place(cpuu_ac_changes *changes, const char *user_dir, const char *profile, const char *existing,
			const uint8_t *data, size_t len)
{
	char *final_rel = cpuu_aprintf(ROAM_REL "/%s.nk2", profile);
	char *old_rel = existing ? cpuu_aprintf(ROAM_REL "/%s", existing) : NULL;
	char *aside_rel = existing ? cpuu_aprintf(ROAM_REL "/%s" ASIDE_SUFFIX, existing) : NULL;
	char *tmp = NULL;
	int rc = CPUU_OK, renamed = 0;
	if (!final_rel || (existing && (!old_rel || !aside_rel))) {
		rc = cpuu_error_oom();
		goto out;
	}
	if (existing) {
		int st = ac_fs_is_file(user_dir, aside_rel);
		if (st != 0) {
			rc = st < 0 ? st
				    : cpuu_error_set(CPUU_EEXISTS,
						     "%s/%s already exists: an earlier hand-over was not imported or "
						     "undone yet", user_dir, aside_rel);
			goto out;
		}
	}
	/* A test swaps a link into the user folder here (CPUU_FAULT=...:run). */
	cpuu_fault("autocomplete:before-write");
	if ((rc = ac_fs_write_temp(&tmp, user_dir, final_rel, data, len)) < 0)
		goto out;
	if (existing) {
		if ((rc = ac_fs_rename(user_dir, old_rel, aside_rel, CPUU_FILE_NOREPLACE)) < 0)
			goto out;
		renamed = 1;
	}
	if ((rc = ac_fs_rename(user_dir, tmp, final_rel, 0)) < 0)
		goto out;
	free(tmp);
	tmp = NULL;
	ac_fs_sync_dir(user_dir, ROAM_REL);
	if (existing && (rc = changes_add(changes, CPUU_AC_FILE_RENAMED, aside_rel, old_rel)) < 0)
		goto out;
	rc = changes_add(changes, CPUU_AC_FILE_CREATED, final_rel, NULL);
out:
	if (rc < 0 && tmp) {
		ac_fs_unlink(user_dir, tmp);
		if (renamed)
			ac_fs_rename(user_dir, aside_rel, old_rel, CPUU_FILE_NOREPLACE);
	}
	free(tmp);
	free(final_rel);
	free(old_rel);
	free(aside_rel);
	return rc;
}

static void add_stats(cpuu_ac_stats *t, const cpuu_ac_stats *s)
{
	t->rows += s->rows;
	t->rewritten += s->rewritten;
	t->unchanged += s->unchanged;
	t->not_switched += s->not_switched;
	t->unmatched += s->unmatched;
	t->ambiguous += s->ambiguous;
	t->kept_whole += s->kept_whole;
}

int cpuu_autocomplete_handover(cpuu_ac_changes *changes, cpuu_ac_stats *stats, const char *user_dir,
			       const char *profile_name, const cpuu_match_source *src)
{
	cpuu_ac_stats total = { 0 };
	if (stats)
		*stats = total;
	memset(changes, 0, sizeof *changes);
	if (!user_dir || !*user_dir || !src || !src->lookup)
		return cpuu_error_set(CPUU_EINVALID, "autocomplete hand-over: no user folder or lookup");
	if (!profile_name || !plain_name(profile_name))
		return cpuu_error_set(CPUU_EINVALID,
				      "autocomplete hand-over: profile name \"%s\" is not a plain file name",
				      profile_name ? profile_name : "");
	sources s = { 0 };
	ac_dirent_list names = { 0 };
	char *existing = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0;
	cpuu_ac_row *merged = NULL;
	int rc;

	/* 1. Every cached stream of the user (which one belongs to which
	 *    profile is not documented: all of them are merged). */
	int have_cache = rc = folder_chain(user_dir, CACHE_REL);
	if (rc < 0)
		goto out;
	if (have_cache) {
		if ((rc = matching_names(&names, user_dir, CACHE_REL, "Stream_Autocomplete_", ".dat", NULL)) < 0)
			goto out;
		for (size_t i = 0; i < names.count && rc >= 0; i++) {
			char *rel = cpuu_aprintf(CACHE_REL "/%s", names.names[i]);
			rc = rel ? load_source(&s, user_dir, rel) : cpuu_error_oom();
			free(rel);
		}
		ac_fs_list_free(&names);
		if (rc < 0)
			goto out;
	}
	/* 2. A <profile>.nk2 not imported yet. */
	int have_roam = rc = folder_chain(user_dir, ROAM_REL);
	if (rc < 0)
		goto out;
	if (have_roam) {
		char *want = cpuu_aprintf("%s.nk2", profile_name);
		if (!want) {
			rc = cpuu_error_oom();
			goto out;
		}
		rc = matching_names(&names, user_dir, ROAM_REL, NULL, NULL, want);
		free(want);
		if (rc < 0)
			goto out;
		if (names.count > 1) {
			rc = cpuu_error_set(CPUU_EAMBIGUOUS, "%s: %zu files named %s.nk2 in different case", ROAM_REL,
					    names.count, profile_name);
			goto out;
		}
		if (names.count == 1) {
			existing = names.names[0];
			names.names[0] = NULL;
			char *rel = cpuu_aprintf(ROAM_REL "/%s", existing);
			rc = rel ? load_source(&s, user_dir, rel) : cpuu_error_oom();
			free(rel);
			if (rc < 0)
				goto out;
		}
		ac_fs_list_free(&names);
	}
	total.sources = s.count;
	if (!s.count) {
		rc = CPUU_OK;
		goto out;
	}
	/* 3. Rewrite each. */
	for (size_t i = 0; i < s.count; i++) {
		cpuu_ac_stats one;
		if ((rc = cpuu_autocomplete_rewrite(&one, s.items[i].ac, src)) < 0) {
			cpuu_error_prefix("%s", s.items[i].rel);
			goto out;
		}
		add_stats(&total, &one);
	}
	if (!total.rewritten) {
		rc = CPUU_OK; /* nothing points at a switched recipient: nothing to hand over */
		goto out;
	}
	if (!have_roam) {
		rc = cpuu_error_set(CPUU_ENOTFOUND, "%s: folder missing in %s", ROAM_REL, user_dir);
		goto out;
	}
	/* 4. One stream, written as an .nk2 (10/1: what Outlook 2003/2007 wrote
	 *    and /importnk2 reads). */
	cpuu_autocomplete nk2 = *s.items[0].ac;
	if (s.count > 1) {
		size_t n = 0;
		if ((rc = merge(&merged, &n, &total.duplicates, &s)) < 0)
			goto out;
		nk2.rows = merged;
		nk2.row_count = n;
		nk2.trailing = NULL;
		nk2.trailing_len = 0;
	}
	nk2.major = CPUU_AC_NK2_MAJOR;
	nk2.minor = CPUU_AC_NK2_MINOR;
	if ((rc = cpuu_autocomplete_write(&out, &out_len, &nk2)) < 0)
		goto out;
	rc = put_in_place(changes, user_dir, profile_name, existing, out, out_len);
out:
	if (rc >= 0 && stats)
		*stats = total;
	free(merged);
	free(out);
	free(existing);
	ac_fs_list_free(&names);
	sources_free(&s);
	return rc < 0 ? rc : CPUU_OK;
}

/* A path from a change list: "AppData/Roaming/Microsoft/Outlook/<plain name>". */
static int undo_path_ok(const char *rel)
{
	size_t n = strlen(ROAM_REL);
	return rel && !strncmp(rel, ROAM_REL "/", n + 1) && plain_name(rel + n + 1);
}

int cpuu_autocomplete_undo(const char *user_dir, const cpuu_ac_changes *changes)
{
	if (!user_dir || !changes)
		return cpuu_error_set(CPUU_EINVALID, "autocomplete undo: no user folder or change list");
	for (size_t i = 0; i < changes->count; i++) {
		const cpuu_ac_file_change *c = &changes->items[i];
		if ((c->action != CPUU_AC_FILE_CREATED && c->action != CPUU_AC_FILE_RENAMED) ||
		    !undo_path_ok(c->path) || (c->action == CPUU_AC_FILE_RENAMED && !undo_path_ok(c->old_path)))
			return cpuu_error_set(CPUU_EINVALID, "autocomplete undo: change %zu (%s) is not one cpuu makes",
					      i, c->path ? c->path : "(no path)");
	}
	int rc = folder_chain(user_dir, ROAM_REL);
	if (rc <= 0)
		return rc < 0 ? rc : CPUU_OK; /* no folder: nothing of ours is there */
	for (size_t i = changes->count; i-- > 0;) {
		const cpuu_ac_file_change *c = &changes->items[i];
		rc = ac_fs_is_file(user_dir, c->path);
		if (rc > 0 && c->action == CPUU_AC_FILE_CREATED) {
			rc = ac_fs_unlink(user_dir, c->path);
		} else if (rc > 0) {
			int there = ac_fs_is_file(user_dir, c->old_path);
			if (there < 0)
				rc = there;
			else if (there)
				rc = cpuu_error_set(CPUU_EEXISTS, "cannot rename %s/%s back: %s exists", user_dir, c->path,
						    c->old_path);
			else
				rc = ac_fs_rename(user_dir, c->path, c->old_path, CPUU_FILE_NOREPLACE);
		}
		if (rc < 0)
			return rc;
	}
	ac_fs_sync_dir(user_dir, ROAM_REL);
	return CPUU_OK;
}
