// verify_snp_report on the real go-sev-guest Milan report and on damaged copies of it:
// each kind of damage must be caught by its own named check.
#include "attest/snp/report_verifier.hpp"

#include <algorithm>
#include <set>

#include "attest/common/iso8601.hpp"
#include "snp_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace snp_test;

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// The ASK alone: the first PEM block of ask_ark_milan.pem.
std::string first_pem_block(const std::string& pem) {
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----\n";
  return pem.substr(0, pem.find(kEnd) + kEnd.size());
}

class SnpReportVerifierTest : public ::testing::Test {
 protected:
  std::vector<std::uint8_t> report = read_vector_file("attestation.bin");
  std::vector<std::uint8_t> vcek = read_vector_file("vcek.testcer");
  std::string milan_chain = read_vector_text("ask_ark_milan.pem");
  std::string genoa_chain = read_vector_text("ask_ark_genoa.pem");

  // No AMD KDS CRL is among the test vectors (SOURCE.txt), so these tests of the report and
  // chain checks skip revocation; snp_synthetic_chain_test.cpp tests it with an ARK it holds.
  SnpVerifyOptions options() const {
    SnpVerifyOptions o;
    o.certs = {vcek, bytes_of(milan_chain)};
    o.at_unix = kInsideValidity;
    o.revocation = RevocationMode::skip_insecure;
    return o;
  }

  std::string first_failure(const std::vector<std::uint8_t>& bytes, const SnpVerifyOptions& o) {
    const VerificationResult result = verify_snp_report(bytes, o);
    EXPECT_FALSE(result.valid());
    const Check* failure = result.first_failure();
    return failure != nullptr ? failure->name : std::string("(no failure)");
  }
};

TEST_F(SnpReportVerifierTest, WithoutAmdsCrlTheRealReportFailsRevocationByDefault) {
  SnpVerifyOptions o = options();
  o.revocation = RevocationMode::required;
  EXPECT_EQ(first_failure(report, o), "chain.crl.present");
  const VerificationResult skipped = verify_snp_report(report, options());
  ASSERT_TRUE(skipped.valid());
  EXPECT_EQ(skipped.claims.at("chain.revocation"),
            "NOT CHECKED (revocation: skip-insecure): no CRL from \"ARK-Milan\" to check "
            "\"SEV-Milan\" against");
}

TEST_F(SnpReportVerifierTest, RealMilanReportVerifiesWithItsVcekAndMilanChain) {
  const VerificationResult result = verify_snp_report(report, options());
  ASSERT_TRUE(result.valid()) << result.first_failure()->name << ": "
                              << result.first_failure()->detail;
  EXPECT_EQ(result.type, EvidenceType::snp);
  std::set<std::string> passed;
  for (const auto& check : result.checks) passed.insert(check.name);
  for (const char* name :
       {"report.format", "report.signing_key", "certs.parse", "certs.roles", "certs.vcek",
        "certs.ask", "chain.ark_pinned", "chain.ark_self_signed", "chain.ask_signed_by_ark",
        "chain.vcek_signed_by_ask", "chain.validity", "report.signature", "vcek.extensions",
        "tcb.vcek_match", "chip_id.vcek_match"}) {
    EXPECT_TRUE(passed.count(name)) << name;
  }
}

// The verdict ends with the first certificate to expire: the VCEK (the ASK and ARK run to
// 2045); with no CRL, nothing earlier bounds it. session_cache_validity_test.cpp has a CRL.
TEST_F(SnpReportVerifierTest, VerdictIsValidUntilTheVceksNotAfter) {
  const VerificationResult result = verify_snp_report(report, options());
  ASSERT_TRUE(result.valid());
  EXPECT_EQ(result.valid_until, parse_iso8601_utc("2029-09-24T00:55:28Z"));
}

