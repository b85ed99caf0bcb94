#!/usr/bin/env bash
# The [General] and [Logging] keys through the CLI, each doing what
# docs/config.md says (issue 11): Mode (cpuu run), BackupDir, TempDir (exit
# bit 128), Workers, Level, JsonResults; strict integers on the command line;
# a hive named twice in one bulk run processed once (issue 16).
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/demo_hive.sh"
demo_hive keys
ini() { # name, then lines
	local f="$work/$1.ini"
	shift
	printf '%s\n' "[Mapping]" "File = $map" "$@" >"$f"
	echo "$f"
}

# BackupDir: backups go there, not beside the hive; Rollback finds them.
cfg=$(ini backup "[General]" "BackupDir = $work/state")
"$CPUU" update --config "$cfg" --hive "$hive" >/dev/null
rc=$?
[ "$rc" -eq 1 ] || fail "update with BackupDir: exit $rc, want 1"
ls "$work/state"/*.reg >/dev/null 2>&1 || fail "BackupDir: no backup in $work/state"
[ ! -e "$hive.cpuu" ] || fail "BackupDir: backup still written beside the hive"

# Mode: 'cpuu run' does what the INI says (here: rollback, with BackupDir).
cfg=$(ini mode "[General]" "Mode = rollback" "BackupDir = $work/state")
out=$("$CPUU" run --config "$cfg" --hive "$hive" --json)
rc=$?
[ "$rc" -eq 1 ] || fail "run with Mode = rollback: exit $rc, want 1"
echo "$out" | grep -q '"mode":"rollback"' || fail "Mode = rollback did not roll back: $out"
cmp -s "$hive" "$work/orig.DAT" || {
	"$CPUU" inspect --hive "$hive" --json >"$work/a.json"
	"$CPUU" inspect --hive "$work/orig.DAT" --json >"$work/b.json"
	cmp -s "$work/a.json" "$work/b.json" || fail "Mode = rollback: profiles differ from the original"
}
# ...and the command names the mode when it gives one.
out=$("$CPUU" update --config "$cfg" --hive "$hive" --dry-run --json)
echo "$out" | grep -q '"mode":"update"' || fail "update --config (Mode = rollback) ran: $out"

# TempDir: made when missing; when it cannot be, exit 128 and the hive untouched.
cfg=$(ini tmpok "[General]" "TempDir = $work/tmp/a/b" "DryRun = yes")
"$CPUU" update --config "$cfg" --hive "$hive" >/dev/null
[ -d "$work/tmp/a/b" ] || fail "TempDir not created"
touch "$work/plainfile"
before=$(sha256sum <"$hive")
cfg=$(ini tmpbad "[General]" "TempDir = $work/plainfile/sub")
err=$("$CPUU" update --config "$cfg" --hive "$hive" 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 128 ] || fail "TempDir that cannot be made: exit $rc, want 128 ($err)"
echo "$err" | grep -q "TempDir" || fail "TempDir failure not named: $err"
[ "$before" = "$(sha256sum <"$hive")" ] || fail "TempDir failure changed the hive"

# Level: error keeps errors only; debug adds the run's settings.
cfg=$(ini lvlerr "[General]" "LogFile = $work/err.log" "DryRun = yes" "[Logging]" "Level = error")
"$CPUU" update --config "$cfg" --hive "$hive" >/dev/null
[ -e "$work/err.log" ] || fail "Level = error: no log file"
! grep -q "started\|planned" "$work/err.log" || fail "Level = error kept info lines: $(cat "$work/err.log")"
cfg=$(ini lvldbg "[General]" "LogFile = $work/dbg.log" "DryRun = yes" "[Logging]" "Level = debug")
"$CPUU" update --config "$cfg" --hive "$hive" >/dev/null
grep -q "setting dry_run=1" "$work/dbg.log" || fail "Level = debug: no settings in the log"
grep -q "started" "$work/dbg.log" || fail "Level = debug: no info lines"
cfg=$(ini lvlinfo "[General]" "LogFile = $work/info.log" "DryRun = yes")
"$CPUU" update --config "$cfg" --hive "$hive" >/dev/null
grep -q "started" "$work/info.log" || fail "Level = info (default): no info lines"
! grep -q "setting " "$work/info.log" || fail "Level = info wrote debug lines"

# JsonResults: records as JSON lines on stdout without --json.
cfg=$(ini json "[General]" "DryRun = yes" "[Logging]" "JsonResults = yes")
out=$("$CPUU" update --config "$cfg" --hive "$hive")
echo "$out" | head -1 | grep -q '^{"user":' || fail "JsonResults = yes: not JSON lines: $(echo "$out" | head -2)"
cfg=$(ini nojson "[General]" "DryRun = yes")
out=$("$CPUU" update --config "$cfg" --hive "$hive")
! echo "$out" | grep -q '^{"user":' || fail "JSON lines without JsonResults"

# Workers: the bulk summary names them; --workers wins over the INI.
mkdir -p "$work/bulk"
for u in a b c; do mkdir -p "$work/bulk/$u" && cp "$work/orig.DAT" "$work/bulk/$u/NTUSER.DAT"; done
cfg=$(ini workers "[General]" "Workers = 1" "DryRun = yes")
out=$("$CPUU" update --config "$cfg" --users-dir "$work/bulk" 2>&1)
echo "$out" | grep -q "3 hives, 1 worker:" || fail "Workers = 1: $out"
out=$("$CPUU" update --config "$cfg" --users-dir "$work/bulk" --workers 2 2>&1)
echo "$out" | grep -q "3 hives, 2 workers:" || fail "--workers 2 over Workers = 1: $out"

# Strict integers: refused with a message, GLOBAL_ERR (16), nothing run.
for bad in 3x -1 99999999999999999999 "" 1025; do
	err=$("$CPUU" update --mapping "$map" --users-dir "$work/bulk" --workers "$bad" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 16 ] || fail "--workers '$bad': exit $rc, want 16"
	echo "$err" | grep -q "\-\-workers: '$bad' is not a whole number" || fail "--workers '$bad': $err"
done
err=$("$CPUU" update --mapping "$map" --users-dir "$work/bulk" --batch 0 2>&1 >/dev/null)
[ $? -eq 16 ] || fail "--batch 0 accepted: $err"
err=$("$CPUU" map lookup 2>&1 >/dev/null)
[ $? -eq 2 ] || fail "tool command usage error: not 2"

# A hive named twice in one bulk run (another spelling, a hard link): once.
ln "$work/bulk/a/NTUSER.DAT" "$work/bulk/hardlink.DAT"
printf '%s\n' "$work/bulk/a/NTUSER.DAT" "$work/bulk/./a/NTUSER.DAT" "$work/bulk/hardlink.DAT" "$work/bulk/b/NTUSER.DAT" >"$work/list"
out=$("$CPUU" update --mapping "$map" --hives "$work/list" --workers 2 --json 2>"$work/twice.err")
rc=$?
[ "$rc" -eq 1 ] || fail "hive named twice: exit $rc, want 1 ($(cat "$work/twice.err"))"
grep -q "2 hives" "$work/twice.err" || fail "hive named twice: not 2 hives: $(cat "$work/twice.err")"
[ "$(grep -c "already in this run" "$work/twice.err")" -eq 2 ] || fail "no warning per duplicate name"
n=$(echo "$out" | grep -o '"hive":"[^"]*"' | sort -u | wc -l)
[ "$n" -eq 2 ] || fail "hive named twice: records for $n hive names, want 2"
a=$(echo "$out" | grep -c '"hive":"[^"]*/a/NTUSER.DAT".*"outcome":"switched"')
b=$(echo "$out" | grep -c '"hive":"[^"]*/b/NTUSER.DAT".*"outcome":"switched"')
[ "$a" -gt 0 ] && [ "$a" -eq "$b" ] || fail "hive named twice: $a switched records for it, $b for another hive"
"$CPUU" inspect --hive "$work/bulk/a/NTUSER.DAT" >/dev/null || fail "the hive named twice no longer opens"

[ "$fails" -eq 0 ] && echo "Mode, BackupDir, TempDir, Workers, Level, JsonResults, strict integers, duplicate hives: as documented"
exit $((fails > 0))
