/* The policy, the same on every platform: find, confirm, ask, wait, end. */
#include "procstop/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cpuu_strlist *cpuu_procstop_default_names(void)
{
	static char *names[] = { "OUTLOOK.EXE", "lync.exe", "communicator.exe", "UcMapi.exe", "MAPISP32.EXE",
				 "fixmapi.exe", "scanpst.exe" };
	static const cpuu_strlist list = { names, sizeof names / sizeof names[0] };
	return &list;
}

void cpuu_procstop_result_clear(cpuu_procstop_result *r)
{
	cpuu_strlist_free(&r->running);
	memset(r, 0, sizeof *r);
}

static int wanted(const cpuu_strlist *names, const char *name)
{
	for (size_t i = 0; i < names->count; i++)
		if (!cpuu_strcasecmp_ascii(names->items[i], name))
			return 1;
	return 0;
}

int cpuu_procstop_run(cpuu_procstop_result *out, const cpuu_strlist *names, unsigned grace_ms,
		      cpuu_procstop_confirm confirm, void *ctx)
{
	memset(out, 0, sizeof *out);
	if (!names)
		names = cpuu_procstop_default_names();
	ps_proc *procs = NULL;
	size_t n = 0;
	int rc = ps_list(&procs, &n);
	if (rc)
		return rc;
	size_t found = 0;
	for (size_t i = 0; i < n; i++) {
		if (!wanted(names, procs[i].name)) {
			procs[i].pid = 0; /* not ours to touch */
			continue;
		}
		char label[300];
		snprintf(label, sizeof label, "%s (%lu)", procs[i].name, (unsigned long)procs[i].pid);
		if ((rc = cpuu_strlist_add(&out->running, label)))
			goto done;
		found++;
	}
	if (!found)
		goto done;
	if (confirm && !confirm(ctx, &out->running)) {
		rc = cpuu_error_set(CPUU_EABORTED, "the user chose not to close %s", out->running.items[0]);
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (procs[i].pid)
			ps_ask(&procs[i]);
	/* Wait for the polite requests, checking every 100 ms. */
	for (unsigned waited = 0;; waited += 100) {
		int left = 0;
		for (size_t i = 0; i < n; i++)
			if (procs[i].pid && !procs[i].gone && !(procs[i].gone = !ps_alive(&procs[i])))
				left = 1;
		if (!left || waited >= grace_ms)
			break;
		ps_sleep_ms(100);
	}
	for (size_t i = 0; i < n; i++) {
		if (!procs[i].pid)
			continue;
		if (procs[i].gone) {
			out->closed++;
			continue;
		}
		ps_end(&procs[i]);
		int ended = 0;
		for (int t = 0; t < 50 && !ended; t++) {
			ended = !ps_alive(&procs[i]);
			if (!ended)
				ps_sleep_ms(20);
		}
		if (ended)
			out->killed++;
		else
			out->survived++;
	}
	if (out->survived)
		rc = cpuu_error_set(CPUU_ERROR, "%zu MAPI client process(es) could not be ended", out->survived);
done:
	ps_free(procs, n);
	return rc;
}
