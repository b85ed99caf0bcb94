#ifndef CPUU_PLAN_INTERNAL_H
#define CPUU_PLAN_INTERNAL_H

#include "common/internal.h"
#include "cpuu/plan.h"

typedef struct plan_ost_entry {
	char *service_uid;
	char *path;
} plan_ost_entry;

struct cpuu_plan {
	cpuu_edit *edits;
	size_t count, cap;
	plan_ost_entry *ost;   /* new OST path per switched account */
	size_t nost, cap_ost;
};

/* Records an edit when the caller already holds the current value (cur NULL:
 * the value is absent), saving a lookup from the registry root. */
int plan_set_known(cpuu_plan *plan, const char *key, const cpuu_reg_value *cur, const char *name,
		   uint32_t type, const uint8_t *data, size_t len, const char *why);
int plan_delete_known(cpuu_plan *plan, const char *key, const cpuu_reg_value *cur, const char *why);

#endif
