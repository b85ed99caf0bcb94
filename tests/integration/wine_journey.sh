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
skip() { echo "SKIP: $*"; exit 77; }
SRC=${CPUU_SOURCE_DIR:?}
: "${CPUU:?}"
WIN=${CPUU_WIN_BUILD:-$SRC/build-win}
for f in cpuu.exe cpuu-fixture.exe cpuu-test-mapi-window.exe; do
	[ -f "$WIN/$f" ] || skip "no $f in $WIN (run 'make windows')"
done
command -v wine >/dev/null || skip "wine is not installed"
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || skip "slapd not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-winejourney-XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
unset WAYLAND_DISPLAY
clients=()
cleanup() {
	for p in "${clients[@]}"; do kill "$p" 2>/dev/null; done
	wineserver -k >/dev/null 2>&1
	bash "$SRC/tests/support/slapd.sh" stop "$work/slapd"
	rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

bash "$SRC/tests/support/slapd.sh" start "$work/slapd" $$ >"$work/slapd.log" 2>&1 ||
	{ echo "FAIL: slapd did not start: $(tail -5 "$work/slapd.log")"; exit 1; }
. "$work/slapd/env"
wineboot -i >/dev/null 2>&1
wineserver -w
wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1 # windows without X
wineserver -w
wineserver -p
wuser=$(wine cmd /c 'echo %USERNAME%' 2>/dev/null | tr -d '\r\n')
home="$WINEPREFIX/drive_c/users/$wuser"
[ -n "$wuser" ] && [ -d "$home" ] || skip "no Wine user profile folder"
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
cat >"$work/export.ini" <<INI
[Source]
Url = $SLAPD_URL
BaseDN = $SRC_BASE
BindDN = $SRC_BIND
PasswordFile = $SRC_PWFILE
[Target]
Url = $SLAPD_URL
BaseDN = $TRG_BASE
BindDN = $TRG_BIND
PasswordFile = $TRG_PWFILE
[Correspondence]
Attribute = extensionAttribute1
Side = target
Holds = objectGUID
[Switch]
Attribute = extensionAttribute10
Value = cpuu-switched
Side = source
INI
"$CPUU" map export --config "$work/export.ini" --out "$net/mapping.csv" >"$work/export.out" 2>&1 ||
	fail "cpuu map export: $(cat "$work/export.out")"

# --- the user: an Outlook profile of a switched mailbox, and its files --------
python3 - "$net/mapping.csv" "$work/user.fixture" "$wuser" <<'PY' || fail "no switched user in the export"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
n = {}
for r in rows:
    n[r["source_legacy_dn"]] = n.get(r["source_legacy_dn"], 0) + 1
r = next(r for r in rows if r["switched"] == "true" and r["target_kind"] == "onprem"
         and r["source_mailbox_guid"] and n[r["source_legacy_dn"]] == 1)
ost = "C:\\Users\\%s\\AppData\\Local\\Microsoft\\Outlook\\%s.ost" % (sys.argv[3], r["source_smtp"])
open(sys.argv[2], "w").write(f"""[profile Outlook]
version = 16.0
default = yes
[exchange]
display_name = {r['target_display_name']}
smtp = {r['source_smtp']}
legacy_dn = {r['source_legacy_dn']}
mailbox_guid = {r['source_mailbox_guid']}
cached = yes
ost = {ost}
""")
open(sys.argv[2] + ".who", "w").write("\n".join([r["source_legacy_dn"], r["source_smtp"], r["target_legacy_dn"],
                                                 r["target_smtp"],
    "same" if r["source_mailbox_guid"].lower() == r["target_mailbox_guid"].lower() else "new"]) + "\n")
PY
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
python3 - "$ol/RoamCache/Stream_Autocomplete_0_0123456789ABCDEF0123456789ABCDEF.dat" "$src_dn" "$src_smtp" <<'PY'
import struct, sys
def text(tag, s):
    b = (s + "\0").encode("utf-16-le")
    return struct.pack("<II8sI", tag, 0, b"\0" * 8, len(b)) + b
def long(tag, v):
    return struct.pack("<IIII", tag, 0, v, 0)
out = struct.pack("<IIII", 0xBAADF00D, 12, 0, 2)
out += struct.pack("<I", 5) + text(0x6001001F, "Moved User") + text(0x3002001F, "EX") + \
    text(0x3003001F, sys.argv[2]) + text(0x39FE001F, sys.argv[3]) + long(0x60040003, 0x4000)
out += struct.pack("<I", 3) + text(0x6001001F, "Zed Outside") + text(0x3002001F, "SMTP") + long(0x60040003, 0x2000)
out += struct.pack("<I", 0) + b"\x11" * 8
open(sys.argv[1], "wb").write(out)
PY

files_sum() { (cd "$home/AppData" && find . -type f ! -path './Local/cpuu/*' ! -path './Local/Temp/*' -print0 |
	sort -z | xargs -0 sha256sum); }
export_key() {
	rm -f "$2"
	wine reg export "$1" "$(winpath "$2")" /y >/dev/null 2>&1 ||
		{ sleep 1; wine reg export "$1" "$(winpath "$2")" /y >/dev/null 2>&1; } || fail "reg export $1"
}
files_sum >"$work/files0.txt"
export_key 'HKCU\Software' "$work/software0.reg"

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
files_sum >"$work/files1.txt"
export_key 'HKCU\Software' "$work/software1.reg"
start_outlook 2
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 1 ] || fail "second logon: exit $rc, want 1"
sleep 1
kill -0 "$outlook" 2>/dev/null && [ ! -e "$work/ol2.closed" ] || fail "second logon stopped Outlook"
files_sum >"$work/files2.txt"
cmp -s "$work/files1.txt" "$work/files2.txt" || fail "second logon changed the user's files"
export_key 'HKCU\Software' "$work/software2.reg"
cmp -s "$work/software1.reg" "$work/software2.reg" || fail "second logon changed HKCU\\Software"

# --- rollback, byte-exact; then cleanup ---------------------------------------
bat CPUU_Rollback.bat
rc=$?
[ "$rc" -eq 1 ] || fail "rollback: exit $rc, want 1"
wait "$outlook"
[ -e "$work/ol2.closed" ] || fail "rollback: Outlook was not closed before the restore"
files_sum >"$work/files3.txt"
cmp -s "$work/files0.txt" "$work/files3.txt" ||
	fail "rollback: the files are not back byte-exact: $(diff "$work/files0.txt" "$work/files3.txt" | head -6)"
export_key 'HKCU\Software' "$work/software3.reg"
cmp -s "$work/software0.reg" "$work/software3.reg" || fail "rollback: HKCU\\Software is not back byte-exact"
bat CPUU_Cleanup.bat
rc=$?
[ $((rc & (4 | 8 | 16))) -eq 0 ] || fail "cleanup: exit $rc"
export_key 'HKCU\Software' "$work/software4.reg"
cmp -s "$work/software0.reg" "$work/software4.reg" || fail "cleanup after rollback changed HKCU\\Software"

[ "$fails" -eq 0 ] && echo "wine_journey: wizard, export, logon, report, second logon, rollback and cleanup"
exit $((fails > 0))
