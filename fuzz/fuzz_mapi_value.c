/* libFuzzer target for the MAPI property codec. Input: 4-byte tag (LE), one
 * byte choosing the registry type (0 REG_BINARY, 1 REG_SZ, 2 REG_DWORD, else
 * that number), then the value data. Any input either fails cleanly with
 * CPUU_EINVALID, or decodes into a value that formats, encodes back (to the
 * same bytes, for types whose layout has only one form), and re-decodes to an
 * encoding that is stable.
 *
 * Also compiled into tests/unit/test_mapi_fuzzregress.c (CPUU_FUZZ_ENTRY
 * renames the entry point) and, with CPUU_FUZZ_SEEDGEN, into a program that
 * writes a seed corpus (see fuzz/README.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapi.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

static uint32_t fmv_reg_type(uint8_t sel)
{
	switch (sel) {
	case 0: return CPUU_MAPI_REG_BINARY;
	case 1: return CPUU_MAPI_REG_SZ;
	case 2: return CPUU_MAPI_REG_DWORD;
	default: return sel;
	}
}

/* Types whose registry form is unique: encode(decode(x)) must be x itself.
 * MV strings and binaries may come with gaps, other item orders or non-zero
 * padding, which the encoder normalises. */
static int fmv_exact(uint16_t type)
{
	return type != CPUU_PT_MV_STRING8 && type != CPUU_PT_MV_UNICODE && type != CPUU_PT_MV_BINARY;
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	uint32_t tag = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
		       (uint32_t)data[3] << 24;
	uint32_t reg_type = fmv_reg_type(data[4]);
	const uint8_t *d = data + 5;
	size_t n = size - 5;

	cpuu_mapi_value v;
	int rc = cpuu_mapi_value_decode(&v, tag, reg_type, d, n);
	if (rc == CPUU_ENOMEM)
		return 0;
	if (rc != CPUU_OK) {
		if (rc != CPUU_EINVALID || cpuu_error_last()->message[0] == '\0')
			abort(); /* bad input must be EINVALID with a message */
		return 0;
	}
	char *line = NULL;
	if (cpuu_mapi_value_format(&line, &v) != CPUU_OK || !line)
		abort();
	for (const char *p = line; *p; p++)
		if (*p == '\n')
			abort();
	free(line);

	uint8_t *enc = NULL;
	size_t elen = 0;
	if (cpuu_mapi_value_encode(&enc, &elen, &v, reg_type) != CPUU_OK)
		abort(); /* decoded but cannot be written back */
	if (fmv_exact(CPUU_PROP_TYPE(tag)) && (elen != n || (n && memcmp(enc, d, n) != 0)))
		abort();

	cpuu_mapi_value again;
	if (cpuu_mapi_value_decode(&again, tag, reg_type, enc, elen) != CPUU_OK)
		abort(); /* the encoder wrote something the decoder refuses */
	uint8_t *enc2 = NULL;
	size_t elen2 = 0;
	if (cpuu_mapi_value_encode(&enc2, &elen2, &again, reg_type) != CPUU_OK)
		abort();
	if (elen2 != elen || (elen && memcmp(enc, enc2, elen) != 0))
		abort(); /* canonical form must be a fixed point */
	free(enc2);
	free(enc);
	cpuu_mapi_value_clear(&again);
	cpuu_mapi_value_clear(&v);
	return 0;
}

#ifdef CPUU_FUZZ_SEEDGEN
/* Seeds: one canonical value of every type the codec models, in the fuzz
 * input format, built with the library's own encoder. */
#include <stdio.h>

