/* The autocomplete stream: parser/writer round trips on streams generated
 * here from the documented layout (Microsoft's "Autocomplete Stream" page,
 * docs/autocomplete.md), never by the module's own writer; strict refusal of
 * bad input; the rewrite of rows that point at switched recipients. */
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

#include "cpuu/autocomplete.h"
#include "cpuu/unicode.h"
#include "testutil.h"

#define CPUU_FUZZ_ENTRY fuzz_autocomplete_one
#include "../../fuzz/fuzz_autocomplete.c"
#undef CPUU_FUZZ_ENTRY

/* --- generator ----------------------------------------------------------- */

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
	if (n)
		memcpy(g->d + g->len, p, n);
	g->len += n;
}

static void g_u32(gen *g, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	g_bytes(g, b, 4);
}

/* tag, reserved, 8-byte union. Reserved words and unions of dynamic values
 * get "remnant" bytes, as real files have, to prove they are kept. */
static void g_head(gen *g, uint32_t tag, uint32_t reserved, uint64_t un)
{
	g_u32(g, tag);
	g_u32(g, reserved);
	g_u32(g, (uint32_t)un);
	g_u32(g, (uint32_t)(un >> 32));
}

static void g_counted(gen *g, uint32_t tag, const void *p, size_t n)
{
	g_head(g, tag, 0x00C0FFEEu, 0x0102030405060708ull ^ tag);
	g_u32(g, (uint32_t)n);
	g_bytes(g, p, n);
}

static void g_utf16(gen *g, uint32_t tag, const char *utf8)
{
	uint8_t *w = NULL;
	size_t n = 0;
	assert_int_equal(cpuu_utf8_to_utf16le(&w, &n, utf8, 1), 0);
	g_counted(g, tag, w, n);
	cpuu_free(w);
}

static void g_str8(gen *g, uint32_t tag, const char *s)
{
	g_counted(g, tag, s, strlen(s) + 1);
}

static void g_header(gen *g, uint32_t major, uint32_t minor, uint32_t rows)
{
	g_u32(g, 0xBAADF00Du);
	g_u32(g, major);
	g_u32(g, minor);
	g_u32(g, rows);
}

static const uint8_t FILETIME[8] = { 0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0xd8, 0x01 };

static void g_footer(gen *g, const void *ei, uint32_t ei_len)
{
	g_u32(g, ei_len);
	g_bytes(g, ei, ei_len);
	g_bytes(g, FILETIME, 8);
}

static const uint8_t EMSAB[16] = { 0xdc, 0xa7, 0x40, 0xc8, 0xc0, 0x42, 0x10, 0x1a,
				   0xb4, 0xb9, 0x08, 0x00, 0x2b, 0x2f, 0xe1, 0x82 };

/* MS-OXCDATA 2.2.5.2: flags, muidEMSAB, version 1, type 0, DN, NUL. */
static void g_ab_eid(gen *g, uint32_t tag, const char *dn)
{
	gen e = { 0 };
	g_u32(&e, 0);
	g_bytes(&e, EMSAB, 16);
	g_u32(&e, 1);
	g_u32(&e, 0);
	g_bytes(&e, dn, strlen(dn) + 1);
	g_counted(g, tag, e.d, e.len);
	free(e.d);
}

static void g_search_key(gen *g, const char *type, const char *addr)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s:%s", type, addr);
	for (char *c = buf; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 32);
	g_counted(g, 0x300B0102u, buf, strlen(buf) + 1);
}

#define SRC_ORG "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
#define TGT_ORG "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

/* An EX row as Outlook writes it (outlook-profile.md §5): 14 properties. */
static void g_ex_row(gen *g, const char *name, const char *dn, const char *smtp, uint32_t weight)
{
	char dd[600];
	g_u32(g, 14);
	g_utf16(g, 0x6001001Fu, smtp);                  /* PR_NICK_NAME_W first */
	g_utf16(g, 0x3001001Fu, name);                  /* PR_DISPLAY_NAME_W */
	g_utf16(g, 0x3002001Fu, "EX");
	g_utf16(g, 0x3003001Fu, dn);
	g_ab_eid(g, 0x0FFF0102u, dn);
	g_ab_eid(g, 0x5FF70102u, dn);
	g_search_key(g, "EX", dn);
	g_utf16(g, 0x39FE001Fu, smtp);
	snprintf(dd, sizeof dd, "%s <%s>", name, smtp);
	g_utf16(g, 0x6003001Fu, dd);                    /* drop-down string */
	g_utf16(g, 0x5FF6001Fu, name);
	g_head(g, 0x60040003u, 0, weight);              /* PR_NICK_NAME_WEIGHT */
	g_head(g, 0x6002000Bu, 0, 1);                   /* boolean, static */
	uint8_t zero[16] = { 0 };
	g_counted(g, 0x3D010102u, zero, 16);
	g_head(g, 0x5FDE0003u, 0xDEADBEEFu, 0x1234);    /* unknown long */
}

