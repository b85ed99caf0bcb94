/* The indexed mapping answers exactly what the CSV answers: every key of a
 * generated mapping (clean, duplicated, malformed, not switched, without
 * target, with blanks and prefixes), their variants and absent keys are
 * looked up through both and compared field by field. Plus: a stale index
 * (CSV changed, missing) is refused, a damaged one never crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

#include "common/internal.h"
#include "cpuu/mapping.h"
#include "mapping_match_assert.h"
#include "testutil.h"

#define HDR "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp," \
	    "target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void add_key(cpuu_strlist *keys, const char *fmt, ...) CPUU_PRINTF(2, 3);
static void add_key(cpuu_strlist *keys, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	assert_int_equal(cpuu_strlist_add(keys, b), CPUU_OK);
}

/* One row of user u; its keys (and variants) go to keys. The shapes cycle
 * through what the rules distinguish. */
static void gen_row(cpuu_buf *csv, cpuu_strlist *keys, unsigned u)
{
	char dn[128], smtp[64], guid[64], x500[160], tdn[128], tsmtp[64];
	unsigned shape = rnd(12);
	unsigned other = rnd(u + 1); /* an earlier user, for duplicates */
	snprintf(dn, sizeof dn, "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user%u", u);
	snprintf(smtp, sizeof smtp, "user%u@contoso.com", u);
	snprintf(guid, sizeof guid, "%08x-4b5a-6978-8796-%012x", u, u * 7u);
	snprintf(x500, sizeof x500, "X500:/o=Old/cn=Recipients/cn=u%u", u);
	snprintf(tdn, sizeof tdn, "/o=Fabrikam/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user%u", u);
	snprintf(tsmtp, sizeof tsmtp, "user%u@fabrikam.com", u);
	add_key(keys, "%s", dn);
	add_key(keys, "%s", smtp);
	add_key(keys, "%s", guid);
	add_key(keys, "%s", x500);
	/* variants every lookup must treat as the same key */
	add_key(keys, " EX:%s\t", dn);
	add_key(keys, "SMTP:USER%u@Contoso.COM ", u);
	add_key(keys, "{%08X4B5A69788796%012X}", u, u * 7u);
	add_key(keys, "/o=OLD/cn=Recipients/cn=U%u", u);
	add_key(keys, "%s", tsmtp); /* a target address is no source key */
	switch (shape) {
	case 0: /* duplicate SMTP with an earlier user, written differently */
		cpuu_buf_printf(csv, "%s,\" SMTP:User%u@contoso.com\",%s,%s,%s,%s,,\"User, %u\",onprem,,true\n", dn, other,
				guid, x500, tdn, tsmtp, u);
		break;
	case 1: /* duplicate X500 with an earlier user, quoted with blanks */
		cpuu_buf_printf(csv, "%s,%s,%s,\"%s; /o=Old/cn=Recipients/cn=u%u \",%s,%s,,,online,,yes\n", dn, smtp, guid,
				x500, other, tdn, tsmtp);
		break;
	case 2: /* malformed: bad GUID */
		cpuu_buf_printf(csv, "%s,%s,not-a-guid,%s,%s,%s,,,,,true\n", dn, smtp, x500, tdn, tsmtp);
		break;
	case 3: /* malformed: field count */
		cpuu_buf_printf(csv, "%s,%s,%s,%s,%s,%s,,,,true\n", dn, smtp, guid, x500, tdn, tsmtp);
		break;
	case 4: /* malformed: a key empty once normalised */
		cpuu_buf_printf(csv, "%s,\"SMTP: \",%s,%s,%s,%s,,,,,true\n", dn, guid, x500, tdn, tsmtp);
		break;
	case 5: /* not switched */
		cpuu_buf_printf(csv, "%s,%s,%s,,%s,%s,,,,,false\n", dn, smtp, guid, tdn, tsmtp);
		break;
	case 6: /* no target */
		cpuu_buf_printf(csv, "\"\t%s \",%s,,%s,,,,,,,0\n", dn, smtp, x500);
		break;
	case 7: /* the same key through a quoted blank: duplicate DN */
		cpuu_buf_printf(csv, "\"/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user%u \",%s,"
				"%s,,%s,%s,,,,,true\n", other, smtp, guid, tdn, tsmtp);
		break;
	case 8: /* GUID in braces, upper case; CRLF */
		cpuu_buf_printf(csv, "%s,%s,{%08X-4B5A-6978-8796-%012X},%s,%s,%s,%s,Name,onprem,srv%u,true\r\n", dn, smtp, u,
				u * 7u, x500, tdn, tsmtp, guid, u);
		break;
	default:
		cpuu_buf_printf(csv, "%s,%s,%s,%s,%s,%s,,\"Smith \"\"%u\"\"\",onprem,,true\n", dn, smtp, guid, x500, tdn, tsmtp,
				u);
		break;
	}
}

