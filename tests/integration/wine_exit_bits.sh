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

skip() { echo "SKIP: $*"; exit 77; }
SRC=${CPUU_SOURCE_DIR:?}
WIN=${CPUU_WIN_BUILD:-$SRC/build-win}
[ -f "$WIN/cpuu.exe" ] && [ -f "$WIN/cpuu-fixture.exe" ] ||
	skip "no Windows build in $WIN (run 'make windows')"
command -v wine >/dev/null || skip "wine is not installed (scripts/install-deps.sh windows)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-winbits-XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
export WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
unset WAYLAND_DISPLAY
cleanup() {
	wineserver -k >/dev/null 2>&1 # this prefix's server only
	rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

wineboot -i >/dev/null 2>&1
wineserver -w
wineserver -p
wine reg query 'HKCU\Software' >/dev/null 2>&1 || { echo "FAIL: wineboot left no usable HKCU"; exit 1; }
export_key() { # key file
	rm -f "$2"
	wine reg export "$1" "$(winpath "$2")" /y >/dev/null 2>&1 ||
		{ sleep 1; wine reg export "$1" "$(winpath "$2")" /y >/dev/null 2>&1; } || fail "reg export $1"
}

SRC_AG="/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
TRG_AG="/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
printf '%s\n' "[profile Outlook]" "version = 16.0" "default = yes" "[exchange]" "display_name = Alice Example" \
	"smtp = alice@source.example" "legacy_dn = ${SRC_AG}alice" "mailbox_guid = 11111111-2222-4333-8444-555555555555" \
	"cached = no" >"$work/alice.fixture"
hdr="source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched"
printf '%s\n%s\n' "$hdr" "${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true" >"$work/good.csv"
printf '%s\n%s\n' "$hdr" "${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,not an address,,Alice Example,onprem,,true" >"$work/bad.csv"

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

[ "$failures" -eq 0 ] && echo "CRASH (32) from the unhandled-exception handler, 512 in %ERRORLEVEL%: as documented"
exit $((failures > 0))
