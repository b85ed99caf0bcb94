#!/bin/bash
# The Windows build (make windows -> build-win/cpuu.exe, cpuu-fixture.exe)
# against Wine's real registry, in a fresh WINEPREFIX:
#   cpuu-fixture.exe --live writes Outlook profiles into HKCU;
#   inspect --live --json is byte-identical to the Linux build's inspect of
#   the same profiles in a hive, before and after the update;
#   cpuu.exe update --live --dry-run changes nothing, nor does an update
#   whose backup cannot be written;
#   cpuu.exe update --live switches the switched mailboxes (inspect --live
#   --json shows the target identities, the markers are in HKCU\Software\cpuu);
#   a second update changes nothing (whole HKCU\Software export byte-exact);
#   rollback restores HKCU\Software\Microsoft\Office byte-exact (reg export)
#   and removes HKCU\Software\cpuu; a second rollback has nothing to undo;
#   cleanup drops the backups and the state folder;
#   hive options are refused in the Windows build.
# First the backend's own checks (tests/windows/test_registry_live.c).
# Skips (77) without the Windows build or Wine; CI has both (make test runs
# make windows and installs the `windows` group of scripts/install-deps.sh).
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
wine_need
command -v python3 >/dev/null || skip "python3 missing"
wine_prefix wine

cpuu() { wine "$WIN/cpuu.exe" "$@"; }
fixture() { wine "$WIN/cpuu-fixture.exe" "$@"; }

