// The checks behind the report signature (VCEK extensions, TCB and CHIP_ID binding, the
// VCEK's key type, CA constraints, Turin's layout), reached with a chain whose keys the test
// holds: the real Milan report is edited, then re-signed by the synthetic VCEK.
#include "snp_synthetic_chain.hpp"

#include <algorithm>

#include "attest/snp/report.hpp"
#include "attest/snp/report_verifier.hpp"
#include "crl_builder.hpp"
#include "snp_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace snp_test;

constexpr std::size_t kReportedTcbOffset = 0x180;
constexpr std::size_t kChipIdOffset = 0x1A0;
constexpr std::size_t kKeyFlagsOffset = 0x48;

void put_u64(std::vector<std::uint8_t>& report, std::size_t offset, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) report[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::vector<std::uint8_t> chip_id_of(const std::vector<std::uint8_t>& report, std::size_t size) {
  return {report.begin() + kChipIdOffset, report.begin() + kChipIdOffset + size};
}

class SnpSyntheticChainTest : public ::testing::Test {
 protected:
  std::vector<std::uint8_t> report = read_vector_file("attestation.bin");

  SyntheticVcek matching_vcek() const {
    return vcek_for(AmdProduct::milan, kReportedTcb, chip_id_of(report, 64));
  }

  VerificationResult verify_signed(const SyntheticVcek& spec,
                                   AmdProduct product = AmdProduct::milan) {
    SyntheticChain chain = make_synthetic_chain(product, spec, kInsideValidity);
    sign_report(report, chain.vcek_key.get());
    return verify_snp_report(report, chain.options);
  }

  std::string first_failure(const SyntheticVcek& spec) {
    const VerificationResult result = verify_signed(spec);
    const Check* failure = result.first_failure();
    if (failure == nullptr) return "(no failure)";
    last_detail = failure->detail;
    return failure->name;
  }

  std::string last_detail;
};

TEST_F(SnpSyntheticChainTest, MatchingVcekVerifies) {
  const VerificationResult result = verify_signed(matching_vcek());
  EXPECT_TRUE(result.valid()) << result.first_failure()->name << ": "
                              << result.first_failure()->detail;
  EXPECT_EQ(result.claims.at("measurement"), kMeasurement);
}

TEST_F(SnpSyntheticChainTest, VersionThreeReportClaimsItsCpuid) {
  report[0] = 3;
  report[0x188] = 0x19;  // family 19h, model 1, stepping 1: a Milan part
  report[0x189] = 0x01;
  report[0x18A] = 0x01;
  const VerificationResult result = verify_signed(matching_vcek());
  ASSERT_TRUE(result.valid());
  EXPECT_EQ(result.claims.at("version"), "3");
  EXPECT_EQ(result.claims.at("cpuid_family"), "0x19");
  EXPECT_EQ(result.claims.at("cpuid_model"), "0x01");
  EXPECT_EQ(result.claims.at("cpuid_stepping"), "0x01");
}

TEST_F(SnpSyntheticChainTest, VcekIssuedForAnotherTcbIsDetected) {
  SyntheticVcek spec = matching_vcek();
  spec.extensions[2].second = der_integer(4);  // snpSPL 4, the report says 5
  EXPECT_EQ(first_failure(spec), "tcb.vcek_match");
  EXPECT_NE(last_detail.find("snp: report 5, VCEK 4"), std::string::npos) << last_detail;
}

TEST_F(SnpSyntheticChainTest, ReportedTcbChangedAndResignedIsDetected) {
  put_u64(report, kReportedTcbOffset, 0x4406000000000002);  // SNP SPL 6
  EXPECT_EQ(first_failure(matching_vcek()), "tcb.vcek_match");
}

TEST_F(SnpSyntheticChainTest, VcekOfAnotherChipIsDetected) {
  SyntheticVcek spec = matching_vcek();
  spec.extensions[4].second[0] ^= 0x01;
  EXPECT_EQ(first_failure(spec), "chip_id.vcek_match");
}

TEST_F(SnpSyntheticChainTest, MaskedChipIdCannotBeBound) {
  report[kKeyFlagsOffset] |= 0x2;  // MASK_CHIP_KEY
  EXPECT_EQ(first_failure(matching_vcek()), "chip_id.vcek_match");
  EXPECT_NE(last_detail.find("MASK_CHIP_KEY"), std::string::npos);
}

TEST_F(SnpSyntheticChainTest, MissingRepeatedOrMalformedExtensionsAreRejected) {
  SyntheticVcek missing = matching_vcek();
  missing.extensions.erase(missing.extensions.begin() + 3);  // ucodeSPL
  EXPECT_EQ(first_failure(missing), "vcek.extensions");
  EXPECT_NE(last_detail.find("1.3.6.1.4.1.3704.1.3.8 is missing"), std::string::npos)
      << last_detail;

  SyntheticVcek repeated = matching_vcek();
  repeated.extensions.emplace_back("1.3.6.1.4.1.3704.1.3.3", der_integer(9));
  EXPECT_EQ(first_failure(repeated), "vcek.extensions");
  EXPECT_NE(last_detail.find("more than once"), std::string::npos) << last_detail;

  SyntheticVcek malformed = matching_vcek();
  malformed.extensions[0].second = {0x02, 0x02, 0x01, 0x00};  // INTEGER 256
  EXPECT_EQ(first_failure(malformed), "vcek.extensions");

  SyntheticVcek short_hwid = matching_vcek();
  short_hwid.extensions[4].second.resize(63);
  EXPECT_EQ(first_failure(short_hwid), "vcek.extensions");
}

TEST_F(SnpSyntheticChainTest, VcekWithoutP384KeyFailsTheSignature) {
  SyntheticVcek spec = matching_vcek();
  spec.curve = "P-256";
  EXPECT_EQ(first_failure(spec), "report.signature");
  EXPECT_NE(last_detail.find("P-384"), std::string::npos);
}

TEST_F(SnpSyntheticChainTest, AskThatIsNotACaCannotIssueTheVcek) {
  SyntheticVcek spec = matching_vcek();
  spec.ask_is_ca = false;
  EXPECT_EQ(first_failure(spec), "chain.vcek_signed_by_ask");
  EXPECT_NE(last_detail.find("not a certificate authority"), std::string::npos) << last_detail;
}

// A self-signed "ARK-Milan" in the certificate files, with AMD's CN and a valid
// self-signature, is refused: the built-in root is pinned by its SHA-256 fingerprint.
TEST_F(SnpSyntheticChainTest, SubstitutedArkWithTheRightCommonNameIsRefused) {
  SyntheticChain chain = make_synthetic_chain(AmdProduct::milan, matching_vcek(), kInsideValidity);
  sign_report(report, chain.vcek_key.get());
  chain.options.ark_pem.reset();
  const VerificationResult result = verify_snp_report(report, chain.options);
  ASSERT_NE(result.first_failure(), nullptr);
  EXPECT_EQ(result.first_failure()->name, "chain.ark_pinned");
  EXPECT_EQ(certificate_common_name(chain.ark.get()), "ARK-Milan");
  EXPECT_NE(result.first_failure()->detail.find(
                "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"),
            std::string::npos)
      << result.first_failure()->detail;
}

// AMD's KDS CRL, signed by the ARK, lists revoked ASKs; here the synthetic ARK signs it.
class SnpRevocationTest : public SnpSyntheticChainTest {
 protected:
  SyntheticChain chain = make_synthetic_chain(AmdProduct::milan, matching_vcek(), kInsideValidity);

  void SetUp() override { sign_report(report, chain.vcek_key.get()); }

  std::vector<std::uint8_t> crl(std::vector<X509*> revoked, std::int64_t next_update,
                                EVP_PKEY* key = nullptr) const {
    const X509CrlPtr made = crl_test::make_crl({chain.ark.get(), key ? key : chain.ark_key,
                                                std::move(revoked), kInsideValidity - 86400,
                                                next_update, true});
    return crl_test::crl_der(made.get());
  }
  std::string failure(RevocationMode mode = RevocationMode::required) {
    chain.options.revocation = mode;
    result = verify_snp_report(report, chain.options);
    return result.first_failure() ? result.first_failure()->name : "(none)";
  }
  VerificationResult result;
};

TEST_F(SnpRevocationTest, CurrentCrlFromTheArkPasses) {
  EXPECT_EQ(failure(), "(none)");
  EXPECT_EQ(result.claims.at("chain.revocation"), "checked");
}

TEST_F(SnpRevocationTest, MissingCrlFails) {
  chain.options.crls.clear();
  EXPECT_EQ(failure(), "chain.crl.present");
  EXPECT_NE(result.first_failure()->detail.find("no CRL from \"ARK-Milan\""), std::string::npos);
  EXPECT_EQ(failure(RevocationMode::skip_insecure), "(none)");
  EXPECT_TRUE(result.claims.at("chain.revocation").starts_with(kRevocationNotChecked));
}

TEST_F(SnpRevocationTest, CrlListingTheAskFails) {
  chain.options.crls = {crl({chain.ask.get()}, kInsideValidity + 86400)};
  EXPECT_EQ(failure(), "chain.revocation");
  EXPECT_EQ(failure(RevocationMode::skip_insecure), "chain.revocation");
}

TEST_F(SnpRevocationTest, CrlPastItsNextUpdateFails) {
  chain.options.crls = {crl({}, kInsideValidity - 60)};
  EXPECT_EQ(failure(), "chain.crl.validity");
}

TEST_F(SnpRevocationTest, CrlSignedByAnotherKeyFails) {
  const snp_test::EvpPkeyPtr other(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  chain.options.crls = {crl({}, kInsideValidity + 86400, other.get())};
  EXPECT_EQ(failure(), "chain.crl.signature");
}

// As an envelope carries it: the CRL as a PEM block beside the ASK and ARK.
TEST_F(SnpRevocationTest, CrlInsideThePemChainIsUsed) {
  const X509CrlPtr made = crl_test::make_crl({chain.ark.get(), chain.ark_key, {chain.ask.get()},
                                              kInsideValidity - 86400, kInsideValidity + 86400,
                                              true});
  const std::string pem = crl_test::crl_pem(made.get());
  chain.options.crls.clear();
  chain.options.certs[1].insert(chain.options.certs[1].end(), pem.begin(), pem.end());
  EXPECT_EQ(failure(), "chain.revocation");
}

// As AMD's KDS serves it: a DER CRL, here given as one of the certificate files.
TEST_F(SnpRevocationTest, DerCrlAmongTheCertificateFilesIsUsed) {
  chain.options.certs.push_back(crl({chain.ask.get()}, kInsideValidity + 86400));
  chain.options.crls.clear();
  EXPECT_EQ(failure(), "chain.revocation");
}

TEST_F(SnpRevocationTest, ACrlFileThatIsNoCrlIsRefused) {
  chain.options.crls.push_back({0x30, 0x03, 0x02, 0x01, 0x01});
  EXPECT_EQ(failure(), "certs.parse");
  EXPECT_NE(result.first_failure()->detail.find("CRL file 2"), std::string::npos)
      << result.first_failure()->detail;
}

TEST_F(SnpSyntheticChainTest, TurinReportUsesTheTurinTcbLayoutAndShortHwid) {
  // Turin TCB_VERSION: FMC 1, boot loader 2, TEE 3, SNP 4, microcode 0x48.
  constexpr std::uint64_t kTurinTcb = 0x4800000004030201;
  put_u64(report, kReportedTcbOffset, kTurinTcb);
  std::fill(report.begin() + kChipIdOffset + 8, report.begin() + kChipIdOffset + 64, 0);
  const VerificationResult result = verify_signed(
      vcek_for(AmdProduct::turin, kTurinTcb, chip_id_of(report, 8)), AmdProduct::turin);
  ASSERT_TRUE(result.valid()) << result.first_failure()->name << ": "
                              << result.first_failure()->detail;
  EXPECT_EQ(result.claims.at("product"), "Turin");
  EXPECT_EQ(result.claims.at("reported_tcb.fmc"), "1");
  EXPECT_EQ(result.claims.at("reported_tcb.snp"), "4");

  SyntheticVcek older_fmc = vcek_for(AmdProduct::turin, kTurinTcb, chip_id_of(report, 8));
  older_fmc.extensions.back().second = der_integer(0);
  const VerificationResult mismatch = verify_signed(older_fmc, AmdProduct::turin);
  ASSERT_NE(mismatch.first_failure(), nullptr);
  EXPECT_EQ(mismatch.first_failure()->name, "tcb.vcek_match");
  EXPECT_NE(mismatch.first_failure()->detail.find("fmc: report 1, VCEK 0"), std::string::npos);
}

}  // namespace
}  // namespace attestmq::attest
