#!/bin/bash
# The live registry is Windows-only: the Linux build refuses --live with
# "unsupported" and a clear message, and changes nothing.
set -u

skip() { echo "SKIP: $*"; exit 77; }
[ -n "${CPUU:-}" ] && [ -x "$CPUU" ] || skip "CPUU (the cpuu CLI) is not built"
[ -n "${CPUU_FIXTURE:-}" ] && [ -x "$CPUU_FIXTURE" ] || skip "CPUU_FIXTURE (cpuu-fixture) is not built"
SRC=${CPUU_SOURCE_DIR:?}

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-live-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$CPUU" inspect --live 2>&1)
rc=$?
[ "$rc" -eq 8 ] || fail "inspect --live: exit $rc, want 8 (unsupported)"
echo "$out" | grep -q "only on Windows" || fail "inspect --live: message: $out"

for mode in update rollback cleanup; do
	out=$("$CPUU" $mode --live --mapping "$SRC/examples/mapping.csv" --state-dir "$work/state" --user u 2>&1)
	rc=$?
	[ "$rc" -eq 16 ] || fail "$mode --live: exit $rc, want 16 (GLOBAL_ERR)"
	echo "$out" | grep -q "only on Windows" || fail "$mode --live: message: $out"
done
[ -e "$work/state" ] && fail "a refused --live run created the state folder"

out=$("$CPUU" update --live --hive "$work/x.dat" --mapping "$SRC/examples/mapping.csv" 2>&1)
[ $? -eq 16 ] || fail "--live with --hive must be a usage error"

out=$("$CPUU_FIXTURE" --live "$SRC/examples/demo.fixture" 2>&1)
rc=$?
[ "$rc" -eq 8 ] || fail "cpuu-fixture --live: exit $rc, want 8: $out"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "windows_live_linux: --live refused on Linux"
