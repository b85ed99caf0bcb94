/* The live-registry backend (src/lib/registry/win32*.c) against a real
 * registry: Wine's in CI (tests/integration/wine.sh), or Windows. Plain C
 * (no cmocka in the mingw toolchain); exit 0 when every check holds.
 * Works below HKCU\Software\cpuu-test-<pid> and removes it at the end. */
#include "cpuu/registry.h"
#include "cpuu/unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static int failures;
#define CHECK(c) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", \
	__FILE__, __LINE__, #c, cpuu_error_last()->message); } } while (0)
#define CHECK_RC(expr, want) do { int rc_ = (expr); if (rc_ != (want)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: %s = %d, want %d (%s)\n", __FILE__, __LINE__, #expr, rc_, (want), \
		cpuu_error_last()->message); } } while (0)

static char base[64];

static char *path_of(const char *rest)
{
	static char buf[512];
	snprintf(buf, sizeof buf, "%s%s%s", base, *rest ? "\\" : "", rest);
	return buf;
}

static int value_is(cpuu_reg *reg, const cpuu_reg_key *k, const char *name, const char *stored, uint32_t type,
		    const void *data, size_t len)
{
	cpuu_reg_value v;
	int rc = cpuu_reg_value_get(&v, reg, k, name);
	int ok = rc == CPUU_OK && v.type == type && v.len == len && (!len || !memcmp(v.data, data, len)) &&
		 !strcmp(v.name, stored);
	if (!ok)
		fprintf(stderr, "  value '%s': rc %d type %u len %zu name '%s'\n", name, rc, rc ? 0 : v.type,
			rc ? 0 : v.len, rc ? "" : v.name);
	cpuu_reg_value_clear(&v);
	return ok;
}

/* The raw bytes as Windows stores them, by the registry API itself. */
static int raw_len(const char *key, const wchar_t *value, DWORD *type)
{
	uint8_t *w = NULL;
	size_t wl = 0;
	if (cpuu_utf8_to_utf16le(&w, &wl, key, 1))
		return -1;
	HKEY h;
	DWORD size = 0;
	LONG e = RegOpenKeyExW(HKEY_CURRENT_USER, (const wchar_t *)(void *)w, 0, KEY_READ, &h);
	free(w);
	if (e != ERROR_SUCCESS)
		return -1;
	e = RegQueryValueExW(h, value, NULL, type, NULL, &size);
	RegCloseKey(h);
	return e == ERROR_SUCCESS ? (int)size : -1;
}

