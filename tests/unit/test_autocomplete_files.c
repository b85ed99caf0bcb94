/* The offline hand-over: a user folder built here (standing for
 * C:\Users\<name>) with RoamCache streams and .nk2 files generated from the
 * documented layout; the rewritten <profile>.nk2 written beside them, the
 * change list, Undo, refusals and injected write failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpuu/autocomplete.h"
#include "cpuu/unicode.h"
#include "testutil.h"

#define CACHE "AppData/Local/Microsoft/Outlook/RoamCache"
#define ROAM "AppData/Roaming/Microsoft/Outlook"
#define SRC_DN "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"
#define TGT_DN "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"

typedef struct gen {
	uint8_t *d;
	size_t len, cap;
} gen;

static void g_bytes(gen *g, const void *p, size_t n)
{
	if (g->len + n > g->cap) {
		g->cap = (g->len + n) * 2 + 64;
		g->d = realloc(g->d, g->cap);
		assert_non_null(g->d);
	}
	memcpy(g->d + g->len, p, n);
	g->len += n;
}

static void g_u32(gen *g, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	g_bytes(g, b, 4);
}

static void g_head(gen *g, uint32_t tag, uint32_t value)
{
	g_u32(g, tag);
	g_u32(g, 0);
	g_u32(g, value);
	g_u32(g, 0);
}

static void g_utf16(gen *g, uint32_t tag, const char *s)
{
	uint8_t *w = NULL;
	size_t n = 0;
	assert_int_equal(cpuu_utf8_to_utf16le(&w, &n, s, 1), 0);
	g_head(g, tag, 0);
	g_u32(g, (uint32_t)n);
	g_bytes(g, w, n);
	cpuu_free(w);
}

/* An EX row (nick name, type, DN, weight) or an SMTP row. */
static void g_row(gen *g, const char *nick, const char *type, const char *addr, uint32_t weight)
{
	g_u32(g, 4);
	g_utf16(g, 0x6001001Fu, nick);
	g_utf16(g, 0x3002001Fu, type);
	g_utf16(g, 0x3003001Fu, addr);
	g_head(g, 0x60040003u, weight);
}

static void g_stream(gen *g, uint32_t major, uint32_t minor, int alice_at_target, int with_partner)
{
	memset(g, 0, sizeof *g);
	g_u32(g, 0xBAADF00Du);
	g_u32(g, major);
	g_u32(g, minor);
	g_u32(g, with_partner ? 2 : 1);
	g_row(g, "Alice", "EX", alice_at_target ? TGT_DN : SRC_DN, 0x4000);
	if (with_partner)
		g_row(g, "Bob", "SMTP", "bob@partner.example", 0x2000);
	g_u32(g, 0);
	g_bytes(g, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

static cpuu_match alice = { .source_legacy_dn = (char *)SRC_DN,
			    .source_smtp = (char *)"alice@source.example",
			    .target_legacy_dn = (char *)TGT_DN,
			    .target_smtp = (char *)"alice@target.example",
			    .switched = 1 };

static int lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	(void)ctx;
	*m = NULL;
	*st = CPUU_LOOKUP_NO_SOURCE;
	if (!strcasecmp(key, SRC_DN) || !strcasecmp(key, "alice@source.example")) {
		*m = &alice;
		*st = CPUU_LOOKUP_FOUND;
	}
	return CPUU_OK;
}

static const cpuu_match_source SRC = { lookup, NULL };

static void mkdirs(const char *root, const char *rel)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", root, rel);
	for (char *c = buf + strlen(root) + 1;; c++) {
		if (*c == '/' || !*c) {
			char save = *c;
			*c = '\0';
			mkdir(buf, 0755);
			*c = save;
			if (!save)
				break;
		}
	}
}

static void put(const char *root, const char *rel, const gen *g)
{
	char *p = test_path(root, rel);
	assert_int_equal(test_write_file(p, g->d, g->len), 0);
	free(p);
}

static uint8_t *get(const char *root, const char *rel, size_t *n)
{
	char *p = test_path(root, rel);
	uint8_t *d = test_read_file(p, n);
	free(p);
	return d;
}

