/* Names of the properties found in Outlook profiles and autocomplete streams
 * (sources: ../shared/reference/outlook-profile.md §2 and §5, which cite
 * edkmdb.h, MFCMAPI and Microsoft's property pages). */
#include "mapi/internal.h"

#include <stddef.h>

struct tagname {
	uint32_t tag; /* string properties are listed with PT_STRING8 / PT_MV_STRING8 */
	const char *name;
};

#define L(id) CPUU_PROP_TAG(CPUU_PT_LONG, id)
#define S(id) CPUU_PROP_TAG(CPUU_PT_STRING8, id)
#define B(id) CPUU_PROP_TAG(CPUU_PT_BINARY, id)
#define BOOL(id) CPUU_PROP_TAG(CPUU_PT_BOOLEAN, id)
#define MVS(id) CPUU_PROP_TAG(CPUU_PT_MV_STRING8, id)
#define MVB(id) CPUU_PROP_TAG(CPUU_PT_MV_BINARY, id)

static const struct tagname names[] = {
	/* Generic object and recipient properties. */
	{ B(0x0FF9), "PR_RECORD_KEY" },
	{ B(0x0FFB), "PR_STORE_ENTRYID" },
	{ L(0x0FFE), "PR_OBJECT_TYPE" },
	{ B(0x0FFF), "PR_ENTRYID" },
	{ L(0x0C15), "PR_RECIPIENT_TYPE" },
	{ S(0x3001), "PR_DISPLAY_NAME" },
	{ S(0x3002), "PR_ADDRTYPE" },
	{ S(0x3003), "PR_EMAIL_ADDRESS" },
	{ B(0x300B), "PR_SEARCH_KEY" },
	{ L(0x3900), "PR_DISPLAY_TYPE" },
	{ L(0x3905), "PR_DISPLAY_TYPE_EX" },
	{ S(0x3A00), "PR_ACCOUNT" },
	{ S(0x39FE), "PR_SMTP_ADDRESS" },
	/* Providers and services. */
	{ S(0x3006), "PR_PROVIDER_DISPLAY" },
	{ L(0x3009), "PR_RESOURCE_FLAGS" },
	{ S(0x300A), "PR_PROVIDER_DLL_NAME" },
	{ B(0x300C), "PR_PROVIDER_UID" },
	{ B(0x3414), "PR_MDB_PROVIDER" },
	{ L(0x3E03), "PR_RESOURCE_TYPE" },
	{ B(0x3D00), "PR_STORE_PROVIDERS" },
	{ B(0x3D01), "PR_AB_PROVIDERS" },
	{ B(0x3D02), "PR_TRANSPORT_PROVIDERS" },
	{ MVB(0x3D05), "PR_AB_SEARCH_PATH" },
	{ B(0x3D06), "PR_AB_DEFAULT_DIR" },
	{ S(0x3D09), "PR_SERVICE_NAME" },
	{ S(0x3D0A), "PR_SERVICE_DLL_NAME" },
	{ S(0x3D0B), "PR_SERVICE_ENTRY_NAME" },
	{ B(0x3D0C), "PR_SERVICE_UID" },
	{ B(0x3D0E), "PR_SERVICES" },
	{ B(0x3D15), "PR_EMSMDB_SECTION_UID" },
	{ BOOL(0x3D18), "PR_EMSMDB_LEGACY" },
	/* Exchange (MSEMS) profile properties, edkmdb.h. */
	{ S(0x65D0), "PR_PROFILE_ALTERNATE_STORE_TYPE" },
	{ B(0x65F6), "PR_STORE_ENTRYID_EMSMDB_V1" },
	{ L(0x6600), "PR_PROFILE_VERSION" },
	{ L(0x6601), "PR_PROFILE_CONFIG_FLAGS" },
	{ S(0x6602), "PR_PROFILE_HOME_SERVER" },
	{ S(0x6603), "PR_PROFILE_USER" },
	{ L(0x6604), "PR_PROFILE_CONNECT_FLAGS" },
	{ L(0x6605), "PR_PROFILE_TRANSPORT_FLAGS" },
	{ L(0x6606), "PR_PROFILE_UI_STATE" },
	{ S(0x6607), "PR_PROFILE_UNRESOLVED_NAME" },
	{ S(0x6608), "PR_PROFILE_UNRESOLVED_SERVER" },
	{ L(0x6609), "PR_PROFILE_OPEN_FLAGS" },
	{ L(0x660A), "PR_PROFILE_TYPE" },
	{ S(0x660B), "PR_PROFILE_MAILBOX" },
	{ S(0x660C), "PR_PROFILE_SERVER" },
	{ S(0x660E), "PR_PROFILE_AB_FILES_PATH" },
	{ S(0x6610), "PR_PROFILE_OFFLINE_STORE_PATH" },
	{ B(0x6611), "PR_PROFILE_OFFLINE_INFO" },
	{ S(0x6612), "PR_PROFILE_HOME_SERVER_DN" },
	{ MVS(0x6613), "PR_PROFILE_HOME_SERVER_ADDRS" },
	{ S(0x6614), "PR_PROFILE_SERVER_DN" },
	{ L(0x6619), "PR_PROFILE_AUTH_PACKAGE" },
	{ L(0x661B), "PR_PROFILE_SERVER_VERSION" },
	{ S(0x6620), "PR_PROFILE_ACCT_NAME" },
	{ S(0x6622), "PR_ROH_PROXY_SERVER" },
	{ L(0x6623), "PR_ROH_FLAGS" },
	{ S(0x6625), "PR_ROH_PROXY_PRINCIPAL_NAME" },
	{ L(0x6627), "PR_ROH_PROXY_AUTH_SCHEME" },
	/* Known only by its PRF key name (outlook-profile.md §4). */
	{ L(0x6629), "CachedExchangeConfigFlags" },
	{ S(0x662A), "PR_PROFILE_HOME_SERVER_FQDN" },
	{ S(0x662B), "PR_PROFILE_SERVER_FQDN" },
	{ B(0x663B), "PR_PROFILE_SERVER_FULL_VERSION" },
	{ S(0x663D), "PR_PROFILE_USER_EMAIL" },
	{ S(0x6641), "PR_PROFILE_USER_SMTP_EMAIL_ADDRESS" },
	{ L(0x6649), "PR_RULE_ACTION_TYPE" },
	{ S(0x664A), "PR_PROFILE_LKG_AUTODISCOVER_URL" },
	{ S(0x6652), "PR_PROFILE_MAPIHTTP_MAILSTORE_INTERNAL_URL" },
	{ S(0x6653), "PR_PROFILE_MAPIHTTP_MAILSTORE_EXTERNAL_URL" },
	{ S(0x6654), "PR_PROFILE_MAPIHTTP_ADDRESSBOOK_INTERNAL_URL" },
	{ S(0x6655), "PR_PROFILE_MAPIHTTP_ADDRESSBOOK_EXTERNAL_URL" },
	{ L(0x6688), "PR_PROFILE_DISPLAYNAME_SET" },
	{ B(0x67F0), "PR_PROFILE_SECURE_MAILBOX" },
	{ S(0x7CFF), "PR_PROFILE_MDB_DN" },
	/* Autocomplete stream rows (outlook-profile.md §5). */
	{ L(0x5FDF), "PR_RECIPIENT_ORDER" },
	{ S(0x5FF6), "PR_RECIPIENT_DISPLAY_NAME" },
	{ B(0x5FF7), "PR_RECIPIENT_ENTRYID" },
	{ L(0x5FFD), "PR_RECIPIENT_FLAGS" },
	{ L(0x5FFF), "PR_RECIPIENT_TRACKSTATUS" },
	{ S(0x6001), "PR_NICK_NAME" },
	{ S(0x6003), "PR_DROPDOWN_DISPLAY_NAME" },
	{ L(0x6004), "PR_NICK_NAME_WEIGHT" },
	{ B(0x7C09), "PR_ROAMING_BINARYSTREAM" },
};

