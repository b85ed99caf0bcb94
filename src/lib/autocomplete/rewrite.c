/* Rewriting autocomplete rows that point at switched source recipients
 * (docs/autocomplete.md "Rewrite"). Only the identity properties that hold
 * the matched source identity change; every other byte of the row stays. */
#include "autocomplete/internal.h"
#include "cpuu/mapi.h"
#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>

#define TAG_ADDRTYPE_W 0x3002001Fu
#define TAG_ADDRTYPE_A 0x3002001Eu
#define TAG_EMAIL_W 0x3003001Fu
#define TAG_EMAIL_A 0x3003001Eu
#define TAG_SMTP_W 0x39FE001Fu
#define TAG_SMTP_A 0x39FE001Eu
#define TAG_ENTRYID 0x0FFF0102u
#define TAG_RECIP_ENTRYID 0x5FF70102u
#define TAG_RECORD_KEY 0x0FF90102u
#define TAG_SEARCH_KEY 0x300B0102u

/* What the row's recipient became, copied out of the borrowed cpuu_match. */
typedef struct want {
	char *src_dn;
	cpuu_strlist src_x500;
	char *src_smtp;
	char *tgt_dn;
	char *tgt_smtp;
	int switched;
} want;

static void want_clear(want *w)
{
	free(w->src_dn);
	cpuu_strlist_free(&w->src_x500);
	free(w->src_smtp);
	free(w->tgt_dn);
	free(w->tgt_smtp);
	memset(w, 0, sizeof *w);
}

static int dup_or_null(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return CPUU_OK;
	*dst = cpuu_strdup(s);
	return *dst ? CPUU_OK : cpuu_error_oom();
}

static int want_copy(want *w, const cpuu_match *m)
{
	memset(w, 0, sizeof *w);
	if (dup_or_null(&w->src_dn, m->source_legacy_dn) < 0 || dup_or_null(&w->src_smtp, m->source_smtp) < 0 ||
	    dup_or_null(&w->tgt_dn, m->target_legacy_dn) < 0 || dup_or_null(&w->tgt_smtp, m->target_smtp) < 0)
		goto oom;
	for (size_t i = 0; i < m->source_x500.count; i++)
		if (cpuu_strlist_add(&w->src_x500, m->source_x500.items[i]) < 0)
			goto oom;
	w->switched = m->switched;
	return CPUU_OK;
oom:
	want_clear(w);
	return CPUU_ENOMEM;
}

static int same_ci(const char *a, const char *b)
{
	return a && b && cpuu_strcasecmp_ascii(a, b) == 0;
}

static int cpuu_strncasecmp_ascii_local(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z') x += 32;
		if (y >= 'A' && y <= 'Z') y += 32;
		if (x != y || !x)
			return 1;
	}
	return 0;
}

/* The source's legacyDN or one of its X500 proxies (an "X500:" prefix allowed). */
static int is_source_dn(const want *w, const char *dn)
{
	if (!dn || !*dn)
		return 0;
	if (strlen(dn) > 5 && !strncmp(dn, "X500:", 5))
		dn += 5;
	if (same_ci(w->src_dn, dn))
		return 1;
	for (size_t i = 0; i < w->src_x500.count; i++)
		if (same_ci(w->src_x500.items[i], dn))
			return 1;
	return 0;
}

static char *prop_str(const cpuu_ac_row *row, uint32_t tag_w, uint32_t tag_a)
{
	const cpuu_ac_prop *p = cpuu_ac_row_find(row, tag_w);
	if (!p)
		p = cpuu_ac_row_find(row, tag_a);
	char *s = NULL;
	if (p && cpuu_ac_prop_string(&s, p) < 0)
		s = NULL;
	return s;
}

static char *eid_dn(const cpuu_ac_row *row, uint32_t tag)
{
	const cpuu_ac_prop *p = cpuu_ac_row_find(row, tag);
	const uint8_t *b;
	size_t n;
	if (!p || cpuu_ac_prop_bytes(&b, &n, p) < 0)
		return NULL;
	cpuu_ab_eid e;
	if (cpuu_ab_eid_parse(&e, b, n) < 0)
		return NULL;
	char *dn = e.x500_dn;
	e.x500_dn = NULL;
	cpuu_ab_eid_clear(&e);
	return dn;
}

