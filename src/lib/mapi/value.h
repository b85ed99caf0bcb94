/* Private: how each property type is stored (shared by value.c and format.c). */
#ifndef CPUU_MAPI_VALUE_H
#define CPUU_MAPI_VALUE_H

#include "cpuu/mapi.h"

enum cpuu_mapi_kind {
	CPUU_MK_BIN, CPUU_MK_I16, CPUU_MK_I32, CPUU_MK_FLOAT, CPUU_MK_DOUBLE, CPUU_MK_I64,
	CPUU_MK_FILETIME, CPUU_MK_BOOL, CPUU_MK_STR8, CPUU_MK_STR16, CPUU_MK_CLSID,
	CPUU_MK_MV_I16, CPUU_MK_MV_I32, CPUU_MK_MV_I64, CPUU_MK_MV_CLSID, CPUU_MK_MV_BIN,
	CPUU_MK_MV_STR8, CPUU_MK_MV_STR16
};

enum cpuu_mapi_kind cpuu_mapi_kind_of(uint16_t type);

#endif
