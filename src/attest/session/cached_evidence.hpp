#pragma once
// Cached mode, docs/attestation.md section 6.2: the TEE signs once a key pair K it generated
// itself (its public key in the platform claims, key 8), and K signs each session's REPORTDATA.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/ecdsa_p256.hpp"
#include "attest/envelope/report_data.hpp"
#include "attest/provider/provider.hpp"

namespace attestmq::attest::session {

// Section 6.2: the session signature's domain label, followed in the signed bytes by 0x00.
inline constexpr std::string_view kSessionSignatureLabel = "AttestMQ session signature v1";
// Section 6.2: the platform claims' nonce, drawn by the TEE for each quote.
inline constexpr std::size_t kPlatformNonceBytes = 32;

// The bytes K signs for one session: label || 0x00 || REPORTDATA(session claims).
std::vector<std::uint8_t> session_signature_input(const ReportData& report_data);

// K's public half from key 8: a DER SubjectPublicKeyInfo of a P-256 key in its canonical
// (uncompressed, named-curve) form, nothing after it. nullptr with `error` otherwise.
EvpPkeyPtr parse_session_public_key(std::span<const std::uint8_t> der, std::string& error);

// What the TEE holds in cached mode: K, in memory only and never written anywhere, and the
// cached envelope, whose platform claims {1, 2, 3 empty, 4 random, 7 if any, 8 K, 9 issued_at} the
// platform evidence commits to. Immutable once made: a refresh makes a new one.
class CachedEvidence {
 public:
  // Section 6.2 steps 1 and 2. nullptr with `error` if key generation, the random nonce or the
  // provider fails.
  static std::shared_ptr<const CachedEvidence> make(Provider& provider, const Software& software,
                                                    std::uint64_t issued_at, std::string& error);

  const std::vector<std::uint8_t>& envelope() const { return envelope_; }
  std::uint64_t issued_at() const { return issued_at_; }
  // K's signature (r || s) over session_signature_input(report_data); nullopt if OpenSSL fails.
  std::optional<std::array<std::uint8_t, 64>> sign(const ReportData& report_data) const;

 private:
  CachedEvidence(EvpPkeyPtr key, std::vector<std::uint8_t> envelope, std::uint64_t issued_at)
      : key_(std::move(key)), envelope_(std::move(envelope)), issued_at_(issued_at) {}
  EvpPkeyPtr key_;
  std::vector<std::uint8_t> envelope_;
  std::uint64_t issued_at_;
};

}  // namespace attestmq::attest::session
