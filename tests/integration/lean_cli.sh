#!/usr/bin/env bash
# The lean `cpuu` (docs/update.md, "A lean update process"): on Linux the
# executable logon scripts and bulk runs start needs none of the directory
# and report-store libraries; cpuu-admin beside it has every command, and
# cpuu hands the admin commands and directory-backed runs over to it:
#  - cpuu's ELF needs neither libldap/liblber nor libpq nor SQLite (and
#    cpuu-admin does link libldap, so the check can tell them apart);
#  - `cpuu map ...` and `cpuu report ...` answer as cpuu-admin does;
#  - an update whose config names an LDAP directory runs in cpuu-admin: the
#    error is the LDAP client's (unreachable server), not "no LDAP client";
#  - without cpuu-admin beside it, those fail with a clear message and the
#    hive is untouched, while a mapping-file update still works.
# Skips (77) when readelf is missing.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}"
command -v readelf >/dev/null || { echo "SKIP: readelf missing"; exit 77; }
ADMIN=$(dirname "$CPUU")/cpuu-admin
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-lean-XXXXXX")
[ -n "${CPUU_TEST_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
AG="/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

[ -x "$ADMIN" ] || { echo "FAIL: no cpuu-admin beside $CPUU"; exit 1; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
lean=$(needed "$CPUU")
for lib in libldap liblber libpq libsqlite3 libgnutls libkrb5 libsasl2; do
	grep -q "^$lib" <<<"$lean" && fail "cpuu needs $lib: $(tr '\n' ' ' <<<"$lean")"
done
grep -q '^libldap' <<<"$(needed "$ADMIN")" || fail "cpuu-admin does not link libldap (the check above proves nothing)"

# Admin commands through cpuu: the same help, the same exit status.
for cmd in "map --help" "report --help" "map lookup" "report nonsense"; do
	# shellcheck disable=SC2086
	a=$("$CPUU" $cmd 2>&1); arc=$?
	# shellcheck disable=SC2086
	b=$("$ADMIN" $cmd 2>&1); brc=$?
	[ "$a" = "$b" ] && [ "$arc" -eq "$brc" ] || fail "cpuu $cmd: ($arc) '$a' vs cpuu-admin ($brc) '$b'"
done
"$CPUU" --help | grep -q "^  map " || fail "cpuu --help no longer lists map"

# A hive and a configuration naming an LDAP directory nobody listens on.
mkdir -p "$work/u"
printf '[profile Outlook]\nversion = 16.0\ndefault = yes\n[exchange]\ndisplay_name = U\nsmtp = u@source.example\nlegacy_dn = /o=Source%su\nmailbox_guid = 11111111-2222-4333-8444-000000000001\ncached = yes\n' \
	"$AG" >"$work/u.fixture"
"$CPUU_FIXTURE" --hive "$work/u/NTUSER.DAT" "$work/u.fixture" >/dev/null || fail fixture
cp "$work/u/NTUSER.DAT" "$work/orig.DAT"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/ldap.ini" <<EOF
[Source]
Url = ldap://127.0.0.1:$port
BaseDN = dc=source,dc=example
TimeoutSeconds = 2
[Target]
Url = ldap://127.0.0.1:$port
BaseDN = dc=target,dc=example
TimeoutSeconds = 2
EOF
a=$("$CPUU" update --config "$work/ldap.ini" --hive "$work/u/NTUSER.DAT" 2>&1); arc=$?
b=$("$ADMIN" update --config "$work/ldap.ini" --hive "$work/u/NTUSER.DAT" 2>&1); brc=$?
[ "$a" = "$b" ] && [ "$arc" -eq "$brc" ] || fail "LDAP-backed update: cpuu ($arc) '$a' vs cpuu-admin ($brc) '$b'"
grep -qi "no LDAP client" <<<"$a" && fail "LDAP-backed update was not handed to cpuu-admin: $a"
[ $((arc & 16)) -ne 0 ] || fail "unreachable directory: exit $arc, want GLOBAL_ERR"
cmp -s "$work/orig.DAT" "$work/u/NTUSER.DAT" || fail "a failed LDAP-backed update changed the hive"

# cpuu alone (cpuu-admin not installed beside it).
mkdir -p "$work/alone"
cp "$CPUU" "$work/alone/cpuu"
out=$("$work/alone/cpuu" map --help 2>&1); rc=$?
[ "$rc" -ne 0 ] && grep -q "cpuu-admin" <<<"$out" || fail "map without cpuu-admin: ($rc) $out"
out=$("$work/alone/cpuu" update --config "$work/ldap.ini" --hive "$work/u/NTUSER.DAT" 2>&1); rc=$?
[ $((rc & 16)) -ne 0 ] && grep -q "cpuu-admin" <<<"$out" || fail "LDAP update without cpuu-admin: ($rc) $out"
cmp -s "$work/orig.DAT" "$work/u/NTUSER.DAT" || fail "an update refused for want of cpuu-admin changed the hive"
ls "$work/u" | grep -qv '^NTUSER.DAT$' && fail "a refused update left files: $(ls "$work/u")"
echo "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched" >"$work/m.csv"
echo "/o=Source${AG}u,u@source.example,11111111-2222-4333-8444-000000000001,,/o=Target${AG}u,u@target.example,aaaaaaaa-2222-4333-8444-000000000001,U,onprem,x@target.example,true" >>"$work/m.csv"
out=$("$work/alone/cpuu" update --mapping "$work/m.csv" --hive "$work/u/NTUSER.DAT" --state-dir "$work/state" 2>&1)
grep -q "u@source.example: switched" <<<"$out" || fail "a mapping-file update with cpuu alone: $out"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "lean_cli: cpuu links none of the admin libraries; admin commands and LDAP runs go to cpuu-admin"
