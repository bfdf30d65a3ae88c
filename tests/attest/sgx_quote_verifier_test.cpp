// verify_sgx_quote on real SGX DCAP v3 quotes: dcap-qvl's (production root, full collateral)
// and Intel's sample quote under a test root; then one damaged copy per SGX-specific check
// (dcap_common_checks_test.cpp has those SGX and TDX share).
#include "attest/dcap/sgx_quote_verifier.hpp"

#include <gtest/gtest.h>

#include "attest/common/iso8601.hpp"
#include "attest/dcap/report_body.hpp"
#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

class SgxQuoteVerifier : public ::testing::Test, protected DcapQvlQuote {
 protected:
  SgxQuoteVerifier() : DcapQvlQuote("sgx_quote", verify_sgx_quote) {}
};

TEST_F(SgxQuoteVerifier, DcapQvlQuoteVerifiesWithCollateral) {
  auto r = verify_sgx_quote(quote, options());
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.type, EvidenceType::sgx);
  // check_sgx_quote.txt
  EXPECT_EQ(r.claims["mrenclave"], "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
  EXPECT_EQ(r.claims["mrsigner"], "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
  EXPECT_EQ(r.claims["isv_prod_id"], "0");
  EXPECT_EQ(r.claims["isv_svn"], "0");
  EXPECT_EQ(r.claims["attributes"], "0500000000000000e700000000000000");
  EXPECT_EQ(r.claims["debug"], "false");
  EXPECT_EQ(r.claims["report_data"],
            "48656c6c6f2c20776f726c6421000000000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000");
  EXPECT_EQ(r.claims["fmspc"], "00a067110000");
  EXPECT_EQ(r.claims["chain.0.subject"],
            "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX PCK Certificate");
  EXPECT_EQ(r.claims["chain.1.subject"],
            "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX PCK Processor CA");
  EXPECT_EQ(r.claims["chain.2.subject"],
            "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX Root CA");
  // QE ISVSVN 10 is at the QE identity's top level (8); the platform's TCB level is the one
  // dcap-qvl's own test expects for this quote and collateral.
  EXPECT_EQ(r.claims["qe_identity.tcb_status"], "UpToDate");
  EXPECT_EQ(r.claims["tcb_status"], "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(r.claims["tcb.advisory_ids"], "INTEL-SA-00289,INTEL-SA-00615");
  EXPECT_EQ(r.claims.count("quote.trailing_bytes"), 0u);
}

// A verdict holds only while every input it accepted does (docs/attestation.md section 6.2,
// "Client cache"): valid_until is the earliest notAfter or nextUpdate among them.
TEST_F(SgxQuoteVerifier, VerdictIsValidUntilTheEarliestEndOfItsInputs) {
  // The bundle: QE Identity's nextUpdate comes first, before the PCK CRL's (10:23:18), TCB
  // Info's (10:56:11), the root CA CRL's (2026-04-03) and every certificate's notAfter.
  auto r = verify_sgx_quote(quote, options());
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.valid_until, parse_iso8601_utc("2025-07-19T10:01:18Z"));
  // The bundle's CRLs alone: the PCK CRL's nextUpdate.
  auto o = options(false);
  const auto bundle = nlohmann::json::parse(collateral);
  o.crl_der_or_pem = {bundle.at("pck_crl").get<std::string>(),
                      bundle.at("root_ca_crl").get<std::string>()};
  r = verify_sgx_quote(quote, o);
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.valid_until, parse_iso8601_utc("2025-07-19T10:23:18Z"));
  // No CRL, revocation skipped: the PCK chain alone, whose leaf expires first.
  o = options(false);
  o.revocation = RevocationMode::skip_insecure;
  r = verify_sgx_quote(quote, o);
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.valid_until, parse_iso8601_utc("2030-09-20T21:53:43Z"));
}

// Without collateral there are no CRLs: the PCK chain's revocation fails, by name. With the
// bundle's two CRLs given on their own, the quote verifies but no TCB status is reported.
TEST_F(SgxQuoteVerifier, WithoutCollateralRevocationFailsAndNoTcbStatusIsReported) {
  auto o = options(false);
  auto r = verify_sgx_quote(quote, o);
  EXPECT_EQ(failed_check(r), "pck.crl.present") << describe(r);
  const auto bundle = nlohmann::json::parse(collateral);
  o.crl_der_or_pem = {bundle.at("pck_crl").get<std::string>(),
                      bundle.at("root_ca_crl").get<std::string>()};
  r = verify_sgx_quote(quote, o);
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.claims["pck.revocation"], "checked");
  EXPECT_EQ(r.claims.count("tcb_status"), 0u);
}

