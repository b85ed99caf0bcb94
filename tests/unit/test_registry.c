/* Registry layer over hivex: keys, values, pending changes, lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hivex.h>

#include "cpuu/registry.h"
#include "registry_fixture.h"
#include "testutil.h"


static cpuu_reg *open_ro(const char *path)
{
	cpuu_reg *reg = NULL;
	int rc = cpuu_reg_open_hive(&reg, path, 0);
	if (rc)
		fail_msg("open %s: %s", path, cpuu_error_last()->message);
	return reg;
}

static void commit_ok(cpuu_reg *reg)
{
	cpuu_reg_commit_opts o = { .no_backup = 1 };
	int rc = cpuu_reg_commit(reg, &o);
	if (rc)
		fail_msg("commit: %s", cpuu_error_last()->message);
}

static void test_blank_opens_both_modes(void **state)
{
	fx *f = *state;
	size_t len = 0;
	uint8_t *img = test_read_file(f->hive, &len);
	assert_non_null(img);
	assert_int_equal(len, 8192);
	assert_memory_equal(img, "regf", 4);
	assert_memory_equal(img + 4096, "hbin", 4);
	free(img);

	cpuu_reg *reg = open_ro(f->hive);
	assert_string_equal(cpuu_reg_backend_name(reg), "hive");
	/* A hive file: changes wait for the commit, node ids are hivex offsets. */
	assert_int_equal(cpuu_reg_capabilities(reg), CPUU_REG_CAP_STABLE_NODES);
	cpuu_reg_key *root = NULL;
	assert_int_equal(cpuu_reg_root(&root, reg), CPUU_OK);
	assert_string_equal(cpuu_reg_key_name(root), "ROOT");
	assert_string_equal(cpuu_reg_key_path(root), "");
	cpuu_strlist kids;
	assert_int_equal(cpuu_reg_key_subkeys(&kids, reg, root), CPUU_OK);
	assert_int_equal(kids.count, 0);
	cpuu_reg_value *vals;
	size_t n;
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, root), CPUU_OK);
	assert_int_equal(n, 0);
	cpuu_reg_values_free(vals, n);
	/* read-only handle refuses changes */
	assert_int_equal(cpuu_reg_value_set(reg, root, "x", CPUU_REG_DWORD, (const uint8_t *)"\1\0\0\0", 4),
			 CPUU_EREADONLY);
	assert_int_equal(cpuu_reg_key_create(NULL, reg, NULL, "Software"), CPUU_EREADONLY);
	cpuu_reg_key_free(root);
	cpuu_reg_free(reg);

	reg = open_rw(f->hive);
	assert_false(cpuu_reg_dirty(reg));
	cpuu_reg_free(reg);

	/* never overwrites; custom root name */
	assert_int_equal(cpuu_hive_create_blank(f->hive, NULL), CPUU_EEXISTS);
	char *other = test_path(f->dir, "other.dat");
	assert_int_equal(cpuu_hive_create_blank(other, "CsiTool-CreateHive-{00000000-0000-0000-0000-000000000000}"),
			 CPUU_OK);
	reg = open_ro(other);
	assert_int_equal(cpuu_reg_root(&root, reg), CPUU_OK);
	assert_string_equal(cpuu_reg_key_name(root), "CsiTool-CreateHive-{00000000-0000-0000-0000-000000000000}");
	cpuu_reg_key_free(root);
	cpuu_reg_free(reg);
	free(other);
	other = test_path(f->dir, "bad.dat");
	assert_int_equal(cpuu_hive_create_blank(other, "B\xc3\xbcro"), CPUU_EUNSUPPORTED);
	assert_int_equal(cpuu_hive_create_blank(other, ""), CPUU_EINVALID);
	free(other);
}

typedef struct tv {
	const char *name;
	uint32_t type;
	size_t len;
	uint8_t fill; /* data[i] = fill + i */
} tv;

