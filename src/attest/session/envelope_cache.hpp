#pragma once
// The verifier's cache of cached-mode platform evidence, docs/attestation.md section 6.2
// ("Client cache"): a cached envelope whose platform checks passed is remembered, so that the
// next session presenting it costs the session checks and one signature verification. Only
// the platform's verdict is remembered; the session checks are never cached.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attest/common/cache_mutex.hpp"
#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/verification.hpp"
#include "attest/envelope/claims.hpp"
#include "attest/verifier.hpp"

namespace attestmq::attest::session {

class VerifiedEnvelopeCache {
 public:
  struct Verdict {
    VerificationResult platform;  // the platform checks, envelope.report_data and their claims
    Claims platform_claims;
    // K from key 8, parsed and checked once (cached.session_key): decoding a public key
    // through OpenSSL 3 costs several signature checks, and a hit is meant to cost one.
    std::shared_ptr<EVP_PKEY> session_key;
  };

  explicit VerifiedEnvelopeCache(std::size_t capacity = 16) : capacity_(capacity) {}

  // The verdict on `envelope` under the same policy and trust anchors as `verify`, if it was
  // remembered and `now` (seconds since 1970) is before its end.
  std::optional<Verdict> find(std::span<const std::uint8_t> envelope, const VerifyRequest& verify,
                              std::int64_t now);
  // Remembers a verdict until the earlier of `quote_end` (when check 5 starts refusing the
  // quote) and verdict.platform.valid_until (when a certificate, CRL or collateral item the
  // platform checks accepted expires), so that a hit never skips a check that would now fail.
  // A verdict on other than sim evidence with no valid_until is not remembered: only sim
  // evidence rests on nothing that expires. The oldest entry goes when the cache is full.
  void remember(std::span<const std::uint8_t> envelope, const VerifyRequest& verify,
                Verdict verdict, std::int64_t quote_end);

  std::size_t hits() const;
  std::size_t size() const;

 private:
  // What a verdict depends on besides the envelope's bytes: a verdict reached under one policy
  // or one root is never reused under another. The verification time is not among them; the
  // entry's end bounds it.
  struct Inputs {
    std::optional<EvidenceType> type;
    std::optional<std::string> root_pem;
    std::vector<std::vector<std::uint8_t>> certs;
    std::vector<std::vector<std::uint8_t>> crls;
    std::optional<std::string> collateral_json;
    Policy policy;
    bool operator==(const Inputs&) const = default;
  };
  struct Entry {
    std::array<std::uint8_t, 32> envelope_sha256;
    Inputs inputs;
    Verdict verdict;
    std::int64_t until;
  };
  static Inputs inputs_of(const VerifyRequest& verify);

  const std::size_t capacity_;
  mutable CacheMutex mutex_;  // one cache may serve several connections' threads
  std::vector<Entry> entries_;  // oldest first
  std::size_t hits_ = 0;
};

}  // namespace attestmq::attest::session