static int exists(const char *root, const char *rel)
{
	char *p = test_path(root, rel);
	struct stat st;
	int r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static size_t count_entries(const char *root, const char *rel)
{
	char *p = test_path(root, rel);
	DIR *d = opendir(p);
	free(p);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static char *user_folder(void)
{
	char *dir = test_tmpdir("ac");
	mkdirs(dir, CACHE);
	mkdirs(dir, ROAM);
	return dir;
}

static void test_handover_and_undo(void **state)
{
	(void)state;
	char *dir = user_folder();
	gen dat, want;
	g_stream(&dat, 12, 0, 0, 1);
	put(dir, CACHE "/Stream_Autocomplete_0_C46AC97B9CA2EF4197BE00D129BCCA43.dat", &dat);

	cpuu_ac_changes ch;
	cpuu_ac_stats st;
	int rc = cpuu_autocomplete_handover(&ch, &st, dir, "Outlook", &SRC);
	if (rc)
		fail_msg("%s", cpuu_error_last()->message);
	assert_int_equal(st.sources, 1);
	assert_int_equal(st.rows, 2);
	assert_int_equal(st.rewritten, 1);
	assert_int_equal(st.unmatched, 1);
	assert_int_equal(ch.count, 1);
	assert_int_equal(ch.items[0].action, CPUU_AC_FILE_CREATED);
	assert_string_equal(ch.items[0].path, ROAM "/Outlook.nk2");

	/* The .nk2 is the same stream, rewritten, as version 10/1. */
	g_stream(&want, 10, 1, 1, 1);
	size_t n = 0;
	uint8_t *nk2 = get(dir, ROAM "/Outlook.nk2", &n);
	assert_non_null(nk2);
	assert_int_equal(n, want.len);
	assert_memory_equal(nk2, want.d, n);
	free(nk2);
	/* The cache itself is untouched; no temporary file is left. */
	uint8_t *d2 = get(dir, CACHE "/Stream_Autocomplete_0_C46AC97B9CA2EF4197BE00D129BCCA43.dat", &n);
	assert_int_equal(n, dat.len);
	assert_memory_equal(d2, dat.d, n);
	free(d2);
	assert_int_equal(count_entries(dir, ROAM), 1);

	assert_int_equal(cpuu_autocomplete_undo(dir, &ch), 0);
	assert_false(exists(dir, ROAM "/Outlook.nk2"));
	assert_int_equal(count_entries(dir, ROAM), 0);
	/* A second Undo has nothing to do. */
	assert_int_equal(cpuu_autocomplete_undo(dir, &ch), 0);
	cpuu_ac_changes_clear(&ch);
	free(dat.d);
	free(want.d);
	test_tmpdir_remove(dir);
}

/* A pending <profile>.nk2 is read, renamed aside and restored by Undo. */
static void test_existing_nk2(void **state)
{
	(void)state;
	char *dir = user_folder();
	gen old, want;
	g_stream(&old, 10, 1, 0, 0);
	put(dir, ROAM "/outlook.NK2", &old);

	cpuu_ac_changes ch;
	cpuu_ac_stats st;
	assert_int_equal(cpuu_autocomplete_handover(&ch, &st, dir, "Outlook", &SRC), 0);
	assert_int_equal(st.sources, 1);
	assert_int_equal(ch.count, 2);
	assert_int_equal(ch.items[0].action, CPUU_AC_FILE_RENAMED);
	assert_string_equal(ch.items[0].old_path, ROAM "/outlook.NK2");
	assert_string_equal(ch.items[0].path, ROAM "/outlook.NK2.cpuu-old");
	assert_string_equal(ch.items[1].path, ROAM "/Outlook.nk2");
	g_stream(&want, 10, 1, 1, 0);
	size_t n = 0;
	uint8_t *nk2 = get(dir, ROAM "/Outlook.nk2", &n);
	assert_int_equal(n, want.len);
	assert_memory_equal(nk2, want.d, n);
	free(nk2);

	/* Not imported yet: a second hand-over refuses and changes nothing. */
	cpuu_ac_changes ch2;
	put(dir, ROAM "/outlook.NK2", &old); /* as if the admin put one back */
	assert_int_equal(cpuu_autocomplete_handover(&ch2, NULL, dir, "Outlook", &SRC), CPUU_EAMBIGUOUS);
	char *p = test_path(dir, ROAM "/outlook.NK2");
	unlink(p);
	free(p);
	assert_int_equal(count_entries(dir, ROAM), 2);

	assert_int_equal(cpuu_autocomplete_undo(dir, &ch), 0);
	assert_int_equal(count_entries(dir, ROAM), 1);
	uint8_t *back = get(dir, ROAM "/outlook.NK2", &n);
	assert_int_equal(n, old.len);
	assert_memory_equal(back, old.d, n);
	free(back);
	cpuu_ac_changes_clear(&ch);
	free(old.d);
	free(want.d);
	test_tmpdir_remove(dir);
}

static void test_second_run_refused(void **state)
{
	(void)state;
	char *dir = user_folder();
	gen old, dat;
	g_stream(&old, 10, 1, 0, 0);
	g_stream(&dat, 12, 0, 0, 1);
	put(dir, ROAM "/Outlook.nk2", &old);
	cpuu_ac_changes ch, ch2;
	cpuu_ac_stats st;
	assert_int_equal(cpuu_autocomplete_handover(&ch, NULL, dir, "Outlook", &SRC), 0);
	/* Run again: only our own .nk2 is there, already at the target. */
	assert_int_equal(cpuu_autocomplete_handover(&ch2, &st, dir, "Outlook", &SRC), 0);
	assert_int_equal(st.rewritten, 0);
	assert_int_equal(ch2.count, 0);
	/* With a cache that still names the source, the pending hand-over
	 * (not imported yet) is not overwritten. */
	put(dir, CACHE "/Stream_Autocomplete_0_X.dat", &dat);
	size_t before = count_entries(dir, ROAM);
	assert_int_equal(cpuu_autocomplete_handover(&ch2, NULL, dir, "Outlook", &SRC), CPUU_EEXISTS);
	assert_int_equal(ch2.count, 0);
	assert_int_equal(count_entries(dir, ROAM), before);
	assert_int_equal(cpuu_autocomplete_undo(dir, &ch), 0);
	size_t n = 0;
	uint8_t *back = get(dir, ROAM "/Outlook.nk2", &n);
	assert_int_equal(n, old.len);
	assert_memory_equal(back, old.d, n);
	free(back);
	cpuu_ac_changes_clear(&ch);
	free(old.d);
	free(dat.d);
	test_tmpdir_remove(dir);
}

/* Two caches: rows merged by descending weight, identical rows once. */
static void test_two_caches_merged(void **state)
{
	(void)state;
	char *dir = user_folder();
	gen a = { 0 }, b;
	g_u32(&a, 0xBAADF00Du);
	g_u32(&a, 12);
	g_u32(&a, 0);
	g_u32(&a, 2);
	g_row(&a, "Carol", "SMTP", "carol@partner.example", 0x3000);
	g_row(&a, "Alice", "EX", SRC_DN, 0x1000);
	g_u32(&a, 0);
	g_bytes(&a, "\x11\x11\x11\x11\x11\x11\x11\x11", 8);
	g_stream(&b, 12, 0, 0, 1); /* Alice 0x4000, Bob 0x2000 */
	put(dir, CACHE "/Stream_Autocomplete_0_AAAA.dat", &a);
	put(dir, CACHE "/Stream_Autocomplete_1_BBBB.dat", &b);
	put(dir, CACHE "/Stream_Autocomplete_2_CCCC.dat", &b); /* the same again */
	put(dir, CACHE "/unrelated.dat", &b);

	cpuu_ac_changes ch;
	cpuu_ac_stats st;
	assert_int_equal(cpuu_autocomplete_handover(&ch, &st, dir, "Outlook", &SRC), 0);
	assert_int_equal(st.sources, 3);
	assert_int_equal(st.rows, 6);
	assert_int_equal(st.rewritten, 3);
	assert_int_equal(st.duplicates, 2);
	size_t n = 0;
	uint8_t *nk2 = get(dir, ROAM "/Outlook.nk2", &n);
	cpuu_autocomplete *ac = NULL;
	assert_int_equal(cpuu_autocomplete_parse(&ac, nk2, n), 0);
	assert_int_equal(ac->major, 10);
	assert_int_equal(ac->row_count, 4);
	static const char *order[] = { "Alice", "Carol", "Bob", "Alice" };
	static const uint8_t weights[] = { 0x40, 0x30, 0x20, 0x10 };
	for (size_t i = 0; i < 4; i++) {
		char *s = NULL;
		assert_int_equal(cpuu_ac_prop_string(&s, &ac->rows[i].props[0]), 0);
		assert_string_equal(s, order[i]);
		cpuu_free(s);
		assert_int_equal(cpuu_ac_row_find(&ac->rows[i], 0x60040003u)->value[1], weights[i]);
	}
	char *dn = NULL;
	assert_int_equal(cpuu_ac_prop_string(&dn, &ac->rows[3].props[2]), 0);
	assert_string_equal(dn, TGT_DN);
	cpuu_free(dn);
	cpuu_autocomplete_free(ac);
	free(nk2);
	assert_int_equal(cpuu_autocomplete_undo(dir, &ch), 0);
	cpuu_ac_changes_clear(&ch);
	free(a.d);
	free(b.d);
	test_tmpdir_remove(dir);
}

static void test_nothing_to_do(void **state)
{
	(void)state;
	char *dir = user_folder();
	cpuu_ac_changes ch;
	cpuu_ac_stats st;
	/* No cache at all. */
	assert_int_equal(cpuu_autocomplete_handover(&ch, &st, dir, "Outlook", &SRC), 0);
	assert_int_equal(st.sources, 0);
	assert_int_equal(ch.count, 0);
	/* A cache already at the target: nothing written. */
	gen g;
	g_stream(&g, 12, 0, 1, 1);
	put(dir, CACHE "/Stream_Autocomplete_0_X.dat", &g);
	assert_int_equal(cpuu_autocomplete_handover(&ch, &st, dir, "Outlook", &SRC), 0);
	assert_int_equal(st.sources, 1);
	assert_int_equal(st.rewritten, 0);
	assert_int_equal(ch.count, 0);
	assert_int_equal(count_entries(dir, ROAM), 0);
	free(g.d);
	/* No user folder layout at all. */
	char *empty = test_tmpdir("ac-empty");
	assert_int_equal(cpuu_autocomplete_handover(&ch, &st, empty, "Outlook", &SRC), 0);
	assert_int_equal(ch.count, 0);
	test_tmpdir_remove(empty);
	test_tmpdir_remove(dir);
}

static void test_refusals(void **state)
{
	(void)state;
	char *dir = user_folder();
	gen g;
	g_stream(&g, 12, 0, 0, 0);
	put(dir, CACHE "/Stream_Autocomplete_0_X.dat", &g);
	cpuu_ac_changes ch;
	static const char *bad[] = { "", ".", "..", "../x", "a/b", "a\\b", "C:x", "x.", "x ", "a\tb", "a*b" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(cpuu_autocomplete_handover(&ch, NULL, dir, bad[i], &SRC), CPUU_EINVALID);
	assert_int_equal(count_entries(dir, ROAM), 0);

	/* A corrupt cache stops everything, naming the file. */
	gen bad_stream = { 0 };
	g_bytes(&bad_stream, g.d, g.len - 3);
	put(dir, CACHE "/Stream_Autocomplete_1_Y.dat", &bad_stream);
	assert_int_equal(cpuu_autocomplete_handover(&ch, NULL, dir, "Outlook", &SRC), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "Stream_Autocomplete_1_Y.dat"));
	assert_int_equal(count_entries(dir, ROAM), 0);
	char *p = test_path(dir, CACHE "/Stream_Autocomplete_1_Y.dat");
	unlink(p);
	free(p);

	/* A stream that is a symbolic link (it could point anywhere) is refused. */
	char *target = test_path(dir, "elsewhere.dat");
	assert_int_equal(test_write_file(target, g.d, g.len), 0);
	char *link = test_path(dir, CACHE "/Stream_Autocomplete_2_Z.dat");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(cpuu_autocomplete_handover(&ch, NULL, dir, "Outlook", &SRC), CPUU_EUNSUPPORTED);
	unlink(link);
	free(link);
	/* So is a linked Outlook folder (writing there would leave the user folder). */
	char *roam = test_path(dir, ROAM);
	char *moved = test_path(dir, "moved");
	assert_int_equal(rename(roam, moved), 0);
	assert_int_equal(symlink(moved, roam), 0);
	assert_int_equal(cpuu_autocomplete_handover(&ch, NULL, dir, "Outlook", &SRC), CPUU_EUNSUPPORTED);
	assert_int_equal(count_entries(dir, "moved"), 0);
	unlink(roam);
	assert_int_equal(rename(moved, roam), 0);
	free(roam);
	free(moved);
	free(target);

	/* Undo accepts only the files a hand-over makes. */
	cpuu_ac_file_change evil[] = { { CPUU_AC_FILE_CREATED, (char *)ROAM "/../../../../x", NULL } };
	cpuu_ac_changes e = { evil, 1 };
	assert_int_equal(cpuu_autocomplete_undo(dir, &e), CPUU_EINVALID);
	cpuu_ac_file_change evil2[] = { { CPUU_AC_FILE_CREATED, (char *)"NTUSER.DAT", NULL } };
	e.items = evil2;
	assert_int_equal(cpuu_autocomplete_undo(dir, &e), CPUU_EINVALID);
	free(g.d);
	free(bad_stream.d);
	test_tmpdir_remove(dir);
}

/* Injected failures at the write and rename steps leave the folder as it was. */
static void test_write_failures(void **state)
{
	(void)state;
	static const char *points[] = { "autocomplete:write:fail", "autocomplete:rename:fail" };
	for (size_t i = 0; i < 2; i++) {
		char *dir = user_folder();
		gen old, dat;
		g_stream(&old, 10, 1, 0, 0);
		g_stream(&dat, 12, 0, 0, 1);
		put(dir, ROAM "/Outlook.nk2", &old);
		put(dir, CACHE "/Stream_Autocomplete_0_X.dat", &dat);
		setenv("CPUU_FAULT", points[i], 1);
		cpuu_ac_changes ch;
		assert_int_equal(cpuu_autocomplete_handover(&ch, NULL, dir, "Outlook", &SRC), CPUU_EIO);
		unsetenv("CPUU_FAULT");
		assert_int_equal(ch.count, 0);
		assert_int_equal(count_entries(dir, ROAM), 1);
		size_t n = 0;
		uint8_t *d = get(dir, ROAM "/Outlook.nk2", &n);
		assert_int_equal(n, old.len);
		assert_memory_equal(d, old.d, n);
		free(d);
		free(old.d);
		free(dat.d);
		test_tmpdir_remove(dir);
	}
}

/* The folder swapped for a link to a folder outside between the checks
 * and the writes (the user owns their folder and can do it at any moment;
 * CPUU_FAULT=autocomplete:before-write:run makes the moment certain):
 * refused, and nothing outside the user folder is created, renamed or
 * changed (the file there keeps its bytes, inode and ctime). */
static void test_link_swapped_in(void **state)
{
	(void)state;
	static const char *swaps[] = { ROAM, "AppData/Roaming" };
	for (size_t i = 0; i < 2; i++) {
		char *dir = user_folder();
		char *outside = test_tmpdir("ac-outside");
		gen old, dat;
		g_stream(&old, 10, 1, 0, 0);
		g_stream(&dat, 12, 0, 0, 1);
		put(dir, ROAM "/Outlook.nk2", &old);
		put(dir, CACHE "/Stream_Autocomplete_0_X.dat", &dat);
		/* What the link leads to: the same names, a victim file included. */
		if (i)
			mkdirs(outside, "Microsoft/Outlook");
		put(outside, i ? "Microsoft/Outlook/Outlook.nk2" : "Outlook.nk2", &old);
		char *victim = test_path(outside, i ? "Microsoft/Outlook/Outlook.nk2" : "Outlook.nk2");
		struct stat before, after;
		assert_int_equal(lstat(victim, &before), 0);
		char cmd[4096];
		snprintf(cmd, sizeof cmd, "mv '%s/%s' '%s/%s.real' && ln -s '%s' '%s/%s'", dir, swaps[i], dir, swaps[i],
			 outside, dir, swaps[i]);
		setenv("CPUU_FAULT", "autocomplete:before-write:run", 1);
		setenv("CPUU_FAULT_RUN", cmd, 1);
		cpuu_ac_changes ch;
		int rc = cpuu_autocomplete_handover(&ch, NULL, dir, "Outlook", &SRC);
		unsetenv("CPUU_FAULT");
		unsetenv("CPUU_FAULT_RUN");
		assert_int_equal(rc, CPUU_EUNSUPPORTED);
		assert_non_null(strstr(cpuu_error_last()->message, "link"));
		assert_int_equal(ch.count, 0);
		/* Outside: only the victim, as it was. */
		assert_int_equal(count_entries(outside, i ? "Microsoft/Outlook" : "."), 1);
		assert_int_equal(lstat(victim, &after), 0);
		assert_true(before.st_ino == after.st_ino);
		assert_true(before.st_ctim.tv_sec == after.st_ctim.tv_sec &&
			    before.st_ctim.tv_nsec == after.st_ctim.tv_nsec);
		size_t n = 0;
		uint8_t *d = get(outside, i ? "Microsoft/Outlook/Outlook.nk2" : "Outlook.nk2", &n);
		assert_int_equal(n, old.len);
		assert_memory_equal(d, old.d, n);
		free(d);
		/* The user's own folder (moved aside by the swap) as it was too. */
		char real[512];
		snprintf(real, sizeof real, "%s.real%s", swaps[i], i ? "/Microsoft/Outlook" : "");
		assert_int_equal(count_entries(dir, real), 1);
		free(victim);
		free(old.d);
		free(dat.d);
		test_tmpdir_remove(outside);
		test_tmpdir_remove(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handover_and_undo),
		cmocka_unit_test(test_existing_nk2),
		cmocka_unit_test(test_second_run_refused),
		cmocka_unit_test(test_two_caches_merged),
		cmocka_unit_test(test_nothing_to_do),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_write_failures),
		cmocka_unit_test(test_link_swapped_in),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
