/* The LDAP backend of the Windows build, on the system's wldap32 (the same
 * dir_conn_* calls as ldap_openldap.c; docs/windows.md).
 *
 * Strings cross the API as UTF-16 (the W calls), so DNs and filters keep
 * every character; attribute values are bervals (raw bytes) both ways.
 * Without a BindDN the logged-on user's own credentials are used (Negotiate:
 * Kerberos or NTLM, what a domain workstation has at logon); where the
 * server offers no such mechanism, an anonymous bind follows. TLS and its
 * certificate check are Schannel's, against the Windows certificate store
 * (CACertFile is a Linux-side setting); VerifyCert = no installs a
 * callback that accepts any certificate. Wine's wldap32 checks no
 * certificate at all and never calls that callback (docs/windows.md). */
#include "directory/internal.h"

#include "cpuu/unicode.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <winldap.h>
#include <winber.h>

struct dir_conn {
	LDAP *ld;
	char *url;
	int timeout;
	int page_size;
};

static wchar_t *wide(const char *s)
{
	uint8_t *w = NULL;
	size_t len = 0;
	if (!s || cpuu_utf8_to_utf16le(&w, &len, s, 1))
		return NULL;
	return (wchar_t *)(void *)w;
}

static char *narrow(const wchar_t *w)
{
	char *s = NULL;
	if (!w || cpuu_utf16le_to_utf8(&s, NULL, (const uint8_t *)w, wcslen(w) * sizeof *w, 0)) {
		cpuu_error_clear();
		return NULL;
	}
	return s;
}

#include "directory/ldap_codes.h"

static int fail(const dir_conn *c, ULONG rc, int tls_phase, const char *what)
{
	const char *url = c && c->url ? c->url : "?";
	if (rc == LDAP_TIMEOUT)
		return cpuu_error_set(map_rc(rc, tls_phase), "%s: %s: timed out after %d s", url, what,
				      c ? c->timeout : 0);
	if (rc == LDAP_DECODING_ERROR)
		return cpuu_error_set(CPUU_ENETWORK, "%s: %s: the server did not answer in LDAP (decoding error; "
						     "another service on that port?)", url, what);
	const char *text = ldap_err2stringA(rc);
	return cpuu_error_set(map_rc(rc, tls_phase), "%s: %s: %s", url, what, text ? text : "LDAP error");
}

/* Certificate check off (VerifyCert = no): accept what the server shows. */
static BOOLEAN __cdecl accept_any_cert(PLDAP ld, PCCERT_CONTEXT cert)
{
	(void)ld;
	(void)cert;
	return TRUE;
}

/* "ldap[s]://host[:port][/...]" -> host, port. */
static int parse_url(wchar_t **host, ULONG *port, int *ldaps, const char *url)
{
	*host = NULL;
	*ldaps = dir_has_prefix(url, "ldaps://");
	if (!*ldaps && !dir_has_prefix(url, "ldap://"))
		return cpuu_error_set(CPUU_EINVALID, "%s: URL must start with ldap:// or ldaps://", url);
	const char *h = url + (*ldaps ? 8 : 7);
	size_t n = strcspn(h, "/?");
	char *hp = cpuu_strndup(h, n);
	if (!hp)
		return cpuu_error_oom();
	*port = *ldaps ? LDAP_SSL_PORT : LDAP_PORT;
	char *colon = hp[0] == '[' ? strstr(hp, "]:") : strrchr(hp, ':');
	if (colon) {
		if (hp[0] == '[')
			colon++;
		char *end = NULL;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || p == 0 || p > 65535) {
			free(hp);
			return cpuu_error_set(CPUU_EINVALID, "%s: bad port in the directory URL", url);
		}
		*port = (ULONG)p;
		*colon = '\0';
	}
	if (!hp[0]) {
		free(hp);
		return cpuu_error_set(CPUU_EINVALID, "%s: no host in the directory URL", url);
	}
	*host = wide(hp);
	free(hp);
	return *host ? CPUU_OK : cpuu_error_oom();
}

