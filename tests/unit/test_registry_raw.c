/* The reads from the checked image (src/lib/registry/posix/hive_raw.c)
 * answer exactly what hivex's public API answers: for every key of the
 * real hives and of a hive holding Latin-1 and UTF-16 names, the key's
 * name, its subkeys in order, every subkey found by name (any case), its
 * values in order, every value's name and data, and every value found by
 * name. hivex itself is the reference, read from the same file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cpuu/registry.h"
#include "registry/hive.h"
#include "testutil.h"

typedef struct counts {
	size_t keys, values, by_hivex, non_ascii;
} counts;

static char *swap_case(const char *s)
{
	char *o = strdup(s);
	for (char *p = o; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
		else if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return o;
}

static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static void compare_node(hive_h *h, const hive_raw *r, hive_node_h node, counts *c, int depth)
{
	assert_true(depth < 512);
	c->keys++;
	char *hn = hivex_node_name(h, node), *rn = hive_raw_key_name(r, node);
	assert_non_null(hn);
	assert_non_null(rn);
	assert_string_equal(rn, hn);
	if (!ascii(hn))
		c->non_ascii++;
	free(hn);
	free(rn);

	hive_value_h *hv = hivex_node_values(h, node), *rv = NULL;
	size_t nr = 0, nh = 0;
	assert_non_null(hv);
	assert_int_equal(hive_raw_values(&rv, &nr, r, node), CPUU_OK);
	while (hv[nh])
		nh++;
	assert_int_equal(nr, nh);
	for (size_t i = 0; i < nh; i++) {
		assert_int_equal(rv[i], hv[i]);
		c->values++;
		char *hk = hivex_value_key(h, hv[i]), *rk = hive_raw_value_name(r, hv[i]);
		assert_non_null(hk);
		assert_string_equal(rk, hk);
		if (!ascii(hk))
			c->non_ascii++;
		if (ascii(hk)) {
			char *other = swap_case(hk);
			assert_int_equal(hive_raw_value_find(r, node, other), hivex_node_get_value(h, node, other));
			free(other);
		}
		hive_type t = 0;
		size_t hlen = 0, rlen = 0;
		uint32_t rt = 0;
		uint8_t *rd = NULL;
		char *hd = hivex_value_value(h, hv[i], &t, &hlen);
		int rc = hive_raw_value_data(&rd, &rlen, &rt, r, hv[i]);
		if (rc == 1) {
			c->by_hivex++; /* left to hivex: nothing to compare */
		} else {
			assert_int_equal(rc, CPUU_OK);
			assert_non_null(hd);
			assert_int_equal(rlen, hlen);
			assert_int_equal(rt, (uint32_t)t);
			if (hlen)
				assert_memory_equal(rd, hd, hlen);
		}
		free(rd);
		free(hd);
		free(hk);
		free(rk);
	}
	assert_int_equal(hive_raw_value_find(r, node, "no such value, surely"), 0);
	free(hv);
	free(rv);

	hive_node_h *hk = hivex_node_children(h, node);
	uint64_t *rk = NULL;
	size_t nk = 0, nhk = 0;
	assert_non_null(hk);
	assert_int_equal(hive_raw_children(&rk, &nk, r, node), CPUU_OK);
	while (hk[nhk])
		nhk++;
	assert_int_equal(nk, nhk);
	for (size_t i = 0; i < nhk; i++) {
		assert_int_equal(rk[i], hk[i]);
		char *name = hivex_node_name(h, hk[i]);
		if (ascii(name)) {
			char *other = swap_case(name);
			assert_int_equal(hive_raw_child(r, node, other), hivex_node_get_child(h, node, other));
			free(other);
		}
		free(name);
		compare_node(h, r, hk[i], c, depth + 1);
	}
	assert_int_equal(hive_raw_child(r, node, "no such key, surely"), 0);
	free(hk);
	free(rk);
}

