/* Bulk offline runs: many hives, one worker process per core. Processes, not
 * threads, so that a crash in one hive (a bug, a hostile file) ends only that
 * worker: the parent records CRASH for the hive it was on and starts a new
 * worker for the rest. */
#include "cli.h"
#include "cpuu/shard.h"
#include "opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Most hives a worker takes at once (--batch): their commits share two
 * filesystem syncs instead of syncing each hive on its own. */
#define BATCH_MAX 64

/* State the workers share with the parent. */
typedef struct shared {
	size_t next;        /* next hive index to claim */
	size_t done;        /* hives finished */
	unsigned masks[];   /* exit bits per hive */
} shared;

typedef struct worker {
	pid_t pid;
	char *out_path;     /* its JSON lines */
	long current;       /* hive being processed (-1 idle); read through a pipe-free file */
} worker;

static int list_push(cpuu_strlist *l, const char *s)
{
	return cpuu_strlist_add(l, s);
}

static int read_hive_list(cpuu_strlist *out, const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "cpuu: cannot read %s\n", cli_shown(file));
		return -1;
	}
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (!n || line[0] == '#')
			continue;
		if (list_push(out, line)) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/<user>/NTUSER.DAT (any case), users in name order. */
static int scan_users_dir(cpuu_strlist *out, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cpuu: cannot read folder %s\n", cli_shown(dir));
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *udir = malloc(n);
		if (!udir)
			break;
		snprintf(udir, n, "%s/%s", dir, e->d_name);
		/* Never through a link (issue 16): a user folder that is one could
		 * lead to another user's hive. */
		struct stat lst;
		DIR *u = lstat(udir, &lst) == 0 && S_ISDIR(lst.st_mode) ? opendir(udir) : NULL;
		if (!u && lstat(udir, &lst) == 0 && S_ISLNK(lst.st_mode))
			fprintf(stderr, "cpuu: %s is a link: skipped (never followed)\n", cli_shown(udir));
		struct dirent *f;
		while (u && (f = readdir(u))) {
			if (strcasecmp(f->d_name, "NTUSER.DAT"))
				continue;
			size_t m = strlen(udir) + strlen(f->d_name) + 2;
			char *path = malloc(m);
			if (path) {
				snprintf(path, m, "%s/%s", udir, f->d_name);
				if (lstat(path, &lst) == 0 && S_ISREG(lst.st_mode))
					list_push(out, path);
				else
					fprintf(stderr, "cpuu: %s is a link or not a file: skipped (never followed)\n",
						cli_shown(path));
				free(path);
			}
			break;
		}
		if (u)
			closedir(u);
		free(udir);
	}
	closedir(d);
	if (out->count)
		qsort(out->items, out->count, sizeof *out->items, cmp_str);
	return 0;
}

/* A hive named twice (/x/NTUSER.DAT and /x/./NTUSER.DAT, a hard link, a
 * symlink) would be run by two workers at once: the first name of each file
 * (device and inode) is kept, the others dropped with a warning. A name that
 * cannot be stat'ed is kept: its run reports why. */
static int drop_duplicate_hives(cpuu_strlist *hives)
{
	struct key { dev_t dev; ino_t ino; } *seen = calloc(hives->count ? hives->count : 1, sizeof *seen);
	if (!seen)
		return -1;
	size_t kept = 0, nseen = 0;
	for (size_t i = 0; i < hives->count; i++) {
		struct stat st;
		int dup = 0;
		if (stat(hives->items[i], &st) == 0) {
			for (size_t k = 0; k < nseen && !dup; k++)
				dup = seen[k].dev == st.st_dev && seen[k].ino == st.st_ino;
			if (!dup) {
				seen[nseen].dev = st.st_dev;
				seen[nseen].ino = st.st_ino;
				nseen++;
			}
		}
		if (dup) {
			fprintf(stderr, "cpuu: warning: %s is a hive already in this run: processed once\n",
				cli_shown(hives->items[i]));
			free(hives->items[i]);
			continue;
		}
		hives->items[kept++] = hives->items[i];
	}
	hives->count = kept;
	free(seen);
	return 0;
}

/* --shard K/N: keeps the hives whose user folder (the <user> of
 * .../<user>/NTUSER.DAT, whatever the share's mount point on this host) is in
 * shard K, so N hosts given the same share each take their own hives. */
static void keep_shard(cpuu_strlist *hives, const cli_shard *shard)
{
	size_t kept = 0;
	for (size_t i = 0; i < hives->count; i++) {
		const char *h = hives->items[i], *end = strrchr(h, '/');
		while (end && end > h && end[-1] == '/')
			end--;
		const char *start = end;
		while (start && start > h && start[-1] != '/')
			start--;
		char name[1024] = "";
		if (start && (size_t)(end - start) < sizeof name) {
			memcpy(name, start, (size_t)(end - start));
			name[end - start] = '\0';
		}
		if (cpuu_shard_of(name, shard->count) == shard->index)
			hives->items[kept++] = hives->items[i];
		else
			free(hives->items[i]);
	}
	hives->count = kept;
}

