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

#define CPUU_PROP_TAG(type, id) (((uint32_t)(id) << 16) | (uint32_t)(type))
#define CPUU_PROP_TYPE(tag) ((uint16_t)((tag) & 0xFFFFu))
#define CPUU_PROP_ID(tag) ((uint16_t)((tag) >> 16))

/* Parses a registry value name. Returns CPUU_EINVALID for names that are not
 * MAPI tags (e.g. account-manager values); *secure is set for "S" names. */
int cpuu_mapi_tag_parse(uint32_t *tag, int *secure, const char *value_name);
/* Formats "%04x%04x" (uppercase hex if upper) into out[10]. */
void cpuu_mapi_tag_format(char out[10], uint32_t tag, int upper);
/* Known name for a tag ("PR_PROFILE_HOME_SERVER") or NULL. */
const char *cpuu_mapi_tag_name(uint32_t tag);

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
		int b;           /* PT_BOOLEAN */
		char *str;       /* PT_STRING8, PT_UNICODE (UTF-8) */
		cpuu_mapi_bin bin; /* PT_BINARY, PT_CLSID (16 bytes), unknown types */
		struct {
			size_t count;
			union {
				int16_t *i16;
				int32_t *l;
				int64_t *i8;
				char **str;
				cpuu_mapi_bin *bin;
			} v;
		} mv;            /* PT_MV_* */
	} u;
} cpuu_mapi_value;

/* Decodes registry data of the given registry type (REG_BINARY, or REG_SZ for
 * PT_STRING8) for a tag. Strict: wrong length for the type, odd-length UTF-16,
 * missing terminators, counts or offsets outside the data give CPUU_EINVALID
 * with a message naming the problem. Unknown types decode as binary. */
int cpuu_mapi_value_decode(cpuu_mapi_value *out, uint32_t tag, uint32_t reg_type,
			   const uint8_t *data, size_t len);
/* Encodes for the registry. reg_type is the type to write (REG_SZ is allowed
 * only for PT_STRING8; otherwise REG_BINARY). */
int cpuu_mapi_value_encode(uint8_t **out, size_t *out_len, const cpuu_mapi_value *v, uint32_t reg_type);
void cpuu_mapi_value_clear(cpuu_mapi_value *v);
/* Human-readable one-line rendering (for inspect/debug). */
int cpuu_mapi_value_format(char **out, const cpuu_mapi_value *v);

/* --- Entry IDs (MS-OXCDATA 2.2.4.3 store EIDs; 2.2.5.2 address-book EIDs) --- */

typedef struct cpuu_store_eid {
	uint32_t flags;
	uint8_t wrapped_provider[16]; /* private / public / delegate MDB provider UID */
	uint32_t wrapped_type;        /* 0x0C private home, 0x06 public, ... */
	char *server;                 /* ServerShortname (ASCII) */
	char *mailbox_dn;             /* may be NULL (public stores) */
	char *server_dn;              /* V2 block, or NULL */
	char *server_fqdn;            /* V2 block (UTF-16 in the EID), or NULL */
	char *smtp;                   /* V3 block (UTF-16 in the EID), or NULL */
} cpuu_store_eid;

int cpuu_store_eid_parse(cpuu_store_eid *out, const uint8_t *data, size_t len);
int cpuu_store_eid_build(uint8_t **out, size_t *out_len, const cpuu_store_eid *eid);
void cpuu_store_eid_clear(cpuu_store_eid *eid);

typedef struct cpuu_ab_eid {
	uint32_t flags;
	uint32_t version;     /* 1 */
	uint32_t display_type;/* 0 = DT_MAILUSER */
	char *x500_dn;
} cpuu_ab_eid;

int cpuu_ab_eid_parse(cpuu_ab_eid *out, const uint8_t *data, size_t len);
int cpuu_ab_eid_build(uint8_t **out, size_t *out_len, const cpuu_ab_eid *eid);
void cpuu_ab_eid_clear(cpuu_ab_eid *eid);

#ifdef __cplusplus
}
#endif
#endif