static const tv values_all[] = {
	{ "", CPUU_REG_SZ, 10, 'a' },              /* default value */
	{ "none", CPUU_REG_NONE, 3, 1 },
	{ "sz", CPUU_REG_SZ, 12, 'A' },
	{ "expand", CPUU_REG_EXPAND_SZ, 20, 'B' },
	{ "binary-empty", CPUU_REG_BINARY, 0, 0 },
	{ "binary-1", CPUU_REG_BINARY, 1, 0xFE },
	{ "binary-4", CPUU_REG_BINARY, 4, 0xF0 },   /* largest inline value */
	{ "binary-5", CPUU_REG_BINARY, 5, 0x10 },   /* smallest value in its own cell */
	{ "binary-zeros", CPUU_REG_BINARY, 8, 0 },
	{ "dword", CPUU_REG_DWORD, 4, 0x11 },
	{ "dword-be", CPUU_REG_DWORD_BIG_ENDIAN, 4, 0x22 },
	{ "link", CPUU_REG_LINK, 14, 'L' },
	{ "multi", CPUU_REG_MULTI_SZ, 16, 'M' },
	{ "reslist", CPUU_REG_RESOURCE_LIST, 9, 3 },
	{ "fullres", CPUU_REG_FULL_RESOURCE_DESCRIPTOR, 9, 4 },
	{ "resreq", CPUU_REG_RESOURCE_REQUIREMENTS_LIST, 9, 5 },
	{ "qword", CPUU_REG_QWORD, 8, 0x33 },
	{ "odd-type", 0x12345678u, 6, 0x44 },
	{ "large", CPUU_REG_BINARY, 16344, 7 },     /* the largest we write */
	{ "Wert-\xc3\xbc\xe2\x82\xac", CPUU_REG_BINARY, 2, 9 }, /* non-ASCII value name */
};

static uint8_t *make_data(const tv *t)
{
	uint8_t *d = malloc(t->len ? t->len : 1);
	for (size_t i = 0; i < t->len; i++)
		d[i] = (uint8_t)(t->fill + i);
	return d;
}

static void check_values(cpuu_reg *reg, const cpuu_reg_key *key)
{
	size_t nt = sizeof values_all / sizeof values_all[0];
	cpuu_reg_value *vals;
	size_t n;
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, key), CPUU_OK);
	assert_int_equal(n, nt);
	for (size_t i = 0; i < nt; i++) {
		uint8_t *d = make_data(&values_all[i]);
		assert_string_equal(vals[i].name, values_all[i].name);
		assert_int_equal(vals[i].type, values_all[i].type);
		assert_int_equal(vals[i].len, values_all[i].len);
		if (values_all[i].len)
			assert_memory_equal(vals[i].data, d, values_all[i].len);
		cpuu_reg_value one;
		assert_int_equal(cpuu_reg_value_get(&one, reg, key, values_all[i].name), CPUU_OK);
		assert_int_equal(one.len, values_all[i].len);
		if (one.len)
			assert_memory_equal(one.data, d, one.len);
		cpuu_reg_value_clear(&one);
		free(d);
	}
	cpuu_reg_values_free(vals, n);
}

static uint32_t le32_at(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}

/* The generator's sk cell: a one-entry list pointing at itself; every key
 * hivex adds shares it and bumps its reference count. */
static void test_blank_security_cell(void **state)
{
	fx *f = *state;
	size_t len;
	uint8_t *b = test_read_file(f->hive, &len);
	uint32_t root = 4096 + le32_at(b, 36);
	assert_memory_equal(b + root + 4, "nk", 2);
	assert_int_equal(b[root + 6] | b[root + 7] << 8, 0x2C);
	uint32_t sk_rel = le32_at(b, root + 4 + 44);
	uint32_t sk = 4096 + sk_rel;
	assert_memory_equal(b + sk + 4, "sk", 2);
	assert_int_equal(le32_at(b, sk + 8), sk_rel);  /* flink */
	assert_int_equal(le32_at(b, sk + 12), sk_rel); /* blink */
	assert_int_equal(le32_at(b, sk + 16), 1);
	uint32_t sd_len = le32_at(b, sk + 20);
	assert_true(sd_len >= 20 && sk + 24 + sd_len <= len);
	assert_int_equal(b[sk + 24], 1);                         /* SD revision */
	assert_int_equal(b[sk + 26] | b[sk + 27] << 8, 0x9404); /* self-relative, DACL */
	free(b);

	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "One\\Two"), CPUU_OK);
	cpuu_reg_key_free(k);
	commit_ok(reg);
	cpuu_reg_free(reg);
	b = test_read_file(f->hive, &len);
	assert_int_equal(le32_at(b, 4096 + le32_at(b, 36) + 4 + 44), sk_rel); /* root keeps it */
	assert_int_equal(le32_at(b, sk + 16), 3);                             /* root, One, Two */
	free(b);
}

