/* The durable floor as a whole process, for bench_update's CLI rows: what
 * any tool must do to change a hive safely — start, hivex open, commit to a
 * temp file, fsync, rename over the hive, fsync the folder — and nothing
 * else. Linked with hivex only, so its start-up is the lean one a logon
 * process could have. Usage: cpuu_floor_proc HIVE */
#include <hivex.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cpuu_floor_proc HIVE\n");
		return 2;
	}
	char tmp[4200], dir[4200];
	snprintf(tmp, sizeof tmp, "%s.floor", argv[1]);
	snprintf(dir, sizeof dir, "%s", argv[1]);
	hive_h *h = hivex_open(argv[1], HIVEX_OPEN_WRITE);
	if (!h || hivex_commit(h, tmp, 0) != 0)
		return 1;
	hivex_close(h);
	int fd = open(tmp, O_RDONLY);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || dfd < 0 || fsync(fd) || rename(tmp, argv[1]) || fsync(dfd))
		return 1;
	close(fd);
	close(dfd);
	return 0;
}
