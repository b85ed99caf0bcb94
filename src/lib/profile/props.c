/* Reading profile sections: typed access to MAPI-tagged values with errors
 * that name the profile, the section key and the value. */
#include "profile/internal.h"

#include "cpuu/mapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int prof_fail(int code, const prof_ctx *ctx, const char *section, const char *value, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (value)
		return cpuu_error_set(code, "profile '%s': section %s: value %s: %s", ctx->profile, section, value, msg);
	return cpuu_error_set(code, "profile '%s': section %s: %s", ctx->profile, section, msg);
}

int prof_wrap(const prof_ctx *ctx, const char *section, const char *value)
{
	if (value)
		return cpuu_error_prefix("profile '%s': section %s: value %s", ctx->profile, section, value);
	return cpuu_error_prefix("profile '%s': section %s", ctx->profile, section);
}

int prof_section_open_uid(prof_section *out, const prof_ctx *ctx, const uint8_t uid[16],
			  const char *from_section, const char *from_value)
{
	memset(out, 0, sizeof *out);
	cpuu_hex_encode(out->uid, uid, 16);
	int rc = cpuu_reg_key_open(&out->key, ctx->reg, ctx->profile_key, out->uid);
	if (rc == CPUU_ENOTFOUND)
		return prof_fail(CPUU_EINVALID, ctx, from_section, from_value,
				 "dangling link: section key %s does not exist", out->uid);
	if (rc < 0)
		return prof_wrap(ctx, out->uid, NULL);
	return CPUU_OK;
}

int prof_section_open_named(prof_section *out, int *found, const prof_ctx *ctx, const char *name)
{
	memset(out, 0, sizeof *out);
	*found = 0;
	snprintf(out->uid, sizeof out->uid, "%s", name);
	int rc = cpuu_reg_key_open(&out->key, ctx->reg, ctx->profile_key, name);
	if (rc == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	if (rc < 0)
		return prof_wrap(ctx, name, NULL);
	*found = 1;
	return CPUU_OK;
}

void prof_section_close(prof_section *s)
{
	cpuu_reg_key_free(s->key);
	s->key = NULL;
	cpuu_reg_values_free(s->values, s->count);
	free(s->tags);
	free(s->plain);
	s->values = NULL;
	s->tags = NULL;
	s->plain = NULL;
	s->count = 0;
}

int prof_section_read_all(const prof_ctx *ctx, prof_section *s)
{
	if (s->values || !s->key)
		return CPUU_OK;
	cpuu_reg_value *values = NULL;
	size_t n = 0;
	if (cpuu_reg_key_values(&values, &n, ctx->reg, s->key) < 0)
		return prof_wrap(ctx, s->uid, NULL);
	uint32_t *tags = calloc(n ? n : 1, sizeof *tags);
	unsigned char *plain = calloc(n ? n : 1, 1);
	if (!tags || !plain) {
		cpuu_reg_values_free(values, n);
		free(tags);
		free(plain);
		return cpuu_error_oom();
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = values[i].name;
		size_t len = strlen(name);
		int secure;
		/* Only 8 hex digits (after an optional "S") can be a tag: other
		 * names are not parsed (the parse formats an error for each). */
		if (len == 8 || (len == 9 && (name[0] == 'S' || name[0] == 's')))
			plain[i] = cpuu_mapi_tag_parse(&tags[i], &secure, name) == CPUU_OK && !secure;
	}
	s->values = values;
	s->tags = tags;
	s->plain = plain;
	s->count = n;
	return CPUU_OK;
}

/* The value the registry would answer for the tag's name in a section read
 * whole: names are the tag's 8 hex digits in any letter case (a secure "S"
 * name is another name), the first in value order as the registry's own
 * look-up. NULL when absent. */
static const cpuu_reg_value *section_find(const prof_section *s, uint32_t tag)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->plain[i] && s->tags[i] == tag)
			return &s->values[i];
	return NULL;
}

/* Reads and decodes one tagged value; *found 0 when absent. Secure ("S...")
 * values are never asked for: names are built here from plain tags. */