static void worker_main(shared *sh, const cpuu_strlist *hives, const char *out_path, long *current_slot,
			const cpuu_run_opts *opts, const cpuu_match_source *resolver, size_t batch)
{
	FILE *out = fopen(out_path, "a");
	if (!out)
		_exit(2);
	for (;;) {
		size_t first = __atomic_fetch_add(&sh->next, batch, __ATOMIC_SEQ_CST);
		if (first >= hives->count)
			break;
		size_t n = hives->count - first < batch ? hives->count - first : batch;
		__atomic_store_n(&current_slot[0], (long)first, __ATOMIC_SEQ_CST);
		__atomic_store_n(&current_slot[1], (long)n, __ATOMIC_SEQ_CST);
		cpuu_results *res[BATCH_MAX] = { 0 };
		if (n == 1)
			cpuu_run_hive(&res[0], hives->items[first], opts, resolver); /* synced on its own */
		else
			cpuu_run_hives(res, (const char *const *)&hives->items[first], n, opts, resolver);
		for (size_t k = 0; k < n; k++) {
			char *text = NULL;
			if (res[k] && cpuu_results_to_jsonl(&text, res[k]) == CPUU_OK)
				fputs(text, out);
			cpuu_free(text);
			sh->masks[first + k] = res[k] ? res[k]->exit_mask : CPUU_EXIT_GLOBAL_ERR;
			cpuu_results_free(res[k]);
		}
		fflush(out);
		__atomic_store_n(&current_slot[0], -1L, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&sh->done, n, __ATOMIC_SEQ_CST);
	}
	fclose(out);
	_exit(0);
}

static void progress(size_t done, size_t total)
{
	int width = 40, filled = total ? (int)(done * (size_t)width / total) : width;
	fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled, "########################################",
		width - filled, "", done, total);
}

static void count_outcomes(const char *path, size_t counts[], const char *const names[], size_t nnames)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[16384];
	while (fgets(line, sizeof line, f)) {
		const char *o = strstr(line, "\"outcome\":\"");
		if (!o)
			continue;
		o += 11;
		for (size_t k = 0; k < nnames; k++) {
			size_t n = strlen(names[k]);
			if (!strncmp(o, names[k], n) && o[n] == '"')
				counts[k]++;
		}
	}
	fclose(f);
}

