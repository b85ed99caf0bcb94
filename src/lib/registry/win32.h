/* State of the live-registry backend (win32*.c), Windows only. */
#ifndef CPUU_REGISTRY_WIN32_H
#define CPUU_REGISTRY_WIN32_H

#include "registry/internal.h"

#include <windows.h>

/* A key we have looked up. Node ids are indexes into w32_impl.nodes; the
 * key is reopened by its path when its handle is not cached, so a node is
 * just a name, never a dangling HKEY. */
typedef struct w32_node {
	size_t parent;  /* index; W32_NO_PARENT for the root */
	char *name;     /* as stored, UTF-8 */
	wchar_t *wpath; /* from HKEY_CURRENT_USER, as stored; L"" for the root */
	HKEY h;         /* cached open handle, or NULL */
	int read_only;  /* h was opened with KEY_READ only (access denied otherwise) */
} w32_node;

#define W32_NO_PARENT ((size_t)-1)

typedef struct w32_impl {
	w32_node *nodes;
	size_t count, cap;
	int writable;
	int dirty;           /* changes applied since the last commit */
	uint64_t generation; /* bumped on key deletion: node ids are then reset */
	HANDLE session_lock; /* writable opens: the session's one-cpuu mutex (session_lock.c) */
} w32_impl;

/* win32.c */
/* A one-line message for a Windows error code; returns the cpuu code. */
int cpuu_w32_fail(LONG err, const char *fmt, ...) CPUU_PRINTF(2, 3);
/* Open handle of a node (cached). */
int cpuu_w32_handle(HKEY *out, w32_impl *wi, cpuu_reg_node node);
/* UTF-8 -> NUL-terminated UTF-16 (caller frees), and back. */
int cpuu_w32_wide(wchar_t **out, const char *utf8);
int cpuu_w32_utf8(char **out, const wchar_t *w, size_t wlen);
const char *cpuu_w32_label(const w32_impl *wi, cpuu_reg_node node);

/* session_lock.c: the session's mutex, waited for up to wait_ms, else
 * CPUU_ELOCKED; *out is released by cpuu_w32_session_unlock. */
#define CPUU_W32_SESSION_WAIT_MS 5000
int cpuu_w32_session_lock(HANDLE *out, int wait_ms);
void cpuu_w32_session_unlock(HANDLE m);

/* win32_values.c */
int cpuu_w32_values(cpuu_reg_value **out, size_t *count, void *impl, cpuu_reg_node node);
int cpuu_w32_value_get(cpuu_reg_value *out, void *impl, cpuu_reg_node node, const char *name);
int cpuu_w32_value_set(void *impl, cpuu_reg_node node, const char *name, uint32_t type,
		       const uint8_t *data, size_t len);
int cpuu_w32_value_delete(void *impl, cpuu_reg_node node, const char *name);

#endif
