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

/* No logged-on user's session here (offline and bulk runs never show it). */
int cli_notice_show(void *ctx, const char *title, const char *text, char *why, size_t why_size)
{
	(void)ctx;
	(void)title;
	(void)text;
	snprintf(why, why_size, "the user's notice is shown only by a Windows logon run");
	return CPUU_EUNSUPPORTED;
}

int cli_notice_child(void)
{
	fprintf(stderr, "cpuu: %s exists on Windows only\n", CLI_NOTICE_ARG);
	return CLI_EXIT_USAGE;
}
