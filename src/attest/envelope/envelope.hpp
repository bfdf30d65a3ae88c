#pragma once
// The AttestMQ evidence envelope (docs/evidence.md): a CMW collection of type
// kEnvelopeTypeV1 holding the platform evidence, the AttestMQ claims and optional collateral.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/verification.hpp"
#include "attest/envelope/claims.hpp"

namespace attestmq::attest {

// The collection type ("__cmwc_t") doubles as the format version.
inline constexpr std::string_view kEnvelopeTypeV1 = "tag:attestmq.org,2026:envelope/v1";

inline constexpr std::string_view kClaimsMediaType = "application/vnd.attestmq.claims+cbor";
inline constexpr std::string_view kIntelCollateralMediaType =
    "application/vnd.attestmq.intel-collateral+json";
// RFC 8555 section 7.4.2: PEM certificates, leaf first (SNP: VCEK, ASK, ARK).
inline constexpr std::string_view kCertificateChainMediaType = "application/pem-certificate-chain";

inline constexpr std::size_t kMaxEnvelopeBytes = 64 * 1024;
inline constexpr std::size_t kMaxEvidenceBytes = 16 * 1024;
inline constexpr std::size_t kMaxCollateralBytes = 44 * 1024;

std::string_view evidence_media_type(EvidenceType type);

struct EnvelopeCollateral {
  std::string media_type;  // kIntelCollateralMediaType or kCertificateChainMediaType
  std::vector<std::uint8_t> bytes;
  bool operator==(const EnvelopeCollateral&) const = default;
};

struct Envelope {
  std::vector<std::uint8_t> evidence;  // quote, report or sim report; type in claims
  Claims claims;
  std::optional<EnvelopeCollateral> collateral;
  bool operator==(const Envelope&) const = default;
};

// nullopt if a field exceeds its bound (the same bounds the parser enforces).
std::optional<std::vector<std::uint8_t>> encode_envelope(const Envelope& envelope,
                                                         std::string& error);
std::optional<Envelope> parse_envelope(std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace attestmq::attest
