/* The user's notice (step "notice", docs/m365.md; issue 13 item 6): shown
 * once per user in a run with a user session while a mailbox is not switched
 * yet, never in offline or bulk runs, planned only in a dry run, marked in
 * Software\cpuu\Notice. The session is the run's show_notice callback (the
 * Windows logon gives one; tests/integration/wine_notice.sh runs that one);
 * here a recorder stands in for the screen, over a real hive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/config.h"
#include "cpuu/m365.h"
#include "cpuu/mapping.h"
#include "cpuu/runconfig.h"
#include "cpuu/update.h"
#include "fixture.h"
#include "testutil.h"
#include "update_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTICE_KEY "Software\\cpuu\\Notice"

/* What the user's screen got. */
typedef struct screen {
	int shown;
	int fail; /* the display refuses */
	char title[128], text[512];
} screen;

static int show(void *ctx, const char *title, const char *text, char *why, size_t why_size)
{
	screen *s = ctx;
	if (s->fail) {
		snprintf(why, why_size, "no session to show it in");
		return CPUU_EIO;
	}
	s->shown++;
	snprintf(s->title, sizeof s->title, "%s", title);
	snprintf(s->text, sizeof s->text, "%s", text);
	return 0;
}

typedef struct env {
	update_env u; /* alice/NTUSER.DAT, her mapping row */
	screen screen;
} env;

static void env_setup(env *e, int switched)
{
	memset(e, 0, sizeof *e);
	update_env_commit(update_env_open(&e->u, "notice", "alice/NTUSER.DAT", NULL, update_env_alice_fixture));
	update_env_map_alice(&e->u, switched);
}

static void env_teardown(env *e)
{
	update_env_free(&e->u);
}

typedef struct how {
	cpuu_mode mode;
	int dry_run;
	cpuu_scenario scenario;
	int session;     /* a logon run: the screen is given */
	int bulk;        /* a bulk run over users' folders */
	int user_notice; /* [Features] UserNotice */
	const char *text;
} how;

static cpuu_results *run(env *e, how h)
{
	cpuu_run_opts o;
	update_env_opts(&o, &e->u, h.mode, h.dry_run);
	o.scenario = (int)h.scenario;
	o.user_notice = h.user_notice;
	o.notice_text = h.text;
	o.notice_title = "Mailbox move";
	o.user_dir_is_hive_folder = h.bulk;
	if (h.session) {
		o.show_notice = show;
		o.show_notice_ctx = &e->screen;
	}
	cpuu_results *r = NULL;
	const char *paths[1] = { e->u.hive };
	update_env_check(cpuu_run_hives(&r, paths, 1, &o, &e->u.resolver));
	return r;
}

static const cpuu_result *notice(const cpuu_results *r)
{
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].profile && r->items[i].account && !strcmp(r->items[i].account, "notice"))
			return &r->items[i];
	return NULL;
}

/* The mark's value (when shown), or NULL. */
static char *mark(const char *hive)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	char *s = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	if (cpuu_reg_key_open(&k, reg, NULL, NOTICE_KEY) == CPUU_OK && cpuu_reg_get_string(&s, reg, k, "Shown"))
		s = NULL;
	cpuu_error_clear();
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	return s;
}

#define TEXT "Your mailbox moves to Microsoft 365 soon.\\nPlease have your new password ready."
#define LOGON(sc) ((how){ CPUU_MODE_UPDATE, 0, (sc), 1, 0, -1, TEXT })

/* Not switched, Exchange Online target, a session: shown once, "\n" as a
 * line break; the second logon shows nothing and says when it was shown. */
static void test_shown_once(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 0);
	cpuu_results *r = run(&e, LOGON(CPUU_SCENARIO_ONPREM_TO_EXO));
	assert_int_equal(e.screen.shown, 1);
	assert_string_equal(e.screen.title, "Mailbox move");
	assert_string_equal(e.screen.text,
			    "Your mailbox moves to Microsoft 365 soon.\nPlease have your new password ready.");
	const cpuu_result *n = notice(r);
	assert_non_null(n);
	assert_int_equal(n->outcome, CPUU_OUTCOME_NOTHING_TO_DO);
	assert_int_equal(n->changes, 1);
	assert_non_null(strstr(n->message, "notice shown"));
	/* A notice is no switch: the mask is the not-switched account's. */
	assert_int_equal(r->exit_mask, CPUU_EXIT_NO_SWITCH_MSG);
	cpuu_results_free(r);
	char *m = mark(e.u.hive);
	assert_non_null(m);
	assert_int_equal(strlen(m), 20); /* 2026-12-03T12:00:00Z */
	r = run(&e, LOGON(CPUU_SCENARIO_TENANT_TO_TENANT));
	assert_int_equal(e.screen.shown, 1);
	n = notice(r);
	assert_non_null(n);
	assert_int_equal(n->changes, 0);
	assert_non_null(strstr(n->message, m));
	cpuu_results_free(r);
	/* Rollback and Cleanup keep the mark: a shown notice is not shown twice. */
	r = run(&e, (how){ CPUU_MODE_ROLLBACK, 0, CPUU_SCENARIO_ONPREM_TO_EXO, 1, 0, -1, TEXT });
	cpuu_results_free(r);
	r = run(&e, (how){ CPUU_MODE_CLEANUP, 0, CPUU_SCENARIO_ONPREM_TO_EXO, 1, 0, -1, TEXT });
	cpuu_results_free(r);
	char *m2 = mark(e.u.hive);
	assert_non_null(m2);
	assert_string_equal(m, m2);
	free(m2);
	free(m);
	r = run(&e, LOGON(CPUU_SCENARIO_ONPREM_TO_EXO));
	assert_int_equal(e.screen.shown, 1);
	cpuu_results_free(r);
	env_teardown(&e);
}

