#pragma once
// The claims AttestMQ adds to platform evidence, and their canonical CBOR encoding, whose
// SHA-256 goes into REPORTDATA (docs/evidence.md, "Claims").
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/verification.hpp"

namespace attestmq::attest {

inline constexpr std::size_t kMaxBinderBytes = 64;
inline constexpr std::size_t kMaxNonceBytes = 64;

struct Claims {
  EvidenceType evidence_type = EvidenceType::sim;
  std::array<std::uint8_t, 32> module_sha256{};  // of the Wasm module or native binary
  std::vector<std::uint8_t> binder;              // from the TLS session, <= 64 bytes
  std::vector<std::uint8_t> nonce;               // the verifier's challenge, <= 64 bytes
  // docs/attestation.md section 5.1, keys 5 and 6: the TLS credential the attester used.
  std::optional<std::array<std::uint8_t, 32>> tls_certificate_key_sha256;  // SHA-256 of SPKI DER
  std::optional<std::array<std::uint8_t, 32>> psk_identity_sha256;  // SHA-256 of the identity
  // Section 5.1, key 7: SHA-256 of the broker's effective security configuration
  // (docs/evidence.md, "The configuration digest"); a client's claims have none.
  std::optional<std::array<std::uint8_t, 32>> configuration_digest;
  // Section 5.1, keys 8 and 9: only in cached mode's platform claims (section 6.2).
  std::optional<std::vector<std::uint8_t>> session_public_key;  // DER SubjectPublicKeyInfo of K
  std::optional<std::uint64_t> issued_at;                       // seconds since 1970, TEE clock
  bool operator==(const Claims&) const = default;
};

// What an attester names of itself beside its platform's evidence: the module it runs (key 2)
// and, for a broker, the configuration that module loaded (key 7). A client's is its module
// alone, hence the conversion from a module hash.
struct Software {
  Software() = default;
  Software(const std::array<std::uint8_t, 32>& module) : module_sha256(module) {}  // NOLINT
  Software(const std::array<std::uint8_t, 32>& module, const std::array<std::uint8_t, 32>& configuration)
      : module_sha256(module), configuration_digest(configuration) {}
  std::array<std::uint8_t, 32> module_sha256{};
  std::optional<std::array<std::uint8_t, 32>> configuration_digest;
  bool operator==(const Software&) const = default;
};

std::optional<EvidenceType> evidence_type_from_string(std::string_view name);

// {1: evidence type (text), 2: module SHA-256 (bstr 32), 3: binder (bstr), 4: nonce (bstr),
// 5: TLS certificate key SHA-256 (bstr 32, if any), 6: PSK identity SHA-256 (bstr 32, if any),
// 7: configuration digest (bstr 32, if any), 8: session public key (bstr, if any),
// 9: issued at (uint, if any)} in deterministic CBOR.
// Fails (nullopt) only if binder or nonce exceed their bounds.
std::optional<std::vector<std::uint8_t>> encode_claims(const Claims& claims);

// Accepts only the canonical encoding: keys 1 to 4, then 5 to 9 if present, in order,
// shortest heads, so that one set of claims has one digest. Keys above 9 are refused;
// which keys a session or platform claims may carry is the session verifier's business.
std::optional<Claims> parse_claims(std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace attestmq::attest