static void test_roundtrip_every_type(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"),
			 CPUU_OK);
	assert_string_equal(cpuu_reg_key_name(k), "Outlook");
	assert_string_equal(cpuu_reg_key_path(k), "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook");
	assert_true(cpuu_reg_dirty(reg)); /* keys go to hivex at once */
	for (size_t i = 0; i < sizeof values_all / sizeof values_all[0]; i++) {
		uint8_t *d = make_data(&values_all[i]);
		assert_int_equal(cpuu_reg_value_set(reg, k, values_all[i].name, values_all[i].type, d, values_all[i].len),
				 CPUU_OK);
		free(d);
	}
	check_values(reg, k); /* pending, before commit */
	commit_ok(reg);
	assert_false(cpuu_reg_dirty(reg));
	check_values(reg, k); /* same handle after commit */
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);

	reg = open_ro(f->hive);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"),
			 CPUU_OK);
	check_values(reg, k);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
}

static void test_limits_refused(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	static uint8_t big[16345];
	assert_int_equal(cpuu_reg_value_set(reg, NULL, "big", CPUU_REG_BINARY, big, sizeof big), CPUU_EUNSUPPORTED);
	assert_non_null(strstr(cpuu_error_last()->message, "big"));
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "B\xc3\xbcro"), CPUU_EUNSUPPORTED);
	assert_null(k);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "a\\\\b"), CPUU_EINVALID);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "a\\"), CPUU_EINVALID);
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "bad\xff"), CPUU_EINVALID);
	assert_int_equal(cpuu_reg_value_set(reg, NULL, "bad\xff", CPUU_REG_BINARY, big, 1), CPUU_EINVALID);
	assert_int_equal(cpuu_reg_key_delete(reg, NULL, ""), CPUU_EINVALID);
	assert_false(cpuu_reg_dirty(reg));
	cpuu_reg_free(reg);
}

static void test_case_insensitive(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL, *k2 = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "Profiles\\Outlook"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k2, reg, NULL, "PROFILES\\outlook"), CPUU_OK);
	assert_string_equal(cpuu_reg_key_name(k2), "Outlook");
	assert_string_equal(cpuu_reg_key_path(k2), "Profiles\\Outlook");
	cpuu_reg_key_free(k2);
	/* create over an existing key in another case opens it */
	assert_int_equal(cpuu_reg_key_create(&k2, reg, NULL, "profiles\\OUTLOOK\\New"), CPUU_OK);
	assert_string_equal(cpuu_reg_key_path(k2), "Profiles\\Outlook\\New");
	cpuu_reg_key_free(k2);

	const uint8_t one[] = { 1, 0, 0, 0 }, two[] = { 2, 0, 0, 0 };
	assert_int_equal(cpuu_reg_value_set(reg, k, "001e6602", CPUU_REG_BINARY, one, 4), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "001E6602", CPUU_REG_BINARY, two, 4), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "\xc3\x84rger", CPUU_REG_BINARY, one, 4), CPUU_OK); /* Ä */
	assert_int_equal(cpuu_reg_value_set(reg, k, "\xc3\xa4RGER", CPUU_REG_BINARY, two, 4), CPUU_OK); /* ä */
	commit_ok(reg);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);

	reg = open_ro(f->hive);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "profiles\\outlook"), CPUU_OK);
	cpuu_reg_value *vals;
	size_t n;
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, k), CPUU_OK);
	assert_int_equal(n, 2);
	assert_string_equal(vals[0].name, "001e6602");
	assert_memory_equal(vals[0].data, two, 4);
	assert_string_equal(vals[1].name, "\xc3\x84rger");
	cpuu_reg_values_free(vals, n);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "001E6602"), CPUU_OK);
	assert_string_equal(v.name, "001e6602");
	cpuu_reg_value_clear(&v);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "\xc3\xa4rger"), CPUU_OK);
	assert_string_equal(v.name, "\xc3\x84rger");
	cpuu_reg_value_clear(&v);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "absent"), CPUU_ENOTFOUND);
	assert_non_null(strstr(cpuu_error_last()->message, "absent"));
	assert_non_null(strstr(cpuu_error_last()->message, "Profiles\\Outlook"));
	assert_int_equal(cpuu_reg_key_open(&k2, reg, NULL, "Profiles\\Missing"), CPUU_ENOTFOUND);
	assert_non_null(strstr(cpuu_error_last()->message, "Missing"));
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
}

