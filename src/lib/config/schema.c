/* Every known configuration key: adding a key is one line here (and its
 * paragraph in docs/config.md, which a test checks). */
#include "config/internal.h"

#define S(sec, key, def, help, by) { sec, key, CPUU_CFG_STRING, def, NULL, 0, 0, help, by }
#define B(sec, key, def, help, by) { sec, key, CPUU_CFG_BOOL, def, NULL, 0, 0, help, by }
#define I(sec, key, def, lo, hi, help, by) { sec, key, CPUU_CFG_INT, def, NULL, lo, hi, help, by }
#define E(sec, key, def, choices, help, by) { sec, key, CPUU_CFG_ENUM, def, choices, 0, 0, help, by }
#define L(sec, key, def, help, by) { sec, key, CPUU_CFG_LIST, def, NULL, 0, 0, help, by }
#define P(sec, key, def, help, by) { sec, key, CPUU_CFG_PATH, def, NULL, 0, 0, help, by }

/* Consumers (cpuu_config_key_info.consumer): the run's settings, or the file
 * that reads the key itself. tests/unit/test_update_opts.c holds each
 * to it. */
#define RUN CPUU_CONFIG_BY_RUN
#define LDAP "src/lib/directory/ldap_conn.c"
#define PASSWORD "src/lib/config/password.c"
#define RESOLVER "src/lib/directory/lookup_resolver.c"