static counts compare_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	rewind(fp);
	hive_raw r;
	memset(&r, 0, sizeof r);
	r.d = malloc((size_t)size);
	r.size = (size_t)size;
	assert_int_equal(fread(r.d, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	assert_int_equal(cpuu_hive_check(r.d, r.size, path), CPUU_OK);
	hive_h *h = hivex_open(path, 0);
	assert_non_null(h);
	counts c = { 0 };
	compare_node(h, &r, hivex_root(h), &c, 0);
	hivex_close(h);
	free(r.d);
	return c;
}

static void real(const char *name, size_t min_keys)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/real-hives/%s", CPUU_SHARED_DIR, name);
	if (access(path, R_OK) != 0)
		skip();
	counts c = compare_file(path);
	printf("%s: %zu keys, %zu values (%zu left to hivex), %zu non-ASCII names\n", name, c.keys, c.values,
	       c.by_hivex, c.non_ascii);
	assert_true(c.keys >= min_keys);
}

static void test_win7(void **state)
{
	(void)state;
	real("win7pro-NTUSER.DAT", 400);
}

static void test_win81(void **state)
{
	(void)state;
	real("win81-NTUSER.DAT", 400);
}

static void test_plaso(void **state)
{
	(void)state;
	real("plaso-win7-NTUSER.DAT", 1000);
}

/* Names hivex stores as Latin-1 (compressed) and as UTF-16, inline and
 * out-of-line data, an empty value, the default value. */
/* A writable copy of the real Windows 7 hive in a new folder dir (a
 * mkdtemp template), at dir/name; skips the test without the shared set. */
static void scratch_hive(char *dir, char *path, size_t path_size, const char *name)
{
	char cmd[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(path, path_size, "%s/%s", dir, name);
	snprintf(cmd, sizeof cmd, "cp '%s/real-hives/win7pro-NTUSER.DAT' '%s' && chmod u+w '%s'", CPUU_SHARED_DIR, path,
		 path);
	if (system(cmd) != 0)
		skip();
}

static void scratch_remove(const char *dir)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_latin1_utf16(void **state)
{
	(void)state;
	char dir[] = "/tmp/cpuu-test-raw-XXXXXX", path[256];
	scratch_hive(dir, path, sizeof path, "names.DAT");
	hive_h *h = hivex_open(path, HIVEX_OPEN_WRITE);
	assert_non_null(h);
	const char *names[] = { "Caf\xc3\xa9", "Gr\xc3\xbc\xc3\x9f" "e", "\xe6\x97\xa5\xe6\x9c\xac", "Plain",
				"Mixed\xc3\xa9\xe6\x97\xa5", "\xf0\x9f\x98\x80 emoji", "Price \xc2\xa3 \xc2\xb5" };
	hive_node_h top = hivex_node_add_child(h, hivex_root(h), "RawNames");
	assert_true(top != 0);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		hive_node_h k = hivex_node_add_child(h, top, names[i]);
		assert_true(k != 0);
		uint8_t big[100];
		memset(big, (int)i, sizeof big);
		hive_set_value vals[] = {
			{ (char *)names[i], hive_t_binary, sizeof big, (char *)big },
			{ (char *)"", hive_t_dword, 4, (char *)"\x01\x02\x03\x04" },
			{ (char *)"empty", hive_t_none, 0, (char *)"" },
			{ (char *)"two", hive_t_binary, 2, (char *)"ab" },
		};
		assert_int_equal(hivex_node_set_values(h, k, 4, vals, 0), 0);
	}
	assert_int_equal(hivex_commit(h, path, 0), 0);
	hivex_close(h);
	counts c = compare_file(path);
	assert_true(c.non_ascii >= 2 * 5);
	scratch_remove(dir);
}

static int has(const cpuu_strlist *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->items[i], name))
			return 1;
	return 0;
}

/* Through the registry API: keys added under keys of the image (whose
 * subkey lists hivex then rewrites) are listed and found at once, other
 * keys still read from the image, and all agree with a fresh open after
 * the commit. */
