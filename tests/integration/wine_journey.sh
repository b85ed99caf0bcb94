#!/bin/bash
# The admin's journey, end to end (issue 12, item 6), under Wine with the
# test slapd: `cpuu wizard` into a NETLOGON-like folder -> `cpuu map export`
# from the directories -> a Wine user whose HKCU holds an Outlook profile of
# a switched mailbox and whose folders hold its OST, an offline address
# book, a cached Autodiscover XML and a RoamCache autocomplete stream ->
# CPUU_Update.bat by Wine's cmd.exe -> profile switched, files aside,
# autocomplete handed over, log and result records in the share folder ->
# `cpuu report ingest` of the share and `report summary` show the user done
# -> a second logon changes nothing and stops no client -> CPUU_Rollback.bat
# restores HKCU and every file byte-exact -> CPUU_Cleanup.bat.
# Skips (77) without the Windows build, Wine, slapd or python3.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need cpuu.exe cpuu-fixture.exe cpuu-test-mapi-window.exe
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || skip "slapd not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
clients=()
wine_test_cleanup() {
	for p in "${clients[@]}"; do kill "$p" 2>/dev/null; done
	bash "$SRC/tests/support/slapd.sh" stop "$work/slapd"
}
wine_prefix winejourney --null-graphics # windows without X

bash "$SRC/tests/support/slapd.sh" start "$work/slapd" $$ >"$work/slapd.log" 2>&1 ||
	{ echo "FAIL: slapd did not start: $(tail -5 "$work/slapd.log")"; exit 1; }
. "$work/slapd/env"
. "$SRC/tests/support/slapd-ini.sh"
wine_user
ol="$home/AppData/Local/Microsoft/Outlook"

# --- the admin: wizard, then the mapping from the directories ----------------
net="$work/NETLOGON/cpuu"
share="$work/share/cpuu-logs"
mkdir -p "$net" "$share"
cp "$WIN/cpuu.exe" "$net/cpuu.exe"
"$CPUU" wizard --yes --out "$net" --mapping "$(winpath "$net/mapping.csv")" --log-share "$(winpath "$share")" \
	>"$work/wizard.out" 2>&1 || fail "cpuu wizard: $(cat "$work/wizard.out")"
for f in cpuu.ini CPUU_Update.bat CPUU_Rollback.bat CPUU_Cleanup.bat; do
	[ -s "$net/$f" ] || fail "the wizard wrote no $f"
done
# Given a log share, the wizard names each logon's log and result records
# after the user, the host and the time (docs/wizard.md), copied to the share.
grep -q '^LogFile.*cpuu_#u_#h_#d_#t\.log' "$net/cpuu.ini" || fail "the wizard wrote no per-logon LogFile: $(grep -i '^LogFile' "$net/cpuu.ini")"
grep -q '^ResultFile' "$net/cpuu.ini" || fail "the wizard wrote no ResultFile"
printf '\n[Processes]\nGraceSeconds = 5\n' >>"$net/cpuu.ini"
slapd_ini "$work/export.ini"
"$CPUU" map export --config "$work/export.ini" --out "$net/mapping.csv" >"$work/export.out" 2>&1 ||
	fail "cpuu map export: $(cat "$work/export.out")"

# --- the user: an Outlook profile of a switched mailbox, and its files --------
python3 "$SRC/tests/support/switched-user.py" "$net/mapping.csv" "$work/user.fixture" "$wuser" ||
	fail "no switched user in the export"
src_dn=$(sed -n 1p "$work/user.fixture.who")
src_smtp=$(sed -n 2p "$work/user.fixture.who")
trg_dn=$(sed -n 3p "$work/user.fixture.who")
trg_smtp=$(sed -n 4p "$work/user.fixture.who")
guid=$(sed -n 5p "$work/user.fixture.who") # the mailbox kept its GUID: its OST stays valid
wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/user.fixture")" >/dev/null 2>&1 || fail "cpuu-fixture --live"
mkdir -p "$ol/RoamCache" "$ol/Offline Address Books/abc" "$home/AppData/Roaming/Microsoft/Outlook"
head -c 65536 /dev/urandom >"$ol/$src_smtp.ost"
printf 'oab of the source\n' >"$ol/Offline Address Books/abc/udetails.oab"
printf '<Autodiscover>source</Autodiscover>\n' >"$ol/9a8b7c6d - Autodiscover.xml"
# The autocomplete stream (outlook-profile.md section 5): the user by the
# source legacyExchangeDN, and someone outside the migration.
python3 "$SRC/tests/support/autocomplete-stream.py" \
	"$ol/RoamCache/Stream_Autocomplete_0_0123456789ABCDEF0123456789ABCDEF.dat" "Moved User" "$src_dn" "$src_smtp"

