/* The report store suite of test_report_store.c against PostgreSQL: a real
 * cluster started for this run on a free loopback port by
 * tests/support/pg.sh and stopped by PID at the end. Skipped (77, with the
 * reason) only when the PostgreSQL server is not installed. */
#define REPORT_TEST_PG 1
#include "test_report_store.c"