static void test_after_add_child(void **state)
{
	(void)state;
	char dir[] = "/tmp/cpuu-test-raw-XXXXXX", path[256];
	scratch_hive(dir, path, sizeof path, "add.DAT");
	for (int pass = 0; pass < 2; pass++) {
		cpuu_reg *reg = NULL;
		assert_int_equal(cpuu_reg_open_hive(&reg, path, pass ? 0 : CPUU_REG_OPEN_WRITE), CPUU_OK);
		cpuu_reg_key *sw = NULL, *added = NULL, *deep = NULL, *env = NULL;
		assert_int_equal(cpuu_reg_key_open(&sw, reg, NULL, "Software"), CPUU_OK);
		cpuu_strlist before = { 0 };
		assert_int_equal(cpuu_reg_key_subkeys(&before, reg, sw), CPUU_OK);
		if (!pass) {
			assert_false(has(&before, "RawAdded"));
			assert_int_equal(cpuu_reg_key_create(&added, reg, NULL, "Software\\RawAdded\\Deep"), CPUU_OK);
			assert_int_equal(cpuu_reg_value_set(reg, added, "v", CPUU_REG_BINARY, (const uint8_t *)"xy", 2),
					 CPUU_OK);
			cpuu_reg_key_free(added);
			added = NULL;
		}
		cpuu_strlist after = { 0 };
		assert_int_equal(cpuu_reg_key_subkeys(&after, reg, sw), CPUU_OK);
		assert_true(has(&after, "RawAdded"));
		assert_int_equal(after.count, before.count + (pass ? 0 : 1));
		for (size_t i = 0; i < before.count; i++)
			assert_true(has(&after, before.items[i]));
		assert_int_equal(cpuu_reg_key_open(&deep, reg, NULL, "SOFTWARE\\rawadded\\DEEP"), CPUU_OK);
		assert_string_equal(cpuu_reg_key_name(deep), "Deep");
		cpuu_reg_value v;
		assert_int_equal(cpuu_reg_value_get(&v, reg, deep, "V"), CPUU_OK);
		assert_int_equal(v.len, 2);
		assert_memory_equal(v.data, "xy", 2);
		cpuu_reg_value_clear(&v);
		/* An untouched key of the image: its values as hivex reads them. */
		assert_int_equal(cpuu_reg_key_open(&env, reg, NULL, "Environment"), CPUU_OK);
		cpuu_reg_value *vals = NULL;
		size_t n = 0;
		assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, env), CPUU_OK);
		assert_true(n >= 1);
		hive_h *h = hivex_open(path, 0);
		assert_non_null(h);
		hive_node_h hn = hivex_node_get_child(h, hivex_root(h), "Environment");
		hive_value_h *hv = hivex_node_values(h, hn);
		for (size_t i = 0; i < n; i++) {
			char *hk = hivex_value_key(h, hv[i]);
			assert_string_equal(vals[i].name, hk);
			free(hk);
		}
		free(hv);
		hivex_close(h);
		cpuu_reg_values_free(vals, n);
		if (!pass) {
			cpuu_reg_commit_opts nb = { .no_backup = 1 };
			assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
		}
		cpuu_strlist_free(&before);
		cpuu_strlist_free(&after);
		cpuu_reg_key_free(sw);
		cpuu_reg_key_free(deep);
		cpuu_reg_key_free(env);
		cpuu_reg_free(reg);
	}
	scratch_remove(dir);
}

static hive_h *hivex_of(cpuu_reg *reg)
{
	return ((hive_impl *)reg->impl)->h;
}

/* Calls visit for key and every key below it (64 levels at most); returns
 * how many keys that was. */
static size_t walk_tree(cpuu_reg *reg, const cpuu_reg_key *key, int depth,
			void (*visit)(cpuu_reg *reg, const cpuu_reg_key *key, void *ctx), void *ctx)
{
	size_t n = 1;
	visit(reg, key, ctx);
	cpuu_strlist subs = { 0 };
	assert_int_equal(cpuu_reg_key_subkeys(&subs, reg, key), CPUU_OK);
	for (size_t i = 0; i < subs.count && depth < 64; i++) {
		cpuu_reg_key *sub = NULL;
		assert_int_equal(cpuu_reg_key_open(&sub, reg, key, subs.items[i]), CPUU_OK);
		n += walk_tree(reg, sub, depth + 1, visit, ctx);
		cpuu_reg_key_free(sub);
	}
	cpuu_strlist_free(&subs);
	return n;
}

