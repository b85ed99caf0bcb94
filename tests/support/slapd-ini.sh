# The cpuu.ini of a test against a directory: the test slapd
# (tests/support/slapd.sh) or the Samba DCs (tests/support/samba-forest.sh).
# Sourced, after that directory's DIR/env (SRC_BASE, SRC_BIND, SRC_PWFILE and
# the TRG_ ones).
#
#   ldap_ini FILE SRC_URL TRG_URL [SRC_LINES [TRG_LINES [SRC_PWFILE [TRG_PWFILE]]]]
#       writes FILE: [Source] on SRC_URL and [Target] on TRG_URL as the
#       env's service accounts with their password files (default
#       $SRC_PWFILE and $TRG_PWFILE; give Windows paths for cpuu.exe), each
#       side's further lines (CACertFile, TimeoutSeconds, ...) added to it;
#       then the rules of slapd_ini_rules.
#   slapd_ini FILE [SRC_PWFILE [TRG_PWFILE [URL [SOURCE_LINES]]]]
#       ldap_ini with both sides on URL (default $SLAPD_URL),
#       TimeoutSeconds = 5, SOURCE_LINES added to [Source].
#   slapd_ini_rules
#       prints [Correspondence] and [Switch] as tests/data/ldap/gen-users.py
#       and tests/support/samba-ldif.py build the directories: the target's
#       extensionAttribute1 holds the source's objectGUID;
#       extensionAttribute10 = cpuu-switched on the source marks a switched
#       mailbox.

slapd_ini_rules() {
	printf '%s\n' "[Correspondence]" "Attribute = extensionAttribute1" "Side = target" "Holds = objectGUID" \
		"[Switch]" "Attribute = extensionAttribute10" "Value = cpuu-switched" "Side = source"
}

# ldap_ini_side SECTION URL BASE BIND PWFILE [LINES]
ldap_ini_side() {
	printf '%s\n' "[$1]" "Url = $2" "BaseDN = $3" "BindDN = $4" "PasswordFile = $5"
	[ -z "${6:-}" ] || printf '%s\n' "$6"
}

ldap_ini() {
	{
		ldap_ini_side Source "$2" "$SRC_BASE" "$SRC_BIND" "${6:-$SRC_PWFILE}" "${4:-}"
		ldap_ini_side Target "$3" "$TRG_BASE" "$TRG_BIND" "${7:-$TRG_PWFILE}" "${5:-}"
		slapd_ini_rules
	} >"$1"
}

slapd_ini() {
	ldap_ini "$1" "${4:-$SLAPD_URL}" "${4:-$SLAPD_URL}" "TimeoutSeconds = 5${5:+
$5}" "TimeoutSeconds = 5" "${2:-}" "${3:-}"
}
