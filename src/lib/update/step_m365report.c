/* Steps "authhealth" ([Features] AuthHealth) and "m365detect" ([Features]
 * M365Detect; docs/m365.md): report-only. cpuu reads, records and changes
 * nothing here, so each record is nothing_to_do (no exit bit) with what was
 * found in its message:
 *   authhealth   values that disable WAM (DisableADALatopWAMOverride,
 *                DisableAADWAM), EnableADAL = 0, AlwaysUseMSOAuthForAutoDiscover
 *                — Microsoft says keep WAM on; cpuu never sets them;
 *   new-outlook  UseNewOutlook (New Outlook keeps no MAPI profile);
 *   onedrive:<account>, teams  accounts signed in, flagged when their e-mail
 *                domain is the source's (their switch is not cpuu's). */
#include "update/internal.h"
#include "cpuu/m365.h"

#include <stdlib.h>
#include <string.h>

static int read_state(cpuu_m365_state **st, cpuu_strlist *domains, upd_run *run)
{
	cpuu_m365_source src = { domains, run->opts->m365_source_tenants, run->opts->user_dir };
	int rc = upd_m365_source_domains(domains, run);
	return rc ? rc : cpuu_m365_read(st, run->reg, &src);
}

void upd_step_authhealth(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	double t0 = upd_now_ms();
	cpuu_strlist domains = { 0 };
	cpuu_m365_state *st = NULL;
	if (read_state(&st, &domains, run)) {
		upd_result_add(res, run, NULL, "authhealth", CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		cpuu_strlist_free(&domains);
		return;
	}
	cpuu_buf b = { 0 };
	size_t problems = 0;
	for (size_t i = 0; i < st->nfindings; i++) {
		const cpuu_m365_finding *f = &st->findings[i];
		if (f->kind != CPUU_M365_HEALTH)
			continue;
		problems += f->problem != 0;
		cpuu_buf_printf(&b, "%s%s%s%s=%s%s", b.len ? "; " : "", f->version ? f->version : "",
				f->version ? " " : "", f->name, f->value, f->problem ? " (blocks modern auth)" : "");
	}
	if (!b.len)
		cpuu_buf_puts(&b, "no known modern-auth blocker");
	else if (problems)
		cpuu_buf_puts(&b, "; reported, never changed by cpuu");
	char *msg = cpuu_buf_detach(&b, NULL);
	upd_result_add_since(t0, res, run, NULL, "authhealth", CPUU_OUTCOME_NOTHING_TO_DO, 0, msg);
	free(msg);
	cpuu_m365_state_free(st);
	cpuu_strlist_free(&domains);
}

void upd_step_m365detect(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	cpuu_strlist domains = { 0 };
	cpuu_m365_state *st = NULL;
	if (read_state(&st, &domains, run)) {
		upd_result_add(res, run, NULL, "m365detect", CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		cpuu_strlist_free(&domains);
		return;
	}
	for (size_t i = 0; i < st->nfindings; i++) {
		const cpuu_m365_finding *f = &st->findings[i];
		char *label = NULL, *msg = NULL;
		if (f->kind == CPUU_M365_NEW_OUTLOOK) {
			label = cpuu_aprintf("new-outlook:%s", f->version);
			msg = cpuu_aprintf("UseNewOutlook=%s: %s", f->value, f->note);
		} else if (f->kind == CPUU_M365_ONEDRIVE || f->kind == CPUU_M365_TEAMS) {
			label = f->kind == CPUU_M365_TEAMS ? cpuu_strdup("teams") : cpuu_aprintf("onedrive:%s", f->name);
			msg = cpuu_aprintf("%s%s%s", f->value ? f->value : "(no e-mail)",
					   f->source ? ": signed in to the source; " : ": ",
					   f->source ? "needs its switch (not done by cpuu)" : "not the source's");
		} else if (f->kind == CPUU_M365_NEW_TEAMS) {
			label = cpuu_strdup("new-teams");
			msg = cpuu_aprintf("%s: %s", f->key, f->note);
		} else {
			continue;
		}
		upd_result_add(res, run, NULL, label ? label : "m365detect", CPUU_OUTCOME_NOTHING_TO_DO, 0, msg);
		free(label);
		free(msg);
	}
	cpuu_m365_state_free(st);
	cpuu_strlist_free(&domains);
}