/* The row's keys: its EX DN (if it is an EX row) and its SMTP address. */
static int row_keys(const cpuu_ac_row *row, char **dn, char **smtp, int *is_ex)
{
	*dn = *smtp = NULL;
	char *type = prop_str(row, TAG_ADDRTYPE_W, TAG_ADDRTYPE_A);
	char *email = prop_str(row, TAG_EMAIL_W, TAG_EMAIL_A);
	*is_ex = same_ci(type, "EX");
	if (*is_ex) {
		*dn = email;
		email = NULL;
		if (!*dn)
			*dn = eid_dn(row, TAG_ENTRYID);
		if (!*dn)
			*dn = eid_dn(row, TAG_RECIP_ENTRYID);
	}
	*smtp = prop_str(row, TAG_SMTP_W, TAG_SMTP_A);
	if (!*smtp && same_ci(type, "SMTP")) {
		*smtp = email;
		email = NULL;
	}
	if (*dn && !**dn) {
		free(*dn);
		*dn = NULL;
	}
	if (*smtp && !**smtp) {
		free(*smtp);
		*smtp = NULL;
	}
	free(type);
	free(email);
	cpuu_error_clear(); /* entry IDs that are not EMSAB ones are simply not keys */
	return CPUU_OK;
}

enum verdict { V_UNCHANGED, V_NOT_SWITCHED, V_UNMATCHED, V_AMBIGUOUS, V_FOUND, V_PARTIAL };

/* Looks every key up (an ambiguous answer for any key wins, as in Update);
 * the DN's answer is preferred to the SMTP address's. */
static int resolve(enum verdict *v, int *dn_found, want *w, const cpuu_match_source *src, const char *dn,
		   const char *smtp)
{
	*v = V_UNCHANGED;
	*dn_found = 0;
	memset(w, 0, sizeof *w);
	if (!dn && !smtp)
		return CPUU_OK;
	const char *keys[2] = { smtp, dn };
	int found = 0;
	*v = V_UNMATCHED;
	for (int k = 0; k < 2; k++) {
		if (!keys[k])
			continue;
		const cpuu_match *m = NULL;
		cpuu_lookup_status st = CPUU_LOOKUP_NO_SOURCE;
		int rc = src->lookup(src->ctx, &m, &st, keys[k]);
		if (rc < 0) {
			want_clear(w);
			return rc;
		}
		if (st == CPUU_LOOKUP_AMBIGUOUS || st == CPUU_LOOKUP_INVALID) {
			want_clear(w);
			*v = V_AMBIGUOUS;
			return CPUU_OK;
		}
		if (st != CPUU_LOOKUP_FOUND || !m)
			continue;
		if (found) {
			/* The DN and the SMTP address name two different sources. */
			if (!same_ci(w->src_dn, m->source_legacy_dn)) {
				want_clear(w);
				*v = V_AMBIGUOUS;
				return CPUU_OK;
			}
			want_clear(w);
		}
		if (want_copy(w, m) < 0)
			return CPUU_ENOMEM;
		/* The directory found the source by this DN: it is one of its names
		 * even if the match lists no such X500 proxy. */
		if (keys[k] == dn && cpuu_strlist_add(&w->src_x500, dn) < 0) {
			want_clear(w);
			return CPUU_ENOMEM;
		}
		if (keys[k] == dn)
			*dn_found = 1;
		found = 1;
	}
	if (found)
		*v = w->switched ? V_FOUND : V_NOT_SWITCHED;
	return CPUU_OK;
}

/* New value data for a string property, in the property's own encoding, with
 * a terminator if the old value had one. */
static int encode_string(uint8_t **data, size_t *len, const cpuu_ac_prop *old, const char *utf8)
{
	const uint8_t *b;
	size_t n;
	if (cpuu_ac_prop_bytes(&b, &n, old) < 0)
		return CPUU_EINVALID;
	uint8_t *enc = NULL;
	size_t el = 0;
	int rc;
	if (CPUU_PROP_TYPE(old->tag) == CPUU_PT_UNICODE) {
		int term = n >= 2 && !b[n - 1] && !b[n - 2];
		rc = cpuu_utf8_to_utf16le(&enc, &el, utf8, term);
	} else {
		int term = n >= 1 && !b[n - 1];
		rc = cpuu_utf8_to_cp1252(&enc, &el, utf8, term);
	}
	if (rc < 0)
		return rc;
	*data = ac_counted(enc, el, len);
	cpuu_free(enc);
	return *data ? CPUU_OK : cpuu_error_oom();
}