unsigned cli_run_bulk(const char *hives_file, const char *users_dir, unsigned workers, int batch_arg,
		      const cli_shard *shard, const cpuu_run_config *rc, const cpuu_match_source *resolver)
{
	const cpuu_run_opts *opts = &rc->opts;
	int json = rc->json_results;
	size_t batch = batch_arg < 1 ? 1 : batch_arg > BATCH_MAX ? BATCH_MAX : (size_t)batch_arg;
	cpuu_strlist hives = { 0 };
	if ((hives_file ? read_hive_list(&hives, hives_file) : scan_users_dir(&hives, users_dir)) != 0) {
		cpuu_strlist_free(&hives);
		return CPUU_EXIT_GLOBAL_ERR;
	}
	if (hives.count == 0) {
		fprintf(stderr, "cpuu: no hive to process\n");
		return CPUU_EXIT_CANNOT_START;
	}
	size_t listed = hives.count;
	if (shard && shard->count > 1)
		keep_shard(&hives, shard);
	if (drop_duplicate_hives(&hives) != 0) {
		cpuu_strlist_free(&hives);
		return CPUU_EXIT_GLOBAL_ERR;
	}
	if (hives.count == 0 && shard) {
		/* A shard can be empty on a small share: its host has nothing to do,
		 * which is success (a retried Job pod must not loop on it). */
		fprintf(json ? stderr : stdout, "%s: 0 hives (shard %u/%u of %zu)\n", cpuu_mode_name(opts->mode),
			shard->index, shard->count, listed);
		cpuu_strlist_free(&hives);
		return 0;
	}
	int nworkers = workers ? (int)workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nworkers <= 0)
		nworkers = 1;
	if ((size_t)nworkers > hives.count)
		nworkers = (int)hives.count;

	/* Per worker: first hive of its batch (-1 idle) and the batch size. */
	size_t shsize = sizeof(shared) + hives.count * sizeof(unsigned) + 2 * (size_t)nworkers * sizeof(long) + 8;
	shared *sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		cpuu_strlist_free(&hives);
		return CPUU_EXIT_GLOBAL_ERR;
	}
	memset(sh, 0, shsize);
	long *current = (long *)(void *)(((uintptr_t)&sh->masks[hives.count] + 7) & ~(uintptr_t)7);
	/* [General] TempDir, else TMPDIR, else /tmp. */
	const char *base = rc->temp_dir && *rc->temp_dir ? rc->temp_dir : getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *tmpl = malloc(strlen(base) + sizeof "/cpuu-bulk-XXXXXX");
	if (tmpl)
		sprintf(tmpl, "%s/cpuu-bulk-XXXXXX", base);
	const char *tmpdir = tmpl ? mkdtemp(tmpl) : NULL;
	if (!tmpdir) {
		fprintf(stderr, "cpuu: cannot create a temporary folder in %s\n", base);
		free(tmpl);
		munmap(sh, shsize);
		cpuu_strlist_free(&hives);
		return CPUU_EXIT_FAILED_TO_CREATE_TMP_DIR;
	}
	worker *w = calloc((size_t)nworkers, sizeof *w);
	unsigned mask = 0;
	int tty = isatty(2) && !json;
	fflush(stdout);
	fflush(stderr);
	for (int k = 0; w && k < nworkers; k++) {
		w[k].out_path = malloc(strlen(tmpdir) + 32);
		sprintf(w[k].out_path, "%s/worker-%d.jsonl", tmpdir, k);
		current[2 * k] = -1;
		w[k].pid = fork();
		if (w[k].pid == 0)
			worker_main(sh, &hives, w[k].out_path, &current[2 * k], opts, resolver, batch);
	}
	int alive = nworkers;
	while (w && alive > 0) {
		int status;
		/* Without a progress bar to draw, just wait for a worker to end. */
		pid_t pid = waitpid(-1, &status, tty ? WNOHANG : 0);
		if (pid == 0) {
			progress(__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST), hives.count);
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (pid < 0)
			break;
		int k = 0;
		while (k < nworkers && w[k].pid != pid)
			k++;
		if (k == nworkers)
			continue;
		alive--;
		long cur = __atomic_load_n(&current[2 * k], __ATOMIC_SEQ_CST);
		long cnt = __atomic_load_n(&current[2 * k + 1], __ATOMIC_SEQ_CST);
		int crashed = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
		if (crashed && cur >= 0) {
			/* Record the crash for that batch, then carry on with a new worker.
			 * Each of its hives is whole: old, or new if its rename was reached. */
			FILE *f = fopen(w[k].out_path, "a");
			for (long h = cur; h < cur + cnt && (size_t)h < hives.count; h++) {
				sh->masks[h] = CPUU_EXIT_CRASH | CPUU_EXIT_SWITCH_ERR;
				if (!f)
					continue;
				/* The same record form (and JSON escaping of the hive's
				 * path) as every other record of the run. */
				char msg[160];
				snprintf(msg, sizeof msg,
					 "worker crashed (signal %d); the hive is either as it was or fully updated: run again",
					 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
				cpuu_result rec = { .hive = hives.items[h], .mode = opts->mode,
						    .outcome = CPUU_OUTCOME_ERROR, .message = msg };
				cpuu_results one = { .items = &rec, .count = 1 };
				char *text = NULL;
				if (cpuu_results_to_jsonl(&text, &one) == CPUU_OK)
					fputs(text, f);
				cpuu_free(text);
			}
			if (f)
				fclose(f);
			__atomic_fetch_add(&sh->done, (size_t)cnt, __ATOMIC_SEQ_CST);
			current[2 * k] = -1;
			if (__atomic_load_n(&sh->next, __ATOMIC_SEQ_CST) < hives.count) {
				w[k].pid = fork();
				if (w[k].pid == 0)
					worker_main(sh, &hives, w[k].out_path, &current[2 * k], opts, resolver, batch);
				alive++;
			}
		}
	}
	if (tty) {
		progress(sh->done, hives.count);
		fputc('\n', stderr);
	}
	const char *names[CPUU_OUTCOME_COUNT];
	for (int k = 0; k < CPUU_OUTCOME_COUNT; k++)
		names[k] = cpuu_outcome_name((cpuu_outcome)k);
	size_t counts[CPUU_OUTCOME_COUNT] = { 0 };
	for (int k = 0; w && k < nworkers; k++) {
		if (json) {
			FILE *f = fopen(w[k].out_path, "r");
			char buf[65536];
			size_t n;
			while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
				fwrite(buf, 1, n, stdout);
			if (f)
				fclose(f);
		}
		count_outcomes(w[k].out_path, counts, names, sizeof names / sizeof names[0]);
		unlink(w[k].out_path);
		free(w[k].out_path);
	}
	rmdir(tmpdir);
	free(tmpl);
	for (size_t i = 0; i < hives.count; i++)
		mask |= sh->masks[i];
	FILE *summary = json ? stderr : stdout;
	fprintf(summary, "%s: %zu hive%s", cpuu_mode_name(opts->mode), hives.count, hives.count == 1 ? "" : "s");
	if (shard && shard->count > 1)
		fprintf(summary, " (shard %u/%u of %zu)", shard->index, shard->count, listed);
	fprintf(summary, ", %d worker%s:", nworkers, nworkers == 1 ? "" : "s");
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (counts[k])
			fprintf(summary, " %s=%zu", names[k], counts[k]);
	fprintf(summary, "\n");
	free(w);
	munmap(sh, shsize);
	cpuu_strlist_free(&hives);
	return mask;
}
