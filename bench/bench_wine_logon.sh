#!/usr/bin/env bash
# What a no-op logon costs under Wine (a figure, not a test): the wizard's
# CPUU_Update.bat run by Wine's cmd.exe for a user already switched (cpuu
# opens HKCU, looks the accounts up in the mapping file, changes nothing,
# stops no client) against the baseline `wine cmd /c exit` (starting cmd.exe
# under Wine, doing nothing). Paired and interleaved, ROUNDS rounds (>= 5):
# medians and ranges of both and of the difference. Each no-op run is
# checked: exit 1 (already switched) and HKCU\Software unchanged.
# usage: bench/bench_wine_logon.sh [BUILD [ROUNDS]]   (skips without Wine or build-win/)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
rounds=${2:-7}
[ "$rounds" -ge 5 ] || rounds=5
cpuu=$top/$build/cpuu
win=${CPUU_WIN_BUILD:-$top/build-win}
if ! command -v wine >/dev/null || [ ! -f "$win/cpuu.exe" ] || [ ! -f "$win/cpuu-fixture.exe" ] || [ ! -x "$cpuu" ]; then
	echo "bench_wine_logon: skipped (needs wine, $win/cpuu.exe and $cpuu)"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-benchlogon-XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
unset WAYLAND_DISPLAY
trap 'wineserver -k >/dev/null 2>&1; rm -rf "$work"' EXIT
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }
ms() { date +%s%N; }

wineboot -i >/dev/null 2>&1
wineserver -w
wineserver -p # one server for every run: each start pays the same

SRC_AG="/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
TRG_AG="/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
printf '%s\n' "[profile Outlook]" "version = 16.0" "default = yes" "[exchange]" \
	"display_name = Alice Example" "smtp = alice@source.example" "legacy_dn = ${SRC_AG}alice" \
	"mailbox_guid = 11111111-2222-4333-8444-555555555555" "cached = yes" >"$work/user.fixture"
wine "$win/cpuu-fixture.exe" --live "$(winpath "$work/user.fixture")" >/dev/null 2>&1
net=$work/NETLOGON
mkdir -p "$net"
cp "$win/cpuu.exe" "$net/"
printf '%s\n' \
	"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched" \
	"${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true" \
	>"$net/mapping.csv"
"$cpuu" wizard --yes --out "$net" --mapping "$(winpath "$net/mapping.csv")" >/dev/null
logon() { (cd "$net" && wine cmd /c CPUU_Update.bat) >/dev/null 2>&1; }
set +e
logon
first=$?
set -e
[ "$first" -eq 1 ] || { echo "bench_wine_logon: the first logon failed (exit $first)"; exit 1; }
wine reg export 'HKCU\Software' "$(winpath "$work/before.reg")" /y >/dev/null 2>&1

base=() noop=()
for r in $(seq 1 "$rounds"); do
	# Alternate which goes first, so neither always finds a warmer cache.
	for which in $([ $((r % 2)) -eq 1 ] && echo "base noop" || echo "noop base"); do
		t0=$(ms)
		set +e
		if [ "$which" = base ]; then wine cmd /c exit >/dev/null 2>&1; else logon; fi
		rc=$?
		set -e
		t1=$(ms)
		if [ "$which" = base ]; then
			base+=($(((t1 - t0) / 1000000)))
		else
			[ "$rc" -eq 1 ] || { echo "bench_wine_logon: no-op logon exit $rc, want 1"; exit 1; }
			noop+=($(((t1 - t0) / 1000000)))
		fi
	done
done
wine reg export 'HKCU\Software' "$(winpath "$work/after.reg")" /y >/dev/null 2>&1
cmp -s "$work/before.reg" "$work/after.reg" || { echo "bench_wine_logon: a no-op logon changed HKCU\\Software"; exit 1; }

stats() { # name values... -> median and range
	local name=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v n="$name" '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%-34s median %6.0f ms   range %d-%d ms\n", n, m, v[1], v[NR] }'
}
diffs=()
for i in "${!base[@]}"; do diffs+=($((noop[i] - base[i]))); done
echo "no-op logon under $(wine --version 2>/dev/null), $rounds paired rounds (interleaved):"
stats "wine cmd /c exit (baseline)" "${base[@]}"
stats "CPUU_Update.bat, nothing to do" "${noop[@]}"
stats "difference (cpuu's own share)" "${diffs[@]}"
bm=$(printf '%s\n' "${base[@]}" | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
nm=$(printf '%s\n' "${noop[@]}" | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
awk -v b="$bm" -v n="$nm" 'BEGIN { if (b > 0) printf "ratio of medians: %.2fx the baseline\n", n / b }'
