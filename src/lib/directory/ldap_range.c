/* Ranged attribute retrieval (AD's "incremental retrieval of multi-valued
 * properties"): an Active Directory DC returns at most MaxValRange values
 * (1500 by default) of one attribute per answer, named
 * "proxyAddresses;range=0-1499" instead of "proxyAddresses"; the client asks
 * for "proxyAddresses;range=1500-*" next, and so on until an answer's range
 * ends in "*". Without it a mailbox's X500 history past the first 1500
 * addresses would be invisible: lookups by those addresses would find
 * nothing and `map x500` would add addresses the target already holds.
 *
 * Backend-neutral: each backend (OpenLDAP, wldap32) copies entries with the
 * attribute names as the server sent them and gives a base-object read of
 * one attribute of one DN; the loop, the parsing and the checks are here so
 * both backends behave alike. */
#include "directory/internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dir_entry_clear(dir_entry *e)
{
	for (size_t i = 0; i < e->count; i++) {
		for (size_t k = 0; k < e->attrs[i].count; k++)
			free(e->attrs[i].vals[k].data);
		free(e->attrs[i].vals);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	memset(e, 0, sizeof *e);
}

/* Continuation reads made by this process (tests check that ranges were
 * really followed; Samba only ranges when asked). */
static _Atomic size_t g_followups;

size_t dir_range_followups(void)
{
	return g_followups;
}

int dir_range_step(void)
{
	/* Test-only hook (docs/directory.md, "Ranged values"): Samba answers a
	 * ranged request but never cuts an unranged one, so the Samba tests
	 * ask for small ranges to make the DC answer as a Windows DC with a
	 * small MaxValRange would. Not configuration: nothing else reads it. */
	const char *s = getenv("CPUU_TEST_LDAP_RANGE_STEP");
	if (!s || !s[0])
		return 0;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	return !errno && end && !*end && v > 0 && v <= 1000000 ? (int)v : 0;
}

/* "name;opt;range=LO-HI;opt" -> the name without the range option, LO and
 * HI (-1 for "*"). Returns 0 when there is no (valid) range option. */
static int parse_range(char **base, unsigned long *lo, long *hi, const char *name)
{
	const char *p = name;
	while ((p = strchr(p, ';')) != NULL) {
		if (dir_has_prefix(p + 1, "range="))
			break;
		p++;
	}
	if (!p)
		return 0;
	const char *r = p + 7, *opt_end = strchr(r, ';');
	char *end = NULL;
	errno = 0;
	unsigned long l = strtoul(r, &end, 10);
	if (errno || end == r || *end != '-')
		return 0;
	r = end + 1;
	long h;
	if (*r == '*') {
		h = -1;
		end = (char *)r + 1;
	} else {
		h = strtol(r, &end, 10);
		if (errno || end == r || h < (long)l)
			return 0;
	}
	if (*end && *end != ';')
		return 0;
	/* The name without ";range=LO-HI" (other options kept). */
	size_t head = (size_t)(p - name);
	const char *tail = opt_end ? opt_end : "";
	*base = cpuu_aprintf("%.*s%s", (int)head, name, tail);
	if (!*base)
		return cpuu_error_oom();
	*lo = l;
	*hi = h;
	return 1;
}

char *dir_range_attr_name(const char *attr, unsigned long lo, int step)
{
	char *s = step > 0 ? cpuu_aprintf("%s;range=%lu-%lu", attr, lo, lo + (unsigned long)step - 1)
			   : cpuu_aprintf("%s;range=%lu-*", attr, lo);
	if (!s)
		cpuu_error_oom();
	return s;
}

char **dir_range_attrs(const char *const *attrs, int step)
{
	size_t n = 0;
	while (attrs && attrs[n])
		n++;
	char **out = calloc(n + 1, sizeof *out);
	if (!out) {
		cpuu_error_oom();
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* "*", "+" and "1.1" are selectors, not attributes. */
		int plain = !strcmp(attrs[i], "*") || !strcmp(attrs[i], "+") || !strcmp(attrs[i], "1.1");
		out[i] = plain ? cpuu_strdup(attrs[i]) : dir_range_attr_name(attrs[i], 0, step);
		if (!out[i]) {
			dir_range_attrs_free(out);
			cpuu_error_oom();
			return NULL;
		}
	}
	return out;
}

void dir_range_attrs_free(char **attrs)
{
	for (size_t i = 0; attrs && attrs[i]; i++)
		free(attrs[i]);
	free(attrs);
}

static int append_vals(dir_attr *at, dir_attr *more)
{
	if (!more->count)
		return CPUU_OK;
	dir_val *grown = cpuu_array_reserve(at->vals, NULL, at->count + more->count, sizeof *grown);
	if (!grown)
		return cpuu_error_oom();
	at->vals = grown;
	/* The values move: more keeps none. */
	memcpy(at->vals + at->count, more->vals, more->count * sizeof *more->vals);
	at->count += more->count;
	more->count = 0;
	return CPUU_OK;
}

/* Reads the values of base (at->name) from hi + 1 on until a range ends in
 * "*". An answer must continue exactly where the last one ended and bring
 * values, or the loop could run forever on a server that misbehaves. */
static int follow(dir_attr *at, long hi, const char *dn, dir_range_read read, void *ctx)
{
	int step = dir_range_step();
	size_t rounds = 0;
	while (hi >= 0) {
		unsigned long want = (unsigned long)hi + 1;
		char *req = dir_range_attr_name(at->name, want, step);
		if (!req)
			return CPUU_ENOMEM;
		dir_entry more;
		memset(&more, 0, sizeof more);
		int rc = read(&more, ctx, dn, req);
		free(req);
		g_followups++;
		if (rc != CPUU_OK) {
			dir_entry_clear(&more);
			cpuu_error_prefix("reading '%s' of %s from value %lu on", at->name, dn, want);
			return rc;
		}
		dir_attr *got = NULL;
		unsigned long lo = 0;
		long next = -1;
		for (size_t i = 0; i < more.count && !got; i++) {
			char *b = NULL;
			int r = parse_range(&b, &lo, &next, more.attrs[i].name);
			if (r < 0) {
				dir_entry_clear(&more);
				return r;
			}
			if (r && !cpuu_strcasecmp_ascii(b, at->name))
				got = &more.attrs[i];
			free(b);
		}
		if (!got) {
			/* Nothing from that index on (the values were removed
			 * meanwhile, or the last range ended exactly there). */
			dir_entry_clear(&more);
			return CPUU_OK;
		}
		if (lo != want || (next >= 0 && !got->count) || ++rounds > 1000000) {
			dir_entry_clear(&more);
			return cpuu_error_set(CPUU_ERROR, "%s: the server answered values %lu-%ld of '%s' when asked "
							  "for %lu on: ranged retrieval does not advance",
					      dn, lo, next, at->name, want);
		}
		rc = append_vals(at, got);
		dir_entry_clear(&more);
		if (rc != CPUU_OK)
			return rc;
		hi = next;
	}
	return CPUU_OK;
}

int dir_entry_complete_ranges(dir_entry *e, dir_range_read read, void *ctx)
{
	for (size_t i = 0; i < e->count; i++) {
		dir_attr *at = &e->attrs[i];
		char *base = NULL;
		unsigned long lo = 0;
		long hi = -1;
		int r = parse_range(&base, &lo, &hi, at->name);
		if (r < 0)
			return r;
		if (!r)
			continue;
		free(at->name);
		at->name = base;
		if (lo != 0)
			return cpuu_error_set(CPUU_ERROR, "%s: the server answered '%s' from value %lu, not from the first",
					      e->dn, base, lo);
		int rc = follow(at, hi, e->dn, read, ctx);
		if (rc != CPUU_OK)
			return rc;
	}
	return CPUU_OK;
}
