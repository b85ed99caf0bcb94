#!/bin/bash
# The Microsoft 365 credentials step (docs/m365.md) against Wine's real
# Credential Manager, in a fresh WINEPREFIX: tests/windows/test_cred_live.c
# (build-win/cpuu-test-cred-live.exe) plants Office credentials of the
# source and the target, runs Update (dry run, apply, again) and Rollback
# through the library over the live registry, and checks each credential.
# Skips (77) without the Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
wine_need cpuu-test-cred-live.exe
wine_prefix winecred
if wine "$WIN/cpuu-test-cred-live.exe" >"$work/out.txt" 2>&1; then
	cat "$work/out.txt"
	exit 0
fi
echo "FAIL: cpuu-test-cred-live.exe:"
cat "$work/out.txt"
exit 1
