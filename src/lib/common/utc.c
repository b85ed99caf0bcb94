/* The current time as UTC, broken down for strftime: the one place that
 * knows Windows' and POSIX's thread-safe gmtime by their names. */
#include "common/internal.h"

#include <time.h>

void cpuu_utc_now(struct tm *tm)
{
	time_t t = time(NULL);
#ifdef _WIN32
	gmtime_s(tm, &t);
#else
	gmtime_r(&t, tm);
#endif
}