/* Every value of the key read through the API, whole and by name. */
static void read_key(cpuu_reg *reg, const cpuu_reg_key *key, void *ctx)
{
	(void)ctx;
	cpuu_reg_value *vals = NULL;
	size_t nv = 0;
	assert_int_equal(cpuu_reg_key_values(&vals, &nv, reg, key), CPUU_OK);
	for (size_t i = 0; i < nv; i++) {
		cpuu_reg_value v;
		if (ascii(vals[i].name)) {
			assert_int_equal(cpuu_reg_value_get(&v, reg, key, vals[i].name), CPUU_OK);
			assert_int_equal(v.len, vals[i].len);
			cpuu_reg_value_clear(&v);
		}
	}
	cpuu_reg_values_free(vals, nv);
}

static size_t read_tree(cpuu_reg *reg, const cpuu_reg_key *key)
{
	return walk_tree(reg, key, 0, read_key, NULL);
}

/* hivex reads the hive only when something is to be written: a run that
 * only reads (a no-op logon, a dry run) never calls hivex_open, and the
 * first write opens it only if the file is still the version read. */
static void test_hivex_lazily(void **state)
{
	(void)state;
	char dir[] = "/tmp/cpuu-test-raw-XXXXXX", path[256];
	scratch_hive(dir, path, sizeof path, "lazy.DAT");

	/* Reads everywhere, a value set to what it holds, a commit of nothing. */
	for (int pass = 0; pass < 2; pass++) {
		cpuu_reg *reg = NULL;
		assert_int_equal(cpuu_reg_open_hive(&reg, path, pass ? 0 : CPUU_REG_OPEN_WRITE), CPUU_OK);
		cpuu_reg_key *root = NULL, *env = NULL;
		assert_int_equal(cpuu_reg_root(&root, reg), CPUU_OK);
		assert_true(read_tree(reg, root) >= 400);
		assert_int_equal(cpuu_reg_key_open(&env, reg, NULL, "Environment"), CPUU_OK);
		cpuu_reg_value v;
		assert_int_equal(cpuu_reg_value_get(&v, reg, env, "TEMP"), CPUU_OK);
		if (!pass) {
			assert_int_equal(cpuu_reg_value_set(reg, env, "TEMP", v.type, v.data, v.len), CPUU_OK);
			assert_false(cpuu_reg_dirty(reg));
			cpuu_reg_commit_opts nb = { .no_backup = 1 };
			assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
		}
		assert_null(hivex_of(reg));
		cpuu_reg_value_clear(&v);
		cpuu_reg_key_free(env);
		cpuu_reg_key_free(root);
		cpuu_reg_free(reg);
	}

	/* Changes are buffered without hivex; the file changes on disk; the
	 * first call that needs hivex (a new key) refuses, as a commit would. */
	cpuu_reg *reg = NULL;
	cpuu_reg_key *env = NULL, *made = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&env, reg, NULL, "Environment"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, env, "Lazy", CPUU_REG_BINARY, (const uint8_t *)"ab", 2), CPUU_OK);
	assert_null(hivex_of(reg));
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(cpuu_reg_key_create(&made, reg, NULL, "Software\\LazyNew"), CPUU_EIO);
	assert_non_null(strstr(cpuu_error_last()->message, "changed on disk"));
	assert_null(hivex_of(reg));
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_EIO);
	cpuu_reg_key_free(env);
	cpuu_reg_free(reg);

	/* The same on an unchanged file: hivex opens at the first write and
	 * the commit holds both changes. */
	reg = NULL;
	env = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&env, reg, NULL, "Environment"), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, env, "Lazy", CPUU_REG_BINARY, (const uint8_t *)"ab", 2), CPUU_OK);
	assert_null(hivex_of(reg));
	assert_int_equal(cpuu_reg_key_create(&made, reg, NULL, "Software\\LazyNew"), CPUU_OK);
	assert_non_null(hivex_of(reg));
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_key_free(made);
	cpuu_reg_key_free(env);
	cpuu_reg_free(reg);
	hive_h *h = hivex_open(path, 0);
	assert_non_null(h);
	hive_node_h sw = hivex_node_get_child(h, hivex_root(h), "Software");
	assert_true(hivex_node_get_child(h, sw, "LazyNew") != 0);
	hive_node_h en = hivex_node_get_child(h, hivex_root(h), "Environment");
	assert_true(hivex_node_get_value(h, en, "Lazy") != 0);
	hivex_close(h);
	scratch_remove(dir);
}