static int bind_conn(dir_conn *c, const cpuu_ldap_settings *s)
{
	ULONG rc;
	if (s->bind_dn) {
		wchar_t *dn = wide(s->bind_dn), *pw = wide(s->password ? s->password : "");
		rc = dn && pw ? ldap_simple_bind_sW(c->ld, dn, pw) : LDAP_NO_MEMORY;
		if (pw)
			SecureZeroMemory(pw, wcslen(pw) * sizeof *pw);
		free(dn);
		free(pw);
	} else if (s->kerberos) {
		/* BindMethod = kerberos: the logged-on user's Negotiate, and no
		 * anonymous fallback (a refusal must show, not become "no match"). */
		rc = ldap_bind_sW(c->ld, NULL, NULL, LDAP_AUTH_NEGOTIATE);
	} else {
		rc = ldap_bind_sW(c->ld, NULL, NULL, LDAP_AUTH_NEGOTIATE);
		if (rc != LDAP_SUCCESS && map_rc(rc, 0) != CPUU_ENETWORK) {
			/* No Negotiate there (a non-Windows server, no domain logon):
			 * anonymous, and both answers named if that fails too. */
			ULONG anon = ldap_simple_bind_sW(c->ld, NULL, NULL);
			if (anon != LDAP_SUCCESS)
				return cpuu_error_set(map_rc(anon, 0) == CPUU_ENETWORK ? CPUU_ENETWORK : CPUU_EAUTH,
						      "%s: bind as the logged-on user failed (%s), anonymous bind too (%s)",
						      c->url, ldap_err2stringA(rc), ldap_err2stringA(anon));
			rc = anon;
		}
	}
	if (rc == LDAP_SUCCESS)
		return CPUU_OK;
	/* Never echo the password; the bind DN is fine to name. */
	if (map_rc(rc, 0) == CPUU_EAUTH)
		return cpuu_error_set(CPUU_EAUTH, "%s: bind as '%s' refused: %s", c->url,
				      s->bind_dn ? s->bind_dn : "(the logged-on user)", ldap_err2stringA(rc));
	return fail(c, rc, 0, "bind");
}

static void conn_close(dir_conn *c)
{
	if (!c)
		return;
	if (c->ld)
		ldap_unbind(c->ld);
	free(c->url);
	free(c);
}