user_state s0

mkdir -p "$work/apps"
cp "$WIN/cpuu-test-mapi-window.exe" "$work/apps/OUTLOOK.EXE"
start_outlook() { # round
	wine "$work/apps/OUTLOOK.EXE" "$(winpath "$work/ol$1")" >/dev/null 2>&1 &
	outlook=$!
	clients+=("$outlook")
	for _ in $(seq 1 120); do
		[ -f "$work/ol$1.ready" ] && return 0
		sleep 0.5
	done
	fail "round $1: Outlook's window did not come up"
}
bat() { (cd "$net" && wine cmd /c "$1") >"$work/bat.out" 2>&1; }

# --- first logon -------------------------------------------------------------
start_outlook 1
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 1 ] || fail "first logon: exit $rc, want 1"
wait "$outlook"
[ -e "$work/ol1.closed" ] || fail "first logon: Outlook was not closed before the switch"
wine "$net/cpuu.exe" inspect --live --json 2>/dev/null | grep -qF "\"$trg_smtp\"" || fail "first logon: not switched to $trg_smtp"
if [ "$guid" = new ]; then
	[ -f "$ol/$src_smtp.ost.cpuu-old" ] || fail "first logon: the OST of the old mailbox is not aside"
else
	[ -f "$ol/$src_smtp.ost" ] || fail "first logon: the OST of the same mailbox (GUID kept) did not stay"
fi
[ -d "$ol/Offline Address Books.cpuu-old" ] || fail "first logon: the address book is not aside"
[ -f "$ol/9a8b7c6d - Autodiscover.xml.cpuu-old" ] || fail "first logon: the Autodiscover XML is not aside"
python3 - "$home/AppData/Roaming/Microsoft/Outlook/Outlook.nk2" "$trg_dn" <<'PY' || fail "first logon: no hand-over naming the target"
import sys
assert sys.argv[2].encode("utf-16-le") in open(sys.argv[1], "rb").read()
PY
ls "$share"/cpuu_"$wuser"_*.log >/dev/null 2>&1 || fail "no log in the share: $(ls "$share")"
ls "$share"/cpuu_"$wuser"_*.jsonl >/dev/null 2>&1 || fail "no result records in the share: $(ls "$share")"

# --- the admin reads the share -----------------------------------------------
db="$work/report.sqlite"
"$CPUU" report ingest --from "$share" --db "$db" >"$work/ingest.out" 2>&1 || fail "report ingest: $(cat "$work/ingest.out")"
"$CPUU" report summary --json --db "$db" >"$work/summary.json" 2>&1 || fail "report summary: $(cat "$work/summary.json")"
python3 - "$work/summary.json" <<'PY' || fail "the summary does not show the user done: $(cat "$work/summary.json")"
import json, sys
u = json.load(open(sys.argv[1]))["users"]
assert u["total"] == 1 and u["done"] == 1 and u["failed"] == 0, u
PY

# --- second logon: nothing changes, Outlook keeps running ---------------------
user_state s1
start_outlook 2
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 1 ] || fail "second logon: exit $rc, want 1"
sleep 1
kill -0 "$outlook" 2>/dev/null && [ ! -e "$work/ol2.closed" ] || fail "second logon stopped Outlook"
user_state s2
user_state_same s1 s2 "second logon"

# --- rollback, byte-exact; then cleanup ---------------------------------------
bat CPUU_Rollback.bat
rc=$?
[ "$rc" -eq 1 ] || fail "rollback: exit $rc, want 1"
wait "$outlook"
[ -e "$work/ol2.closed" ] || fail "rollback: Outlook was not closed before the restore"
user_state s3
user_state_same s0 s3 "rollback, byte-exact"
bat CPUU_Cleanup.bat
rc=$?
[ $((rc & (4 | 8 | 16))) -eq 0 ] || fail "cleanup: exit $rc"
export_key 'HKCU\Software' "$work/software4.reg"
cmp -s "$work/s0.reg" "$work/software4.reg" || fail "cleanup after rollback changed HKCU\\Software"

wine_finish "wine_journey: wizard, export, logon, report, second logon, rollback and cleanup"
