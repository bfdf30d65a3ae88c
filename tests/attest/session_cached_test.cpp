// Cached mode end to end with the real sim provider (SIMULATED, NO SECURITY): a cached envelope
// committing to K, session claims signed by K, and the verifier's five checks of
// docs/attestation.md section 6.2, each shown to fail on its own; then the verifier's cache.
#include <ctime>

#include "attest/common/hex.hpp"
#include "attest/envelope/envelope.hpp"
#include "session_fixture.hpp"

namespace attestmq::attest::session {
namespace {

std::uint64_t now() { return static_cast<std::uint64_t>(std::time(nullptr)); }

class CachedMode : public SessionRoundTrip {
 protected:
  void SetUp() override {
    SessionRoundTrip::SetUp();
    request_.flags = kCachedOk;
    expectation_.request = encode_request(request_);
    cached_ = make_cached(module_, now());
  }

  std::shared_ptr<const CachedEvidence> make_cached(const std::array<std::uint8_t, 32>& module,
                                                    std::uint64_t issued_at) {
    std::string error;
    auto cached = CachedEvidence::make(*provider_, module, issued_at, error);
    EXPECT_TRUE(cached) << error;
    return cached;
  }

  Bytes produce_cached(const CachedEvidence& cached) {
    return produce(expectation_.binder, identity_, std::nullopt, &cached);
  }
  Bytes produce_cached() { return produce_cached(*cached_); }

  // `message` with its envelope replaced by `envelope`: what an attacker holding a captured
  // envelope sends next to session claims and a signature of its own making.
  static Bytes with_envelope(const Bytes& message, const Bytes& envelope) {
    std::string error;
    auto parsed = parse_evidence(message, error);
    EXPECT_TRUE(parsed) << error;
    parsed->block.envelope = envelope;
    return encode_evidence(*parsed);
  }

  // A cached-mode block around `envelope` whose session claims are `claims`, signed by `signer`.
  static Bytes signed_block(const Bytes& envelope, const Claims& claims, const CachedEvidence& signer) {
    const auto report_data = compute_report_data(claims);
    EXPECT_TRUE(report_data);
    const auto signature = signer.sign(*report_data);
    EXPECT_TRUE(signature);
    return encode_evidence({EvidenceBlock{envelope, CachedSession{*encode_claims(claims), *signature}},
                            std::nullopt});
  }

  Claims session_claims() const {
    Claims claims;
    claims.module_sha256 = module_;
    claims.binder = expectation_.binder;
    claims.nonce = request_.nonce;
    claims.tls_certificate_key_sha256 = identity_.certificate_key_sha256;
    return claims;
  }

  std::string failure_detail(const Bytes& message) const {
    const auto result = verify_evidence_message(message, expectation_);
    return result.first_failure() ? result.first_failure()->detail : "";
  }

