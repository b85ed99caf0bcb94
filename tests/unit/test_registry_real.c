/* Real NTUSER.DAT files (copies): whole-tree reads, and edits that leave
 * every pre-existing key and value byte-identical. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "cpuu/registry.h"
#include "testutil.h"

#define ADDED_KEY "Software\\cpuu-test"
#define ADDED_VALUE "cpuu-test-value"

typedef struct stats {
	size_t keys, values, bytes;
} stats;

/* Dumps the subtree in stored order: "[path]" then one line per value with
 * type and hex data. Things this test added are left out when skip_added. */
static void dump(cpuu_buf *out, stats *st, cpuu_reg *reg, const cpuu_reg_key *key, int skip_added)
{
	const char *path = cpuu_reg_key_path(key);
	if (skip_added && cpuu_strcasecmp_ascii(path, ADDED_KEY) == 0)
		return;
	st->keys++;
	cpuu_buf_printf(out, "[%s]\n", path);
	cpuu_reg_value *vals;
	size_t n;
	if (cpuu_reg_key_values(&vals, &n, reg, key))
		fail_msg("values of %s: %s", path, cpuu_error_last()->message);
	for (size_t i = 0; i < n; i++) {
		if (skip_added && strcmp(vals[i].name, ADDED_VALUE) == 0)
			continue;
		st->values++;
		st->bytes += vals[i].len;
		cpuu_buf_printf(out, "\"%s\"=%u:", vals[i].name, vals[i].type);
		char *hex = malloc(2 * vals[i].len + 1);
		cpuu_hex_encode(hex, vals[i].data, vals[i].len);
		cpuu_buf_puts(out, hex);
		cpuu_buf_puts(out, "\n");
		free(hex);
	}
	cpuu_reg_values_free(vals, n);
	cpuu_strlist kids;
	if (cpuu_reg_key_subkeys(&kids, reg, key))
		fail_msg("subkeys of %s: %s", path, cpuu_error_last()->message);
	for (size_t i = 0; i < kids.count; i++) {
		cpuu_reg_key *k = NULL;
		if (cpuu_reg_key_open(&k, reg, key, kids.items[i]))
			fail_msg("open %s\\%s: %s", path, kids.items[i], cpuu_error_last()->message);
		assert_string_equal(cpuu_reg_key_name(k), kids.items[i]);
		dump(out, st, reg, k, skip_added);
		cpuu_reg_key_free(k);
	}
	cpuu_strlist_free(&kids);
}

static char *dump_file(const char *path, stats *st, int skip_added)
{
	cpuu_reg *reg = NULL;
	if (cpuu_reg_open_hive(&reg, path, 0))
		fail_msg("open %s: %s", path, cpuu_error_last()->message);
	cpuu_reg_key *root = NULL;
	assert_int_equal(cpuu_reg_root(&root, reg), CPUU_OK);
	cpuu_buf b = { 0 };
	memset(st, 0, sizeof *st);
	dump(&b, st, reg, root, skip_added);
	cpuu_reg_key_free(root);
	cpuu_reg_free(reg);
	assert_false(b.failed);
	return cpuu_buf_detach(&b, NULL);
}

