/* libFuzzer target for the autocomplete stream parser: a failed parse
 * returns nothing and a message; an accepted stream writes back byte for byte
 * and re-parses to the same shape; rewriting it (every key a switched
 * source) accounts for every row and still gives a stream that parses.
 *
 * Also compiled into tests/unit/test_autocomplete.c (CPUU_FUZZ_ENTRY) and,
 * with CPUU_FUZZ_SEEDGEN, into a seed writer (see fuzz/README.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/autocomplete.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Every key is a switched source, so the rewrite runs its edits on
 * whatever identities the input holds. */
static char fac_key[512];
static cpuu_match fac_match;

static int fac_lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	(void)ctx;
	snprintf(fac_key, sizeof fac_key, "%s", key);
	memset(&fac_match, 0, sizeof fac_match);
	/* DNs are themselves; any other key belongs to the seeds' "/o=S" DN, so
	 * a row's DN and SMTP address name the same source. */
	fac_match.source_legacy_dn = key[0] == '/' ? fac_key : (char *)"/o=S/cn=Recipients/cn=a";
	fac_match.source_smtp = fac_key;
	fac_match.target_legacy_dn = (char *)"/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=x";
	fac_match.target_smtp = (char *)"x@target.example";
	fac_match.switched = 1;
	*m = &fac_match;
	*st = CPUU_LOOKUP_FOUND;
	return CPUU_OK;
}

/* The rewritten cache has as many rows, accounts for each once, and still
 * parses. */
static void fac_rewrite(cpuu_autocomplete *ac)
{
	cpuu_match_source src = { fac_lookup, NULL };
	cpuu_ac_stats st;
	size_t rows = ac->row_count;
	int rc = cpuu_autocomplete_rewrite(&st, ac, &src);
	if (rc == CPUU_ENOMEM)
		return;
	if (rc != CPUU_OK || st.rows != rows ||
	    st.rewritten + st.unchanged + st.not_switched + st.unmatched + st.ambiguous + st.kept_whole != rows)
		abort();
	uint8_t *out = NULL;
	size_t n = 0;
	if (cpuu_autocomplete_write(&out, &n, ac) != CPUU_OK)
		return;
	cpuu_autocomplete *again = NULL;
	rc = cpuu_autocomplete_parse(&again, out, n);
	if (rc != CPUU_OK || again->row_count != rows)
		abort();
	cpuu_autocomplete_free(again);
	free(out);
}

/* The decode view (cpuu decode autocomplete): a result or a refusal with a
 * message. */
static void fac_decode(const uint8_t *data, size_t size)
{
	for (int f = 0; f < 2; f++) {
		char *text = NULL;
		int rc = cpuu_autocomplete_decode(&text, data, size, f ? CPUU_DECODE_JSON : CPUU_DECODE_TEXT);
		if (rc == CPUU_ENOMEM)
			continue;
		if (rc == CPUU_OK ? !text : (text || (rc != CPUU_EINVALID && rc != CPUU_EUNSUPPORTED) ||
					    !cpuu_error_last()->message[0]))
			abort();
		free(text);
	}
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	fac_decode(data, size);
	cpuu_autocomplete *ac = NULL;
	int rc = cpuu_autocomplete_parse(&ac, data, size);
	if (rc == CPUU_ENOMEM)
		return 0;
	if (rc != CPUU_OK) {
		if (ac || (rc != CPUU_EINVALID && rc != CPUU_EUNSUPPORTED) || !cpuu_error_last()->message[0])
			abort();
		return 0;
	}
	uint8_t *out = NULL;
	size_t n = 0;
	if (cpuu_autocomplete_write(&out, &n, ac) != CPUU_OK) {
		cpuu_autocomplete_free(ac);
		return 0; /* out of memory only */
	}
	if (n != size || (n && memcmp(out, data, n) != 0))
		abort();
	cpuu_autocomplete *again = NULL;
	if (cpuu_autocomplete_parse(&again, out, n) != CPUU_OK || again->row_count != ac->row_count ||
	    again->extra_len != ac->extra_len || again->trailing_len != ac->trailing_len)
		abort();
	for (size_t r = 0; r < ac->row_count; r++)
		if (again->rows[r].count != ac->rows[r].count)
			abort();
	cpuu_autocomplete_free(again);
	free(out);
	fac_rewrite(ac);
	cpuu_autocomplete_free(ac);
	return 0;
}

