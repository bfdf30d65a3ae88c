#!/usr/bin/env bash
# Builds libcbor.a for wasm32-wasi from Debian's source package, pinned by version and by the
# SHA-256 of what is unpacked (SHA256SUMS beside this script, copied from the Checksums-Sha256
# of Debian's signed .dsc): download (or reuse the download), check, unpack, apply Debian's
# patches, configure libcbor's own CMake project with our toolchain file, build, install into
# WORK_DIR/install. docs/architecture.md, "libcbor in the Wasm build". Run by
# src/wasm/libcbor/CMakeLists.txt:
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
upstream=${version%%-*}                        # 0.8.0-2 -> 0.8.0
orig=libcbor_${upstream}.orig.tar.gz
debian=libcbor_${version#*:}.debian.tar.xz
started=$SECONDS

# The download is reused while its checksums hold; otherwise fetched again and checked.
mkdir -p "$downloads"
cd "$downloads"
if ! sha256sum --quiet --check "$here/SHA256SUMS" >/dev/null 2>&1; then
  echo "libcbor-wasm: fetching Debian's source package libcbor=$version into $downloads"
  if ! apt-get source --download-only -qq "libcbor=$version"; then
    echo "libcbor-wasm: apt-get source failed. scripts/setup.sh adds the deb-src entry this" \
         "needs; if the mirror lacks the files, put $orig and $debian (checked against" \
         "$here/SHA256SUMS) into $downloads" >&2
    exit 1
  fi
  # Fails, naming the file, when the mirror's bytes are not the pinned ones.
  sha256sum --quiet --check "$here/SHA256SUMS"
fi

# A fresh tree every time: this runs only when the pin, the script or the toolchain changed.
rm -rf "$work/source" "$work/build" "$work/install"
mkdir -p "$work/source" "$work/build"
tar -xzf "$orig" -C "$work/source" --strip-components=1
tar -xJf "$debian" -C "$work/source"
cd "$work/source"
# Debian's series (format 3.0 quilt: -p1, one patch a line), if the package has one; no
# fuzz, so a patch that no longer fits stops the build instead of landing in the wrong place.
if [[ -f debian/patches/series ]]; then
  while read -r patch _; do
    [[ -z $patch || $patch == \#* ]] && continue
    patch -p1 --fuzz=0 --quiet <"debian/patches/$patch"
  done <debian/patches/series
fi

# Configured as Debian's own build does (debhelper: build type None, flags given), never
# Release: libcbor adds -O3 -flto to Release, and LTO objects in a static archive would
# defer code generation to whoever links the module. Static only; no tests (they need
# CMocka), no examples, no documentation. -ffile-prefix-map: the library does not depend
# on the build tree's location.
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
