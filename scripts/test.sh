#!/usr/bin/env bash
# Builds and runs every test, three times over:
#   release  optimised native build: unit tests and integration tests (pytest against the broker)
#   asan     the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang-19),
#            then every libFuzzer target for ATTESTMQ_FUZZ_SECONDS (30) each: scripts/fuzz.sh
#   wasm     codec, engine and OpenSSL (Debian source package) compiled for wasm32-wasi,
#            their unit tests run under node's WASI
# Prints a summary and exits non-zero if any step of any build failed.
#   bash scripts/setup.sh && bash scripts/test.sh      (README's test command)
#   bash scripts/test.sh release wasm                  (only some presets)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The integration tests need Debian's python3 (pytest, paho-mqtt), not a python3 that a
# version manager (pyenv, conda) may have put first on PATH.
export PATH="/usr/bin:/bin:$PATH"
# Make a sanitizer report fail the test that triggered it, with a stack to read.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

jobs=2
# The presets compile some things identically: the wasm2c translation of the engine module
# (tens of MB of C, minutes of CPU) in release and asan alike. ccache, with paths made
# relative to the tree, lets the second preset reuse the first one's object.
if [[ -z ${CMAKE_C_COMPILER_LAUNCHER:-} ]] && command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR="$PWD"
fi
presets=("$@")
((${#presets[@]})) || presets=(release asan wasm)

summary=()
failures=()
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed_steps=0

# step NAME COMMAND...: runs the command, records its outcome and duration for the summary.
step() {
  local name=$1
  shift
  echo
  echo "=== $name: $*"
  local start=$SECONDS log="$logs/${name/:/-}.log"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local outcome="ok"
  if ((status != 0)); then
    outcome="FAILED (exit $status)"
    failed_steps=$((failed_steps + 1))
    failures+=("$(failure_digest "$name" "$log")")
  fi
  summary+=("$(printf '%-16s %-22s %5ss' "$name" "$outcome" $((SECONDS - start)))")
  return "$status"
}

# failure_digest NAME LOG: the lines that say why a step failed, repeated after the summary
# so that they survive when only the end of a long CI log is kept: ninja's FAILED targets
# with what follows them, compiler and script errors, ctest's list of failed tests.
failure_digest() {
  local name=$1 log=$2
  echo "=== $name failed:"
  grep -E -A 25 '^FAILED: |error:|^CMake Error|openssl-wasm:|libcbor-wasm:|The following tests FAILED' \
    "$log" | head -n 120
}

# run_ctest PRESET: ctest, adding its counts to $logs/counts ("failed total" a line), as it
# runs in the subshell of step's pipe.
run_ctest() {
  local preset=$1 log="$logs/ctest-$1.log"
  ctest --preset "$preset" --output-on-failure -j "$jobs" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  # "100% tests passed, 0 tests failed out of 42"
  local counts
  counts=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  if [[ -n $counts ]]; then
    echo "${counts%% *} ${counts##* }" >>"$logs/counts"
  elif ((status == 0)); then
    echo "ctest ($preset) ran no test" >&2
    status=1
  fi
  return "$status"
}

started=$SECONDS
for preset in "${presets[@]}"; do
  # After a failed build the tests that did build still run (ninja -k 0 builds all it can):
  # the summary then shows every failure at once. Tests whose binary is missing fail.
  if step "$preset:configure" cmake --preset "$preset"; then
    step "$preset:build" cmake --build --preset "$preset" -j "$jobs" -- -k 0
    step "$preset:test" run_ctest "$preset"
    # The sanitizer build also holds the libFuzzer targets: fuzz each for a bounded time.
    if [[ $preset == asan ]]; then
      step "asan:fuzz" bash scripts/fuzz.sh "${ATTESTMQ_FUZZ_SECONDS:-30}"
    fi
  fi
done

echo
echo "=== summary ($((SECONDS - started)) s)"
printf '%s\n' "${summary[@]}"
if ((${#failures[@]})); then printf '\n%s\n' "${failures[@]}"; fi
total_failed=0 total_run=0
while read -r failed total; do
  total_failed=$((total_failed + failed)) total_run=$((total_run + total))
done < <(cat "$logs/counts" 2>/dev/null)
echo "tests: $((total_run - total_failed)) passed, $total_failed failed"
((failed_steps == 0))
