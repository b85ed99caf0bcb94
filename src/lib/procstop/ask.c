/* [Processes] Ask: the question put to the user before their mail programs
 * are closed; the platform shows it (ps_confirm_text). */
#include "procstop/internal.h"

#include <stdio.h>

int cpuu_procstop_ask_user(void *ctx, const cpuu_strlist *running)
{
	(void)ctx;
	if (!running || !running->count)
		return 1;
	char text[1024];
	snprintf(text, sizeof text,
		 "Your mailbox has moved. %s%s must be closed to update your Outlook profile.\n\nClose %s now?",
		 running->items[0], running->count > 1 ? " and other mail programs" : "",
		 running->count > 1 ? "them" : "it");
	return ps_confirm_text(text);
}
