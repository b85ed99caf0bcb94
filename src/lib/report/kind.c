/* What a record is about and where its user stands (docs/report.md
 * "Records by kind" and "Users"). The same rules are written once more as
 * SQL in internal.h (REPORT_FEATURE_SQL, REPORT_IS_ACCOUNT_SQL) so the store
 * can count; tests check the two agree. */
#include "report/internal.h"

#include <string.h>

cpuu_report_kind cpuu_report_record_kind(const char *profile, const char *account, const char **feature)
{
	static const char *const whole[] = { "autocomplete", "caches", "signatures" };
	if (feature)
		*feature = NULL;
	if (!account)
		return profile ? CPUU_REPORT_KIND_PROFILE : CPUU_REPORT_KIND_HIVE;
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
		if (!strcmp(account, whole[i])) {
			if (feature)
				*feature = whole[i];
			return CPUU_REPORT_KIND_FEATURE;
		}
	/* Prefixes: an SMTP address has an '@' before any ':', a legacyDN
	 * starts with '/', a service UID is hex: none starts like these. */
	if (!strncmp(account, "autodiscover:", 13) || !strncmp(account, "additional:", 11)) {
		if (feature)
			*feature = !strncmp(account, "autodiscover:", 13) ? "autodiscover" : "additional";
		return CPUU_REPORT_KIND_FEATURE;
	}
	return profile ? CPUU_REPORT_KIND_ACCOUNT : CPUU_REPORT_KIND_HIVE;
}

const char *cpuu_report_user_status_name(cpuu_report_user_status st)
{
	switch (st) {
	case CPUU_REPORT_USER_DONE: return "done";
	case CPUU_REPORT_USER_WAITING: return "waiting";
	case CPUU_REPORT_USER_FAILED: return "failed";
	case CPUU_REPORT_USER_NOT_SEEN: return "not_seen";
	}
	return "unknown";
}

void report_user_tally_add(report_user_tally *t, const cpuu_report_record *r)
{
	int fail = !strcmp(r->outcome, "error") || !strcmp(r->outcome, "ambiguous");
	t->failed |= fail;
	if (cpuu_report_record_kind(r->profile, r->account, NULL) == CPUU_REPORT_KIND_ACCOUNT) {
		t->accounts++;
		t->at_target += !strcmp(r->outcome, "switched") || !strcmp(r->outcome, "already_switched");
	}
}

cpuu_report_user_status report_user_tally_status(const report_user_tally *t)
{
	if (t->failed)
		return CPUU_REPORT_USER_FAILED;
	if (!t->accounts)
		return CPUU_REPORT_USER_NOT_SEEN;
	return t->at_target == t->accounts ? CPUU_REPORT_USER_DONE : CPUU_REPORT_USER_WAITING;
}
