#!/usr/bin/env bash
# Builds OpenSSL's libcrypto.a and libssl.a for wasm32-wasi from Debian's source package,
# pinned by version and by the SHA-256 of what is unpacked (SHA256SUMS beside this script):
# download (or reuse the download), check, unpack, apply Debian's patches then ours
# (wasi.patch), configure with our target (wasm32-wasi.conf), build the libraries.
# docs/architecture.md, "OpenSSL in the Wasm build". Run by src/wasm/openssl/CMakeLists.txt:
#   build-openssl.sh VERSION DOWNLOAD_DIR WORK_DIR JOBS CC AR RANLIB
# leaves WORK_DIR/build/libcrypto.a, libssl.a and include/ (generated headers), and
# WORK_DIR/source/include (the others).
set -euo pipefail

if (($# != 7)); then
  echo "usage: $0 VERSION DOWNLOAD_DIR WORK_DIR JOBS CC AR RANLIB" >&2
  exit 2
fi
version=$1 downloads=$2 work=$3 jobs=$4
export CC=$5 AR=$6 RANLIB=$7
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
upstream=${version%%-*}                        # 3.0.17-1~deb12u2 -> 3.0.17
orig=openssl_${upstream}.orig.tar.gz
debian=openssl_${version#*:}.debian.tar.xz
started=$SECONDS

# The download is reused while its checksums hold; otherwise fetched again and checked.
mkdir -p "$downloads"
cd "$downloads"
if ! sha256sum --quiet --check "$here/SHA256SUMS" >/dev/null 2>&1; then
  echo "openssl-wasm: fetching Debian's source package openssl=$version into $downloads"
  if ! apt-get source --download-only -qq "openssl=$version"; then
    echo "openssl-wasm: apt-get source failed: scripts/setup.sh adds the deb-src entry" \
         "this needs (a copy of /etc/apt/sources.list.d/debian.sources with Types: deb-src)" >&2
    exit 1
  fi
  # Fails, naming the file, when the mirror's bytes are not the pinned ones.
  sha256sum --quiet --check "$here/SHA256SUMS"
fi

# A fresh tree every time: this runs only when the pin, the patch or the target changed.
rm -rf "$work/source" "$work/build"
mkdir -p "$work/source" "$work/build"
tar -xzf "$orig" -C "$work/source" --strip-components=1
tar -xJf "$debian" -C "$work/source"
cd "$work/source"
# Debian's series (format 3.0 quilt: -p1, one patch a line), then ours; no fuzz, so a
# patch that no longer fits stops the build instead of landing in the wrong place.
while read -r patch _; do
  [[ -z $patch || $patch == \#* ]] && continue
  patch -p1 --fuzz=0 --quiet <"debian/patches/$patch"
done <debian/patches/series
patch -p1 --fuzz=0 --quiet <"$here/wasi.patch"

# Reproducible libraries: OpenSSL's build information takes its date from
# SOURCE_DATE_EPOCH, here the date of the pinned Debian upload, and the compiler sees the
# sources by relative paths (../source/...), whatever the build tree's location.
changelog_date=$(sed -n 's/^ -- .*>  //p' debian/changelog | head -n 1)
SOURCE_DATE_EPOCH=$(date -d "$changelog_date" +%s)
export SOURCE_DATE_EPOCH

cd "$work/build"
# Options: DESIGN.md section 2. WASI preview 1 has no sockets, threads, dlopen, mlock
# (secure memory), ucontext (async) or terminal; engines are deprecated and need dlopen.
# no-autoload-config: the library never reads an openssl.cnf, which inside a TEE would be
# a file the untrusted host supplies and could change the algorithms or the providers.
perl ../source/Configure --config="$here/wasm32-wasi.conf" wasm32-wasi-attestmq \
  no-asm no-threads no-sock no-afalgeng no-ui-console no-engine no-dso no-shared \
  no-tests no-secure-memory no-async no-autoload-config >configure.log 2>&1 ||
  { cat configure.log >&2; exit 1; }
# OpenSSL's make echoes every command line; keep them in a log, show its end on failure.
if ! make -j"$jobs" build_libs >make.log 2>&1; then
  tail -n 40 make.log >&2
  echo "openssl-wasm: build failed, full log in $work/build/make.log" >&2
  exit 1
fi
echo "openssl-wasm: OpenSSL $version for wasm32-wasi built in $((SECONDS - started)) s"