/* The mailbox already lives in the target: nothing to tell. */
static void test_switched_not_shown(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 1);
	cpuu_results *r = run(&e, LOGON(CPUU_SCENARIO_ONPREM_TO_EXO));
	assert_int_equal(e.screen.shown, 0);
	assert_null(notice(r));
	cpuu_results_free(r);
	assert_null(mark(e.u.hive));
	env_teardown(&e);
}

/* No session (an offline hive run) or a bulk run: never shown, never
 * marked, no record; the hive is byte-equal. */
static void test_offline_and_bulk_never(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 0);
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	how offline = LOGON(CPUU_SCENARIO_ONPREM_TO_EXO);
	offline.session = 0;
	cpuu_results *r = run(&e, offline);
	assert_null(notice(r));
	cpuu_results_free(r);
	how bulk = LOGON(CPUU_SCENARIO_ONPREM_TO_EXO);
	bulk.bulk = 1;
	r = run(&e, bulk);
	assert_null(notice(r));
	cpuu_results_free(r);
	assert_int_equal(e.screen.shown, 0);
	assert_true(test_files_equal(copy, e.u.hive));
	free(copy);
	env_teardown(&e);
}

/* Dry run: "would show notice", nothing shown, nothing marked. */
static void test_dry_run_plans_only(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 0);
	char *copy = test_path(e.u.dir, "before.DAT");
	assert_int_equal(test_copy_file(e.u.hive, copy), 0);
	how dry = LOGON(CPUU_SCENARIO_ONPREM_TO_EXO);
	dry.dry_run = 1;
	cpuu_results *r = run(&e, dry);
	const cpuu_result *n = notice(r);
	assert_non_null(n);
	assert_non_null(strstr(n->message, "would show notice"));
	cpuu_results_free(r);
	assert_int_equal(e.screen.shown, 0);
	assert_true(test_files_equal(copy, e.u.hive));
	free(copy);
	env_teardown(&e);
}

/* The scenario decides under auto (on-premises targets: off); on and off
 * override it; no text, no notice. */
static void test_feature_and_text(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 0);
	cpuu_results *r = run(&e, LOGON(CPUU_SCENARIO_ONPREM_CROSSFOREST));
	assert_null(notice(r));
	cpuu_results_free(r);
	how off = LOGON(CPUU_SCENARIO_ONPREM_TO_EXO);
	off.user_notice = 0;
	r = run(&e, off);
	assert_null(notice(r));
	cpuu_results_free(r);
	how empty = LOGON(CPUU_SCENARIO_ONPREM_TO_EXO);
	empty.text = NULL;
	r = run(&e, empty);
	assert_null(notice(r));
	cpuu_results_free(r);
	assert_int_equal(e.screen.shown, 0);
	assert_null(mark(e.u.hive));
	how on = LOGON(CPUU_SCENARIO_ONPREM_CROSSFOREST);
	on.user_notice = 1;
	r = run(&e, on);
	assert_int_equal(e.screen.shown, 1);
	cpuu_results_free(r);
	env_teardown(&e);
}

/* A display that fails: an error record (SWITCH_ERR), no mark, so the next
 * logon tries again. */
static void test_display_failure_not_marked(void **state)
{
	(void)state;
	env e;
	env_setup(&e, 0);
	e.screen.fail = 1;
	cpuu_results *r = run(&e, LOGON(CPUU_SCENARIO_ONPREM_TO_EXO));
	const cpuu_result *n = notice(r);
	assert_non_null(n);
	assert_int_equal(n->outcome, CPUU_OUTCOME_ERROR);
	assert_non_null(strstr(n->message, "no session"));
	assert_true(r->exit_mask & CPUU_EXIT_SWITCH_ERR);
	cpuu_results_free(r);
	assert_null(mark(e.u.hive));
	e.screen.fail = 0;
	r = run(&e, LOGON(CPUU_SCENARIO_ONPREM_TO_EXO));
	assert_int_equal(e.screen.shown, 1);
	cpuu_results_free(r);
	env_teardown(&e);
}

/* The INI keys reach the run. */
static void test_config_keys(void **state)
{
	(void)state;
	static const char ini[] = "[General]\nScenario = onprem-to-exo\n[Features]\nUserNotice = on\n"
				  "[M365]\nNotice = Get your password\nNoticeTitle = IT\n";
	cpuu_config *cfg = NULL;
	assert_int_equal(cpuu_config_load_buffer(&cfg, ini, strlen(ini)), CPUU_OK);
	cpuu_run_config rc;
	assert_int_equal(cpuu_run_opts_from_config(&rc, cfg), CPUU_OK);
	assert_int_equal(rc.opts.user_notice, 1);
	assert_string_equal(rc.opts.notice_text, "Get your password");
	assert_string_equal(rc.opts.notice_title, "IT");
	assert_null(rc.opts.show_notice); /* the INI gives no session */
	cpuu_run_config_clear(&rc);
	cpuu_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shown_once),
		cmocka_unit_test(test_switched_not_shown),
		cmocka_unit_test(test_offline_and_bulk_never),
		cmocka_unit_test(test_dry_run_plans_only),
		cmocka_unit_test(test_feature_and_text),
		cmocka_unit_test(test_display_failure_not_marked),
		cmocka_unit_test(test_config_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