static int get_decoded(cpuu_mapi_value *out, int *found, const prof_ctx *ctx, const prof_section *s, uint32_t tag)
{
	char name[10];
	cpuu_reg_value got = { 0 };
	const cpuu_reg_value *v = &got;
	int rc;
	cpuu_mapi_tag_format(name, tag, 0);
	*found = 0;
	memset(out, 0, sizeof *out);
	if (s->values) {
		if (!(v = section_find(s, tag)))
			return CPUU_OK;
	} else if ((rc = cpuu_reg_value_get(&got, ctx->reg, s->key, name)) == CPUU_ENOTFOUND) {
		cpuu_error_clear();
		return CPUU_OK;
	} else if (rc < 0) {
		return prof_wrap(ctx, s->uid, name);
	}
	uint16_t type = CPUU_PROP_TYPE(tag);
	/* Only PT_STRING8 may be REG_SZ (docs/profile-format.md); everything else is REG_BINARY. */
	int type_ok = v->type == CPUU_REG_BINARY || (type == CPUU_PT_STRING8 && v->type == CPUU_REG_SZ);
	if (!type_ok) {
		rc = prof_fail(CPUU_EINVALID, ctx, s->uid, name, "registry type %u is wrong for this property (expected %s)",
			       (unsigned)v->type, type == CPUU_PT_STRING8 ? "REG_SZ or REG_BINARY" : "REG_BINARY");
		cpuu_reg_value_clear(&got);
		return rc;
	}
	rc = cpuu_mapi_value_decode(out, tag, v->type, v->data, v->len);
	cpuu_reg_value_clear(&got);
	if (rc < 0)
		return prof_wrap(ctx, s->uid, name);
	*found = 1;
	return CPUU_OK;
}

int prof_get_string(char **out, const prof_ctx *ctx, const prof_section *s, uint16_t id)
{
	static const uint16_t types[] = { CPUU_PT_UNICODE, CPUU_PT_STRING8 };
	*out = NULL;
	for (size_t i = 0; i < 2; i++) {
		cpuu_mapi_value v;
		int found;
		int rc = get_decoded(&v, &found, ctx, s, CPUU_PROP_TAG(types[i], id));
		if (rc < 0)
			return rc;
		if (!found)
			continue;
		/* Ownership of the decoded string moves to the caller. */
		*out = v.u.str;
		v.u.str = NULL;
		cpuu_mapi_value_clear(&v);
		if (!*out) {
			char name[10];
			cpuu_mapi_tag_format(name, CPUU_PROP_TAG(types[i], id), 0);
			return prof_fail(CPUU_ENOMEM, ctx, s->uid, name, "out of memory");
		}
		return CPUU_OK;
	}
	return CPUU_OK;
}

int prof_get_long(int32_t *out, int *found, const prof_ctx *ctx, const prof_section *s, uint16_t id)
{
	cpuu_mapi_value v;
	*out = 0;
	int rc = get_decoded(&v, found, ctx, s, CPUU_PROP_TAG(CPUU_PT_LONG, id));
	if (rc < 0 || !*found)
		return rc;
	*out = v.u.l;
	cpuu_mapi_value_clear(&v);
	return CPUU_OK;
}

int prof_get_uid_list(uint8_t **out, size_t *count, const prof_ctx *ctx, const prof_section *s, uint16_t id)
{
	cpuu_mapi_value v;
	int found;
	uint32_t tag = CPUU_PROP_TAG(CPUU_PT_BINARY, id);
	*out = NULL;
	*count = 0;
	int rc = get_decoded(&v, &found, ctx, s, tag);
	if (rc < 0 || !found)
		return rc;
	if (v.u.bin.len % 16 != 0) {
		char name[10];
		size_t len = v.u.bin.len;
		cpuu_mapi_value_clear(&v);
		cpuu_mapi_tag_format(name, tag, 0);
		return prof_fail(CPUU_EINVALID, ctx, s->uid, name,
				 "length %zu is not a multiple of 16 (a list of section UIDs)", len);
	}
	*count = v.u.bin.len / 16;
	if (*count == 0) {
		cpuu_mapi_value_clear(&v);
		return CPUU_OK;
	}
	*out = v.u.bin.data;
	v.u.bin.data = NULL;
	v.u.bin.len = 0;
	cpuu_mapi_value_clear(&v);
	return CPUU_OK;
}
