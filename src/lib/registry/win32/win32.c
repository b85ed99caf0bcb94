/* Live-registry backend: HKEY_CURRENT_USER through the Win32 registry API,
 * behind the same vtable as the hive backend (docs/windows.md).
 *
 * Changes go to the registry at once: Windows has no transaction we could
 * use cheaply here (KTM transacted registry calls are deprecated and absent
 * from Wine), so commit only flushes. What keeps a run safe is the engine's
 * order (plan, back up to a .reg file, then apply) and rollback. */
#include "registry/win32.h"

#include "cpuu/unicode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W32_ACCESS_READ KEY_READ
#define W32_ACCESS_WRITE (KEY_READ | KEY_WRITE | DELETE)

int cpuu_w32_fail(LONG err, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	int code;
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_KEY_DELETED:
		code = CPUU_ENOTFOUND;
		break;
	case ERROR_ACCESS_DENIED:
	case ERROR_WRITE_PROTECT:
		code = CPUU_EREADONLY;
		break;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		code = CPUU_ENOMEM;
		break;
	case ERROR_INVALID_PARAMETER:
	case ERROR_BADKEY:
		code = CPUU_EINVALID;
		break;
	default:
		code = CPUU_EIO;
	}
	char text[256] = "";
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)err,
				 MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), text, sizeof text, NULL);
	while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '.'))
		text[--n] = '\0';
	if (n == 0)
		snprintf(text, sizeof text, "Windows error %ld", (long)err);
	return cpuu_error_set(code, "%s: %s", what, text);
}

int cpuu_w32_wide(wchar_t **out, const char *utf8)
{
	uint8_t *u16 = NULL;
	size_t len = 0;
	int rc = cpuu_utf8_to_utf16le(&u16, &len, utf8, 1);
	if (rc)
		return rc;
	/* x86 Windows: UTF-16LE bytes are wchar_t units (malloc'd, so aligned). */
	*out = (wchar_t *)(void *)u16;
	return CPUU_OK;
}

int cpuu_w32_utf8(char **out, const wchar_t *w, size_t wlen)
{
	return cpuu_utf16le_to_utf8(out, NULL, (const uint8_t *)w, wlen * sizeof(wchar_t), 0);
}

const char *cpuu_w32_label(const w32_impl *wi, cpuu_reg_node node)
{
	return node < wi->count && node > 0 ? wi->nodes[node].name : "HKEY_CURRENT_USER";
}

/* Full UTF-8 path of a node for messages (static buffer: one handle per thread). */
static const char *node_path(const w32_impl *wi, cpuu_reg_node node)
{
	static _Thread_local char buf[1024];
	if (node >= wi->count || node == 0)
		return "HKEY_CURRENT_USER";
	char *s = NULL;
	const wchar_t *w = wi->nodes[node].wpath;
	if (cpuu_w32_utf8(&s, w, wcslen(w)) != CPUU_OK) {
		cpuu_error_clear();
		return wi->nodes[node].name;
	}
	snprintf(buf, sizeof buf, "HKEY_CURRENT_USER\\%s", s);
	free(s);
	return buf;
}

static void nodes_reset(w32_impl *wi, size_t keep)
{
	for (size_t i = keep; i < wi->count; i++) {
		if (wi->nodes[i].h)
			RegCloseKey(wi->nodes[i].h);
		free(wi->nodes[i].name);
		free(wi->nodes[i].wpath);
	}
	wi->count = keep < wi->count ? keep : wi->count;
}

static void w32_close(void *impl)
{
	w32_impl *wi = impl;
	if (!wi)
		return;
	nodes_reset(wi, 1); /* the root's handle is the predefined HKEY_CURRENT_USER */
	if (wi->count) {
		free(wi->nodes[0].name);
		free(wi->nodes[0].wpath);
	}
	free(wi->nodes);
	cpuu_w32_session_unlock(wi->session_lock);
	free(wi);
}

/* Opens a key, with write access when the registry was opened for writing;
 * keys the user may only read (policies) are kept read-only instead. */
