#!/usr/bin/env bash
# `make demo`: the main job on a bundled example. Writes an NTUSER.DAT holding
# a user's Outlook profiles (built by code from examples/demo.fixture), then
# switches them with the bundled mapping (examples/mapping.csv): dry run,
# update, a second update that changes nothing, and a rollback that restores
# the original exactly.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case "$build" in /*) bdir=$build ;; *) bdir=$top/$build ;; esac
cpuu="$bdir/cpuu"
out="$bdir/demo"
rm -rf "$out"
mkdir -p "$out/frank"
hive="$out/frank/NTUSER.DAT"
map="$top/examples/mapping.csv"

step() { printf '\n== %s\n' "$*"; }

step "an example hive: $hive (examples/demo.fixture)"
"$bdir/cpuu-fixture" --hive "$hive" "$top/examples/demo.fixture"

step "cpuu inspect --hive NTUSER.DAT"
"$cpuu" inspect --hive "$hive"
"$cpuu" inspect --hive "$hive" --json > "$out/before.json"

step "cpuu update --dry-run (what would change, nothing written)"
"$cpuu" update --mapping "$map" --hive "$hive" --dry-run || true

step "cpuu update"
set +e
"$cpuu" update --mapping "$map" --hive "$hive"
echo "exit status $? (bit mask: 1 = SUCCESS)"

step "cpuu inspect after the switch"
"$cpuu" inspect --hive "$hive"

step "cpuu update again (idempotent: nothing changes)"
sum1=$(sha256sum "$hive" | cut -d' ' -f1)
"$cpuu" update --mapping "$map" --hive "$hive" --json
sum2=$(sha256sum "$hive" | cut -d' ' -f1)
[ "$sum1" = "$sum2" ] && echo "hive unchanged: $sum1"

step "cpuu rollback"
"$cpuu" rollback --hive "$hive"
"$cpuu" inspect --hive "$hive" --json > "$out/after-rollback.json"
if cmp -s "$out/before.json" "$out/after-rollback.json"; then
  echo "profiles restored exactly as before the update"
else
  echo "rollback differs from the original!" >&2
  exit 1
fi
