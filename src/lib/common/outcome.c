/* Mode and outcome names: the one table (include/cpuu/outcome.h). */
#include "cpuu/outcome.h"
#include "common/internal.h"

#include <string.h>

static const char *const mode_names[CPUU_MODE_COUNT] = { "update", "rollback", "cleanup" };
static const char *const outcome_names[CPUU_OUTCOME_COUNT] = {
	"switched", "planned", "already_switched", "not_switched", "no_match", "ambiguous",
	"skipped", "error", "rolled_back", "nothing_to_undo", "cleaned", "nothing_to_do",
	"invalid"
};

const char *cpuu_mode_name(cpuu_mode mode)
{
	return (unsigned)mode < CPUU_MODE_COUNT ? mode_names[mode] : "unknown";
}

const char *cpuu_outcome_name(cpuu_outcome o)
{
	return (unsigned)o < CPUU_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}

int cpuu_mode_from_name(cpuu_mode *out, const char *name)
{
	for (unsigned i = 0; name && i < CPUU_MODE_COUNT; i++)
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (cpuu_mode)i;
			return CPUU_OK;
		}
	return cpuu_error_set(CPUU_ENOTFOUND, "unknown mode '%s' (update, rollback, cleanup)", name ? name : "");
}

int cpuu_outcome_from_name(cpuu_outcome *out, const char *name)
{
	for (unsigned i = 0; name && i < CPUU_OUTCOME_COUNT; i++)
		if (strcmp(name, outcome_names[i]) == 0) {
			*out = (cpuu_outcome)i;
			return CPUU_OK;
		}
	return cpuu_error_set(CPUU_ENOTFOUND, "unknown outcome '%s'", name ? name : "");
}