/* A value of the hive backend is one allocation (name after data): it is
 * freed whole, its data may be taken over (the name going with it), and a
 * changed value keeps its name. Under ASan a wrong free fails here. */
static void test_value_one_allocation(void **state)
{
	(void)state;
	char dir[] = "/tmp/cpuu-test-raw-XXXXXX", path[256];
	scratch_hive(dir, path, sizeof path, "val.DAT");
	cpuu_reg *reg = NULL;
	cpuu_reg_key *env = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&env, reg, NULL, "Environment"), CPUU_OK);
	cpuu_reg_value *vals = NULL;
	size_t n = 0;
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, env), CPUU_OK);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		assert_true(vals[i].name_in_data);
		assert_ptr_equal(vals[i].name, (char *)vals[i].data + vals[i].len);
	}
	uint8_t *taken = vals[0].data; /* as regtext's export does */
	size_t taken_len = vals[0].len;
	char *name0 = strdup(vals[0].name);
	vals[0].data = NULL;
	cpuu_reg_values_free(vals, n);
	cpuu_reg_value v;
	assert_int_equal(cpuu_reg_value_get(&v, reg, env, name0), CPUU_OK);
	assert_int_equal(v.len, taken_len);
	assert_memory_equal(v.data, taken, taken_len);
	free(taken);
	cpuu_reg_value_clear(&v);
	/* Changed twice (the second replaces a value whose name shares its
	 * allocation), then read back with its name. */
	assert_int_equal(cpuu_reg_value_set(reg, env, name0, CPUU_REG_BINARY, (const uint8_t *)"12345", 5), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, env, name0, CPUU_REG_BINARY, (const uint8_t *)"x", 1), CPUU_OK);
	assert_int_equal(cpuu_reg_key_values(&vals, &n, reg, env), CPUU_OK);
	int seen = 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(vals[i].name, name0)) {
			seen = 1;
			assert_int_equal(vals[i].len, 1);
			assert_memory_equal(vals[i].data, "x", 1);
		}
	assert_true(seen);
	cpuu_reg_values_free(vals, n);
	assert_int_equal(cpuu_reg_value_delete(reg, env, name0), CPUU_OK);
	assert_int_equal(cpuu_reg_value_get(&v, reg, env, name0), CPUU_ENOTFOUND);
	free(name0);
	cpuu_reg_key_free(env);
	cpuu_reg_free(reg);
	scratch_remove(dir);
}

/* Reference order for cpuu_reg_name_cmp: code points (2-byte UTF-8
 * decoded, longer sequences byte-wise above 0x100), ASCII and Latin-1
 * letters folded to upper case as Windows' table does for them. */
static long ref_fold(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	long cp;
	if (p[0] < 0x80) {
		cp = p[0];
		*pp = p + 1;
	} else if ((p[0] & 0xE0) == 0xC0 && p[1]) {
		cp = (long)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
		*pp = p + 2;
	} else {
		cp = 0x100 + p[0];
		*pp = p + 1;
	}
	if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7))
		cp -= 32;
	return cp;
}

static int ref_cmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	while (*pa && *pb) {
		long ca = ref_fold(&pa), cb = ref_fold(&pb);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (*pa != 0) - (*pb != 0);
}

/* Every pair of a set of names (ASCII, case variants, prefixes, Latin-1,
 * other scripts, mixed) in the order and equality of the reference. */
