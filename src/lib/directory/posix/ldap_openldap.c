/* The LDAP backend on OpenLDAP's libldap. Only RFC 1823-style calls that
 * wldap32 also has (ldap_initialize/ldap_sslinit, ldap_set_option,
 * ldap_start_tls_s, ldap_sasl_bind_s / ldap_bind_s, ldap_search_ext_s with
 * the paged-results control, ldap_modify_ext_s, ldap_unbind_ext), so that a
 * ldap_wldap32.c can provide the same dir_conn_* functions on Windows. */
#include "directory/internal.h"

#ifndef _WIN32

#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <sasl/sasl.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <time.h>

/* A deadline for the TLS handshake. libldap 2.5.13 (Debian 12) spins
 * forever in ldap_int_tls_start when an ldaps:// server accepts the TCP
 * connection and never answers, ignoring LDAP_OPT_NETWORK_TIMEOUT. The
 * watchdog learns the socket from a connect callback and shuts it down at
 * the deadline, which ends the handshake with an error we report as a
 * timeout. POSIX threads, like the rest of this file. */
typedef struct watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int running;
	int fd;           /* the connection's socket, -1 until known */
	int done;
	int fired;
	struct timespec deadline;
} watchdog;

struct dir_conn {
	LDAP *ld;
	char *url;
	int timeout;
	int page_size;
	int tls;          /* ldaps:// or StartTLS */
	int connected;    /* the TCP connection was made: a lost one may be garbage */
	watchdog wd;
	ldap_conncb cb;
};

/* libldap writes with plain send(): on a connection the server (or our
 * watchdog) has closed, that raises SIGPIPE, whose default action kills the
 * whole program. A library must not change the process's signal handling,
 * so SIGPIPE is blocked in this thread for the duration of each call and a
 * SIGPIPE raised meanwhile is consumed (the call sees EPIPE instead). */
typedef struct sigpipe_guard {
	sigset_t old;
	int was_pending;
} sigpipe_guard;

static void sigpipe_block(sigpipe_guard *g)
{
	sigset_t pipe, pending;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
}

static void sigpipe_restore(const sigpipe_guard *g)
{
	sigset_t pipe, pending;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe, NULL, &zero) == -1 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static void *watch_main(void *arg)
{
	watchdog *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline) == ETIMEDOUT && !w->done) {
			if (w->fd >= 0) {
				shutdown(w->fd, SHUT_RDWR);
				w->fired = 1;
			}
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void watch_start(watchdog *w, int seconds)
{
	pthread_mutex_lock(&w->mu);
	w->done = 0;
	w->fired = 0;
	clock_gettime(CLOCK_REALTIME, &w->deadline);
	w->deadline.tv_sec += seconds;
	pthread_mutex_unlock(&w->mu);
	w->running = pthread_create(&w->thread, NULL, watch_main, w) == 0;
}

/* Returns 1 if the deadline passed and the socket was shut down. */
static int watch_stop(watchdog *w)
{
	if (!w->running)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->running = 0;
	return w->fired;
}

static int on_connect(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr, struct ldap_conncb *ctx)
{
	(void)ld;
	(void)srv;
	(void)addr;
	watchdog *w = ctx->lc_arg;
	ber_socket_t fd = -1;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1) {
		pthread_mutex_lock(&w->mu);
		w->fd = fd;
		pthread_mutex_unlock(&w->mu);
	}
	return 0;
}

static void on_close(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld;
	(void)sb;
	watchdog *w = ctx->lc_arg;
	pthread_mutex_lock(&w->mu);
	w->fd = -1;
	pthread_mutex_unlock(&w->mu);
}

static const char *diag(LDAP *ld)
{
	char *msg = NULL;
	static _Thread_local char buf[256];
	buf[0] = '\0';
	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_SUCCESS && msg) {
		/* libldap's placeholder for "no detail" says nothing useful. */
		if (msg[0] && strcmp(msg, "(unknown error code)")) {
			size_t n = strlen(msg);
			if (n > sizeof buf - 4)
				n = sizeof buf - 4;
			buf[0] = ' ';
			buf[1] = '(';
			memcpy(buf + 2, msg, n);
			buf[n + 2] = ')';
			buf[n + 3] = '\0';
		}
		ldap_memfree(msg);
	}
	return buf;
}

