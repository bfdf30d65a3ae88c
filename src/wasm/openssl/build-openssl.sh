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
  # Three tries, a pause between them: a mirror that drops one transfer should not fail a
  # whole build.
  for attempt in 1 2 3; do
    apt-get source --download-only -qq "openssl=$version" && break
    if ((attempt == 3)); then
      echo "openssl-wasm: apt-get source failed 3 times: scripts/setup.sh adds the deb-src" \
           "entry this needs (a copy of /etc/apt/sources.list.d/debian.sources with" \
           "Types: deb-src)" >&2
      exit 1
    fi
    echo "openssl-wasm: apt-get source failed (attempt $attempt of 3), retrying in 10 s" >&2
    sleep 10
  done
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
# Not `sed | head -n 1`: under pipefail, sed killed by SIGPIPE after head exits would end
# the script, silently and only sometimes.
changelog_date=$(sed -n '/^ -- /{s/^ -- .*>  //p;q}' debian/changelog)
SOURCE_DATE_EPOCH=$(date -d "$changelog_date" +%s)
export SOURCE_DATE_EPOCH

cd "$work/build"
# Options: DESIGN.md section 2. WASI preview 1 has no sockets, threads, dlopen, mlock
# (secure memory), ucontext (async) or terminal; engines are deprecated and need dlopen.
# no-autoload-config: the library never reads an openssl.cnf, which inside a TEE would be
# a file the untrusted host supplies and could change the algorithms or the providers.
# Left out as well: every algorithm and protocol the module never uses. TLS 1.2 and 1.3
# with RSA, ECDSA, Ed25519, (EC)DHE and PSK, AES-GCM and ChaCha20-Poly1305, X.509 with CRLs,
# PEM and PKCS#8 keys, SHA-1/2/3, HKDF and PBKDF2 stay (passwords, attestation evidence);
# less code to trust and a shorter build. docs/architecture.md, "OpenSSL in the Wasm build".
unused=(no-aria no-bf no-blake2 no-camellia no-cast no-cmp no-cms no-comp no-ct no-des no-dsa
        no-dtls no-ec2m no-gost no-idea no-legacy no-md4 no-mdc2 no-nextprotoneg no-ocb no-ocsp
        no-rc2 no-rc4 no-rc5 no-rmd160 no-scrypt no-sctp no-seed no-siv no-sm2 no-sm3 no-sm4
        no-srp no-srtp no-ts no-whirlpool)
# enable-ec_nistp_64_gcc_128: P-256 (the broker's ECDSA signature in every handshake) by
# ecp_nistp256.c, constant-time C with 64-bit limbs and 128-bit products, instead of the
# generic bignum code; without assembly it makes a TLS connect cost 2.3x the native CPU
# instead of 6x (docs/benchmarks.md).
perl ../source/Configure --config="$here/wasm32-wasi.conf" wasm32-wasi-attestmq \
  no-asm no-threads no-sock no-afalgeng no-ui-console no-engine no-dso no-shared \
  no-tests no-secure-memory no-async no-autoload-config enable-ec_nistp_64_gcc_128 \
  "${unused[@]}" >configure.log 2>&1 ||
  { cat configure.log >&2; exit 1; }
# OpenSSL's make echoes every command line; keep them in a log, show its end on failure.
if ! make -j"$jobs" build_libs >make.log 2>&1; then
  tail -n 40 make.log >&2
  echo "openssl-wasm: build failed, full log in $work/build/make.log" >&2
  exit 1
fi
echo "openssl-wasm: OpenSSL $version for wasm32-wasi built in $((SECONDS - started)) s"
