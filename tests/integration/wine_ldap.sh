#!/bin/bash
# The Windows build's LDAP backend (wldap32, src/lib/directory/ldap_wldap32.c)
# under Wine against the test slapd (tests/support/slapd.sh), compared with
# the Linux build (OpenLDAP) on the same server:
#   map export: the same mapping file, byte for byte (paged: slapd stops a
#     plain search at 100 entries);
#   map lookup: the same JSON and exit code for keys of every kind;
#   wrong password and unreachable server: the same exit codes;
#   no BindDN: the logged-on user's credentials, then anonymous;
#   update --live with [Source]/[Target] and no mapping file switches a
#   fixture profile, and rollback restores it byte for byte.
# Skips (77) without the Windows build, Wine, slapd or python3.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || skip "slapd not installed"
command -v python3 >/dev/null || skip "python3 missing"
wine_test_cleanup() { bash "$SRC/tests/support/slapd.sh" stop "$work/slapd"; }
wine_prefix wineldap
cpuu_win() { wine "$WIN/cpuu.exe" "$@"; }

bash "$SRC/tests/support/slapd.sh" start "$work/slapd" $$ >"$work/slapd.log" 2>&1 ||
	{ echo "FAIL: slapd did not start: $(tail -5 "$work/slapd.log")"; exit 1; }
. "$work/slapd/env"
. "$SRC/tests/support/slapd-ini.sh"

slapd_ini "$work/linux.ini" "$SRC_PWFILE" "$TRG_PWFILE"
slapd_ini "$work/win.ini" "$(winpath "$SRC_PWFILE")" "$(winpath "$TRG_PWFILE")"
slapd_ini "$work/wrong.ini" "$(winpath "$WRONG_PWFILE")" "$(winpath "$TRG_PWFILE")"
slapd_ini "$work/down.ini" "$(winpath "$SRC_PWFILE")" "$(winpath "$TRG_PWFILE")" "ldap://127.0.0.1:1"
grep -v '^BindDN\|^PasswordFile' "$work/win.ini" >"$work/anon-win.ini"
grep -v '^BindDN\|^PasswordFile' "$work/linux.ini" >"$work/anon-linux.ini"
winini=$(winpath "$work/win.ini")

# --- export -------------------------------------------------------------------
"$CPUU" map export --config "$work/linux.ini" --out "$work/linux.csv" >"$work/export-linux.out" 2>&1 ||
	fail "Linux export: $(cat "$work/export-linux.out")"
cpuu_win map export --config "$winini" --out "$(winpath "$work/win.csv")" >"$work/export-win.out" 2>&1 ||
	fail "Windows export: $(cat "$work/export-win.out")"
grep -q "300 source mailbox(es).*269 found, 30 without target, 1 ambiguous" "$work/export-win.out" ||
	fail "Windows export summary: $(cat "$work/export-win.out")"
cmp -s "$work/linux.csv" "$work/win.csv" || fail "the Windows export differs from the Linux one"

# --- lookups: keys of every kind, the same answer -----------------------------
python3 - "$work/linux.csv" >"$work/keys.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
keys = []
for pick in (0, 1, 2, 7, 42, 150, 299):
    r = rows[pick % len(rows)]
    keys += [r["source_legacy_dn"], r["source_smtp"]]
    if r["source_mailbox_guid"]:
        keys.append(r["source_mailbox_guid"])
    if r["source_x500"]:
        keys.append("X500:" + r["source_x500"].split(";")[0])
amb = [r for r in rows if sum(1 for q in rows if q["source_legacy_dn"] == r["source_legacy_dn"]) > 1]
if amb:
    keys.append(amb[0]["source_smtp"])
