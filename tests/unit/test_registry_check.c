/* The structural check before any change, against a corpus of corrupt
 * hives generated here from a hive built by code: bit flips in key (nk),
 * subkey list (lf/lh) and value (vk) cells, cycles and shared subkeys in
 * the key tree, impossible cell sizes, truncation. For every mutant:
 *  - what hivex's own full walk (hivex_visit without HIVEX_VISIT_SKIP_BAD)
 *    rejects, cpuu refuses at open with CPUU_ECORRUPT;
 *  - a refused open changes no byte of the file;
 *  - what cpuu accepts, it updates and commits, and the committed file
 *    passes both hivex's walk and cpuu's check: no corrupt hive is ever
 *    written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpuu/registry.h"
#include "registry_fixture.h"
#include "testutil.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The header checksum, so a mutant is refused for its cells and not for a
 * stale checksum. */
static void fix_header(uint8_t *b)
{
	uint32_t x = 0;
	for (size_t i = 0; i < 508; i += 4)
		x ^= le32(b + i);
	put32(b + 508, x);
}

/* A hive with a little of everything: nested keys, a key with enough
 * subkeys for a long list, string, binary, dword and empty values. */
static void build_base(const char *path)
{
	cpuu_reg *reg = open_rw(path);
	char name[64];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof name, "Software\\Vendor%d\\Product\\Settings", i);
		cpuu_reg_key *k = NULL;
		assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, name), CPUU_OK);
		assert_int_equal(cpuu_reg_set_string(reg, k, "Name", "value of a string"), CPUU_OK);
		assert_int_equal(cpuu_reg_set_dword(reg, k, "Count", (uint32_t)i), CPUU_OK);
		uint8_t bin[200];
		memset(bin, i, sizeof bin);
		assert_int_equal(cpuu_reg_value_set(reg, k, "Blob", CPUU_REG_BINARY, bin, sizeof bin), CPUU_OK);
		assert_int_equal(cpuu_reg_value_set(reg, k, "Empty", CPUU_REG_BINARY, NULL, 0), CPUU_OK);
		cpuu_reg_key_free(k);
	}
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "Wide\\Child%02d", i);
		cpuu_reg_key *k = NULL;
		assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, name), CPUU_OK);
		assert_int_equal(cpuu_reg_set_dword(reg, k, "N", (uint32_t)i), CPUU_OK);
		cpuu_reg_key_free(k);
	}
	assert_int_equal(cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 }), CPUU_OK);
	cpuu_reg_free(reg);
}

/* hivex's verdict: 1 when it opens the file and walks it whole. */
static int hivex_accepts(const char *path)
{
	hive_h *h = hivex_open(path, 0);
	if (!h)
		return 0;
	struct hivex_visitor v;
	memset(&v, 0, sizeof v);
	int ok = hivex_visit(h, &v, sizeof v, NULL, 0) == 0;
	hivex_close(h);
	return ok;
}

typedef struct cell {
	size_t off;
	char kind[3];
} cell;

/* Allocated cells of the image, with their two-letter kind. */
static size_t cells_of(cell *out, size_t max, const uint8_t *b, size_t n)
{
	size_t count = 0, end = 0x1000 + le32(b + 40);
	for (size_t off = 0x1000; off + 32 <= end && off + 32 <= n && !memcmp(b + off, "hbin", 4);) {
		size_t bsize = le32(b + off + 8);
		for (size_t c = off + 32; c + 8 <= off + bsize;) {
			int32_t raw = (int32_t)le32(b + c);
			size_t len = (size_t)(raw < 0 ? -(int64_t)raw : raw);
			if (len < 8)
				break;
			if (raw < 0 && count < max) {
				out[count].off = c;
				out[count].kind[0] = (char)b[c + 4];
				out[count].kind[1] = (char)b[c + 5];
				out[count].kind[2] = '\0';
				count++;
			}
			c += len;
		}
		off += bsize;
	}
	return count;
}

typedef struct tally {
	int mutants, hivex_rejects, cpuu_rejects, committed;
} tally;