  std::shared_ptr<const CachedEvidence> cached_;
};

std::vector<std::string> check_names(const VerificationResult& result) {
  std::vector<std::string> names;
  for (const auto& check : result.checks) names.push_back(check.name);
  return names;
}

bool has_check(const VerificationResult& result, std::string_view prefix) {
  for (const auto& check : result.checks) {
    if (check.name.starts_with(prefix)) return true;
  }
  return false;
}

TEST_F(CachedMode, VerifiesWithTheFiveChecksOfSection62) {
  const auto message = produce_cached();
  ASSERT_EQ(message[2], kModeCached);
  const auto result = verify_evidence_message(message, expectation_);
  ASSERT_TRUE(result.valid()) << result.first_failure()->name << ": " << result.first_failure()->detail;
  const auto names = check_names(result);
  const std::vector<std::string> ordered{"session.mode",      "sim.signature",     "envelope.report_data",
                                         "cached.session_key", "cached.signature", "cached.claims",
                                         "cached.quote_age",  "session.binder",    "session.tls_key",
                                         "session.claims"};
  auto at = names.begin();
  for (const auto& name : ordered) {
    at = std::find(at, names.end(), name);
    ASSERT_NE(at, names.end()) << name << " missing or out of order";
  }
  EXPECT_EQ(result.claims.at("evidence_mode"), "cached");
  EXPECT_EQ(result.claims.at("binder"), to_hex(expectation_.binder));
  EXPECT_EQ(result.claims.at("nonce"), to_hex(request_.nonce));
}

TEST_F(CachedMode, EachSessionGetsNewSessionClaimsAndSignatureUnderTheSameEnvelope) {
  std::string error;
  const auto first = parse_evidence(produce_cached(), error);
  expectation_.binder = random_bytes(kBinderBytes);
  const auto second_bytes = produce_cached();
  const auto second = parse_evidence(second_bytes, error);
  ASSERT_TRUE(first && second) << error;
  EXPECT_EQ(first->block.envelope, second->block.envelope);
  EXPECT_NE(first->block.cached->session_claims, second->block.cached->session_claims);
  EXPECT_NE(first->block.cached->signature, second->block.cached->signature);
  EXPECT_TRUE(verify_evidence_message(second_bytes, expectation_).valid());
}

TEST_F(CachedMode, WithoutCachedOkTheAttesterSendsPerSessionEvidence) {
  request_.flags = 0;
  expectation_.request = encode_request(request_);
  const auto message = produce_cached();
  EXPECT_EQ(message[2], kModePerSession);
  const auto result = verify_evidence_message(message, expectation_);
  ASSERT_TRUE(result.valid());
  EXPECT_EQ(result.claims.at("evidence_mode"), "per-session");
}

TEST_F(CachedMode, CachedEvidenceToAClientThatDidNotSetCachedOkFailsTheMode) {
  const auto message = produce_cached();
  request_.flags = 0;
  expectation_.request = encode_request(request_);
  EXPECT_EQ(first_failure(message), "session.mode");
}

// GHSA-j7r9-wq7m-6hcp: an old cached envelope next to fresh session claims signed by a key the
// quote does not commit to (the attacker's own, here another genuine K).
TEST_F(CachedMode, StaleQuoteFreshBinderSignedByAnotherKeyFailsTheSignature) {
  const auto captured = cached_->envelope();
  const auto attackers = make_cached(module_, now());
  const auto forged = with_envelope(produce_cached(*attackers), captured);
  EXPECT_EQ(first_failure(forged), "cached.signature");
  EXPECT_EQ(failure_detail(forged), "the session signature is not K's over REPORTDATA(session claims)");
}

TEST_F(CachedMode, AQuoteOlderThanThePolicyAllowsFailsTheQuoteAge) {
  const auto old = make_cached(module_, now() - 86400 - 60);
  EXPECT_EQ(first_failure(produce_cached(*old)), "cached.quote_age");
  expectation_.verify.policy.max_quote_age_seconds = 86400 + 3600;
  EXPECT_EQ(first_failure(produce_cached(*old)), "");
  expectation_.verify.policy.max_quote_age_seconds = 10;
  const auto minutes_old = make_cached(module_, now() - 600);
  EXPECT_EQ(first_failure(produce_cached(*minutes_old)), "cached.quote_age");
  const auto from_the_future = make_cached(module_, now() + 3600);
  EXPECT_EQ(first_failure(produce_cached(*from_the_future)), "cached.quote_age");
  EXPECT_NE(failure_detail(produce_cached(*from_the_future)).find("in the future"), std::string::npos);
}

TEST_F(CachedMode, SessionClaimsForAnotherModuleFailTheClaimsCheck) {
  std::array<std::uint8_t, 32> other{};
  other.fill(0x22);
  const auto for_other_module = make_cached(other, now());
  EXPECT_EQ(first_failure(produce_cached(*for_other_module)), "cached.claims");
}

TEST_F(CachedMode, AnEnvelopeWithoutASessionKeyFailsTheSessionKeyCheck) {
  // A per-session envelope (no key 8, a binder) where the cached envelope belongs.
  request_.flags = 0;
  std::string error;
  const auto per_session = parse_evidence(produce(), error);
  ASSERT_TRUE(per_session) << error;
  const auto message = signed_block(per_session->block.envelope, session_claims(), *cached_);
  EXPECT_EQ(first_failure(message), "cached.session_key");
  EXPECT_EQ(failure_detail(message), "the platform claims carry no session public key (key 8)");
}

TEST_F(CachedMode, PlatformClaimsInTheSessionClaimsFailTheSessionClaimsCheck) {
  Claims claims = session_claims();
  claims.issued_at = now();
  EXPECT_EQ(first_failure(signed_block(cached_->envelope(), claims, *cached_)), "session.claims");
  EXPECT_EQ(first_failure(signed_block(cached_->envelope(), session_claims(), *cached_)), "");
}

TEST_F(CachedMode, TheSessionChecksStillApply) {
  const auto message = produce_cached();
  expectation_.binder = random_bytes(kBinderBytes);
  EXPECT_EQ(first_failure(message), "session.binder");
}

TEST_F(CachedMode, EveryFlippedByteIsRejected) {
  const auto message = produce_cached();
  ASSERT_TRUE(verify_evidence_message(message, expectation_).valid());
  for (std::size_t at = 0; at < message.size(); ++at) {
    auto flipped = message;
    flipped[at] ^= 0x01;
    EXPECT_NE(first_failure(flipped), "") << "byte " << at;
  }
}

TEST(SessionPublicKey, OnlyACanonicalP256SubjectPublicKeyInfoIsAccepted) {
  std::string error;
  EXPECT_FALSE(parse_session_public_key(Bytes(91, 0x30), error));
  EXPECT_EQ(error, "key 8 is not a DER SubjectPublicKeyInfo");
  // A P-384 key, well-formed but of another curve.
  EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(p384.get(), &der);
  ASSERT_GT(length, 0);
  const Bytes p384_der(der, der + length);
  OPENSSL_free(der);
  EXPECT_FALSE(parse_session_public_key(p384_der, error));
  EXPECT_EQ(error, "key 8 is not a P-256 public key");
}

// The verifier's cache (section 6.2, "Client cache"): a hit skips the platform checks, never
// the signature, the claims, the age or the session checks.
TEST_F(CachedMode, ACacheHitSkipsThePlatformChecksButNotTheSessionOnes) {
  VerifiedEnvelopeCache cache;
  expectation_.cache = &cache;
  const auto first = verify_evidence_message(produce_cached(), expectation_);
  ASSERT_TRUE(first.valid()) << first.first_failure()->name;
  EXPECT_TRUE(has_check(first, "sim."));
  EXPECT_FALSE(has_check(first, "cached.platform"));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 1u);

