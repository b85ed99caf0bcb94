/* Step "notice" ([Features] UserNotice; docs/m365.md): the established
 * tool's one Microsoft 365 condition is that users know their target
 * password before the switch. In a logon run (the caller gives a user
 * session: cpuu_run_opts.show_notice) where a mailbox of the user is still
 * not switched, the text of [M365] Notice is shown once, without waiting for
 * the user (an unattended logon never blocks on it), and marked in the
 * user's registry so no later run shows it again. Offline and bulk runs
 * have no session: nothing happens there. A dry run says what it would
 * show and marks nothing. Like the reports, its records are nothing_to_do
 * (no exit bit: a notice is no switch); a notice that cannot be shown is
 * an error. */
#include "update/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Software\cpuu\Notice, value "Shown" = when (UTC): kept through Rollback
 * and Cleanup, as a shown notice cannot be unshown (docs/m365.md). */
#define NOTICE_KEY UPD_STATE_KEY "\\Notice"
#define NOTICE_VALUE "Shown"

/* The INI holds one line: "\n" in it starts a new line of the notice. */
static char *notice_lines(const char *text)
{
	char *out = cpuu_strdup(text);
	if (!out)
		return NULL;
	char *w = out;
	for (const char *p = text; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			*w++ = '\n';
			p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return out;
}

static char *utc_now(void)
{
	struct tm tm;
	cpuu_utc_now(&tm);
	char buf[32];
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return cpuu_strdup(buf);
}

void upd_step_notice(upd_run *run, cpuu_results *res, const upd_where *w)
{
	(void)w;
	const cpuu_run_opts *o = run->opts;
	/* No session (offline, bulk), no text, or every mailbox already lives in
	 * the target (or none is known): nothing to tell. */
	if (!o->show_notice || o->user_dir_is_hive_folder || !o->notice_text || !o->notice_text[0] ||
	    !run->not_switched)
		return;
	double t0 = upd_now_ms();
	char *shown = NULL;
	int rc = upd_state_get(&shown, run->reg, NOTICE_KEY, NOTICE_VALUE);
	if (rc) {
		upd_result_add_since(t0, res, run, NULL, "notice", CPUU_OUTCOME_ERROR, 0, cpuu_error_last()->message);
		return;
	}
	if (shown) {
		char *msg = cpuu_aprintf("notice already shown (%s)", shown);
		upd_result_add_since(t0, res, run, NULL, "notice", CPUU_OUTCOME_NOTHING_TO_DO, 0,
				     msg ? msg : "notice already shown");
		free(msg);
		free(shown);
		return;
	}
	if (o->dry_run) {
		upd_result_add_since(t0, res, run, NULL, "notice", CPUU_OUTCOME_NOTHING_TO_DO, 1,
				     "would show notice (a mailbox is not switched yet)");
		return;
	}
	char *text = notice_lines(o->notice_text), *when = utc_now();
	const char *title = o->notice_title && o->notice_title[0] ? o->notice_title : "cpuu";
	char why[256] = "";
	rc = !text || !when ? cpuu_error_oom() : o->show_notice(o->show_notice_ctx, title, text, why, sizeof why);
	if (rc && text && when)
		cpuu_error_set(rc < 0 ? rc : CPUU_ERROR, "%s", why[0] ? why : "the notice could not be shown");
	/* Marked once shown: a mark that cannot be written shows it again next
	 * time, which is better than never. */
	if (!rc)
		rc = upd_state_set(run->reg, NOTICE_KEY, NOTICE_VALUE, when);
	upd_result_add_since(t0, res, run, NULL, "notice", rc ? CPUU_OUTCOME_ERROR : CPUU_OUTCOME_NOTHING_TO_DO,
			     rc ? 0 : 1,
			     rc ? cpuu_error_last()->message : "notice shown (not waited for): a mailbox is not switched yet");
	free(text);
	free(when);
}