static void test_delete_value_and_key(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *a = NULL, *b = NULL, *c = NULL;
	const uint8_t d[] = { 1, 2, 3, 4, 5, 6 };
	assert_int_equal(cpuu_reg_key_create(&a, reg, NULL, "A"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_create(&b, reg, a, "B"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_create(&c, reg, b, "C"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, a, "keep", CPUU_REG_BINARY, d, 6), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, a, "drop", CPUU_REG_BINARY, d, 6), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, c, "pending", CPUU_REG_BINARY, d, 6), CPUU_OK);
	commit_ok(reg);

	assert_int_equal(cpuu_reg_value_delete(reg, a, "DROP"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_delete(reg, a, "drop"), CPUU_ENOTFOUND);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, a, "drop"), CPUU_ENOTFOUND);

	/* values pending under a deleted subtree are dropped with it */
	assert_int_equal(cpuu_reg_value_set(reg, c, "pending2", CPUU_REG_BINARY, d, 6), CPUU_OK);
	assert_int_equal(cpuu_reg_key_delete(reg, a, "b"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_delete(reg, a, "B"), CPUU_ENOTFOUND);
	/* handles to deleted keys report ENOTFOUND, never crash */
	assert_int_equal(cpuu_reg_value_get(&v, reg, c, "pending"), CPUU_ENOTFOUND);
	assert_non_null(strstr(cpuu_error_last()->message, "A\\B\\C"));
	assert_int_equal(cpuu_reg_value_set(reg, b, "x", CPUU_REG_BINARY, d, 1), CPUU_ENOTFOUND);
	cpuu_strlist kids;
	assert_int_equal(cpuu_reg_key_subkeys(&kids, reg, b), CPUU_ENOTFOUND);
	/* a live handle keeps working after another key was deleted */
	assert_int_equal(cpuu_reg_value_get(&v, reg, a, "keep"), CPUU_OK);
	cpuu_reg_value_clear(&v);
	/* re-created at the same path, the old handle finds the new key */
	cpuu_reg_key *b2 = NULL;
	assert_int_equal(cpuu_reg_key_create(&b2, reg, a, "B"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_subkeys(&kids, reg, b), CPUU_OK);
	assert_int_equal(kids.count, 0);
	cpuu_strlist_free(&kids);
	commit_ok(reg);
	cpuu_reg_key_free(a);
	cpuu_reg_key_free(b);
	cpuu_reg_key_free(b2);
	cpuu_reg_key_free(c);
	cpuu_reg_free(reg);

	reg = open_ro(f->hive);
	assert_int_equal(cpuu_reg_key_open(&a, reg, NULL, "A"), CPUU_OK);
	cpuu_reg_value *vals;
	size_t n;
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, a), CPUU_OK);
	assert_int_equal(n, 1);
	assert_string_equal(vals[0].name, "keep");
	cpuu_reg_values_free(vals, n);
	assert_int_equal(cpuu_reg_key_open(&c, reg, a, "B\\C"), CPUU_ENOTFOUND);
	assert_int_equal(cpuu_reg_key_open(&b, reg, a, "B"), CPUU_OK);
	cpuu_reg_key_free(b);
	cpuu_reg_key_free(a);
	cpuu_reg_free(reg);
}

