/* Export and apply against real hives (hivex through the registry layer):
 * every value type survives export -> file -> apply -> export unchanged, our
 * parser reads what hivexregedit exports, and apply refuses foreign paths
 * before changing anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/regtext.h"
#include "cpuu/registry.h"
#include "testutil.h"

#define HKCU "HKEY_CURRENT_USER"
/* Exports are written with the key's full path; apply maps HKCU to the hive root. */
#define PREFIX "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = test_tmpdir("regtext-reg");
	return tmp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(tmp);
	return 0;
}

#define CHECK(expr) do { int rc_ = (expr); if (rc_) fail_msg("%s: %d %s", #expr, rc_, cpuu_error_last()->message); } while (0)

static char *blank_hive(const char *name)
{
	char *p = test_path(tmp, name);
	CHECK(cpuu_hive_create_blank(p, NULL));
	return p;
}

static cpuu_regtext *export_at(const char *hive, const char *subpath, const char *prefix)
{
	cpuu_reg *reg;
	cpuu_reg_key *key;
	cpuu_regtext *doc;
	CHECK(cpuu_reg_open_hive(&reg, hive, 0));
	if (*subpath ? cpuu_reg_key_open(&key, reg, NULL, subpath) : cpuu_reg_root(&key, reg))
		fail_msg("%s in %s: %s", subpath, hive, cpuu_error_last()->message);
	CHECK(cpuu_regtext_export(&doc, reg, key, prefix));
	cpuu_reg_key_free(key);
	cpuu_reg_free(reg);
	return doc;
}

static void apply_to(const char *hive, const cpuu_regtext *doc, const char *prefix)
{
	cpuu_reg *reg;
	CHECK(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE));
	CHECK(cpuu_regtext_apply(reg, doc, prefix));
	cpuu_reg_commit_opts o = { .no_backup = 1 };
	CHECK(cpuu_reg_commit(reg, &o));
	cpuu_reg_free(reg);
}

static void set(cpuu_reg *reg, cpuu_reg_key *k, const char *name, uint32_t type, const void *data, size_t len)
{
	CHECK(cpuu_reg_value_set(reg, k, name, type, data, len));
}

