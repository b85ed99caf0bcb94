#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/fuzz_*.c) with clang and runs each for
# SECONDS (default 30) on a seed corpus made by code. Fails if any target
# finds a crash; its crashing inputs are copied into
# tests/data/fuzz-regressions/<target>/ so the unit tests replay them.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (TARGET e.g. fuzz_entryid)
# Env: CPUU_FUZZ_BUILD (build folder, default build-fuzz), CPUU_FUZZ_JOBS.
set -euo pipefail

secs="${1:-30}"
shift || true
case "$secs" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a number, got '$secs'" >&2; exit 2 ;; esac
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${CPUU_FUZZ_BUILD:-$src/build-fuzz}"
jobs="${CPUU_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# clang and libFuzzer (Debian 12: the fuzzer runtime is in libclang-rt-14-dev).
have_libfuzzer() {
  local t
  t="$(mktemp -d)"
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/t.c"
  local ok=1
  clang -fsanitize=fuzzer,address,undefined "$t/t.c" -o "$t/t" >/dev/null 2>&1 || ok=0
  rm -rf "$t"
  [ "$ok" = 1 ]
}
if ! command -v clang >/dev/null 2>&1 || ! have_libfuzzer; then
  pkgs=(clang libclang-rt-14-dev)
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz.sh: clang with libFuzzer is missing; install ${pkgs[*]} (as root)" >&2
    exit 1
  fi
  echo "fuzz.sh: installing ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  have_libfuzzer || { echo "fuzz.sh: clang still cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCPUU_FUZZ=ON -DCPUU_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$src"/fuzz/fuzz_*.c; do
    [ -e "$f" ] || continue
    targets+=("$(basename "$f" .c)")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz/fuzz_*.c targets" >&2; exit 1; }

build_list=()
for t in "${targets[@]}"; do
  build_list+=(--target "$t")
  grep -q CPUU_FUZZ_SEEDGEN "$src/fuzz/$t.c" && build_list+=(--target "seed_${t#fuzz_}")
done
cmake --build "$build" -j "$jobs" "${build_list[@]}"

failed=()
for t in "${targets[@]}"; do
  exe="$build/fuzz/$t"
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  regress="$src/tests/data/fuzz-regressions/$t"
  mkdir -p "$corpus" "$artifacts"
  rm -f "$artifacts"/*
  seed="$build/fuzz/seed_${t#fuzz_}"
  if [ -x "$seed" ]; then
    "$seed" "$corpus"
  fi
  # Past crashes are seeds too (they must stay fixed).
  if [ -d "$regress" ]; then
    find "$regress" -maxdepth 1 -type f ! -name '*.md' -exec cp {} "$corpus/" \;
  fi
  echo "fuzz.sh: $t for ${secs}s ($(find "$corpus" -type f | wc -l) corpus files)"
  set +e
  "$exe" "$corpus" -max_total_time="$secs" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    >"$build/fuzz-artifacts/$t.log" 2>&1
  rc=$?
  set -e
  if [ $rc -ne 0 ] || [ -n "$(find "$artifacts" -type f -print -quit)" ]; then
    mkdir -p "$regress"
    find "$artifacts" -type f -exec cp {} "$regress/" \;
    echo "fuzz.sh: $t FAILED (exit $rc); inputs copied to ${regress#$src/}; log: $build/fuzz-artifacts/$t.log" >&2
    grep -E "ERROR|SUMMARY|==[0-9]+==" "$build/fuzz-artifacts/$t.log" | head -5 >&2 || true
    failed+=("$t")
  else
    grep -E "^stat::number_of_executed_units|^Done" "$build/fuzz-artifacts/$t.log" | tail -1 || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${secs}s without a crash"
