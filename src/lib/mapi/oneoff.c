/* One-off entry IDs (MS-OXCDATA 2.2.5.1): a recipient that is no address
 * book object, written into autocomplete rows and messages as PR_ENTRYID,
 * PR_RECIPIENT_ENTRYID and PR_RECORD_KEY. The 4 bytes after the provider UID
 * are read as one little-endian DWORD, as MFCMAPI does (version in the low
 * word, the U/M/... flags in the high word), so 0x90010000 is MAPI_UNICODE |
 * OOP_DONT_LOOKUP | MAPI_SEND_NO_RICH_INFO. */
#include "mapi/internal.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

const uint8_t cpuu_mapi_uid_oneoff[16] = {
	0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02
};

#define OO_HEADER 24 /* flags, provider UID, bitmask */

void cpuu_oneoff_eid_clear(cpuu_oneoff_eid *eid)
{
	if (!eid)
		return;
	free(eid->display_name);
	free(eid->address_type);
	free(eid->address);
	memset(eid, 0, sizeof *eid);
}

static int take(char **out, const uint8_t *data, size_t len, size_t *pos, int wide, const char *what)
{
	size_t sl = wide ? cpuu_mapi_strnlen16(data, len, *pos) : cpuu_mapi_strnlen8(data, len, *pos);
	if (sl == (size_t)-1)
		return cpuu_error_set(CPUU_EINVALID, "one-off entry ID: %s at byte offset %zu has no terminator", what,
				      *pos);
	int rc = wide ? cpuu_utf16le_to_utf8(out, NULL, data + *pos, sl + 2,
					     CPUU_UTF16_REQUIRE_NUL | CPUU_UTF16_STRICT_NUL)
		      : cpuu_cp1252_to_utf8(out, NULL, data + *pos, sl);
	if (rc < 0)
		return cpuu_error_prefix("one-off entry ID: %s at byte offset %zu", what, *pos);
	*pos += sl + (wide ? 2u : 1u);
	return CPUU_OK;
}

int cpuu_oneoff_eid_parse(cpuu_oneoff_eid *out, const uint8_t *data, size_t len)
{
	memset(out, 0, sizeof *out);
	if (!data || len < OO_HEADER)
		return cpuu_error_set(CPUU_EINVALID, "one-off entry ID: %zu bytes, want at least %d", len, OO_HEADER);
	if (memcmp(data + 4, cpuu_mapi_uid_oneoff, 16) != 0)
		return cpuu_error_set(CPUU_EINVALID, "one-off entry ID: provider UID is not the one-off UID");
	out->flags = cpuu_le32(data);
	out->bitmask = cpuu_le32(data + 20);
	if ((out->bitmask & 0xFFFFu) != 0) {
		int rc = cpuu_error_set(CPUU_EINVALID, "one-off entry ID: version %u, want 0",
					(unsigned)(out->bitmask & 0xFFFFu));
		memset(out, 0, sizeof *out);
		return rc;
	}
	int wide = (out->bitmask & CPUU_ONEOFF_UNICODE) != 0;
	size_t pos = OO_HEADER;
	int rc = take(&out->display_name, data, len, &pos, wide, "display name");
	if (rc == CPUU_OK)
		rc = take(&out->address_type, data, len, &pos, wide, "address type");
	if (rc == CPUU_OK)
		rc = take(&out->address, data, len, &pos, wide, "address");
	if (rc == CPUU_OK && pos != len)
		rc = cpuu_error_set(CPUU_EINVALID, "one-off entry ID: %zu bytes after the address", len - pos);
	/* Strict: only what the builder gives back byte for byte (8-bit strings
	 * whose Windows-1252 reading does not round-trip are refused). */
	if (rc == CPUU_OK) {
		uint8_t *again = NULL;
		size_t al = 0;
		rc = cpuu_oneoff_eid_build(&again, &al, out);
		if (rc == CPUU_OK && (al != len || memcmp(again, data, len) != 0))
			rc = cpuu_error_set(CPUU_EINVALID, "one-off entry ID: strings do not round-trip");
		cpuu_free(again);
	}
	if (rc < 0)
		cpuu_oneoff_eid_clear(out);
	return rc;
}

static int put(cpuu_buf *b, const char *s, int wide)
{
	uint8_t *enc = NULL;
	size_t el = 0;
	int rc = wide ? cpuu_utf8_to_utf16le(&enc, &el, s ? s : "", 1) : cpuu_utf8_to_cp1252(&enc, &el, s ? s : "", 1);
	if (rc < 0)
		return rc;
	cpuu_buf_append(b, enc, el);
	cpuu_free(enc);
	return CPUU_OK;
}

int cpuu_oneoff_eid_build(uint8_t **out, size_t *out_len, const cpuu_oneoff_eid *eid)
{
	*out = NULL;
	*out_len = 0;
	if (!eid || (eid->bitmask & 0xFFFFu))
		return cpuu_error_set(CPUU_EINVALID, "one-off entry ID: version must be 0");
	cpuu_buf b = { 0 };
	uint8_t hdr[OO_HEADER];
	cpuu_put_le32(hdr, eid->flags);
	memcpy(hdr + 4, cpuu_mapi_uid_oneoff, 16);
	cpuu_put_le32(hdr + 20, eid->bitmask);
	cpuu_buf_append(&b, hdr, sizeof hdr);
	int wide = (eid->bitmask & CPUU_ONEOFF_UNICODE) != 0;
	int rc = put(&b, eid->display_name, wide);
	if (rc == CPUU_OK)
		rc = put(&b, eid->address_type, wide);
	if (rc == CPUU_OK)
		rc = put(&b, eid->address, wide);
	if (rc < 0) {
		cpuu_buf_dispose(&b);
		return cpuu_error_prefix("one-off entry ID");
	}
	size_t n = 0;
	char *p = cpuu_buf_detach(&b, &n);
	if (!p)
		return cpuu_error_oom();
	*out = (uint8_t *)p;
	*out_len = n;
	return CPUU_OK;
}
