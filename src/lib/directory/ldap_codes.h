/* LDAP result codes -> cpuu codes, shared by the OpenLDAP and wldap32
 * backends. Each includes this after its own ldap.h: the libraries'
 * client-side codes (LDAP_SERVER_DOWN, LDAP_TIMEOUT, ...) differ in value,
 * so the switch is compiled against each library's constants. */
#ifndef CPUU_DIRECTORY_LDAP_CODES_H
#define CPUU_DIRECTORY_LDAP_CODES_H

/* tls_phase: the failure happened while TLS was being set up, so a dropped
 * connection is a TLS failure. */
static int map_rc(long rc, int tls_phase)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return CPUU_OK;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case 50: /* insufficientAccessRights (RFC 4511): named differently in each library */
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_AUTH_UNKNOWN:
		return CPUU_EAUTH;
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
		return CPUU_ENETWORK;
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
		return tls_phase ? CPUU_ETLS : CPUU_ENETWORK;
	case LDAP_NO_SUCH_OBJECT:
		return CPUU_ENOTFOUND;
	case LDAP_NO_MEMORY:
		return CPUU_ENOMEM;
	case LDAP_FILTER_ERROR:
	case LDAP_PARAM_ERROR:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_INVALID_SYNTAX:
	case LDAP_UNDEFINED_TYPE:
		return CPUU_EINVALID;
	default:
		return CPUU_ERROR;
	}
}

#endif