#include "directory/ldap_codes.h"

static int answers_garbage(const char *url, int timeout);

static int fail(dir_conn *c, int rc, int tls_phase, const char *what)
{
	int code = map_rc(rc, tls_phase);
	const char *url = c && c->url ? c->url : "?";
	if (rc == LDAP_TIMEOUT)
		return cpuu_error_set(code, "%s: %s: timed out after %d s", url, what, c ? c->timeout : 0);
	/* A lost connection may be a server that answered in another
	 * protocol: say so rather than "Can't contact LDAP server". The
	 * probe speaks plain LDAP, so not for a TLS connection. */
	if (rc == LDAP_DECODING_ERROR ||
	    (rc == LDAP_SERVER_DOWN && c && c->connected && !dir_has_prefix(url, "ldaps://") &&
	     answers_garbage(url, c->timeout)))
		return cpuu_error_set(CPUU_ENETWORK, "%s: %s: the server did not answer in LDAP (decoding error; "
						     "another service on that port?)", url, what);
	return cpuu_error_set(code, "%s: %s: %s%s", url, what, ldap_err2string(rc),
			      c ? diag(c->ld) : "");
}

/* A plain TCP connect with the same timeout, to tell "the server is not
 * there" from "TLS failed" when an ldaps:// handshake breaks: libldap
 * reports both as LDAP_SERVER_DOWN. POSIX-only, like the rest of this file. */
