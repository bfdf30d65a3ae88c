// The verifier's cache against the end of what the platform verdict rests on (docs/attestation.md
// section 6.2, "Client cache"): cached-mode SNP evidence signed by a synthetic VCEK whose ARK's
// CRL expires well before the quote gets too old. Past the CRL's nextUpdate a remembered
// verdict must not stand in for the platform checks, which would now fail.
#include <algorithm>

#include "attest/session/cached_evidence.hpp"
#include "crl_builder.hpp"
#include "session_fixture.hpp"
#include "snp_synthetic_chain.hpp"
#include "snp_test_data.hpp"

namespace attestmq::attest::session {
namespace {

using namespace snp_test;

constexpr std::size_t kReportDataOffset = 0x50;  // AMD SEV-SNP ABI, Table 22 (ATTESTATION_REPORT)
constexpr std::int64_t kCrlLifetime = 600;        // far below max_quote_age_seconds

// An SNP "TEE" whose reports are the real Milan report with the REPORTDATA asked for, signed by
// the synthetic VCEK: the verifier runs every SNP check on them, against the synthetic ARK.
class SyntheticSnpProvider : public Provider {
 public:
  explicit SyntheticSnpProvider(EVP_PKEY* vcek_key) : vcek_key_(vcek_key) {}
  EvidenceType type() const override { return EvidenceType::snp; }
  std::string description() const override { return "synthetic SNP (test keys)"; }
  ProviderOutcome evidence(const ReportData& report_data) override {
    auto report = read_vector_file("attestation.bin");
    std::copy(report_data.begin(), report_data.end(),
              report.begin() + static_cast<std::ptrdiff_t>(kReportDataOffset));
    sign_report(report, vcek_key_);
    return {Evidence{EvidenceType::snp, std::move(report)}, {}};
  }

 private:
  EVP_PKEY* vcek_key_;
};

class CachedSnpEvidence : public SessionRoundTrip {
 protected:
  void SetUp() override {
    SessionRoundTrip::SetUp();
    const auto report = read_vector_file("attestation.bin");
    chain_ = make_synthetic_chain(
        AmdProduct::milan,
        vcek_for(AmdProduct::milan, kReportedTcb, {report.begin() + 0x1A0, report.begin() + 0x1E0}),
        kInsideValidity);
    const X509CrlPtr crl = crl_test::make_crl({chain_.ark.get(), chain_.ark_key, {},
                                               kInsideValidity - 60,
                                               kInsideValidity + kCrlLifetime, true});
    snp_ = std::make_unique<SyntheticSnpProvider>(chain_.vcek_key.get());
    request_ = Request{kCachedOk, random_bytes(32), {EvidenceType::snp}};
    expectation_.request = encode_request(request_);
    expectation_.verify.root_pem = chain_.options.ark_pem;
    expectation_.verify.certs = chain_.options.certs;
    expectation_.verify.crls = {crl_test::crl_der(crl.get())};
    expectation_.verify.policy.snp.allow_debug = true;  // the Milan report's guest policy allows it
    expectation_.verify.at_unix = kInsideValidity;
    expectation_.cache = &cache_;
    std::string error;
    cached_ = CachedEvidence::make(*snp_, module_, kInsideValidity, error);
    ASSERT_TRUE(cached_) << error;
  }

  // One session at `at`: a new binder, the same cached envelope.
  VerificationResult session_at(std::int64_t at) {
    expectation_.binder = random_bytes(kBinderBytes);
    expectation_.verify.at_unix = at;
    std::string error;
    const auto message = produce_evidence(*snp_, request_, expectation_.binder, identity_, module_,
                                          error, std::nullopt, cached_.get());
    EXPECT_TRUE(message) << error;
    return verify_evidence_message(message.value_or(Bytes{}), expectation_);
  }

  static std::string failure(const VerificationResult& result) {
    return result.first_failure() ? result.first_failure()->name : "";
  }

  SyntheticChain chain_;
  std::unique_ptr<SyntheticSnpProvider> snp_;
  VerifiedEnvelopeCache cache_;
  std::shared_ptr<const CachedEvidence> cached_;
};

TEST_F(CachedSnpEvidence, ARememberedVerdictEndsWhenTheCrlItReliedOnDoes) {
  const auto first = session_at(kInsideValidity);
  ASSERT_TRUE(first.valid()) << failure(first);
  // The CRL's nextUpdate comes before the certificates' notAfter (a year on).
  EXPECT_EQ(first.valid_until, kInsideValidity + kCrlLifetime);
  EXPECT_EQ(cache_.size(), 1u);

  const auto last_second = session_at(kInsideValidity + kCrlLifetime - 1);
  ASSERT_TRUE(last_second.valid()) << failure(last_second);
  EXPECT_EQ(cache_.hits(), 1u);

  // The quote is still young, but the CRL has expired: the platform is verified afresh, and
  // refused, rather than the old verdict reused.
  const auto expired = session_at(kInsideValidity + kCrlLifetime);
  EXPECT_EQ(failure(expired), "chain.crl.validity");
  EXPECT_EQ(cache_.hits(), 1u);
  EXPECT_EQ(cache_.size(), 0u);
}

// Fail closed: a verdict on evidence with certificates or collateral that names no end of its
// validity is not remembered at all.
TEST(VerifiedEnvelopeCache, AVerdictOnExpiringInputsWithNoKnownEndIsNotRemembered) {
  VerifiedEnvelopeCache cache;
  const Bytes envelope = random_bytes(64);
  VerifiedEnvelopeCache::Verdict verdict;
  verdict.platform.type = EvidenceType::snp;
  cache.remember(envelope, VerifyRequest{}, verdict, kInsideValidity + 86400);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.find(envelope, VerifyRequest{}, kInsideValidity));

  verdict.platform.valid_until = kInsideValidity + 10;
  cache.remember(envelope, VerifyRequest{}, verdict, kInsideValidity + 86400);
  EXPECT_TRUE(cache.find(envelope, VerifyRequest{}, kInsideValidity + 9));
  EXPECT_FALSE(cache.find(envelope, VerifyRequest{}, kInsideValidity + 10));
}

}  // namespace
}  // namespace attestmq::attest::session
