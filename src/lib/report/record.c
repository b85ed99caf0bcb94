/* Strict reader for one result record (docs/results.md): a flat JSON object
 * whose values are strings, numbers or null. Anything else (nesting, true,
 * false, bad escapes, invalid UTF-8, control characters, trailing garbage,
 * duplicate keys, missing or mistyped fields, unknown mode or outcome) is
 * refused with the column where it went wrong. Records come from many
 * workstations; a bad line must never crash the ingest. */
#include "report/internal.h"

#include "cpuu/outcome.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


typedef struct parser {
	const unsigned char *p, *start, *end;
} parser;

static int fail(const parser *ps, const char *why)
{
	return cpuu_error_set(CPUU_EINVALID, "%s at column %zu", why, (size_t)(ps->p - ps->start) + 1);
}

static void skip_ws(parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n'))
		ps->p++;
}

static int hex4(const unsigned char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

static void put_utf8(cpuu_buf *b, unsigned cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	cpuu_buf_append(b, u, n);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, <= U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	unsigned cp = c & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* A string literal at ps->p (the opening quote); *out malloc'ed. */
static int parse_string(parser *ps, char **out)
{
	cpuu_buf b = { 0 };
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end) {
			cpuu_buf_dispose(&b);
			return fail(ps, "unterminated string");
		}
		const unsigned char *run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x20 && *ps->p < 0x80)
			ps->p++;
		if (ps->p > run)
			cpuu_buf_append(&b, run, (size_t)(ps->p - run));
		if (ps->p >= ps->end)
			continue;
		unsigned c = *ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			cpuu_buf_dispose(&b);
			return fail(ps, "control character in string");
		}
		if (c >= 0x80) {
			size_t n = utf8_len(ps->p, ps->end);
			if (!n) {
				cpuu_buf_dispose(&b);
				return fail(ps, "invalid UTF-8");
			}
			cpuu_buf_append(&b, ps->p, n);
			ps->p += n;
			continue;
		}
		/* backslash */
		if (ps->end - ps->p < 2) {
			cpuu_buf_dispose(&b);
			return fail(ps, "unterminated escape");
		}
		unsigned e = ps->p[1];
		const char *simple = NULL;
		switch (e) {
		case '"': simple = "\""; break;
		case '\\': simple = "\\"; break;
		case '/': simple = "/"; break;
		case 'b': simple = "\b"; break;
		case 'f': simple = "\f"; break;
		case 'n': simple = "\n"; break;
		case 'r': simple = "\r"; break;
		case 't': simple = "\t"; break;
		case 'u': break;
		default:
			cpuu_buf_dispose(&b);
			return fail(ps, "bad escape");
		}
		if (simple) {
			cpuu_buf_append(&b, simple, 1);
			ps->p += 2;
			continue;
		}
		unsigned cp, lo;
		if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp)) {
			cpuu_buf_dispose(&b);
			return fail(ps, "bad \\u escape");
		}
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (ps->end - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' || hex4(ps->p + 8, &lo) ||
			    lo < 0xDC00 || lo > 0xDFFF) {
				cpuu_buf_dispose(&b);
				return fail(ps, "unpaired surrogate");
			}
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			ps->p += 6;
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			cpuu_buf_dispose(&b);
			return fail(ps, "unpaired surrogate");
		} else if (cp == 0) {
			cpuu_buf_dispose(&b);
			return fail(ps, "NUL in string");
		}
		put_utf8(&b, cp);
		ps->p += 6;
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}

/* A JSON number; *text points into the line, *len its length. */
static int parse_number(parser *ps, const unsigned char **text, size_t *len, bool *integral)
{
	const unsigned char *s = ps->p;
	*integral = true;
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end)
		return fail(ps, "bad number");
	if (*ps->p == '0') {
		ps->p++;
	} else if (*ps->p >= '1' && *ps->p <= '9') {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	} else {
		return fail(ps, "bad number");
	}
	if (ps->p < ps->end && *ps->p == '.') {
		*integral = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		*integral = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	*text = s;
	*len = (size_t)(ps->p - s);
	return CPUU_OK;
}

enum field { F_USER, F_HIVE, F_PROFILE, F_ACCOUNT, F_MODE, F_OUTCOME, F_CHANGES, F_MESSAGE, F_DURATION, F_COUNT };
static const char *const field_names[F_COUNT] = { "user", "hive", "profile", "account", "mode",
						  "outcome", "changes", "message", "duration_ms" };

void cpuu_report_record_clear(cpuu_report_record *rec)
{
	if (!rec)
		return;
	free(rec->user);
	free(rec->hive);
	free(rec->profile);
	free(rec->account);
	free(rec->mode);
	free(rec->outcome);
	free(rec->message);
	memset(rec, 0, sizeof *rec);
}

static char **string_slot(cpuu_report_record *r, int f)
{
	switch (f) {
	case F_USER: return &r->user;
	case F_HIVE: return &r->hive;
	case F_PROFILE: return &r->profile;
	case F_ACCOUNT: return &r->account;
	case F_MODE: return &r->mode;
	case F_OUTCOME: return &r->outcome;
	case F_MESSAGE: return &r->message;
	default: return NULL;
	}
}

