/* MAPI property codec for profile registry values (see docs/profile-format.md).
 *
 * A profile section value's name is "%04x%04x" of (type, id), e.g. "001e6602";
 * names match case-insensitively and are written back as found. An "S" prefix
 * marks a DPAPI-encrypted secure property that must never be touched offline.
 * The data is REG_BINARY in the property's own encoding, except PT_STRING8,
 * which may also be REG_SZ (then UTF-16LE in the registry). */
#ifndef CPUU_MAPI_H
#define CPUU_MAPI_H

#include "cpuu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cpuu_mapi_type {
	CPUU_PT_UNSPECIFIED = 0x0000,
	CPUU_PT_NULL = 0x0001,
	CPUU_PT_SHORT = 0x0002,
	CPUU_PT_LONG = 0x0003,
	CPUU_PT_FLOAT = 0x0004,
	CPUU_PT_DOUBLE = 0x0005,
	CPUU_PT_CURRENCY = 0x0006,
	CPUU_PT_APPTIME = 0x0007,
	CPUU_PT_ERROR = 0x000A,
	CPUU_PT_BOOLEAN = 0x000B,
	CPUU_PT_OBJECT = 0x000D,
	CPUU_PT_I8 = 0x0014,
	CPUU_PT_STRING8 = 0x001E,
	CPUU_PT_UNICODE = 0x001F,
	CPUU_PT_SYSTIME = 0x0040,
	CPUU_PT_CLSID = 0x0048,
	CPUU_PT_BINARY = 0x0102,
	CPUU_PT_MV_FLAG = 0x1000,
	CPUU_PT_MV_SHORT = 0x1002,
	CPUU_PT_MV_LONG = 0x1003,
	CPUU_PT_MV_I8 = 0x1014,
	CPUU_PT_MV_STRING8 = 0x101E,
	CPUU_PT_MV_UNICODE = 0x101F,
	CPUU_PT_MV_SYSTIME = 0x1040,
	CPUU_PT_MV_CLSID = 0x1048,
	CPUU_PT_MV_BINARY = 0x1102
};

/* Registry value types the codec reads and writes (same numbers as the
 * registry's REG_SZ, REG_BINARY and REG_DWORD). */
#define CPUU_MAPI_REG_SZ 1u
#define CPUU_MAPI_REG_BINARY 3u
#define CPUU_MAPI_REG_DWORD 4u

#define CPUU_PROP_TAG(type, id) (((uint32_t)(id) << 16) | (uint32_t)(type))
#define CPUU_PROP_TYPE(tag) ((uint16_t)((tag) & 0xFFFFu))
#define CPUU_PROP_ID(tag) ((uint16_t)((tag) >> 16))

/* Parses a registry value name: exactly 8 hex digits (either case), "%04x%04x"
 * of (type, id), optionally prefixed by "S" (or "s": registry names are
 * case-insensitive) for a secure property. Returns CPUU_EINVALID for names
 * that are not MAPI tags (e.g. account-manager values); *secure is set for "S"
 * names. secure may be NULL. */
int cpuu_mapi_tag_parse(uint32_t *tag, int *secure, const char *value_name);
/* Formats "%04x%04x" (uppercase hex if upper) into out[10]. */
void cpuu_mapi_tag_format(char out[10], uint32_t tag, int upper);
/* Known name for a tag ("PR_PROFILE_HOME_SERVER") or NULL. String properties
 * have one name for both PT_STRING8 and PT_UNICODE (likewise their MV forms). */
const char *cpuu_mapi_tag_name(uint32_t tag);
/* Short name of a property type ("PT_LONG", "PT_MV_UNICODE") or NULL. */
const char *cpuu_mapi_type_name(uint16_t type);

/* A decoded property value. Strings are UTF-8. */
typedef struct cpuu_mapi_bin {
	uint8_t *data;
	size_t len;
} cpuu_mapi_bin;

