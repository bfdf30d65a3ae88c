// The sgx-gramine provider against a fixture directory laid out like Gramine's
// /dev/attestation. No real SGX hardware is involved.
#include "attest/provider/gramine_provider.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "attest/envelope/envelope.hpp"
#include "attest/verifier.hpp"
#include "provider_test_support.hpp"

namespace attestmq::attest {
namespace {

using testing::attest_data;
using testing::read_bytes;
using testing::ScratchDir;
using testing::write_bytes;
using testing::write_text;

constexpr std::size_t kQuoteReportDataOffset = 368;

class GramineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_.path() / "attestation_type", "dcap\n");
    write_text(dir_.path() / "user_report_data", "");
    claims_.evidence_type = EvidenceType::sgx;
    claims_.module_sha256.fill(0x44);
    claims_.binder.assign(32, 0x55);
    claims_.nonce.assign(16, 0x66);
    report_data_ = *compute_report_data(claims_);
  }

  // A real DCAP quote with REPORTDATA replaced, as Gramine would return for our write
  // (its signature no longer matches: there is no SGX machine here to sign a new one).
  std::vector<std::uint8_t> quote_for(const ReportData& report_data) const {
    auto quote = read_bytes(attest_data("dcap-qvl/sgx_quote"));
    std::copy(report_data.begin(), report_data.end(), quote.begin() + kQuoteReportDataOffset);
    return quote;
  }

  ScratchDir dir_;
  Claims claims_;
  ReportData report_data_{};
};

TEST_F(GramineFixture, WritesReportDataAndWrapsTheQuote) {
  write_bytes(dir_.path() / "quote", quote_for(report_data_));
  std::string error;
  const auto envelope = testing::envelope_from("sgx-gramine", dir_.path(), claims_, error);
  ASSERT_TRUE(envelope) << error;
  const auto written = read_bytes(dir_.path() / "user_report_data");
  EXPECT_TRUE(std::equal(written.begin(), written.end(), report_data_.begin(), report_data_.end()));
  const auto parsed = parse_envelope(*envelope, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->evidence, quote_for(report_data_));
  EXPECT_EQ(parsed->claims, claims_);
  // The patched quote is not signed by its attestation key: the verifier must say no, for
  // that reason and not a later one.
  const auto result = verify_evidence(*envelope, VerifyRequest{});
  EXPECT_FALSE(result.valid());
  EXPECT_EQ(result.type, EvidenceType::sgx);
  ASSERT_NE(result.first_failure(), nullptr);
  EXPECT_EQ(result.first_failure()->name, "quote.signature");
}

TEST_F(GramineFixture, OnlyDcapIsAccepted) {
  write_text(dir_.path() / "attestation_type", "epid\n");
  std::string error;
  EXPECT_FALSE(GramineProvider::open(dir_.path(), error));
  EXPECT_NE(error.find("'epid', AttestMQ requires 'dcap'"), std::string::npos) << error;
  write_text(dir_.path() / "attestation_type", "none");
  EXPECT_FALSE(GramineProvider::open(dir_.path(), error));
  EXPECT_NE(error.find("'none'"), std::string::npos) << error;
}

TEST_F(GramineFixture, MissingDeviceIsAnError) {
  std::string error;
  EXPECT_FALSE(GramineProvider::open(dir_.path() / "absent", error));
  EXPECT_NE(error.find("attestation_type"), std::string::npos) << error;
}

TEST_F(GramineFixture, StaleQuoteIsRefused) {
  ReportData other = report_data_;
  other[0] ^= 1;
  write_bytes(dir_.path() / "quote", quote_for(other));
  std::string error;
  auto provider = GramineProvider::open(dir_.path(), error);
  ASSERT_TRUE(provider) << error;
  const auto outcome = provider->evidence(report_data_);
  EXPECT_FALSE(outcome.evidence);
  EXPECT_NE(outcome.error.find("does not carry the REPORTDATA"), std::string::npos)
      << outcome.error;
}

TEST_F(GramineFixture, ShortOrOversizeQuoteIsRefused) {
  std::string error;
  auto provider = GramineProvider::open(dir_.path(), error);
  ASSERT_TRUE(provider) << error;
  write_bytes(dir_.path() / "quote", std::vector<std::uint8_t>(100, 0));
  EXPECT_NE(provider->evidence(report_data_).error.find("too short"), std::string::npos);
  write_bytes(dir_.path() / "quote", std::vector<std::uint8_t>(kMaxEvidenceBytes + 1, 0));
  EXPECT_NE(provider->evidence(report_data_).error.find("larger than"), std::string::npos);
}

// A genuine quote (with Intel collateral carried in the envelope) whose REPORTDATA does
// not commit to the envelope's claims is rejected for exactly that reason.
TEST(EnvelopeBinding, GenuineQuoteForOtherClaimsIsRejected) {
  Envelope envelope;
  envelope.evidence = read_bytes(attest_data("dcap-qvl/sgx_quote"));
  envelope.claims.evidence_type = EvidenceType::sgx;
  envelope.collateral =
      EnvelopeCollateral{std::string(kIntelCollateralMediaType),
                         read_bytes(attest_data("dcap-qvl/sgx_quote_collateral.json"))};
  std::string error;
  const auto bytes = encode_envelope(envelope, error);
  ASSERT_TRUE(bytes) << error;
  VerifyRequest request;
  request.at_unix = 1751328000;  // 2025-07-01, inside the collateral's validity
  const auto result = verify_evidence(*bytes, request);
  ASSERT_NE(result.first_failure(), nullptr);
  EXPECT_EQ(result.first_failure()->name, "envelope.report_data");
}

// Sealing under Gramine: the MRENCLAVE-bound key is Gramine's 16-byte pseudo-file; without it,
// or with anything but 16 bytes, there is no key and no record is ever sealed.
TEST(GramineSealing, TheKeyIsGraminesMrenclaveKeyAndNothingElse) {
  testing::ScratchDir dir;
  testing::write_text(dir.path() / "attestation_type", "dcap\n");
  std::string error;
  auto provider = GramineProvider::open(dir.path(), error);
  ASSERT_TRUE(provider) << error;
  const SealingKeyOutcome missing = provider->sealing_key();
  EXPECT_TRUE(missing.key.empty());
  EXPECT_NE(missing.error.find("_sgx_mrenclave"), std::string::npos) << missing.error;
  std::filesystem::create_directory(dir.path() / "keys");
  testing::write_bytes(dir.path() / "keys" / "_sgx_mrenclave", std::vector<std::uint8_t>(32, 0x11));
  const SealingKeyOutcome wrong_size = provider->sealing_key();
  EXPECT_TRUE(wrong_size.key.empty());
  EXPECT_NE(wrong_size.error.find("not a 16-byte SGX key"), std::string::npos) << wrong_size.error;
  testing::write_bytes(dir.path() / "keys" / "_sgx_mrenclave", std::vector<std::uint8_t>(16, 0x22));
  const SealingKeyOutcome key = provider->sealing_key();
  EXPECT_EQ(key.key, std::vector<std::uint8_t>(16, 0x22)) << key.error;
  EXPECT_FALSE(provider->has_counter());
  EXPECT_FALSE(provider->raise_counter(0).value);
}

}  // namespace
}  // namespace attestmq::attest
