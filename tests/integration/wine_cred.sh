#!/bin/bash
# The Microsoft 365 credentials step (docs/m365.md) against Wine's real
# Credential Manager, in a fresh WINEPREFIX: tests/windows/test_cred_live.c
# (build-win/cpuu-test-cred-live.exe) plants Office credentials of the
# source and the target, runs Update (dry run, apply, again) and Rollback
# through the library over the live registry, and checks each credential.
# Skips (77) without the Windows build or Wine.
set -u
skip() { echo "SKIP: $*"; exit 77; }
SRC=${CPUU_SOURCE_DIR:?}
WIN=${CPUU_WIN_BUILD:-$SRC/build-win}
[ -f "$WIN/cpuu-test-cred-live.exe" ] || skip "no $WIN/cpuu-test-cred-live.exe (run 'make windows')"
command -v wine >/dev/null || skip "wine is not installed (scripts/install-deps.sh windows)"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-winecred-XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
export WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
unset WAYLAND_DISPLAY
cleanup() {
	wineserver -k >/dev/null 2>&1 # this prefix's server only
	rm -rf "$work"
}
trap cleanup EXIT
wineboot -i >/dev/null 2>&1
wineserver -w
if wine "$WIN/cpuu-test-cred-live.exe" >"$work/out.txt" 2>&1; then
	cat "$work/out.txt"
	exit 0
fi
echo "FAIL: cpuu-test-cred-live.exe:"
cat "$work/out.txt"
exit 1
