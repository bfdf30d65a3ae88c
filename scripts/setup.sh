#!/usr/bin/env bash
# Installs every Debian 12 package that building AttestMQ and running all its tests need.
# Idempotent: when everything is already installed it only checks, without touching apt.
#   bash scripts/setup.sh
set -euo pipefail

# Grouped by what needs them; keep in step with README.md "Building".
packages=(
  # native build; ccache lets a preset reuse another's identical compiles (scripts/test.sh)
  cmake ninja-build g++ pkg-config ccache
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
  # OpenSSL for wasm32-wasi, built from Debian's source package (src/wasm/openssl)
  # and libcbor from its tarball in Debian's pool (src/wasm/libcbor)
  make perl patch xz-utils curl
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

# The Wasm build fetches OpenSSL's Debian source package with `apt-get source`, which needs
# a deb-src entry; a fresh Debian 12 has none. Add one that mirrors the deb entries.
have_deb_src() {
  grep -qsE '^(Types:.*\bdeb-src\b|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*
}
add_deb_src() {
  local deb822=/etc/apt/sources.list.d/debian.sources
  if [[ -f $deb822 ]]; then
    sed 's/^Types: deb$/Types: deb-src/' "$deb822" | as_root tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | as_root tee /etc/apt/sources.list.d/debian-src.list >/dev/null
  fi
}

update_needed=0
if ! have_deb_src; then
  echo "setup: adding a deb-src entry (the Wasm build compiles OpenSSL from Debian's sources)"
  add_deb_src
  update_needed=1
fi
mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0 && update_needed == 0)); then
  echo "setup: all ${#packages[@]} packages present"
else
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
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
