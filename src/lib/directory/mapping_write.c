/* Writing a mapping file: every column, quoted only when needed, replaced
 * atomically so a workstation reading the share never sees half a file. */
#include "directory/mapping_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

static void put_field(cpuu_buf *b, const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	/* The reader trims blanks around unquoted fields, so those need quotes too. */
	int quote = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
	if (!quote && strpbrk(s, ",\"\r\n"))
		quote = 1;
	if (!quote) {
		cpuu_buf_append(b, s, n);
		return;
	}
	cpuu_buf_append(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			cpuu_buf_append(b, "\"", 1);
		cpuu_buf_append(b, p, 1);
	}
	cpuu_buf_append(b, "\"", 1);
}

/* A source key is written in its normal form (case kept), so the file holds
 * what every lookup compares. A text that is no key of its column's kind is
 * written as it is: the reader then reports the row and never switches its
 * user, which is safer than dropping the key. */
static void key_text(cpuu_buf *b, const char *s, cpuu_key_kind want)
{
	map_key k;
	if (s && map_key_span(&k, s, strlen(s)) == (int)want) {
		char *t = cpuu_strndup(k.p, k.n);
		if (!t) {
			b->failed = true;
			return;
		}
		put_field(b, t);
		free(t);
		return;
	}
	put_field(b, s);
}

static int guid_is_canonical(const char *g)
{
	if (!g)
		return 1;
	if (strlen(g) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = g[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

static int format_row(cpuu_buf *b, const cpuu_match *m, size_t i)
{
	if (!guid_is_canonical(m->target_mailbox_guid))
		return cpuu_error_set(CPUU_EINVALID, "match %zu: mailbox GUID not in lowercase xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx form", i);
	key_text(b, m->source_legacy_dn, CPUU_KEY_DN);
	cpuu_buf_append(b, ",", 1);
	key_text(b, m->source_smtp, CPUU_KEY_SMTP);
	cpuu_buf_append(b, ",", 1);
	key_text(b, m->source_mailbox_guid, CPUU_KEY_GUID);
	cpuu_buf_append(b, ",", 1);
	cpuu_buf joined = { 0 };
	for (size_t k = 0; k < m->source_x500.count; k++) {
		const char *x = m->source_x500.items[k];
		if (!x || !*x)
			continue;
		if (strchr(x, ';')) {
			cpuu_buf_dispose(&joined);
			return cpuu_error_set(CPUU_EINVALID, "match %zu: X500 address contains ';': %s", i, x);
		}
		if (joined.len)
			cpuu_buf_append(&joined, ";", 1);
		map_key xk;
		if (map_key_span(&xk, x, strlen(x)) == CPUU_KEY_DN)
			cpuu_buf_append(&joined, xk.p, xk.n);
		else
			cpuu_buf_puts(&joined, x);
	}
	if (joined.failed) {
		cpuu_buf_dispose(&joined);
		return cpuu_error_oom();
	}
	put_field(b, joined.len ? joined.data : NULL);
	cpuu_buf_dispose(&joined);
	cpuu_buf_append(b, ",", 1);
	put_field(b, m->target_legacy_dn);
	cpuu_buf_append(b, ",", 1);
	put_field(b, m->target_smtp);
	cpuu_buf_append(b, ",", 1);
	put_field(b, m->target_mailbox_guid);
	cpuu_buf_append(b, ",", 1);
	put_field(b, m->target_display_name);
	cpuu_buf_append(b, ",", 1);
	put_field(b, m->target_kind == CPUU_TARGET_ONPREM ? "onprem" : m->target_kind == CPUU_TARGET_ONLINE ? "online" : NULL);
	cpuu_buf_append(b, ",", 1);
	put_field(b, m->target_server);
	cpuu_buf_append(b, ",", 1);
	cpuu_buf_puts(b, m->switched ? "true\n" : "false\n");
	return CPUU_OK;
}


int cpuu_mapping_format(char **out, size_t *out_len, const cpuu_match *matches, size_t n)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (n && !matches)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_format: NULL argument");
	cpuu_buf b = { 0 };
	cpuu_buf_puts(&b, "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,"
			  "target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,"
			  "target_kind,target_server,switched\n");
	for (size_t i = 0; i < n; i++) {
		int rc = format_row(&b, &matches[i], i);
		if (rc < 0) {
			cpuu_buf_dispose(&b);
			return rc;
		}
	}
	*out = cpuu_buf_detach(&b, out_len);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

int cpuu_mapping_write(const char *path, const cpuu_match *matches, size_t n)
{
	if (!path)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_mapping_write: NULL path");
	char *text;
	size_t len;
	int rc = cpuu_mapping_format(&text, &len, matches, n);
	if (rc < 0)
		return rc;
	/* Workstations read the file from a share: world-readable, no secrets in it. */
	rc = cpuu_file_write_atomic(path, text, len, CPUU_FILE_SHARED);
	free(text);
	return rc;
}
