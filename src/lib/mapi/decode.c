/* Readable views of entry IDs, flat entry lists and property streams for
 * cpuu decode (docs/decode.md). Everything goes through the strict parsers
 * the switch itself uses, so what decode shows is what cpuu understands. */
#include "mapi/internal.h"
#include "cpuu/unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t uid_contab[16] = { 0xFE, 0x42, 0xAA, 0x0A, 0x18, 0xC7, 0x1A, 0x10,
					0xE8, 0x85, 0x0B, 0x65, 0x1C, 0x24, 0x00, 0x00 };
#define CONTAB_CONTAINER 3u

/* What every entry ID object starts with: its kind, abFlags and provider UID. */
static void emit_head(mapi_emit *e, const char *kind, const uint8_t *d)
{
	mapi_emit_str(e, "kind", kind);
	mapi_emit_uint(e, "flags", cpuu_le32(d));
	mapi_emit_hex(e, "provider_uid", d + 4, 16);
}

static int emit_store(mapi_emit *e, const uint8_t *d, size_t len)
{
	cpuu_store_eid s;
	int rc = cpuu_store_eid_parse(&s, d, len);
	if (rc < 0)
		return rc;
	emit_head(e, "store", d);
	mapi_emit_str(e, "dll", "EMSMDB.DLL");
	mapi_emit_hex(e, "wrapped_provider_uid", s.wrapped_provider, 16);
	mapi_emit_str(e, "wrapped_store",
		      !memcmp(s.wrapped_provider, cpuu_mapi_uid_private_mdb, 16)  ? "private"
		      : !memcmp(s.wrapped_provider, cpuu_mapi_uid_public_mdb, 16) ? "public"
										   : "other");
	mapi_emit_uint(e, "wrapped_type", s.wrapped_type);
	mapi_emit_str(e, "server", s.server);
	mapi_emit_str(e, "mailbox_dn", s.mailbox_dn);
	if (s.server_dn || s.server_fqdn) {
		mapi_emit_open(e, "v2", 0);
		mapi_emit_str(e, "dn", s.server_dn);
		mapi_emit_str(e, "fqdn", s.server_fqdn);
		mapi_emit_close(e);
	}
	if (s.smtp) {
		mapi_emit_open(e, "v3", 0);
		mapi_emit_str(e, "smtp", s.smtp);
		mapi_emit_close(e);
	}
	cpuu_store_eid_clear(&s);
	return CPUU_OK;
}

static int emit_ab(mapi_emit *e, const uint8_t *d, size_t len)
{
	cpuu_ab_eid a;
	int rc = cpuu_ab_eid_parse(&a, d, len);
	if (rc < 0)
		return rc;
	emit_head(e, "ab", d);
	mapi_emit_uint(e, "version", a.version);
	mapi_emit_uint(e, "display_type", a.display_type);
	mapi_emit_str(e, "x500_dn", a.x500_dn);
	cpuu_ab_eid_clear(&a);
	return CPUU_OK;
}

static int emit_oneoff(mapi_emit *e, const uint8_t *d, size_t len)
{
	cpuu_oneoff_eid o;
	int rc = cpuu_oneoff_eid_parse(&o, d, len);
	if (rc < 0)
		return rc;
	emit_head(e, "oneoff", d);
	mapi_emit_uint(e, "bitmask", o.bitmask);
	mapi_emit_bool(e, "unicode", (o.bitmask & CPUU_ONEOFF_UNICODE) != 0);
	mapi_emit_str(e, "display_name", o.display_name);
	mapi_emit_str(e, "address_type", o.address_type);
	mapi_emit_str(e, "address", o.address);
	cpuu_oneoff_eid_clear(&o);
	return CPUU_OK;
}

/* Outlook Address Book (contab.dll) entry IDs, laid out as MFCMAPI's
 * EntryIdStruct reads them: version 3, type, then for a container its UID
 * and the folder's entry ID (the rest), for a user or list the e-mail index
 * and a counted entry ID of the contact; bytes after it are shown, not
 * interpreted. */
