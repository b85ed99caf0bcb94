/* The lean `cpuu` (Linux): the commands that need the directory or the
 * report store (map, report, and a run whose correspondence source is an
 * LDAP directory) are carried out by `cpuu-admin`, the full executable
 * installed beside this one, which is exec'd git-style with the same
 * arguments. The lean executable then never loads libldap, libpq or SQLite
 * (docs/update.md, "A lean update process"). */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ADMIN_NAME "cpuu-admin"

/* The admin executable's path: beside the running one (/proc/self/exe, so
 * a symlinked or PATH-found cpuu still finds its own companion). */
static int admin_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	slash[1] = '\0';
	int w = snprintf(buf, size, "%s%s", self, ADMIN_NAME);
	return w > 0 && (size_t)w < size ? 0 : -1;
}

int cli_admin_exec(int argc, char **argv)
{
	char path[PATH_MAX + sizeof ADMIN_NAME];
	if (admin_path(path, sizeof path) != 0) {
		fprintf(stderr, "cpuu %s: runs in %s, but this executable's folder is unknown\n", argv[0], ADMIN_NAME);
		return -1;
	}
	char **args = calloc((size_t)argc + 2, sizeof *args);
	if (!args) {
		fprintf(stderr, "cpuu: out of memory\n");
		return -1;
	}
	args[0] = path;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	fflush(NULL);
	execv(path, args);
	int err = errno;
	free(args);
	fprintf(stderr, "cpuu %s: runs in %s, which cannot be started: %s: %s\n", argv[0], ADMIN_NAME, path,
		strerror(err));
	return -1;
}

int cli_cmd_map(int argc, char **argv)
{
	cli_admin_exec(argc, argv);
	return CLI_EXIT_ERROR;
}

int cli_cmd_report(int argc, char **argv)
{
	cli_admin_exec(argc, argv);
	return CLI_EXIT_ERROR;
}