static void check_real(const char *name, size_t min_keys)
{
	char *src = test_real_hive(name);
	if (!src) {
		print_message("%s not available\n", name);
		skip();
	}
	char *dir = test_tmpdir("regreal");
	char *hive = test_path(dir, "NTUSER.DAT");
	assert_int_equal(test_copy_file(src, hive), 0);

	stats before;
	char *d0 = dump_file(hive, &before, 0);
	assert_true(before.keys >= min_keys);
	assert_true(before.values > 0);
	print_message("%s: %zu keys, %zu values, %zu data bytes\n", name, before.keys, before.values, before.bytes);

	/* add a subtree, a value to an existing key, and change nothing else */
	cpuu_reg *reg = NULL;
	if (cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE))
		fail_msg("open rw: %s", cpuu_error_last()->message);
	cpuu_reg_key *sw = NULL, *p = NULL;
	assert_int_equal(cpuu_reg_key_open(&sw, reg, NULL, "software"), CPUU_OK);
	cpuu_reg_value *vals;
	size_t nsw;
	assert_int_equal(cpuu_reg_key_values(&vals, &nsw, reg, sw), CPUU_OK);
	cpuu_reg_values_free(vals, nsw);
	assert_int_equal(cpuu_reg_set_string(reg, sw, ADDED_VALUE, "added"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_create(&p, reg, NULL,
		ADDED_KEY "\\Profiles\\Outlook\\9375CFF0413111d3B88A00104B2A6676\\00000002"), CPUU_OK);
	assert_int_equal(cpuu_reg_set_dword(reg, p, "MAPI Provider", 5), CPUU_OK);
	uint8_t blob[300];
	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)(i * 7);
	assert_int_equal(cpuu_reg_value_set(reg, p, "01023d01", CPUU_REG_BINARY, blob, sizeof blob), CPUU_OK);
	assert_int_equal(cpuu_reg_commit(reg, NULL), CPUU_OK);
	char *bak = cpuu_strdup(cpuu_reg_last_backup(reg));
	cpuu_reg_key_free(sw);
	cpuu_reg_key_free(p);
	cpuu_reg_free(reg);
	assert_true(test_files_equal(bak, src));

	stats after;
	char *d1 = dump_file(hive, &after, 1);
	assert_int_equal(before.keys, after.keys);
	assert_int_equal(before.values, after.values);
	assert_string_equal(d0, d1);

	/* the additions are there, exactly */
	reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&p, reg, NULL,
		ADDED_KEY "\\Profiles\\Outlook\\9375CFF0413111d3B88A00104B2A6676\\00000002"), CPUU_OK);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, p, "01023D01"), CPUU_OK);
	assert_int_equal(v.len, sizeof blob);
	assert_memory_equal(v.data, blob, sizeof blob);
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(p);
	assert_int_equal(cpuu_reg_key_open(&sw, reg, NULL, "Software"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_values(&vals, &nsw, reg, sw), CPUU_OK);
	assert_string_equal(vals[nsw - 1].name, ADDED_VALUE);
	cpuu_reg_values_free(vals, nsw);
	cpuu_reg_key_free(sw);
	cpuu_reg_free(reg);

	/* undo: delete the additions, commit, and the full dump is the original */
	reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_delete(reg, NULL, ADDED_KEY), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&sw, reg, NULL, "Software"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_delete(reg, sw, ADDED_VALUE), CPUU_OK);
	cpuu_reg_key_free(sw);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_free(reg);
	stats undone;
	char *d2 = dump_file(hive, &undone, 0);
	assert_string_equal(d0, d2);
	/* and an independent reader agrees: hivexregedit exports are equal */
	if (system("command -v hivexregedit >/dev/null 2>&1") == 0) {
		char *e0 = test_path(dir, "orig.reg"), *e1 = test_path(dir, "final.reg");
		char cmd[8192];
		snprintf(cmd, sizeof cmd, "hivexregedit --export '%s' '\\' > '%s' && hivexregedit --export '%s' '\\' > '%s'",
			 src, e0, hive, e1);
		assert_int_equal(system(cmd), 0);
		size_t elen;
		uint8_t *etext = test_read_file(e0, &elen);
		assert_true(elen > 1000);
		free(etext);
		assert_true(test_files_equal(e0, e1));
		free(e0);
		free(e1);
	}

	/* a dirty copy of a real hive is refused */
	size_t n;
	uint8_t *b = test_read_file(src, &n);
	uint32_t seq = cpuu_le32(b + 4);
	cpuu_put_le32(b + 8, seq + 1);
	uint32_t x = 0;
	for (size_t i = 0; i < 508; i += 4)
		x ^= cpuu_le32(b + i);
	cpuu_put_le32(b + 508, x == 0 ? 1 : x == 0xFFFFFFFFu ? 0xFFFFFFFEu : x);
	char *dirty = test_path(dir, "dirty.dat");
	assert_int_equal(test_write_file(dirty, b, n), 0);
	reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, dirty, CPUU_REG_OPEN_WRITE), CPUU_EDIRTY);
	char expect[64];
	snprintf(expect, sizeof expect, "%u != %u", seq, seq + 1);
	assert_non_null(strstr(cpuu_error_last()->message, expect));
	assert_true(test_files_equal(dirty, dirty)); /* still readable */
	size_t n2;
	uint8_t *b2 = test_read_file(dirty, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(b, b2, n);
	free(b);
	free(b2);
	free(dirty);

	free(d0);
	free(d1);
	free(d2);
	free(bak);
	free(hive);
	test_tmpdir_remove(dir);
	free(src);
}