  // A reconnect: a new session, the same cached envelope.
  expectation_.binder = random_bytes(kBinderBytes);
  const auto second = verify_evidence_message(produce_cached(), expectation_);
  ASSERT_TRUE(second.valid()) << second.first_failure()->name;
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_TRUE(has_check(second, "cached.platform"));
  EXPECT_FALSE(has_check(second, "sim."));
  EXPECT_FALSE(has_check(second, "envelope.report_data"));
  for (const auto* name : {"cached.signature", "cached.quote_age", "session.binder", "policy."}) {
    EXPECT_TRUE(has_check(second, name)) << name;
  }

  // Still checked on a hit: K's signature, and the binder.
  const auto attackers = make_cached(module_, now());
  EXPECT_EQ(first_failure(with_envelope(produce_cached(*attackers), cached_->envelope())),
            "cached.signature");
  EXPECT_EQ(cache.hits(), 2u);
  const auto for_this_session = produce_cached();
  expectation_.binder = random_bytes(kBinderBytes);
  EXPECT_EQ(first_failure(for_this_session), "session.binder");
  EXPECT_EQ(cache.hits(), 3u);
}

// Sim evidence rests on no certificate, CRL or collateral: its verdict has no end of its own
// and is remembered up to the quote's last second.
TEST_F(CachedMode, ASimVerdictIsRememberedForTheWholeQuoteAge) {
  VerifiedEnvelopeCache cache;
  expectation_.cache = &cache;
  expectation_.verify.at_unix = static_cast<std::int64_t>(cached_->issued_at());
  const auto first = verify_evidence_message(produce_cached(), expectation_);
  ASSERT_TRUE(first.valid()) << first.first_failure()->name;
  EXPECT_FALSE(first.valid_until);
  expectation_.verify.at_unix += expectation_.verify.policy.max_quote_age_seconds;
  expectation_.binder = random_bytes(kBinderBytes);
  const auto last_second = verify_evidence_message(produce_cached(), expectation_);
  ASSERT_TRUE(last_second.valid()) << last_second.first_failure()->name;
  EXPECT_EQ(cache.hits(), 1u);
}

TEST_F(CachedMode, TheCacheIsKeyedByThePolicyAndBoundedByTheQuoteAge) {
  VerifiedEnvelopeCache cache;
  expectation_.cache = &cache;
  ASSERT_TRUE(verify_evidence_message(produce_cached(), expectation_).valid());
  // Another policy: the platform is verified again, and its verdict remembered apart.
  expectation_.verify.policy.accepted_module_hashes = {to_hex(module_)};
  const auto other_policy = verify_evidence_message(produce_cached(), expectation_);
  EXPECT_TRUE(has_check(other_policy, "sim."));
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 2u);
  // Past issued_at + max_quote_age_seconds nothing is reused, and the quote is refused.
  expectation_.verify.at_unix =
      static_cast<std::int64_t>(cached_->issued_at()) + expectation_.verify.policy.max_quote_age_seconds + 1;
  EXPECT_EQ(first_failure(produce_cached()), "cached.quote_age");
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace attestmq::attest::session
