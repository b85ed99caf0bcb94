/* The durable floor as a whole process, for bench_update's CLI rows: what
 * any tool must do to change a hive safely — start, hivex open, commit to a
 * temp file, fsync, rename over the hive, fsync the folder — and nothing
 * else. Linked with hivex only, so its start-up is the lean one a logon
 * process could have.
 *
 * With --backup FILE it also keeps a backup the way the project's rules ask
 * of any tool ("backed up" before the hive is replaced, durable): the bytes
 * of FILE (cpuu's own .reg backup of the same run, read from the page cache)
 * written to a new file in a new folder beside the hive (<hive>.floor/, as
 * cpuu's first run creates <hive>.cpuu/), fsynced with that folder before
 * the rename, in a thread beside the hive's fsync as cpuu does. That is the
 * floor of what cpuu must do, with none of its planning or checks.
 * Usage: cpuu_floor_proc [--backup FILE] HIVE */
#include <hivex.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct backup_job {
	const char *from, *hive;
	int rc;
} backup_job;

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* mkdir <hive>.floor, write FILE's bytes to backup.reg there, fsync it and
 * the folder. */
static void *backup(void *arg)
{
	backup_job *j = arg;
	char dir[4200], path[4300];
	snprintf(dir, sizeof dir, "%s.floor", j->hive);
	snprintf(path, sizeof path, "%s/backup.reg", dir);
	j->rc = 1;
	int in = open(j->from, O_RDONLY);
	struct stat st;
	if (in < 0 || fstat(in, &st) != 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	ssize_t got = buf ? read(in, buf, (size_t)st.st_size) : -1;
	close(in);
	if (got != st.st_size || (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0)) {
		free(buf);
		return NULL;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0 && dfd >= 0 && write_all(fd, buf, (size_t)got) == 0 && fsync(fd) == 0 && fsync(dfd) == 0)
		j->rc = 0;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *from = NULL;
	if (argc == 4 && !strcmp(argv[1], "--backup")) {
		from = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: cpuu_floor_proc [--backup FILE] HIVE\n");
		return 2;
	}
	char tmp[4200], dir[4200];
	snprintf(tmp, sizeof tmp, "%s.floor-tmp", argv[1]);
	snprintf(dir, sizeof dir, "%s", argv[1]);
	hive_h *h = hivex_open(argv[1], HIVEX_OPEN_WRITE);
	if (!h || hivex_commit(h, tmp, 0) != 0)
		return 1;
	hivex_close(h);
	backup_job job = { from, argv[1], 0 };
	pthread_t th;
	int threaded = from && pthread_create(&th, NULL, backup, &job) == 0;
	if (from && !threaded)
		backup(&job);
	int fd = open(tmp, O_RDONLY);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	int bad = fd < 0 || dfd < 0 || fsync(fd);
	if (threaded)
		pthread_join(th, NULL);
	if (bad || job.rc || rename(tmp, argv[1]) || fsync(dfd))
		return 1;
	close(fd);
	close(dfd);
	return 0;
}
