/* Public connection API and the rules read from the INI. */
#include "directory/internal.h"

#include <stdlib.h>
#include <string.h>

int cpuu_ldap_connect(cpuu_ldap **out, const cpuu_ldap_settings *s)
{
	*out = NULL;
	if (!s->base_dn || !s->base_dn[0])
		return cpuu_error_set(CPUU_EINVALID, "%s: BaseDN is not set", s->url ? s->url : "directory");
	cpuu_ldap *ld = calloc(1, sizeof *ld);
	if (!ld || !(ld->base_dn = cpuu_strdup(s->base_dn)) || !(ld->url = cpuu_strdup(s->url ? s->url : ""))) {
		cpuu_ldap_free(ld);
		return cpuu_error_oom();
	}
	ld->page_size = s->page_size;
	int rc = dir_conn_open(&ld->conn, s);
	if (rc != CPUU_OK) {
		cpuu_ldap_free(ld);
		return rc;
	}
	*out = ld;
	return CPUU_OK;
}

/* A DC that accepts connections and stops answering makes every call wait
 * TimeoutSeconds; a run looking up many accounts would wait that long for
 * each. After the first network failure the connection is not trusted
 * again: later calls fail at once with the same code and the first
 * message, so the run reports every remaining account as an error and
 * changes nothing for them, in one timeout. */
static int unavailable_check(const cpuu_ldap *ld)
{
	if (!ld->unavailable)
		return CPUU_OK;
	return cpuu_error_set(CPUU_ENETWORK, "directory not asked again in this run after: %s", ld->unavailable);
}

static int unavailable_note(cpuu_ldap *ld, int rc)
{
	if (rc == CPUU_ENETWORK && !ld->unavailable) {
		const char *msg = cpuu_error_last()->message;
		ld->unavailable = cpuu_strdup(msg && msg[0] ? msg : "network failure");
	}
	return rc;
}

int dir_ldap_search(cpuu_ldap *ld, const char *filter, const char *const *attrs, dir_entry_cb cb, void *user)
{
	int rc = unavailable_check(ld);
	if (rc != CPUU_OK)
		return rc;
	return unavailable_note(ld, dir_conn_search(ld->conn, ld->base_dn, filter, attrs, cb, user));
}

int dir_ldap_add_values(int *exists, cpuu_ldap *ld, const char *dn, const char *attr,
			const char *const *vals, size_t count)
{
	*exists = 0;
	int rc = unavailable_check(ld);
	if (rc != CPUU_OK)
		return rc;
	return unavailable_note(ld, dir_conn_add_values(exists, ld->conn, dn, attr, vals, count));
}

static void wipe_free(char *s)
{
	if (!s)
		return;
	volatile char *p = s;
	while (*p)
		*p++ = '\0';
	cpuu_free(s);
}

int cpuu_ldap_connect_config(cpuu_ldap **out, const cpuu_config *cfg, const char *section)
{
	*out = NULL;
	cpuu_ldap_settings s = { 0 };
	s.url = cpuu_config_get_string(cfg, section, "Url");
	s.base_dn = cpuu_config_get_string(cfg, section, "BaseDN");
	s.bind_dn = cpuu_config_get_string(cfg, section, "BindDN");
	s.start_tls = cpuu_config_get_bool(cfg, section, "StartTLS");
	s.ca_file = cpuu_config_get_string(cfg, section, "CACertFile");
	s.verify_cert = cpuu_config_get_bool(cfg, section, "VerifyCert");
	s.timeout_seconds = (int)cpuu_config_get_int(cfg, section, "TimeoutSeconds");
	s.page_size = (int)cpuu_config_get_int(cfg, section, "PageSize");
	const char *method = cpuu_config_get_string(cfg, section, "BindMethod");
	s.kerberos = method && !cpuu_strcasecmp_ascii(method, "kerberos");
	if (!s.url || !s.url[0])
		return cpuu_error_set(CPUU_EINVALID, "[%s] Url is not set", section);
	if (!s.base_dn || !s.base_dn[0])
		return cpuu_error_set(CPUU_EINVALID, "[%s] BaseDN is not set", section);
	char *pw = NULL;
	if (s.kerberos) {
		s.bind_dn = NULL; /* the ticket names the account */
	} else if (s.bind_dn && s.bind_dn[0]) {
		int rc = cpuu_config_password(&pw, cfg, section);
		if (rc != CPUU_OK) {
			cpuu_error_prefix("[%s] BindDN is set but no password", section);
			return rc;
		}
		s.password = pw;
	} else {
		s.bind_dn = NULL;
	}
	int rc = cpuu_ldap_connect(out, &s);
	wipe_free(pw);
	if (rc != CPUU_OK)
		cpuu_error_prefix("%s directory", section);
	return rc;
}