/* One mutant through every assertion of the file comment. */
static void try_mutant(const fx *f, const uint8_t *img, size_t n, const char *what, tally *t)
{
	char *p = test_path(f->dir, "mutant.dat");
	unlink(p);
	assert_int_equal(test_write_file(p, img, n), 0);
	t->mutants++;
	int hx_ok = hivex_accepts(p);
	cpuu_reg *reg = NULL;
	int rc = cpuu_reg_open_hive(&reg, p, CPUU_REG_OPEN_WRITE);
	if (!hx_ok) {
		t->hivex_rejects++;
		if (rc == CPUU_OK)
			fail_msg("%s: hivex's walk rejects it, cpuu opened it for writing", what);
	}
	if (rc != CPUU_OK) {
		t->cpuu_rejects++;
		assert_null(reg);
		size_t m = 0;
		uint8_t *after = test_read_file(p, &m);
		if (m != n || memcmp(after, img, n))
			fail_msg("%s: refused (%s) but the file changed", what, cpuu_error_last()->message);
		free(after);
		free(p);
		return;
	}
	/* Accepted: an ordinary update must leave a sound hive behind. */
	cpuu_reg_key *k = NULL;
	if (cpuu_reg_key_create(&k, reg, NULL, "Software\\Vendor0\\Product\\Settings") == CPUU_OK &&
	    cpuu_reg_set_string(reg, k, "Name", "switched") == CPUU_OK &&
	    cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 }) == CPUU_OK)
		t->committed++;
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	if (!hivex_accepts(p))
		fail_msg("%s: accepted, and the file left behind fails hivex's walk", what);
	cpuu_reg *again = NULL;
	if (cpuu_reg_open_hive(&again, p, 0) != CPUU_OK)
		fail_msg("%s: accepted, and the file left behind fails cpuu's check: %s", what,
			 cpuu_error_last()->message);
	cpuu_reg_free(again);
	free(p);
}

static void test_bit_flip_corpus(void **state)
{
	fx *f = *state;
	build_base(f->hive);
	size_t n;
	uint8_t *base = test_read_file(f->hive, &n);
	cell cells[4096];
	size_t nc = cells_of(cells, 4096, base, n);
	assert_true(nc > 50);
	uint8_t *img = malloc(n);
	tally t = { 0 };
	srand(16);
	const char *kinds[] = { "nk", "lf", "lh", "vk" };
	for (int i = 0; i < 600; i++) {
		const char *kind = kinds[i % 4];
		size_t pick = 0, seen = 0;
		for (size_t c = 0; c < nc; c++)
			if (!strcmp(cells[c].kind, kind) && rand() % ++seen == 0)
				pick = c + 1;
		if (!pick)
			continue;
		size_t off = cells[pick - 1].off;
		size_t len = (size_t)(-(int32_t)le32(base + off));
		memcpy(img, base, n);
		/* Mostly the header fields, where the references live. */
		size_t at = off + (size_t)rand() % (len < 0x58 ? len : (rand() % 3 ? 0x58 : len));
		img[at] ^= (uint8_t)(1u << (rand() % 8));
		char what[96];
		snprintf(what, sizeof what, "bit flip in %s cell 0x%zx at 0x%zx", kind, off, at);
		try_mutant(f, img, n, what, &t);
	}
	print_message("bit flips: %d mutants, hivex rejects %d, cpuu refuses %d, %d committed soundly\n", t.mutants,
		      t.hivex_rejects, t.cpuu_rejects, t.committed);
	assert_true(t.hivex_rejects > 20); /* the corpus does hit what hivex rejects */
	assert_true(t.committed > 20);     /* and leaves harmless flips to update */
	free(img);
	free(base);
}

/* A subkey list entry pointed at an ancestor (a cycle) or at a key that
 * already has a parent (shared): refused at once, with bounded work. */
static void test_cycles_refused(void **state)
{
	fx *f = *state;
	build_base(f->hive);
	size_t n;
	uint8_t *base = test_read_file(f->hive, &n);
	cell cells[4096];
	size_t nc = cells_of(cells, 4096, base, n);
	uint8_t *img = malloc(n);
	uint32_t root = le32(base + 36);
	tally t = { 0 };
	int cycles = 0;
	for (size_t c = 0; c < nc; c++) {
		if (strcmp(cells[c].kind, "lf") && strcmp(cells[c].kind, "lh"))
			continue;
		size_t off = cells[c].off, count = base[off + 6] | base[off + 7] << 8;
		for (size_t e = 0; e < count && e < 3; e++) {
			/* to the root: a cycle through every ancestor */
			memcpy(img, base, n);
			put32(img + off + 8 + e * 8, root);
			try_mutant(f, img, n, "subkey list entry -> root", &t);
			assert_int_equal(cpuu_error_last()->code, CPUU_ECORRUPT);
			assert_non_null(strstr(cpuu_error_last()->message, "reached twice"));
			cycles++;
			/* to a sibling: that key is reached twice */
			if (count > 1) {
				memcpy(img, base, n);
				put32(img + off + 8 + e * 8, le32(base + off + 8 + ((e + 1) % count) * 8));
				try_mutant(f, img, n, "subkey list entry -> sibling", &t);
				assert_int_equal(cpuu_error_last()->code, CPUU_ECORRUPT);
			}
		}
	}
	assert_true(cycles > 5);
	/* the command line refuses it with exit 5 (CORRUPT), changing nothing */
	memcpy(img, base, n);
	for (size_t c = 0; c < nc; c++)
		if (!strcmp(cells[c].kind, "lh") || !strcmp(cells[c].kind, "lf")) {
			put32(img + cells[c].off + 8, root);
			break;
		}
	char *p = test_path(f->dir, "cycle.dat");
	assert_int_equal(test_write_file(p, img, n), 0);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s/cpuu' inspect --hive '%s' >/dev/null 2>&1", CPUU_BINARY_DIR, p);
	int st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 5);
	size_t m;
	uint8_t *after = test_read_file(p, &m);
	assert_int_equal(m, n);
	assert_memory_equal(after, img, n);
	free(after);
	free(p);
	assert_int_equal(t.committed, 0);
	assert_int_equal(t.cpuu_rejects, t.mutants);
	free(img);
	free(base);
}

