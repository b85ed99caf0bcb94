/* EMSMDB store entry IDs (MS-OXCDATA 2.2.4.3, with the V2/V3 blocks read as
 * MFCMAPI's core/smartview/EntryIdStruct.cpp does) and Exchange address-book
 * entry IDs (MS-OXCDATA 2.2.5.2). Layouts and sources: docs/profile-format.md.
 * Parsing is strict enough that build(parse(bytes)) == bytes for everything
 * it accepts (except the case of "EMSMDB.DLL", which is written uppercase). */
#include "mapi/internal.h"
#include "cpuu/unicode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t cpuu_mapi_uid_store_wrap[16] = {
	0x38, 0xA1, 0xBB, 0x10, 0x05, 0xE5, 0x10, 0x1A, 0xA1, 0xBB, 0x08, 0x00, 0x2B, 0x2A, 0x56, 0xC2
};
const uint8_t cpuu_mapi_uid_private_mdb[16] = {
	0x1B, 0x55, 0xFA, 0x20, 0xAA, 0x66, 0x11, 0xCD, 0x9B, 0xC8, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A
};
const uint8_t cpuu_mapi_uid_public_mdb[16] = {
	0x1C, 0x83, 0x02, 0x10, 0xAA, 0x66, 0x11, 0xCD, 0x9B, 0xC8, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A
};
const uint8_t cpuu_mapi_uid_emsab[16] = {
	0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A, 0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82
};

#define EID_FIXED 60          /* up to and including WrappedType */
#define EID_DLL_OFF 22
#define EID_DLL_LEN 14        /* "EMSMDB.DLL", NUL, zero padding to offset 36 */
#define V2_MAGIC 0xF32135D8u
#define V3_MAGIC 0xF43246E9u
#define V2_HEADER 20          /* magic, size, version, offset DN, offset FQDN */
#define V3_HEADER 16          /* magic, size, version, offset SMTP */
#define OPENSTORE_PUBLIC 0x2u

static const char dll_name[] = "EMSMDB.DLL";

static int bad_store(const char *fmt, ...) CPUU_PRINTF(1, 2);
static int bad_store(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cpuu_error_set(CPUU_EINVALID, "store entry ID: %s", msg);
}

/* A NUL-terminated 8-bit (Windows-1252) string at data[*pos]. */
static int take_str8(char **out, const uint8_t *data, size_t len, size_t *pos, const char *what)
{
	size_t sl = cpuu_mapi_strnlen8(data, len, *pos);
	if (sl == (size_t)-1)
		return cpuu_error_set(CPUU_EINVALID, "%s at byte offset %zu has no NUL terminator", what, *pos);
	if (cpuu_cp1252_to_utf8(out, NULL, data + *pos, sl) < 0)
		return CPUU_ENOMEM;
	*pos += sl + 1;
	return CPUU_OK;
}

static int take_str16(char **out, const uint8_t *data, size_t len, size_t *pos, const char *what)
{
	size_t sl = cpuu_mapi_strnlen16(data, len, *pos);
	if (sl == (size_t)-1)
		return cpuu_error_set(CPUU_EINVALID, "%s at byte offset %zu has no UTF-16 NUL terminator",
				      what, *pos);
	if (cpuu_utf16le_to_utf8(out, NULL, data + *pos, sl + 2,
				 CPUU_UTF16_REQUIRE_NUL | CPUU_UTF16_STRICT_NUL) < 0)
		return cpuu_error_prefix("%s at byte offset %zu", what, *pos);
	*pos += sl + 2;
	return CPUU_OK;
}

static int ascii_caseeq(const uint8_t *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int a = p[i], b = (unsigned char)s[i];
		if (a >= 'a' && a <= 'z') a -= 32;
		if (a != b)
			return 0;
	}
	return 1;
}

/* V2 (server DN, server FQDN) or V3 (SMTP) block at data[pos], which must run
 * to the end of the entry ID. Offsets count from the block start; the strings
 * follow the header in order, then two reserved zero bytes; Size covers all. */
