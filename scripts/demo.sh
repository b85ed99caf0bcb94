#!/usr/bin/env bash
# `make demo`: writes an example NTUSER.DAT holding Outlook profiles (built by
# code from examples/demo.fixture) and runs cpuu on it.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/$build/demo"
rm -rf "$out"
mkdir -p "$out"
hive="$out/NTUSER.DAT"

echo "== building an example hive: $hive (from examples/demo.fixture)"
"$top/$build/cpuu-fixture" --hive "$hive" "$top/examples/demo.fixture"

echo
echo "== cpuu inspect --hive $hive"
"$top/$build/cpuu" inspect --hive "$hive"

echo
echo "== the same as JSON (docs/inspect-json.md)"
"$top/$build/cpuu" inspect --hive "$hive" --json