static void test_name_cmp(void **state)
{
	(void)state;
	const char *names[] = { "", "a", "A", "b", "_", "@", "[", "`", "{", "Z", "z", "abc", "ABC", "abd", "ab",
				"Abc\xc3\xa9", "ABC\xc3\x89", "abc\xc3\xa9x", "\xc3\xa9", "\xc3\x89", "\xc3\xb7", "\xc3\x97",
				"\xe6\x97\xa5", "\xe6\x97\xa5" "a", "a\xe6\x97\xa5", "A\xe6\x97\xa5", "PR_EMAIL", "pr_email",
				"001f3001", "001F3001", "Caf\xc3\xa9", "CAF\xc3\x89", "caf", "cafe" };
	size_t n = sizeof names / sizeof *names;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int got = cpuu_reg_name_cmp(names[i], names[j]), want = ref_cmp(names[i], names[j]);
			if ((got > 0) != (want > 0) || (got < 0) != (want < 0))
				fail_msg("'%s' vs '%s': %d, want %d", names[i], names[j], got, want);
		}
	assert_int_equal(cpuu_reg_name_cmp("Software", "SOFTWARE"), 0);
	assert_int_equal(cpuu_reg_name_cmp("Caf\xc3\xa9", "CAF\xc3\x89"), 0);
	assert_true(cpuu_reg_name_cmp("ab", "abc") < 0);
}

/* A key below a remembered one is walked from there: its name and path
 * (as stored) are those a fresh handle finds, from the root or from a
 * parent handle; bad paths are refused with the same message; keys are
 * created below a remembered one. */
static void test_walk_from_remembered(void **state)
{
	(void)state;
	char dir[] = "/tmp/cpuu-test-raw-XXXXXX", path[256];
	scratch_hive(dir, path, sizeof path, "walk.DAT");
	cpuu_reg *fresh = NULL, *reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&fresh, path, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE), CPUU_OK);
	const char *deep = "SOFTWARE\\microsoft\\WINDOWS\\currentversion\\EXPLORER";
	cpuu_reg_key *want = NULL, *k = NULL, *sw = NULL;
	assert_int_equal(cpuu_reg_key_open(&want, fresh, NULL, deep), CPUU_OK);
	/* Remember two levels, then go deeper from the root and from a handle. */
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "software\\MICROSOFT"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Windows"), CPUU_OK);
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, deep), CPUU_OK);
	assert_string_equal(cpuu_reg_key_path(k), cpuu_reg_key_path(want));
	assert_string_equal(cpuu_reg_key_name(k), cpuu_reg_key_name(want));
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_key_open(&sw, reg, NULL, "Software"), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, reg, sw, "Microsoft\\Windows\\CurrentVersion\\Run"), CPUU_OK);
	cpuu_reg_key *want2 = NULL;
	assert_int_equal(cpuu_reg_key_open(&want2, fresh, NULL, "Software\\Microsoft\\Windows\\CurrentVersion\\Run"),
			 CPUU_OK);
	assert_string_equal(cpuu_reg_key_path(k), cpuu_reg_key_path(want2));
	assert_string_equal(cpuu_reg_key_name(k), cpuu_reg_key_name(want2));
	cpuu_reg_key_free(k);
	cpuu_reg_key_free(want2);
	/* Refused as before: an empty component below a remembered key; a
	 * missing key named by its whole path. */
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\\\Windows"), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "'Software\\Microsoft\\\\Windows' has an empty component"));
	assert_int_equal(cpuu_reg_key_open(&k, reg, NULL, "Software\\Microsoft\\Windows\\NoSuchKey"), CPUU_ENOTFOUND);
	assert_non_null(strstr(cpuu_error_last()->message, "'Software\\Microsoft\\Windows\\NoSuchKey' not found"));
	/* Created below a remembered key, then found by a fresh handle. */
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, "Software\\Microsoft\\Windows\\CpuuWalk\\Deep"), CPUU_OK);
	assert_string_equal(cpuu_reg_key_path(k), "Software\\Microsoft\\Windows\\CpuuWalk\\Deep");
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	assert_int_equal(cpuu_reg_commit(reg, &nb), CPUU_OK);
	cpuu_reg_key_free(sw);
	cpuu_reg_key_free(want);
	cpuu_reg_free(reg);
	cpuu_reg_free(fresh);
	assert_int_equal(cpuu_reg_open_hive(&fresh, path, 0), CPUU_OK);
	assert_int_equal(cpuu_reg_key_open(&k, fresh, NULL, "Software\\Microsoft\\Windows\\CpuuWalk\\Deep"), CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_free(fresh);
	scratch_remove(dir);
}

