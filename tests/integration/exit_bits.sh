#!/usr/bin/env bash
# Exit bits where they mean something (docs/exit-codes.md, issue 12 item 5),
# offline: a --profiles name no profile has (SWITCH_ERR, a record naming
# it); a user's malformed or contradictory correspondence (INVALID_SWITCH_MSG
# 512: a POSIX exit status keeps 8 bits, so the test reads the run log's
# "exit bits" line and the records); a critical feature failing (SWITCH_ERR,
# profile unchanged). TempDir (128) is tests/integration/config_keys.sh;
# CRASH (32) and 512 in %ERRORLEVEL% are tests/integration/wine_exit_bits.sh.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/demo_hive.sh"
demo_hive bits
bits() { sed -n 's/.*finished: exit bits \([0-9]*\).*/\1/p' "$1" | tail -1; }

# A named profile that does not exist: SWITCH_ERR (4), said, nothing changed.
fresh
out=$("$CPUU" update --hive "$hive" --mapping "$map" --profiles "No Such" 2>&1)
rc=$?
[ "$rc" -eq 4 ] || fail "--profiles 'No Such': exit $rc, want 4 (SWITCH_ERR): $out"
echo "$out" | grep -q "profile 'No Such': error - no profile of this name" || fail "--profiles 'No Such' not said: $out"
cmp -s "$hive" "$work/orig.DAT" || fail "--profiles 'No Such' changed the hive"
# ...next to one that exists: that one switched (1|4).
out=$("$CPUU" update --hive "$hive" --mapping "$map" -Profiles "Outlook 2013" "No Such" 2>&1)
rc=$?
[ "$rc" -eq 5 ] || fail "-Profiles 'Outlook 2013' 'No Such': exit $rc, want 5: $out"

# INVALID_SWITCH_MSG: frank's only row is malformed (target_smtp).
fresh
{ head -1 "$map"; grep frank.meyer "$map" | sed 's/,frank.meyer@target.example,/,not an address,/'; } >"$work/bad.csv"
grep -q "not an address" "$work/bad.csv" || fail "test setup: row not broken"
out=$("$CPUU" update --hive "$hive" --mapping "$work/bad.csv" --log "$work/bad.log" --json 2>"$work/err")
rc=$?
[ "$(bits "$work/bad.log")" = 512 ] || fail "malformed row: exit bits $(bits "$work/bad.log"), want 512 ($(cat "$work/bad.log"))"
[ "$rc" -eq 0 ] || fail "malformed row: POSIX exit $rc, want 512 & 255 = 0"
echo "$out" | grep -q '"account":"frank.meyer@source.example","mode":"update","outcome":"invalid"' ||
	fail "malformed row: no invalid record: $out"
grep -q "warning: .*bad.csv: line 2: target_smtp" "$work/err" || fail "malformed row not warned: $(cat "$work/err")"
cmp -s "$hive" "$work/orig.DAT" || fail "malformed row: the hive changed"

# ...contradictory: switched, no target at all.
fresh
{ head -1 "$map"; grep frank.meyer "$map" | awk -F, 'BEGIN{OFS=","} {$5="";$6="";$7="";$10="";print}'; } >"$work/contra.csv"
out=$("$CPUU" update --hive "$hive" --mapping "$work/contra.csv" --log "$work/contra.log" --json 2>/dev/null)
[ "$(bits "$work/contra.log")" = 512 ] || fail "switched without target: exit bits $(bits "$work/contra.log"), want 512"
echo "$out" | grep -q '"outcome":"invalid","changes":0,"message":"contradictory correspondence' ||
	fail "switched without target: $out"
cmp -s "$hive" "$work/orig.DAT" || fail "switched without target: the hive changed"

# A correct row gives no 512 (the bit is not always on).
fresh
"$CPUU" update --hive "$hive" --mapping "$map" --log "$work/ok.log" >/dev/null 2>&1
[ "$(bits "$work/ok.log")" = 1 ] || fail "correct mapping: exit bits $(bits "$work/ok.log"), want 1"

[ "$fails" -eq 0 ] && echo "unknown profile names, invalid and contradictory correspondence: the documented bits"
exit $((fails > 0))