# The profiles and correspondence of tests/unit/test_update.c: alice switched
# (cached, additional mailboxes), bob not switched yet, carol switched to
# Exchange Online in an Outlook 2013 profile with 8-bit strings.
cat > "$work/users.fixture" <<EOF
[profile Outlook]
version = 16.0
default = yes
[exchange]
display_name = Alice Example
smtp = alice@source.example
legacy_dn = ${SRC_AG}alice
mailbox_guid = 11111111-2222-4333-8444-555555555555
cached = yes
ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost
lkg_autodiscover = https://autodiscover.source.example/autodiscover/autodiscover.xml
additional = ${SRC_AG}sales | Sales Shared
additional = ${SRC_AG}board | Board Room
[exchange]
display_name = Bob Second
smtp = bob@source.example
legacy_dn = ${SRC_AG}bob
mailbox_guid = 22222222-2222-4333-8444-555555555555
cached = no
[pst]
path = C:\\Users\\alice\\Documents\\Archive.pst
display_name = Archive
[profile Old]
version = 15.0
strings = string8
[exchange]
display_name = carol@source.example
smtp = carol@source.example
legacy_dn = ${SRC_AG}carol
mailbox_guid = 33333333-2222-4333-8444-555555555555
cached = yes
ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\carol.ost
EOF
cat > "$work/mapping.csv" <<EOF
$MAPPING_HEADER
${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true
${SRC_AG}bob,bob@source.example,22222222-2222-4333-8444-555555555555,,${TRG_AG}bob,bob@target.example,bbbbbbbb-2222-4333-8444-555555555555,Bob Second,onprem,bbbbbbbb-2222-4333-8444-555555555555@target.example,false
${SRC_AG}carol,carol@source.example,33333333-2222-4333-8444-555555555555,,,carol@target.onmicrosoft.com,,Carol,online,,true
${SRC_AG}sales,sales@source.example,,,${TRG_AG}sales,sales@target.example,,Sales Shared,onprem,cccccccc-2222-4333-8444-555555555555@target.example,true
${SRC_AG}board,board@source.example,,,${TRG_AG}board,board@target.example,,Board Room,onprem,,false
EOF
map=$(winpath "$work/mapping.csv")
state=$(winpath "$work/state")
live=(--live --state-dir "$state" --user alice)

# --- the live backend on its own ----------------------------------------------
if [ -f "$WIN/cpuu-test-registry-live.exe" ]; then
	wine "$WIN/cpuu-test-registry-live.exe" > "$work/live.txt" 2>&1 ||
		fail "cpuu-test-registry-live.exe: $(cat "$work/live.txt")"
else
	fail "$WIN/cpuu-test-registry-live.exe missing (make windows builds it)"
fi

# --- fixtures into HKCU ------------------------------------------------------
out=$(fixture --live "$(winpath "$work/users.fixture")" 2>&1) || fail "cpuu-fixture --live: $out"
echo "$out" | grep -q "wrote 2 profile(s) into HKEY_CURRENT_USER" || fail "cpuu-fixture output: $out"
fixture --live "$(winpath "$work/users.fixture")" >/dev/null 2>&1 &&
	fail "cpuu-fixture --live over existing profiles must be refused"
cpuu inspect --live --json > "$work/inspect0.json" || fail "inspect --live"
export_key 'HKCU\Software\Microsoft\Office' "$work/before.reg"
export_key 'HKCU\Software' "$work/software0.reg"
[ -s "$work/before.reg" ] || fail "no export of the fixture profiles"

# The profiles read back through the live backend are the described ones.
python3 - "$work/inspect0.json" <<'PY' || fail "inspect --live before the update"
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(p["name"] for p in d["profiles"])
assert names == ["Old", "Outlook"], names
acc = {a["smtp"]: a for p in d["profiles"] for a in p["accounts"] if a["kind"] == "exchange"}
assert set(acc) == {"alice@source.example", "bob@source.example", "carol@source.example"}, acc.keys()
assert acc["alice@source.example"]["legacy_dn"].endswith("/cn=alice")
assert acc["alice@source.example"]["cached"] is True
PY

# The same description through the Linux build into a hive reads back the
# same, byte for byte (both backends, one profile reader).
linux_hive=
if [ -n "${CPUU:-}" ] && [ -x "$CPUU" ] && [ -n "${CPUU_FIXTURE:-}" ] && [ -x "$CPUU_FIXTURE" ]; then
	linux_hive=$work/linux/NTUSER.DAT
	mkdir -p "$work/linux"
	"$CPUU_FIXTURE" --hive "$linux_hive" "$work/users.fixture" >/dev/null || fail "Linux cpuu-fixture"
	"$CPUU" inspect --hive "$linux_hive" --json >"$work/linux0.json" || fail "Linux inspect"
	cmp -s "$work/linux0.json" "$work/inspect0.json" ||
		fail "inspect --live (Windows) and --hive (Linux) differ: $(diff "$work/linux0.json" "$work/inspect0.json" | head -5)"
fi

# --- dry run: nothing written -------------------------------------------------
cpuu update "${live[@]}" --mapping "$map" --dry-run > "$work/dry.txt" 2>&1
export_key 'HKCU\Software' "$work/software-dry.reg"
cmp -s "$work/software0.reg" "$work/software-dry.reg" || fail "update --dry-run changed the registry"
[ -e "$work/state" ] && fail "update --dry-run created the state folder"
grep -q "planned" "$work/dry.txt" || fail "update --dry-run planned nothing: $(cat "$work/dry.txt")"

# --- a backup that cannot be written: the live registry is not touched -------
# (changes reach the live registry at once, so the backup goes first).
CPUU_FAULT=update:backup:fail cpuu update "${live[@]}" --mapping "$map" > "$work/fault.txt" 2>&1
rc=$?
[ $((rc & 1)) -eq 0 ] || fail "update with a failing backup reported SUCCESS (exit $rc)"
grep -q "injected fault" "$work/fault.txt" || fail "failing backup: $(cat "$work/fault.txt")"
export_key 'HKCU\Software' "$work/software-fault.reg"
cmp -s "$work/software0.reg" "$work/software-fault.reg" || fail "a failed backup still changed the registry"
rm -rf "$work/state"

# --- update -------------------------------------------------------------------
cpuu update "${live[@]}" --mapping "$map" --json > "$work/update1.jsonl" 2> "$work/update1.err"
rc=$?
[ $((rc & 1)) -eq 1 ] || fail "update: exit $rc lacks SUCCESS: $(cat "$work/update1.err")"
[ $((rc & 16)) -eq 0 ] || fail "update: GLOBAL_ERR: $(cat "$work/update1.err")"
python3 - "$work/update1.jsonl" <<'PY' || fail "update result records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in recs:
    assert r["hive"] == "HKCU" and r["user"] == "alice", r
    by.setdefault(r["account"], r["outcome"])
# Accounts are named by the identity they had when the run found them.
assert by.get("alice@source.example") == "switched", by
assert by.get("bob@source.example") == "not_switched", by
assert by.get("carol@source.example") == "switched", by
assert any(k.endswith("cn=sales") and v == "switched" for k, v in by.items()), by
PY
cpuu inspect --live --json > "$work/inspect1.json" || fail "inspect --live after update"
python3 - "$work/inspect1.json" <<'PY' || fail "inspect --live after update: targets"
import json, sys
d = json.load(open(sys.argv[1]))
acc = {a["smtp"]: a for p in d["profiles"] for a in p["accounts"] if a["kind"] == "exchange"}
a = acc["alice@target.example"]
assert a["legacy_dn"] == "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice", a
assert a["mailbox_guid"] == "aaaaaaaa-2222-4333-8444-555555555555", a
assert a["home_server"] == "aaaaaaaa-2222-4333-8444-555555555555@target.example", a
assert "bob@source.example" in acc and acc["bob@source.example"]["legacy_dn"].endswith("/cn=bob")
assert "carol@target.onmicrosoft.com" in acc, acc.keys()
PY
if [ -n "$linux_hive" ]; then
	"$CPUU" update --hive "$linux_hive" --mapping "$work/mapping.csv" --user alice >/dev/null 2>&1
	"$CPUU" inspect --hive "$linux_hive" --json >"$work/linux1.json"
	cmp -s "$work/linux1.json" "$work/inspect1.json" ||
		fail "after update, Windows and Linux differ: $(diff "$work/linux1.json" "$work/inspect1.json" | head -5)"
fi
# cpuu's own state through the registry API (reg.exe uses RegEnumValueW).
wine reg query 'HKCU\Software\cpuu\Switched' > "$work/switched.txt" 2>&1 || fail "no HKCU\\Software\\cpuu\\Switched"
grep -q "cn=alice" "$work/switched.txt" || fail "no marker for alice: $(cat "$work/switched.txt")"
wine reg query 'HKCU\Software\cpuu\Backups' >/dev/null 2>&1 || fail "no HKCU\\Software\\cpuu\\Backups"
ls "$work/state"/*.reg >/dev/null 2>&1 || fail "no backup file in the state folder"
export_key 'HKCU\Software\Microsoft\Office' "$work/after1.reg"
cmp -s "$work/before.reg" "$work/after1.reg" && fail "update changed nothing"

# --- a second update changes nothing ------------------------------------------
export_key 'HKCU\Software' "$work/software1.reg"
cpuu update "${live[@]}" --mapping "$map" --json > "$work/update2.jsonl" 2>&1
grep -q '"outcome":"switched"' "$work/update2.jsonl" && fail "second update switched again"
grep -q '"already_switched"' "$work/update2.jsonl" || fail "second update: $(cat "$work/update2.jsonl")"
export_key 'HKCU\Software' "$work/software2.reg"
cmp -s "$work/software1.reg" "$work/software2.reg" || fail "second update changed the registry"

# --- rollback: byte-exact -----------------------------------------------------
cpuu rollback "${live[@]}" > "$work/rollback.txt" 2>&1
rc=$?
[ $((rc & 1)) -eq 1 ] || fail "rollback: exit $rc: $(cat "$work/rollback.txt")"
grep -q "rolled_back" "$work/rollback.txt" || fail "rollback: $(cat "$work/rollback.txt")"
export_key 'HKCU\Software\Microsoft\Office' "$work/rolled.reg"
cmp -s "$work/before.reg" "$work/rolled.reg" ||
	fail "rollback is not byte-exact ($(cmp "$work/before.reg" "$work/rolled.reg" 2>&1))"
wine reg query 'HKCU\Software\cpuu' >/dev/null 2>&1 && fail "HKCU\\Software\\cpuu left after rollback"
export_key 'HKCU\Software' "$work/software3.reg"
cmp -s "$work/software0.reg" "$work/software3.reg" || fail "HKCU\\Software differs after rollback"
cpuu rollback "${live[@]}" > "$work/rollback2.txt" 2>&1
grep -q "nothing_to_undo" "$work/rollback2.txt" || fail "second rollback: $(cat "$work/rollback2.txt")"
export_key 'HKCU\Software' "$work/software4.reg"
cmp -s "$work/software0.reg" "$work/software4.reg" || fail "second rollback changed the registry"

# --- cleanup ------------------------------------------------------------------
# Rollback retires its backup file (retired-..., no longer referenced);
# cleanup removes the files the registry points at and the retired ones.
kept=$(ls "$work/state" 2>/dev/null)
printf '%s' "$kept" | grep -q '^retired-' || fail "rollback retired no backup: $kept"
cpuu update "${live[@]}" --mapping "$map" >/dev/null 2>&1
[ "$(ls "$work/state" | wc -l)" -gt "$(printf '%s' "$kept" | grep -c .)" ] || fail "update made no new backup"
cpuu cleanup "${live[@]}" > "$work/cleanup.txt" 2>&1
grep -q "cleaned" "$work/cleanup.txt" || fail "cleanup: $(cat "$work/cleanup.txt")"
[ -z "$(ls "$work/state" 2>/dev/null)" ] || fail "cleanup left backups: $(ls "$work/state")"
wine reg query 'HKCU\Software\cpuu\Backups' >/dev/null 2>&1 && fail "cleanup left HKCU\\Software\\cpuu\\Backups"
cpuu rollback "${live[@]}" > "$work/rollback3.txt" 2>&1
grep -q "nothing_to_undo" "$work/rollback3.txt" || fail "rollback after cleanup: $(cat "$work/rollback3.txt")"
cpuu inspect --live --json | grep -q '"alice@target.example"' || fail "cleanup undid the switch"

# --- the hive side is Linux's -------------------------------------------------
out=$(cpuu inspect --hive 'C:\nothing.dat' 2>&1)
rc=$?
[ "$rc" -eq 8 ] || fail "inspect --hive on Windows: exit $rc (want 8, unsupported): $out"
out=$(cpuu update --hives 'C:\list.txt' --mapping "$map" 2>&1)
echo "$out" | grep -q "Linux build" || fail "bulk run on Windows: $out"

wine_finish "wine: all checks passed"
