/* The POSIX side of the CLI (win32/platform.c is the Windows one). */
#include "cli.h"

#include <stdio.h>
#include <unistd.h>

void cli_platform_init(void)
{
}

void cli_host_name(char *buf, size_t size)
{
	if (gethostname(buf, size) != 0)
		buf[0] = '\0';
	buf[size - 1] = '\0';
}

int cli_stdin_is_terminal(void)
{
	return isatty(fileno(stdin));
}
