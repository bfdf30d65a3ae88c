#!/usr/bin/env bash
# Installs every Debian 12 package that building AttestMQ and running all its tests need.
# Idempotent: when everything is already installed it only checks, without touching apt.
#   bash scripts/setup.sh
set -euo pipefail

# Grouped by what needs them; keep in step with README.md "Building".
packages=(
  # native build
  cmake ninja-build g++ pkg-config
  libssl-dev libsqlite3-dev libcli11-dev libfmt-dev nlohmann-json3-dev libcbor-dev
  # unit tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # integration tests: real peers, and plots of benchmark results
  mosquitto mosquitto-clients python3 python3-pytest python3-paho-mqtt python3-matplotlib
  # the second implementation of attested sessions (tests/integration/spec_client.py)
  python3-openssl python3-cbor2 python3-cryptography
  tshark
  openssl procps util-linux iproute2
  # the sanitizer build and the fuzzers: clang-19 with its ASan, UBSan and libFuzzer runtimes
  libclang-rt-19-dev
  # the Wasm build: clang-19 for wasm32-wasi, its libc and C++ runtime, node's WASI, wasm2c
  clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
  libclang-rt-19-dev-wasm32 nodejs wabt
)

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  else
    sudo "$@"
  fi
}

missing_packages() {
  local package status
  for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
    [[ $status == ii* ]] || echo "$package"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's mosquitto package enables its own broker on port 1883, the port AttestMQ's default
# config listens on. The mosquitto binary is needed (tests use it as a reference broker), its
# system service is not: stop it and keep it from starting at boot.
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
  if systemctl is-enabled --quiet mosquitto.service 2>/dev/null ||
     systemctl is-active --quiet mosquitto.service 2>/dev/null; then
    echo "setup: stopping and disabling Debian's mosquitto.service (it holds port 1883)"
    as_root systemctl disable --now mosquitto.service
  fi
elif [[ -x /etc/init.d/mosquitto ]] && /etc/init.d/mosquitto status >/dev/null 2>&1; then
  echo "setup: stopping Debian's mosquitto service (it holds port 1883)"
  as_root /etc/init.d/mosquitto stop
  as_root update-rc.d mosquitto disable
fi