TEST_F(SgxQuoteVerifier, FlippedBitInEachSignedRegionFailsItsOwnCheck) {
  const DcapQuote q = parse_or_fail(quote, DcapTee::sgx);
  struct Case {
    const char* region;
    std::size_t offset;
    const char* check;
  };
  const Case cases[] = {
      {"header (QE SVN)", 8, "quote.signature"},
      {"header (user data)", 30, "quote.signature"},
      {"body (MRENCLAVE)", offset_of(quote, q.body) + sgx_report::mrenclave.offset, "quote.signature"},
      {"body (REPORTDATA)", offset_of(quote, q.body) + sgx_report::report_data.offset, "quote.signature"},
      {"quote signature", offset_of(quote, q.signature) + 5, "quote.signature"},
      {"attestation key", offset_of(quote, q.attestation_key) + 63, "quote.attestation_key"},
      {"QE report (CPUSVN)", offset_of(quote, q.qe_report), "qe_report.signature"},
      {"QE report (REPORTDATA)", offset_of(quote, q.qe_report) + sgx_report::report_data.offset,
       "qe_report.report_data"},
      {"QE report (REPORTDATA zero half)",
       offset_of(quote, q.qe_report) + sgx_report::report_data.offset + 40, "qe_report.report_data"},
      {"QE auth data", offset_of(quote, q.qe_auth_data), "qe_report.report_data"},
      {"QE report signature", offset_of(quote, q.qe_report_signature) + 40, "qe_report.signature"},
  };
  for (const auto& c : cases) {
    auto r = verify(flip_bit(quote, c.offset));
    EXPECT_FALSE(r.valid()) << c.region;
    EXPECT_EQ(failed_check(r), c.check) << c.region << "\n" << describe(r);
  }
}

TEST_F(SgxQuoteVerifier, DamagedPckCertificateFailsTheChainFormat) {
  const DcapQuote q = parse_or_fail(quote, DcapTee::sgx);
  // A byte inside the leaf's base64 changes its DER: the PEM no longer parses as a certificate.
  auto damaged = quote;
  damaged.at(offset_of(quote, q.pck_chain_pem) + 100) = '*';
  EXPECT_EQ(failed_check(verify(damaged)), "pck.chain.format");
}

TEST_F(SgxQuoteVerifier, TamperedEmbeddedRootIsRejected) {
  const DcapQuote q = parse_or_fail(quote, DcapTee::sgx);
  const std::string pem(q.pck_chain_pem.begin(), q.pck_chain_pem.end());
  std::size_t root = 0;
  for (int i = 0; i < 2; ++i) root = pem.find("-----BEGIN", root + 1);  // the third block
  // The root's base64 carries its subject around DER offset 238: a changed subject makes the
  // embedded root another certificate, which must not be skipped in favour of the pinned one.
  auto r = verify(flip_bit(quote, offset_of(quote, q.pck_chain_pem) + root + 349));
  EXPECT_EQ(failed_check(r), "pck.chain") << describe(r);
}

TEST_F(SgxQuoteVerifier, FlippedBitInThePckLeafSignatureFailsTheChain) {
  const DcapQuote q = parse_or_fail(quote, DcapTee::sgx);
  const std::string pem(q.pck_chain_pem.begin(), q.pck_chain_pem.end());
  // The last base64 characters of the leaf encode its ECDSA signature's s value: the leaf
  // still parses and its key still verifies the QE report, but the CA did not sign it.
  const std::size_t leaf_end = pem.find("\n-----END CERTIFICATE-----");
  auto damaged = quote;
  char& c = reinterpret_cast<char&>(damaged.at(offset_of(quote, q.pck_chain_pem) + leaf_end - 8));
  c = c == 'A' ? 'B' : 'A';
  auto r = verify(damaged);
  EXPECT_EQ(failed_check(r), "pck.chain") << describe(r);
}

TEST_F(SgxQuoteVerifier, HeaderFieldsAreChecked) {
  auto version = quote;
  put_le16(version, 0, 5);
  EXPECT_EQ(failed_check(verify(version)), "quote.header.version");
  auto key_type = quote;
  put_le16(key_type, 2, 3);
  EXPECT_EQ(failed_check(verify(key_type)), "quote.header.attestation_key_type");
  auto tee = quote;
  put_le32(tee, 4, 0x81);
  EXPECT_EQ(failed_check(verify(tee)), "quote.header.tee_type");
  EXPECT_EQ(failed_check(verify(flip_bit(quote, 12))), "quote.header.qe_vendor_id");
}

TEST_F(SgxQuoteVerifier, TruncatedQuoteIsRejected) {
  EXPECT_EQ(failed_check(verify({quote.begin(), quote.begin() + 47})), "quote.header");
  EXPECT_EQ(failed_check(verify({quote.begin(), quote.begin() + 300})), "quote.body");
  EXPECT_EQ(failed_check(verify({quote.begin(), quote.begin() + 432})), "quote.signature_data");
  EXPECT_EQ(failed_check(verify({})), "quote.header");
}

