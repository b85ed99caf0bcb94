/* One lookup entry point over the mapping file or the live directories,
 * chosen by the configuration ([Mapping] File wins when set). */
#include "directory/internal.h"
#include "cpuu/mapping.h"

#include <stdlib.h>
#include <string.h>

struct cpuu_resolver {
	cpuu_mapping *mapping;
	cpuu_directory *dir;
};

static int dup_field(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return CPUU_OK;
	return (*dst = cpuu_strdup(src)) ? CPUU_OK : cpuu_error_oom();
}

int cpuu_match_copy(cpuu_match *dst, const cpuu_match *src)
{
	memset(dst, 0, sizeof *dst);
	int rc;
	if ((rc = dup_field(&dst->source_legacy_dn, src->source_legacy_dn)) ||
	    (rc = dup_field(&dst->source_smtp, src->source_smtp)) ||
	    (rc = dup_field(&dst->source_mailbox_guid, src->source_mailbox_guid)) ||
	    (rc = dup_field(&dst->target_legacy_dn, src->target_legacy_dn)) ||
	    (rc = dup_field(&dst->target_smtp, src->target_smtp)) ||
	    (rc = dup_field(&dst->target_mailbox_guid, src->target_mailbox_guid)) ||
	    (rc = dup_field(&dst->target_display_name, src->target_display_name)) ||
	    (rc = dup_field(&dst->target_server, src->target_server)))
		goto fail;
	for (size_t i = 0; i < src->source_x500.count; i++)
		if ((rc = cpuu_strlist_push(&dst->source_x500, src->source_x500.items[i])) != CPUU_OK)
			goto fail;
	dst->target_kind = src->target_kind;
	dst->switched = src->switched;
	return CPUU_OK;
fail:
	cpuu_match_clear(dst);
	return rc;
}

int cpuu_resolver_open(cpuu_resolver **out, const cpuu_config *cfg)
{
	*out = NULL;
	cpuu_resolver *r = calloc(1, sizeof *r);
	if (!r)
		return cpuu_error_oom();
	const char *file = cpuu_config_get_string(cfg, "Mapping", "File");
	int rc = file && file[0] ? cpuu_mapping_load(&r->mapping, file) : cpuu_directory_open(&r->dir, cfg);
	if (rc != CPUU_OK) {
		free(r);
		return rc;
	}
	*out = r;
	return CPUU_OK;
}

int cpuu_resolver_uses_file(const cpuu_resolver *r)
{
	return r->mapping != NULL;
}

int cpuu_resolver_lookup(cpuu_match *out, cpuu_lookup_status *status,
			 cpuu_resolver *r, const char *key)
{
	if (r->dir)
		return cpuu_directory_lookup(out, status, r->dir, key);
	memset(out, 0, sizeof *out);
	const cpuu_match *m = NULL;
	int rc = cpuu_mapping_lookup(&m, status, r->mapping, key);
	if (rc != CPUU_OK)
		return rc;
	if (m && (*status == CPUU_LOOKUP_FOUND || *status == CPUU_LOOKUP_NO_TARGET)) {
		rc = cpuu_match_copy(out, m);
		if (rc == CPUU_OK && *status != CPUU_LOOKUP_FOUND)
			out->switched = 0;
	}
	return rc;
}

void cpuu_resolver_free(cpuu_resolver *r)
{
	if (!r)
		return;
	cpuu_mapping_free(r->mapping);
	cpuu_directory_free(r->dir);
	free(r);
}
