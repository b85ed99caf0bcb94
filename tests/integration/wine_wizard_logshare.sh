#!/bin/bash
# The wizard's log share at work (issue 12 item 2), with the Windows build
# under Wine: `cpuu wizard --log-share` in an empty folder, cpuu.exe beside
# the batch files, CPUU_Update.bat run by Wine's cmd.exe twice: each logon
# leaves its log and its result records in the share under names of their
# own (cpuu_<user>_<host>_<date>_<time>), the records say the user's profile
# switched, and `cpuu report ingest` of the share reads them.
# Skips (77) without the Windows build or Wine.
set -u

skip() { echo "SKIP: $*"; exit 77; }
SRC=${CPUU_SOURCE_DIR:?}
: "${CPUU:?}"
WIN=${CPUU_WIN_BUILD:-$SRC/build-win}
[ -f "$WIN/cpuu.exe" ] && [ -f "$WIN/cpuu-fixture.exe" ] ||
	skip "no Windows build in $WIN (run 'make windows')"
command -v wine >/dev/null || skip "wine is not installed (scripts/install-deps.sh windows)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-winshare-XXXXXX")
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

SRC_AG="/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
TRG_AG="/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
printf '%s\n' "[profile Outlook]" "version = 16.0" "default = yes" "[exchange]" "display_name = Alice Example" \
	"smtp = alice@source.example" "legacy_dn = ${SRC_AG}alice" "mailbox_guid = 11111111-2222-4333-8444-555555555555" \
	"cached = no" >"$work/alice.fixture"
hdr="source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched"
printf '%s\n%s\n' "$hdr" "${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true" >"$work/mapping.csv"
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

[ "$failures" -eq 0 ] && echo "the wizard's log share: each logon's log and results under their own names, ingested"
exit $((failures > 0))