TEST_F(SgxQuoteVerifier, LengthsPointingOutsideTheBufferAreRejected) {
  const DcapQuote q = parse_or_fail(quote, DcapTee::sgx);
  auto sig_len = quote;
  put_le32(sig_len, 432, 0xffffffff);
  auto r = verify(sig_len);
  EXPECT_EQ(failed_check(r), "quote.signature_data");
  EXPECT_NE(failure_detail(r).find("points past"), std::string::npos) << failure_detail(r);

  auto auth_len = quote;
  put_le16(auth_len, offset_of(quote, q.qe_auth_data) - 2, 0xffff);
  EXPECT_EQ(failed_check(verify(auth_len)), "quote.signature_data");

  auto cert_len = quote;
  put_le32(cert_len, offset_of(quote, q.pck_chain_pem) - 4, 0x7fffffff);
  EXPECT_EQ(failed_check(verify(cert_len)), "quote.signature_data");

  auto cert_type = quote;
  put_le16(cert_type, offset_of(quote, q.pck_chain_pem) - 6, 6);
  EXPECT_EQ(failed_check(verify(cert_type)), "quote.signature_data");
}

TEST_F(SgxQuoteVerifier, RootOptionThatIsNotOneCertificateIsRejected) {
  auto o = options(false);
  o.root_pem = "not a certificate";
  EXPECT_EQ(failed_check(verify_sgx_quote(quote, o)), "pck.root");
}

TEST_F(SgxQuoteVerifier, CollateralForAnotherPlatformIsRejected) {
  auto o = options();
  // The TDX bundle's PCK CRL is not from the SGX chain's CA; the SGX bundle's is given beside.
  o.collateral_json = read_text("dcap-qvl/tdx_quote_collateral.json");
  const auto sgx_bundle = nlohmann::json::parse(read_text("dcap-qvl/sgx_quote_collateral.json"));
  o.crl_der_or_pem = {sgx_bundle.at("pck_crl").get<std::string>()};
  EXPECT_EQ(failed_check(verify_sgx_quote(quote, o)), "tcb_info.type");
}

// A CRL from another CA says nothing about this chain: the chain's own CA's is still missing.
TEST_F(SgxQuoteVerifier, CrlOfAnotherCaDoesNotCoverTheChain) {
  auto o = options(false);
  o.crl_der_or_pem.push_back(read_text("go-tdx-guest/pckcrl"));  // PCK Platform CA's CRL
  EXPECT_EQ(failed_check(verify_sgx_quote(quote, o)), "pck.crl.present");
  o.crl_der_or_pem = {"garbage"};
  EXPECT_EQ(failed_check(verify_sgx_quote(quote, o)), "pck.crl.format");
}

TEST(SgxEnclaveClaims, DebugAttributeIsReported) {
  auto quote = read_bytes("dcap-qvl/sgx_quote");
  const DcapQuote q = parse_or_fail(quote, DcapTee::sgx);
  std::vector<std::uint8_t> body(q.body.begin(), q.body.end());
  VerificationResult production;
  add_sgx_enclave_claims(body, production);
  EXPECT_EQ(production.claims["debug"], "false");
  body[sgx_report::attributes.offset] |= sgx_report::kDebugBit;
  VerificationResult debug;
  add_sgx_enclave_claims(body, debug);
  EXPECT_EQ(debug.claims["debug"], "true");
}

// Intel's DCAP 1.3 sample quote: every internal signature verifies, but its chain ends in a
// test root that is not the production Intel SGX Root CA (check_vs_production_root.txt).
TEST(IntelSampleQuote, RejectedWhenTheProductionRootIsPinned) {
  auto quote = read_bytes("intel-dcap-sampledata-testroot/quote.dat");
  IntelVerifyOptions o;
  o.at_unix = 1577836800;  // 2020-01-01, inside the sample PCK leaf's 2019-08-14..2026-08-14
  auto r = verify_sgx_quote(quote, o);
  EXPECT_FALSE(r.valid());
  EXPECT_EQ(failed_check(r), "pck.chain");
  EXPECT_NE(failure_detail(r).find("is not the pinned root"), std::string::npos)
      << failure_detail(r);
  EXPECT_NE(failure_detail(r).find("44a0196b"), std::string::npos) << failure_detail(r);
}

// Intel's sample data has no CRLs: genuine under its test root only with revocation skipped.
TEST(IntelSampleQuote, AcceptedUnderItsOwnTestRoot) {
  auto quote = read_bytes("intel-dcap-sampledata-testroot/quote.dat");
  IntelVerifyOptions o;
  o.at_unix = 1577836800;
  o.root_pem = read_text("intel-dcap-sampledata-testroot/trustedRootCaCert.pem");
  EXPECT_EQ(failed_check(verify_sgx_quote(quote, o)), "pck.crl.present");
  o.revocation = RevocationMode::skip_insecure;
  auto r = verify_sgx_quote(quote, o);
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.claims["mrenclave"], "4f8822f11d5d689ef195c55811bcf8ef88241db6795e4d1f69498d1ab4713953");
  EXPECT_EQ(r.claims["debug"], "true");  // ATTRIBUTES 07..: the sample enclave is a debug build
}

}  // namespace
}  // namespace attestmq::attest