#ifdef CPUU_FUZZ_SEEDGEN
static void fac_u32(uint8_t **p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*(*p)++ = (uint8_t)(v >> (8 * i));
}

static void fac_head(uint8_t **p, uint32_t tag)
{
	fac_u32(p, tag);
	fac_u32(p, 0);
	fac_u32(p, 0);
	fac_u32(p, 0);
}

static void fac_seed(const char *dir, const char *name, const uint8_t *d, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

/* Seeds from the documented layout: an empty cache, and one row with a
 * counted string, a binary, a long, a GUID and counted MV values. */
int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	uint8_t buf[512], *p = buf;
	fac_u32(&p, 0xBAADF00Du);
	fac_u32(&p, 12);
	fac_u32(&p, 0);
	fac_u32(&p, 0);
	fac_u32(&p, 0);
	memset(p, 0x11, 8);
	p += 8;
	fac_seed(argv[1], "empty-12-0", buf, (size_t)(p - buf));

	p = buf;
	fac_u32(&p, 0xBAADF00Du);
	fac_u32(&p, 10);
	fac_u32(&p, 1);
	fac_u32(&p, 1);
	fac_u32(&p, 6);
	fac_head(&p, 0x6001001Fu);
	fac_u32(&p, 4);
	memcpy(p, "a\0\0\0", 4);
	p += 4;
	fac_head(&p, 0x300B0102u);
	fac_u32(&p, 3);
	memcpy(p, "EX:", 3);
	p += 3;
	fac_head(&p, 0x60040003u);
	fac_head(&p, 0x00010048u);
	memset(p, 0x22, 16);
	p += 16;
	fac_head(&p, 0x0002101Fu);
	fac_u32(&p, 1);
	fac_u32(&p, 2);
	memcpy(p, "\0\0", 2);
	p += 2;
	fac_head(&p, 0x00031102u);
	fac_u32(&p, 2);
	fac_u32(&p, 1);
	*p++ = 0x7f;
	fac_u32(&p, 0);
	fac_u32(&p, 0);
	memset(p, 0x33, 8);
	p += 8;
	fac_seed(argv[1], "one-row-10-1", buf, (size_t)(p - buf));

	/* An EX row: type, DN, EMSAB entry ID, search key, SMTP (8-bit strings
	 * keep the seed short). */
	static const char dn[] = "/o=S/cn=Recipients/cn=a";
	static const uint8_t emsab[16] = { 0xdc, 0xa7, 0x40, 0xc8, 0xc0, 0x42, 0x10, 0x1a,
					   0xb4, 0xb9, 0x08, 0x00, 0x2b, 0x2f, 0xe1, 0x82 };
	p = buf;
	fac_u32(&p, 0xBAADF00Du);
	fac_u32(&p, 12);
	fac_u32(&p, 0);
	fac_u32(&p, 1);
	fac_u32(&p, 5);
	fac_head(&p, 0x3002001Eu);
	fac_u32(&p, 3);
	memcpy(p, "EX", 3);
	p += 3;
	fac_head(&p, 0x3003001Eu);
	fac_u32(&p, sizeof dn);
	memcpy(p, dn, sizeof dn);
	p += sizeof dn;
	fac_head(&p, 0x0FFF0102u);
	fac_u32(&p, 28 + sizeof dn);
	fac_u32(&p, 0);
	memcpy(p, emsab, 16);
	p += 16;
	fac_u32(&p, 1);
	fac_u32(&p, 0);
	memcpy(p, dn, sizeof dn);
	p += sizeof dn;
	fac_head(&p, 0x300B0102u);
	fac_u32(&p, 3 + sizeof dn);
	memcpy(p, "EX:/O=S/CN=RECIPIENTS/CN=A", 3 + sizeof dn);
	p += 3 + sizeof dn;
	fac_head(&p, 0x39FE001Eu);
	fac_u32(&p, 4);
	memcpy(p, "a@s", 4);
	p += 4;
	fac_u32(&p, 0);
	memset(p, 0x44, 8);
	p += 8;
	fac_seed(argv[1], "ex-row-12-0", buf, (size_t)(p - buf));
	return 0;
}
#endif
