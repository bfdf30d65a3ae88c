// Cached mode at the verifier, docs/attestation.md section 6.2: the session signature counts
// only under the key K that the platform evidence's REPORTDATA commits to (key 8 of the
// platform claims), and only while the quote is young enough for the policy. This is what
// refuses a stale quote next to a fresh binder (GHSA-j7r9-wq7m-6hcp).
#include <fmt/format.h>

#include <ctime>
#include <limits>

#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/iso8601.hpp"
#include "attest/session/verify_cached.hpp"

namespace attestmq::attest::session {

namespace {

// Section 6.2 check 5: a TEE clock up to five minutes ahead of the verifier's is tolerated.
constexpr std::int64_t kMaxClockAheadSeconds = 300;

std::int64_t verification_time(const VerifyRequest& verify) {
  return verify.at_unix != 0 ? verify.at_unix : static_cast<std::int64_t>(std::time(nullptr));
}

// Check 2: what is wrong with the platform claims as cached mode's, or nullptr.
const char* platform_claims_problem(const Claims& platform) {
  if (!platform.session_public_key) return "the platform claims carry no session public key (key 8)";
  if (!platform.issued_at) return "the platform claims carry no issue time (key 9)";
  if (!platform.binder.empty()) return "the platform claims' binder (key 3) is not empty";
  if (platform.tls_certificate_key_sha256 || platform.psk_identity_sha256) {
    return "the platform claims name a TLS key (keys 5 and 6 belong in the session claims)";
  }
  return nullptr;
}

// Check 2: K, from key 8 of the platform claims and nowhere else.
EvpPkeyPtr check_session_key(const Claims& platform, VerificationResult& result) {
  const char* problem = platform_claims_problem(platform);
  std::string error;
  EvpPkeyPtr key =
      problem == nullptr ? parse_session_public_key(*platform.session_public_key, error) : nullptr;
  const std::string detail = problem != nullptr ? problem
                             : key              ? "session key K: P-256, from the platform claims' key 8"
                                                : error;
  return result.check("cached.session_key", key != nullptr, detail) ? std::move(key) : nullptr;
}

// Check 3: the session claims parse, and K signed REPORTDATA over them.
std::optional<Claims> check_signature(EVP_PKEY* key, const CachedSession& cached,
                                      VerificationResult& result) {
  std::string error;
  auto session = parse_claims(cached.session_claims, error);
  const auto report_data = session ? compute_report_data(*session) : std::nullopt;
  const bool signed_by_key =
      report_data &&
      verify_ecdsa_sha256_raw(key, session_signature_input(*report_data), cached.signature);
  const std::string detail =
      !session        ? "session claims: " + error
      : signed_by_key ? "K signed REPORTDATA(session claims)"
                      : "the session signature is not K's over REPORTDATA(session claims)";
  if (!result.check("cached.signature", signed_by_key, detail)) return std::nullopt;
  return session;
}

// Check 5: now - issued_at within [-300 s, max_quote_age_seconds].
bool check_quote_age(const Claims& platform, const VerifyRequest& verify,
                     VerificationResult& result) {
  const std::int64_t now = verification_time(verify);
  const std::uint64_t issued = *platform.issued_at;
  const std::int64_t max_age = verify.policy.max_quote_age_seconds;
  // An issue time beyond int64 is far in the future: too far ahead, never an overflow.
  constexpr auto kLatest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  const bool representable = issued <= kLatest;
  const std::int64_t age = representable ? now - static_cast<std::int64_t>(issued)
                                         : std::numeric_limits<std::int64_t>::min();
  if (representable) {
    result.claims["quote_issued_at"] = format_iso8601_utc(static_cast<std::int64_t>(issued));
  }
  const bool fresh = age >= -kMaxClockAheadSeconds && age <= max_age;
  return result.check("cached.quote_age", fresh,
                      !representable ? fmt::format("quote issued at {}, beyond any clock", issued)
                      : age < -kMaxClockAheadSeconds
                          ? fmt::format("quote issued {} s in the future (at most 300)", -age)
                          : fmt::format("quote issued {} s ago (max_quote_age_seconds {})", age,
                                        max_age));
}

}  // namespace

bool absorb(VerificationResult& result, const VerificationResult& part) {
  result.type = part.type;
  result.checks.insert(result.checks.end(), part.checks.begin(), part.checks.end());
  auto claims = part.claims;
  result.claims.merge(claims);
  if (part.valid_until) result.valid_no_later_than(*part.valid_until);
  return result.valid();
}

VerificationResult verify_platform(std::span<const std::uint8_t> envelope,
                                   const Expectation& expectation) {
  VerifyRequest platform = expectation.verify;
  platform.expected_binder.reset();
  platform.expected_nonce.reset();
  return verify_evidence_before_policy(envelope, platform);
}

std::optional<Claims> verify_cached(const Envelope& envelope, const EvidenceBlock& block,
                                    const Expectation& expectation, VerificationResult& result) {
  const VerifyRequest& verify = expectation.verify;
  const Claims& platform = envelope.claims;
  // Check 1: the platform evidence over the platform claims, unless this cache verified these
  // very bytes under this very policy before. Everything below is checked every time.
  std::optional<VerifiedEnvelopeCache::Verdict> verdict;
  if (expectation.cache != nullptr) {
    verdict = expectation.cache->find(block.envelope, verify, verification_time(verify));
  }
  const bool remembered = verdict.has_value();
  if (remembered) {
    // Its claims, not its checks: this session made none of them.
    result.type = verdict->platform.type;
    auto claims = verdict->platform.claims;
    result.claims.merge(claims);
    if (verdict->platform.valid_until) result.valid_no_later_than(*verdict->platform.valid_until);
    result.check("cached.platform", true,
                 fmt::format("platform evidence verified in an earlier session (envelope SHA-256 "
                             "{}), remembered within max_quote_age_seconds and the validity of "
                             "its certificates, CRLs and collateral",
                             sha256_hex(block.envelope)));
  } else {
    verdict = VerifiedEnvelopeCache::Verdict{verify_platform(block.envelope, expectation), platform,
                                             nullptr};
    if (!absorb(result, verdict->platform)) return std::nullopt;
  }
  std::shared_ptr<EVP_PKEY> key;
  if (remembered) {
    key = verdict->session_key;
    result.check("cached.session_key", true, "session key K: remembered with the platform verdict");
  } else {
    key = check_session_key(platform, result);
    if (!key) return std::nullopt;
    verdict->session_key = key;
  }
  auto session = check_signature(key.get(), *block.cached, result);
  if (!session) return std::nullopt;
  const bool same = session->evidence_type == platform.evidence_type &&
                    session->module_sha256 == platform.module_sha256 &&
                    session->configuration_digest == platform.configuration_digest;
  if (!result.check("cached.claims", same,
                    same ? "session claims name the platform claims' evidence type, module and "
                           "configuration"
                         : "session claims name another evidence type, module or configuration "
                           "than the platform claims")) {
    return std::nullopt;
  }
  if (!check_quote_age(platform, verify, result)) return std::nullopt;
  if (expectation.cache != nullptr && !remembered) {
    // Section 6.2: at most until issued_at + max_quote_age_seconds, after which check 5 fails
    // anyway; the cache shortens that to the platform verdict's own end.
    const auto quote_end =
        static_cast<std::int64_t>(*platform.issued_at) + verify.policy.max_quote_age_seconds + 1;
    expectation.cache->remember(block.envelope, verify, std::move(*verdict), quote_end);
  }
  return session;
}

}  // namespace attestmq::attest::session