TEST_F(SnpReportVerifierTest, ClaimsAreExactlyTheReportsFields) {
  const VerificationResult result = verify_snp_report(report, options());
  ASSERT_TRUE(result.valid());
  const auto& c = result.claims;
  EXPECT_EQ(c.at("measurement"), kMeasurement);
  EXPECT_EQ(c.at("report_data"), "0102030405" + std::string(118, '0'));
  EXPECT_EQ(c.at("chip_id"), kChipId);
  EXPECT_EQ(c.at("host_data"), std::string(64, '0'));
  EXPECT_EQ(c.at("version"), "2");
  EXPECT_EQ(c.at("vmpl"), "0");
  EXPECT_EQ(c.at("guest_svn"), "0");
  EXPECT_EQ(c.at("policy"), "0xb0000");
  EXPECT_EQ(c.at("debug"), "true");
  EXPECT_EQ(c.at("smt"), "true");
  EXPECT_EQ(c.at("migrate_ma"), "false");
  EXPECT_EQ(c.at("single_socket"), "false");
  EXPECT_EQ(c.at("reported_tcb"), "0x4405000000000002");
  EXPECT_EQ(c.at("reported_tcb.bootloader"), "2");
  EXPECT_EQ(c.at("reported_tcb.tee"), "0");
  EXPECT_EQ(c.at("reported_tcb.snp"), "5");
  EXPECT_EQ(c.at("reported_tcb.microcode"), "68");
  EXPECT_EQ(c.count("reported_tcb.fmc"), 0u);
  EXPECT_EQ(c.count("cpuid_family"), 0u);  // version 2 reports do not carry it
  EXPECT_EQ(c.at("current_firmware"), "1.49.3");
  EXPECT_EQ(c.at("product"), "Milan");
  EXPECT_NE(c.at("chain.0.subject").find("CN=SEV-VCEK"), std::string::npos);
  EXPECT_NE(c.at("chain.1.subject").find("CN=SEV-Milan"), std::string::npos);
  EXPECT_NE(c.at("chain.2.subject").find("CN=ARK-Milan"), std::string::npos);
}

TEST_F(SnpReportVerifierTest, BuiltInArkIsUsedWhenOnlyVcekAndAskAreGiven) {
  SnpVerifyOptions o = options();
  o.certs = {vcek, bytes_of(first_pem_block(milan_chain))};
  EXPECT_TRUE(verify_snp_report(report, o).valid());
}

TEST_F(SnpReportVerifierTest, CallerPinnedMilanArkIsAccepted) {
  SnpVerifyOptions o = options();
  o.ark_pem = milan_chain;
  EXPECT_TRUE(verify_snp_report(report, o).valid());
}

TEST_F(SnpReportVerifierTest, GenoaArkPinnedIsTheWrongRoot) {
  SnpVerifyOptions o = options();
  o.ark_pem = genoa_chain;
  EXPECT_EQ(first_failure(report, o), "chain.ark_pinned");
}

TEST_F(SnpReportVerifierTest, FlippedBitInReportBodyFailsTheSignature) {
  report[0x90] ^= 0x01;  // first byte of MEASUREMENT
  EXPECT_EQ(first_failure(report, options()), "report.signature");
}

TEST_F(SnpReportVerifierTest, FlippedBitInSignatureFailsTheSignature) {
  report[0x2A0] ^= 0x01;  // least significant byte of r
  EXPECT_EQ(first_failure(report, options()), "report.signature");
}

TEST_F(SnpReportVerifierTest, FlippedBitInVcekFailsTheChain) {
  // Flip a bit of the hwID extension inside the VCEK's signed part.
  const std::vector<std::uint8_t> chip_id_start{0x3a, 0xc3, 0xfe, 0x21, 0xe1, 0x3f};
  const auto at = std::search(vcek.begin(), vcek.end(), chip_id_start.begin(), chip_id_start.end());
  ASSERT_NE(at, vcek.end());
  *at ^= 0x01;
  EXPECT_EQ(first_failure(report, options()), "chain.vcek_signed_by_ask");
}

TEST_F(SnpReportVerifierTest, TruncatedOrOverlongReportIsRejected) {
  std::vector<std::uint8_t> truncated(report.begin(), report.end() - 1);
  EXPECT_EQ(first_failure(truncated, options()), "report.size");
  EXPECT_EQ(first_failure({}, options()), "report.size");
  std::vector<std::uint8_t> overlong = report;
  overlong.push_back(0);
  EXPECT_EQ(first_failure(overlong, options()), "report.size");
}

