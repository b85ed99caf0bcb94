/* cpuu's builders against Microsoft MFCMAPI's SmartView test vectors
 * (shared/vectors/mfcmapi, README there): given the fields MFCMAPI printed
 * for a captured value, cpuu's builder must give back the captured bytes
 * exactly. Store entry IDs, address-book entry IDs, one-off entry IDs and a
 * whole autocomplete stream. Vectors that cannot be rebuilt are printed
 * with the reason and the exact difference is asserted. The field-by-field
 * agreement of the parsers is tests/integration/mfcmapi_vectors.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpuu/autocomplete.h"
#include "cpuu/directory.h"
#include "cpuu/mapi.h"
#include "cpuu/unicode.h"
#include "testutil.h"

static char *vec_dir;

/* --- reading the vectors ---------------------------------------------------- */

static uint8_t *read_hex(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/in/%s.hex", vec_dir, name);
	size_t n = 0;
	uint8_t *t = test_read_file(path, &n);
	assert_non_null(t);
	uint8_t *out = malloc(n / 2 + 1);
	assert_non_null(out);
	size_t o = 0;
	int hi = -1;
	for (size_t i = 0; i < n; i++) {
		int c = t[i], v;
		if (c >= '0' && c <= '9') v = c - '0';
		else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
		else continue; /* blanks, line breaks, dump separators */
		if (hi < 0) {
			hi = v;
		} else {
			out[o++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	free(t);
	*len = o;
	return out;
}

/* MFCMAPI's rendering as lines: tab depth, key, value ("key = value",
 * "key: value", or a bare heading). */
typedef struct line {
	int depth;
	char *key;
	char *value; /* NULL for headings */
} line;

typedef struct doc {
	line *l;
	size_t n;
	char *text;
} doc;

static void doc_read(doc *d, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/out/%s.txt", vec_dir, name);
	size_t n = 0;
	uint8_t *raw = test_read_file(path, &n);
	assert_non_null(raw);
	if (n >= 2 && raw[0] == 0xFF && raw[1] == 0xFE) {
		assert_int_equal(cpuu_utf16le_to_utf8(&d->text, NULL, raw + 2, n - 2, 0), CPUU_OK);
	} else {
		assert_int_equal(cpuu_cp1252_to_utf8(&d->text, NULL, raw, n), CPUU_OK);
	}
	free(raw);
	d->l = NULL;
	d->n = 0;
	for (char *p = d->text, *nl; p && *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = 0;
		size_t L = strlen(p);
		if (L && p[L - 1] == '\r')
			p[--L] = 0;
		int depth = 0;
		while (*p == '\t') {
			p++;
			depth++;
		}
		if (!*p)
			continue;
		d->l = realloc(d->l, (d->n + 1) * sizeof *d->l);
		assert_non_null(d->l);
		line *x = &d->l[d->n++];
		x->depth = depth;
		x->key = p;
		x->value = NULL;
		char *eq = strstr(p, " = ");
		char *colon = strstr(p, ": ");
		if (colon && (!eq || colon < eq) && !strncmp(p, "dwBitmask", 9)) {
			*colon = 0;
			x->value = colon + 2;
		} else if (eq) {
			*eq = 0;
			x->value = eq + 3;
		} else if (L >= 2 && !strcmp(p + strlen(p) - 2, " =")) {
			p[strlen(p) - 2] = 0;
			x->value = p + strlen(p); /* "" */
		}
	}
}

static void doc_free(doc *d)
{
	free(d->l);
	cpuu_free(d->text);
}

/* Value of the first line named key at index >= from (and deeper than
 * stop_depth, stopping at the first line not deeper). */
static const char *field(const doc *d, size_t from, int stop_depth, const char *key)
{
	for (size_t i = from; i < d->n && d->l[i].depth > stop_depth; i++)
		if (!strcmp(d->l[i].key, key))
			return d->l[i].value;
	return NULL;
}

static uint32_t num(const char *v)
{
	assert_non_null(v);
	return (uint32_t)strtoul(v, NULL, 16);
}

/* "{20FA551B-66AA-CD11-9BC8-00AA002FC45A}" -> the GUID's bytes in memory order. */
static void guid(uint8_t out[16], const char *v)
{
	unsigned a, b, c, d[8];
	assert_non_null(v);
	assert_int_equal(sscanf(v, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &a, &b, &c, &d[0], &d[1], &d[2], &d[3],
				&d[4], &d[5], &d[6], &d[7]),
			 11);
	out[0] = (uint8_t)a; out[1] = (uint8_t)(a >> 8); out[2] = (uint8_t)(a >> 16); out[3] = (uint8_t)(a >> 24);
	out[4] = (uint8_t)b; out[5] = (uint8_t)(b >> 8); out[6] = (uint8_t)c; out[7] = (uint8_t)(c >> 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)d[i];
}

/* "cb: 27 lpb: 534D..." -> bytes. */
static uint8_t *lpb(const char *v, size_t *n)
{
	const char *p = v ? strstr(v, "lpb: ") : NULL;
	assert_non_null(p);
	p += 5;
	size_t L = strspn(p, "0123456789ABCDEFabcdef");
	uint8_t *b = malloc(L / 2 + 1);
	assert_non_null(b);
	for (size_t i = 0; i < L / 2; i++) {
		unsigned x;
		assert_int_equal(sscanf(p + 2 * i, "%2x", &x), 1);
		b[i] = (uint8_t)x;
	}
	*n = L / 2;
	return b;
}

static void vector_names(char ***names, size_t *count, const char *prefix)
{
	*names = NULL;
	*count = 0;
	for (int i = 1; i < 100; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/in/%s-%d.hex", vec_dir, prefix, i);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		fclose(f);
		*names = realloc(*names, (*count + 1) * sizeof **names);
		assert_non_null(*names);
		(*names)[*count] = malloc(64);
		snprintf((*names)[(*count)++], 64, "%s-%d", prefix, i);
	}
}

static size_t heading(const doc *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->l[i].key, key) && !d->l[i].value)
			return i;
	return (size_t)-1;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* --- store and address-book entry IDs ------------------------------------ */

/* Little-endian DWORD (the test's own reader). */
static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}


static void test_entryids_rebuilt_from_mfcmapi_fields(void **state)
{
	(void)state;
	char **names;
	size_t count, stores = 0, v2_size_only = 0, abs = 0;
	vector_names(&names, &count, "ENTRYID");
	assert_true(count > 30);
	for (size_t v = 0; v < count; v++) {
		doc d;
		doc_read(&d, names[v]);
		size_t len;
		uint8_t *in = read_hex(names[v], &len);
		size_t s = heading(&d, "MAPI Message Store Entry ID");
		size_t a = heading(&d, "Exchange Address Entry ID");
		int unparsed = 0;
		for (size_t i = 0; i < d.n; i++)
			if (!strcmp(d.l[i].key, "Unparsed data size"))
				unparsed = 1;
		if (s != (size_t)-1 && d.l[s].depth == 1 && field(&d, s + 1, 1, "DLLFileName") &&
		    !strcmp(field(&d, s + 1, 1, "DLLFileName"), "EMSMDB.DLL") && !unparsed) {
			cpuu_store_eid e;
			memset(&e, 0, sizeof e);
			e.flags = num(field(&d, 0, -1, "abFlags"));
			guid(e.wrapped_provider, field(&d, s + 1, 1, "WrappedProviderUID"));
			e.wrapped_type = num(field(&d, s + 1, 1, "WrappedType"));
			assert_int_equal(num(field(&d, s + 1, 1, "Wrapped Flags")), 0);
			e.server = (char *)field(&d, s + 1, 1, "ServerShortname");
			e.mailbox_dn = (char *)field(&d, s + 1, 1, "MailboxDN");
			size_t v2 = heading(&d, "MAPI Message Store Entry ID V2");
			if (v2 != (size_t)-1) {
				e.server_dn = (char *)field(&d, v2 + 1, d.l[v2].depth, "DN");
				e.server_fqdn = (char *)field(&d, v2 + 1, d.l[v2].depth, "FQDN");
			}
			size_t v3 = heading(&d, "MAPI Message Store Entry ID V3");
			if (v3 != (size_t)-1)
				e.smtp = (char *)field(&d, v3 + 1, d.l[v3].depth, "SmtpAddress");
			uint8_t *out = NULL;
			size_t ol = 0;
			assert_int_equal(cpuu_store_eid_build(&out, &ol, &e), CPUU_OK);
			if (v2 != (size_t)-1 && (ol != len || memcmp(out, in, len))) {
				/* The V2 captures were anonymised (server names edited)
				 * without fixing the block's Size and OffsetFQDN (MFCMAPI
				 * reads the strings one after the other and only prints
				 * those two fields): the rebuild may differ from the
				 * capture in these two fields and nowhere else. */
				uint32_t size_field = num(field(&d, v2 + 1, d.l[v2].depth, "Size"));
				uint32_t ofq_field = num(field(&d, v2 + 1, d.l[v2].depth, "OffsetFQDN"));
				size_t off = 0;
				for (size_t i = 60; i + 4 <= len; i++)
					if (le32(in + i) == 0xF32135D8u) {
						off = i;
						break;
					}
				assert_true(off > 0);
				assert_memory_equal(out, in, off + 4); /* everything before the V2 Size */
				assert_int_equal(le32(in + off + 4), size_field);
				if (ol != len) {
					/* Shorter than its own strings need: not rebuildable. */
					printf("  %s: V2 store entry ID rebuilt up to the V2 block only: the capture has %zu bytes, "
					       "its fields need %zu (Size says %u; the block lacks the reserved bytes after "
					       "the FQDN): an anonymised, truncated capture\n",
					       names[v], len, ol, (unsigned)size_field);
					v2_size_only++;
					cpuu_free(out);
					free(in);
					doc_free(&d);
					continue;
				}
				assert_int_equal(le32(in + off + 16), ofq_field);
				assert_int_equal(le32(out + off + 4), len - off);
				uint32_t ofq = le32(out + off + 16);
				memcpy(out + off + 4, in + off + 4, 4);
				memcpy(out + off + 16, in + off + 16, 4);
				assert_memory_equal(out, in, len);
				printf("  %s: V2 store entry ID rebuilt byte for byte except Size (capture %u, bytes present %zu) "
				       "and OffsetFQDN (capture 0x%X, where the FQDN starts 0x%X): an anonymised capture\n",
				       names[v], (unsigned)size_field, len - off, (unsigned)ofq_field, (unsigned)ofq);
				v2_size_only++;
			} else {
				assert_int_equal(ol, len);
				assert_memory_equal(out, in, len);
				stores++;
			}
			cpuu_free(out);
		} else if (a != (size_t)-1 && !unparsed) {
			cpuu_ab_eid e;
			memset(&e, 0, sizeof e);
			/* The abFlags and provider of this (possibly wrapped) entry ID. */
			size_t at = a;
			while (at > 0 && strcmp(d.l[at].key, "Provider GUID"))
				at--;
			uint8_t prov[16];
			guid(prov, d.l[at].value);
			assert_memory_equal(prov, cpuu_mapi_uid_emsab, 16);
			e.flags = num(d.l[at - 1].value);
			e.version = num(field(&d, a + 1, d.l[a].depth, "Version"));
			e.display_type = num(field(&d, a + 1, d.l[a].depth, "Type"));
			e.x500_dn = (char *)field(&d, a + 1, d.l[a].depth, "X500DN");
			uint8_t *out = NULL;
			size_t ol = 0;
			assert_int_equal(cpuu_ab_eid_build(&out, &ol, &e), CPUU_OK);
			/* A wrapped entry ID (WAB) holds it at its end. */
			printf("  %s: address-book entry ID\n", names[v]);
			assert_true(ol <= len);
			assert_memory_equal(out, in + len - ol, ol);
			cpuu_free(out);
			abs++;
		}
		free(in);
		doc_free(&d);
	}
	printf("  store entry IDs rebuilt byte for byte from MFCMAPI's fields: %zu V1, %zu V2 anonymised captures (see above); "
	       "V3: no vector in MFCMAPI's set\n  address-book entry IDs rebuilt: %zu\n", stores, v2_size_only, abs);
	assert_true(stores >= 5);
	assert_int_equal(v2_size_only, 2);
	assert_true(abs >= 5);
	free_names(names, count);
}

/* --- the autocomplete stream and its one-off entry IDs -------------------- */

/* The value data MFCMAPI printed for a property, in the stream's layout. */
static uint8_t *prop_from_mfcmapi(const doc *d, size_t at, uint32_t tag, uint8_t value[8], size_t *data_len)
{
	const char *ps = field(d, at + 1, d->l[at].depth, "PropString");
	uint16_t type = (uint16_t)(tag & 0xFFFF);
	*data_len = 0;
	if (type == CPUU_PT_UNICODE) {
		uint8_t *u = NULL;
		size_t ul = 0;
		assert_int_equal(cpuu_utf8_to_utf16le(&u, &ul, ps, 1), CPUU_OK);
		uint8_t *b = malloc(ul + 4);
		assert_non_null(b);
		b[0] = (uint8_t)ul; b[1] = (uint8_t)(ul >> 8); b[2] = (uint8_t)(ul >> 16); b[3] = (uint8_t)(ul >> 24);
		memcpy(b + 4, u, ul);
		cpuu_free(u);
		*data_len = ul + 4;
		return b;
	}
	if (type == CPUU_PT_BINARY) {
		size_t n;
		uint8_t *x = lpb(ps, &n);
		uint8_t *b = malloc(n + 4);
		assert_non_null(b);
		b[0] = (uint8_t)n; b[1] = (uint8_t)(n >> 8); b[2] = (uint8_t)(n >> 16); b[3] = (uint8_t)(n >> 24);
		memcpy(b + 4, x, n);
		free(x);
		*data_len = n + 4;
		return b;
	}
	uint32_t v = 0;
	if (type == CPUU_PT_LONG)
		v = (uint32_t)strtol(ps, NULL, 10);
	else if (type == CPUU_PT_BOOLEAN)
		v = !strcmp(ps, "True");
	else if (type == CPUU_PT_ERROR)
		v = num(strstr(ps, "0x"));
	else
		fail_msg("property type 0x%04x in the vector: add it to the test", type);
	/* Only the value's own bytes come from MFCMAPI; the rest of the 8-byte
	 * union is whatever the writer's memory held (MFCMAPI does not show it). */
	size_t w = type == CPUU_PT_BOOLEAN ? 2 : 4;
	for (size_t i = 0; i < w; i++)
		value[i] = (uint8_t)(v >> (8 * i));
	return NULL;
}

static void test_autocomplete_rebuilt_from_mfcmapi_fields(void **state)
{
	(void)state;
	doc d;
	doc_read(&d, "NICKNAMECACHE-2");
	size_t len;
	uint8_t *in = read_hex("NICKNAMECACHE-2", &len);
	/* The parsed capture supplies what MFCMAPI does not show: each
	 * property's reserved word and the unused bytes of its union. */
	cpuu_autocomplete *cap = NULL;
	assert_int_equal(cpuu_autocomplete_parse(&cap, in, len), CPUU_OK);

	cpuu_autocomplete ac;
	memset(&ac, 0, sizeof ac);
	ac.major = (uint32_t)strtoul(field(&d, 0, -1, "Major Version"), NULL, 10);
	ac.minor = (uint32_t)strtoul(field(&d, 0, -1, "Minor Version"), NULL, 10);
	ac.row_count = (size_t)strtoul(field(&d, 0, -1, "Row Count"), NULL, 10);
	assert_int_equal(ac.row_count, cap->row_count);
	ac.rows = calloc(ac.row_count, sizeof *ac.rows);
	assert_non_null(ac.rows);
	uint8_t **blobs = calloc(ac.row_count * 64, sizeof *blobs);
	size_t nblobs = 0, oneoffs = 0;
	size_t li = 0;
	for (size_t r = 0; r < ac.row_count; r++) {
		char rowname[32];
		snprintf(rowname, sizeof rowname, "Row %zu", r);
		while (li < d.n && strcmp(d.l[li].key, rowname))
			li++;
		assert_true(li < d.n);
		size_t nprops = (size_t)num(field(&d, li + 1, d.l[li].depth, "cValues"));
		assert_int_equal(nprops, cap->rows[r].count);
		ac.rows[r].count = nprops;
		ac.rows[r].props = calloc(nprops, sizeof(cpuu_ac_prop));
		assert_non_null(ac.rows[r].props);
		for (size_t i = 0; i < nprops; i++) {
			char pname[32];
			snprintf(pname, sizeof pname, "Property[%zu]", i);
			while (li < d.n && strcmp(d.l[li].key, pname))
				li++;
			assert_true(li < d.n);
			cpuu_ac_prop *p = &ac.rows[r].props[i];
			const cpuu_ac_prop *c = &cap->rows[r].props[i];
			p->tag = num(field(&d, li + 1, d.l[li].depth, "PropTag"));
			p->reserved = c->reserved;
			memcpy(p->value, c->value, 8);
			uint8_t *data = prop_from_mfcmapi(&d, li, p->tag, p->value, &p->data_len);
			p->data = data;
			if (data)
				blobs[nblobs++] = data;
			/* One-off entry IDs: rebuilt from MFCMAPI's SmartView fields. */
			size_t at = li + 1;
			while (at < d.n && d.l[at].depth > d.l[li].depth && strcmp(d.l[at].key, "MAPI One Off Recipient Entry ID"))
				at++;
			if (at < d.n && d.l[at].depth > d.l[li].depth) {
				cpuu_oneoff_eid o;
				memset(&o, 0, sizeof o);
				o.flags = num(field(&d, at - 3, d.l[at].depth - 2, "abFlags"));
				o.bitmask = num(field(&d, at + 1, d.l[at].depth, "dwBitmask"));
				o.display_name = (char *)field(&d, at + 1, d.l[at].depth, "szDisplayName");
				o.address_type = (char *)field(&d, at + 1, d.l[at].depth, "szAddressType");
				o.address = (char *)field(&d, at + 1, d.l[at].depth, "szEmailAddress");
				uint8_t *out = NULL;
				size_t ol = 0;
				assert_int_equal(cpuu_oneoff_eid_build(&out, &ol, &o), CPUU_OK);
				assert_int_equal(ol + 4, p->data_len);
				assert_memory_equal(out, p->data + 4, ol);
				cpuu_free(out);
				oneoffs++;
			}
		}
	}
	ac.extra = cap->extra;
	ac.extra_len = cap->extra_len;
	size_t mdlen;
	const char *md = NULL;
	for (size_t i = 0; i < d.n; i++)
		if (!strcmp(d.l[i].key, "Metadata 2"))
			md = d.l[i + 1].key;
	assert_non_null(md);
	uint8_t *ft = lpb(md, &mdlen);
	assert_int_equal(mdlen, 8);
	memcpy(ac.filetime, ft, 8);
	free(ft);
	uint8_t *out = NULL;
	size_t ol = 0;
	assert_int_equal(cpuu_autocomplete_write(&out, &ol, &ac), CPUU_OK);
	assert_int_equal(ol, len);
	assert_memory_equal(out, in, len);
	printf("  NICKNAMECACHE-2: %zu rows rebuilt byte for byte from MFCMAPI's fields (%zu bytes); "
	       "%zu one-off entry IDs rebuilt from MFCMAPI's SmartView fields\n", ac.row_count, len, oneoffs);
	assert_true(oneoffs >= 4);
	cpuu_free(out);
	for (size_t i = 0; i < nblobs; i++)
		free(blobs[i]);
	free(blobs);
	for (size_t r = 0; r < ac.row_count; r++)
		free(ac.rows[r].props);
	free(ac.rows);
	cpuu_autocomplete_free(cap);
	free(in);
	doc_free(&d);
}


/* --- rewriting whole rows (issue 14 item 3) -------------------------------- */

/* Lookup over a fixed table: janesmith@contoso.org and the DN of
 * ENTRYID-16 are switched sources; johndoe@contoso.com is not switched. */
static cpuu_match jane, example, john;

static int rw_lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	(void)ctx;
	const cpuu_match *all[] = { &jane, &example, &john };
	*m = NULL;
	*st = CPUU_LOOKUP_NO_SOURCE;
	for (size_t i = 0; i < 3; i++)
		if ((all[i]->source_smtp && !strcasecmp(all[i]->source_smtp, key)) ||
		    (all[i]->source_legacy_dn && !strcasecmp(all[i]->source_legacy_dn, key))) {
			*m = all[i];
			*st = CPUU_LOOKUP_FOUND;
		}
	return CPUU_OK;
}