static int fmv_write(const char *dir, const char *name, uint32_t tag, uint8_t sel, const uint8_t *d, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	uint8_t head[5] = { (uint8_t)tag, (uint8_t)(tag >> 8), (uint8_t)(tag >> 16), (uint8_t)(tag >> 24), sel };
	int ok = fwrite(head, 1, 5, f) == 5 && (n == 0 || fwrite(d, 1, n, f) == n);
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int fmv_seed(const char *dir, const char *name, const cpuu_mapi_value *v, uint8_t sel)
{
	uint8_t *enc;
	size_t n;
	if (cpuu_mapi_value_encode(&enc, &n, v, fmv_reg_type(sel)) != CPUU_OK) {
		fprintf(stderr, "seed %s: %s\n", name, cpuu_error_last()->message);
		return -1;
	}
	int rc = fmv_write(dir, name, v->tag, sel, enc, n);
	free(enc);
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
	char *strs[] = { "ncalrpc:SERVER", "ncacn_ip_tcp:server.example.com", "" };
	cpuu_mapi_bin bins[] = { { (uint8_t *)"\x01\x02\x03\x04\x05", 5 }, { NULL, 0 }, { (uint8_t *)"abcd", 4 } };
	int32_t longs[] = { 1, -2, 0x12345678 };
	int16_t shorts[] = { 7, -7 };
	int64_t i8s[] = { 1, -1 };
	cpuu_mapi_bin guids[] = { { (uint8_t *)"0123456789abcdef", 16 } };
	cpuu_mapi_value v;

#define SEED(nm, sel) rc |= fmv_seed(dir, nm, &v, sel)
	memset(&v, 0, sizeof v); v.tag = 0x66000003u; v.u.l = 0x501; SEED("long", 0); SEED("long-dword", 2);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_SHORT, 0x1000); v.u.i16 = -3; SEED("short", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_ERROR, 0x39FE); v.u.l = (int32_t)0x8004010F; SEED("error", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_FLOAT, 0x1000); v.u.dbl = 1.5; SEED("float", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_DOUBLE, 0x1000); v.u.dbl = -2.25; SEED("double", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_I8, 0x1000); v.u.i8 = -5; SEED("i8", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_SYSTIME, 0x3007); v.u.ft = 133000000000000000ull; SEED("systime", 0);
	memset(&v, 0, sizeof v); v.tag = 0x3D18000Bu; v.u.b = 1; SEED("bool2", 0);
	v.bool_width = 4; SEED("bool4", 0);
	memset(&v, 0, sizeof v); v.tag = 0x6602001Eu; v.u.str = "outlook.example.com"; SEED("string8-sz", 1);
	v.u.str = "M\xC3\xBCller \xE2\x82\xAC"; SEED("string8-bin", 0);
	memset(&v, 0, sizeof v); v.tag = 0x662A001Fu; v.u.str = "a\xF0\x9F\x98\x80"; SEED("unicode", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_CLSID, 0x1000); v.u.bin = guids[0]; SEED("clsid", 0);
	memset(&v, 0, sizeof v); v.tag = 0x3D000102u; v.u.bin.data = (uint8_t *)"0123456789abcdef0123456789abcdef"; v.u.bin.len = 32; SEED("binary", 0);
	memset(&v, 0, sizeof v); v.tag = 0x6613101Eu; v.u.mv.count = 3; v.u.mv.v.str = strs; SEED("mv-string8", 0);
	v.tag = 0x6613101Fu; SEED("mv-unicode", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_MV_BINARY, 0x3D05); v.u.mv.count = 3; v.u.mv.v.bin = bins; SEED("mv-binary", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_MV_LONG, 0x1000); v.u.mv.count = 3; v.u.mv.v.l = longs; SEED("mv-long", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_MV_SHORT, 0x1000); v.u.mv.count = 2; v.u.mv.v.i16 = shorts; SEED("mv-short", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_MV_I8, 0x1000); v.u.mv.count = 2; v.u.mv.v.i8 = i8s; SEED("mv-i8", 0);
	memset(&v, 0, sizeof v); v.tag = CPUU_PROP_TAG(CPUU_PT_MV_CLSID, 0x1000); v.u.mv.count = 1; v.u.mv.v.bin = guids; SEED("mv-clsid", 0);
#undef SEED
	return rc ? 1 : 0;
}
#endif
