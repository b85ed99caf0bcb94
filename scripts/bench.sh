#!/usr/bin/env bash
# Runs every benchmark program in the build folder; each prints its own
# figures and the ratio against a baseline measured in the same run.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
status=0
for b in "$top/$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done
# Bulk scaling again on memory: the work itself, without the disk's flushes.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  echo "== bench_bulk on /dev/shm"
  "$top/$build/bench/bench_bulk" 10000 /dev/shm || status=1
fi
"$top/bench/bench_wine_logon.sh" "$build" || status=1 # the no-op logon under Wine (skips without it)
exit $status
