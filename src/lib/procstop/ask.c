/* [Processes] Ask: the question put to the user before their mail programs
 * are closed; the platform shows it (ps_confirm_text). */
#include "procstop/internal.h"

#include <stdio.h>
#include <string.h>

int cpuu_procstop_ask_user(void *ctx, const cpuu_strlist *running)
{
	if (!running || !running->count)
		return 1;
	/* The question says what is about to happen: the mode's name in ctx. */
	const char *mode = ctx;
	int rollback = mode && !strcmp(mode, "rollback");
	char text[1024];
	snprintf(text, sizeof text, "%s %s%s must be closed to %s.\n\nClose %s now?",
		 rollback ? "Your Outlook profile is being put back as it was before your mailbox moved."
			  : "Your mailbox has moved.",
		 running->items[0], running->count > 1 ? " and other mail programs" : "",
		 rollback ? "restore your Outlook profile" : "update your Outlook profile",
		 running->count > 1 ? "them" : "it");
	return ps_confirm_text(text);
}