static int tcp_reachable(const char *url, int timeout)
{
	LDAPURLDesc *u = NULL;
	if (ldap_url_parse(url, &u) != LDAP_SUCCESS || !u)
		return 0;
	LDAP *probe = NULL;
	char *plain = NULL;
	int ok = 0;
	plain = cpuu_aprintf("ldap://%s:%d", u->lud_host && u->lud_host[0] ? u->lud_host : "localhost",
			     u->lud_port ? u->lud_port : 636);
	ldap_free_urldesc(u);
	if (!plain || ldap_initialize(&probe, plain) != LDAP_SUCCESS) {
		free(plain);
		return 0;
	}
	struct timeval tv = { timeout, 0 };
	ldap_set_option(probe, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ok = ldap_connect(probe) == LDAP_SUCCESS;
	ldap_unbind_ext(probe, NULL, NULL);
	free(plain);
	return ok;
}

/* After libldap lost a connection ("Can't contact LDAP server"): is the
 * server there but speaking something else (a web server on that port, a
 * proxy's error page)? A fresh TCP connection gets an anonymous LDAPv3 bind
 * request (RFC 4511: SEQUENCE { messageID 1, [APPLICATION 0] { version 3,
 * name "", simple "" } }) and the first bytes of the answer are read: an
 * LDAP answer starts with a SEQUENCE (0x30) holding an INTEGER messageID
 * (0x02). Returns 1 for an answer that is not LDAP, 0 otherwise (no
 * answer, closed, or LDAP). POSIX sockets, like the rest of this file. */
static int answers_garbage(const char *url, int timeout)
{
	static const unsigned char bind_req[] = { 0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07,
						  0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00 };
	LDAPURLDesc *u = NULL;
	if (ldap_url_parse(url, &u) != LDAP_SUCCESS || !u)
		return 0;
	char port[16];
	snprintf(port, sizeof port, "%d", u->lud_port ? u->lud_port : 389);
	struct addrinfo hints = { 0 }, *ai = NULL;
	hints.ai_socktype = SOCK_STREAM;
	int found = getaddrinfo(u->lud_host && u->lud_host[0] ? u->lud_host : "localhost", port, &hints, &ai);
	ldap_free_urldesc(u);
	if (found != 0 || !ai)
		return 0;
	int garbage = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd >= 0) {
		struct timeval tv = { timeout > 5 ? 5 : timeout, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		unsigned char got[8];
		ssize_t n = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    send(fd, bind_req, sizeof bind_req, MSG_NOSIGNAL) == (ssize_t)sizeof bind_req) {
			while ((n = recv(fd, got, sizeof got, 0)) < 0 && errno == EINTR)
				;
		}
		/* The messageID follows the length: short form (0x30 LL 0x02) or
		 * long form (0x30 0x8K <K bytes> 0x02). */
		if (n >= 3) {
			size_t at = got[1] < 0x80 ? 2 : 2 + (size_t)(got[1] & 0x7f);
			garbage = got[0] != 0x30 || (at < (size_t)n && got[at] != 0x02) || (got[1] & 0x7f) > 4;
		} else if (n > 0) {
			garbage = got[0] != 0x30;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	return garbage;
}

static void conn_close(dir_conn *c);

/* Cyrus SASL asks for what the caller did not give: GSSAPI may ask for an
 * authorization identity, whose default (none: the ticket's principal) is
 * what we want. Nothing is ever prompted for. */
static int sasl_defaults(LDAP *ld, unsigned flags, void *defaults, void *interact)
{
	(void)ld;
	(void)flags;
	(void)defaults;
	for (sasl_interact_t *in = interact; in && in->id != SASL_CB_LIST_END; in++) {
		in->result = in->defresult ? in->defresult : "";
		in->len = (unsigned)strlen(in->result);
	}
	return LDAP_SUCCESS;
}

/* SASL GSSAPI with the Kerberos ticket in the caller's credentials cache
 * (KRB5CCNAME), what a domain workstation uses. The service principal is
 * ldap/<host of the URL>, not canonicalized through DNS (an address or an
 * alias would otherwise turn into whatever reverse DNS says). Over plain
 * ldap:// the Kerberos layer signs and seals; AD and Samba refuse that
 * layer inside TLS and refuse GSSAPI without it, so Kerberos is used on
 * ldap:// URLs without StartTLS (docs/directory.md). */
static int kerberos_bind(dir_conn *c)
{
	ldap_set_option(c->ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON);
	int rc = ldap_sasl_interactive_bind_s(c->ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
					      sasl_defaults, NULL);
	if (rc == LDAP_SUCCESS)
		return CPUU_OK;
	int code = map_rc(rc, 0);
	/* LDAP_LOCAL_ERROR / LDAP_AUTH_UNKNOWN: the client could not start
	 * GSSAPI (no ticket, no KDC, no SASL module): still a refused bind. */
	if (code == CPUU_EAUTH || code == CPUU_ERROR)
		return cpuu_error_set(CPUU_EAUTH, "%s: Kerberos bind (SASL GSSAPI) refused: %s%s "
						  "(a ticket in KRB5CCNAME? kinit; an ldap:// URL without StartTLS?)",
				      c->url, ldap_err2string(rc), diag(c->ld));
	return fail(c, rc, 0, "Kerberos bind");
}

static int conn_open(dir_conn **out, const cpuu_ldap_settings *s)
{
	*out = NULL;
	if (!s->url || !s->url[0])
		return cpuu_error_set(CPUU_EINVALID, "directory URL is not set");
	int ldaps = dir_has_prefix(s->url, "ldaps://");
	if (!ldaps && !dir_has_prefix(s->url, "ldap://"))
		return cpuu_error_set(CPUU_EINVALID, "%s: URL must start with ldap:// or ldaps://", s->url);

	dir_conn *c = calloc(1, sizeof *c);
	if (!c || !(c->url = cpuu_strdup(s->url))) {
		free(c);
		return cpuu_error_oom();
	}
	pthread_mutex_init(&c->wd.mu, NULL);
	pthread_cond_init(&c->wd.cv, NULL);
	c->wd.fd = -1;
	c->cb.lc_add = on_connect;
	c->cb.lc_del = on_close;
	c->cb.lc_arg = &c->wd;
	c->timeout = s->timeout_seconds > 0 ? s->timeout_seconds : 30;
	c->page_size = s->page_size > 0 ? s->page_size : 500;
	c->tls = ldaps || s->start_tls;

	int rc = ldap_initialize(&c->ld, s->url);
	if (rc != LDAP_SUCCESS) {
		int code = cpuu_error_set(CPUU_EINVALID, "%s: bad directory URL: %s", s->url, ldap_err2string(rc));
		conn_close(c);
		return code;
	}
	int v3 = LDAP_VERSION3;
	struct timeval tv = { c->timeout, 0 };
	ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(c->ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(c->ld, LDAP_OPT_TIMELIMIT, &c->timeout);
	ldap_set_option(c->ld, LDAP_OPT_CONNECT_CB, &c->cb);

	if (c->tls) {
		int req = s->verify_cert ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
		int newctx = 0;
		if ((s->ca_file && ldap_set_option(c->ld, LDAP_OPT_X_TLS_CACERTFILE, s->ca_file) != LDAP_SUCCESS) ||
		    ldap_set_option(c->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &req) != LDAP_SUCCESS ||
		    ldap_set_option(c->ld, LDAP_OPT_X_TLS_NEWCTX, &newctx) != LDAP_SUCCESS) {
			int code = cpuu_error_set(CPUU_ETLS, "%s: cannot set up TLS (CA file %s)%s", s->url,
						  s->ca_file ? s->ca_file : "(system)", diag(c->ld));
			conn_close(c);
			return code;
		}
	}

	/* Connect explicitly so that each failure is named by its phase. */
	watch_start(&c->wd, c->timeout);
	rc = ldap_connect(c->ld);
	if (watch_stop(&c->wd) && rc != LDAP_SUCCESS) {
		int code = cpuu_error_set(CPUU_ENETWORK, "%s: %s: timed out after %d s", c->url,
					  ldaps ? "TLS handshake" : "connect", c->timeout);
		conn_close(c);
		return code;
	}
	if (rc != LDAP_SUCCESS) {
		int tls_phase = ldaps && tcp_reachable(s->url, c->timeout);
		int code = tls_phase ? cpuu_error_set(CPUU_ETLS, "%s: TLS handshake failed (certificate not trusted by %s, "
							  "wrong host name, or no TLS on that port)%s",
						      c->url, s->ca_file ? s->ca_file : "the system CA store", diag(c->ld))
				     : fail(c, rc, 0, "cannot connect");
		conn_close(c);
		return code;
	}
	c->connected = 1;
	if (!ldaps && s->start_tls) {
		watch_start(&c->wd, c->timeout);
		rc = ldap_start_tls_s(c->ld, NULL, NULL);
		if (watch_stop(&c->wd) && rc != LDAP_SUCCESS)
			rc = LDAP_TIMEOUT;
		if (rc != LDAP_SUCCESS) {
			/* Before TLS the server speaks plain LDAP: a lost
			 * connection may be garbage, which fail() tells. */
			int code = rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE || rc == LDAP_DECODING_ERROR ||
					   (rc == LDAP_SERVER_DOWN && answers_garbage(c->url, c->timeout))
					   ? fail(c, rc, 0, "StartTLS")
										 : cpuu_error_set(CPUU_ETLS, "%s: StartTLS failed (certificate not trusted by %s, "
												  "wrong host name, or StartTLS not offered): %s%s",
												  c->url, s->ca_file ? s->ca_file : "the system CA store",
												  ldap_err2string(rc), diag(c->ld));
			conn_close(c);
			return code;
		}
	}

	if (s->kerberos) {
		rc = kerberos_bind(c);
		if (rc != CPUU_OK) {
			conn_close(c);
			return rc;
		}
		*out = c;
		return CPUU_OK;
	}
	struct berval cred = { 0, NULL };
	if (s->password) {
		cred.bv_val = (char *)s->password;
		cred.bv_len = strlen(s->password);
	}
	rc = ldap_sasl_bind_s(c->ld, s->bind_dn ? s->bind_dn : "", LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		int code;
		/* Never echo the password; the bind DN is fine to name. */
		if (map_rc(rc, 0) == CPUU_EAUTH)
			code = cpuu_error_set(CPUU_EAUTH, "%s: bind as '%s' refused: %s", c->url,
					      s->bind_dn ? s->bind_dn : "(anonymous)", ldap_err2string(rc));
		else
			code = fail(c, rc, 0, "bind");
		conn_close(c);
		return code;
	}
	*out = c;
	return CPUU_OK;
}

static void conn_close(dir_conn *c)
{
	if (!c)
		return;
	if (c->ld)
		ldap_unbind_ext(c->ld, NULL, NULL);
	pthread_cond_destroy(&c->wd.cv);
	pthread_mutex_destroy(&c->wd.mu);
	free(c->url);
	free(c);
}

static int entry_copy(dir_entry *e, LDAP *ld, LDAPMessage *msg)
{
	memset(e, 0, sizeof *e);
	char *dn = ldap_get_dn(ld, msg);
	e->dn = cpuu_strdup(dn ? dn : "");
	if (dn)
		ldap_memfree(dn);
	if (!e->dn)
		return cpuu_error_oom();
	BerElement *ber = NULL;
	for (char *a = ldap_first_attribute(ld, msg, &ber); a; a = ldap_next_attribute(ld, msg, ber)) {
		struct berval **vals = ldap_get_values_len(ld, msg, a);
		dir_attr *grown = cpuu_array_reserve(e->attrs, NULL, e->count + 1, sizeof *grown);
		if (!grown) {
			ldap_memfree(a);
			ldap_value_free_len(vals);
			ber_free(ber, 0);
			return cpuu_error_oom();
		}
		e->attrs = grown;
		dir_attr *at = &e->attrs[e->count++];
		memset(at, 0, sizeof *at);
		at->name = cpuu_strdup(a);
		ldap_memfree(a);
		size_t n = vals ? (size_t)ldap_count_values_len(vals) : 0;
		at->vals = n ? calloc(n, sizeof *at->vals) : NULL;
		if (!at->name || (n && !at->vals)) {
			ldap_value_free_len(vals);
			ber_free(ber, 0);
			return cpuu_error_oom();
		}
		for (size_t k = 0; k < n; k++) {
			at->vals[k].data = cpuu_strndup(vals[k]->bv_val, vals[k]->bv_len);
			at->vals[k].len = vals[k]->bv_len;
			at->count++;
			if (!at->vals[k].data) {
				ldap_value_free_len(vals);
				ber_free(ber, 0);
				return cpuu_error_oom();
			}
		}
		ldap_value_free_len(vals);
	}
	ber_free(ber, 0);
	return CPUU_OK;
}

/* One attribute of one object (a base-object search): the next range of
 * a ranged attribute (ldap_range.c). */
static int read_range(dir_entry *out, void *ctx, const char *dn, const char *req)
{
	dir_conn *c = ctx;
	struct timeval tv = { c->timeout, 0 };
	char *attrs[2] = { (char *)req, NULL };
	LDAPMessage *res = NULL;
	int rc = ldap_search_ext_s(c->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL, &tv,
				   LDAP_NO_LIMIT, &res);
	int code = CPUU_OK;
	if (rc != LDAP_SUCCESS) {
		code = fail(c, rc, 0, "search");
	} else {
		LDAPMessage *m = ldap_first_entry(c->ld, res);
		if (m)
			code = entry_copy(out, c->ld, m);
	}
	ldap_msgfree(res);
	return code;
}

static int conn_search(dir_conn *c, const char *base, const char *filter,
		       const char *const *attrs, dir_entry_cb cb, void *user)
{
	struct berval *cookie = NULL;
	int code = CPUU_OK;
	struct timeval tv = { c->timeout, 0 };
	/* Test hook: small ranges from the first request on (ldap_range.c). */
	int step = dir_range_step();
	char **ranged = step > 0 && attrs ? dir_range_attrs(attrs, step) : NULL;
	if (step > 0 && attrs && !ranged)
		return CPUU_ENOMEM;
	char **req = ranged ? ranged : (char **)attrs;
	for (;;) {
		LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL };
		int rc = ldap_create_page_control(c->ld, (ber_int_t)c->page_size, cookie, 0, &page);
		if (rc != LDAP_SUCCESS) {
			code = fail(c, rc, 0, "paged search");
			break;
		}
		sctrls[0] = page;
		LDAPMessage *res = NULL;
		rc = ldap_search_ext_s(c->ld, base, LDAP_SCOPE_SUBTREE, filter, req, 0,
				       sctrls, NULL, &tv, LDAP_NO_LIMIT, &res);
		ldap_control_free(page);
		if (rc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			code = rc == LDAP_NO_SUCH_OBJECT
				       ? cpuu_error_set(CPUU_ENOTFOUND, "%s: search base '%s' does not exist", c->url, base)
				       : fail(c, rc, 0, "search");
			break;
		}
		for (LDAPMessage *m = ldap_first_entry(c->ld, res); m && code == CPUU_OK;
		     m = ldap_next_entry(c->ld, m)) {
			dir_entry e;
			code = entry_copy(&e, c->ld, m);
			if (code == CPUU_OK)
				code = dir_entry_complete_ranges(&e, read_range, c);
			if (code == CPUU_OK)
				code = cb(user, &e);
			dir_entry_clear(&e);
		}
		/* The next page's cookie from the response controls. */
		LDAPControl **rctrls = NULL;
		int err = 0;
		if (code == CPUU_OK)
			rc = ldap_parse_result(c->ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
		ldap_msgfree(res);
		if (code != CPUU_OK)
			break;
		if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
			ldap_controls_free(rctrls);
			code = fail(c, rc != LDAP_SUCCESS ? rc : err, 0, "search");
			break;
		}
		if (cookie) {
			ber_bvfree(cookie);
			cookie = NULL;
		}
		LDAPControl *resp = rctrls ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL) : NULL;
		if (resp) {
			ber_int_t estimate = 0;
			struct berval ck = { 0, NULL };
			if (ldap_parse_pageresponse_control(c->ld, resp, &estimate, &ck) == LDAP_SUCCESS && ck.bv_len) {
				cookie = ber_dupbv(NULL, &ck);
			}
			if (ck.bv_val)
				ldap_memfree(ck.bv_val);
		}
		ldap_controls_free(rctrls);
		if (!cookie)
			break;
	}
	if (cookie)
		ber_bvfree(cookie);
	dir_range_attrs_free(ranged);
	return code;
}

static int conn_add_values(int *exists, dir_conn *c, const char *dn, const char *attr,
			   const char *const *vals, size_t count)
{
	*exists = 0;
	struct berval *bv = calloc(count, sizeof *bv);
	struct berval **bvp = calloc(count + 1, sizeof *bvp);
	if (!bv || !bvp) {
		free(bv);
		free(bvp);
		return cpuu_error_oom();
	}
	for (size_t i = 0; i < count; i++) {
		bv[i].bv_val = (char *)vals[i];
		bv[i].bv_len = strlen(vals[i]);
		bvp[i] = &bv[i];
	}
	LDAPMod mod = { 0 };
	mod.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
	mod.mod_type = (char *)attr;
	mod.mod_bvalues = bvp;
	LDAPMod *mods[2] = { &mod, NULL };
	int rc = ldap_modify_ext_s(c->ld, dn, mods, NULL, NULL);
	free(bv);
	free(bvp);
	if (rc == LDAP_TYPE_OR_VALUE_EXISTS) {
		*exists = 1;
		return CPUU_OK;
	}
	if (rc != LDAP_SUCCESS) {
		int code = fail(c, rc, 0, "modify");
		cpuu_error_prefix("%s", dn);
		return code;
	}
	return CPUU_OK;
}

/* The backend interface (internal.h): every call under the SIGPIPE guard. */
int dir_conn_open(dir_conn **out, const cpuu_ldap_settings *s)
{
	sigpipe_guard g;
	sigpipe_block(&g);
	int rc = conn_open(out, s);
	sigpipe_restore(&g);
	return rc;
}

void dir_conn_close(dir_conn *c)
{
	sigpipe_guard g;
	sigpipe_block(&g);
	conn_close(c);
	sigpipe_restore(&g);
}

int dir_conn_search(dir_conn *c, const char *base, const char *filter,
		    const char *const *attrs, dir_entry_cb cb, void *user)
{
	sigpipe_guard g;
	sigpipe_block(&g);
	int rc = conn_search(c, base, filter, attrs, cb, user);
	sigpipe_restore(&g);
	return rc;
}

int dir_conn_add_values(int *exists, dir_conn *c, const char *dn, const char *attr,
			const char *const *vals, size_t count)
{
	sigpipe_guard g;
	sigpipe_block(&g);
	int rc = conn_add_values(exists, c, dn, attr, vals, count);
	sigpipe_restore(&g);
	return rc;
}

#endif /* !_WIN32 */