/* A one-off entry ID (MS-OXCDATA 2.2.5.1) of the source: its address (SMTP
 * or EX) and a display name that is the address itself, rebuilt for the
 * target with the same flags and encoding. */
static int encode_oneoff(uint8_t **data, size_t *len, const uint8_t *b, size_t n, const want *w)
{
	cpuu_oneoff_eid o;
	*data = NULL;
	if (cpuu_oneoff_eid_parse(&o, b, n) < 0) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	int rc = CPUU_OK, hit = 0;
	const char *to = NULL;
	if (same_ci(o.address_type, "SMTP") && same_ci(o.address, w->src_smtp))
		to = w->tgt_smtp;
	else if (same_ci(o.address_type, "EX") && is_source_dn(w, o.address))
		to = w->tgt_dn;
	if (to) {
		hit = 1;
		if (same_ci(o.display_name, o.address) || same_ci(o.display_name, w->src_smtp)) {
			free(o.display_name);
			o.display_name = cpuu_strdup(to);
		}
		free(o.address);
		o.address = cpuu_strdup(to);
		if (!o.address || !o.display_name)
			rc = cpuu_error_oom();
	}
	if (hit && rc == CPUU_OK) {
		uint8_t *eid = NULL;
		size_t el = 0;
		if ((rc = cpuu_oneoff_eid_build(&eid, &el, &o)) == CPUU_OK) {
			*data = ac_counted(eid, el, len);
			cpuu_free(eid);
			if (!*data)
				rc = cpuu_error_oom();
		}
	}
	cpuu_oneoff_eid_clear(&o);
	return rc;
}

static int encode_eid(uint8_t **data, size_t *len, const cpuu_ac_prop *old, const want *w)
{
	const uint8_t *b;
	size_t n;
	*data = NULL;
	if (cpuu_ac_prop_bytes(&b, &n, old) < 0)
		return CPUU_OK;
	if (n >= 20 && !memcmp(b + 4, cpuu_mapi_uid_oneoff, 16))
		return encode_oneoff(data, len, b, n, w);
	if (!w->tgt_dn)
		return CPUU_OK;
	cpuu_ab_eid e;
	if (cpuu_ab_eid_parse(&e, b, n) < 0) {
		cpuu_error_clear();
		return CPUU_OK;
	}
	int rc = CPUU_OK;
	if (is_source_dn(w, e.x500_dn)) {
		free(e.x500_dn);
		e.x500_dn = cpuu_strdup(w->tgt_dn);
		uint8_t *eid = NULL;
		size_t el = 0;
		if (!e.x500_dn)
			rc = cpuu_error_oom();
		else if ((rc = cpuu_ab_eid_build(&eid, &el, &e)) == CPUU_OK) {
			*data = ac_counted(eid, el, len);
			cpuu_free(eid);
			if (!*data)
				rc = cpuu_error_oom();
		}
	}
	cpuu_ab_eid_clear(&e);
	return rc;
}

static void upper_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* PR_SEARCH_KEY: "<TYPE>:<ADDRESS>" in uppercase, then a NUL (MS-OXOABK
 * 2.2.3.5, PidTagSearchKey). The prefix is kept as found. */