/* A key chain deeper than Windows' 512 levels is refused (and walked
 * without recursion). */
static void test_deep_tree_refused(void **state)
{
	fx *f = *state;
	cpuu_reg *reg = open_rw(f->hive);
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_root(&k, reg), CPUU_OK);
	for (int i = 0; i < 520; i++) {
		cpuu_reg_key *child = NULL;
		assert_int_equal(cpuu_reg_key_create(&child, reg, k, "d"), CPUU_OK);
		cpuu_reg_key_free(k);
		k = child;
	}
	cpuu_reg_key_free(k);
	assert_int_equal(cpuu_reg_commit(reg, &(cpuu_reg_commit_opts){ .no_backup = 1 }), CPUU_OK);
	cpuu_reg_free(reg);
	reg = NULL;
	assert_int_equal(cpuu_reg_open_hive(&reg, f->hive, 0), CPUU_ECORRUPT);
	assert_non_null(strstr(cpuu_error_last()->message, "512"));
}

/* Impossible cell sizes and truncation, over every cell of some kinds. */
static void test_cell_sizes_and_truncation(void **state)
{
	fx *f = *state;
	build_base(f->hive);
	size_t n;
	uint8_t *base = test_read_file(f->hive, &n);
	cell cells[4096];
	size_t nc = cells_of(cells, 4096, base, n);
	uint8_t *img = malloc(n);
	tally t = { 0 };
	for (size_t c = 0; c < nc; c += 3) {
		size_t off = cells[c].off;
		int32_t raw = (int32_t)le32(base + off);
		const int32_t bad[] = { raw + 2, -2, raw - 0x100000, 0 };
		for (size_t i = 0; i < 4; i++) {
			memcpy(img, base, n);
			put32(img + off, (uint32_t)bad[i]);
			char what[64];
			snprintf(what, sizeof what, "cell 0x%zx size %d", off, bad[i]);
			try_mutant(f, img, n, what, &t);
			if (i != 0) /* a size of 2, 0 or beyond the bin is always refused */
				assert_int_equal(cpuu_error_last()->code, CPUU_ECORRUPT);
		}
	}
	/* truncated files, the header left as it was, or claiming the new size */
	for (size_t cut = 4096 + 512; cut < n; cut += 1536) {
		memcpy(img, base, n);
		try_mutant(f, img, cut, "truncated", &t);
		assert_int_equal(cpuu_error_last()->code, CPUU_ECORRUPT);
		if ((cut & 4095) == 0) {
			put32(img + 40, (uint32_t)(cut - 4096));
			fix_header(img);
			try_mutant(f, img, cut, "truncated, header adjusted", &t);
		}
	}
	print_message("sizes and truncation: %d mutants, hivex rejects %d, cpuu refuses %d\n", t.mutants,
		      t.hivex_rejects, t.cpuu_rejects);
	free(img);
	free(base);
}

/* Real hives of the shared corpus pass the check unchanged. */
static void test_real_hives_pass(void **state)
{
	(void)state;
	const char *names[] = { "win81-NTUSER.DAT", "plaso-win7-NTUSER.DAT" };
	int tried = 0;
	for (size_t i = 0; i < 2; i++) {
		char *p = test_real_hive(names[i]);
		if (!p)
			continue;
		cpuu_reg *reg = NULL;
		if (cpuu_reg_open_hive(&reg, p, 0) != CPUU_OK)
			fail_msg("%s: %s", names[i], cpuu_error_last()->message);
		cpuu_reg_free(reg);
		assert_true(hivex_accepts(p));
		tried++;
		free(p);
	}
	if (!tried)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bit_flip_corpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycles_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_tree_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cell_sizes_and_truncation, setup, teardown),
		cmocka_unit_test(test_real_hives_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