static int parse_block(cpuu_store_eid *e, const uint8_t *data, size_t len, size_t pos)
{
	size_t rem = len - pos;
	uint32_t magic = cpuu_le32(data + pos);
	int v2 = magic == V2_MAGIC;
	size_t hdr = v2 ? V2_HEADER : V3_HEADER;
	const uint8_t *b = data + pos;

	if (!v2 && magic != V3_MAGIC)
		return bad_store("unknown block magic 0x%08X at byte offset %zu", (unsigned)magic, pos);
	if (rem < hdr + 2)
		return bad_store("V%d block at byte offset %zu is truncated (%zu bytes)", v2 ? 2 : 3, pos, rem);
	size_t size = cpuu_le32(b + 4);
	uint32_t ver = cpuu_le32(b + 8);
	if (ver != (v2 ? 1u : 2u))
		return bad_store("V%d block version %u, want %u", v2 ? 2 : 3, (unsigned)ver, v2 ? 1u : 2u);
	if (size != rem)
		return bad_store("V%d block size %zu, but %zu bytes remain", v2 ? 2 : 3, size, rem);

	size_t cur = hdr;
	int rc;
	if (v2) {
		size_t odn = cpuu_le32(b + 12), ofq = cpuu_le32(b + 16);
		if (!odn && !ofq)
			return bad_store("V2 block carries neither server DN nor FQDN");
		if (odn) {
			if (odn != cur)
				return bad_store("V2 server DN offset %zu, want %zu", odn, cur);
			if ((rc = take_str8(&e->server_dn, b, rem - 2, &cur, "V2 server DN")) < 0)
				return cpuu_error_prefix("store entry ID");
		}
		if (ofq) {
			if (ofq != cur)
				return bad_store("V2 server FQDN offset %zu, want %zu", ofq, cur);
			if ((rc = take_str16(&e->server_fqdn, b, rem - 2, &cur, "V2 server FQDN")) < 0)
				return cpuu_error_prefix("store entry ID");
		}
	} else {
		size_t osm = cpuu_le32(b + 12);
		if (osm != cur)
			return bad_store("V3 SMTP offset %zu, want %zu", osm, cur);
		if ((rc = take_str16(&e->smtp, b, rem - 2, &cur, "V3 SMTP address")) < 0)
			return cpuu_error_prefix("store entry ID");
	}
	if (cur + 2 != rem)
		return bad_store("%zu unexpected bytes inside the V%d block", rem - 2 - cur, v2 ? 2 : 3);
	if (b[cur] || b[cur + 1])
		return bad_store("V%d block reserved bytes are not zero", v2 ? 2 : 3);
	return CPUU_OK;
}

static int store_parse(cpuu_store_eid *e, const uint8_t *data, size_t len)
{
	if (len < EID_FIXED)
		return bad_store("%zu bytes is shorter than the %d-byte fixed part", len, EID_FIXED);
	e->flags = cpuu_le32(data);
	if (memcmp(data + 4, cpuu_mapi_uid_store_wrap, 16) != 0)
		return bad_store("provider UID is not muidStoreWrap 38a1bb1005e5101aa1bb08002b2a56c2");
	if (data[20] != 0 || data[21] != 0)
		return bad_store("version/flag bytes are %02x/%02x, want 00/00", data[20], data[21]);
	if (!ascii_caseeq(data + EID_DLL_OFF, dll_name, sizeof dll_name - 1))
		return bad_store("DLL name is not \"EMSMDB.DLL\"");
	for (size_t i = EID_DLL_OFF + sizeof dll_name - 1; i < EID_DLL_OFF + EID_DLL_LEN; i++)
		if (data[i])
			return bad_store("DLL name padding at byte offset %zu is not zero", i);
	if (cpuu_le32(data + 36) != 0)
		return bad_store("wrapped flags are 0x%08X, want 0", (unsigned)cpuu_le32(data + 36));
	memcpy(e->wrapped_provider, data + 40, 16);
	e->wrapped_type = cpuu_le32(data + 56);

	size_t pos = EID_FIXED;
	if (take_str8(&e->server, data, len, &pos, "server short name") < 0)
		return cpuu_error_prefix("store entry ID");
	/* Public-store entry IDs may go straight from the server name to a block. */
	size_t rem = len - pos;
	int has_dn = 1;
	if (e->wrapped_type & OPENSTORE_PUBLIC) {
		if (rem == 0)
			has_dn = 0;
		else if (rem >= 4 && (cpuu_le32(data + pos) == V2_MAGIC || cpuu_le32(data + pos) == V3_MAGIC))
			has_dn = 0;
	}
	if (has_dn && take_str8(&e->mailbox_dn, data, len, &pos, "mailbox DN") < 0)
		return cpuu_error_prefix("store entry ID");
	if (pos == len)
		return CPUU_OK;
	if (len - pos < 4)
		return bad_store("%zu trailing bytes after the mailbox DN", len - pos);
	return parse_block(e, data, len, pos);
}

