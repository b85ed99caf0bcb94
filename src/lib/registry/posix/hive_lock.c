/* One writer per hive: the lock a write open takes before it reads the hive
 * and keeps until the handle is freed (docs/registry.md, "One writer per
 * hive").
 *
 * Two mechanisms, because neither is enough alone:
 *  - the lock file ".<hive>.cpuu-lock", created with O_EXCL beside the
 *    hive: exclusive creation works on every filesystem cpuu writes hives
 *    on, NFS included, and it holds who owns it (pid, host, time);
 *  - an fcntl write lock on that file (OFD lock where the kernel has one):
 *    the kernel drops it when its owner dies, so a lock file left by a
 *    killed run is recognised at once and removed, without guessing.
 * Where fcntl locks do not work (ENOLCK: NFS without lockd), the owner
 * record decides: a dead pid on this host is stale, a lock of another host
 * only once older than the stale age.
 * Every name is resolved relative to the hive's folder descriptor without
 * following links. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "registry/hive.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A lock file without a complete owner record is its creator between
 * O_EXCL and writing the record (microseconds) unless it is this old. */
#define EMPTY_GRACE_S 30

enum { LK_GOT, LK_BUSY, LK_NONE };

/* Non-blocking write lock on the whole file. OFD locks belong to the open
 * file, so two handles of one process exclude each other too; classic
 * POSIX locks are the fallback (per process). */
static int try_lock(int fd, int *ofd)
{
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
		*ofd = 1;
		return LK_GOT;
	}
	if (errno == EAGAIN || errno == EACCES)
		return LK_BUSY;
	if (errno != EINVAL)
		return LK_NONE;
#endif
	*ofd = 0;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return LK_GOT;
	return errno == EAGAIN || errno == EACCES ? LK_BUSY : LK_NONE;
}

static void host_name(char *buf, size_t n)
{
	if (gethostname(buf, n) != 0)
		snprintf(buf, n, "?");
	buf[n - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == ' ')
			*p = '_';
}

typedef struct owner {
	long pid;
	long long since;
	char host[256];
	int complete;
} owner;

static void read_owner(owner *o, int fd)
{
	char buf[512];
	memset(o, 0, sizeof *o);
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* "cpuu-lock 1 pid=<n> host=<name> time=<unix>\n"; the newline ends a
	 * complete record. */
	o->complete = sscanf(buf, "cpuu-lock 1 pid=%ld host=%255s time=%lld", &o->pid, o->host, &o->since) == 3 &&
		      strchr(buf, '\n') != NULL;
}

static int same_file(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;
	return fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st->st_dev &&
	       now.st_ino == st->st_ino;
}

/* Looks at an existing lock file: 1 it was stale and is gone (try again),
 * 0 a live run holds it (who: its owner), < 0 refused (message set). */
static int examine(int dirfd, const char *name, const char *where, unsigned stale_s, char *who, size_t whosz)
{
	int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == EACCES)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1; /* released meanwhile */
		if (errno == ELOOP)
			return cpuu_error_set(CPUU_ELOCKED, "%s: '%s' is a link, not a regular file: not a lock of cpuu; "
					      "refusing to touch the hive", where, name);
		return cpuu_error_set(CPUU_ELOCKED, "%s: cannot read the lock file '%s': %s", where, name, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cpuu_error_set(CPUU_ELOCKED, "%s: '%s' is not a lock file of cpuu (not a regular file); "
				      "refusing to touch the hive", where, name);
	}
	owner o;
	read_owner(&o, fd);
	char host[256];
	host_name(host, sizeof host);
	int ofd = 0, lk = try_lock(fd, &ofd);
	if (lk == LK_GOT)
		read_owner(&o, fd); /* the owner may have finished its record meanwhile */
	int local = o.complete && !strcmp(o.host, host);
	time_t now = time(NULL);
	long long age = (long long)now - (long long)st.st_mtime;
	int stale;
	if (lk == LK_BUSY)
		stale = 0;
	else if (!o.complete)
		stale = age > EMPTY_GRACE_S; /* a creator killed before its record */
	else if (lk == LK_GOT)
		/* Nobody holds its lock: the owner is dead (the kernel dropped
		 * it). Classic locks do not exclude our own process: our own
		 * live record stays. */
		stale = !(local && !ofd && o.pid == (long)getpid());
	else if (local)
		stale = kill((pid_t)o.pid, 0) != 0 && errno == ESRCH;
	else
		stale = (long long)now - o.since > (long long)stale_s && age > (long long)stale_s;
	if (stale) {
		/* Under its fcntl lock no other cpuu can break it at the same time;
		 * the name is checked to still be this file. */
		if (same_file(dirfd, name, &st))
			(void)unlinkat(dirfd, name, 0);
		close(fd);
		return 1;
	}
	if (o.complete)
		snprintf(who, whosz, "pid %ld on %s since %lld", o.pid, o.host, o.since);
	else
		snprintf(who, whosz, "a run that is starting");
	close(fd);
	return 0;
}

