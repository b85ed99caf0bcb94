/* The POSIX side of the CLI (win32/platform.c is the Windows one). */
#include "cli.h"

#include <stdio.h>
#include <string.h>
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

/* --live exists on Windows only (the registry backend refuses it here). */
int cli_user_folders_get(cli_user_folders *out)
{
	memset(out, 0, sizeof *out);
	return CPUU_EUNSUPPORTED;
}

void cli_user_folders_free(cli_user_folders *f)
{
	(void)f;
}
