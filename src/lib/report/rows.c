/* The rows of a store query into an array of items, one shape per kind of
 * item (summary.c, store.c): every list checks a row's width, grows by one
 * item and fills it the same way, so the check and the growth live here
 * once and each kind keeps only its conversion. */
#include "report/internal.h"

#include <stdlib.h>

static int rows_row(void *ctx, int ncol, const char *const *v)
{
	report_rows *l = ctx;
	if (ncol < l->shape->min_cols)
		return cpuu_error_set(CPUU_EIO, "report store: unexpected row shape");
	char *p = cpuu_array_reserve(l->items, &l->cap, l->count + 1, l->shape->item_size);
	if (!p)
		return cpuu_error_oom();
	l->items = p;
	int rc = l->shape->fill(p + l->count * l->shape->item_size, l, v);
	if (!rc)
		l->count++;
	return rc;
}

int report_rows_query(report_rows *out, cpuu_report *rep, const report_row_shape *shape, const char *sql)
{
	*out = (report_rows){ shape, NULL, 0, 0 };
	return rep->be->query(rep, sql, rows_row, out);
}

void report_rows_free(report_rows *l)
{
	if (l->shape->clear)
		for (size_t i = 0; i < l->count; i++)
			l->shape->clear((char *)l->items + i * l->shape->item_size);
	free(l->items);
	*l = (report_rows){ l->shape, NULL, 0, 0 };
}