static int encode_search_key(uint8_t **data, size_t *len, const cpuu_ac_prop *old, const want *w, int is_ex)
{
	const uint8_t *b;
	size_t n;
	*data = NULL;
	if (cpuu_ac_prop_bytes(&b, &n, old) < 0)
		return CPUU_OK;
	const uint8_t *colon = memchr(b, ':', n);
	if (!colon)
		return CPUU_OK;
	size_t pre = (size_t)(colon - b) + 1;
	while (pre < n && b[pre] == ' ')
		pre++;
	int term = n > pre && !b[n - 1];
	size_t body = n - pre - (size_t)term;
	if (memchr(b + pre, 0, body))
		return CPUU_OK;
	char *cur = cpuu_strndup((const char *)b + pre, body);
	char *type = cpuu_strndup((const char *)b, (size_t)(colon - b));
	if (!cur || !type) {
		free(cur);
		free(type);
		return cpuu_error_oom();
	}
	const char *repl = NULL;
	if (is_ex && same_ci(type, "EX") && is_source_dn(w, cur))
		repl = w->tgt_dn;
	else if (same_ci(type, "SMTP") && same_ci(cur, w->src_smtp))
		repl = w->tgt_smtp;
	free(cur);
	free(type);
	if (!repl)
		return CPUU_OK;
	char *up = cpuu_strdup(repl);
	if (!up)
		return cpuu_error_oom();
	upper_ascii(up);
	uint8_t *a = NULL;
	size_t al = 0;
	int rc = cpuu_utf8_to_cp1252(&a, &al, up, 0);
	free(up);
	if (rc < 0)
		return rc;
	size_t nl = pre + al + (size_t)term;
	uint8_t *nb = malloc(nl ? nl : 1);
	if (!nb) {
		cpuu_free(a);
		return cpuu_error_oom();
	}
	memcpy(nb, b, pre);
	if (al)
		memcpy(nb + pre, a, al);
	if (term)
		nb[pre + al] = 0;
	cpuu_free(a);
	*data = ac_counted(nb, nl, len);
	free(nb);
	return *data ? CPUU_OK : cpuu_error_oom();
}

/* An address character: what may continue an SMTP address or a DN's last
 * RDN, so "bob@x.com" is not found inside "jimbob@x.com". */
static int addr_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '@' || c == '+' || c == '%' || c == '\'';
}

/* Offset of the first whole occurrence of from in s (any case), or -1. */
static long find_token(const char *s, size_t from_off, const char *from)
{
	size_t fl = strlen(from), sl = strlen(s);
	if (!fl)
		return -1;
	for (size_t i = from_off; i + fl <= sl; i++) {
		if (cpuu_strncasecmp_ascii_local(s + i, from, fl))
			continue;
		if ((i > 0 && addr_char(s[i - 1]) && addr_char(from[0])) ||
		    (s[i + fl] && addr_char(s[i + fl]) && addr_char(from[fl - 1])))
			continue;
		return (long)i;
	}
	return -1;
}

/* s with every whole occurrence of from replaced by to; NULL (no error) when
 * there is none. The drop-down text "old@x <old@x>" thus becomes
 * "new@y <new@y>", never "old@x <new@y>". */
static char *replace_tokens(const char *s, const char *from, const char *to, int *oom)
{
	*oom = 0;
	if (!s || !from || !to || find_token(s, 0, from) < 0)
		return NULL;
	cpuu_buf b = { 0 };
	size_t pos = 0, fl = strlen(from);
	long at;
	while ((at = find_token(s, pos, from)) >= 0) {
		cpuu_buf_append(&b, s + pos, (size_t)at - pos);
		cpuu_buf_puts(&b, to);
		pos = (size_t)at + fl;
	}
	cpuu_buf_puts(&b, s + pos);
	char *r = cpuu_buf_detach(&b, NULL);
	if (!r)
		*oom = 1;
	return r;
}

/* New data for one property, or *data NULL when it stays. */
static int edit_prop(uint8_t **data, size_t *len, const cpuu_ac_prop *p, const want *w, int is_ex)
{
	*data = NULL;
	uint16_t type = CPUU_PROP_TYPE(p->tag);
	uint16_t id = CPUU_PROP_ID(p->tag);
	int str = type == CPUU_PT_UNICODE || type == CPUU_PT_STRING8;
	if (p->tag == TAG_ENTRYID || p->tag == TAG_RECIP_ENTRYID || p->tag == TAG_RECORD_KEY)
		return encode_eid(data, len, p, w);
	if (p->tag == TAG_SEARCH_KEY)
		return encode_search_key(data, len, p, w, is_ex);
	if (!str)
		return CPUU_OK;
	const char *repl = NULL;
	char *cur = NULL;
	switch (id) {
	case 0x3003: /* PR_EMAIL_ADDRESS */
	case 0x39FE: /* PR_SMTP_ADDRESS */
	case 0x3001: /* PR_DISPLAY_NAME */
	case 0x5FF6: /* PR_RECIPIENT_DISPLAY_NAME */
	case 0x6001: /* PR_NICK_NAME */
	case 0x6003: /* PR_DROPDOWN_DISPLAY_NAME */
		if (cpuu_ac_prop_string(&cur, p) < 0) {
			cpuu_error_clear();
			return CPUU_OK;
		}
		break;
	default:
		return CPUU_OK;
	}
	char *built = NULL;
	int oom = 0;
	if (id == 0x3003 && is_ex && is_source_dn(w, cur))
		repl = w->tgt_dn;
	else if (same_ci(cur, w->src_smtp))
		repl = w->tgt_smtp; /* names only when they are the address itself */
	else if (id == 0x6003 && w->src_smtp && w->tgt_smtp)
		repl = built = replace_tokens(cur, w->src_smtp, w->tgt_smtp, &oom);
	free(cur);
	if (oom)
		return cpuu_error_oom();
	if (!repl)
		return CPUU_OK;
	int rc = encode_string(data, len, p, repl);
	free(built);
	return rc;
}

