/* Private helpers of the MAPI codec. */
#ifndef CPUU_MAPI_INTERNAL_H
#define CPUU_MAPI_INTERNAL_H

#include "common/internal.h"
#include "cpuu/mapi.h"

/* Length of the NUL-terminated byte string at data[off] within len bytes,
 * or (size_t)-1 if no NUL comes before the end. */
size_t cpuu_mapi_strnlen8(const uint8_t *data, size_t len, size_t off);
/* Same for a UTF-16LE string (length in bytes, without the 2-byte NUL);
 * (size_t)-1 if no NUL unit comes before the end. */
size_t cpuu_mapi_strnlen16(const uint8_t *data, size_t len, size_t off);

#endif