static int emit_contab(mapi_emit *e, const uint8_t *d, size_t len)
{
	if (len < 28)
		return cpuu_error_set(CPUU_EINVALID, "contab entry ID: %zu bytes, want at least 28", len);
	uint32_t version = cpuu_le32(d + 20), type = cpuu_le32(d + 24);
	size_t pos = 28, inner;
	/* Every length is checked before anything is written. */
	if (type == CONTAB_CONTAINER) {
		if (len < pos + 16)
			return cpuu_error_set(CPUU_EINVALID, "contab entry ID: container UID truncated");
		inner = len - pos - 16;
	} else {
		if (len < pos + 8)
			return cpuu_error_set(CPUU_EINVALID, "contab entry ID: index and count truncated");
		inner = cpuu_le32(d + pos + 4);
		if (inner > len - pos - 8)
			return cpuu_error_set(CPUU_EINVALID, "contab entry ID: inner entry ID of %zu bytes, %zu remain",
					      inner, len - pos - 8);
	}
	emit_head(e, "contab", d);
	mapi_emit_uint(e, "version", version);
	mapi_emit_uint(e, "type", type);
	if (type == CONTAB_CONTAINER) {
		mapi_emit_hex(e, "container_uid", d + pos, 16);
		pos += 16;
	} else {
		mapi_emit_uint(e, "index", cpuu_le32(d + pos));
		pos += 8;
	}
	int rc = mapi_emit_entryid(e, "entryid", d + pos, inner, 0);
	if (rc < 0)
		return rc;
	if (pos + inner < len)
		mapi_emit_hex(e, "trailing", d + pos + inner, len - pos - inner);
	return CPUU_OK;
}

int mapi_emit_entryid(mapi_emit *e, const char *key, const uint8_t *data, size_t len, int soft)
{
	/* abFlags and a provider UID at least (MS-OXCDATA 2.2.4). */
	if (len < 20)
		return cpuu_error_set(CPUU_EINVALID, "entry ID of %zu bytes: shorter than flags and provider UID (20)", len);
	mapi_emit_open(e, key, 0);
	int rc = CPUU_OK;
	if (len >= 22 && !memcmp(data + 4, cpuu_mapi_uid_store_wrap, 16)) {
		/* The DLL name decides the layout after it (MS-OXCDATA 2.2.4.3). */
		size_t dl = cpuu_mapi_strnlen8(data, len, 22);
		char dll[16] = "";
		if (dl != (size_t)-1 && dl < sizeof dll)
			memcpy(dll, data + 22, dl + 1);
		if (!cpuu_strcasecmp_ascii(dll, "EMSMDB.DLL")) {
			rc = emit_store(e, data, len);
		} else {
			emit_head(e, "store", data);
			mapi_emit_str(e, "dll", dl == (size_t)-1 || dl >= sizeof dll ? NULL : dll);
			mapi_emit_hex(e, "bytes", data, len);
		}
	} else if (len >= 20 && !memcmp(data + 4, cpuu_mapi_uid_emsab, 16)) {
		rc = emit_ab(e, data, len);
	} else if (len >= 20 && !memcmp(data + 4, cpuu_mapi_uid_oneoff, 16)) {
		rc = emit_oneoff(e, data, len);
	} else if (len >= 20 && !memcmp(data + 4, uid_contab, 16)) {
		rc = emit_contab(e, data, len);
	} else {
		/* Folder, message, PST store and other providers' entry IDs: cpuu
		 * never rewrites them, so it shows them without interpreting. */
		emit_head(e, "unknown", data);
		mapi_emit_hex(e, "bytes", data, len);
	}
	if (rc < 0 && soft) {
		/* Inside a row or a contab wrapper: shown as not understood. */
		mapi_emit_str(e, "kind", "invalid");
		mapi_emit_str(e, "error", cpuu_error_last()->message);
		mapi_emit_hex(e, "bytes", data, len);
		cpuu_error_clear();
		rc = CPUU_OK;
	}
	if (rc == CPUU_OK)
		mapi_emit_close(e);
	return rc;
}

int cpuu_mapi_decode_entryid(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt)
{
	*out = NULL;
	mapi_emit e;
	mapi_emit_init(&e, fmt);
	int rc = mapi_emit_entryid(&e, NULL, data, len, 0);
	if (rc < 0) {
		mapi_emit_dispose(&e);
		return rc;
	}
	return mapi_emit_finish(out, &e);
}

/* FLATENTRYLIST: cEntries, cbEntries, then per entry a 4-byte size, the
 * bytes and padding to a multiple of 4 (the last entry's padding may be
 * absent). cbEntries must cover exactly what follows. */