/* Both answers for one key; returns the status. */
static cpuu_lookup_status compare_key(const cpuu_mapping *m, cpuu_mapping_index *ix, const char *key)
{
	const cpuu_match *r = NULL;
	cpuu_lookup_status s1 = CPUU_LOOKUP_FOUND, s2 = CPUU_LOOKUP_FOUND;
	cpuu_match got;
	int rc1 = cpuu_mapping_lookup(&r, &s1, m, key);
	int rc2 = cpuu_mapping_index_lookup(&got, &s2, ix, key);
	if (rc1 != rc2 || s1 != s2)
		print_error("key '%s': csv rc %d status %d, index rc %d status %d (%s)\n", key, rc1, s1, rc2, s2,
			    cpuu_error_last()->message);
	assert_int_equal(rc1, rc2);
	assert_int_equal(s1, s2);
	if (r)
		assert_match_same(r, &got, 0);
	else
		assert_null(got.source_legacy_dn);
	cpuu_match_clear(&got);
	return s1;
}

static void test_index_answers_like_csv(void **state)
{
	(void)state;
	char *dir = test_tmpdir("mapidx");
	char *csv = test_path(dir, "mapping.csv");
	char *idx = cpuu_mapping_index_path_for(csv);
	cpuu_buf text = { 0 };
	cpuu_strlist keys = { 0 };
	cpuu_buf_puts(&text, HDR);
	const unsigned users = 3000;
	for (unsigned u = 0; u < users; u++)
		gen_row(&text, &keys, u);
	/* an unterminated quote in the middle, then a clean row after it */
	cpuu_buf_puts(&text, "\"/o=Contoso/cn=broken,broken@contoso.com,,,,b@f.com,,,,,true\n");
	cpuu_buf_puts(&text, "/o=Contoso/cn=after,after@contoso.com,,,,a@f.com,,,,,true\n");
	add_key(&keys, "/o=Contoso/cn=broken");
	add_key(&keys, "broken@contoso.com");
	add_key(&keys, "/o=Contoso/cn=after");
	for (unsigned i = 0; i < 500; i++)
		add_key(&keys, "nobody%u@contoso.com", i);
	add_key(&keys, "X500:");
	add_key(&keys, "  ");
	add_key(&keys, "not a key");
	assert_false(text.failed);
	assert_int_equal(test_write_file(csv, text.data, text.len), 0);

	cpuu_mapping *m = NULL;
	assert_int_equal(cpuu_mapping_load(&m, csv), CPUU_OK);
	cpuu_mapping_index_info info;
	cpuu_strlist warns = { 0 };
	assert_int_equal(cpuu_mapping_index_build(&info, &warns, idx, csv), CPUU_OK);
	assert_int_equal(info.rows, cpuu_mapping_count(m));
	assert_int_equal(warns.count, cpuu_mapping_warnings(m)->count);
	assert_true(warns.count > 100);
	assert_true(cpuu_mapping_is_index(idx));
	assert_false(cpuu_mapping_is_index(csv));

	cpuu_mapping_index *ix = NULL;
	assert_int_equal(cpuu_mapping_index_open(&ix, idx), CPUU_OK);
	assert_int_equal(cpuu_mapping_index_verify(ix), CPUU_OK);
	size_t seen[CPUU_LOOKUP_INVALID + 1] = { 0 };
	for (size_t i = 0; i < keys.count; i++) {
		cpuu_lookup_status st = compare_key(m, ix, keys.items[i]);
		seen[st]++;
	}
	/* every row's stored keys too, as the loader keeps them */
	for (size_t i = 0; i < cpuu_mapping_count(m); i++) {
		const cpuu_match *r = cpuu_mapping_get(m, i);
		if (r->source_legacy_dn)
			compare_key(m, ix, r->source_legacy_dn);
		if (r->source_smtp)
			compare_key(m, ix, r->source_smtp);
		if (r->source_mailbox_guid)
			compare_key(m, ix, r->source_mailbox_guid);
		for (size_t k = 0; k < r->source_x500.count; k++)
			compare_key(m, ix, r->source_x500.items[k]);
	}
	printf("compared %zu keys: %zu found, %zu no source, %zu no target, %zu ambiguous, %zu invalid\n", keys.count,
	       seen[CPUU_LOOKUP_FOUND], seen[CPUU_LOOKUP_NO_SOURCE], seen[CPUU_LOOKUP_NO_TARGET],
	       seen[CPUU_LOOKUP_AMBIGUOUS], seen[CPUU_LOOKUP_INVALID]);
	/* the comparison covered every outcome */
	for (int s = 0; s <= CPUU_LOOKUP_INVALID; s++)
		assert_true(seen[s] > 10);
	/* cpuu_mapping_load on the index: the same answers through the
	 * mapping API every caller uses (cpuu update reads [Mapping] File so). */
	cpuu_mapping *mi = NULL;
	assert_int_equal(cpuu_mapping_load(&mi, idx), CPUU_OK);
	assert_int_equal(cpuu_mapping_count(mi), 0);
	for (size_t i = 0; i < keys.count; i += 3) {
		const cpuu_match *r1 = NULL, *r2 = NULL;
		cpuu_lookup_status s1, s2;
		assert_int_equal(cpuu_mapping_lookup(&r1, &s1, m, keys.items[i]), cpuu_mapping_lookup(&r2, &s2, mi, keys.items[i]));
		assert_int_equal(s1, s2);
		assert_int_equal(r1 == NULL, r2 == NULL);
		if (r1)
			assert_match_same(r1, r2, 0);
	}
	cpuu_mapping_free(mi);
	/* an index is no CSV to index */
	assert_int_equal(cpuu_mapping_index_build(NULL, NULL, idx, idx), CPUU_EINVALID);
	assert_true(cpuu_mapping_is_index(idx));

	/* a lookup reads a few small records, never the file */
	uint64_t before = cpuu_mapping_index_bytes_read(ix);
	cpuu_match got;
	cpuu_lookup_status st;
	assert_int_equal(cpuu_mapping_index_lookup(&got, &st, ix, "user17@contoso.com"), CPUU_OK);
	cpuu_match_clear(&got);
	assert_true(cpuu_mapping_index_bytes_read(ix) - before < 4096);
	cpuu_mapping_index_free(ix);

	/* Stale: the CSV rewritten (another size), or touched (another mtime),
	 * or gone, is refused at open; a change of content keeping size and
	 * mtime is found by verify. */
	struct stat sb;
	assert_int_equal(stat(csv, &sb), 0);
	cpuu_buf_puts(&text, "/o=Contoso/cn=late,late@contoso.com,,,,l@f.com,,,,,true\n");
	assert_int_equal(test_write_file(csv, text.data, text.len), 0);
	assert_int_equal(cpuu_mapping_index_open(&ix, idx), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "stale"));
	assert_null(ix);
	text.len -= strlen("/o=Contoso/cn=late,late@contoso.com,,,,l@f.com,,,,,true\n");
	text.data[10] ^= 1; /* same size, other content */
	assert_int_equal(test_write_file(csv, text.data, text.len), 0);
	struct utimbuf later = { sb.st_atime, sb.st_mtime + 5 };
	assert_int_equal(utime(csv, &later), 0);
	assert_int_equal(cpuu_mapping_index_open(&ix, idx), CPUU_EINVALID);
	struct utimbuf same = { sb.st_atime, sb.st_mtime };
	assert_int_equal(utime(csv, &same), 0);
	assert_int_equal(cpuu_mapping_index_open(&ix, idx), CPUU_OK);
	assert_int_equal(cpuu_mapping_index_verify(ix), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "stale"));
	cpuu_mapping_index_free(ix);
	ix = NULL;
	remove(csv);
	assert_int_equal(cpuu_mapping_index_open(&ix, idx), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "missing"));
	assert_int_equal(cpuu_mapping_index_open(&ix, csv), CPUU_ENOTFOUND);

	cpuu_strlist_free(&warns);
	cpuu_strlist_free(&keys);
	cpuu_buf_dispose(&text);
	cpuu_mapping_free(m);
	free(idx);
	free(csv);
	test_tmpdir_remove(dir);
}

