/* libFuzzer target for the mapping CSV reader. Any input either fails
 * cleanly (nothing returned, a message set) or loads into rows such that:
 *  - every key of every row answers that very row (FOUND / NO_TARGET) or
 *    AMBIGUOUS: never "no source", never another row;
 *  - the rows written back (cpuu_mapping_format) load again to the same rows,
 *    without warnings, and formatting those gives the same text.
 * With CPUU_FUZZ_SEEDGEN: writes seed files into argv[1] (fuzz/README.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapping.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

static int fmap_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int fmap_same(const cpuu_match *a, const cpuu_match *b)
{
	if (!fmap_streq(a->source_legacy_dn, b->source_legacy_dn) || !fmap_streq(a->source_smtp, b->source_smtp) ||
	    !fmap_streq(a->source_mailbox_guid, b->source_mailbox_guid) ||
	    !fmap_streq(a->target_legacy_dn, b->target_legacy_dn) || !fmap_streq(a->target_smtp, b->target_smtp) ||
	    !fmap_streq(a->target_mailbox_guid, b->target_mailbox_guid) ||
	    !fmap_streq(a->target_display_name, b->target_display_name) ||
	    !fmap_streq(a->target_server, b->target_server) || a->target_kind != b->target_kind ||
	    a->switched != b->switched || a->source_x500.count != b->source_x500.count)
		return 0;
	for (size_t i = 0; i < a->source_x500.count; i++)
		if (!fmap_streq(a->source_x500.items[i], b->source_x500.items[i]))
			return 0;
	return 1;
}

static void fmap_check_key(const cpuu_mapping *m, const cpuu_match *row, const char *key)
{
	const cpuu_match *r = NULL;
	cpuu_lookup_status st;
	if (!key)
		return;
	if (cpuu_mapping_lookup(&r, &st, m, key) != CPUU_OK)
		abort(); /* a stored key must be a recognisable key */
	if (st == CPUU_LOOKUP_AMBIGUOUS) {
		if (r)
			abort();
		return;
	}
	if ((st != CPUU_LOOKUP_FOUND && st != CPUU_LOOKUP_NO_TARGET) || r != row)
		abort();
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	cpuu_mapping *m = NULL;
	int rc = cpuu_mapping_load_buffer(&m, data, size);
	if (rc != CPUU_OK) {
		if (m || !cpuu_error_last()->message[0])
			abort();
		return 0;
	}
	size_t n = cpuu_mapping_count(m);
	cpuu_match *rows = n ? malloc(n * sizeof *rows) : NULL;
	for (size_t i = 0; i < n; i++) {
		const cpuu_match *row = cpuu_mapping_get(m, i);
		rows[i] = *row;
		fmap_check_key(m, row, row->source_legacy_dn);
		fmap_check_key(m, row, row->source_smtp);
		fmap_check_key(m, row, row->source_mailbox_guid);
		for (size_t k = 0; k < row->source_x500.count; k++)
			fmap_check_key(m, row, row->source_x500.items[k]);
	}
	char *text = NULL;
	size_t len = 0;
	rc = cpuu_mapping_format(&text, &len, rows, n);
	if (rc == CPUU_ENOMEM)
		goto out;
	if (rc != CPUU_OK)
		abort(); /* the reader accepted a row the writer refuses */
	cpuu_mapping *again = NULL;
	if (cpuu_mapping_load_buffer(&again, text, len) != CPUU_OK)
		abort();
	if (cpuu_mapping_count(again) != n || cpuu_mapping_warnings(again)->count)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!fmap_same(cpuu_mapping_get(again, i), &rows[i]))
			abort();
	for (size_t i = 0; i < n; i++)
		rows[i] = *cpuu_mapping_get(again, i);
	char *text2 = NULL;
	size_t len2 = 0;
	if (cpuu_mapping_format(&text2, &len2, rows, n) != CPUU_OK || len2 != len || memcmp(text, text2, len))
		abort();
	cpuu_free(text2);
	cpuu_mapping_free(again);
out:
	cpuu_free(text);
	free(rows);
	cpuu_mapping_free(m);
	return 0;
}

#ifdef CPUU_FUZZ_SEEDGEN
static int fmap_seed(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	fputs(text, f);
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
#define H "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp," \
	  "target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"
	int bad = 0;
	bad |= fmap_seed(argv[1], "basic.csv", H
		"/o=C/ou=AG/cn=Recipients/cn=alice,alice@c.com,0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,"
		"/o=Old/cn=a1;/o=Old/cn=a2,/o=F/cn=alice,alice@f.com,11111111-2222-3333-4444-555555555555,"
		"\"Smith, Alice\",onprem,11111111-2222-3333-4444-555555555555@f.com,true\r\n"
		"/o=C/cn=bob,SMTP:bob@c.com,{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE},,,,,Bob,online,,no\n");
	bad |= fmap_seed(argv[1], "quoted.csv", "\xEF\xBB\xBF" "switched,source_smtp,target_smtp,source_legacy_dn,target_legacy_dn,extra\n"
		"1,a@c.com,a@f.com,\"/o=C/cn=\"\"a\"\"\",\"/o=F/cn=a\r\nb\",x\n\n"
		"0,b@c.com,,/o=C/cn=b,,\"y,z\"\n");
	bad |= fmap_seed(argv[1], "dup.csv", H
		"/o=C/cn=x,x@c.com,,/o=S/cn=shared,,x@f.com,,,,,true\n"
		"/o=C/cn=y,y@c.com,,/O=S/CN=SHARED,,y@f.com,,,,,true\n");
	bad |= fmap_seed(argv[1], "broken.csv", H
		"/o=C/cn=a,a@c.com,,,,a@f.com,,,,true\n"
		"/o=C/cn=b,b@c.com,nope,,,b@f.com,,,,,true\n"
		"\"/o=C/cn=c,c@c.com,,,,c@f.com,,,,,true\n"
		"/o=C/cn=d,d@c.com,,,,d@f.com,,,,,true\n");
	return bad;
}
#endif