static void test_keys(cpuu_reg *reg)
{
	cpuu_reg_key *k = NULL, *again = NULL, *deep = NULL, *root = NULL;
	CHECK_RC(cpuu_reg_root(&root, reg), CPUU_OK);
	CHECK(root && !strcmp(cpuu_reg_key_path(root), ""));
	cpuu_reg_key_free(root);

	CHECK_RC(cpuu_reg_key_create(&k, reg, NULL, path_of("Sub\\Deep")), CPUU_OK);
	CHECK(k && !strcmp(cpuu_reg_key_path(k), path_of("Sub\\Deep")));
	cpuu_reg_key_free(k);
	k = NULL;

	/* Case-insensitive lookups return the stored names. */
	char upper[512];
	snprintf(upper, sizeof upper, "software\\%s\\SUB", base + strlen("Software\\"));
	CHECK_RC(cpuu_reg_key_open(&again, reg, NULL, upper), CPUU_OK);
	CHECK(again && !strcmp(cpuu_reg_key_name(again), "Sub"));
	CHECK(again && !strcmp(cpuu_reg_key_path(again), path_of("Sub")));
	cpuu_reg_key_free(again);
	again = NULL;

	/* Non-ASCII key names (which hivex cannot create): Windows folds all of
	 * Unicode, our table only Latin-1; both lookups find the stored name. */
	CHECK_RC(cpuu_reg_key_create(&k, reg, NULL, path_of("B\xC3\xBCro \xCE\xA9")), CPUU_OK); /* Büro Ω */
	cpuu_reg_key_free(k);
	k = NULL;
	CHECK_RC(cpuu_reg_key_open(&again, reg, NULL, path_of("B\xC3\x9CRO \xCF\x89")), CPUU_OK); /* BÜRO ω */
	CHECK(again && !strcmp(cpuu_reg_key_name(again), "B\xC3\xBCro \xCE\xA9"));
	cpuu_reg_key_free(again);
	again = NULL;

	CHECK_RC(cpuu_reg_key_open(&again, reg, NULL, path_of("Missing")), CPUU_ENOTFOUND);
	CHECK(again == NULL);

	cpuu_reg_key *top = NULL;
	CHECK_RC(cpuu_reg_key_open(&top, reg, NULL, base), CPUU_OK);
	cpuu_strlist sub = { 0 };
	CHECK_RC(cpuu_reg_key_subkeys(&sub, reg, top), CPUU_OK);
	CHECK(sub.count == 2);
	int seen = 0;
	for (size_t i = 0; i < sub.count; i++)
		seen += !strcmp(sub.items[i], "Sub") || !strcmp(sub.items[i], "B\xC3\xBCro \xCE\xA9");
	CHECK(seen == 2);
	cpuu_strlist_free(&sub);

	/* Deleting a subtree: a handle below it reports the key gone, and
	 * refers to the new key once one is created at the same path. */
	CHECK_RC(cpuu_reg_key_open(&deep, reg, NULL, path_of("Sub\\Deep")), CPUU_OK);
	CHECK_RC(cpuu_reg_set_dword(reg, deep, "n", 1), CPUU_OK);
	CHECK_RC(cpuu_reg_key_delete(reg, top, "sub"), CPUU_OK);
	uint32_t n = 0;
	CHECK_RC(cpuu_reg_get_dword(&n, reg, deep, "n"), CPUU_ENOTFOUND);
	CHECK(strstr(cpuu_error_last()->message, "no longer exists") != NULL);
	CHECK_RC(cpuu_reg_key_open(&again, reg, NULL, path_of("Sub")), CPUU_ENOTFOUND);
	CHECK_RC(cpuu_reg_key_create(&k, reg, NULL, path_of("Sub\\Deep")), CPUU_OK);
	CHECK_RC(cpuu_reg_get_dword(&n, reg, deep, "n"), CPUU_ENOTFOUND); /* new key: no value yet */
	CHECK_RC(cpuu_reg_set_dword(reg, deep, "n", 2), CPUU_OK);
	CHECK_RC(cpuu_reg_get_dword(&n, reg, k, "N"), CPUU_OK);
	CHECK(n == 2);
	CHECK_RC(cpuu_reg_key_delete(reg, top, "Missing"), CPUU_ENOTFOUND);
	cpuu_reg_key_free(k);
	cpuu_reg_key_free(deep);
	cpuu_reg_key_free(top);
}

