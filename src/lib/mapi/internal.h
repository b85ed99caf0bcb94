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

/* A writer for the readable views of cpuu decode (emit.c): the same calls
 * give indented "name = value" text or JSON, so the two never disagree.
 * Nesting deeper than EMIT_DEPTH is flattened (no entry ID nests that deep). */
#define EMIT_DEPTH 32
typedef struct mapi_emit {
	cpuu_buf b;
	int json;
	int depth;
	int count[EMIT_DEPTH]; /* items written at each level */
	int array[EMIT_DEPTH]; /* the level is an array */
} mapi_emit;
void mapi_emit_init(mapi_emit *e, cpuu_decode_format fmt);
/* key is NULL for an array element (and for the root). */
void mapi_emit_open(mapi_emit *e, const char *key, int array);
void mapi_emit_close(mapi_emit *e);
void mapi_emit_str(mapi_emit *e, const char *key, const char *v);
void mapi_emit_uint(mapi_emit *e, const char *key, uint64_t v);
void mapi_emit_int(mapi_emit *e, const char *key, int64_t v);
void mapi_emit_bool(mapi_emit *e, const char *key, int v);
void mapi_emit_num(mapi_emit *e, const char *key, double v);
void mapi_emit_hex(mapi_emit *e, const char *key, const uint8_t *d, size_t n);
/* Finishes: *out gets the text (caller frees). */
int mapi_emit_finish(char **out, mapi_emit *e);
void mapi_emit_dispose(mapi_emit *e);

/* Writes one entry ID as an object (kind and fields, docs/decode.md). A known
 * provider's entry ID that does not parse is CPUU_EINVALID (the emitter then
 * holds a partial object and must be disposed), or with soft an object of
 * kind "invalid" with the error and the bytes. */
int mapi_emit_entryid(mapi_emit *e, const char *key, const uint8_t *data, size_t len, int soft);
/* Writes the value of a property (tag given) whose data is in the
 * autocomplete / nickname layout or the PROPERTIES layout: see decode.c. */
void mapi_emit_tag(mapi_emit *e, uint32_t tag);

#endif