/* Creates the lock file; 1 when it exists already, 0 when it is ours. */
static int create(cpuu_hive_lock *lk, int dirfd, const char *name, const char *where)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1;
		int code = errno == EACCES || errno == EPERM || errno == EROFS ? CPUU_EREADONLY : CPUU_EIO;
		return cpuu_error_set(code, "%s: cannot create the lock file '%s': %s", where, name, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return cpuu_error_set(CPUU_EIO, "%s: cannot stat the lock file: %s", where, strerror(e));
	}
	/* Someone examining it may hold its lock for a moment. */
	int ofd = 0, got = LK_BUSY;
	for (int i = 0; i < 200 && (got = try_lock(fd, &ofd)) == LK_BUSY; i++)
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	char host[256], rec[400];
	host_name(host, sizeof host);
	int n = snprintf(rec, sizeof rec, "cpuu-lock 1 pid=%ld host=%s time=%lld\n", (long)getpid(), host,
			 (long long)time(NULL));
	if (got == LK_BUSY || pwrite(fd, rec, (size_t)n, 0) != n || !same_file(dirfd, name, &st)) {
		/* Broken by a waiter that judged it stale before our record was
		 * there, or never ours: start over. */
		if (same_file(dirfd, name, &st))
			(void)unlinkat(dirfd, name, 0);
		close(fd);
		return 1;
	}
	lk->fd = fd;
	lk->dev = (uint64_t)st.st_dev;
	lk->ino = (uint64_t)st.st_ino;
	return 0;
}

int cpuu_hive_lock_acquire(cpuu_hive_lock *lk, int dirfd, const char *base, const char *where, int wait_ms,
			   unsigned stale_s)
{
	memset(lk, 0, sizeof *lk);
	lk->fd = -1;
	lk->name = cpuu_aprintf(".%s.cpuu-lock", base);
	if (!lk->name)
		return cpuu_error_oom();
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long sleep_ms = 2;
	char who[400] = "another run";
	for (;;) {
		int rc = create(lk, dirfd, lk->name, where);
		if (rc == 0)
			return CPUU_OK;
		if (rc < 0)
			break;
		if ((rc = examine(dirfd, lk->name, where, stale_s, who, sizeof who)) == 1)
			continue;
		if (rc < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long waited = (long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited >= wait_ms) {
			cpuu_error_set(CPUU_ELOCKED,
				       "%s: another cpuu run holds this hive (%s; lock file '%s'); waited %ld ms, "
				       "nothing was changed",
				       where, who, lk->name, waited);
			break;
		}
		long nap = sleep_ms < wait_ms - waited ? sleep_ms : wait_ms - waited;
		nanosleep(&(struct timespec){ nap / 1000, (nap % 1000) * 1000000 }, NULL);
		if (sleep_ms < 100)
			sleep_ms *= 2;
	}
	free(lk->name);
	lk->name = NULL;
	return cpuu_error_last()->code ? cpuu_error_last()->code : CPUU_ELOCKED;
}

void cpuu_hive_lock_release(cpuu_hive_lock *lk, int dirfd)
{
	if (lk->fd >= 0) {
		/* The name goes while we still hold the lock, so nobody takes
		 * our file for a stale one in between. */
		struct stat now;
		if (lk->name && fstatat(dirfd, lk->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (uint64_t)now.st_dev == lk->dev && (uint64_t)now.st_ino == lk->ino)
			(void)unlinkat(dirfd, lk->name, 0);
		close(lk->fd);
	}
	free(lk->name);
	memset(lk, 0, sizeof *lk);
	lk->fd = -1;
}
