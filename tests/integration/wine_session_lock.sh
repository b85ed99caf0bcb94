#!/bin/bash
# One cpuu per user session on Windows (issue 16 item 1, docs/update.md
# "One run at a time"), with the Windows build under Wine in a fresh
# WINEPREFIX: a live update held at a fault point
# (CPUU_FAULT=update:before-commit:run) starts a second live update in the
# same session; the second waits for the session's mutex, is refused with
# SWITCH_ERR|GLOBAL_ERR (20, the bits of a hive another run holds) and a
# message naming the mutex, and changes nothing (HKCU's Office and cpuu keys
# exported before and after it byte-identical, the state folder's files the
# same; not all of HKCU\Software: Wine itself rewrites its font settings
# there when a process starts).
# The first run finishes normally; once it ended, the next runs work
# (an update finds everything done, a rollback restores the Office key
# byte-exact). Skips (77) without the Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
wine_need
wine_prefix winlock

alice_fixture "$work/alice.fixture" no
alice_mapping "$work/map.csv"

out=$(wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/alice.fixture")" 2>&1) || fail "cpuu-fixture --live: $out"
OFFICE='HKCU\Software\Microsoft\Office'
export_key "$OFFICE" "$work/office-before.reg"
live=(--live --state-dir "$(winpath "$work/state")" --user alice --mapping "$(winpath "$work/map.csv")")

# The second run, as cmd.exe runs it from inside the first one (system()):
# what HKCU and the state folder hold right before and right after it.
W() { winpath "$work/$1"; }
{
	printf '@echo off\r\n'
	printf 'set CPUU_FAULT=\r\nset CPUU_FAULT_RUN=\r\n'
	printf 'reg export HKCU\\Software\\Microsoft\\Office "%s" /y >NUL 2>NUL\r\n' "$(W during1.reg)"
	printf 'reg export HKCU\\Software\\cpuu "%s" /y >NUL 2>NUL\r\n' "$(W during1-cpuu.reg)"
	printf 'dir /b /s "%s" >"%s" 2>NUL\r\n' "$(W state)" "$(W state1.txt)"
	printf '"%s" update --live --state-dir "%s" --user alice --mapping "%s" >"%s" 2>"%s"\r\n' \
		"$(winpath "$WIN/cpuu.exe")" "$(W state)" "$(W map.csv)" "$(W second.out)" "$(W second.err)"
	printf '>"%s" echo rc=%%ERRORLEVEL%%\r\n' "$(W second.rc)"
	printf 'reg export HKCU\\Software\\Microsoft\\Office "%s" /y >NUL 2>NUL\r\n' "$(W during2.reg)"
	printf 'reg export HKCU\\Software\\cpuu "%s" /y >NUL 2>NUL\r\n' "$(W during2-cpuu.reg)"
	printf 'dir /b /s "%s" >"%s" 2>NUL\r\n' "$(W state)" "$(W state2.txt)"
} >"$work/second.bat"

CPUU_FAULT=update:before-commit:run CPUU_FAULT_RUN="$(W second.bat)" \
	wine "$WIN/cpuu.exe" update "${live[@]}" >"$work/first.out" 2>"$work/first.err"
rc=$?
[ "$rc" -eq 1 ] || fail "first run: exit $rc, want 1 (SUCCESS): $(cat "$work/first.err")"
grep -q "switched" "$work/first.out" || fail "the first run did not switch: $(cat "$work/first.out")"
[ -f "$work/second.rc" ] || fail "the second run never ran"
rc2=$(tr -d '\r ' <"$work/second.rc" 2>/dev/null)
[ "$rc2" = "rc=20" ] || fail "second run: $rc2, want rc=20 (SWITCH_ERR|GLOBAL_ERR): $(cat "$work/second.err")"
grep -q "another cpuu run holds this session's registry" "$work/second.err" ||
	fail "second run's message: $(cat "$work/second.err")"
[ -s "$work/during1.reg" ] || fail "no export before the second run"
cmp -s "$work/during1.reg" "$work/during2.reg" || fail "the refused run changed HKCU\\Software\\Microsoft\\Office"
[ -s "$work/during1-cpuu.reg" ] || fail "no export of HKCU\\Software\\cpuu before the second run"
cmp -s "$work/during1-cpuu.reg" "$work/during2-cpuu.reg" || fail "the refused run changed HKCU\\Software\\cpuu"
cmp -s "$work/state1.txt" "$work/state2.txt" || fail "the refused run changed the state folder"

# The first run ended: the session is free again.
wine "$WIN/cpuu.exe" update "${live[@]}" >"$work/third.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "update after the first ended: exit $rc, want 1: $(cat "$work/third.out")"
grep -q "already_switched" "$work/third.out" || fail "update after the first ended: $(cat "$work/third.out")"
wine "$WIN/cpuu.exe" rollback "${live[@]}" >"$work/rb.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "rollback after the first ended: exit $rc, want 1: $(cat "$work/rb.out")"
export_key "$OFFICE" "$work/office-after.reg"
cmp -s "$work/office-before.reg" "$work/office-after.reg" || fail "rollback: the Office key differs"

wine_finish "one cpuu per session: the second run waited, was refused (20) and changed nothing"
