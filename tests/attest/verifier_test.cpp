// The dispatcher behind `attestmq verify`, on the real evidence in tests/data/attest.
#include "attest/verifier.hpp"

#include <gtest/gtest.h>

#include "attest/common/iso8601.hpp"
#include "provider_test_support.hpp"

namespace attestmq::attest {
namespace {

using testing::attest_data;
using testing::read_bytes;
using testing::read_text;

const std::int64_t kJuly2025 = *parse_iso8601_utc("2025-07-01T00:00:00Z");

std::string first_failure(const VerificationResult& result) {
  const Check* failure = result.first_failure();
  return failure ? failure->name : "";
}

TEST(DetectEvidenceFormat, RealVectors) {
  EXPECT_EQ(detect_evidence_format(read_bytes(attest_data("dcap-qvl/sgx_quote"))),
            EvidenceFormat::sgx_quote);
  EXPECT_EQ(
      detect_evidence_format(read_bytes(attest_data("intel-dcap-sampledata-testroot/quote.dat"))),
      EvidenceFormat::sgx_quote);
  EXPECT_EQ(detect_evidence_format(read_bytes(attest_data("dcap-qvl/tdx_quote"))),
            EvidenceFormat::tdx_quote);
  EXPECT_EQ(
      detect_evidence_format(read_bytes(attest_data("go-tdx-guest/tdx_prod_quote_SPR_E4.dat"))),
      EvidenceFormat::tdx_quote);
  EXPECT_EQ(detect_evidence_format(read_bytes(attest_data("go-sev-guest-milan/attestation.bin"))),
            EvidenceFormat::snp_report);
  EXPECT_EQ(detect_evidence_format(read_bytes(attest_data("veraison-cmw/collection-cbor-ok.cbor"))),
            EvidenceFormat::envelope);
  EXPECT_EQ(detect_evidence_format(std::vector<std::uint8_t>{'A', 'M', 'Q', 'S'}),
            EvidenceFormat::sim_report);
  EXPECT_FALSE(detect_evidence_format(std::vector<std::uint8_t>(2000, 0)));
  EXPECT_FALSE(detect_evidence_format({}));
  // An SNP report cut short is no longer recognisable as one.
  auto snp = read_bytes(attest_data("go-sev-guest-milan/attestation.bin"));
  snp.resize(1000);
  EXPECT_FALSE(detect_evidence_format(snp));
}

TEST(VerifyEvidence, TdxQuoteWithCollateralIsValidUnderTheDefaultPolicy) {
  VerifyRequest request;
  request.collateral_json = read_text(attest_data("dcap-qvl/tdx_quote_collateral.json"));
  request.at_unix = kJuly2025;
  const auto result = verify_evidence(read_bytes(attest_data("dcap-qvl/tdx_quote")), request);
  ASSERT_TRUE(result.valid()) << first_failure(result);
  EXPECT_EQ(result.type, EvidenceType::tdx);
  EXPECT_EQ(result.claims.at("tcb_status"), "UpToDate");
  EXPECT_EQ(result.claims.at("verified_at"), "2025-07-01T00:00:00Z");
  // The older of the verified TCB Info's and QE Identity's issueDate dates the collateral.
  EXPECT_EQ(result.claims.at("collateral.tcb_info.issue_date"), "2025-06-19T10:16:03Z");
  EXPECT_EQ(result.claims.at("collateral.qe_identity.issue_date"), "2025-06-19T10:32:27Z");
  EXPECT_EQ(result.claims.at("collateral.issue_date"), "2025-06-19T10:16:03Z");
  EXPECT_EQ(result.claims.at("pck.revocation"), "checked");
  EXPECT_EQ(result.claims.at("collateral.tcb_info.revocation"), "checked");
  EXPECT_EQ(result.claims.at("collateral.qe_identity.revocation"), "checked");

  request.policy.max_collateral_age_seconds = 86400;
  EXPECT_EQ(first_failure(verify_evidence(read_bytes(attest_data("dcap-qvl/tdx_quote")), request)),
            "policy.collateral_age");
  request.policy.max_collateral_age_seconds.reset();
  request.policy.tdx.rtmr[3] = {std::string(96, 'f')};
  EXPECT_EQ(first_failure(verify_evidence(read_bytes(attest_data("dcap-qvl/tdx_quote")), request)),
            "policy.tdx.rtmr3");
}

std::vector<std::string> failed_checks(const VerificationResult& result) {
  std::vector<std::string> names;
  for (const auto& check : result.checks) {
    if (!check.passed) names.push_back(check.name);
  }
  return names;
}

// Intel's sample quote is a debug enclave (ATTRIBUTES.DEBUG set), genuine under its own
// test root. It comes with no CRLs, so it fails revocation unless the policy skips it.
// Without collateral its TCB status is unknown, which fails first; the debug check fails
// beside it, with its own name, until the policy allows debug.
TEST(VerifyEvidence, DebugEnclaveIsRejectedByTheDefaultPolicy) {
  using Names = std::vector<std::string>;
  VerifyRequest request;
  request.root_pem = read_text(attest_data("intel-dcap-sampledata-testroot/trustedRootCaCert.pem"));
  request.at_unix = *parse_iso8601_utc("2020-01-01T00:00:00Z");
  const auto quote = read_bytes(attest_data("intel-dcap-sampledata-testroot/quote.dat"));
  EXPECT_EQ(failed_checks(verify_evidence(quote, request)), Names{"pck.crl.present"});
  request.policy.revocation = RevocationMode::skip_insecure;
  EXPECT_EQ(failed_checks(verify_evidence(quote, request)),
            (Names{"policy.tcb_status", "policy.sgx.debug"}));
  request.policy.sgx.allow_debug = true;
  EXPECT_EQ(failed_checks(verify_evidence(quote, request)), Names{"policy.tcb_status"});
  request.policy.sgx.mrenclave = {std::string(64, '0')};
  EXPECT_EQ(failed_checks(verify_evidence(quote, request)),
            (Names{"policy.tcb_status", "policy.sgx.mrenclave"}));
}

TEST(VerifyEvidence, SgxQuoteTcbStatusIsJudgedByPolicy) {
  VerifyRequest request;
  request.collateral_json = read_text(attest_data("dcap-qvl/sgx_quote_collateral.json"));
  request.at_unix = kJuly2025;
  const auto quote = read_bytes(attest_data("dcap-qvl/sgx_quote"));
  auto result = verify_evidence(quote, request);
  EXPECT_EQ(first_failure(result), "policy.tcb_status");
  request.policy.accepted_tcb_statuses = {result.claims.at("tcb_status")};
  result = verify_evidence(quote, request);
  ASSERT_TRUE(result.valid()) << first_failure(result);
  request.policy.sgx.mrenclave = {std::string(64, '0')};
  EXPECT_EQ(first_failure(verify_evidence(quote, request)), "policy.sgx.mrenclave");
  // Without collateral there are no CRLs and the TCB status is unknown: each fails closed.
  request.collateral_json.reset();
  request.policy.sgx.mrenclave.clear();
  EXPECT_EQ(first_failure(verify_evidence(quote, request)), "pck.crl.present");
  request.policy.revocation = RevocationMode::skip_insecure;
  EXPECT_EQ(first_failure(verify_evidence(quote, request)), "policy.tcb_status");
}

TEST(VerifyEvidence, SnpReportDebugGuestNeedsAllowDebug) {
  VerifyRequest request;
  request.certs = {read_bytes(attest_data("go-sev-guest-milan/vcek.testcer")),
                   read_bytes(attest_data("go-sev-guest-milan/ask_ark_milan.pem"))};
  const auto report = read_bytes(attest_data("go-sev-guest-milan/attestation.bin"));
  // No AMD CRL among the vectors: required revocation fails, skip-insecure reaches the policy.
  EXPECT_EQ(first_failure(verify_evidence(report, request)), "chain.crl.present");
  request.policy.revocation = RevocationMode::skip_insecure;
  auto result = verify_evidence(report, request);
  ASSERT_EQ(result.claims.at("debug"), "true");
  EXPECT_EQ(first_failure(result), "policy.snp.debug");
  request.policy.snp.allow_debug = true;
  result = verify_evidence(report, request);
  EXPECT_TRUE(result.valid()) << first_failure(result);
  EXPECT_EQ(result.type, EvidenceType::snp);
}

TEST(VerifyEvidence, ExplicitTypeIsHonoured) {
  VerifyRequest request;
  request.type = EvidenceType::sgx;
  const auto result =
      verify_evidence(read_bytes(attest_data("go-sev-guest-milan/attestation.bin")), request);
  EXPECT_FALSE(result.valid());
  EXPECT_EQ(result.type, EvidenceType::sgx);
}

TEST(VerifyEvidence, UnrecognisedAndBrokenInputs) {
  EXPECT_EQ(first_failure(verify_evidence(std::vector<std::uint8_t>(64, 7), {})), "evidence.type");
  EXPECT_EQ(first_failure(verify_evidence(
                read_bytes(attest_data("veraison-cmw/collection-cbor-ok.cbor")), {})),
            "envelope.format");
  EXPECT_EQ(first_failure(verify_evidence(std::vector<std::uint8_t>{0xa3, 0x01}, {})),
            "envelope.format");
}

TEST(PolicyTime, Iso8601) {
  EXPECT_EQ(parse_iso8601_utc("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_utc("2023-07-01"), 1688169600);
  EXPECT_EQ(parse_iso8601_utc("2025-06-19T10:56:11Z"), 1750330571);
  EXPECT_EQ(parse_iso8601_utc("2025-06-19T10:56:11.250Z"), 1750330571);
  EXPECT_FALSE(parse_iso8601_utc("2025-02-30"));
  EXPECT_FALSE(parse_iso8601_utc("2025-06-19T10:56:11"));
  EXPECT_FALSE(parse_iso8601_utc("2025-06-19T24:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("2025-06-19 10:56:11Z"));
  EXPECT_FALSE(parse_iso8601_utc("2025-6-19"));
  EXPECT_EQ(format_iso8601_utc(1750330571), "2025-06-19T10:56:11Z");
  EXPECT_EQ(format_iso8601_utc(-1), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace attestmq::attest