static void same_values(const cpuu_reg_value *a, size_t na, const cpuu_reg_value *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_int_equal(a[i].type, b[i].type);
		assert_int_equal(a[i].len, b[i].len);
		assert_memory_equal(a[i].data, b[i].data, a[i].len);
	}
}

/* The first view taken, and a copy of it made then. */
typedef struct first_view {
	const cpuu_reg_value *first, *copy;
	size_t nfirst, ncopy;
} first_view;

/* The key's view equals its copy; the first view is still what it was. */
static void view_key(cpuu_reg *reg, const cpuu_reg_key *key, void *ctx)
{
	const first_view *f = ctx;
	const cpuu_reg_value *seen = NULL;
	size_t nseen = 0;
	cpuu_reg_value *vals = NULL;
	size_t nv = 0;
	assert_int_equal(cpuu_reg_key_values_view(&seen, &nseen, reg, key), CPUU_OK);
	assert_int_equal(cpuu_reg_key_values(&vals, &nv, reg, key), CPUU_OK);
	same_values(seen, nseen, vals, nv);
	cpuu_reg_values_free(vals, nv);
	same_values(f->first, f->nfirst, f->copy, f->ncopy);
}

/* Views of every key equal the copies, stay valid while other keys are
 * read, need no hivex, and show a change once taken again after it. */
static void test_values_view(void **state)
{
	(void)state;
	char dir[] = "/tmp/cpuu-test-raw-XXXXXX", path[256];
	scratch_hive(dir, path, sizeof path, "view.DAT");
	for (int pass = 0; pass < 2; pass++) {
		cpuu_reg *reg = NULL;
		cpuu_reg_key *root = NULL, *env = NULL;
		assert_int_equal(cpuu_reg_open_hive(&reg, path, pass ? 0 : CPUU_REG_OPEN_WRITE), CPUU_OK);
		assert_int_equal(cpuu_reg_key_open(&env, reg, NULL, "Environment"), CPUU_OK);
		const cpuu_reg_value *first = NULL;
		size_t nfirst = 0;
		cpuu_reg_value *copy = NULL;
		size_t ncopy = 0;
		assert_int_equal(cpuu_reg_key_values_view(&first, &nfirst, reg, env), CPUU_OK);
		assert_int_equal(cpuu_reg_key_values(&copy, &ncopy, reg, env), CPUU_OK);
		assert_true(nfirst >= 2);
		assert_int_equal(cpuu_reg_root(&root, reg), CPUU_OK);
		first_view f = { first, copy, nfirst, ncopy };
		assert_true(walk_tree(reg, root, 0, view_key, &f) >= 400);
		assert_null(hivex_of(reg));
		if (!pass) {
			assert_int_equal(cpuu_reg_value_set(reg, env, "ViewNew", CPUU_REG_BINARY, (const uint8_t *)"v", 1),
					 CPUU_OK);
			const cpuu_reg_value *now = NULL;
			size_t nnow = 0;
			assert_int_equal(cpuu_reg_key_values_view(&now, &nnow, reg, env), CPUU_OK);
			assert_int_equal(nnow, ncopy + 1);
			assert_string_equal(now[nnow - 1].name, "ViewNew");
			same_values(now, ncopy, copy, ncopy);
		}
		cpuu_reg_values_free(copy, ncopy);
		cpuu_reg_key_free(root);
		cpuu_reg_key_free(env);
		cpuu_reg_free(reg);
	}
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_win7),
		cmocka_unit_test(test_win81),
		cmocka_unit_test(test_plaso),
		cmocka_unit_test(test_latin1_utf16),
		cmocka_unit_test(test_after_add_child),
		cmocka_unit_test(test_hivex_lazily),
		cmocka_unit_test(test_value_one_allocation),
		cmocka_unit_test(test_name_cmp),
		cmocka_unit_test(test_walk_from_remembered),
		cmocka_unit_test(test_values_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
