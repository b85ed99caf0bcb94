/* The current time as UTC, broken down for strftime: the one place that
 * reads the clock for time stamps.
 *
 * The calendar is computed here rather than by gmtime_r: glibc's gmtime_r
 * loads the local time zone (/etc/localtime, seven system calls) the first
 * time it runs, although UTC needs none, and every update names its backup
 * with a time stamp. Proleptic Gregorian calendar, days counted from
 * 1970-01-01; exact for every time_t the platforms give. */
#include "common/internal.h"

#include <string.h>
#include <time.h>

void cpuu_utc_from_epoch(struct tm *tm, int64_t t)
{
	memset(tm, 0, sizeof *tm);
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	/* Years of 400 (146097 days) starting on 0000-03-01, so that the leap
	 * day is the last day of a year. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;					   /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		   /* [0, 365], from March 1 */
	int64_t mp = (5 * doy + 2) / 153;				   /* [0, 11], March = 0 */
	int64_t year = yoe + era * 400 + (mp >= 10);
	int month = (int)(mp < 10 ? mp + 3 : mp - 9); /* 1..12 */
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = month - 1;
	tm->tm_year = (int)(year - 1900);
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	static const short before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	tm->tm_yday = before[month - 1] + (month > 2 && leap) + tm->tm_mday - 1;
	tm->tm_isdst = 0;
}

void cpuu_utc_now(struct tm *tm)
{
	cpuu_utc_from_epoch(tm, (int64_t)time(NULL));
}
