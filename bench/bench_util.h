/* Shared by the benchmarks: clocks, medians and ranges, and the rule that
 * contenders are measured in turns within each round (paired, interleaved),
 * so drift of a shared VM falls on all of them alike. Header-only: each
 * bench_<name>.c is its own program. */
#ifndef CPUU_BENCH_UTIL_H
#define CPUU_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this process and of its waited-for children, ms. */
static inline double bu_cpu_ms(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) /
		       1e3;
}

static int bu_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median, minimum and maximum of n samples (the samples are not changed). */
typedef struct bu_stat {
	double median, min, max;
	int n;
} bu_stat;

static inline bu_stat bu_stat_of(const double *v, int n)
{
	bu_stat s = { -1, -1, -1, n };
	if (n <= 0)
		return s;
	double *c = malloc((size_t)n * sizeof *c);
	if (!c)
		return s;
	memcpy(c, v, (size_t)n * sizeof *c);
	qsort(c, (size_t)n, sizeof *c, bu_cmp_double);
	s.median = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	s.min = c[0];
	s.max = c[n - 1];
	free(c);
	return s;
}

/* "12.34 [11.90-13.02]": the median and the range, in the unit given. */
static inline void bu_print_stat(const char *label, bu_stat s, const char *unit)
{
	if (s.n <= 0) {
		printf("  %-58s %s\n", label, "-");
		return;
	}
	printf("  %-58s %10.2f %s  [%.2f - %.2f]  (n=%d)\n", label, s.median, unit, s.min, s.max, s.n);
}

/* Number of rounds: argv value, else $CPUU_BENCH_ROUNDS, else dflt; at least 5
 * (medians of fewer say little on a shared machine). */
static inline int bu_rounds(const char *arg, int dflt)
{
	int r = arg ? atoi(arg) : 0;
	if (r <= 0 && getenv("CPUU_BENCH_ROUNDS"))
		r = atoi(getenv("CPUU_BENCH_ROUNDS"));
	if (r <= 0)
		r = dflt;
	return r < 5 ? 5 : r;
}

#endif
