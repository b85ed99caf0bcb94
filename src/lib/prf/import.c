/* ImportPRF: the registry arrangement that makes Outlook import a .prf once,
 * at its next start (docs/prf.md for sources). Only planned edits: the
 * caller shows them in a dry run and its backup undoes them. */
#include "prf/internal.h"

#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

int cpuu_prf_setup_key(char **out, const char *outlook_version)
{
	if (!out)
		return cpuu_error_set(CPUU_EINVALID, "PRF setup key: NULL output");
	*out = NULL;
	const char *v = outlook_version ? outlook_version : "";
	size_t digits = strspn(v, "0123456789");
	/* "wms" profiles (Outlook 2010 and older) name no Office version. */
	if (digits == 0 || digits > 3 || strcmp(v + digits, ".0"))
		return cpuu_error_set(CPUU_EINVALID, "Outlook version '%s': no Office version to put ImportPRF under", v);
	*out = cpuu_aprintf("Software\\Microsoft\\Office\\%s\\Outlook\\Setup", v);
	return *out ? CPUU_OK : cpuu_error_oom();
}

/* The current ImportPRF as text, NULL when absent. */
static int current_import(char **out, cpuu_reg *reg, const char *key)
{
	*out = NULL;
	cpuu_reg_key *k = NULL;
	int rc = cpuu_reg_key_open(&k, reg, NULL, key);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	cpuu_reg_value v;
	rc = cpuu_reg_value_get(&v, reg, k, "ImportPRF");
	cpuu_reg_key_free(k);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc)
		return rc;
	if (v.type == CPUU_REG_SZ || v.type == CPUU_REG_EXPAND_SZ)
		rc = cpuu_utf16le_to_utf8(out, NULL, v.data, v.len, 0);
	else
		rc = cpuu_error_set(CPUU_EINVALID, "%s\\ImportPRF: type %u is not a string", key, v.type);
	cpuu_reg_value_clear(&v);
	return rc ? cpuu_error_prefix("%s\\ImportPRF", key) : CPUU_OK;
}

int cpuu_prf_plan_import(cpuu_plan *plan, cpuu_reg *reg, const char *outlook_version, const char *prf_path)
{
	if (!plan || !reg || !prf_path)
		return cpuu_error_set(CPUU_EINVALID, "PRF import: NULL argument");
	int rc = prf_check_windows_path("ImportPRF path", prf_path);
	if (rc)
		return rc;
	char *key = NULL;
	rc = cpuu_prf_setup_key(&key, outlook_version);
	if (rc)
		return rc;
	char *pending = NULL;
	rc = current_import(&pending, reg, key);
	/* Someone else's import waiting for Outlook: never replace it. Ours
	 * (any case: Windows paths are case-insensitive) is fine. */
	if (!rc && pending && cpuu_strcasecmp_ascii(pending, prf_path))
		rc = cpuu_error_set(CPUU_EEXISTS, "%s\\ImportPRF already names '%s': another profile import is pending",
				    key, pending);
	free(pending);
	uint8_t *data = NULL;
	size_t len = 0;
	if (!rc && (rc = cpuu_utf8_to_utf16le(&data, &len, prf_path, 1)) != CPUU_OK)
		cpuu_error_prefix("ImportPRF path");
	if (!rc)
		rc = cpuu_plan_set_value(plan, reg, key, "ImportPRF", CPUU_REG_SZ, data, len,
					 "ImportPRF: Outlook imports this profile file at its next start");
	free(data);
	/* Either value present makes Outlook skip ImportPRF (docs/prf.md). */
	if (!rc)
		rc = cpuu_plan_delete_value(plan, reg, key, "First-Run",
					    "First-Run: while present Outlook does not process ImportPRF");
	if (!rc)
		rc = cpuu_plan_delete_value(plan, reg, key, "FirstRun",
					    "FirstRun: while present Outlook does not process ImportPRF");
	free(key);
	return rc;
}