static void test_pending_reads_and_order(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "K"), CPUU_OK);
	commit_ok(reg);
	assert_false(cpuu_reg_dirty(reg));
	const uint8_t d1[] = { 9, 9, 9, 9, 9 }, d2[] = { 7 };
	assert_int_equal(cpuu_reg_value_set(reg, k, "z", CPUU_REG_BINARY, d1, 5), CPUU_OK);
	assert_true(cpuu_reg_dirty(reg));
	assert_int_equal(cpuu_reg_value_set(reg, k, "a", CPUU_REG_BINARY, d2, 1), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "z", CPUU_REG_DWORD, d1, 4), CPUU_OK);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "Z"), CPUU_OK);
	assert_int_equal(v.type, CPUU_REG_DWORD);
	assert_int_equal(v.len, 4);
	cpuu_reg_value_clear(&v);
	cpuu_reg_value *vals;
	size_t n;
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, k), CPUU_OK);
	assert_int_equal(n, 2);
	assert_string_equal(vals[0].name, "z"); /* stored order: first set first */
	assert_string_equal(vals[1].name, "a");
	cpuu_reg_values_free(vals, n);
	/* dropping uncommitted changes */
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	reg = open_ro(f->hive);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "K"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, k), CPUU_OK);
	assert_int_equal(n, 0);
	cpuu_reg_values_free(vals, n);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
}

/* Keys and values are remembered after the first read (whole paths, value
 * buffers); deletion, re-creation, commit and many keys must never serve a
 * stale or wrong answer. */
static void test_remembered_reads_stay_true(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL, *k2 = NULL;
	const uint8_t one[] = { 1 }, two[] = { 2, 2 };
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "Top\\Mid\\Leaf"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, "v", CPUU_REG_BINARY, one, 1), CPUU_OK);
	cpuu_reg_key_free(k);
	for (int round = 0; round < 2; round++) { /* second round: from the cache */
		assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "TOP\\mid\\LEAF"), CPUU_OK);
		assert_string_equal(cpuu_reg_key_path(k), "Top\\Mid\\Leaf");
		assert_string_equal(cpuu_reg_key_name(k), "Leaf");
		cpuu_reg_key_free(k);
	}
	assert_int_equal(cpuu_reg_key_open(&k2, reg, NULL, "Top"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, k2, "mid\\leaf"), CPUU_OK); /* same path via a parent */
	assert_string_equal(cpuu_reg_key_path(k), "Top\\Mid\\Leaf");
	cpuu_reg_key_free(k);

	/* deleted: gone, also for a path read before */
	assert_int_equal(cpuu_reg_key_delete(reg, k2, "Mid"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Mid\\Leaf"), CPUU_ENOTFOUND);
	/* re-created: the new key, with no value of the old one */
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "Top\\Mid\\Leaf"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "top\\mid\\leaf"), CPUU_OK);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "v"), CPUU_ENOTFOUND);
	assert_int_equal(cpuu_reg_value_set(reg, k, "w", CPUU_REG_BINARY, two, 2), CPUU_OK);
	cpuu_reg_key_free(k);
	commit_ok(reg);

	/* after the commit: many keys read (the buffers' index grows and is
	 * rebuilt), one changed, one deleted, each read back right */
	enum { MANY = 300 };
	for (int i = 0; i < MANY; i++) {
		char path[64];
		snprintf(path, sizeof path, "Top\\Many\\K%03d", i);
		assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, path), CPUU_OK);
		uint8_t b = (uint8_t)i;
		assert_int_equal(cpuu_reg_value_set(reg, k, "n", CPUU_REG_BINARY, &b, 1), CPUU_OK);
		cpuu_reg_key_free(k);
	}
	commit_ok(reg);
	for (int i = 0; i < MANY; i++) {
		char path[64];
		snprintf(path, sizeof path, "top\\many\\k%03d", i);
		assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, path), CPUU_OK);
		cpuu_reg_value *vals;
		size_t n;
		assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, k), CPUU_OK);
		assert_int_equal(n, 1);
		assert_int_equal(vals[0].data[0], (uint8_t)i);
		cpuu_reg_values_free(vals, n);
		if (i == 7) {
			uint8_t b = 0xEE;
			assert_int_equal(cpuu_reg_value_set(reg, k, "n", CPUU_REG_BINARY, &b, 1), CPUU_OK);
		}
		cpuu_reg_key_free(k);
	}
	assert_int_equal(cpuu_reg_key_delete(reg, k2, "Many\\K008"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Many\\K007"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "N"), CPUU_OK);
	assert_int_equal(v.data[0], 0xEE);
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Many\\K008"), CPUU_ENOTFOUND);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Many\\K009"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "n"), CPUU_OK);
	assert_int_equal(v.data[0], 9);
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(k);
	commit_ok(reg);
	cpuu_reg_key_free(k2);
	cpuu_reg_free(reg);

	/* what the file holds agrees */
	reg = open_ro(f->hive);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Mid\\Leaf"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "w"), CPUU_OK);
	assert_int_equal(v.len, 2);
	cpuu_reg_value_clear(&v);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "v"), CPUU_ENOTFOUND);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Many\\K007"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "n"), CPUU_OK);
	assert_int_equal(v.data[0], 0xEE);
	cpuu_reg_value_clear(&v);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Top\\Many\\K008"), CPUU_ENOTFOUND);
	cpuu_reg_free(reg);
}

