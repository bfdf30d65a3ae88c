#pragma once
// The simulated platform key: ECDSA P-256, generated locally and kept in a PEM file.
// SIMULATED, NO SECURITY: anyone who can read the file can forge sim evidence.
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace attestmq::attest {

struct SimKeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using SimKeyPtr = std::unique_ptr<EVP_PKEY, SimKeyDeleter>;

// Loads the P-256 private key at `path`, or creates one there (mode 0600) if no file exists.
SimKeyPtr load_or_create_sim_key(const std::filesystem::path& path, std::string& error);
// The SubjectPublicKeyInfo PEM a verifier pins (`attestmq verify --root`).
std::string sim_public_key_pem(EVP_PKEY* key);
// A P-256 public key from PEM (SubjectPublicKeyInfo), or nullptr and `error`.
SimKeyPtr parse_sim_public_key(const std::string& pem, std::string& error);

// ECDSA P-256 over SHA-256; the signature as r || s (32 bytes each, big-endian), the form
// verify_ecdsa_sha256_raw (common/ecdsa_p256.hpp) checks.
std::optional<std::array<std::uint8_t, 64>> sim_sign(EVP_PKEY* key,
                                                     std::span<const std::uint8_t> message);

}  // namespace attestmq::attest
