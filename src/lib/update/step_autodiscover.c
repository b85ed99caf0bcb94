/* Step "autodiscover" ([Features] ExcludeScpLookup, AutodiscoverReset): per
 * Office version whose accounts now live in the target, stop Outlook from
 * finding the source organization again (docs/switch.md, "Autodiscover"). */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>

void upd_autodiscover_note(upd_run *run, const cpuu_profile *p, const cpuu_match *m, const cpuu_account *a)
{
	const char *smtp = m && m->source_smtp ? m->source_smtp : a->smtp;
	const char *at = smtp ? strrchr(smtp, '@') : NULL;
	if (!p->outlook_version || !strcmp(p->outlook_version, "wms"))
		return; /* Outlook 2010 and older: no per-version Autodiscover key to mind */
	char *item = cpuu_aprintf("%s|%s", p->outlook_version, at ? at + 1 : "");
	if (!item)
		return;
	for (size_t i = 0; i < run->ad_touched.count; i++)
		if (!cpuu_strcasecmp_ascii(run->ad_touched.items[i], item)) {
			free(item);
			return;
		}
	cpuu_strlist_add(&run->ad_touched, item);
	free(item);
}

/* Local XML overrides name a domain: the source domains' of this version go. */
static int plan_reset(cpuu_plan *plan, const upd_run *run, const char *ver, const char *path)
{
	cpuu_reg_key *k = NULL;
	cpuu_reg_value *vals = NULL;
	size_t nvals = 0;
	int rc = CPUU_OK;
	if (cpuu_reg_key_open(&k, run->reg, NULL, path) == CPUU_OK)
		rc = cpuu_reg_key_values(&vals, &nvals, run->reg, k);
	cpuu_error_clear();
	size_t vl = strlen(ver);
	for (size_t i = 0; !rc && i < nvals; i++)
		for (size_t j = 0; j < run->ad_touched.count; j++) {
			const char *item = run->ad_touched.items[j];
			if (strncmp(item, ver, vl) || item[vl] != '|' || !item[vl + 1] ||
			    cpuu_strcasecmp_ascii(vals[i].name, item + vl + 1))
				continue;
			rc = cpuu_plan_delete_value(plan, run->reg, path, vals[i].name,
						    "Autodiscover override for a source domain");
			break;
		}
	cpuu_reg_values_free(vals, nvals);
	cpuu_reg_key_free(k);
	return rc;
}

static void one_version(upd_run *run, cpuu_results *res, const char *ver)
{
	double t0 = upd_now_ms();
	char *path = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Outlook\\AutoDiscover", ver);
	char *entry = cpuu_aprintf("\\AutoDiscover %s", ver);
	char *label = cpuu_aprintf("autodiscover:%s", ver);
	cpuu_plan *plan = NULL;
	size_t changes = 0;
	int rc = path && entry && label ? cpuu_plan_new(&plan) : cpuu_error_oom();
	if (!rc && run->opts->exclude_scp_lookup) {
		uint8_t one[4] = { 1, 0, 0, 0 };
		rc = cpuu_plan_set_value(plan, run->reg, path, "ExcludeScpLookup", CPUU_REG_DWORD, one, 4,
					 "the workstation's forest would lead Outlook back to the source (SCP)");
	}
	if (!rc && run->opts->autodiscover_reset)
		rc = plan_reset(plan, run, ver, path);
	changes = rc ? 0 : cpuu_plan_count(plan);
	if (!rc && changes)
		rc = run->opts->dry_run ? upd_plan_text_add(res, label, plan) : upd_txn_apply(&run->txn, entry, path, plan);
	/* Nothing of the source left to change here is no switch of the user. */
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !changes ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, label, o, changes, rc ? cpuu_error_last()->message : NULL);
	cpuu_plan_free(plan);
	free(label);
	free(entry);
	free(path);
}

void upd_step_autodiscover(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	if (!run->opts->exclude_scp_lookup && !run->opts->autodiscover_reset)
		return;
	cpuu_strlist versions = { 0 };
	for (size_t i = 0; i < run->ad_touched.count; i++) {
		const char *bar = strchr(run->ad_touched.items[i], '|');
		char *ver = bar ? cpuu_strndup(run->ad_touched.items[i], (size_t)(bar - run->ad_touched.items[i])) : NULL;
		int seen = 0;
		for (size_t j = 0; ver && j < versions.count; j++)
			seen |= !strcmp(versions.items[j], ver);
		if (ver && !seen)
			cpuu_strlist_add(&versions, ver);
		free(ver);
	}
	for (size_t v = 0; v < versions.count; v++)
		one_version(run, res, versions.items[v]);
	cpuu_strlist_free(&versions);
}