static void test_string_helpers(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "S"), CPUU_OK);
	assert_int_equal(cpuu_reg_set_string(reg, k, "name", "Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x93\xa7"), CPUU_OK);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, k, "name"), CPUU_OK);
	assert_int_equal(v.type, CPUU_REG_SZ);
	const uint8_t expect[] = { 'G', 0, 'r', 0, 0xFC, 0, 0xDF, 0, 'e', 0, ' ', 0, 0x3D, 0xD8, 0xE7, 0xDC, 0, 0 };
	assert_int_equal(v.len, sizeof expect);
	assert_memory_equal(v.data, expect, sizeof expect);
	cpuu_reg_value_clear(&v);
	char *s = NULL;
	assert_int_equal(cpuu_reg_get_string(&s, reg, k, "NAME"), CPUU_OK);
	assert_string_equal(s, "Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x93\xa7");
	free(s);
	assert_int_equal(cpuu_reg_set_dword(reg, k, "n", 0xA1B2C3D4u), CPUU_OK);
	uint32_t d = 0;
	assert_int_equal(cpuu_reg_get_dword(&d, reg, k, "n"), CPUU_OK);
	assert_int_equal(d, 0xA1B2C3D4u);
	assert_int_equal(cpuu_reg_get_string(&s, reg, k, "n"), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "n"));
	assert_int_equal(cpuu_reg_get_dword(&d, reg, k, "name"), CPUU_EINVALID);
	const uint8_t odd[] = { 'a', 0, 'b' };
	assert_int_equal(cpuu_reg_value_set(reg, k, "odd", CPUU_REG_BINARY, odd, 3), CPUU_OK);
	assert_int_equal(cpuu_reg_get_string(&s, reg, k, "odd"), CPUU_EINVALID);
	assert_int_equal(cpuu_reg_get_string(&s, reg, k, "missing"), CPUU_ENOTFOUND);
	const uint8_t be[] = { 1, 2, 3, 4 };
	assert_int_equal(cpuu_reg_value_set(reg, k, "be", CPUU_REG_DWORD_BIG_ENDIAN, be, 4), CPUU_OK);
	assert_int_equal(cpuu_reg_get_dword(&d, reg, k, "be"), CPUU_OK);
	assert_int_equal(d, 0x01020304u);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
}

/* Keys with non-ASCII names (made here with hivex itself, as Windows would
 * have them) are found case-insensitively and listed with their names. */
static void test_non_ascii_keys_readable(void **state)
{
	fx *f = *state;
	hive_h *h = hivex_open(f->hive, HIVEX_OPEN_WRITE);
	assert_non_null(h);
	hive_node_h n = hivex_node_add_child(h, hivex_root(h), "B\xc3\xbcro");
	assert_true(n != 0);
	assert_true(hivex_node_add_child(h, n, "\xce\xa9mega") != 0); /* Greek: stored as UTF-16 */
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);

	cpuu_reg *reg = open_ro(f->hive);
	cpuu_strlist kids;
	assert_int_equal(cpuu_reg_key_subkeys(&kids, reg, NULL), CPUU_OK);
	assert_int_equal(kids.count, 1);
	assert_string_equal(kids.items[0], "B\xc3\xbcro");
	cpuu_strlist_free(&kids);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "B\xc3\x9cRO\\\xce\xa9mega"), CPUU_OK); /* BÜRO */
	assert_string_equal(cpuu_reg_key_path(k), "B\xc3\xbcro\\\xce\xa9mega");
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blank_opens_both_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blank_security_cell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_every_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_insensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_value_and_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_reads_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remembered_reads_stay_true, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_ascii_keys_readable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
