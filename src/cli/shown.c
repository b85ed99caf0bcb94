/* Names printed by the CLI's text output go through the library's one
 * escaping (cpuu/display.h): a short pool of escaped copies so a printf
 * with several names stays one printf. */
#include "cli.h"

#include "cpuu/display.h"

#include <stdlib.h>

#define SHOWN_SLOTS 8

const char *cli_shown(const char *s)
{
	static char *slot[SHOWN_SLOTS];
	static unsigned next;
	if (!s)
		return NULL;
	unsigned i = next++ % SHOWN_SLOTS;
	cpuu_free(slot[i]);
	slot[i] = NULL;
	/* Out of memory: a placeholder, never the raw name. */
	return cpuu_display_escape(&slot[i], s) == CPUU_OK ? slot[i] : "(?)";
}
