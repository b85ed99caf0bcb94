#!/bin/bash
# The exit bits a logon script sees on Windows (docs/exit-codes.md, issue 12
# item 5), with the Windows build under Wine in a fresh WINEPREFIX:
#   CRASH (32): a fault nothing handles (CPUU_FAULT=<point>:crash raises an
#   access violation) ends cpuu.exe through its unhandled-exception handler
#   with exit code 32 and one line on stderr, no error box; a rollback then
#   restores HKCU's Office key byte-exact (the backup went first);
#   INVALID_SWITCH_MSG (512): the whole mask reaches %ERRORLEVEL% in
#   cmd.exe (a Linux exit status keeps 8 bits), and nothing changes.
# Skips (77) without the Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
wine_need
wine_prefix winbits

alice_fixture "$work/alice.fixture" no
alice_mapping "$work/good.csv"
printf '%s\n%s\n' "$MAPPING_HEADER" "${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,not an address,,Alice Example,onprem,,true" >"$work/bad.csv"

out=$(wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/alice.fixture")" 2>&1) || fail "cpuu-fixture --live: $out"
OFFICE='HKCU\Software\Microsoft\Office'
export_key "$OFFICE" "$work/office-before.reg"
live=(--live --state-dir "$(winpath "$work/state")" --user alice)

# CRASH: a fault where a bug would be (between the backup and the commit).
CPUU_FAULT=update:before-commit:crash wine "$WIN/cpuu.exe" update "${live[@]}" --mapping "$(winpath "$work/good.csv")" \
	>"$work/crash.out" 2>"$work/crash.err"
rc=$?
[ "$rc" -eq 32 ] || fail "crash: exit $rc, want 32 (CRASH): $(cat "$work/crash.err")"
grep -q "cpuu: crashed (exception 0xC0000005); exit bit CRASH (32)" "$work/crash.err" ||
	fail "crash: no line from the handler: $(cat "$work/crash.err")"
# Nothing lost: what the live run had done is rolled back from its backup.
wine "$WIN/cpuu.exe" rollback "${live[@]}" >"$work/rb.out" 2>&1
rc=$?
[ $((rc & 1)) -eq 1 ] || fail "rollback after the crash: exit $rc: $(cat "$work/rb.out")"
export_key "$OFFICE" "$work/office-after.reg"
cmp -s "$work/office-before.reg" "$work/office-after.reg" || fail "rollback after the crash: Office key differs"
# Without the fault the same run switches (the crash came from the fault).
wine "$WIN/cpuu.exe" update "${live[@]}" --mapping "$(winpath "$work/good.csv")" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "update without fault: exit $rc, want 1"
wine "$WIN/cpuu.exe" rollback "${live[@]}" >/dev/null 2>&1

# INVALID_SWITCH_MSG through cmd.exe's %ERRORLEVEL% (all bits).
{
	printf '@"%s" update --live --state-dir "%s" --user alice --mapping "%s" >NUL 2>NUL\r\n' \
		"$(winpath "$WIN/cpuu.exe")" "$(winpath "$work/state")" "$(winpath "$work/bad.csv")"
	printf '@echo bits=%%ERRORLEVEL%%\r\n'
} >"$work/bits.bat"
(cd "$work" && wine cmd /c bits.bat) >"$work/bits.out" 2>&1
grep -q "bits=512" "$work/bits.out" || fail "malformed row: %ERRORLEVEL% $(tr -d '\r' <"$work/bits.out"), want 512"
export_key "$OFFICE" "$work/office-bad.reg"
cmp -s "$work/office-before.reg" "$work/office-bad.reg" || fail "malformed row: the Office key changed"

wine_finish "CRASH (32) from the unhandled-exception handler, 512 in %ERRORLEVEL%: as documented"
