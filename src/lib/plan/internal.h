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
	size_t count;
	plan_ost_entry *ost;   /* new OST path per switched account */
	size_t nost;
};

#endif