keys += ["nobody@source.example", "/o=SourceOrg/ou=Nowhere/cn=Recipients/cn=nobody"]
print("\n".join(keys))
PY
n=0
while IFS= read -r key; do
	n=$((n + 1))
	"$CPUU" map lookup --config "$work/linux.ini" "$key" --json >"$work/l.json" 2>"$work/l.err"
	lrc=$?
	cpuu_win map lookup --config "$winini" "$key" --json 2>"$work/w.err" | tr -d '\r' >"$work/w.json"
	wrc=${PIPESTATUS[0]}
	[ "$lrc" -eq "$wrc" ] || fail "lookup '$key': exit $wrc on Windows, $lrc on Linux ($(cat "$work/w.err"))"
	cmp -s "$work/l.json" "$work/w.json" || fail "lookup '$key': JSON differs: $(diff "$work/l.json" "$work/w.json" | head -4)"
done <"$work/keys.txt"
[ "$n" -ge 20 ] || fail "only $n lookup keys"

# --- failures: the same exit codes ---------------------------------------------
key=$(sed -n 2p "$work/keys.txt")
for case in wrong down; do
	ini_l="$work/$case-linux.ini"
	case $case in
	wrong) slapd_ini "$ini_l" "$WRONG_PWFILE" "$TRG_PWFILE"; want=11 ;;
	down) slapd_ini "$ini_l" "$SRC_PWFILE" "$TRG_PWFILE" "ldap://127.0.0.1:1"; want=10 ;;
	esac
	"$CPUU" map lookup --config "$ini_l" "$key" >/dev/null 2>"$work/$case-l.err"
	lrc=$?
	cpuu_win map lookup --config "$(winpath "$work/$case.ini")" "$key" >/dev/null 2>"$work/$case-w.err"
	wrc=$?
	[ "$lrc" -eq "$want" ] && [ "$wrc" -eq "$want" ] ||
		fail "$case: exit $wrc on Windows, $lrc on Linux, want $want ($(cat "$work/$case-w.err"))"
	[ "$(wc -l <"$work/$case-w.err")" -eq 1 ] || fail "$case: not one line: $(cat "$work/$case-w.err")"
	grep -qF "$(cat "$WRONG_PWFILE")" "$work/$case-w.err" && fail "$case: the password is in the message"
done
"$CPUU" map lookup --config "$work/anon-linux.ini" "$key" >/dev/null 2>&1
lrc=$?
cpuu_win map lookup --config "$(winpath "$work/anon-win.ini")" "$key" >/dev/null 2>"$work/anon.err"
wrc=$?
[ "$lrc" -eq "$wrc" ] || fail "no BindDN: exit $wrc on Windows, $lrc on Linux ($(cat "$work/anon.err"))"

# --- update --live over the live directories ------------------------------------
python3 "$SRC/tests/support/switched-user.py" "$work/linux.csv" "$work/user.fixture" ||
	fail "no switched user in the export"
wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/user.fixture")" >/dev/null 2>&1 || fail "cpuu-fixture --live"
export_key 'HKCU\Software\Microsoft\Office' "$work/before.reg"
state=$(winpath "$work/state")
cpuu_win update --live --config "$winini" --state-dir "$state" --user u >"$work/update.txt" 2>&1
rc=$?
[ $((rc & 1)) -eq 1 ] && [ $((rc & 20)) -eq 0 ] || fail "update --live over LDAP: exit $rc: $(cat "$work/update.txt")"
cpuu_win inspect --live --json | tr -d '\r' >"$work/after.json"
target_dn=$(sed -n 3p "$work/user.fixture.who")
target_smtp=$(sed -n 4p "$work/user.fixture.who")
grep -qF "\"legacy_dn\": \"$target_dn\"" "$work/after.json" || fail "no target legacyDN after update: $(head -c 600 "$work/after.json")"
grep -qF "\"smtp\": \"$target_smtp\"" "$work/after.json" || fail "no target SMTP after update"
cpuu_win rollback --live --state-dir "$state" --user u >"$work/rollback.txt" 2>&1 ||
	[ $(($? & 1)) -eq 1 ] || fail "rollback: $(cat "$work/rollback.txt")"
export_key 'HKCU\Software\Microsoft\Office' "$work/rolled.reg"
cmp -s "$work/before.reg" "$work/rolled.reg" || fail "rollback after an LDAP-driven update is not byte-exact"

wine_finish "wine_ldap: wldap32 agrees with OpenLDAP ($n lookups)"
