/* libFuzzer target for the entry-ID parsers. Every input goes through the
 * store, address-book and one-off parsers and the decode views; whatever is accepted must rebuild to the
 * input byte for byte (the store DLL name compared case-insensitively, since
 * it is always written as "EMSMDB.DLL") and re-parse to the same fields.
 *
 * Also compiled into tests/unit/test_mapi_fuzzregress.c and, with
 * CPUU_FUZZ_SEEDGEN, into a seed writer (see fuzz/README.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapi.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

static int feid_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void feid_store(const uint8_t *data, size_t size)
{
	cpuu_store_eid e;
	int rc = cpuu_store_eid_parse(&e, data, size);
	if (rc == CPUU_ENOMEM)
		return;
	if (rc != CPUU_OK) {
		if (rc != CPUU_EINVALID || e.server || e.mailbox_dn || e.server_dn || e.server_fqdn || e.smtp)
			abort();
		return;
	}
	uint8_t *out = NULL;
	size_t n = 0;
	if (cpuu_store_eid_build(&out, &n, &e) != CPUU_OK)
		abort();
	if (n != size)
		abort();
	for (size_t i = 0; i < n; i++) {
		uint8_t a = data[i], b = out[i];
		if (i >= 22 && i < 32 && a >= 'a' && a <= 'z')
			a = (uint8_t)(a - 32);
		if (a != b)
			abort();
	}
	cpuu_store_eid again;
	if (cpuu_store_eid_parse(&again, out, n) != CPUU_OK)
		abort();
	if (again.flags != e.flags || again.wrapped_type != e.wrapped_type ||
	    memcmp(again.wrapped_provider, e.wrapped_provider, 16) != 0 ||
	    !feid_streq(again.server, e.server) || !feid_streq(again.mailbox_dn, e.mailbox_dn) ||
	    !feid_streq(again.server_dn, e.server_dn) || !feid_streq(again.server_fqdn, e.server_fqdn) ||
	    !feid_streq(again.smtp, e.smtp))
		abort();
	cpuu_store_eid_clear(&again);
	free(out);
	cpuu_store_eid_clear(&e);
}

static void feid_ab(const uint8_t *data, size_t size)
{
	cpuu_ab_eid e;
	int rc = cpuu_ab_eid_parse(&e, data, size);
	if (rc == CPUU_ENOMEM)
		return;
	if (rc != CPUU_OK) {
		if (rc != CPUU_EINVALID || e.x500_dn)
			abort();
		return;
	}
	uint8_t *out = NULL;
	size_t n = 0;
	if (cpuu_ab_eid_build(&out, &n, &e) != CPUU_OK)
		abort();
	if (n != size || memcmp(out, data, n) != 0)
		abort();
	free(out);
	cpuu_ab_eid_clear(&e);
}

static void feid_oneoff(const uint8_t *data, size_t size)
{
	cpuu_oneoff_eid e;
	int rc = cpuu_oneoff_eid_parse(&e, data, size);
	if (rc == CPUU_ENOMEM)
		return;
	if (rc != CPUU_OK) {
		if (rc != CPUU_EINVALID || e.display_name || e.address_type || e.address)
			abort();
		return;
	}
	uint8_t *out = NULL;
	size_t n = 0;
	if (cpuu_oneoff_eid_build(&out, &n, &e) != CPUU_OK)
		abort();
	if (n != size || memcmp(out, data, n) != 0)
		abort();
	free(out);
	cpuu_oneoff_eid_clear(&e);
}

/* The readable views (cpuu decode): a result or a refusal with a message,
 * nothing in between. */
static void feid_decode(const uint8_t *data, size_t size)
{
	int (*const fns[])(char **, const uint8_t *, size_t, cpuu_decode_format) = {
		cpuu_mapi_decode_entryid, cpuu_mapi_decode_entrylist, cpuu_mapi_decode_props
	};
	for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
		for (int f = 0; f < 2; f++) {
			char *out = NULL;
			int rc = fns[i](&out, data, size, f ? CPUU_DECODE_JSON : CPUU_DECODE_TEXT);
			if (rc == CPUU_ENOMEM)
				continue;
			if (rc == CPUU_OK ? !out : (out || (rc != CPUU_EINVALID && rc != CPUU_EUNSUPPORTED) ||
						   !cpuu_error_last()->message[0]))
				abort();
			free(out);
		}
	}
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	feid_store(data, size);
	feid_ab(data, size);
	feid_oneoff(data, size);
	feid_decode(data, size);
	return 0;
}

#ifdef CPUU_FUZZ_SEEDGEN
#include <stdio.h>

static int feid_write(const char *dir, const char *name, const uint8_t *d, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(d, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int feid_seed_store(const char *dir, const char *name, const cpuu_store_eid *e)
{
	uint8_t *out;
	size_t n;
	if (cpuu_store_eid_build(&out, &n, e) != CPUU_OK) {
		fprintf(stderr, "seed %s: %s\n", name, cpuu_error_last()->message);
		return -1;
	}
	int rc = feid_write(dir, name, out, n);
	free(out);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int rc = 0;
	cpuu_store_eid e = { .wrapped_type = CPUU_STORE_EID_PRIVATE };
	memcpy(e.wrapped_provider, cpuu_mapi_uid_private_mdb, 16);
	e.server = "EXMBX01";
	e.mailbox_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe";
	rc |= feid_seed_store(dir, "store-v1", &e);
	e.server_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXMBX01";
	e.server_fqdn = "exmbx01.contoso.com";
	rc |= feid_seed_store(dir, "store-v2", &e);
	e.server_dn = NULL;
	e.server_fqdn = NULL;
	e.server = "8d5a1c1e-0000-4000-8000-00000000beef@contoso.com";
	e.smtp = "jdoe@contoso.com";
	rc |= feid_seed_store(dir, "store-v3", &e);
	cpuu_store_eid p = { .wrapped_type = CPUU_STORE_EID_PUBLIC };
	memcpy(p.wrapped_provider, cpuu_mapi_uid_public_mdb, 16);
	p.server = "EXPF01";
	rc |= feid_seed_store(dir, "store-public", &p);
	p.server_fqdn = "expf01.contoso.com";
	rc |= feid_seed_store(dir, "store-public-v2", &p);

	cpuu_ab_eid ab = { .version = 1, .display_type = 0,
			   .x500_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe" };
	uint8_t *out;
	size_t n;
	if (cpuu_ab_eid_build(&out, &n, &ab) != CPUU_OK)
		return 1;
	rc |= feid_write(dir, "ab", out, n);
	free(out);
	cpuu_oneoff_eid oo = { .bitmask = CPUU_ONEOFF_UNICODE | CPUU_ONEOFF_NO_RICH_INFO, .display_name = "Jane Doe",
			       .address_type = "SMTP", .address = "jdoe@contoso.com" };
	if (cpuu_oneoff_eid_build(&out, &n, &oo) != CPUU_OK)
		return 1;
	rc |= feid_write(dir, "oneoff", out, n);
	free(out);
	return rc ? 1 : 0;
}
#endif