int cpuu_store_eid_parse(cpuu_store_eid *out, const uint8_t *data, size_t len)
{
	memset(out, 0, sizeof *out);
	if (len && !data)
		return bad_store("data is NULL");
	int rc = store_parse(out, data, len);
	if (rc < 0)
		cpuu_store_eid_clear(out);
	return rc;
}

void cpuu_store_eid_clear(cpuu_store_eid *eid)
{
	if (!eid)
		return;
	free(eid->server);
	free(eid->mailbox_dn);
	free(eid->server_dn);
	free(eid->server_fqdn);
	free(eid->smtp);
	memset(eid, 0, sizeof *eid);
}

static void put_u32(cpuu_buf *b, uint32_t v)
{
	uint8_t x[4];
	cpuu_put_le32(x, v);
	cpuu_buf_append(b, x, 4);
}

static int put_str8(cpuu_buf *b, const char *s, const char *what)
{
	uint8_t *enc;
	size_t n;
	if (cpuu_utf8_to_cp1252(&enc, &n, s, 1) < 0)
		return cpuu_error_prefix("entry ID %s", what);
	cpuu_buf_append(b, enc, n);
	free(enc);
	return CPUU_OK;
}

static int put_str16(cpuu_buf *b, const char *s, const char *what)
{
	uint8_t *enc;
	size_t n;
	if (cpuu_utf8_to_utf16le(&enc, &n, s, 1) < 0)
		return cpuu_error_prefix("entry ID %s", what);
	cpuu_buf_append(b, enc, n);
	free(enc);
	return CPUU_OK;
}

static int store_build(cpuu_buf *b, const cpuu_store_eid *e)
{
	static const uint8_t zero[16] = { 0 };
	int v2 = e->server_dn || e->server_fqdn;
	int public_store = (e->wrapped_type & OPENSTORE_PUBLIC) != 0;

	if (!e->server)
		return bad_store("server short name is missing");
	if (!e->mailbox_dn && !public_store)
		return bad_store("mailbox DN is missing (only public-store entry IDs may omit it)");
	if (v2 && e->smtp)
		return bad_store("cannot carry both a V2 block (server DN/FQDN) and a V3 block (SMTP)");
	if (e->mailbox_dn && public_store && strlen(e->mailbox_dn) >= 4) {
		/* It would read back as a block magic and lose the DN. */
		uint8_t *enc;
		size_t n;
		if (cpuu_utf8_to_cp1252(&enc, &n, e->mailbox_dn, 0) == CPUU_OK) {
			uint32_t m = n >= 4 ? cpuu_le32(enc) : 0;
			free(enc);
			if (m == V2_MAGIC || m == V3_MAGIC)
				return bad_store("mailbox DN starts with a block magic number");
		}
	}

	put_u32(b, e->flags);
	cpuu_buf_append(b, cpuu_mapi_uid_store_wrap, 16);
	cpuu_buf_append(b, zero, 2); /* version, flag */
	cpuu_buf_append(b, dll_name, sizeof dll_name - 1);
	cpuu_buf_append(b, zero, EID_DLL_LEN - (sizeof dll_name - 1));
	put_u32(b, 0); /* wrapped flags */
	cpuu_buf_append(b, e->wrapped_provider, 16);
	put_u32(b, e->wrapped_type);
	if (put_str8(b, e->server, "server short name") < 0)
		return CPUU_EINVALID;
	if (e->mailbox_dn && put_str8(b, e->mailbox_dn, "mailbox DN") < 0)
		return CPUU_EINVALID;
	if (!v2 && !e->smtp)
		return CPUU_OK;

	size_t start = b->len;
	put_u32(b, v2 ? V2_MAGIC : V3_MAGIC);
	put_u32(b, 0); /* size, patched below */
	put_u32(b, v2 ? 1 : 2);
	if (v2) {
		put_u32(b, 0);
		put_u32(b, 0);
		if (e->server_dn) {
			if (!b->failed)
				cpuu_put_le32((uint8_t *)b->data + start + 12, (uint32_t)(b->len - start));
			if (put_str8(b, e->server_dn, "server DN") < 0)
				return CPUU_EINVALID;
		}
		if (e->server_fqdn) {
			if (!b->failed)
				cpuu_put_le32((uint8_t *)b->data + start + 16, (uint32_t)(b->len - start));
			if (put_str16(b, e->server_fqdn, "server FQDN") < 0)
				return CPUU_EINVALID;
		}
	} else {
		put_u32(b, V3_HEADER);
		if (put_str16(b, e->smtp, "SMTP address") < 0)
			return CPUU_EINVALID;
	}
	cpuu_buf_append(b, zero, 2); /* reserved */
	if (!b->failed)
		cpuu_put_le32((uint8_t *)b->data + start + 4, (uint32_t)(b->len - start));
	return CPUU_OK;
}