int cpuu_mapi_decode_entrylist(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt)
{
	*out = NULL;
	if (len < 8)
		return cpuu_error_set(CPUU_EINVALID, "flat entry list: %zu bytes, want at least 8", len);
	uint32_t count = cpuu_le32(data), cb = cpuu_le32(data + 4);
	if (cb != len - 8)
		return cpuu_error_set(CPUU_EINVALID, "flat entry list: cbEntries %u, but %zu bytes follow",
				      (unsigned)cb, len - 8);
	mapi_emit e;
	mapi_emit_init(&e, fmt);
	mapi_emit_open(&e, NULL, 1);
	size_t pos = 8;
	int rc = CPUU_OK;
	for (uint32_t i = 0; i < count && rc == CPUU_OK; i++) {
		if (len - pos < 4) {
			rc = cpuu_error_set(CPUU_EINVALID, "flat entry list: entry %u: size truncated", (unsigned)i);
			break;
		}
		size_t n = cpuu_le32(data + pos);
		pos += 4;
		if (n > len - pos) {
			rc = cpuu_error_set(CPUU_EINVALID, "flat entry list: entry %u of %zu bytes, %zu remain",
					    (unsigned)i, n, len - pos);
			break;
		}
		if ((rc = mapi_emit_entryid(&e, NULL, data + pos, n, 0)) < 0) {
			cpuu_error_prefix("flat entry list: entry %u", (unsigned)i);
			break;
		}
		pos += n;
		size_t pad = (4 - n % 4) % 4;
		if (i + 1 < count || pos + pad <= len)
			pos += pad;
	}
	if (rc == CPUU_OK && pos != len)
		rc = cpuu_error_set(CPUU_EINVALID, "flat entry list: %zu bytes after %u entries", len - pos,
				    (unsigned)count);
	if (rc < 0) {
		mapi_emit_dispose(&e);
		return rc;
	}
	return mapi_emit_finish(out, &e);
}

void mapi_emit_tag(mapi_emit *e, uint32_t tag)
{
	char hex[16];
	snprintf(hex, sizeof hex, "0x%08X", (unsigned)tag);
	mapi_emit_str(e, "tag", hex);
	const char *name = cpuu_mapi_tag_name(tag);
	if (name)
		mapi_emit_str(e, "name", name);
	const char *type = cpuu_mapi_type_name(CPUU_PROP_TYPE(tag));
	mapi_emit_str(e, "type", type ? type : "unknown");
}

/* Static value sizes of the PROPERTIES layout; 0 = counted, -1 = unknown. */
static int fixed_size(uint16_t type)
{
	switch (type) {
	case CPUU_PT_SHORT: case CPUU_PT_BOOLEAN: return 2;
	case CPUU_PT_LONG: case CPUU_PT_FLOAT: case CPUU_PT_ERROR: return 4;
	case CPUU_PT_DOUBLE: case CPUU_PT_APPTIME: case CPUU_PT_CURRENCY: case CPUU_PT_I8: case CPUU_PT_SYSTIME:
		return 8;
	case CPUU_PT_CLSID: return 16;
	case CPUU_PT_STRING8: case CPUU_PT_UNICODE: case CPUU_PT_BINARY: return 0;
	default: return -1;
	}
}

static int emit_prop_value(mapi_emit *e, uint16_t type, const uint8_t *v, size_t n)
{
	char *s = NULL;
	int rc = CPUU_OK;
	switch (type) {
	case CPUU_PT_SHORT: mapi_emit_int(e, "value", (int16_t)cpuu_le16(v)); break;
	case CPUU_PT_BOOLEAN: mapi_emit_bool(e, "value", cpuu_le16(v) != 0); break;
	case CPUU_PT_LONG: mapi_emit_int(e, "value", (int32_t)cpuu_le32(v)); break;
	case CPUU_PT_ERROR: mapi_emit_uint(e, "value", cpuu_le32(v)); break;
	case CPUU_PT_I8: case CPUU_PT_CURRENCY: mapi_emit_int(e, "value", (int64_t)cpuu_le64(v)); break;
	case CPUU_PT_SYSTIME: mapi_emit_uint(e, "value", cpuu_le64(v)); break;
	case CPUU_PT_UNICODE:
		if (n % 2)
			return cpuu_error_set(CPUU_EINVALID, "odd UTF-16 byte count %zu", n);
		/* Terminator optional in the count, as MFCMAPI shows both. */
		rc = cpuu_utf16le_to_utf8(&s, NULL, v, n >= 2 && !v[n - 1] && !v[n - 2] ? n - 2 : n, 0);
		if (rc == CPUU_OK)
			mapi_emit_str(e, "value", s);
		break;
	case CPUU_PT_STRING8:
		rc = cpuu_cp1252_to_utf8(&s, NULL, v, n && !v[n - 1] ? n - 1 : n);
		if (rc == CPUU_OK)
			mapi_emit_str(e, "value", s);
		break;
	default: mapi_emit_hex(e, "value", v, n); break;
	}
	free(s);
	return rc;
}