typedef struct cpuu_mapi_value {
	uint32_t tag;
	union {
		int16_t i16;     /* PT_SHORT */
		int32_t l;       /* PT_LONG, PT_ERROR */
		int64_t i8;      /* PT_I8, PT_CURRENCY */
		uint64_t ft;     /* PT_SYSTIME (FILETIME) */
		double dbl;      /* PT_DOUBLE, PT_APPTIME, PT_FLOAT */
		int b;           /* PT_BOOLEAN: 0 or 1 (other stored values are refused) */
		char *str;       /* PT_STRING8, PT_UNICODE (UTF-8) */
		cpuu_mapi_bin bin; /* PT_BINARY, PT_CLSID (16 bytes), unknown types */
		struct {
			size_t count;
			union {
				int16_t *i16;
				int32_t *l;
				int64_t *i8;     /* PT_MV_I8, PT_MV_SYSTIME */
				char **str;
				cpuu_mapi_bin *bin; /* PT_MV_BINARY, PT_MV_CLSID */
			} v;
		} mv;            /* PT_MV_* */
	} u;
	/* PT_BOOLEAN width as found (2 or 4); 0 means 2, MFCMAPI's choice when it
	 * writes. Other types ignore it. */
	uint8_t bool_width;
} cpuu_mapi_value;

/* Decodes registry data of the given registry type (CPUU_MAPI_REG_BINARY;
 * CPUU_MAPI_REG_SZ for PT_STRING8 and PT_UNICODE; CPUU_MAPI_REG_DWORD for
 * PT_LONG) for a tag. Strict: wrong length for the type, odd-length UTF-16,
 * missing or embedded terminators, counts or offsets outside the data,
 * overlapping items give CPUU_EINVALID with a message naming the problem.
 * Unknown types (and PT_NULL, PT_OBJECT, PT_UNSPECIFIED) decode as binary.
 * The layouts are in docs/profile-format.md. On error *out is zeroed. */
int cpuu_mapi_value_decode(cpuu_mapi_value *out, uint32_t tag, uint32_t reg_type,
			   const uint8_t *data, size_t len);
/* Encodes for the registry. reg_type is the type to write: the type found when
 * the value was read (REG_SZ for string types, REG_DWORD for PT_LONG, else
 * REG_BINARY). For data decode accepted in canonical layout,
 * encode(decode(bytes)) == bytes. Text that has no Windows-1252 form in a
 * PT_STRING8 REG_BINARY value is CPUU_EINVALID. */
int cpuu_mapi_value_encode(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v, uint32_t reg_type);
void cpuu_mapi_value_clear(cpuu_mapi_value *v);
/* Human-readable one-line rendering (for inspect/debug), e.g.
 * `PT_LONG 1281 (0x00000501)`, `PT_UNICODE "x"`, `PT_BINARY 3 bytes 0a0b0c`;
 * long binaries are cut after 64 bytes with "...". */
int cpuu_mapi_value_format(char **out, const cpuu_mapi_value *v);

/* --- Entry IDs (MS-OXCDATA 2.2.4.3 store EIDs; 2.2.5.2 address-book EIDs) ---
 * Layouts and sources: docs/profile-format.md. Parsing is strict (anything it
 * could not rebuild byte for byte is CPUU_EINVALID), so build(parse(x)) == x;
 * the one exception is "EMSMDB.DLL", matched case-insensitively and always
 * written uppercase as MS-OXCDATA gives it. 8-bit strings are Windows-1252. */

/* Raw 16-byte UIDs. */
extern const uint8_t cpuu_mapi_uid_store_wrap[16];  /* 38a1bb1005e5101aa1bb08002b2a56c2 */
extern const uint8_t cpuu_mapi_uid_private_mdb[16]; /* 1b55fa20aa6611cd9bc800aa002fc45a */
extern const uint8_t cpuu_mapi_uid_public_mdb[16];  /* 1c830210aa6611cd9bc800aa002fc45a */
extern const uint8_t cpuu_mapi_uid_emsab[16];       /* dca740c8c042101ab4b908002b2fe182 */
#define CPUU_STORE_EID_PRIVATE 0x0Cu /* wrapped type: OPENSTORE_HOME_LOGON | TAKE_OWNERSHIP */
#define CPUU_STORE_EID_PUBLIC 0x06u  /* wrapped type: OPENSTORE_PUBLIC | HOME_LOGON */