static int allowed(int rc)
{
	return rc == CPUU_OK || rc == CPUU_ECORRUPT || rc == CPUU_ENOTFOUND || rc == CPUU_EUNSUPPORTED ||
	       rc == CPUU_ERROR;
}

static void walk_damaged(cpuu_reg *reg, const cpuu_reg_key *key, int depth, size_t *keys)
{
	if (depth > 64)
		return;
	(*keys)++;
	cpuu_reg_value *vals;
	size_t n;
	int rc = cpuu_reg_key_values(&vals, &n, reg, key);
	assert_true(allowed(rc));
	if (rc == CPUU_OK)
		cpuu_reg_values_free(vals, n);
	cpuu_strlist kids;
	rc = cpuu_reg_key_subkeys(&kids, reg, key);
	assert_true(allowed(rc));
	if (rc)
		return;
	for (size_t i = 0; i < kids.count; i++) {
		cpuu_reg_key *k = NULL;
		rc = cpuu_reg_key_open(&k, reg, key, kids.items[i]);
		assert_true(allowed(rc) || rc == CPUU_EINVALID);
		if (rc == CPUU_OK)
			walk_damaged(reg, k, depth + 1, keys);
		cpuu_reg_key_free(k);
	}
	cpuu_strlist_free(&kids);
}

/* Damaged hives (random bytes changed after the header) give errors or
 * data, never a crash, and reading or editing without commit never writes. */
static void test_damaged_hives(void **state)
{
	(void)state;
	char *src = test_real_hive("win81-NTUSER.DAT");
	if (!src)
		skip();
	size_t len;
	uint8_t *orig = test_read_file(src, &len);
	char *dir = test_tmpdir("regdamage");
	char *hive = test_path(dir, "NTUSER.DAT");
	uint8_t *m = malloc(len);
	srand(20261126);
	size_t opened = 0, refused = 0, keys = 0;
	for (int it = 0; it < 200; it++) {
		memcpy(m, orig, len);
		int flips = 1 + rand() % 20;
		for (int j = 0; j < flips; j++)
			m[4096 + (size_t)rand() % (len - 4096)] = (uint8_t)rand();
		assert_int_equal(test_write_file(hive, m, len), 0);
		cpuu_reg *reg = NULL;
		int rc = cpuu_reg_open_hive(&reg, hive, it % 2 ? CPUU_REG_OPEN_WRITE : 0);
		if (rc) {
			assert_int_equal(rc, CPUU_ECORRUPT);
			refused++;
			continue;
		}
		opened++;
		cpuu_reg_key *root = NULL;
		if (cpuu_reg_root(&root, reg) == CPUU_OK) {
			walk_damaged(reg, root, 0, &keys);
			if (it % 2) {
				cpuu_reg_key *k = NULL;
				if (cpuu_reg_key_create(&k, reg, root, "Software\\cpuu") == CPUU_OK)
					cpuu_reg_set_dword(reg, k, "a", 1);
				cpuu_reg_key_free(k);
				cpuu_reg_key_delete(reg, root, "Software\\cpuu");
			}
			cpuu_reg_key_free(root);
		}
		cpuu_reg_free(reg); /* drops everything: nothing reaches the file */
		size_t n2;
		uint8_t *after = test_read_file(hive, &n2);
		assert_int_equal(n2, len);
		assert_memory_equal(after, m, len);
		free(after);
	}
	print_message("damaged hives: %zu opened (%zu keys walked), %zu refused\n", opened, keys, refused);
	assert_true(opened > 0);
	free(m);
	free(orig);
	free(hive);
	test_tmpdir_remove(dir);
	free(src);
}

static void test_win7(void **state)
{
	(void)state;
	check_real("win7pro-NTUSER.DAT", 100);
}

static void test_win81(void **state)
{
	(void)state;
	check_real("win81-NTUSER.DAT", 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_win7),
		cmocka_unit_test(test_win81),
		cmocka_unit_test(test_damaged_hives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
