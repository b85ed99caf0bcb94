/* String and DWORD helpers over cpuu_reg_value_get/set. */
#include "registry/internal.h"
#include "cpuu/unicode.h"

#include <stdlib.h>

int cpuu_reg_get_string(char **out, cpuu_reg *reg, const cpuu_reg_key *key, const char *name)
{
	if (!out)
		return cpuu_error_set(CPUU_EINVALID, "get string: NULL output");
	*out = NULL;
	cpuu_reg_value v;
	int rc = cpuu_reg_value_get(&v, reg, key, name);
	if (rc)
		return rc;
	if (v.type != CPUU_REG_SZ && v.type != CPUU_REG_EXPAND_SZ && v.type != CPUU_REG_BINARY) {
		rc = cpuu_error_set(CPUU_EINVALID, "key '%s', value '%s': type %u is not a string",
				    cpuu_reg_key_path(key), v.name, v.type);
		cpuu_reg_value_clear(&v);
		return rc;
	}
	size_t n;
	rc = cpuu_utf16le_to_utf8(out, &n, v.data, v.len, 0);
	if (rc)
		cpuu_error_prefix("key '%s', value '%s'", key ? cpuu_reg_key_path(key) : "", v.name);
	cpuu_reg_value_clear(&v);
	return rc;
}

int cpuu_reg_set_string(cpuu_reg *reg, const cpuu_reg_key *key, const char *name, const char *utf8)
{
	if (!utf8)
		return cpuu_error_set(CPUU_EINVALID, "set string '%s': NULL text", name ? name : "");
	uint8_t *data;
	size_t len;
	int rc = cpuu_utf8_to_utf16le(&data, &len, utf8, 1);
	if (rc)
		return cpuu_error_prefix("value '%s'", name ? name : "");
	rc = cpuu_reg_value_set(reg, key, name, CPUU_REG_SZ, data, len);
	free(data);
	return rc;
}

int cpuu_reg_get_dword(uint32_t *out, cpuu_reg *reg, const cpuu_reg_key *key, const char *name)
{
	if (!out)
		return cpuu_error_set(CPUU_EINVALID, "get dword: NULL output");
	cpuu_reg_value v;
	int rc = cpuu_reg_value_get(&v, reg, key, name);
	if (rc)
		return rc;
	if ((v.type == CPUU_REG_DWORD || v.type == CPUU_REG_DWORD_BIG_ENDIAN) && v.len == 4) {
		*out = v.type == CPUU_REG_DWORD ? cpuu_le32(v.data)
						: (uint32_t)v.data[0] << 24 | (uint32_t)v.data[1] << 16 |
							  (uint32_t)v.data[2] << 8 | v.data[3];
	} else {
		rc = cpuu_error_set(CPUU_EINVALID, "key '%s', value '%s': not a 4-byte REG_DWORD (type %u, %zu bytes)",
				    cpuu_reg_key_path(key), v.name, v.type, v.len);
	}
	cpuu_reg_value_clear(&v);
	return rc;
}

int cpuu_reg_set_dword(cpuu_reg *reg, const cpuu_reg_key *key, const char *name, uint32_t v)
{
	uint8_t b[4];
	cpuu_put_le32(b, v);
	return cpuu_reg_value_set(reg, key, name, CPUU_REG_DWORD, b, 4);
}
