/* [Processes] Ask: the question put to the user before their mail programs
 * are closed; the platform shows it (ps_confirm_text). */
#include "procstop/internal.h"

#include <stdio.h>
#include <string.h>

void ps_question(char *buf, size_t size, const char *mode, const cpuu_strlist *running)
{
	/* The question says what is about to happen. */
	int rollback = mode && !strcmp(mode, "rollback");
	snprintf(buf, size, "%s %s%s must be closed to %s.\n\nClose %s now?",
		 rollback ? "Your Outlook profile is being put back as it was before your mailbox moved."
			  : "Your mailbox has moved.",
		 running->items[0], running->count > 1 ? " and other mail programs" : "",
		 rollback ? "restore your Outlook profile" : "update your Outlook profile",
		 running->count > 1 ? "them" : "it");
}

int cpuu_procstop_ask_user(void *ctx, const cpuu_strlist *running)
{
	if (!running || !running->count)
		return 1;
	char text[1024];
	ps_question(text, sizeof text, ctx, running);
	return ps_confirm_text(text);
}