static int parse_members(parser *ps, cpuu_report_record *r)
{
	unsigned seen = 0;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '{')
		return fail(ps, "expected '{'");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
	} else {
		for (;;) {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a key");
			const unsigned char *key_at = ps->p;
			char *key = NULL;
			int rc = parse_string(ps, &key);
			if (rc)
				return rc;
			int f = -1;
			for (int i = 0; i < F_COUNT; i++)
				if (!strcmp(key, field_names[i]))
					f = i;
			free(key);
			if (f >= 0 && (seen & 1u << f)) {
				ps->p = key_at;
				return fail(ps, "duplicate key");
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
			skip_ws(ps);
			if (ps->p >= ps->end)
				return fail(ps, "expected a value");
			const unsigned char *val_at = ps->p;
			unsigned c = *ps->p;
			if (c == '"') {
				char *s = NULL;
				if ((rc = parse_string(ps, &s)))
					return rc;
				char **slot = f >= 0 ? string_slot(r, f) : NULL;
				if (f >= 0 && !slot) {
					free(s);
					ps->p = val_at;
					return fail(ps, f == F_CHANGES ? "changes must be a number" : "duration_ms must be a number");
				}
				if (slot)
					*slot = s;
				else
					free(s);
			} else if (c == 'n') {
				if (ps->end - ps->p < 4 || memcmp(ps->p, "null", 4))
					return fail(ps, "bad literal");
				ps->p += 4;
				if (f >= 0 && f != F_PROFILE && f != F_ACCOUNT && f != F_MESSAGE) {
					ps->p = val_at;
					return fail(ps, "null not allowed here");
				}
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				const unsigned char *num = NULL;
				size_t nlen = 0;
				bool integral = true;
				if ((rc = parse_number(ps, &num, &nlen, &integral)))
					return rc;
				char tmp[64];
				if (f == F_CHANGES) {
					if (!integral || num[0] == '-' || nlen > 18) {
						ps->p = val_at;
						return fail(ps, "changes must be a non-negative integer");
					}
					memcpy(tmp, num, nlen);
					tmp[nlen] = '\0';
					r->changes = strtoll(tmp, NULL, 10);
				} else if (f == F_DURATION) {
					if (nlen >= sizeof tmp || num[0] == '-') {
						ps->p = val_at;
						return fail(ps, "duration_ms must be a non-negative number");
					}
					memcpy(tmp, num, nlen);
					tmp[nlen] = '\0';
					errno = 0;
					double d = strtod(tmp, NULL);
					if (errno == ERANGE || !isfinite(d)) {
						ps->p = val_at;
						return fail(ps, "duration_ms out of range");
					}
					r->duration_ms = d;
				} else if (f >= 0) {
					ps->p = val_at;
					return fail(ps, "expected a string");
				}
			} else {
				return fail(ps, c == '{' || c == '[' ? "nested values are not allowed"
						 : c == 't' || c == 'f' ? "booleans are not allowed" : "bad value");
			}
			if (f >= 0)
				seen |= 1u << f;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == '}') {
				ps->p++;
				break;
			}
			return fail(ps, "expected ',' or '}'");
		}
	}
	skip_ws(ps);
	if (ps->p != ps->end)
		return fail(ps, "trailing characters");
	for (int i = 0; i < F_COUNT; i++)
		if (!(seen & 1u << i) && i != F_PROFILE && i != F_ACCOUNT && i != F_MESSAGE)
			return cpuu_error_set(CPUU_EINVALID, "missing field \"%s\"", field_names[i]);
	/* profile, account and message may be absent or null: both mean "none". */
	cpuu_mode mode;
	cpuu_outcome outcome;
	if (cpuu_mode_from_name(&mode, r->mode) < 0)
		return cpuu_error_set(CPUU_EINVALID, "unknown mode \"%.40s\"", r->mode);
	if (cpuu_outcome_from_name(&outcome, r->outcome) < 0)
		return cpuu_error_set(CPUU_EINVALID, "unknown outcome \"%.40s\"", r->outcome);
	if (!r->user[0])
		return cpuu_error_set(CPUU_EINVALID, "empty user");
	return CPUU_OK;
}

int cpuu_report_record_parse(cpuu_report_record *out, const char *line, size_t len)
{
	memset(out, 0, sizeof *out);
	if (len > REPORT_MAX_LINE)
		return cpuu_error_set(CPUU_EINVALID, "line longer than %d bytes", REPORT_MAX_LINE);
	parser ps = { (const unsigned char *)line, (const unsigned char *)line, (const unsigned char *)line + len };
	int rc = parse_members(&ps, out);
	if (rc)
		cpuu_report_record_clear(out);
	return rc;
}

/* FNV-1a over the fields, with a tag for NULL and a separator, so that the
 * same record always hashes the same however its line was spaced. */
static uint64_t fnv(uint64_t h, const char *s)
{
	if (!s)
		return cpuu_hash_byte(h, 0xFF);
	return cpuu_hash_byte(cpuu_hash_str(h, s), 0xFE);
}

int64_t report_record_hash(const cpuu_report_record *r)
{
	char num[64];
	uint64_t h = CPUU_HASH_INIT;
	h = fnv(h, r->user);
	h = fnv(h, r->hive);
	h = fnv(h, r->profile);
	h = fnv(h, r->account);
	h = fnv(h, r->mode);
	h = fnv(h, r->outcome);
	snprintf(num, sizeof num, "%lld|%.17g", (long long)r->changes, r->duration_ms);
	h = fnv(h, num);
	h = fnv(h, r->message);
	/* Stored as a signed 64-bit column in both stores. */
	return (int64_t)(h & 0x7FFFFFFFFFFFFFFFull);
}