/* A multi-valued property as MFCMAPI's PROPERTIES parser reads it: a 16-bit
 * value count, then each value, strings and binaries with a 32-bit byte
 * count (unlike the 16-bit count of a single value). */
static int emit_mv(mapi_emit *e, uint32_t tag, const uint8_t *data, size_t len, size_t *pos)
{
	uint16_t type = CPUU_PROP_TYPE(tag) & (uint16_t)~CPUU_PT_MV_FLAG;
	int fs = fixed_size(type);
	if (fs < 0)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "tag 0x%08X: multi-valued type 0x%04X has no known size",
				      (unsigned)tag, CPUU_PROP_TYPE(tag));
	if (len - *pos < 2)
		return cpuu_error_set(CPUU_EINVALID, "tag 0x%08X: value count truncated", (unsigned)tag);
	size_t count = cpuu_le16(data + *pos);
	*pos += 2;
	mapi_emit_open(e, NULL, 0);
	mapi_emit_tag(e, tag);
	mapi_emit_open(e, "values", 1);
	for (size_t k = 0; k < count; k++) {
		size_t n = (size_t)fs;
		if (fs == 0) {
			if (len - *pos < 4)
				return cpuu_error_set(CPUU_EINVALID, "tag 0x%08X: value %zu: count truncated", (unsigned)tag, k);
			n = cpuu_le32(data + *pos);
			*pos += 4;
		}
		if (n > len - *pos)
			return cpuu_error_set(CPUU_EINVALID, "tag 0x%08X: value %zu of %zu bytes, %zu remain", (unsigned)tag, k,
					      n, len - *pos);
		mapi_emit_open(e, NULL, 0);
		int rc = emit_prop_value(e, type, data + *pos, n);
		if (rc < 0)
			return cpuu_error_prefix("tag 0x%08X: value %zu", (unsigned)tag, k);
		if (type == CPUU_PT_BINARY && (rc = mapi_emit_entryid(e, "entryid", data + *pos, n, 1)) < 0)
			return rc;
		mapi_emit_close(e);
		*pos += n;
	}
	mapi_emit_close(e);
	mapi_emit_close(e);
	return CPUU_OK;
}

int cpuu_mapi_decode_props(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt)
{
	*out = NULL;
	mapi_emit e;
	mapi_emit_init(&e, fmt);
	mapi_emit_open(&e, NULL, 1);
	size_t pos = 0;
	int rc = CPUU_OK;
	for (size_t i = 0; pos < len && rc == CPUU_OK; i++) {
		if (len - pos < 4) {
			rc = cpuu_error_set(CPUU_EINVALID, "property %zu: tag truncated at byte offset %zu", i, pos);
			break;
		}
		uint32_t tag = cpuu_le32(data + pos);
		pos += 4;
		uint16_t type = CPUU_PROP_TYPE(tag);
		if (type & CPUU_PT_MV_FLAG) {
			if ((rc = emit_mv(&e, tag, data, len, &pos)) < 0)
				break;
			continue;
		}
		int fs = fixed_size(type);
		size_t n;
		if (fs < 0) {
			rc = cpuu_error_set(CPUU_EUNSUPPORTED, "property %zu: tag 0x%08X: type 0x%04X has no known size",
					    i, (unsigned)tag, type);
			break;
		}
		if (fs == 0) {
			if (len - pos < 2) {
				rc = cpuu_error_set(CPUU_EINVALID, "property %zu: count truncated", i);
				break;
			}
			n = cpuu_le16(data + pos);
			pos += 2;
		} else {
			n = (size_t)fs;
		}
		if (n > len - pos) {
			rc = cpuu_error_set(CPUU_EINVALID, "property %zu: tag 0x%08X: %zu value bytes, %zu remain", i,
					    (unsigned)tag, n, len - pos);
			break;
		}
		mapi_emit_open(&e, NULL, 0);
		mapi_emit_tag(&e, tag);
		if ((rc = emit_prop_value(&e, type, data + pos, n)) < 0) {
			cpuu_error_prefix("property %zu: tag 0x%08X", i, (unsigned)tag);
			break;
		}
		if (type == CPUU_PT_BINARY && (tag == 0x0FFF0102u || tag == 0x5FF70102u || tag == 0x0FF90102u) &&
		    (rc = mapi_emit_entryid(&e, "entryid", data + pos, n, 1)) < 0)
			break;
		mapi_emit_close(&e);
		pos += n;
	}
	if (rc < 0) {
		mapi_emit_dispose(&e);
		return rc;
	}
	return mapi_emit_finish(out, &e);
}