TEST_F(SnpReportVerifierTest, UnknownVersionsAreRejected) {
  report[0] = 1;
  EXPECT_EQ(first_failure(report, options()), "report.version");
  report[0] = 6;
  EXPECT_EQ(first_failure(report, options()), "report.version");
}

TEST_F(SnpReportVerifierTest, OtherSignatureAlgorithmIsRejected) {
  report[0x34] = 2;
  EXPECT_EQ(first_failure(report, options()), "report.signature_algo");
}

TEST_F(SnpReportVerifierTest, VlekSignedReportIsRejected) {
  report[0x48] |= 1 << 2;  // SIGNING_KEY = 1 (VLEK)
  EXPECT_EQ(first_failure(report, options()), "report.signing_key");
}

TEST_F(SnpReportVerifierTest, TimeOutsideValidityFails) {
  SnpVerifyOptions o = options();
  o.at_unix = 1893456000;  // 2030-01-01: the VCEK expired on 2029-09-24
  EXPECT_EQ(first_failure(report, o), "chain.validity");
  o.at_unix = 1640995200;  // 2022-01-01: the VCEK is valid from 2022-09-24
  EXPECT_EQ(first_failure(report, o), "chain.validity");
}

TEST_F(SnpReportVerifierTest, ChangedReportedTcbFailsTheSignatureFirst) {
  report[0x186] = 6;  // REPORTED_TCB.SNP 5 -> 6
  EXPECT_EQ(first_failure(report, options()), "report.signature");
}

TEST_F(SnpReportVerifierTest, MissingCertificatesAreNamed) {
  SnpVerifyOptions o = options();
  o.certs = {bytes_of(milan_chain)};
  EXPECT_EQ(first_failure(report, o), "certs.vcek");
  o.certs = {vcek};
  EXPECT_EQ(first_failure(report, o), "certs.ask");
  o.certs = {};
  EXPECT_EQ(first_failure(report, o), "certs.vcek");
}

TEST_F(SnpReportVerifierTest, UnreadableCertificatesAreRejected) {
  SnpVerifyOptions o = options();
  o.certs = {vcek, bytes_of("not a certificate")};
  EXPECT_EQ(first_failure(report, o), "certs.parse");
  std::vector<std::uint8_t> trailing = vcek;
  trailing.push_back(0);
  o.certs = {trailing, bytes_of(milan_chain)};
  EXPECT_EQ(first_failure(report, o), "certs.parse");
}

TEST_F(SnpReportVerifierTest, TwoDifferentAsksAreAmbiguous) {
  SnpVerifyOptions o = options();
  o.certs = {vcek, bytes_of(milan_chain), bytes_of(first_pem_block(genoa_chain))};
  EXPECT_EQ(first_failure(report, o), "certs.roles");
}

TEST_F(SnpReportVerifierTest, SuppliedArkMustBeThePinnedOne) {
  // A Genoa ARK next to the Milan ASK: the built-in Milan ARK is pinned, the supplied one
  // is not it.
  SnpVerifyOptions o = options();
  const std::string genoa_ark = genoa_chain.substr(first_pem_block(genoa_chain).size());
  o.certs = {vcek, bytes_of(first_pem_block(milan_chain)), bytes_of(genoa_ark)};
  EXPECT_EQ(first_failure(report, o), "chain.ark_pinned");
}

TEST_F(SnpReportVerifierTest, AskFromAnotherProductDoesNotSignTheVcek) {
  // The Genoa ASK and ARK chain correctly, but did not sign this Milan VCEK.
  SnpVerifyOptions o = options();
  o.certs = {vcek, bytes_of(genoa_chain)};
  EXPECT_EQ(first_failure(report, o), "chain.vcek_signed_by_ask");
}

TEST_F(SnpReportVerifierTest, NoClaimsFromAReportWhoseSignatureFails) {
  report[0x90] ^= 0x01;
  const VerificationResult result = verify_snp_report(report, options());
  EXPECT_EQ(result.claims.count("measurement"), 0u);
}

}  // namespace
}  // namespace attestmq::attest
