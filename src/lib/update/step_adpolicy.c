/* Step "adpolicy" ([Features] AutodiscoverPolicy; docs/m365.md): per Office
 * version whose accounts now live in the target, the per-user
 * Outlook\AutoDiscover values the scenario needs (KB 2212902, KB 3211279):
 *   onprem-crossforest      ExcludeExplicitO365Endpoint = 1 (the target is
 *                           on-premises: no "Direct Connect to Office 365")
 *   onprem-to-exo,
 *   tenant-to-tenant        ExcludeExplicitO365Endpoint removed when set
 *                           (it would keep Outlook from Exchange Online),
 *                           ExcludeLastKnownGoodURL = 1 (the cached URL is
 *                           the source's)
 * Their policy twins (Software\Policies\...) win over these and are only
 * reported, as are ZeroConfigExchange / ZeroConfigExchangeOnce. The step
 * "autodiscover" (ExcludeScpLookup, local XML of source domains) shares the
 * key and its backup entry. */
#include "update/internal.h"
#include "cpuu/m365.h"

#include <stdlib.h>
#include <string.h>

static int plan_scenario(cpuu_plan *plan, upd_run *run, const char *path)
{
	static const uint8_t one[4] = { 1, 0, 0, 0 };
	if (!cpuu_scenario_target_is_exo((cpuu_scenario)run->opts->scenario))
		return cpuu_plan_set_value(plan, run->reg, path, "ExcludeExplicitO365Endpoint", CPUU_REG_DWORD, one, 4,
					   "the target is on-premises: no direct connect to Office 365");
	cpuu_reg_key *k = NULL;
	uint32_t v = 0;
	int set = cpuu_reg_key_open(&k, run->reg, NULL, path) == CPUU_OK &&
		  cpuu_reg_get_dword(&v, run->reg, k, "ExcludeExplicitO365Endpoint") == CPUU_OK && v;
	cpuu_reg_key_free(k);
	cpuu_error_clear();
	int rc = set ? cpuu_plan_delete_value(plan, run->reg, path, "ExcludeExplicitO365Endpoint",
					      "the target is Exchange Online: direct connect allowed again")
		     : CPUU_OK;
	if (!rc)
		rc = cpuu_plan_set_value(plan, run->reg, path, "ExcludeLastKnownGoodURL", CPUU_REG_DWORD, one, 4,
					 "the last known good Autodiscover URL is the source's");
	return rc;
}

/* "policy ExcludeScpLookup=0; ZeroConfigExchange=1 (policy)": what the
 * record tells the admin, for this version. */
static char *findings_text(const cpuu_m365_state *st, const char *ver)
{
	cpuu_buf b = { 0 };
	for (size_t i = 0; st && i < st->nfindings; i++) {
		const cpuu_m365_finding *f = &st->findings[i];
		int zc = !strncmp(f->name, "ZeroConfig", 10);
		if (!f->version || strcmp(f->version, ver) ||
		    (f->kind != CPUU_M365_AUTODISCOVER_POLICY && !(zc && f->kind == CPUU_M365_AUTODISCOVER)))
			continue;
		cpuu_buf_printf(&b, "%s%s%s=%s", b.len ? "; " : "", f->kind == CPUU_M365_AUTODISCOVER_POLICY ? "policy " : "",
				f->name, f->value ? f->value : "");
	}
	if (b.len)
		cpuu_buf_puts(&b, " (reported, not changed)");
	return b.len ? cpuu_buf_detach(&b, NULL) : NULL;
}

static void one_version(upd_run *run, cpuu_results *res, const cpuu_m365_state *st, const char *ver)
{
	double t0 = upd_now_ms();
	char *path = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Outlook\\AutoDiscover", ver);
	char *entry = cpuu_aprintf("\\AutoDiscover %s", ver);
	char *label = cpuu_aprintf("adpolicy:%s", ver);
	cpuu_plan *plan = NULL;
	int rc = path && entry && label ? cpuu_plan_new(&plan) : cpuu_error_oom();
	if (!rc)
		rc = plan_scenario(plan, run, path);
	size_t changes = rc ? 0 : cpuu_plan_count(plan);
	if (!rc && changes)
		rc = run->opts->dry_run ? upd_plan_text_add(res, label, plan) : upd_txn_apply(&run->txn, entry, path, plan);
	char *msg = rc ? NULL : findings_text(st, ver);
	cpuu_outcome o = rc ? CPUU_OUTCOME_ERROR
		       : !changes ? CPUU_OUTCOME_NOTHING_TO_DO
		       : run->opts->dry_run ? CPUU_OUTCOME_PLANNED : CPUU_OUTCOME_SWITCHED;
	upd_result_add_since(t0, res, run, NULL, label, o, changes, rc ? cpuu_error_last()->message : msg);
	free(msg);
	cpuu_plan_free(plan);
	free(label);
	free(entry);
	free(path);
}

void upd_step_adpolicy(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	cpuu_strlist vers = { 0 };
	upd_m365_versions(&vers, run);
	cpuu_m365_state *st = NULL;
	if (vers.count && cpuu_m365_read(&st, run->reg, NULL)) {
		upd_result_add(res, run, NULL, "adpolicy", CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		cpuu_strlist_free(&vers);
	}
	for (size_t i = 0; i < vers.count; i++)
		one_version(run, res, st, vers.items[i]);
	cpuu_m365_state_free(st);
	cpuu_strlist_free(&vers);
}