/* Does any byte run of the property name s (ASCII or UTF-16LE, any case)? */
static int bytes_mention(const uint8_t *b, size_t n, const char *s)
{
	size_t L = strlen(s);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < L && i + k < n && tolower(b[i + k]) == tolower((unsigned char)s[k]))
			k++;
		if (k == L)
			return 1;
		k = 0;
		while (k < L && i + 2 * k + 1 < n && tolower(b[i + 2 * k]) == tolower((unsigned char)s[k]) &&
		       b[i + 2 * k + 1] == 0)
			k++;
		if (k == L)
			return 1;
	}
	return 0;
}

static uint8_t *counted(const void *p, size_t n, size_t *len)
{
	uint8_t *b = malloc(n + 4);
	assert_non_null(b);
	b[0] = (uint8_t)n; b[1] = (uint8_t)(n >> 8); b[2] = (uint8_t)(n >> 16); b[3] = (uint8_t)(n >> 24);
	memcpy(b + 4, p, n);
	*len = n + 4;
	return b;
}

static uint8_t *counted_utf16(const char *s, size_t *len)
{
	uint8_t *u = NULL;
	size_t ul = 0;
	assert_int_equal(cpuu_utf8_to_utf16le(&u, &ul, s, 1), CPUU_OK);
	uint8_t *b = counted(u, ul, len);
	cpuu_free(u);
	return b;
}

