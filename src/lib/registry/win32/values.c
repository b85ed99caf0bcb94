/* Values of the live-registry backend (RegEnumValueW & co.). Data are raw
 * bytes both ways: the W calls convert nothing, and RegSetValueExW's one
 * adjustment (counting a string's terminator the caller "forgot" when the
 * unit after the data is NUL) is defeated by padding, so what is set is
 * exactly what a hive would hold. */
#include "registry/win32.h"

#include <stdlib.h>
#include <string.h>

static int names_equal(const wchar_t *a, const wchar_t *b)
{
	return CompareStringOrdinal(a, -1, b, -1, TRUE) == CSTR_EQUAL;
}

static int key_info(DWORD *nvalues, DWORD *max_name, DWORD *max_data, HKEY h, const char *label)
{
	LONG e = RegQueryInfoKeyW(h, NULL, NULL, NULL, NULL, NULL, NULL, nvalues, max_name, max_data, NULL, NULL);
	if (e != ERROR_SUCCESS)
		return cpuu_w32_fail(e, "key '%s'", label);
	return CPUU_OK;
}

/* RegQueryValueExW / RegEnumValueW append a NUL WCHAR after string data
 * when "there is room", computing the room as count - 2, which wraps for a
 * count below 2 (Wine's kernelbase does this): buffers get this much slack
 * beyond the count we pass. */
#define W32_SLACK 4

/* Reads one value's data by its exact (stored) name. */
static int read_data(uint8_t **data, size_t *len, DWORD *type, HKEY h, const wchar_t *wname, const char *label)
{
	*data = NULL;
	*len = 0;
	DWORD size = 0;
	LONG e = RegQueryValueExW(h, wname, NULL, type, NULL, &size);
	for (int tries = 0; e == ERROR_SUCCESS || e == ERROR_MORE_DATA; tries++) {
		uint8_t *buf = malloc((size_t)size + W32_SLACK);
		if (!buf)
			return cpuu_error_oom();
		DWORD got = size;
		e = RegQueryValueExW(h, wname, NULL, type, buf, &got);
		if (e == ERROR_SUCCESS) {
			*data = buf;
			*len = got;
			return CPUU_OK;
		}
		free(buf);
		if (e != ERROR_MORE_DATA || tries > 8)
			break;
		size = got; /* it grew meanwhile */
	}
	return cpuu_w32_fail(e, "key '%s': reading a value", label);
}

int cpuu_w32_values(cpuu_reg_value **out, size_t *count, void *impl, cpuu_reg_node node)
{
	w32_impl *wi = impl;
	const char *label = cpuu_w32_label(wi, node);
	HKEY h;
	int rc = cpuu_w32_handle(&h, wi, node);
	if (rc)
		return rc;
	DWORD nvalues = 0, max_name = 0, max_data = 0;
	if ((rc = key_info(&nvalues, &max_name, &max_data, h, label)))
		return rc;
	size_t cap = nvalues ? nvalues : 1;
	cpuu_reg_value *vals = calloc(cap, sizeof *vals);
	wchar_t *name = malloc((max_name + 1) * sizeof *name);
	uint8_t *data = malloc((size_t)max_data + W32_SLACK);
	size_t n = 0;
	if (!vals || !name || !data)
		rc = cpuu_error_oom();
	for (DWORD i = 0; !rc;) {
		DWORD nl = max_name + 1, dl = max_data, type = 0;
		LONG e = RegEnumValueW(h, i, name, &nl, NULL, &type, data, &dl);
		if (e == ERROR_NO_MORE_ITEMS)
			break;
		if (e == ERROR_MORE_DATA) {
			/* Changed by someone else meanwhile: size the buffers again. */
			if ((rc = key_info(&nvalues, &max_name, &max_data, h, label)))
				break;
			wchar_t *nn = realloc(name, (max_name + 1) * sizeof *nn);
			if (nn)
				name = nn;
			uint8_t *nd = realloc(data, (size_t)max_data + W32_SLACK);
			if (nd)
				data = nd;
			if (!nn || !nd)
				rc = cpuu_error_oom();
			continue;
		}
		if (e != ERROR_SUCCESS) {
			rc = cpuu_w32_fail(e, "key '%s': listing values", label);
			break;
		}
		cpuu_reg_value *grown = cpuu_array_reserve(vals, &cap, n + 1, sizeof *grown);
		if (!grown) {
			rc = cpuu_error_oom();
			break;
		}
		vals = grown;
		cpuu_reg_value *v = &vals[n];
		memset(v, 0, sizeof *v);
		rc = cpuu_w32_utf8(&v->name, name, nl);
		if (!rc && !(v->data = malloc(dl ? dl : 1)))
			rc = cpuu_error_oom();
		if (rc) {
			cpuu_reg_value_clear(v);
			break;
		}
		memcpy(v->data, data, dl);
		v->len = dl;
		v->type = type;
		n++;
		i++;
	}
	free(name);
	free(data);
	if (rc) {
		cpuu_reg_values_free(vals, n);
		return rc;
	}
	*out = vals;
	*count = n;
	return CPUU_OK;
}

/* Stored name of the value Windows matches for wname; CPUU_ENOTFOUND when
 * there is none (no message set: the caller words it). */
