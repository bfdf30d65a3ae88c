#pragma once
// ECDSA P-256 with SHA-256 over raw encodings: 64-byte public keys (x || y) and 64-byte
// signatures (r || s), both big-endian, verified through OpenSSL's EVP interface. DCAP
// quotes and collateral and the sim report all sign this way; this is the one verifier.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <openssl/evp.h>

namespace attestmq::attest {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// Builds a P-256 public key from x || y; null if the point is not on the curve.
EvpPkeyPtr p256_key_from_raw(std::span<const std::uint8_t> xy);

// True if `key` is an EC key on P-256 (prime256v1).
bool is_p256_key(EVP_PKEY* key);

// True if `signature` (r || s) is a valid ECDSA-SHA256 signature of `data` under `key`.
bool verify_ecdsa_sha256_raw(EVP_PKEY* key, std::span<const std::uint8_t> data,
                             std::span<const std::uint8_t> signature);

std::string sha256_hex(std::span<const std::uint8_t> data);

}  // namespace attestmq::attest