typedef struct cpuu_store_eid {
	uint32_t flags;
	uint8_t wrapped_provider[16]; /* private / public / delegate MDB provider UID */
	uint32_t wrapped_type;        /* 0x0C private home, 0x06 public, ... */
	char *server;                 /* ServerShortname (ASCII) */
	char *mailbox_dn;             /* may be NULL (public stores only) */
	char *server_dn;              /* V2 block, or NULL */
	char *server_fqdn;            /* V2 block (UTF-16 in the EID), or NULL */
	char *smtp;                   /* V3 block (UTF-16 in the EID), or NULL;
	                               * an EID has a V2 or a V3 block, not both */
} cpuu_store_eid;

int cpuu_store_eid_parse(cpuu_store_eid *out, const uint8_t *data, size_t len);
int cpuu_store_eid_build(uint8_t **out, size_t *out_len, const cpuu_store_eid *eid);
void cpuu_store_eid_clear(cpuu_store_eid *eid);

typedef struct cpuu_ab_eid {
	uint32_t flags;
	uint32_t version;     /* 1 (other values are kept as found) */
	uint32_t display_type;/* 0 = DT_MAILUSER */
	char *x500_dn;
} cpuu_ab_eid;

int cpuu_ab_eid_parse(cpuu_ab_eid *out, const uint8_t *data, size_t len);
int cpuu_ab_eid_build(uint8_t **out, size_t *out_len, const cpuu_ab_eid *eid);
void cpuu_ab_eid_clear(cpuu_ab_eid *eid);

/* One-off entry IDs (MS-OXCDATA 2.2.5.1): a recipient by address alone. The
 * 4 bytes after the provider UID are one little-endian DWORD, as MFCMAPI
 * reads them: version 0 in the low word, flags in the high word. Strings are
 * UTF-16LE when CPUU_ONEOFF_UNICODE is set, else Windows-1252. Strict:
 * build(parse(x)) == x. */
extern const uint8_t cpuu_mapi_uid_oneoff[16];      /* 812b1fa4bea310199d6e00dd010f5402 */
#define CPUU_ONEOFF_UNICODE 0x80000000u             /* MAPI_UNICODE */
#define CPUU_ONEOFF_NO_RICH_INFO 0x00010000u        /* MAPI_SEND_NO_RICH_INFO */

typedef struct cpuu_oneoff_eid {
	uint32_t flags;   /* abFlags */
	uint32_t bitmask; /* version and flags, as found */
	char *display_name;
	char *address_type; /* "SMTP", "EX", ... */
	char *address;
} cpuu_oneoff_eid;

int cpuu_oneoff_eid_parse(cpuu_oneoff_eid *out, const uint8_t *data, size_t len);
int cpuu_oneoff_eid_build(uint8_t **out, size_t *out_len, const cpuu_oneoff_eid *eid);
void cpuu_oneoff_eid_clear(cpuu_oneoff_eid *eid);

/* --- Readable decoding for people and tests (cpuu decode; docs/decode.md) --- */
typedef enum cpuu_decode_format {
	CPUU_DECODE_TEXT, /* indented "name = value" lines */
	CPUU_DECODE_JSON  /* one JSON value, then a newline */
} cpuu_decode_format;

/* One entry ID of any kind: store (EMSMDB), ab (Exchange address book),
 * oneoff, contab (Outlook Address Book), else "unknown" with the provider UID
 * and the bytes in hex. Fields and names: docs/decode.md. An entry ID that
 * names a known provider but does not parse is CPUU_EINVALID. */
int cpuu_mapi_decode_entryid(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt);
/* A FLATENTRYLIST (MS-OXCDATA 2.3.3): a JSON array of entry IDs. */
int cpuu_mapi_decode_entrylist(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt);
/* A property stream as MFCMAPI's PROPERTIES view reads it (tag, then the
 * value; strings and binaries with a 16-bit byte count): a JSON array. */
int cpuu_mapi_decode_props(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt);

#ifdef __cplusplus
}
#endif
#endif