void cpuu_ldap_free(cpuu_ldap *ld)
{
	if (!ld)
		return;
	dir_conn_close(ld->conn);
	free(ld->unavailable);
	free(ld->base_dn);
	free(ld->url);
	free(ld);
}

int dir_rules_load(dir_rules *r, const cpuu_config *cfg)
{
	memset(r, 0, sizeof *r);
	const char *attr = cpuu_config_get_string(cfg, "Correspondence", "Attribute");
	const char *side = cpuu_config_get_string(cfg, "Correspondence", "Side");
	const char *holds = cpuu_config_get_string(cfg, "Correspondence", "Holds");
	const char *sattr = cpuu_config_get_string(cfg, "Switch", "Attribute");
	const char *svalue = cpuu_config_get_string(cfg, "Switch", "Value");
	const char *sside = cpuu_config_get_string(cfg, "Switch", "Side");
	if (!attr || !attr[0])
		return cpuu_error_set(CPUU_EINVALID, "[Correspondence] Attribute is not set");
	if (!sattr || !sattr[0])
		return cpuu_error_set(CPUU_EINVALID, "[Switch] Attribute is not set");
	r->corr_on_target = !side || !cpuu_strcasecmp_ascii(side, "target");
	if (!holds || !cpuu_strcasecmp_ascii(holds, "objectGUID"))
		r->holds = DIR_HOLDS_GUID;
	else if (!cpuu_strcasecmp_ascii(holds, "legacyExchangeDN"))
		r->holds = DIR_HOLDS_LEGACYDN;
	else if (!cpuu_strcasecmp_ascii(holds, "smtp"))
		r->holds = DIR_HOLDS_SMTP;
	else
		return cpuu_error_set(CPUU_EINVALID, "[Correspondence] Holds: unknown value '%s'", holds);
	r->switch_present = cpuu_config_get_bool(cfg, "Switch", "Present");
	r->switch_on_target = sside && !cpuu_strcasecmp_ascii(sside, "target");
	r->corr_attr = cpuu_strdup(attr);
	r->switch_attr = cpuu_strdup(sattr);
	r->switch_value = cpuu_strdup(svalue ? svalue : "");
	if (!r->corr_attr || !r->switch_attr || !r->switch_value) {
		dir_rules_clear(r);
		return cpuu_error_oom();
	}
	return CPUU_OK;
}

void dir_rules_clear(dir_rules *r)
{
	free(r->corr_attr);
	free(r->switch_attr);
	free(r->switch_value);
	memset(r, 0, sizeof *r);
}

int cpuu_directory_open(cpuu_directory **out, const cpuu_config *cfg)
{
	*out = NULL;
	cpuu_directory *d = calloc(1, sizeof *d);
	if (!d)
		return cpuu_error_oom();
	int rc = dir_rules_load(&d->rules, cfg);
	if (rc == CPUU_OK)
		rc = cpuu_ldap_connect_config(&d->source, cfg, "Source");
	if (rc == CPUU_OK)
		rc = cpuu_ldap_connect_config(&d->target, cfg, "Target");
	if (rc != CPUU_OK) {
		cpuu_directory_free(d);
		return rc;
	}
	*out = d;
	return CPUU_OK;
}

void cpuu_directory_free(cpuu_directory *d)
{
	if (!d)
		return;
	cpuu_ldap_free(d->source);
	cpuu_ldap_free(d->target);
	dir_rules_clear(&d->rules);
	free(d);
}