int dir_conn_open(dir_conn **out, const cpuu_ldap_settings *s)
{
	*out = NULL;
	if (!s->url || !s->url[0])
		return cpuu_error_set(CPUU_EINVALID, "directory URL is not set");
	wchar_t *host = NULL;
	ULONG port = 0;
	int ldaps = 0;
	int rc = parse_url(&host, &port, &ldaps, s->url);
	if (rc)
		return rc;
	dir_conn *c = calloc(1, sizeof *c);
	if (!c || !(c->url = cpuu_strdup(s->url))) {
		free(c);
		free(host);
		return cpuu_error_oom();
	}
	c->timeout = s->timeout_seconds > 0 ? s->timeout_seconds : 30;
	c->page_size = s->page_size > 0 ? s->page_size : 500;
	c->ld = ldaps ? ldap_sslinitW(host, port, 1) : ldap_initW(host, port);
	free(host);
	if (!c->ld) {
		rc = cpuu_error_set(CPUU_EINVALID, "%s: cannot set up the connection: %s", s->url,
				    ldap_err2stringA(LdapGetLastError()));
		conn_close(c);
		return rc;
	}
	ULONG v3 = LDAP_VERSION3, limit = (ULONG)c->timeout;
	ldap_set_optionW(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_optionW(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_optionW(c->ld, LDAP_OPT_TIMELIMIT, &limit);
	if ((ldaps || s->start_tls) && !s->verify_cert)
		ldap_set_optionW(c->ld, LDAP_OPT_SERVER_CERTIFICATE, (void *)accept_any_cert);

	struct l_timeval tv = { c->timeout, 0 };
	ULONG lrc = ldap_connect(c->ld, &tv);
	if (lrc != LDAP_SUCCESS) {
		rc = ldaps && lrc != LDAP_TIMEOUT
			     ? cpuu_error_set(CPUU_ETLS, "%s: cannot connect or TLS handshake failed (certificate not "
							 "trusted by Windows, wrong host name, or no TLS on that port): %s",
					      c->url, ldap_err2stringA(lrc))
			     : fail(c, lrc, 0, ldaps ? "TLS handshake" : "cannot connect");
		conn_close(c);
		return rc;
	}
	if (!ldaps && s->start_tls) {
		ULONG server_rc = 0;
		lrc = ldap_start_tls_sW(c->ld, &server_rc, NULL, NULL, NULL);
		if (lrc != LDAP_SUCCESS) {
			rc = lrc == LDAP_TIMEOUT || lrc == LDAP_UNAVAILABLE
				     ? fail(c, lrc, 0, "StartTLS")
				     : cpuu_error_set(CPUU_ETLS, "%s: StartTLS failed (certificate not trusted by Windows, "
								 "wrong host name, or StartTLS not offered): %s",
						      c->url, ldap_err2stringA(lrc));
			conn_close(c);
			return rc;
		}
	}
	if ((rc = bind_conn(c, s))) {
		conn_close(c);
		return rc;
	}
	*out = c;
	return CPUU_OK;
}

void dir_conn_close(dir_conn *c)
{
	conn_close(c);
}

static int entry_copy(dir_entry *e, LDAP *ld, LDAPMessage *msg)
{
	memset(e, 0, sizeof *e);
	PWCHAR dn = ldap_get_dnW(ld, msg);
	e->dn = dn ? narrow(dn) : cpuu_strdup("");
	if (dn)
		ldap_memfreeW(dn);
	if (!e->dn)
		return cpuu_error_oom();
	BerElement *ber = NULL;
	int rc = CPUU_OK;
	for (PWCHAR a = ldap_first_attributeW(ld, msg, &ber); a && !rc; a = ldap_next_attributeW(ld, msg, ber)) {
		struct berval **vals = ldap_get_values_lenW(ld, msg, a);
		dir_attr *grown = cpuu_array_reserve(e->attrs, NULL, e->count + 1, sizeof *grown);
		if (grown) {
			e->attrs = grown;
			dir_attr *at = &e->attrs[e->count++];
			memset(at, 0, sizeof *at);
			at->name = narrow(a);
			size_t n = vals ? (size_t)ldap_count_values_len(vals) : 0;
			at->vals = n ? calloc(n, sizeof *at->vals) : NULL;
			if (!at->name || (n && !at->vals))
				rc = cpuu_error_oom();
			for (size_t k = 0; !rc && k < n; k++) {
				at->vals[k].data = cpuu_strndup(vals[k]->bv_val, vals[k]->bv_len);
				at->vals[k].len = vals[k]->bv_len;
				if (!at->vals[k].data)
					rc = cpuu_error_oom();
				else
					at->count++;
			}
		} else {
			rc = cpuu_error_oom();
		}
		if (vals)
			ldap_value_free_len(vals);
		ldap_memfreeW(a);
	}
	if (ber)
		ber_free(ber, 0);
	return rc;
}

/* The cookie of the paged-results response control, or NULL at the end. */
static int next_cookie(struct berval **cookie, dir_conn *c, LDAPMessage *res)
{
	*cookie = NULL;
	ULONG err = LDAP_SUCCESS;
	PLDAPControlW *rctrls = NULL;
	ULONG rc = ldap_parse_resultW(c->ld, res, &err, NULL, NULL, NULL, &rctrls, FALSE);
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		if (rctrls)
			ldap_controls_freeW(rctrls);
		return fail(c, rc != LDAP_SUCCESS ? rc : err, 0, "search");
	}
	if (rctrls) {
		ULONG total = 0;
		struct berval *ck = NULL;
		if (ldap_parse_page_controlW(c->ld, rctrls, &total, &ck) == LDAP_SUCCESS && ck) {
			if (ck->bv_len)
				*cookie = ck;
			else
				ber_bvfree(ck);
		}
		ldap_controls_freeW(rctrls);
	}
	return CPUU_OK;
}

/* One attribute of one object (a base-object search): the next range of
 * a ranged attribute (ldap_range.c). */
static int read_range(dir_entry *out, void *ctx, const char *dn, const char *req)
{
	dir_conn *c = ctx;
	struct l_timeval tv = { c->timeout, 0 };
	wchar_t *wdn = wide(dn), *wreq = wide(req), *wfilter = wide("(objectClass=*)");
	int code = wdn && wreq && wfilter ? CPUU_OK : cpuu_error_oom();
	LDAPMessage *res = NULL;
	if (!code) {
		wchar_t *wattrs[2] = { wreq, NULL };
		ULONG rc = ldap_search_ext_sW(c->ld, wdn, LDAP_SCOPE_BASE, wfilter, wattrs, 0, NULL, NULL, &tv,
					      LDAP_NO_LIMIT, &res);
		if (rc != LDAP_SUCCESS) {
			code = fail(c, rc, 0, "search");
		} else {
			LDAPMessage *m = ldap_first_entry(c->ld, res);
			if (m)
				code = entry_copy(out, c->ld, m);
		}
	}
	if (res)
		ldap_msgfree(res);
	free(wdn);
	free(wreq);
	free(wfilter);
	return code;
}

int dir_conn_search(dir_conn *c, const char *base, const char *filter,
		    const char *const *attrs, dir_entry_cb cb, void *user)
{
	size_t nattrs = 0;
	while (attrs && attrs[nattrs])
		nattrs++;
	/* Test hook: small ranges from the first request on (ldap_range.c). */
	int step = dir_range_step();
	char **ranged = step > 0 && attrs ? dir_range_attrs(attrs, step) : NULL;
	if (step > 0 && attrs && !ranged)
		return CPUU_ENOMEM;
	const char *const *req = ranged ? (const char *const *)ranged : attrs;
	wchar_t *wbase = wide(base), *wfilter = wide(filter);
	wchar_t **wattrs = calloc(nattrs + 1, sizeof *wattrs);
	int code = wbase && wfilter && wattrs ? CPUU_OK : cpuu_error_oom();
	for (size_t i = 0; !code && i < nattrs; i++)
		if (!(wattrs[i] = wide(req[i])))
			code = cpuu_error_oom();
	struct berval *cookie = NULL;
	struct l_timeval tv = { c->timeout, 0 };
	while (!code) {
		PLDAPControlW page = NULL;
		ULONG rc = ldap_create_page_controlW(c->ld, (ULONG)c->page_size, cookie, FALSE, &page);
		if (rc != LDAP_SUCCESS) {
			code = fail(c, rc, 0, "paged search");
			break;
		}
		PLDAPControlW sctrls[2] = { page, NULL };
		LDAPMessage *res = NULL;
		rc = ldap_search_ext_sW(c->ld, wbase, LDAP_SCOPE_SUBTREE, wfilter, attrs ? wattrs : NULL, 0, sctrls,
					NULL, &tv, LDAP_NO_LIMIT, &res);
		ldap_control_freeW(page);
		if (rc != LDAP_SUCCESS) {
			if (res)
				ldap_msgfree(res);
			code = rc == LDAP_NO_SUCH_OBJECT
				       ? cpuu_error_set(CPUU_ENOTFOUND, "%s: search base '%s' does not exist", c->url, base)
				       : fail(c, rc, 0, "search");
			break;
		}
		for (LDAPMessage *m = ldap_first_entry(c->ld, res); m && !code; m = ldap_next_entry(c->ld, m)) {
			dir_entry e;
			code = entry_copy(&e, c->ld, m);
			if (!code)
				code = dir_entry_complete_ranges(&e, read_range, c);
			if (!code)
				code = cb(user, &e);
			dir_entry_clear(&e);
		}
		if (cookie) {
			ber_bvfree(cookie);
			cookie = NULL;
		}
		if (!code)
			code = next_cookie(&cookie, c, res);
		ldap_msgfree(res);
		if (!cookie)
			break;
	}
	if (cookie)
		ber_bvfree(cookie);
	for (size_t i = 0; wattrs && i < nattrs; i++)
		free(wattrs[i]);
	free(wattrs);
	free(wbase);
	free(wfilter);
	dir_range_attrs_free(ranged);
	return code;
}

int dir_conn_add_values(int *exists, dir_conn *c, const char *dn, const char *attr,
			const char *const *vals, size_t count)
{
	*exists = 0;
	struct berval *bv = calloc(count ? count : 1, sizeof *bv);
	struct berval **bvp = calloc(count + 1, sizeof *bvp);
	wchar_t *wdn = wide(dn), *wattr = wide(attr);
	int code = CPUU_OK;
	if (!bv || !bvp || !wdn || !wattr)
		code = cpuu_error_oom();
	for (size_t i = 0; !code && i < count; i++) {
		bv[i].bv_val = (char *)vals[i];
		bv[i].bv_len = (ULONG)strlen(vals[i]);
		bvp[i] = &bv[i];
	}
	if (!code) {
		LDAPModW mod;
		memset(&mod, 0, sizeof mod);
		mod.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
		mod.mod_type = wattr;
		mod.mod_vals.modv_bvals = bvp;
		LDAPModW *mods[2] = { &mod, NULL };
		ULONG rc = ldap_modify_ext_sW(c->ld, wdn, mods, NULL, NULL);
		if (rc == LDAP_ATTRIBUTE_OR_VALUE_EXISTS) {
			*exists = 1;
		} else if (rc != LDAP_SUCCESS) {
			code = fail(c, rc, 0, "modify");
			cpuu_error_prefix("%s", dn);
		}
	}
	free(bv);
	free(bvp);
	free(wdn);
	free(wattr);
	return code;
}