static LONG open_key(HKEY *out, int *read_only, const w32_impl *wi, HKEY base, const wchar_t *sub)
{
	*read_only = !wi->writable;
	LONG e = RegOpenKeyExW(base, sub, 0, wi->writable ? W32_ACCESS_WRITE : W32_ACCESS_READ, out);
	if (e == ERROR_ACCESS_DENIED && wi->writable) {
		*read_only = 1;
		e = RegOpenKeyExW(base, sub, 0, W32_ACCESS_READ, out);
	}
	return e;
}

int cpuu_w32_handle(HKEY *out, w32_impl *wi, cpuu_reg_node node)
{
	if (node >= wi->count)
		return cpuu_error_set(CPUU_EINVALID, "HKCU: stale key id %llu", (unsigned long long)node);
	w32_node *n = &wi->nodes[node];
	if (!n->h) {
		LONG e = open_key(&n->h, &n->read_only, wi, HKEY_CURRENT_USER, n->wpath);
		if (e != ERROR_SUCCESS) {
			n->h = NULL;
			return cpuu_w32_fail(e, "key '%s'", node_path(wi, node));
		}
	}
	*out = n->h;
	return CPUU_OK;
}

static int node_add(cpuu_reg_node *out, w32_impl *wi, size_t parent, const wchar_t *wname, HKEY h, int read_only)
{
	w32_node *grown = cpuu_array_reserve(wi->nodes, &wi->cap, wi->count + 1, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	wi->nodes = grown;
	w32_node n = { parent, NULL, NULL, h, read_only };
	int rc = cpuu_w32_utf8(&n.name, wname, wcslen(wname));
	if (rc)
		return rc;
	const wchar_t *pp = parent == W32_NO_PARENT ? L"" : wi->nodes[parent].wpath;
	size_t pl = wcslen(pp), nl = wcslen(wname);
	n.wpath = malloc((pl + 1 + nl + 1) * sizeof(wchar_t));
	if (!n.wpath) {
		free(n.name);
		return cpuu_error_oom();
	}
	if (pl) {
		memcpy(n.wpath, pp, pl * sizeof(wchar_t));
		n.wpath[pl++] = L'\\';
	}
	memcpy(n.wpath + pl, wname, (nl + 1) * sizeof(wchar_t));
	wi->nodes[wi->count] = n;
	*out = wi->count++;
	return CPUU_OK;
}

static int w32_root(cpuu_reg_node *node, char **name, void *impl)
{
	(void)impl;
	*node = 0;
	if (name && !(*name = cpuu_strdup("HKEY_CURRENT_USER")))
		return cpuu_error_oom();
	return CPUU_OK;
}

static int names_equal(const wchar_t *a, const wchar_t *b)
{
	return CompareStringOrdinal(a, -1, b, -1, TRUE) == CSTR_EQUAL;
}

/* The stored name of parent's subkey that Windows matched for wname (the
 * lookup itself is Windows' own, case-insensitive over all of Unicode). */
static int stored_subkey_name(wchar_t **out, HKEY parent, const wchar_t *wname)
{
	*out = NULL;
	wchar_t buf[CPUU_REG_MAX_KEY_NAME + 2];
	for (DWORD i = 0;; i++) {
		DWORD len = sizeof buf / sizeof buf[0];
		LONG e = RegEnumKeyExW(parent, i, buf, &len, NULL, NULL, NULL, NULL);
		if (e == ERROR_NO_MORE_ITEMS)
			break;
		if (e == ERROR_MORE_DATA)
			continue; /* longer than any valid name: cannot be ours */
		if (e != ERROR_SUCCESS)
			return cpuu_w32_fail(e, "listing subkeys");
		if (names_equal(buf, wname)) {
			*out = _wcsdup(buf);
			return *out ? CPUU_OK : cpuu_error_oom();
		}
	}
	*out = _wcsdup(wname);
	return *out ? CPUU_OK : cpuu_error_oom();
}

static int w32_child(cpuu_reg_node *out, char **stored_name, void *impl, cpuu_reg_node parent, const char *name)
{
	w32_impl *wi = impl;
	if (parent >= wi->count)
		return cpuu_error_set(CPUU_EINVALID, "HKCU: stale key id %llu", (unsigned long long)parent);
	/* Keys met before (the common case: the engine walks the same paths). */
	for (size_t i = 1; i < wi->count; i++)
		if (wi->nodes[i].parent == parent && !cpuu_reg_name_cmp(wi->nodes[i].name, name)) {
			*out = i;
			if (stored_name && !(*stored_name = cpuu_strdup(wi->nodes[i].name)))
				return cpuu_error_oom();
			return CPUU_OK;
		}
	HKEY ph, h = NULL;
	int rc = cpuu_w32_handle(&ph, wi, parent);
	if (rc)
		return rc;
	wchar_t *wname = NULL, *stored = NULL;
	if ((rc = cpuu_w32_wide(&wname, name)))
		return rc;
	int read_only = 0;
	LONG e = open_key(&h, &read_only, wi, ph, wname);
	if (e == ERROR_FILE_NOT_FOUND) {
		free(wname);
		if (parent == 0)
			return cpuu_error_set(CPUU_ENOTFOUND, "key '%s' not found", name);
		return cpuu_error_set(CPUU_ENOTFOUND, "key '%s\\%s' not found", node_path(wi, parent), name);
	}
	if (e != ERROR_SUCCESS) {
		free(wname);
		return cpuu_w32_fail(e, "opening key '%s\\%s'", node_path(wi, parent), name);
	}
	rc = stored_subkey_name(&stored, ph, wname);
	free(wname);
	char *stored8 = NULL;
	if (!rc)
		rc = cpuu_w32_utf8(&stored8, stored, wcslen(stored));
	/* Met before under its stored name: Windows folds more characters than
	 * our table (cpuu_reg_name_cmp), so the scan above can miss it. */
	for (size_t i = 1; !rc && i < wi->count; i++)
		if (wi->nodes[i].parent == parent && !strcmp(wi->nodes[i].name, stored8)) {
			RegCloseKey(h);
			h = NULL;
			*out = i;
			break;
		}
	free(stored8);
	if (!rc && h)
		rc = node_add(out, wi, parent, stored, h, read_only);
	if (rc && h)
		RegCloseKey(h);
	if (!rc && stored_name && !(*stored_name = cpuu_strdup(wi->nodes[*out].name)))
		rc = cpuu_error_oom();
	free(stored);
	return rc;
}

static int w32_add_child(cpuu_reg_node *out, void *impl, cpuu_reg_node parent, const char *name)
{
	w32_impl *wi = impl;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return cpuu_error_set(CPUU_EINVALID, "key name '%s' has a control character", name);
	HKEY ph, h = NULL;
	int rc = cpuu_w32_handle(&ph, wi, parent);
	if (rc)
		return rc;
	wchar_t *wname = NULL;
	if ((rc = cpuu_w32_wide(&wname, name)))
		return rc;
	DWORD disp = 0;
	LONG e = RegCreateKeyExW(ph, wname, 0, NULL, REG_OPTION_NON_VOLATILE, W32_ACCESS_WRITE, NULL, &h, &disp);
	if (e != ERROR_SUCCESS) {
		free(wname);
		return cpuu_w32_fail(e, "creating key '%s\\%s'", node_path(wi, parent), name);
	}
	wi->dirty = 1;
	rc = node_add(out, wi, parent, wname, h, 0);
	if (rc)
		RegCloseKey(h);
	free(wname);
	return rc;
}

static int w32_delete_child(void *impl, cpuu_reg_node parent, cpuu_reg_node child)
{
	w32_impl *wi = impl;
	if (child == 0 || child >= wi->count || wi->nodes[child].parent != parent)
		return cpuu_error_set(CPUU_EINVALID, "HKCU: bad key id for deletion");
	wchar_t *wpath = _wcsdup(wi->nodes[child].wpath);
	char *label = cpuu_strdup(node_path(wi, child));
	if (!wpath || !label) {
		free(wpath);
		free(label);
		return cpuu_error_oom();
	}
	/* Handles at or below the key would point at deleted keys, and node ids
	 * may be cached by key handles: drop them all; key handles re-resolve
	 * their paths when the generation changes. */
	nodes_reset(wi, 1);
	wi->generation++;
	/* By full path from HKCU, which we may always write, so the parent need
	 * not be open for writing. */
	LONG e = RegDeleteTreeW(HKEY_CURRENT_USER, wpath);
	int rc = CPUU_OK;
	if (e == ERROR_SUCCESS)
		wi->dirty = 1;
	else
		rc = cpuu_w32_fail(e, "deleting key '%s'", label);
	free(wpath);
	free(label);
	return rc;
}

static int w32_subkeys(cpuu_strlist *out, void *impl, cpuu_reg_node node)
{
	w32_impl *wi = impl;
	HKEY h;
	int rc = cpuu_w32_handle(&h, wi, node);
	if (rc)
		return rc;
	wchar_t buf[CPUU_REG_MAX_KEY_NAME + 2];
	for (DWORD i = 0; !rc; i++) {
		DWORD len = sizeof buf / sizeof buf[0];
		LONG e = RegEnumKeyExW(h, i, buf, &len, NULL, NULL, NULL, NULL);
		if (e == ERROR_NO_MORE_ITEMS)
			break;
		if (e != ERROR_SUCCESS) {
			rc = cpuu_w32_fail(e, "listing the subkeys of '%s'", node_path(wi, node));
			break;
		}
		char *s = NULL;
		rc = cpuu_w32_utf8(&s, buf, len);
		if (!rc)
			rc = cpuu_strlist_push(out, s);
		free(s);
	}
	if (rc)
		cpuu_strlist_free(out);
	return rc;
}

static int w32_commit(void *impl, const cpuu_reg_commit_opts *opts)
{
	(void)opts; /* no file: nothing to back up */
	w32_impl *wi = impl;
	if (!wi->dirty)
		return CPUU_OK;
	/* The changes are in the registry already; the flush only asks Windows
	 * to write them to NTUSER.DAT now instead of within seconds. */
	RegFlushKey(HKEY_CURRENT_USER);
	wi->dirty = 0;
	return CPUU_OK;
}

static int w32_dirty(const void *impl)
{
	return ((const w32_impl *)impl)->dirty;
}

static const char *w32_last_backup(const void *impl)
{
	(void)impl;
	return NULL;
}

static uint64_t w32_generation(const void *impl)
{
	return ((const w32_impl *)impl)->generation;
}

static const cpuu_reg_backend w32_backend = {
	.name = "win32",
	.caps = CPUU_REG_CAP_LIVE | CPUU_REG_CAP_NEEDS_STATE_DIR,
	.close = w32_close,
	.root = w32_root,
	.child = w32_child,
	.add_child = w32_add_child,
	.delete_child = w32_delete_child,
	.subkeys = w32_subkeys,
	.values = cpuu_w32_values,
	.value_get = cpuu_w32_value_get,
	.value_set = cpuu_w32_value_set,
	.value_delete = cpuu_w32_value_delete,
	.commit = w32_commit,
	.dirty = w32_dirty,
	.last_backup = w32_last_backup,
	.generation = w32_generation,
};

int cpuu_reg_open_live(cpuu_reg **out, unsigned flags)
{
	if (!out)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_reg_open_live: NULL output");
	*out = NULL;
	w32_impl *wi = calloc(1, sizeof *wi);
	if (!wi)
		return cpuu_error_oom();
	wi->writable = (flags & CPUU_REG_OPEN_WRITE) != 0;
	/* One writer per session, taken before anything is read (as a hive's
	 * lock): the second run waits, then refuses having read nothing. */
	int lrc = wi->writable ? cpuu_w32_session_lock(&wi->session_lock, CPUU_W32_SESSION_WAIT_MS) : CPUU_OK;
	if (lrc) {
		free(wi);
		return lrc;
	}
	cpuu_reg_node root;
	int rc = node_add(&root, wi, W32_NO_PARENT, L"HKEY_CURRENT_USER", HKEY_CURRENT_USER, 0);
	if (rc) {
		cpuu_w32_session_unlock(wi->session_lock);
		free(wi);
		return rc;
	}
	/* The root's path is empty: every key is opened relative to HKCU. */
	wi->nodes[0].wpath[0] = L'\0';
	/* Fail now, not on the first change, when HKCU cannot be read. */
	DWORD subkeys = 0;
	LONG e = RegQueryInfoKeyW(HKEY_CURRENT_USER, NULL, NULL, NULL, &subkeys, NULL, NULL, NULL, NULL, NULL,
				  NULL, NULL);
	if (e != ERROR_SUCCESS) {
		w32_close(wi);
		return cpuu_w32_fail(e, "HKEY_CURRENT_USER");
	}
	return cpuu_reg_wrap(out, &w32_backend, wi, flags, "HKCU");
}
