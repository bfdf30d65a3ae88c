#!/usr/bin/env bash
# Fuzzes every libFuzzer target of the asan build for a bounded time, two at a time (one per
# core), starting from its checked-in corpus (fuzz/corpus/<target>/, never modified here).
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# A crash leaves its input in build/asan/fuzz-artifacts/<target>/; copy it into the target's
# corpus and add a unit test, so the bug stays fixed. Exits non-zero if any target crashed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
shift || true
build=build/asan/fuzz
targets=("$@")
if ((${#targets[@]} == 0)); then
  for binary in "$build"/*_fuzz; do
    [[ -x $binary ]] && targets+=("$(basename "$binary")")
  done
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: no targets in $build (build the asan preset first)" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# fuzz_one TARGET: new inputs go to a scratch corpus; the checked-in one is read only.
fuzz_one() {
  local target=$1
  local artifacts=build/asan/fuzz-artifacts/$target
  mkdir -p "$scratch/$target" "$artifacts"
  "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$scratch/$target" "fuzz/corpus/$target" >"$scratch/$target.log" 2>&1
  local status=$?
  local stats
  stats=$(grep -E '^stat::number_of_executed_units' "$scratch/$target.log" | awk '{print $2}')
  if ((status == 0)); then
    echo "fuzz: $target ok, ${stats:-?} runs in ${seconds} s"
  else
    echo "fuzz: $target FAILED (exit $status); input saved in $artifacts/"
    tail -n 40 "$scratch/$target.log"
  fi
  return "$status"
}

failed=0
pids=()
names=()
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  pids+=($!)
  names+=("$target")
  if ((${#pids[@]} == 2)); then
    wait "${pids[0]}" || failed=$((failed + 1))
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid" || failed=$((failed + 1))
done
echo "fuzz: ${#targets[@]} targets, $failed failed"
((failed == 0))