static void g_smtp_row(gen *g, const char *smtp, uint32_t weight)
{
	g_u32(g, 7);
	g_utf16(g, 0x6001001Fu, smtp);
	g_utf16(g, 0x3001001Fu, smtp);
	g_utf16(g, 0x3002001Fu, "SMTP");
	g_utf16(g, 0x3003001Fu, smtp);
	g_search_key(g, "SMTP", smtp);
	g_utf16(g, 0x39FE001Fu, smtp);
	g_head(g, 0x60040003u, 0, weight);
}

static cpuu_autocomplete *parse_ok(const gen *g)
{
	cpuu_autocomplete *ac = NULL;
	int rc = cpuu_autocomplete_parse(&ac, g->d, g->len);
	if (rc != CPUU_OK)
		fail_msg("parse: %s", cpuu_error_last()->message);
	return ac;
}

static void assert_roundtrip(const gen *g)
{
	cpuu_autocomplete *ac = parse_ok(g);
	uint8_t *out = NULL;
	size_t n = 0;
	assert_int_equal(cpuu_autocomplete_write(&out, &n, ac), 0);
	assert_int_equal(n, g->len);
	assert_memory_equal(out, g->d, n);
	assert_int_equal(fuzz_autocomplete_one(g->d, g->len), 0);
	free(out);
	cpuu_autocomplete_free(ac);
}

/* --- round trips ----------------------------------------------------------- */

static void test_empty_caches(void **state)
{
	(void)state;
	gen g = { 0 };
	g_header(&g, 12, 0, 0);
	g_footer(&g, NULL, 0);
	assert_int_equal(g.len, 28);
	cpuu_autocomplete *ac = parse_ok(&g);
	assert_int_equal(ac->major, 12);
	assert_int_equal(ac->minor, 0);
	assert_int_equal(ac->row_count, 0);
	assert_memory_equal(ac->filetime, FILETIME, 8);
	cpuu_autocomplete_free(ac);
	assert_roundtrip(&g);
	free(g.d);

	gen h = { 0 };
	g_header(&h, 10, 1, 0);
	g_footer(&h, NULL, 0);
	assert_roundtrip(&h);
	free(h.d);
}

static void test_realistic_rows(void **state)
{
	(void)state;
	gen g = { 0 };
	g_header(&g, 12, 0, 4);
	g_ex_row(&g, "Alice Example", SRC_ORG "alice", "alice@source.example", 0x6000);
	g_smtp_row(&g, "bob@partner.example", 0x4000);
	/* Unicode names: Latin-1, Greek, CJK and a character outside the BMP. */
	g_ex_row(&g, "Zo\xc3\xab \xc3\x98rsted \xce\xa9 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80",
		 SRC_ORG "zoe", "zoe@source.example", 0x2000);
	g_smtp_row(&g, "carol@partner.example", 1);
	g_footer(&g, NULL, 0);
	cpuu_autocomplete *ac = parse_ok(&g);
	assert_int_equal(ac->row_count, 4);
	assert_int_equal(ac->rows[0].count, 14);
	assert_int_equal(ac->rows[0].props[0].tag, 0x6001001Fu);
	assert_int_equal(ac->rows[0].props[0].reserved, 0x00C0FFEEu);
	char *s = NULL;
	assert_int_equal(cpuu_ac_prop_string(&s, cpuu_ac_row_find(&ac->rows[2], 0x3001001Fu)), 0);
	assert_string_equal(s, "Zo\xc3\xab \xc3\x98rsted \xce\xa9 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80");
	cpuu_free(s);
	const cpuu_ac_prop *w = cpuu_ac_row_find(&ac->rows[1], 0x60040003u);
	assert_non_null(w);
	assert_null(w->data);
	assert_int_equal(w->value[1], 0x40);
	cpuu_autocomplete_free(ac);
	assert_roundtrip(&g);
	free(g.d);
}

