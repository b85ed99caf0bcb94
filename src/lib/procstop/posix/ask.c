/* The question on a terminal; without one nobody can answer, so nothing is
 * closed. */
#include "procstop/internal.h"

#include <stdio.h>
#include <unistd.h>

int ps_confirm_text(const char *text)
{
	if (!isatty(fileno(stdin)))
		return 0;
	fprintf(stderr, "%s [Y/n] ", text);
	char answer[16];
	if (!fgets(answer, sizeof answer, stdin))
		return 0;
	return answer[0] != 'n' && answer[0] != 'N';
}