static const cpuu_ac_prop *find_prop(const cpuu_ac_row *r, uint32_t tag)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->props[i].tag == tag)
			return &r->props[i];
	return NULL;
}

static char *prop_text(const cpuu_ac_row *r, uint32_t tag)
{
	const cpuu_ac_prop *p = find_prop(r, tag);
	assert_non_null(p);
	char *s = NULL;
	assert_int_equal(cpuu_ac_prop_string(&s, p), CPUU_OK);
	size_t L = strlen(s); /* the stored terminator may decode as a trailing NUL */
	while (L && !s[L - 1])
		L--;
	s[L] = 0;
	return s;
}

static void expect_text(const cpuu_ac_row *r, uint32_t tag, const char *want)
{
	char *s = prop_text(r, tag);
	assert_string_equal(s, want);
	cpuu_free(s);
}

static void test_rewrite_whole_rows_of_real_stream(void **state)
{
	(void)state;
	const char *ex_dn = "/O=microsoft/OU=fareast/cn=Recipients/cn=example";
	memset(&jane, 0, sizeof jane);
	jane.source_smtp = "janesmith@contoso.org";
	jane.source_legacy_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=janesmith";
	jane.target_smtp = "jane.smith@fabrikam.example";
	jane.target_legacy_dn = "/o=Fabrikam/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jane.smith";
	jane.switched = 1;
	example = jane;
	example.source_smtp = "example@fareast.example";
	example.source_legacy_dn = (char *)ex_dn;
	example.target_smtp = "example@fabrikam.example";
	example.target_legacy_dn = "/o=Fabrikam/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=example";
	john = jane;
	john.source_smtp = "johndoe@contoso.com";
	john.source_legacy_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=johndoe";
	john.switched = 0;

	/* The real captured stream: row 0 janesmith (SMTP, one-off IDs), row 1
	 * johndoe. Rows 2 and 3 are built from row 0's real property list:
	 * row 2 an EX row with the real address-book entry ID of ENTRYID-16 and
	 * the drop-down text "addr <addr>"; row 3 row 0 again with PR_ACCOUNT
	 * holding jane's address as text, a property cpuu does not rebuild. */
	size_t len, ablen;
	uint8_t *in = read_hex("NICKNAMECACHE-2", &len);
	uint8_t *ab = read_hex("ENTRYID-16", &ablen);
	cpuu_autocomplete *cap = NULL;
	assert_int_equal(cpuu_autocomplete_parse(&cap, in, len), CPUU_OK);
	assert_int_equal(cap->row_count, 2);
	cpuu_autocomplete ac = *cap;
	cpuu_ac_row rows[4];
	rows[0] = cap->rows[0];
	rows[1] = cap->rows[1];
	size_t n0 = cap->rows[0].count;
	uint8_t *keep[16];
	size_t nkeep = 0, bl;
	for (int r = 2; r < 4; r++) {
		rows[r].count = n0;
		rows[r].props = malloc(n0 * sizeof(cpuu_ac_prop));
		assert_non_null(rows[r].props);
		memcpy(rows[r].props, cap->rows[0].props, n0 * sizeof(cpuu_ac_prop));
	}
	for (size_t i = 0; i < n0; i++) {
		cpuu_ac_prop *p = &rows[2].props[i];
		switch (p->tag) {
		case 0x0FFF0102u: case 0x5FF70102u: case 0x0FF90102u:
			p->data = keep[nkeep++] = counted(ab, ablen, &p->data_len);
			break;
		case 0x3002001Fu:
			p->data = keep[nkeep++] = counted_utf16("EX", &p->data_len);
			break;
		case 0x3003001Fu:
			p->data = keep[nkeep++] = counted_utf16(ex_dn, &p->data_len);
			break;
		case 0x300B0102u: {
			char sk[128];
			snprintf(sk, sizeof sk, "EX:%s", ex_dn);
			for (char *c = sk; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			p->data = keep[nkeep++] = counted(sk, strlen(sk) + 1, &p->data_len);
			break;
		}
		case 0x39FE000Au:
			p->tag = 0x39FE001Fu;
			p->data = keep[nkeep++] = counted_utf16("example@fareast.example", &p->data_len);
			break;
		case 0x6003001Fu:
			p->data = keep[nkeep++] = counted_utf16("example@fareast.example <example@fareast.example>", &p->data_len);
			break;
		case 0x3001001Fu: case 0x5FF6001Fu: case 0x6001001Fu:
			p->data = keep[nkeep++] = counted_utf16("Example User", &p->data_len);
			break;
		}
		cpuu_ac_prop *q = &rows[3].props[i];
		if (q->tag == 0x3A00000Au) {
			q->tag = 0x3A00001Fu;
			q->data = keep[nkeep++] = counted_utf16("janesmith@contoso.org", &q->data_len);
		}
	}
	(void)bl;
	ac.rows = rows;
	ac.row_count = 4;
	/* Written and parsed again: a stream like the ones Outlook keeps. */
	uint8_t *stream = NULL;
	size_t sl = 0;
	assert_int_equal(cpuu_autocomplete_write(&stream, &sl, &ac), CPUU_OK);
	cpuu_autocomplete *st = NULL;
	assert_int_equal(cpuu_autocomplete_parse(&st, stream, sl), CPUU_OK);
	assert_int_equal(st->row_count, 4);

	cpuu_match_source src = { rw_lookup, NULL };
	cpuu_ac_stats stats;
	assert_int_equal(cpuu_autocomplete_rewrite(&stats, st, &src), CPUU_OK);
	printf("  rewrite of the real stream: %zu rewritten, %zu not switched, %zu kept whole\n", stats.rewritten,
	       stats.not_switched, stats.kept_whole);
	assert_int_equal(stats.rows, 4);
	assert_int_equal(stats.rewritten, 2);
	assert_int_equal(stats.not_switched, 1);
	assert_int_equal(stats.kept_whole, 1);

	/* Row 0 (SMTP): no property names the source any more, in any form. */
	const cpuu_ac_row *r0 = &st->rows[0];
	for (size_t i = 0; i < r0->count; i++)
		if (r0->props[i].data)
			assert_false(bytes_mention(r0->props[i].data, r0->props[i].data_len, "janesmith@contoso.org"));
	const uint32_t oneoffs[] = { 0x0FFF0102u, 0x5FF70102u, 0x0FF90102u };
	for (size_t k = 0; k < 3; k++) {
		const cpuu_ac_prop *p = find_prop(r0, oneoffs[k]);
		assert_non_null(p);
		cpuu_oneoff_eid o;
		assert_int_equal(cpuu_oneoff_eid_parse(&o, p->data + 4, p->data_len - 4), CPUU_OK);
		assert_string_equal(o.address, "jane.smith@fabrikam.example");
		assert_string_equal(o.display_name, "jane.smith@fabrikam.example");
		assert_string_equal(o.address_type, "SMTP");
		assert_int_equal(o.bitmask, 0x90010000u); /* flags kept as found */
		cpuu_oneoff_eid_clear(&o);
	}
	expect_text(r0, 0x3003001Fu, "jane.smith@fabrikam.example");
	expect_text(r0, 0x3001001Fu, "jane.smith@fabrikam.example");
	expect_text(r0, 0x5FF6001Fu, "jane.smith@fabrikam.example");
	expect_text(r0, 0x6001001Fu, "jane.smith@fabrikam.example");
	expect_text(r0, 0x6003001Fu, "jane.smith@fabrikam.example");
	const cpuu_ac_prop *sk = find_prop(r0, 0x300B0102u);
	assert_int_equal(sk->data_len, 4 + strlen("SMTP:JANE.SMITH@FABRIKAM.EXAMPLE") + 1);
	assert_memory_equal(sk->data + 4, "SMTP:JANE.SMITH@FABRIKAM.EXAMPLE", sk->data_len - 4);
	/* Everything else of the row as captured, byte for byte, in order. */
	for (size_t i = 0; i < r0->count; i++) {
		const cpuu_ac_prop *a = &r0->props[i], *b = &cap->rows[0].props[i];
		assert_int_equal(a->tag, b->tag);
		assert_int_equal(a->reserved, b->reserved);
		assert_memory_equal(a->value, b->value, 8);
		int identity = bytes_mention(b->data ? b->data : (const uint8_t *)"", b->data_len, "janesmith@contoso.org");
		if (!identity) {
			assert_int_equal(a->data_len, b->data_len);
			if (a->data_len)
				assert_memory_equal(a->data, b->data, a->data_len);
		}
	}
	/* Row 1: not switched, untouched. */
	for (size_t i = 0; i < st->rows[1].count; i++) {
		assert_int_equal(st->rows[1].props[i].data_len, cap->rows[1].props[i].data_len);
		if (cap->rows[1].props[i].data_len)
			assert_memory_equal(st->rows[1].props[i].data, cap->rows[1].props[i].data, cap->rows[1].props[i].data_len);
	}
	/* Row 2 (EX): entry IDs, search key, addresses and the drop-down text
	 * all at the target; the name part of "addr <addr>" too. */
	const cpuu_ac_row *r2 = &st->rows[2];
	for (size_t i = 0; i < r2->count; i++)
		if (r2->props[i].data) {
			assert_false(bytes_mention(r2->props[i].data, r2->props[i].data_len, "example@fareast.example"));
			assert_false(bytes_mention(r2->props[i].data, r2->props[i].data_len, ex_dn));
		}
	for (size_t k = 0; k < 3; k++) {
		const cpuu_ac_prop *p = find_prop(r2, oneoffs[k]);
		cpuu_ab_eid e;
		assert_int_equal(cpuu_ab_eid_parse(&e, p->data + 4, p->data_len - 4), CPUU_OK);
		assert_string_equal(e.x500_dn, example.target_legacy_dn);
		cpuu_ab_eid_clear(&e);
	}
	expect_text(r2, 0x3003001Fu, example.target_legacy_dn);
	expect_text(r2, 0x39FE001Fu, "example@fabrikam.example");
	expect_text(r2, 0x6003001Fu, "example@fabrikam.example <example@fabrikam.example>");
	expect_text(r2, 0x3001001Fu, "Example User");
	/* Row 3: jane again, but PR_ACCOUNT names her as text cpuu does not
	 * rebuild: the whole row as it was, not half of it. */
	for (size_t i = 0; i < st->rows[3].count; i++) {
		const cpuu_ac_prop *a = &st->rows[3].props[i], *b = &rows[3].props[i];
		assert_int_equal(a->data_len, b->data_len);
		if (a->data_len)
			assert_memory_equal(a->data, b->data, a->data_len);
	}

	cpuu_autocomplete_free(st);
	cpuu_free(stream);
	for (size_t i = 0; i < nkeep; i++)
		free(keep[i]);
	free(rows[2].props);
	free(rows[3].props);
	cpuu_autocomplete_free(cap);
	free(in);
	free(ab);
}

/* A cross-forest move that keeps the SMTP address: john's row names the
 * target already (same address), so it is not "half" and not kept whole. */
static void test_rewrite_same_smtp_in_both_forests(void **state)
{
	(void)state;
	memset(&jane, 0, sizeof jane);
	memset(&example, 0, sizeof example);
	john.source_smtp = "johndoe@contoso.com";
	john.source_legacy_dn = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=johndoe";
	john.target_smtp = "JohnDoe@contoso.com";
	john.target_legacy_dn = "/o=Fabrikam/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=johndoe";
	john.switched = 1;
	size_t len;
	uint8_t *in = read_hex("NICKNAMECACHE-2", &len);
	cpuu_autocomplete *ac = NULL;
	assert_int_equal(cpuu_autocomplete_parse(&ac, in, len), CPUU_OK);
	cpuu_match_source src = { rw_lookup, NULL };
	cpuu_ac_stats stats;
	assert_int_equal(cpuu_autocomplete_rewrite(&stats, ac, &src), CPUU_OK);
	assert_int_equal(stats.kept_whole, 0);
	assert_int_equal(stats.unmatched, 1);  /* jane: not in this table */
	assert_int_equal(stats.rewritten + stats.unchanged, 1);
	cpuu_autocomplete_free(ac);
	free(in);
}

/* --- decoders on damaged input ---------------------------------------------- */

typedef int (*decode_fn)(char **out, const uint8_t *data, size_t len, cpuu_decode_format fmt);

static void decode_all_ways(decode_fn fn, const uint8_t *d, size_t n, size_t *ok, size_t *refused)
{
	for (int f = 0; f < 2; f++) {
		char *out = NULL;
		/* A copy of exactly n bytes, so ASan sees any read past the end. */
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		if (n)
			memcpy(copy, d, n);
		int rc = fn(&out, copy, n, f ? CPUU_DECODE_JSON : CPUU_DECODE_TEXT);
		free(copy);
		if (rc == CPUU_OK) {
			assert_non_null(out);
			(*ok)++;
		} else {
			assert_true(rc == CPUU_EINVALID || rc == CPUU_EUNSUPPORTED);
			assert_null(out);
			assert_true(cpuu_error_last()->message[0] != 0);
			(*refused)++;
		}
		cpuu_free(out);
	}
}

/* Every prefix and many single-byte changes of every vector, through every
 * decoder: each either decodes or is refused with a message, never more. */
static void test_decoders_on_damaged_vectors(void **state)
{
	(void)state;
	static const struct { const char *prefix; decode_fn fn; } kinds[] = {
		{ "ENTRYID", cpuu_mapi_decode_entryid },
		{ "FLATENTRYLIST", cpuu_mapi_decode_entrylist },
		{ "PROPERTIES", cpuu_mapi_decode_props },
		{ "NICKNAMECACHE", cpuu_autocomplete_decode },
		{ "RECIPIENTROWSTREAM", cpuu_mapi_decode_props },
		{ "ADDITIONALRENENTRYIDSEX", cpuu_mapi_decode_entrylist },
	};
	size_t ok = 0, refused = 0;
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		char **names;
		size_t count;
		vector_names(&names, &count, kinds[k].prefix);
		for (size_t v = 0; v < count; v++) {
			size_t len;
			uint8_t *in = read_hex(names[v], &len);
			for (size_t n = 0; n <= len; n++)
				decode_all_ways(kinds[k].fn, in, n, &ok, &refused);
			for (size_t i = 0; i < len; i += 1 + len / 64) {
				uint8_t keep = in[i];
				static const uint8_t vals[] = { 0x00, 0x01, 0x7F, 0x80, 0xFF };
				for (size_t x = 0; x < sizeof vals; x++) {
					in[i] = vals[x];
					decode_all_ways(kinds[k].fn, in, len, &ok, &refused);
				}
				in[i] = keep;
			}
			free(in);
		}
		free_names(names, count);
	}
	printf("  damaged vectors: %zu decoded, %zu refused with a message\n", ok, refused);
	assert_true(ok > 0 && refused > 0);
}

int main(void)
{
	const char *shared = getenv("CPUU_SHARED_DIR");
	vec_dir = malloc(1024);
	snprintf(vec_dir, 1024, "%s/vectors/mfcmapi", shared && *shared ? shared : CPUU_SHARED_DIR);
	char probe[1100];
	snprintf(probe, sizeof probe, "%s/in/ENTRYID-1.hex", vec_dir);
	FILE *f = fopen(probe, "rb");
	if (!f) {
		fprintf(stderr, "FAIL: %s: the MFCMAPI vectors are missing\n", vec_dir);
		return 1;
	}
	fclose(f);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entryids_rebuilt_from_mfcmapi_fields),
		cmocka_unit_test(test_autocomplete_rebuilt_from_mfcmapi_fields),
		cmocka_unit_test(test_rewrite_whole_rows_of_real_stream),
		cmocka_unit_test(test_rewrite_same_smtp_in_both_forests),
		cmocka_unit_test(test_decoders_on_damaged_vectors),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(vec_dir);
	return rc;
}