const char *cpuu_mapi_tag_name(uint32_t tag)
{
	uint16_t type = CPUU_PROP_TYPE(tag);
	if (type == CPUU_PT_UNICODE)
		type = CPUU_PT_STRING8;
	else if (type == CPUU_PT_MV_UNICODE)
		type = CPUU_PT_MV_STRING8;
	uint32_t key = CPUU_PROP_TAG(type, CPUU_PROP_ID(tag));
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].tag == key)
			return names[i].name;
	return NULL;
}

const char *cpuu_mapi_type_name(uint16_t type)
{
	switch (type) {
	case CPUU_PT_UNSPECIFIED: return "PT_UNSPECIFIED";
	case CPUU_PT_NULL: return "PT_NULL";
	case CPUU_PT_SHORT: return "PT_SHORT";
	case CPUU_PT_LONG: return "PT_LONG";
	case CPUU_PT_FLOAT: return "PT_FLOAT";
	case CPUU_PT_DOUBLE: return "PT_DOUBLE";
	case CPUU_PT_CURRENCY: return "PT_CURRENCY";
	case CPUU_PT_APPTIME: return "PT_APPTIME";
	case CPUU_PT_ERROR: return "PT_ERROR";
	case CPUU_PT_BOOLEAN: return "PT_BOOLEAN";
	case CPUU_PT_OBJECT: return "PT_OBJECT";
	case CPUU_PT_I8: return "PT_I8";
	case CPUU_PT_STRING8: return "PT_STRING8";
	case CPUU_PT_UNICODE: return "PT_UNICODE";
	case CPUU_PT_SYSTIME: return "PT_SYSTIME";
	case CPUU_PT_CLSID: return "PT_CLSID";
	case CPUU_PT_BINARY: return "PT_BINARY";
	case CPUU_PT_MV_SHORT: return "PT_MV_SHORT";
	case CPUU_PT_MV_LONG: return "PT_MV_LONG";
	case CPUU_PT_MV_I8: return "PT_MV_I8";
	case CPUU_PT_MV_STRING8: return "PT_MV_STRING8";
	case CPUU_PT_MV_UNICODE: return "PT_MV_UNICODE";
	case CPUU_PT_MV_SYSTIME: return "PT_MV_SYSTIME";
	case CPUU_PT_MV_CLSID: return "PT_MV_CLSID";
	case CPUU_PT_MV_BINARY: return "PT_MV_BINARY";
	default: return NULL;
	}
}