/* 1 if a property of the (rewritten) row still names the source: its SMTP
 * address or one of its DNs in a string, an entry ID or the raw bytes of any
 * other value (ASCII or UTF-16LE, any case). Such a row is not rewritten at
 * all: half a row would tell Outlook two different things. */
static int mentions(const char *s, const want *w)
{
	if (!s)
		return 0;
	/* A source identity the target keeps (the same SMTP address in both
	 * forests, as cross-forest moves often do) names the target too. */
	if (w->src_smtp && !same_ci(w->src_smtp, w->tgt_smtp) && find_token(s, 0, w->src_smtp) >= 0)
		return 1;
	if (w->src_dn && !same_ci(w->src_dn, w->tgt_dn) && find_token(s, 0, w->src_dn) >= 0)
		return 1;
	for (size_t i = 0; i < w->src_x500.count; i++)
		if (!same_ci(w->src_x500.items[i], w->tgt_dn) && find_token(s, 0, w->src_x500.items[i]) >= 0)
			return 1;
	return 0;
}

/* Bytes to text for the search: ASCII bytes as they are, and the UTF-16LE
 * reading (every other byte) when it looks like UTF-16; NUL becomes a
 * separator, anything else non-printable a blank. */
static int raw_mentions(const uint8_t *b, size_t n, const want *w)
{
	char *t = malloc(n + 1);
	if (!t)
		return 1; /* cannot check: treat as naming the source */
	int hit = 0;
	for (int pass = 0; pass < 3 && !hit; pass++) {
		size_t k = 0;
		size_t step = pass ? 2 : 1, start = pass == 2 ? 1 : 0;
		for (size_t i = start; i < n; i += step) {
			uint8_t c = b[i];
			if (step == 2 && i + 1 < n && b[i + 1])
				c = ' ';
			t[k++] = c >= 0x20 && c < 0x7F ? (char)c : ' ';
		}
		t[k] = 0;
		hit = mentions(t, w);
	}
	free(t);
	return hit;
}

static int still_names_source(const cpuu_ac_prop *p, const want *w)
{
	uint16_t type = CPUU_PROP_TYPE(p->tag);
	if (!p->data)
		return 0; /* static values hold no address */
	if (type == CPUU_PT_UNICODE || type == CPUU_PT_STRING8) {
		char *s = NULL;
		if (cpuu_ac_prop_string(&s, p) < 0) {
			cpuu_error_clear();
			return raw_mentions(p->data, p->data_len, w);
		}
		int hit = mentions(s, w);
		free(s);
		return hit;
	}
	return raw_mentions(p->data, p->data_len, w);
}

typedef struct pending {
	size_t row;
	cpuu_ac_prop *props;
} pending;

