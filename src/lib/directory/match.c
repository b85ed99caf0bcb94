/* cpuu_match helpers shared by the LDAP and mapping-file sources. */
#include "common/internal.h"
#include "cpuu/directory.h"

#include <stdlib.h>
#include <string.h>

void cpuu_match_clear(cpuu_match *m)
{
	if (!m)
		return;
	free(m->source_legacy_dn);
	free(m->source_smtp);
	free(m->source_mailbox_guid);
	cpuu_strlist_free(&m->source_x500);
	free(m->target_legacy_dn);
	free(m->target_smtp);
	free(m->target_mailbox_guid);
	free(m->target_display_name);
	free(m->target_server);
	memset(m, 0, sizeof *m);
}

const char *cpuu_lookup_status_name(cpuu_lookup_status s)
{
	switch (s) {
	case CPUU_LOOKUP_FOUND: return "found";
	case CPUU_LOOKUP_NO_SOURCE: return "no_source";
	case CPUU_LOOKUP_NO_TARGET: return "no_target";
	case CPUU_LOOKUP_AMBIGUOUS: return "ambiguous";
	case CPUU_LOOKUP_INVALID: return "invalid";
	}
	return "unknown";
}
