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
  bool operator==(const Claims&) const = default;
};

std::optional<EvidenceType> evidence_type_from_string(std::string_view name);

// {1: evidence type (text), 2: module SHA-256 (bstr 32), 3: binder (bstr), 4: nonce (bstr)}
// in deterministic CBOR. Fails (nullopt) only if binder or nonce exceed their bounds.
std::optional<std::vector<std::uint8_t>> encode_claims(const Claims& claims);

// Accepts only the canonical encoding: exactly the four keys, in order, shortest heads, so
// that one set of claims has one digest.
std::optional<Claims> parse_claims(std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace attestmq::attest
