#!/usr/bin/env bash
# The run log through the CLI: [General] LogFile/ResultFile with placeholders,
# the copy to LogShare, and exit bit 64 when the log cannot be written (the
# run itself still happens).
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-runlog-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir -p "$work/share" "$work/users/frank"
"$CPUU_FIXTURE" --hive "$work/users/frank/NTUSER.DAT" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
printf '[General]\nLogFile = %s/cpuu-#u.log\nResultFile = %s/cpuu-#u.jsonl\nLogShare = %s/share\n[Mapping]\nFile = %s/examples/mapping.csv\n' \
	"$work" "$work" "$work" "$CPUU_SOURCE_DIR" >"$work/cpuu.ini"
"$CPUU" update --config "$work/cpuu.ini" --hive "$work/users/frank/NTUSER.DAT" >/dev/null
rc=$?
[ "$rc" -eq 1 ] || fail "update exit $rc, want 1"
grep -q "update frank profile 'Outlook' frank.meyer@source.example: switched" "$work/cpuu-frank.log" || fail "log: $(cat "$work/cpuu-frank.log" 2>&1)"
grep -q '"outcome":"switched"' "$work/cpuu-frank.jsonl" || fail "no JSON result records"
cmp -s "$work/cpuu-frank.log" "$work/share/cpuu-frank.log" || fail "log not copied to the share"
cmp -s "$work/cpuu-frank.jsonl" "$work/share/cpuu-frank.jsonl" || fail "results not copied to the share"
printf '[General]\nLogFile = %s/no-such-dir/x.log\n[Mapping]\nFile = %s/examples/mapping.csv\n' "$work" "$CPUU_SOURCE_DIR" >"$work/bad.ini"
"$CPUU" rollback --config "$work/bad.ini" --hive "$work/users/frank/NTUSER.DAT" >/dev/null
rc=$?
[ "$rc" -eq 65 ] || fail "rollback with an unwritable log: exit $rc, want 65 (SUCCESS|FAILED_TO_WRITE_LOG)"
[ "$fails" -eq 0 ] && echo "run log, results and share copy as configured"
exit $((fails > 0))
