/* The fixture both registry test programs share: a blank NTUSER.DAT in a
 * fresh folder per test, and opening it for writing or failing the test. */
#ifndef CPUU_TEST_REGISTRY_FIXTURE_H
#define CPUU_TEST_REGISTRY_FIXTURE_H

#include <stdlib.h>

#include "cpuu/registry.h"
#include "testutil.h"

typedef struct fx {
	char *dir;
	char *hive;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = test_tmpdir("registry");
	f->hive = test_path(f->dir, "NTUSER.DAT");
	assert_int_equal(cpuu_hive_create_blank(f->hive, NULL), CPUU_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	test_tmpdir_remove(f->dir);
	free(f->hive);
	free(f);
	return 0;
}

static cpuu_reg *open_rw(const char *path)
{
	cpuu_reg *reg = NULL;
	if (cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE))
		fail_msg("open %s: %s", path, cpuu_error_last()->message);
	return reg;
}

#endif