static int rewrite_row(cpuu_ac_prop **out, enum verdict *v, cpuu_autocomplete *ac, const cpuu_ac_row *row,
		       const cpuu_match_source *src)
{
	*out = NULL;
	char *dn = NULL, *smtp = NULL;
	int is_ex = 0;
	int rc = row_keys(row, &dn, &smtp, &is_ex);
	want w;
	memset(&w, 0, sizeof w);
	int dn_found = 0, had_dn = dn != NULL;
	if (rc == CPUU_OK)
		rc = resolve(v, &dn_found, &w, src, dn, smtp);
	free(dn);
	free(smtp);
	if (rc < 0 || *v != V_FOUND) {
		want_clear(&w);
		return rc;
	}
	/* An EX row whose DN the directory does not know is not rewritten on
	 * the strength of its SMTP address alone: half a rewrite is worse. */
	if ((is_ex && !w.tgt_dn) || (!is_ex && !w.tgt_smtp) || (had_dn && !dn_found)) {
		/* Nothing to point the row at: left as it is (docs/autocomplete.md). */
		*v = V_UNMATCHED;
		want_clear(&w);
		return CPUU_OK;
	}
	cpuu_ac_prop *props = NULL;
	for (size_t i = 0; i < row->count && rc == CPUU_OK; i++) {
		uint8_t *data = NULL;
		size_t len = 0;
		rc = edit_prop(&data, &len, &row->props[i], &w, is_ex);
		if (rc < 0)
			break;
		if (!data)
			continue;
		if (len == row->props[i].data_len && !memcmp(data, row->props[i].data, len)) {
			free(data);
			continue;
		}
		if (!props) {
			props = malloc(row->count * sizeof *props);
			if (!props) {
				free(data);
				rc = cpuu_error_oom();
				break;
			}
			memcpy(props, row->props, row->count * sizeof *props);
		}
		if ((rc = ac_keep_blob(ac, data)) < 0)
			break;
		props[i].data = data;
		props[i].data_len = len;
	}
	if (rc == CPUU_OK) {
		const cpuu_ac_prop *now = props ? props : row->props;
		for (size_t i = 0; i < row->count; i++) {
			if (still_names_source(&now[i], &w)) {
				/* Left whole, counted apart and reported. */
				free(props);
				props = NULL;
				*v = V_PARTIAL;
				break;
			}
		}
		if (*v == V_PARTIAL) {
			want_clear(&w);
			*out = NULL;
			return CPUU_OK;
		}
	}
	want_clear(&w);
	if (rc == CPUU_EINVALID) {
		/* A target address the property's encoding cannot hold (e.g. not
		 * Windows-1252 in a PT_STRING8): the row stays as it was. */
		free(props);
		cpuu_error_clear();
		*v = V_UNMATCHED;
		return CPUU_OK;
	}
	if (rc < 0) {
		free(props);
		return rc;
	}
	if (!props)
		*v = V_UNCHANGED; /* already at the target */
	*out = props;
	return CPUU_OK;
}

int cpuu_autocomplete_rewrite(cpuu_ac_stats *stats, cpuu_autocomplete *ac, const cpuu_match_source *src)
{
	cpuu_ac_stats st = { 0 };
	if (stats)
		*stats = st;
	if (!ac || !src || !src->lookup)
		return cpuu_error_set(CPUU_EINVALID, "autocomplete rewrite: no cache or no lookup");
	pending *todo = NULL;
	size_t ntodo = 0;
	int rc = CPUU_OK;
	st.rows = ac->row_count;
	for (size_t r = 0; r < ac->row_count; r++) {
		cpuu_ac_prop *props = NULL;
		enum verdict v = V_UNCHANGED;
		rc = rewrite_row(&props, &v, ac, &ac->rows[r], src);
		if (rc < 0) {
			if (cpuu_error_last()->code == rc)
				cpuu_error_prefix("autocomplete row %zu", r);
			else
				cpuu_error_set(rc, "autocomplete row %zu: lookup failed (%s)", r, cpuu_error_name(rc));
			break;
		}
		switch (v) {
		case V_UNCHANGED: st.unchanged++; break;
		case V_NOT_SWITCHED: st.not_switched++; break;
		case V_UNMATCHED: st.unmatched++; break;
		case V_AMBIGUOUS: st.ambiguous++; break;
		case V_FOUND: st.rewritten++; break;
		case V_PARTIAL: st.kept_whole++; break;
		}
		if (!props)
			continue;
		pending *n = cpuu_array_reserve(todo, NULL, ntodo + 1, sizeof *n);
		if (!n) {
			free(props);
			rc = cpuu_error_oom();
			break;
		}
		todo = n;
		todo[ntodo].row = r;
		todo[ntodo++].props = props;
	}
	if (rc < 0) {
		for (size_t i = 0; i < ntodo; i++)
			free(todo[i].props);
		free(todo);
		return rc;
	}
	for (size_t i = 0; i < ntodo; i++) {
		free(ac->rows[todo[i].row].props);
		ac->rows[todo[i].row].props = todo[i].props;
	}
	free(todo);
	if (stats)
		*stats = st;
	return CPUU_OK;
}