static const cpuu_config_key_info schema[] = {
	E("General", "Mode", "update", "update|rollback|cleanup",
	  "What a run does when the command line does not say: update, rollback or cleanup.", RUN),
	P("General", "LogFile", NULL, "Local log file (none when unset).", RUN),
	P("General", "LogShare", NULL, "Folder (e.g. a UNC share) the local log is copied to after the run.", RUN),
	P("General", "ResultFile", NULL, "File receiving one JSON-lines result record per user, profile and account.", RUN),
	P("General", "TempDir", NULL, "Working folder (the system temporary folder when unset).", RUN),
	P("General", "BackupDir", NULL, "Where Update keeps what Rollback needs (next to the hive when unset).", RUN),
	I("General", "Workers", "0", 0, 1024, "Parallel workers in bulk runs; 0 = one per core.", RUN),
	B("General", "DryRun", "false", "Plan and show the changes without writing anything.", RUN),
	E("General", "Scenario", "onprem-crossforest", "onprem-crossforest|onprem-to-exo|tenant-to-tenant",
	  "Where the mailboxes go; decides the Microsoft 365 steps whose [Features] key is auto (docs/m365.md).", RUN),
	{ "General", "Critical", CPUU_CFG_LIST, NULL, "AddBoxes|CONTAB|Autocomplete|PRF|Activities|Delegates|Rules|SRS|SearchFolders|Shortcuts", 0, 0,
	  "Features whose failure in a profile leaves that whole profile unswitched (the established tool's -Critical).", RUN },
	L("General", "AllowAdditionalServices", "MSEMS, MSPST AB, MSPST MS, MSUPST MS, CONTAB",
	  "MAPI services a profile may hold to be processed ('All': any); a profile with another is skipped.", RUN),

	L("Profiles", "Profiles", "all", "'all' or the names of the profiles to process.", RUN),
	E("Profiles", "CachedProfiles", "all", "all|listed|none",
	  "Cached-mode profiles: all, only those of users listed in RemoteUsers/RemoteUsersFile, or none.", RUN),
	L("Profiles", "RemoteUsers", NULL, "User names (user or DOMAIN\\user) whose cached profiles are processed when CachedProfiles = listed.", RUN),
	P("Profiles", "RemoteUsersFile", NULL, "File with one user name a line, added to RemoteUsers.", RUN),

	B("Features", "AddBoxes", "true", "Relink additional (shared) mailboxes to where their owners now live.", RUN),
	B("Features", "Autocomplete", "true", "Rewrite source legacyExchangeDNs in the autocomplete cache.", RUN),
	B("Features", "Signatures", "true", "Keep the default new/reply signatures of the switched account.", RUN),
	B("Features", "AutodiscoverReset", "true", "Remove cached Autodiscover results so Outlook rediscovers the target.", RUN),
	B("Features", "CONTAB", "true", "Update the Outlook Address Book entries pointing to contacts folders.", RUN),
	B("Features", "PRF", "false", "Also write an Outlook profile file (.prf) describing the switched profile.", RUN),
	B("Features", "ExcludeScpLookup", "true", "Set Outlook's ExcludeScpLookup (2016+) so it does not query the source forest's SCP.", RUN),
	E("Features", "OfficeIdentity", "auto", "auto|on|off",
	  "Reset the Office sign-in identities of the source as OCCT does (auto: on for onprem-to-exo and tenant-to-tenant).", RUN),
	E("Features", "AutodiscoverPolicy", "auto", "auto|on|off",
	  "Set the scenario's Outlook AutoDiscover values; policy twins and ZeroConfig only reported (auto: on).", RUN),
	E("Features", "AuthHealth", "auto", "auto|on|off",
	  "Report values that disable WAM or modern auth, never set (auto: on for Exchange Online targets).", RUN),
	E("Features", "M365Detect", "auto", "auto|on|off",
	  "Report New Outlook, OneDrive business accounts and Teams of the source (auto: on for Exchange Online targets).", RUN),

	E("Features", "OfficeActivation", "auto", "auto|on|off",
	  "Move the per-user Office licence folders aside so Office activates for the target (auto: off, opt-in).", RUN),

	E("Features", "OfficeCredentials", "auto", "auto|on|off",
	  "Live Windows runs: move Office's Credential Manager entries of the source aside (auto: on for Exchange Online targets).", RUN),

	E("Features", "TokenBroker", "auto", "auto|on|off",
	  "Move the WAM account files of KB 4499299 aside when users' SIDs changed (auto: off, opt-in).", RUN),

	E("Features", "UserNotice", "auto", "auto|on|off",
	  "Logon runs: show [M365] Notice once per user while a mailbox is not switched yet (auto: on for Exchange Online targets).", RUN),

	L("M365", "SourceDomains", NULL, "SMTP domains of the source besides those of the switched accounts (identities, OneDrive, Teams).", RUN),
	L("M365", "SourceTenants", NULL, "Tenant IDs of the source: an Office identity with one of them is the source's.", RUN),
	S("M365", "Notice", NULL, "Text of the user's one-time notice before the switch (\\n starts a new line); none when unset.", RUN),
	S("M365", "NoticeTitle", "Mailbox move", "Title of that notice's window.", RUN),

	P("Mapping", "File", NULL, "Mapping CSV (docs/mapping-csv.md); when set it is used instead of the directories.", RESOLVER),

	S("Source", "Url", NULL, "Source directory: ldap://host[:port] or ldaps://host[:port].", LDAP),
	S("Source", "BaseDN", NULL, "Search base of the source directory.", LDAP),
	S("Source", "BindDN", NULL, "Bind identity (DN or user@domain); anonymous when unset.", LDAP),
	P("Source", "PasswordFile", NULL, "File holding the bind password (the only line).", PASSWORD),
	S("Source", "PasswordEnv", NULL, "Name of an environment variable holding the bind password.", PASSWORD),
	B("Source", "StartTLS", "false", "Issue StartTLS on an ldap:// connection.", LDAP),
	P("Source", "CACertFile", NULL, "PEM file of the CA(s) to trust (the system store when unset).", LDAP),
	B("Source", "VerifyCert", "true", "Check the server certificate (never turn off in production).", LDAP),
	I("Source", "TimeoutSeconds", "30", 1, 3600, "Network and search time limit, in seconds.", LDAP),
	I("Source", "PageSize", "500", 1, 100000, "Paged search size (RFC 2696).", LDAP),
	E("Source", "BindMethod", "simple", "simple|kerberos",
	  "simple: BindDN and password; kerberos: the caller's Kerberos ticket (SASL GSSAPI; Negotiate on Windows), no password.", LDAP),

	S("Target", "Url", NULL, "Target directory: ldap://host[:port] or ldaps://host[:port].", LDAP),
	S("Target", "BaseDN", NULL, "Search base of the target directory.", LDAP),
	S("Target", "BindDN", NULL, "Bind identity (DN or user@domain); anonymous when unset.", LDAP),
	P("Target", "PasswordFile", NULL, "File holding the bind password (the only line).", PASSWORD),
	S("Target", "PasswordEnv", NULL, "Name of an environment variable holding the bind password.", PASSWORD),
	B("Target", "StartTLS", "false", "Issue StartTLS on an ldap:// connection.", LDAP),
	P("Target", "CACertFile", NULL, "PEM file of the CA(s) to trust (the system store when unset).", LDAP),
	B("Target", "VerifyCert", "true", "Check the server certificate (never turn off in production).", LDAP),
	I("Target", "TimeoutSeconds", "30", 1, 3600, "Network and search time limit, in seconds.", LDAP),
	I("Target", "PageSize", "500", 1, 100000, "Paged search size (RFC 2696).", LDAP),
	E("Target", "BindMethod", "simple", "simple|kerberos",
	  "simple: BindDN and password; kerberos: the caller's Kerberos ticket (SASL GSSAPI; Negotiate on Windows), no password.", LDAP),

	S("Correspondence", "Attribute", "extensionAttribute1", "Attribute holding the correspondence written by directory synchronization.", LDAP),
	E("Correspondence", "Side", "target", "source|target", "Which object carries that attribute: the source or the target one.", LDAP),
	E("Correspondence", "Holds", "objectGUID", "objectGUID|legacyExchangeDN|smtp",
	  "What the attribute holds about the other object: its objectGUID, legacyExchangeDN or primary SMTP address.", LDAP),

	S("Switch", "Attribute", "extensionAttribute2", "Attribute whose state says the mailbox is switched.", LDAP),
	S("Switch", "Value", "switched", "Value of Attribute meaning 'switched' (case-insensitive); ignored when Present = yes.", LDAP),
	B("Switch", "Present", "false", "yes: the mailbox is switched as soon as Attribute has any value (e.g. targetAddress).", LDAP),
	E("Switch", "Side", "source", "source|target", "Which object carries the switch attribute.", LDAP),

	L("Processes", "Names", "OUTLOOK.EXE, lync.exe, communicator.exe, UcMapi.exe, MAPISP32.EXE, fixmapi.exe, scanpst.exe",
	  "MAPI clients stopped before a profile changes (Windows logon runs; docs/procstop.md).", RUN),
	I("Processes", "GraceSeconds", "30", 0, 600, "How long they may take to close when asked, before they are ended.", RUN),
	B("Processes", "Ask", "false", "Ask the user first; a refusal ends the run with USER_ABORT (8).", RUN),

	E("Logging", "Level", "info", "error|warning|info|debug", "Least severe message written to the log.", RUN),
	B("Logging", "JsonResults", "false", "Print the result records as JSON lines on standard output.", RUN),
};

const cpuu_config_key_info *cpuu_config_schema(size_t *count)
{
	if (count)
		*count = sizeof schema / sizeof schema[0];
	return schema;
}

const cpuu_config_key_info *cpuu_config_key_find(const char *section, const char *key)
{
	if (!section || !key)
		return NULL;
	for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
		if (!cpuu_strcasecmp_ascii(schema[i].section, section) &&
		    !cpuu_strcasecmp_ascii(schema[i].key, key))
			return &schema[i];
	return NULL;
}