static void test_values(cpuu_reg *reg)
{
	cpuu_reg_key *k = NULL;
	CHECK_RC(cpuu_reg_key_create(&k, reg, NULL, path_of("Values")), CPUU_OK);
	if (!k)
		return;
	const uint8_t sz_odd[] = { 'a', 0, 'b' };             /* odd length */
	const uint8_t sz_unterminated[] = { 'a', 0, 'b', 0 }; /* no NUL: must not grow */
	const uint8_t multi[] = { 'x', 0, 0, 0, 'y', 0, 0, 0, 0, 0 };
	const uint8_t dword[] = { 1, 2, 3, 4 };
	const uint8_t qword[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t odd_type[] = { 0xde, 0xad };
	size_t big_len = 70000; /* above the hive backend's single-cell limit */
	uint8_t *big = malloc(big_len);
	for (size_t i = 0; big && i < big_len; i++)
		big[i] = (uint8_t)(i * 7);
	struct { const char *name; uint32_t type; const void *data; size_t len; } vals[] = {
		{ "", CPUU_REG_SZ, "d\0e\0f\0\0\0", 8 },
		{ "odd", CPUU_REG_SZ, sz_odd, sizeof sz_odd },
		{ "unterminated", CPUU_REG_SZ, sz_unterminated, sizeof sz_unterminated },
		{ "expand", CPUU_REG_EXPAND_SZ, sz_unterminated, sizeof sz_unterminated },
		{ "multi", CPUU_REG_MULTI_SZ, multi, sizeof multi },
		{ "empty", CPUU_REG_BINARY, NULL, 0 },
		{ "emptysz", CPUU_REG_SZ, NULL, 0 },
		{ "dword", CPUU_REG_DWORD, dword, sizeof dword },
		{ "qword", CPUU_REG_QWORD, qword, sizeof qword },
		{ "odd type", 0x12345, odd_type, sizeof odd_type },
		{ "Wert \xC3\xA9", CPUU_REG_BINARY, dword, 3 }, /* Wert é */
		{ "big", CPUU_REG_BINARY, big, big ? big_len : 0 },
	};
	size_t nv = sizeof vals / sizeof vals[0];
	for (size_t i = 0; i < nv; i++)
		CHECK_RC(cpuu_reg_value_set(reg, k, vals[i].name, vals[i].type, vals[i].data, vals[i].len), CPUU_OK);
	for (size_t i = 0; i < nv; i++)
		CHECK(value_is(reg, k, vals[i].name, vals[i].name, vals[i].type, vals[i].data, vals[i].len));

	DWORD type = 0;
	CHECK(raw_len(path_of("Values"), L"unterminated", &type) == 4 && type == REG_SZ);
	CHECK(raw_len(path_of("Values"), L"odd", &type) == 3);

	/* The whole list, by RegEnumValueW. */
	cpuu_reg_value *all = NULL;
	size_t count = 0;
	CHECK_RC(cpuu_reg_key_values(&all, &count, reg, k), CPUU_OK);
	CHECK(count == nv);
	for (size_t i = 0; i < nv; i++) {
		int found = 0;
		for (size_t j = 0; j < count; j++)
			if (!strcmp(all[j].name, vals[i].name) && all[j].type == vals[i].type &&
			    all[j].len == vals[i].len && (!vals[i].len || !memcmp(all[j].data, vals[i].data, vals[i].len)))
				found = 1;
		if (!found)
			fprintf(stderr, "  values(): '%s' missing or different\n", vals[i].name);
		CHECK(found);
	}
	cpuu_reg_values_free(all, count);
	/* The same through a view (a copy the handle keeps for this backend),
	 * still valid after reading another key. */
	const cpuu_reg_value *seen = NULL;
	size_t nseen = 0;
	CHECK_RC(cpuu_reg_key_values_view(&seen, &nseen, reg, k), CPUU_OK);
	cpuu_reg_value *again = NULL;
	size_t nagain = 0;
	CHECK_RC(cpuu_reg_key_values(&again, &nagain, reg, k), CPUU_OK);
	CHECK(nseen == nv && nagain == nv);
	for (size_t i = 0; i < nseen && i < nagain; i++)
		CHECK(!strcmp(seen[i].name, again[i].name) && seen[i].len == again[i].len &&
		      (!seen[i].len || !memcmp(seen[i].data, again[i].data, seen[i].len)));
	cpuu_reg_values_free(again, nagain);

	/* Case-insensitive names, stored name kept on replace. */
	CHECK(value_is(reg, k, "WERT \xC3\x89", "Wert \xC3\xA9", CPUU_REG_BINARY, dword, 3)); /* WERT É */
	CHECK(value_is(reg, k, "DWORD", "dword", CPUU_REG_DWORD, dword, 4));
	CHECK_RC(cpuu_reg_set_dword(reg, k, "DWord", 7), CPUU_OK);
	uint8_t seven[] = { 7, 0, 0, 0 };
	CHECK(value_is(reg, k, "dword", "dword", CPUU_REG_DWORD, seven, 4));

	/* Strings through the helpers. */
	CHECK_RC(cpuu_reg_set_string(reg, k, "s", "gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80"), CPUU_OK);
	char *s = NULL;
	CHECK_RC(cpuu_reg_get_string(&s, reg, k, "S"), CPUU_OK);
	CHECK(s && !strcmp(s, "gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80"));
	free(s);

	/* Same bytes again: no change, nothing dirty (second runs write nothing). */
	CHECK_RC(cpuu_reg_commit(reg, NULL), CPUU_OK);
	CHECK(!cpuu_reg_dirty(reg));
	CHECK_RC(cpuu_reg_value_set(reg, k, "ODD", CPUU_REG_SZ, sz_odd, sizeof sz_odd), CPUU_OK);
	CHECK(!cpuu_reg_dirty(reg));
	CHECK_RC(cpuu_reg_value_set(reg, k, "odd", CPUU_REG_BINARY, sz_odd, sizeof sz_odd), CPUU_OK);
	CHECK(cpuu_reg_dirty(reg)); /* another type is a change */
	CHECK_RC(cpuu_reg_commit(reg, NULL), CPUU_OK);
	CHECK(!cpuu_reg_dirty(reg));
	CHECK(cpuu_reg_last_backup(reg) == NULL);

	CHECK_RC(cpuu_reg_value_delete(reg, k, "EMPTY"), CPUU_OK);
	CHECK(cpuu_reg_dirty(reg));
	CHECK_RC(cpuu_reg_value_delete(reg, k, "empty"), CPUU_ENOTFOUND);
	cpuu_reg_value v;
	CHECK_RC(cpuu_reg_value_get(&v, reg, k, "empty"), CPUU_ENOTFOUND);
	CHECK_RC(cpuu_reg_commit(reg, NULL), CPUU_OK);
	free(big);
	cpuu_reg_key_free(k);
}

static void test_read_only(void)
{
	cpuu_reg *ro = NULL;
	CHECK_RC(cpuu_reg_open_live(&ro, 0), CPUU_OK);
	if (!ro)
		return;
	cpuu_reg_key *k = NULL;
	CHECK_RC(cpuu_reg_key_open(&k, ro, NULL, path_of("Values")), CPUU_OK);
	uint32_t n = 0;
	CHECK_RC(cpuu_reg_get_dword(&n, ro, k, "dword"), CPUU_OK);
	CHECK(n == 7);
	CHECK_RC(cpuu_reg_set_dword(ro, k, "dword", 8), CPUU_EREADONLY);
	CHECK_RC(cpuu_reg_key_create(NULL, ro, NULL, path_of("New")), CPUU_EREADONLY);
	CHECK_RC(cpuu_reg_key_delete(ro, NULL, path_of("Values")), CPUU_EREADONLY);
	CHECK_RC(cpuu_reg_commit(ro, NULL), CPUU_EREADONLY);
	cpuu_reg_key_free(k);
	cpuu_reg_free(ro);
}

int main(void)
{
	snprintf(base, sizeof base, "Software\\cpuu-test-%lu", (unsigned long)GetCurrentProcessId());
	cpuu_reg *reg = NULL;
	CHECK_RC(cpuu_reg_open_live(&reg, CPUU_REG_OPEN_WRITE), CPUU_OK);
	if (!reg)
		return 1;
	CHECK(!strcmp(cpuu_reg_backend_name(reg), "win32"));
	CHECK(cpuu_reg_capabilities(reg) == (CPUU_REG_CAP_LIVE | CPUU_REG_CAP_NEEDS_STATE_DIR));
	CHECK(!cpuu_reg_dirty(reg));
	CHECK_RC(cpuu_reg_value_set(reg, NULL, "bad\xC3", CPUU_REG_SZ, NULL, 0), CPUU_EINVALID);
	test_keys(reg);
	test_values(reg);
	test_read_only();
	CHECK_RC(cpuu_reg_key_delete(reg, NULL, base), CPUU_OK);
	cpuu_reg_key *gone = NULL;
	CHECK_RC(cpuu_reg_key_open(&gone, reg, NULL, base), CPUU_ENOTFOUND);
	cpuu_reg_free(reg);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("test_registry_live: all checks passed\n");
	return 0;
}
