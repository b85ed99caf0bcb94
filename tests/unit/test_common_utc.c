/* cpuu_utc_from_epoch computes the calendar itself (glibc's gmtime_r loads
 * the local time zone on first use): it must agree with gmtime_r field for
 * field, across leap days, century rules, negative times and far years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/internal.h"

static void assert_same_as_gmtime(int64_t t)
{
	struct tm ours, libc;
	time_t tt = (time_t)t;
	assert_non_null(gmtime_r(&tt, &libc));
	cpuu_utc_from_epoch(&ours, t);
	if (ours.tm_year != libc.tm_year || ours.tm_mon != libc.tm_mon || ours.tm_mday != libc.tm_mday ||
	    ours.tm_hour != libc.tm_hour || ours.tm_min != libc.tm_min || ours.tm_sec != libc.tm_sec ||
	    ours.tm_wday != libc.tm_wday || ours.tm_yday != libc.tm_yday) {
		fprintf(stderr, "t=%lld: ours %d-%d-%d %d:%d:%d w%d y%d, gmtime %d-%d-%d %d:%d:%d w%d y%d\n", (long long)t,
			ours.tm_year, ours.tm_mon, ours.tm_mday, ours.tm_hour, ours.tm_min, ours.tm_sec, ours.tm_wday,
			ours.tm_yday, libc.tm_year, libc.tm_mon, libc.tm_mday, libc.tm_hour, libc.tm_min, libc.tm_sec,
			libc.tm_wday, libc.tm_yday);
		fail();
	}
}

static void test_known_dates(void **state)
{
	(void)state;
	struct tm tm;
	cpuu_utc_from_epoch(&tm, 0);
	assert_int_equal(tm.tm_year, 70);
	assert_int_equal(tm.tm_mon, 0);
	assert_int_equal(tm.tm_mday, 1);
	assert_int_equal(tm.tm_wday, 4); /* a Thursday */
	cpuu_utc_from_epoch(&tm, 951782400);  /* 2000-02-29 00:00:00: a leap day of a 400-year */
	assert_int_equal(tm.tm_year, 100);
	assert_int_equal(tm.tm_mon, 1);
	assert_int_equal(tm.tm_mday, 29);
	cpuu_utc_from_epoch(&tm, 4107542399); /* 2100-02-28 23:59:59: 2100 is not a leap year */
	assert_int_equal(tm.tm_mon, 1);
	assert_int_equal(tm.tm_mday, 28);
	cpuu_utc_from_epoch(&tm, 4107542400);
	assert_int_equal(tm.tm_mon, 2);
	assert_int_equal(tm.tm_mday, 1);
	char buf[32];
	cpuu_utc_from_epoch(&tm, 1796292000); /* the backup names' format */
	assert_true(strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm) > 0);
	assert_string_equal(buf, "20261203T100000Z");
}

static void test_agrees_with_gmtime(void **state)
{
	(void)state;
	/* Every day boundary (and one second either side) from 1901 to 2200. */
	for (int64_t d = -25202; d <= 84006; d++)
		for (int s = -1; s <= 1; s++)
			assert_same_as_gmtime(d * 86400 + s);
	/* Random instants, fixed seed, across +-10,000 years. */
	srand(15);
	for (int i = 0; i < 200000; i++) {
		int64_t t = ((int64_t)rand() << 31 | rand()) % (int64_t)315537897600LL;
		assert_same_as_gmtime(i % 2 ? t : -t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_agrees_with_gmtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