static int finish(uint8_t **out, size_t *out_len, cpuu_buf *b, int rc)
{
	if (rc < 0) {
		cpuu_buf_dispose(b);
		return rc;
	}
	size_t n;
	char *p = cpuu_buf_detach(b, &n);
	if (!p)
		return CPUU_ENOMEM;
	*out = (uint8_t *)p;
	if (out_len)
		*out_len = n;
	return CPUU_OK;
}

int cpuu_store_eid_build(uint8_t **out, size_t *out_len, const cpuu_store_eid *eid)
{
	cpuu_buf b = { 0 };
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!eid)
		return bad_store("NULL");
	return finish(out, out_len, &b, store_build(&b, eid));
}

/* ---- Exchange address-book entry ID ---- */

#define AB_FIXED 28 /* flags, muidEMSAB, version, display type */

int cpuu_ab_eid_parse(cpuu_ab_eid *out, const uint8_t *data, size_t len)
{
	memset(out, 0, sizeof *out);
	if (len < AB_FIXED + 1 || !data)
		return cpuu_error_set(CPUU_EINVALID,
			"address-book entry ID: %zu bytes is shorter than the %d-byte fixed part and a DN",
			len, AB_FIXED);
	if (memcmp(data + 4, cpuu_mapi_uid_emsab, 16) != 0)
		return cpuu_error_set(CPUU_EINVALID,
			"address-book entry ID: provider UID is not muidEMSAB dca740c8c042101ab4b908002b2fe182");
	out->flags = cpuu_le32(data);
	out->version = cpuu_le32(data + 20);
	out->display_type = cpuu_le32(data + 24);
	size_t pos = AB_FIXED;
	if (take_str8(&out->x500_dn, data, len, &pos, "X500 DN") < 0) {
		cpuu_error_prefix("address-book entry ID");
		cpuu_ab_eid_clear(out);
		return CPUU_EINVALID;
	}
	if (pos != len) {
		cpuu_ab_eid_clear(out);
		return cpuu_error_set(CPUU_EINVALID,
			"address-book entry ID: %zu unexpected bytes after the X500 DN", len - pos);
	}
	return CPUU_OK;
}

int cpuu_ab_eid_build(uint8_t **out, size_t *out_len, const cpuu_ab_eid *eid)
{
	cpuu_buf b = { 0 };
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!eid || !eid->x500_dn)
		return cpuu_error_set(CPUU_EINVALID, "address-book entry ID: X500 DN is missing");
	put_u32(&b, eid->flags);
	cpuu_buf_append(&b, cpuu_mapi_uid_emsab, 16);
	put_u32(&b, eid->version);
	put_u32(&b, eid->display_type);
	int rc = put_str8(&b, eid->x500_dn, "X500 DN") < 0 ? CPUU_EINVALID : CPUU_OK;
	return finish(out, out_len, &b, rc);
}

void cpuu_ab_eid_clear(cpuu_ab_eid *eid)
{
	if (!eid)
		return;
	free(eid->x500_dn);
	memset(eid, 0, sizeof *eid);
}
