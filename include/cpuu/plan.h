/* Planning profile changes: every change is computed as an explicit list of
 * edits before anything is written, shown in dry-run, then applied.
 *
 * An edit records the value's old bytes (when it had one) so that apply can
 * refuse if the registry changed between planning and applying, and so that
 * the plan reads as a diff. Edits that would not change anything are never
 * planned: planning a profile that is already switched yields an empty plan.
 * See docs/switch.md for which values change and why. */
#ifndef CPUU_PLAN_H
#define CPUU_PLAN_H

#include "cpuu/directory.h"
#include "cpuu/profile.h"
#include "cpuu/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cpuu_edit_op {
	CPUU_EDIT_SET_VALUE,
	CPUU_EDIT_DELETE_VALUE
} cpuu_edit_op;

typedef struct cpuu_edit {
	cpuu_edit_op op;
	char *key;          /* path from the registry root */
	char *name;         /* value name as stored (case kept) */
	uint32_t type;      /* new value (SET) */
	uint8_t *data;
	size_t len;
	int had_old;        /* the value existed when planned */
	uint32_t old_type;
	uint8_t *old_data;
	size_t old_len;
	char *why;          /* short reason for people, e.g. "PR_PROFILE_USER -> target legacyExchangeDN" */
} cpuu_edit;

typedef struct cpuu_plan cpuu_plan;

int cpuu_plan_new(cpuu_plan **out);
void cpuu_plan_free(cpuu_plan *plan);
size_t cpuu_plan_count(const cpuu_plan *plan);
const cpuu_edit *cpuu_plan_edit(const cpuu_plan *plan, size_t i);

/* Low-level builders: compare with the registry now and record an edit only
 * if the value would change. */
int cpuu_plan_set_value(cpuu_plan *plan, cpuu_reg *reg, const char *key, const char *name,
			uint32_t type, const uint8_t *data, size_t len, const char *why);
int cpuu_plan_delete_value(cpuu_plan *plan, cpuu_reg *reg, const char *key, const char *name,
			   const char *why);

typedef struct cpuu_switch_opts {
	/* Nonzero: point the profile at a new OST path when the target mailbox is
	 * a different mailbox (different or unknown mailbox GUID). Default 1. */
	int new_ost_for_new_mailbox;
	/* [Features] CONTAB: Outlook Address Book entries of the account's
	 * mailbox follow it (docs/switch.md). Default 1. */
	int contab;
} cpuu_switch_opts;

void cpuu_switch_opts_init(cpuu_switch_opts *opts);

/* Plans the switch of one Exchange account of a profile to the target in m
 * (m->switched must be set; otherwise CPUU_EINVALID). On-premises targets get
 * their identity values rewritten; Exchange Online targets are reset to an
 * Autodiscover-only account on the target SMTP address. */
int cpuu_plan_switch_account(cpuu_plan *plan, cpuu_reg *reg, const cpuu_profile *profile,
			     const cpuu_account *account, const cpuu_match *m,
			     const cpuu_switch_opts *opts);

/* Plans relinking one additional (shared or delegate) mailbox opened in a
 * profile to where its owner now lives (m must be switched): its
 * store-provider section gets the treatment of an account's own mailbox
 * store (docs/switch.md). */
int cpuu_plan_relink_mailbox(cpuu_plan *plan, cpuu_reg *reg, const cpuu_profile *profile,
			     const cpuu_additional_mailbox *mailbox, const cpuu_match *m);

/* The OST path the switched account will use (NULL when it keeps its OST).
 * Valid after cpuu_plan_switch_account; owned by the plan. */
const char *cpuu_plan_new_ost_path(const cpuu_plan *plan, const cpuu_account *account);

/* Applies every edit to reg (pending until cpuu_reg_commit). First checks
 * that every value still has the bytes it had when planned; if not, nothing is
 * changed and CPUU_EINVALID is returned naming the value. */
int cpuu_plan_apply(cpuu_reg *reg, const cpuu_plan *plan);

/* The plan as text for people: per key, "-" old and "+" new value lines in
 * .reg syntax with the reason as a comment. */
int cpuu_plan_format(char **out, const cpuu_plan *plan);

#ifdef __cplusplus
}
#endif
#endif
