# The cpuu.ini of a test against the test slapd (tests/support/slapd.sh):
# sourced, after the slapd's DIR/env.
#
#   slapd_ini FILE [SRC_PWFILE [TRG_PWFILE [URL [SOURCE_LINES]]]]
#       writes FILE: [Source] and [Target] on URL (default $SLAPD_URL) as
#       the cn=cpuu service accounts with their password files (default
#       $SRC_PWFILE and $TRG_PWFILE; give Windows paths for cpuu.exe),
#       TimeoutSeconds = 5, SOURCE_LINES added to [Source]; then the rules
#       of slapd_ini_rules.
#   slapd_ini_rules
#       prints [Correspondence] and [Switch] as tests/data/ldap/gen-users.py
#       builds the directories: the target's extensionAttribute1 holds the
#       source's objectGUID; extensionAttribute10 = cpuu-switched on the
#       source marks a switched mailbox.

slapd_ini_rules() {
	printf '%s\n' "[Correspondence]" "Attribute = extensionAttribute1" "Side = target" "Holds = objectGUID" \
		"[Switch]" "Attribute = extensionAttribute10" "Value = cpuu-switched" "Side = source"
}

slapd_ini() {
	{
		cat <<INI
[Source]
Url = ${4:-$SLAPD_URL}
BaseDN = $SRC_BASE
BindDN = $SRC_BIND
PasswordFile = ${2:-$SRC_PWFILE}
TimeoutSeconds = 5
${5:-}
[Target]
Url = ${4:-$SLAPD_URL}
BaseDN = $TRG_BASE
BindDN = $TRG_BIND
PasswordFile = ${3:-$TRG_PWFILE}
TimeoutSeconds = 5
INI
		slapd_ini_rules
	} >"$1"
}
