#!/usr/bin/env bash
# Builds libcbor.a for wasm32-wasi from upstream's release tarball as Debian's archive holds
# it, pinned by version and by its SHA-256 (SHA256SUMS beside this script): download with curl
# from the pool of the Debian archives apt is configured with (or reuse the download), check,
# unpack, configure libcbor's own CMake project with our toolchain file, build, install into
# WORK_DIR/install. No Debian patch series is applied: for this version the archive serves the
# upstream tarball only, no .dsc and no debian.tar.xz, so there is none to fetch and the
# library is upstream's release as it is. docs/architecture.md, "libcbor in the Wasm build".
# Run by src/wasm/libcbor/CMakeLists.txt:
#   build-libcbor.sh VERSION DOWNLOAD_DIR WORK_DIR JOBS TOOLCHAIN_FILE LAUNCHER
# leaves WORK_DIR/install/lib/libcbor.a and WORK_DIR/install/include (cbor.h, cbor/).
# LAUNCHER is the compiler launcher (ccache) or an empty string.
set -euo pipefail

if (($# != 6)); then
  echo "usage: $0 VERSION DOWNLOAD_DIR WORK_DIR JOBS TOOLCHAIN_FILE LAUNCHER" >&2
  exit 2
fi
version=$1 downloads=$2 work=$3 jobs=$4 toolchain=$5 launcher=$6
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
orig=libcbor_${version}.orig.tar.gz
pool=pool/main/libc/libcbor
started=$SECONDS

# Without a .dsc, nothing signed vouches for the tarball: the pinned SHA-256 is all that does.
pinned_sha256=$(awk -v file="$orig" '$2 == file { print $1 }' "$here/SHA256SUMS")
if [[ -z $pinned_sha256 ]]; then
  echo "libcbor-wasm: $here/SHA256SUMS has no line for $orig; the pin" \
       "(ATTESTMQ_LIBCBOR_WASM_VERSION) and SHA256SUMS change together" >&2
  exit 1
fi
sha256_of() { sha256sum <"$1" | cut -d ' ' -f 1; }

# The archive roots apt fetches from (deb822 or one-line sources alike), in apt's order.
archive_roots() {
  apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' | awk '!seen[$0]++'
}

# The download is reused while its checksum holds; otherwise fetched again and checked.
mkdir -p "$downloads"
cd "$downloads"
if [[ ! -f $orig || $(sha256_of "$orig") != "$pinned_sha256" ]]; then
  echo "libcbor-wasm: fetching $orig from Debian's pool into $downloads"
  fetched_from=
  for root in $(archive_roots); do
    if curl -fsSL --retry 2 -o "$orig" "${root%/}/$pool/$orig"; then
      fetched_from=${root%/}/$pool/$orig
      break
    fi
    rm -f "$orig"
  done
  if [[ -z $fetched_from ]]; then
    echo "libcbor-wasm: no archive apt is configured with serves $pool/$orig; put $orig" \
         "(checked against $here/SHA256SUMS) into $downloads" >&2
    exit 1
  fi
  # Checked before anything is unpacked: other bytes stop the build and are not kept.
  actual_sha256=$(sha256_of "$orig")
  if [[ $actual_sha256 != "$pinned_sha256" ]]; then
    rm -f "$orig"
    echo "libcbor-wasm: $orig from $fetched_from has SHA-256 $actual_sha256, not" \
         "$pinned_sha256 ($here/SHA256SUMS); not the pinned libcbor $version, removed" >&2
    exit 1
  fi
fi

# A fresh tree every time: this runs only when the pin, the script or the toolchain changed.
rm -rf "$work/source" "$work/build" "$work/install"
mkdir -p "$work/source" "$work/build"
tar -xzf "$orig" -C "$work/source" --strip-components=1

# Configured as Debian's own build does (debhelper: build type None, flags given), not
# Release, which adds -O3. libcbor also asks for LTO in any build type, through a directory
# property that does not reach its library target: no -flto reaches the compiler, and
# libcbor.a holds wasm objects, not bitcode for whoever links the module to compile
# (docs/architecture.md). Static only; no tests (they need CMocka), no examples, no
# documentation. -ffile-prefix-map: the library does not depend on the build tree's location.
cmake -S "$work/source" -B "$work/build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_C_COMPILER_LAUNCHER="$launcher" \
  -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS="-O2 -ffile-prefix-map=$work/=" \
  -DCMAKE_INSTALL_PREFIX="$work/install" -DBUILD_SHARED_LIBS=OFF \
  -DWITH_TESTS=OFF -DWITH_EXAMPLES=OFF -DSANITIZE=OFF \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 1; }
if ! cmake --build "$work/build" -j "$jobs" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "libcbor-wasm: build failed, full log in $work/build.log" >&2
  exit 1
fi
cmake --install "$work/build" >/dev/null
echo "libcbor-wasm: libcbor $version for wasm32-wasi built in $((SECONDS - started)) s"
