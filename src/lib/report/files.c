/* The result files of one ingest: what the folder walk found (with the
 * walk's own stat, so a file is not stat'ed again) and what the store knows
 * of every file it has read (one query per ingest command, then a binary
 * search per file). */
#include "report/internal.h"

#include <stdlib.h>
#include <string.h>

int report_file_list_add(report_file_list *l, const char *path, const report_file_seen *seen)
{
	report_file *p = cpuu_array_reserve(l->items, &l->cap, l->count + 1, sizeof *p);
	if (!p)
		return cpuu_error_oom();
	l->items = p;
	char *copy = cpuu_strdup(path);
	if (!copy)
		return cpuu_error_oom();
	l->items[l->count++] = (report_file){ copy, *seen };
	return CPUU_OK;
}

void report_file_list_free(report_file_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].path);
	free(l->items);
	*l = (report_file_list){ 0 };
}

static int64_t num(const char *v)
{
	return v ? strtoll(v, NULL, 10) : 0;
}

static int fill_known(void *item, const report_rows *l, const char *const *v)
{
	(void)l;
	if (!v[0])
		return cpuu_error_set(CPUU_EIO, "report store: a file row without a path");
	char *path = cpuu_strdup(v[0]);
	if (!path)
		return cpuu_error_oom();
	*(report_file *)item = (report_file){ path, { num(v[1]), num(v[2]), num(v[3]), num(v[4]), num(v[5]) } };
	return CPUU_OK;
}

static void clear_known(void *item)
{
	free(((report_file *)item)->path);
}

static const report_row_shape known_rows = { sizeof(report_file), 6, fill_known, clear_known };

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const report_file *)a)->path, ((const report_file *)b)->path);
}

int report_known_load(report_file_list *out, cpuu_report *rep)
{
	report_rows rows;
	int rc = report_rows_query(&rows, rep, &known_rows,
				   "SELECT path, mtime, size, consumed, lines, head FROM report_files");
	if (rc) {
		report_rows_free(&rows);
		*out = (report_file_list){ 0 };
		return rc;
	}
	*out = (report_file_list){ rows.items, rows.count, rows.cap };
	if (out->count)
		qsort(out->items, out->count, sizeof *out->items, cmp_file);
	return CPUU_OK;
}

const report_file_seen *report_known_find(const report_file_list *known, const char *path)
{
	report_file key = { (char *)path, { 0 } };
	const report_file *f =
		known->count ? bsearch(&key, known->items, known->count, sizeof *known->items, cmp_file) : NULL;
	return f ? &f->seen : NULL;
}

/* One sorted pass: a path in both takes what was just read; fresh is
 * emptied (its paths move into known). */
int report_known_merge(report_file_list *known, report_file_list *fresh)
{
	if (!fresh->count)
		return CPUU_OK;
	qsort(fresh->items, fresh->count, sizeof *fresh->items, cmp_file);
	size_t n = known->count + fresh->count;
	report_file *all = n <= SIZE_MAX / sizeof *all ? malloc(n * sizeof *all) : NULL;
	if (!all)
		return cpuu_error_oom();
	size_t i = 0, j = 0, k = 0;
	while (i < known->count || j < fresh->count) {
		int c = i == known->count ? 1 : j == fresh->count ? -1 : cmp_file(&known->items[i], &fresh->items[j]);
		if (c == 0)
			free(known->items[i++].path);
		all[k++] = c < 0 ? known->items[i++] : fresh->items[j++];
	}
	free(known->items);
	free(fresh->items);
	*known = (report_file_list){ all, k, n };
	*fresh = (report_file_list){ 0 };
	return CPUU_OK;
}