/* Every static type, every dynamic one, counted MV values, a duplicated
 * property, extra info (minor 1) and slack after the FILETIME. */
static void test_every_type_and_odd_parts(void **state)
{
	(void)state;
	static const uint32_t statics[] = { 0x00010001u, 0x00020002u, 0x00030003u, 0x00040004u, 0x00050005u,
					    0x00060006u, 0x00070007u, 0x0008000Au, 0x0009000Bu, 0x000A0014u,
					    0x000B0040u };
	gen g = { 0 };
	g_header(&g, 10, 1, 2);
	g_u32(&g, 11 + 9);
	for (size_t i = 0; i < 11; i++)
		g_head(&g, statics[i], (uint32_t)i * 7, 0x8877665544332211ull + i);
	g_utf16(&g, 0x6001001Fu, "dup");
	g_utf16(&g, 0x6001001Fu, "dup again"); /* seen twice in one real row */
	g_str8(&g, 0x3001001Eu, "8-bit \xe9t\xe9");
	g_counted(&g, 0x0FF90102u, "\x01\x02\x03", 3);
	g_counted(&g, 0x0FFE0102u, "", 0); /* empty binary */
	g_head(&g, 0x00200048u, 0, 0);
	g_bytes(&g, "0123456789abcdef", 16); /* PT_CLSID: 16 bytes, no count */
	g_head(&g, 0x00211102u, 0, 0);         /* PT_MV_BINARY: count + counted */
	g_u32(&g, 2);
	g_u32(&g, 2);
	g_bytes(&g, "\xAA\xBB", 2);
	g_u32(&g, 0);
	g_head(&g, 0x0022101Eu, 0, 0); /* PT_MV_STRING8 */
	g_u32(&g, 1);
	g_u32(&g, 3);
	g_bytes(&g, "ab\0", 3);
	g_head(&g, 0x0023101Fu, 0, 0); /* PT_MV_UNICODE */
	g_u32(&g, 2);
	g_u32(&g, 4);
	g_bytes(&g, "x\0\0\0", 4);
	g_u32(&g, 2);
	g_bytes(&g, "\0\0", 2);
	g_u32(&g, 0); /* a row with no properties */
	g_footer(&g, "\x01\x02\x03\x04\x05", 5);
	static const uint8_t slack[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
	g_bytes(&g, slack, 20);
	cpuu_autocomplete *ac = parse_ok(&g);
	assert_int_equal(ac->row_count, 2);
	assert_int_equal(ac->rows[0].count, 20);
	assert_int_equal(ac->rows[1].count, 0);
	assert_int_equal(ac->extra_len, 5);
	assert_int_equal(ac->trailing_len, 20);
	assert_int_equal(ac->flags, 0);
	assert_int_equal(ac->rows[0].props[15].data_len, 4);         /* empty binary */
	assert_int_equal(ac->rows[0].props[16].data_len, 16);        /* CLSID */
	assert_int_equal(ac->rows[0].props[17].data_len, 4 + 6 + 4); /* MV binary */
	cpuu_autocomplete_free(ac);
	assert_roundtrip(&g);
	free(g.d);
}

/* MFCMAPI reads MV strings as bare NUL-terminated strings: such a stream is
 * accepted too (flagged) and still written back byte for byte. */
static void test_mv_strings_bare(void **state)
{
	(void)state;
	gen g = { 0 };
	g_header(&g, 12, 0, 1);
	g_u32(&g, 2);
	g_head(&g, 0x0022101Fu, 0, 0);
	g_u32(&g, 2);
	g_bytes(&g, "a\0b\0\0\0", 6);
	g_bytes(&g, "\0\0", 2);
	g_head(&g, 0x0023101Eu, 0, 0);
	g_u32(&g, 1);
	g_bytes(&g, "xyz\0", 4);
	g_footer(&g, NULL, 0);
	cpuu_autocomplete *ac = parse_ok(&g);
	assert_int_equal(ac->flags, CPUU_AC_MV_BARE);
	cpuu_autocomplete_free(ac);
	assert_roundtrip(&g);
	free(g.d);
}

static void test_large_cache(void **state)
{
	(void)state;
	gen g = { 0 };
	g_header(&g, 12, 0, 20000);
	for (unsigned i = 0; i < 20000; i++) {
		char smtp[64], dn[200], name[64];
		snprintf(smtp, sizeof smtp, "user%05u@source.example", i);
		snprintf(dn, sizeof dn, SRC_ORG "user%05u", i);
		snprintf(name, sizeof name, "User %05u", i);
		if (i % 3)
			g_ex_row(&g, name, dn, smtp, 20000 - i);
		else
			g_smtp_row(&g, smtp, 20000 - i);
	}
	g_footer(&g, NULL, 0);
	cpuu_autocomplete *ac = parse_ok(&g);
	assert_int_equal(ac->row_count, 20000);
	cpuu_autocomplete_free(ac);
	assert_roundtrip(&g);
	free(g.d);
}

/* --- bad input --------------------------------------------------------------- */

static void expect_error(const gen *g, size_t len, int code, const char *needle)
{
	cpuu_autocomplete *ac = (cpuu_autocomplete *)&ac; /* must be reset */
	/* An exact-size copy, so ASan sees any read past the end. */
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, g->d, len);
	int rc = cpuu_autocomplete_parse(&ac, copy, len);
	free(copy);
	if (rc != code)
		fail_msg("length %zu: got %d (%s), want %d", len, rc, cpuu_error_last()->message, code);
	assert_null(ac);
	if (needle && !strstr(cpuu_error_last()->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", cpuu_error_last()->message, needle);
}

static void small_stream(gen *g)
{
	g_header(g, 12, 0, 2);
	g_ex_row(g, "Alice", SRC_ORG "alice", "alice@source.example", 9);
	g_smtp_row(g, "bob@partner.example", 5);
	g_footer(g, NULL, 0);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	gen g = { 0 };
	small_stream(&g);
	for (size_t n = 0; n < g.len; n++)
		expect_error(&g, n, CPUU_EINVALID, NULL);
	expect_error(&g, 40, CPUU_EINVALID, "row 0");
	free(g.d);
}

static void test_bad_magic_and_counts(void **state)
{
	(void)state;
	gen g = { 0 };
	small_stream(&g);
	g.d[0] ^= 1;
	expect_error(&g, g.len, CPUU_EINVALID, "bad magic");
	g.d[0] ^= 1;

	g.d[12] = 3; /* one row more than there is */
	expect_error(&g, g.len, CPUU_EINVALID, NULL);
	g.d[12] = 1; /* one row less: the second row cannot pass as the footer */
	expect_error(&g, g.len, CPUU_EINVALID, "extra-info");
	g.d[12] = 0xff;
	g.d[15] = 0xff; /* absurd: refused before allocating */
	expect_error(&g, g.len, CPUU_EINVALID, "cannot fit");
	g.d[12] = 2;
	g.d[15] = 0;

	g.d[16] = 15; /* row 0 claims one property more */
	expect_error(&g, g.len, CPUU_EINVALID, NULL);
	g.d[16] = 14;

	/* Row 0, property 0: its byte count (offset 20 + 16) past the end. */
	uint8_t save[4];
	memcpy(save, g.d + 36, 4);
	memset(g.d + 36, 0xff, 4);
	expect_error(&g, g.len, CPUU_EINVALID, "row 0, property 0 (tag 0x6001001F) at offset 20");
	g.d[36] = 3; g.d[37] = g.d[38] = g.d[39] = 0; /* odd UTF-16 length */
	expect_error(&g, g.len, CPUU_EINVALID, "odd UTF-16");
	memcpy(g.d + 36, save, 4);

	/* An undocumented type (PT_OBJECT) cannot be skipped. */
	g.d[20] = 0x0D;
	g.d[21] = 0x00;
	expect_error(&g, g.len, CPUU_EUNSUPPORTED, "0x000D");
	g.d[20] = 0x1F;

	/* The untouched stream still parses (the edits above were undone). */
	cpuu_autocomplete *ac = parse_ok(&g);
	cpuu_autocomplete_free(ac);
	free(g.d);
}

/* Every single-byte change of a small stream: no crash, and whatever parses
 * writes back byte for byte (the fuzz harness's invariants). */
static void test_corruptions(void **state)
{
	(void)state;
	gen g = { 0 };
	small_stream(&g);
	static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	for (size_t i = 0; i < g.len; i++) {
		uint8_t old = g.d[i];
		for (size_t k = 0; k < sizeof vals; k++) {
			g.d[i] = vals[k];
			uint8_t *copy = malloc(g.len);
			memcpy(copy, g.d, g.len);
			assert_int_equal(fuzz_autocomplete_one(copy, g.len), 0);
			free(copy);
		}
		g.d[i] = old;
	}
	free(g.d);
}

/* --- rewrite ----------------------------------------------------------------- */

typedef struct entry {
	cpuu_match m;
	const char *x500;
	int ambiguous;
	int fail;
} entry;

typedef struct table {
	entry *e;
	size_t n;
	size_t calls;
} table;

static int key_is(const entry *e, const char *key)
{
	return (e->m.source_legacy_dn && !strcasecmp(e->m.source_legacy_dn, key)) ||
	       (e->m.source_smtp && !strcasecmp(e->m.source_smtp, key)) || (e->x500 && !strcasecmp(e->x500, key));
}

/* The lookup contract of cpuu_match_source over a small table. */
static int table_lookup(void *ctx, const cpuu_match **match, cpuu_lookup_status *status, const char *key)
{
	table *t = ctx;
	t->calls++;
	*match = NULL;
	*status = CPUU_LOOKUP_NO_SOURCE;
	for (size_t i = 0; i < t->n; i++) {
		if (!key_is(&t->e[i], key))
			continue;
		if (t->e[i].fail)
			return CPUU_ENETWORK;
		if (t->e[i].ambiguous) {
			*status = CPUU_LOOKUP_AMBIGUOUS;
			return CPUU_OK;
		}
		*match = &t->e[i].m;
		*status = t->e[i].m.target_legacy_dn || t->e[i].m.target_smtp ? CPUU_LOOKUP_FOUND
									      : CPUU_LOOKUP_NO_TARGET;
		return CPUU_OK;
	}
	return CPUU_OK;
}

static entry E(const char *sdn, const char *ssmtp, const char *tdn, const char *tsmtp, int switched)
{
	entry e;
	memset(&e, 0, sizeof e);
	e.m.source_legacy_dn = (char *)sdn;
	e.m.source_smtp = (char *)ssmtp;
	e.m.target_legacy_dn = (char *)tdn;
	e.m.target_smtp = (char *)tsmtp;
	e.m.switched = switched;
	return e;
}

static uint8_t *rewrite_bytes(size_t *n, cpuu_ac_stats *st, const gen *g, table *t, int expect_rc)
{
	cpuu_autocomplete *ac = parse_ok(g);
	cpuu_match_source src = { table_lookup, t };
	int rc = cpuu_autocomplete_rewrite(st, ac, &src);
	if (rc != expect_rc)
		fail_msg("rewrite: %d %s", rc, cpuu_error_last()->message);
	uint8_t *out = NULL;
	assert_int_equal(cpuu_autocomplete_write(&out, n, ac), 0);
	cpuu_autocomplete_free(ac);
	return out;
}

static void test_rewrite_cases(void **state)
{
	(void)state;
	entry tab[] = {
		E(SRC_ORG "alice", "alice@source.example", TGT_ORG "alice", "alice@target.example", 1),
		E(SRC_ORG "dave", "dave@source.example", TGT_ORG "dave", "dave@target.example", 0),
		E(NULL, "erin@source.example", NULL, "erin@target.example", 1),
		E(SRC_ORG "frank", "frank@source.example", TGT_ORG "frank", "frank@target.example", 1),
		E(SRC_ORG "gina", "gina@source.example", NULL, "gina@target.example", 1),
	};
	tab[3].ambiguous = 1;
	tab[0].x500 = "/o=Older/ou=First Administrative Group/cn=Recipients/cn=alice";
	table t = { tab, sizeof tab / sizeof *tab, 0 };

	gen in = { 0 }, want = { 0 };
	g_header(&in, 12, 0, 7);
	g_header(&want, 12, 0, 7);
	/* 0: switched EX row -> every identity property at the target. */
	g_ex_row(&in, "Alice Example", SRC_ORG "alice", "alice@source.example", 70);
	g_ex_row(&want, "Alice Example", TGT_ORG "alice", "alice@target.example", 70);
	/* 1: source known, not switched -> kept. */
	g_ex_row(&in, "Dave", SRC_ORG "dave", "dave@source.example", 60);
	g_ex_row(&want, "Dave", SRC_ORG "dave", "dave@source.example", 60);
	/* 2: SMTP-only row of a switched mailbox -> target SMTP. */
	g_smtp_row(&in, "erin@source.example", 50);
	g_smtp_row(&want, "erin@target.example", 50);
	/* 3: ambiguous -> kept. */
	g_ex_row(&in, "Frank", SRC_ORG "frank", "frank@source.example", 40);
	g_ex_row(&want, "Frank", SRC_ORG "frank", "frank@source.example", 40);
	/* 4: external -> kept. */
	g_smtp_row(&in, "bob@partner.example", 30);
	g_smtp_row(&want, "bob@partner.example", 30);
	/* 5: EX row whose target has no legacyDN -> kept (unmatched). */
	g_ex_row(&in, "Gina", SRC_ORG "gina", "gina@source.example", 20);
	g_ex_row(&want, "Gina", SRC_ORG "gina", "gina@source.example", 20);
	/* 6: EX row known by an older X500 DN, with unknown properties around. */
	const char *old = "/o=Older/ou=First Administrative Group/cn=Recipients/cn=alice";
	gen *gs[2] = { &in, &want };
	for (int k = 0; k < 2; k++) {
		gen *g = gs[k];
		g_u32(g, 7);
		g_utf16(g, 0x6001001Fu, "Alice (old)");
		g_head(g, 0x7FFF0003u, 1, 2);
		g_utf16(g, 0x3002001Fu, "EX");
		g_utf16(g, 0x3003001Fu, k ? TGT_ORG "alice" : old);
		g_counted(g, 0x7FFE0102u, "\x00\x01\x02", 3);
		g_ab_eid(g, 0x0FFF0102u, k ? TGT_ORG "alice" : old);
		g_head(g, 0x60040003u, 0, 10);
	}
	g_footer(&in, NULL, 0);
	g_footer(&want, NULL, 0);

	cpuu_ac_stats st;
	size_t n = 0;
	uint8_t *out = rewrite_bytes(&n, &st, &in, &t, CPUU_OK);
	assert_int_equal(n, want.len);
	assert_memory_equal(out, want.d, n);
	assert_int_equal(st.rows, 7);
	assert_int_equal(st.rewritten, 3);
	assert_int_equal(st.not_switched, 1);
	assert_int_equal(st.ambiguous, 1);
	assert_int_equal(st.unmatched, 2); /* partner (no source), gina (no target DN) */
	assert_int_equal(st.unchanged, 0);
	free(out);

	/* Idempotent: the result has nothing left to rewrite. */
	out = rewrite_bytes(&n, &st, &want, &t, CPUU_OK);
	assert_memory_equal(out, want.d, n);
	assert_int_equal(st.rewritten, 0);
	free(out);

	/* A failing lookup changes nothing. */
	tab[4].fail = 1;
	cpuu_autocomplete *ac = parse_ok(&in);
	cpuu_match_source src = { table_lookup, &t };
	assert_int_equal(cpuu_autocomplete_rewrite(&st, ac, &src), CPUU_ENETWORK);
	assert_non_null(strstr(cpuu_error_last()->message, "row 5"));
	assert_int_equal(cpuu_autocomplete_write(&out, &n, ac), 0);
	assert_int_equal(n, in.len);
	assert_memory_equal(out, in.d, n);
	free(out);
	cpuu_autocomplete_free(ac);
	free(in.d);
	free(want.d);
}

/* An EX row whose DN the directory does not know is not rewritten on the
 * strength of its SMTP address alone (half a rewrite is worse). */
static void test_rewrite_unknown_dn(void **state)
{
	(void)state;
	entry tab[] = { E(SRC_ORG "alice", "alice@source.example", TGT_ORG "alice", "alice@target.example", 1) };
	table t = { tab, 1, 0 };
	gen g = { 0 };
	g_header(&g, 12, 0, 1);
	g_ex_row(&g, "Alice", "/o=Unknown/ou=x/cn=Recipients/cn=alice", "alice@source.example", 5);
	g_footer(&g, NULL, 0);
	cpuu_ac_stats st;
	size_t n = 0;
	uint8_t *out = rewrite_bytes(&n, &st, &g, &t, CPUU_OK);
	assert_int_equal(n, g.len);
	assert_memory_equal(out, g.d, n);
	assert_int_equal(st.unmatched, 1);
	assert_int_equal(t.calls, 2);
	free(out);
	free(g.d);
}

/* 8-bit (PT_STRING8) identity properties are rewritten in Windows-1252; a
 * target they cannot hold leaves the row as it was. */
static void test_rewrite_8bit(void **state)
{
	(void)state;
	entry tab[] = {
		E(SRC_ORG "hans", "hans@source.example", TGT_ORG "h\xc3\xa4ns", "hans@target.example", 1),
		E(SRC_ORG "omega", "omega@source.example", TGT_ORG "\xce\xa9", "omega@target.example", 1),
	};
	table t = { tab, 2, 0 };
	gen in = { 0 }, want = { 0 };
	g_header(&in, 10, 1, 2);
	g_header(&want, 10, 1, 2);
	gen *gs[2] = { &in, &want };
	for (int k = 0; k < 2; k++) {
		g_u32(gs[k], 3);
		g_str8(gs[k], 0x6001001Eu, "Hans");
		g_str8(gs[k], 0x3002001Eu, "EX");
		g_str8(gs[k], 0x3003001Eu, k ? TGT_ORG "h\xe4ns" : SRC_ORG "hans");
		g_u32(gs[k], 3);
		g_str8(gs[k], 0x6001001Eu, "Omega");
		g_str8(gs[k], 0x3002001Eu, "EX");
		g_str8(gs[k], 0x3003001Eu, SRC_ORG "omega");
	}
	g_footer(&in, NULL, 0);
	g_footer(&want, NULL, 0);
	cpuu_ac_stats st;
	size_t n = 0;
	uint8_t *out = rewrite_bytes(&n, &st, &in, &t, CPUU_OK);
	assert_int_equal(n, want.len);
	assert_memory_equal(out, want.d, n);
	assert_int_equal(st.rewritten, 1);
	assert_int_equal(st.unmatched, 1);
	free(out);
	free(in.d);
	free(want.d);
}

/* Rows without any recipient identity are not looked up. */
static void test_rewrite_no_identity(void **state)
{
	(void)state;
	table t = { NULL, 0, 0 };
	gen g = { 0 };
	g_header(&g, 10, 1, 1);
	g_u32(&g, 2);
	g_utf16(&g, 0x6001001Fu, "nobody");
	g_head(&g, 0x60040003u, 0, 1);
	g_footer(&g, NULL, 0);
	cpuu_ac_stats st;
	size_t n = 0;
	uint8_t *out = rewrite_bytes(&n, &st, &g, &t, CPUU_OK);
	assert_memory_equal(out, g.d, n);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(t.calls, 0);
	free(out);
	free(g.d);
}

/* Inputs scripts/fuzz.sh saved after a failure, replayed through the harness. */
static void test_replay_fuzz_regressions(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/tests/data/fuzz-regressions/fuzz_autocomplete", CPUU_SOURCE_DIR);
	DIR *d = opendir(dir);
	if (!d)
		return; /* none recorded */
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".md"))
			continue;
		char *path = test_path(dir, de->d_name);
		size_t len = 0;
		uint8_t *data = test_read_file(path, &len);
		assert_non_null(data);
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, data, len);
		assert_int_equal(fuzz_autocomplete_one(copy, len), 0);
		free(copy);
		free(data);
		free(path);
	}
	closedir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_caches),
		cmocka_unit_test(test_realistic_rows),
		cmocka_unit_test(test_every_type_and_odd_parts),
		cmocka_unit_test(test_mv_strings_bare),
		cmocka_unit_test(test_large_cache),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_bad_magic_and_counts),
		cmocka_unit_test(test_corruptions),
		cmocka_unit_test(test_replay_fuzz_regressions),
		cmocka_unit_test(test_rewrite_cases),
		cmocka_unit_test(test_rewrite_unknown_dn),
		cmocka_unit_test(test_rewrite_8bit),
		cmocka_unit_test(test_rewrite_no_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
