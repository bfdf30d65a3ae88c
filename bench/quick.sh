#!/usr/bin/env bash
# A quick side-by-side check for anyone changing the broker (issue #12): a reduced set of
# bench/compare.py's scenarios, one short run each, against the native broker, the enclave
# (sim TEE), the module under node and Debian's mosquitto; prints the tables and the ratios.
# Under 3 minutes on a 2-core machine. Not a measurement to publish: docs/benchmarks.md
# ("Reproducing") has the full runs, with repetitions.
#   bash bench/quick.sh [BUILD_DIR]      (default build/release, as scripts/build.sh makes it)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/release}
attestmq=$build/apps/attestmq/attestmq
enclave=$build/src/wasm/runner/enclave/attestmq-enclave
for binary in "$attestmq" "$enclave"; do
  if [[ ! -x $binary ]]; then
    echo "bench/quick.sh: $binary is missing: build first (cmake --preset release &&" \
         "cmake --build --preset release)" >&2
    exit 1
  fi
done
# Results and plots go to a scratch directory (printed at the end): a quick run never
# overwrites the published ones.
output=$(mktemp -d "${TMPDIR:-/tmp}/attestmq-quick.XXXXXX")
exec /usr/bin/python3 "$root/bench/compare.py" --attestmq "$attestmq" --enclave "$enclave" \
  --scenarios pairs-qos0 pairs-qos1 fanout-qos0 tls-pairs-qos0 tls-connect \
  --repeat 1 --duration 2 --warmup 0.5 \
  --output "$output/quick.json" --images "$output/img"