static int stored_value_name(wchar_t **out, HKEY h, const wchar_t *wname, const char *label)
{
	*out = NULL;
	DWORD type = 0, size = 0;
	LONG e = RegQueryValueExW(h, wname, NULL, &type, NULL, &size);
	if (e == ERROR_FILE_NOT_FOUND)
		return CPUU_ENOTFOUND;
	if (e != ERROR_SUCCESS && e != ERROR_MORE_DATA)
		return cpuu_w32_fail(e, "key '%s': reading a value", label);
	DWORD nvalues = 0, max_name = 0, max_data = 0;
	int rc = key_info(&nvalues, &max_name, &max_data, h, label);
	if (rc)
		return rc;
	wchar_t *buf = malloc((max_name + 1) * sizeof *buf);
	if (!buf)
		return cpuu_error_oom();
	for (DWORD i = 0;; i++) {
		DWORD nl = max_name + 1;
		e = RegEnumValueW(h, i, buf, &nl, NULL, NULL, NULL, NULL);
		if (e == ERROR_NO_MORE_ITEMS)
			break;
		if (e == ERROR_MORE_DATA)
			continue;
		if (e != ERROR_SUCCESS) {
			free(buf);
			return cpuu_w32_fail(e, "key '%s': listing values", label);
		}
		if (names_equal(buf, wname)) {
			*out = buf;
			return CPUU_OK;
		}
	}
	free(buf);
	*out = _wcsdup(wname);
	return *out ? CPUU_OK : cpuu_error_oom();
}

int cpuu_w32_value_get(cpuu_reg_value *out, void *impl, cpuu_reg_node node, const char *name)
{
	w32_impl *wi = impl;
	const char *label = cpuu_w32_label(wi, node);
	HKEY h;
	int rc = cpuu_w32_handle(&h, wi, node);
	if (rc)
		return rc;
	wchar_t *wname = NULL, *stored = NULL;
	if ((rc = cpuu_w32_wide(&wname, name)))
		return rc;
	rc = stored_value_name(&stored, h, wname, label);
	free(wname);
	if (rc == CPUU_ENOTFOUND)
		return cpuu_error_set(CPUU_ENOTFOUND, "value '%s' not found", name);
	if (rc)
		return rc;
	DWORD type = 0;
	rc = read_data(&out->data, &out->len, &type, h, stored, label);
	if (!rc)
		rc = cpuu_w32_utf8(&out->name, stored, wcslen(stored));
	out->type = type;
	free(stored);
	if (rc)
		cpuu_reg_value_clear(out);
	return rc;
}

int cpuu_w32_value_set(void *impl, cpuu_reg_node node, const char *name, uint32_t type,
		       const uint8_t *data, size_t len)
{
	w32_impl *wi = impl;
	const char *label = cpuu_w32_label(wi, node);
	if (len > 0x7FFFFFFFu)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%zu bytes is too large for a registry value", len);
	HKEY h;
	int rc = cpuu_w32_handle(&h, wi, node);
	if (rc)
		return rc;
	wchar_t *wname = NULL;
	if ((rc = cpuu_w32_wide(&wname, name)))
		return rc;
	/* The same bytes and type already there: no change, as in a hive (so a
	 * second run writes nothing). */
	DWORD cur_type = 0;
	uint8_t *cur = NULL;
	size_t cur_len = 0;
	DWORD size = 0;
	LONG e = RegQueryValueExW(h, wname, NULL, &cur_type, NULL, &size);
	if ((e == ERROR_SUCCESS || e == ERROR_MORE_DATA) && cur_type == type && size == len) {
		if ((rc = read_data(&cur, &cur_len, &cur_type, h, wname, label))) {
			free(wname);
			return rc;
		}
		int same = cur_type == type && cur_len == len && (!len || !memcmp(cur, data, len));
		free(cur);
		if (same) {
			free(wname);
			return CPUU_OK;
		}
	}
	/* Padding that is not NUL: see the top of this file. */
	uint8_t *buf = malloc(len + 4);
	if (!buf) {
		free(wname);
		return cpuu_error_oom();
	}
	if (len)
		memcpy(buf, data, len);
	memset(buf + len, 0xFF, 4);
	e = RegSetValueExW(h, wname, 0, type, buf, (DWORD)len);
	free(buf);
	free(wname);
	if (e != ERROR_SUCCESS)
		return cpuu_w32_fail(e, "key '%s': setting a value", label);
	wi->dirty = 1;
	return CPUU_OK;
}

int cpuu_w32_value_delete(void *impl, cpuu_reg_node node, const char *name)
{
	w32_impl *wi = impl;
	HKEY h;
	int rc = cpuu_w32_handle(&h, wi, node);
	if (rc)
		return rc;
	wchar_t *wname = NULL;
	if ((rc = cpuu_w32_wide(&wname, name)))
		return rc;
	LONG e = RegDeleteValueW(h, wname);
	free(wname);
	if (e == ERROR_FILE_NOT_FOUND)
		return cpuu_error_set(CPUU_ENOTFOUND, "value '%s' not found", name);
	if (e != ERROR_SUCCESS)
		return cpuu_w32_fail(e, "key '%s': deleting value '%s'", cpuu_w32_label(wi, node), name);
	wi->dirty = 1;
	return CPUU_OK;
}
