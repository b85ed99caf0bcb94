#!/usr/bin/env bash
# The README's `make demo` must stay true: run it and check what it claims.
set -euo pipefail
out=$(bash "$CPUU_SOURCE_DIR/scripts/demo.sh" "$CPUU_BINARY_DIR" 2>&1) || { echo "$out"; exit 1; }
for want in "switched (17 changes)" "already_switched" "hive unchanged" "profiles restored exactly as before the update"; do
  if ! grep -qF "$want" <<<"$out"; then
    echo "demo output lacks: $want"; echo "$out" | tail -40; exit 1
  fi
done
echo "demo ok"