/* A damaged index: every truncation and many byte flips give an error or
 * an answer, never a crash (run under ASan in test-asan). */
static void test_damaged_index(void **state)
{
	(void)state;
	char *dir = test_tmpdir("mapidx2");
	char *csv = test_path(dir, "m.csv");
	char *idx = test_path(dir, "m.idx");
	const char *text = HDR "/o=C/cn=a,a@c.com,0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,/o=Old/cn=a,/o=F/cn=a,a@f.com,,A,onprem,,true\n"
			       "/o=C/cn=b,b@c.com,,,,,,,,,false\n";
	assert_int_equal(test_write_file(csv, text, strlen(text)), 0);
	assert_int_equal(cpuu_mapping_index_build(NULL, NULL, idx, csv), CPUU_OK);
	size_t n = 0;
	uint8_t *good = test_read_file(idx, &n);
	assert_non_null(good);
	struct stat sb;
	assert_int_equal(stat(csv, &sb), 0);
	const char *probe[] = { "/o=C/cn=a", "a@c.com", "b@c.com", "/o=old/cn=a", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "x@y.z" };
	uint8_t *bad = malloc(n);
	for (size_t step = 0; step < n * 3; step++) {
		size_t len = n;
		memcpy(bad, good, n);
		if (step < n)
			len = step; /* truncated */
		else
			bad[(step * 7919) % n] ^= (uint8_t)(1u << (step % 8));
		assert_int_equal(test_write_file(idx, bad, len), 0);
		cpuu_mapping_index *ix = NULL;
		if (cpuu_mapping_index_open(&ix, idx) != CPUU_OK) {
			assert_null(ix);
			continue;
		}
		for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
			cpuu_match got;
			cpuu_lookup_status st;
			int rc = cpuu_mapping_index_lookup(&got, &st, ix, probe[k]);
			assert_true(rc == CPUU_OK || rc == CPUU_ECORRUPT || rc == CPUU_EIO);
			cpuu_match_clear(&got);
		}
		cpuu_mapping_index_free(ix);
	}
	free(bad);
	free(good);
	free(idx);
	free(csv);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_answers_like_csv),
		cmocka_unit_test(test_damaged_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