/* A profile-like subtree holding every value type and awkward names. */
static void fill(const char *hive)
{
	cpuu_reg *reg;
	cpuu_reg_key *k, *sub;
	CHECK(cpuu_reg_open_hive(&reg, hive, CPUU_REG_OPEN_WRITE));
	CHECK(cpuu_reg_key_create(&k, reg, NULL, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"));
	set(reg, k, "", CPUU_REG_SZ, "d\0e\0f\0\0\0", 8);
	set(reg, k, "001e6602", CPUU_REG_SZ, "m\0a\0i\0l\0\0\0", 10);
	set(reg, k, "quote\"back\\slash=]", CPUU_REG_SZ, "\0", 2);
	set(reg, k, "sz_nonul", CPUU_REG_SZ, "a\0b\0", 4);
	set(reg, k, "sz_odd", CPUU_REG_SZ, "a\0\0", 3);
	set(reg, k, "expand", CPUU_REG_EXPAND_SZ, "%\0U\0%\0\0\0", 8);
	uint8_t bin[700];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (uint8_t)(i * 7);
	bin[sizeof bin - 1] = bin[sizeof bin - 2] = 0; /* trailing zeros are data */
	set(reg, k, "0102663a", CPUU_REG_BINARY, bin, sizeof bin);
	set(reg, k, "empty", CPUU_REG_BINARY, NULL, 0);
	set(reg, k, "dword", CPUU_REG_DWORD, "\x78\x56\x34\x12", 4);
	set(reg, k, "dword3", CPUU_REG_DWORD, "\1\2\3", 3);
	set(reg, k, "be", CPUU_REG_DWORD_BIG_ENDIAN, "\0\0\0\1", 4);
	set(reg, k, "link", CPUU_REG_LINK, "\\\0R\0", 4);
	set(reg, k, "multi", CPUU_REG_MULTI_SZ, "a\0\0\0b\0\0\0\0\0", 10);
	set(reg, k, "res", CPUU_REG_RESOURCE_LIST, "\1\0\0\0", 4);
	set(reg, k, "full", CPUU_REG_FULL_RESOURCE_DESCRIPTOR, "\2", 1);
	set(reg, k, "req", CPUU_REG_RESOURCE_REQUIREMENTS_LIST, "\3\0", 2);
	set(reg, k, "qword", CPUU_REG_QWORD, "\1\2\3\4\5\6\7\x08", 8);
	set(reg, k, "none", CPUU_REG_NONE, NULL, 0);
	set(reg, k, "type0x10000", 0x10000, "\xff", 1);
	set(reg, k, "typebig", 0x7fff1234, "\0", 1);
	set(reg, k, "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", CPUU_REG_SZ,
	    "\xE9\0t\0\xE9\0\0\0", 8);
	CHECK(cpuu_reg_key_create(&sub, reg, k, "9375CFF0413111d3B88A00104B2A6676\\00000002"));
	set(reg, sub, "Account Name", CPUU_REG_BINARY, "A\0\0\0", 4);
	cpuu_reg_key_free(sub);
	CHECK(cpuu_reg_key_create(&sub, reg, k, "Cafe [x] = \"q\""));
	cpuu_reg_key_free(sub);
	cpuu_reg_key_free(k);
	cpuu_reg_commit_opts o = { .no_backup = 1 };
	CHECK(cpuu_reg_commit(reg, &o));
	cpuu_reg_free(reg);
}

static const cpuu_regtext_value *find(const cpuu_regtext *d, const char *path_end, const char *name)
{
	for (size_t i = 0; i < d->nkeys; i++) {
		size_t pl = strlen(d->keys[i].path), el = strlen(path_end);
		if (pl < el || strcmp(d->keys[i].path + pl - el, path_end) != 0)
			continue;
		for (size_t j = 0; j < d->keys[i].nvalues; j++)
			if (strcmp(d->keys[i].values[j].name, name) == 0)
				return &d->keys[i].values[j];
	}
	return NULL;
}

static void test_every_type_roundtrip(void **state)
{
	(void)state;
	char *a = blank_hive("a.DAT"), *b = blank_hive("b.DAT");
	fill(a);
	cpuu_regtext *d1 = export_at(a, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", PREFIX);
	assert_int_equal(d1->nkeys, 5);
	assert_string_equal(d1->keys[0].path, PREFIX);
	assert_string_equal(d1->keys[1].path, PREFIX "\\Outlook");
	const cpuu_regtext_value *v = find(d1, "\\Outlook", "0102663a");
	assert_non_null(v);
	assert_int_equal(v->len, 700);
	v = find(d1, "\\Outlook", "dword3");
	assert_non_null(v);
	assert_int_equal(v->len, 3);

	char *file = test_path(tmp, "profile.reg");
	CHECK(cpuu_regtext_write_file(file, d1));
	cpuu_regtext *d2;
	CHECK(cpuu_regtext_read_file(&d2, file));
	assert_true(cpuu_regtext_equal(d1, d2));

	apply_to(b, d2, HKCU);
	cpuu_regtext *d3 = export_at(b, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", PREFIX);
	if (!cpuu_regtext_equal(d1, d3)) {
		char *diff = NULL;
		cpuu_regtext_diff(&diff, d1, d3);
		fail_msg("export after apply differs:\n%s", diff);
	}
	/* Applying the same document again changes nothing (idempotent). */
	apply_to(b, d2, HKCU);
	cpuu_regtext *d4 = export_at(b, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", PREFIX);
	assert_true(cpuu_regtext_equal(d1, d4));

	/* Prefix matching ignores case; the key path is taken below it. */
	char *c = blank_hive("c.DAT");
	apply_to(c, d2, "hkey_current_USER\\");
	cpuu_regtext *d5 = export_at(c, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", PREFIX);
	assert_true(cpuu_regtext_equal(d1, d5));

	cpuu_regtext_free(d1);
	cpuu_regtext_free(d2);
	cpuu_regtext_free(d3);
	cpuu_regtext_free(d4);
	cpuu_regtext_free(d5);
	free(file);
	free(a);
	free(b);
	free(c);
}

static int value_cmp(const void *a, const void *b)
{
	return strcmp(((const cpuu_regtext_value *)a)->name, ((const cpuu_regtext_value *)b)->name);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const cpuu_regtext_key *)a)->path, ((const cpuu_regtext_key *)b)->path);
}

/* hivexregedit lists keys and values sorted by name (Perl's sort); we keep
 * the hive's stored order, so both are sorted before comparing. */
static void sort_values(cpuu_regtext *d)
{
	qsort(d->keys, d->nkeys, sizeof *d->keys, key_cmp);
	for (size_t i = 0; i < d->nkeys; i++)
		if (d->keys[i].nvalues)
			qsort(d->keys[i].values, d->keys[i].nvalues, sizeof *d->keys[i].values, value_cmp);
}

/* hivexregedit (libwin-hivex-perl) exports the same hive: our parser must
 * read exactly the same keys and values from its text. */
static void cross_check_hivexregedit(const char *hive, const char *subpath, cpuu_regtext *ours)
{
	/* hivexregedit writes prefix + the key's full path from the root. */
	const char *prefix = "HKEY_CURRENT_USER";
	if (system("command -v hivexregedit >/dev/null 2>&1") != 0) {
		print_message("hivexregedit not installed: cross-check skipped\n");
		return;
	}
	char *out = test_path(tmp, "hivexregedit.reg");
	char cmd[8192];
	/* Paths here are made by the test: no quotes in them. */
	snprintf(cmd, sizeof cmd, "hivexregedit --export --prefix '%s' '%s' '\\%s' > '%s' 2>/dev/null",
		 prefix, hive, subpath, out);
	assert_int_equal(system(cmd), 0);
	cpuu_regtext *theirs;
	CHECK(cpuu_regtext_read_file(&theirs, out));
	/* hivexregedit writes the root as "prefix\\"; we write "prefix". */
	for (size_t i = 0; i < theirs->nkeys; i++) {
		size_t n = strlen(theirs->keys[i].path);
		if (n && theirs->keys[i].path[n - 1] == '\\')
			theirs->keys[i].path[n - 1] = '\0';
	}
	sort_values(theirs);
	sort_values(ours);
	if (!cpuu_regtext_equal(ours, theirs)) {
		char *diff = NULL;
		cpuu_regtext_diff(&diff, theirs, ours);
		fail_msg("hivexregedit's export reads differently:\n%.3000s", diff);
	}
	cpuu_regtext_free(theirs);
	free(out);
}

static void test_hivexregedit_agrees(void **state)
{
	(void)state;
	char *a = blank_hive("x.DAT");
	fill(a);
	const char *sub = "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles";
	cpuu_regtext *d = export_at(a, sub, PREFIX);
	cross_check_hivexregedit(a, sub, d);
	cpuu_regtext_free(d);
	free(a);
}

/* Real hives: a subtree and the whole hive, export -> file -> apply into a
 * blank hive -> export gives the same document; hivexregedit agrees. */
static void real_hive_roundtrip(const char *hive_name)
{
	char *orig = test_real_hive(hive_name);
	if (!orig) {
		skip();
		return;
	}
	char *copy = test_path(tmp, hive_name);
	assert_int_equal(test_copy_file(orig, copy), 0);
	const char *subs[] = { "Control Panel", "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer", "" };
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
		char prefix[512];
		snprintf(prefix, sizeof prefix, "%s%s%s", HKCU, *subs[i] ? "\\" : "", subs[i]);
		cpuu_regtext *d1 = export_at(copy, subs[i], prefix);
		assert_true(d1->nkeys > 3);
		char name[64];
		snprintf(name, sizeof name, "blank-%s-%zu.DAT", hive_name, i);
		char *blank = blank_hive(name);
		char *file = test_path(tmp, "real.reg");
		CHECK(cpuu_regtext_write_file(file, d1));
		cpuu_regtext *d2;
		CHECK(cpuu_regtext_read_file(&d2, file));
		assert_true(cpuu_regtext_equal(d1, d2));
		apply_to(blank, d2, HKCU);
		cpuu_regtext *d3 = export_at(blank, subs[i], prefix);
		if (!cpuu_regtext_equal(d1, d3)) {
			char *diff = NULL;
			cpuu_regtext_diff(&diff, d1, d3);
			fail_msg("%s: export after apply differs:\n%.3000s", subs[i], diff);
		}
		cross_check_hivexregedit(copy, subs[i], d1);
		cpuu_regtext_free(d1);
		cpuu_regtext_free(d2);
		cpuu_regtext_free(d3);
		free(file);
		free(blank);
	}
	/* The copy was only read. */
	assert_true(test_files_equal(orig, copy));
	free(copy);
	free(orig);
}

static void test_real_hive_win7(void **state)
{
	(void)state;
	real_hive_roundtrip("win7pro-NTUSER.DAT");
}

static void test_real_hive_win81(void **state)
{
	(void)state;
	real_hive_roundtrip("win81-NTUSER.DAT");
}

static void test_apply_deletions_and_refusals(void **state)
{
	(void)state;
	char *a = blank_hive("del.DAT");
	fill(a);
	char *before = test_path(tmp, "del-before.DAT");
	assert_int_equal(test_copy_file(a, before), 0);

	const char *bad_docs[] = {
		/* One foreign key anywhere refuses the whole document. */
		"Windows Registry Editor Version 5.00\r\n\r\n[" PREFIX "\\Outlook]\r\n\"new\"=\"x\"\r\n\r\n"
		"[HKEY_CURRENT_USER\\Software\\Evil]\r\n\"x\"=\"y\"\r\n",
		/* A sibling whose name merely starts like the prefix. */
		"Windows Registry Editor Version 5.00\r\n\r\n[" PREFIX "Evil]\r\n",
		"Windows Registry Editor Version 5.00\r\n\r\n[-" PREFIX "]\r\n",
		"Windows Registry Editor Version 5.00\r\n\r\n[" PREFIX "\\a\\\\b]\r\n",
	};
	for (size_t i = 0; i < sizeof bad_docs / sizeof *bad_docs; i++) {
		cpuu_regtext *doc;
		CHECK(cpuu_regtext_parse(&doc, (const uint8_t *)bad_docs[i], strlen(bad_docs[i])));
		cpuu_reg *reg;
		CHECK(cpuu_reg_open_hive(&reg, a, CPUU_REG_OPEN_WRITE));
		assert_int_equal(cpuu_regtext_apply(reg, doc, PREFIX), CPUU_EINVALID);
		assert_non_null(strstr(cpuu_error_last()->message, "nothing applied"));
		assert_false(cpuu_reg_dirty(reg));
		cpuu_reg_free(reg);
		cpuu_regtext_free(doc);
	}
	assert_true(test_files_equal(a, before));

	const char *text =
		"Windows Registry Editor Version 5.00\r\n\r\n"
		"[-" PREFIX "\\Outlook\\9375CFF0413111d3B88A00104B2A6676]\r\n\r\n"
		"[-" PREFIX "\\Outlook\\Absent]\r\n\r\n"
		"[" PREFIX "\\Outlook]\r\n\"dword\"=-\r\n\"absent\"=-\r\n\"001E6602\"=\"new\"\r\n\r\n"
		"[" PREFIX "\\Outlook\\Added\\Deep]\r\n@=dword:00000001\r\n";
	cpuu_regtext *doc;
	CHECK(cpuu_regtext_parse(&doc, (const uint8_t *)text, strlen(text)));
	/* Changes stay pending until commit: dropping the handle keeps the file. */
	cpuu_reg *reg;
	CHECK(cpuu_reg_open_hive(&reg, a, CPUU_REG_OPEN_WRITE));
	CHECK(cpuu_regtext_apply(reg, doc, HKCU));
	assert_true(cpuu_reg_dirty(reg));
	cpuu_reg_free(reg);
	assert_true(test_files_equal(a, before));

	apply_to(a, doc, HKCU);
	cpuu_regtext *d = export_at(a, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", PREFIX);
	assert_null(find(d, "\\00000002", "Account Name"));
	assert_null(find(d, "\\Outlook", "dword"));
	const cpuu_regtext_value *v = find(d, "\\Outlook", "001e6602"); /* stored name kept */
	assert_non_null(v);
	assert_int_equal(v->len, 8);
	assert_memory_equal(v->data, "n\0e\0w\0\0\0", 8);
	v = find(d, "\\Added\\Deep", "");
	assert_non_null(v);
	assert_int_equal(v->type, CPUU_REG_DWORD);
	for (size_t i = 0; i < d->nkeys; i++)
		assert_null(strstr(d->keys[i].path, "9375CFF0"));

	/* The diff of before/after shows exactly these changes. */
	cpuu_regtext *old = export_at(before, "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles", PREFIX);
	char *diff;
	CHECK(cpuu_regtext_diff(&diff, old, d));
	assert_non_null(strstr(diff, "-\"dword\"=dword:12345678\n"));
	assert_non_null(strstr(diff, "-\"001e6602\"=\"mail\"\n+\"001e6602\"=\"new\"\n"));
	assert_non_null(strstr(diff, "-[" PREFIX "\\Outlook\\9375CFF0413111d3B88A00104B2A6676\\00000002]\n"
				     "-\"Account Name\"=hex:41,00,00,00\n"));
	assert_non_null(strstr(diff, "+[" PREFIX "\\Outlook\\Added\\Deep]\n+@=dword:00000001\n"));
	free(diff);
	cpuu_regtext_free(old);
	cpuu_regtext_free(d);
	cpuu_regtext_free(doc);
	free(before);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_roundtrip),
		cmocka_unit_test(test_hivexregedit_agrees),
		cmocka_unit_test(test_real_hive_win7),
		cmocka_unit_test(test_real_hive_win81),
		cmocka_unit_test(test_apply_deletions_and_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
