#!/bin/bash
# The wizard's log share at work (issue 12 item 2), with the Windows build
# under Wine: `cpuu wizard --log-share` in an empty folder, cpuu.exe beside
# the batch files, CPUU_Update.bat run by Wine's cmd.exe twice: each logon
# leaves its log and its result records in the share under names of their
# own (cpuu_<user>_<host>_<date>_<time>), the records say the user's profile
# switched, and `cpuu report ingest` of the share reads them.
# Skips (77) without the Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need
wine_prefix winshare

alice_fixture "$work/alice.fixture" no
alice_mapping "$work/mapping.csv"
out=$(wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/alice.fixture")" 2>&1) || fail "cpuu-fixture --live: $out"

mkdir "$work/share"
"$CPUU" wizard --yes --out "$work/netlogon/cpuu" --mapping "$(winpath "$work/mapping.csv")" \
	--log-share "$(winpath "$work/share")" >/dev/null || fail "cpuu wizard"
cp "$WIN/cpuu.exe" "$work/netlogon/cpuu/"
logon() {
	(cd "$work/netlogon/cpuu" && wine cmd /c CPUU_Update.bat) >/dev/null 2>&1
	echo $?
}
rc=$(logon)
[ $((rc & 1)) -eq 1 ] || fail "first logon: exit $rc, want SUCCESS"
pat='^cpuu_[^_/]+_[^_/]+_[0-9]{8}_[0-9]{6}\.(log|jsonl)$'
ls "$work/share" | grep -Ev "$pat" | grep -q . && fail "share holds other names: $(ls "$work/share")"
[ "$(ls "$work/share" | grep -c '\.log$')" -eq 1 ] || fail "first logon: logs in the share: $(ls "$work/share")"
[ "$(ls "$work/share" | grep -c '\.jsonl$')" -eq 1 ] || fail "first logon: results in the share: $(ls "$work/share")"
grep -q '"profile":"Outlook","account":"alice@source.example","mode":"update","outcome":"switched"' "$work"/share/*.jsonl ||
	fail "the shared records do not say alice switched: $(cat "$work"/share/*.jsonl)"
user=$(ls "$work/share" | sed -n 's/^cpuu_\([^_]*\)_.*\.log$/\1/p')
[ -n "$user" ] || fail "no user in the log's name"

# A second logon (another second): its own pair of files, none overwritten.
sleep 1
rc=$(logon)
[ $((rc & 1)) -eq 1 ] || fail "second logon: exit $rc, want SUCCESS (already switched)"
[ "$(ls "$work/share" | grep -c '\.jsonl$')" -eq 2 ] || fail "second logon: results in the share: $(ls "$work/share")"
grep -l '"outcome":"already_switched"' "$work"/share/*.jsonl | grep -q . || fail "second logon's records missing"

# The share is what the central report reads.
"$CPUU" report ingest --from "$work/share" --db "sqlite:$work/report.db" >"$work/ingest.out" 2>&1 ||
	fail "report ingest of the share: $(cat "$work/ingest.out")"
"$CPUU" report summary --json --db "sqlite:$work/report.db" >"$work/summary.json" 2>&1 ||
	fail "report summary: $(cat "$work/summary.json")"
grep -q "$user" "$work/summary.json" || grep -q '"users"' "$work/summary.json" || fail "summary: $(cat "$work/summary.json")"

wine_finish "the wizard's log share: each logon's log and results under their own names, ingested"
