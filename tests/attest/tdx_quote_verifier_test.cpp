// verify_tdx_quote on real TDX v4 quotes: dcap-qvl's (with its collateral) and go-tdx-guest's
// (Intel's root, CRLs, extra bytes appended to the file); then damaged copies.
#include "attest/dcap/tdx_quote_verifier.hpp"

#include <gtest/gtest.h>

#include "attest/dcap/report_body.hpp"
#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

class DcapQvlTdxQuote : public ::testing::Test, protected DcapQvlQuote {
 protected:
  DcapQvlTdxQuote() : DcapQvlQuote("tdx_quote", verify_tdx_quote) {}
};

TEST_F(DcapQvlTdxQuote, VerifiesWithCollateral) {
  auto r = verify_tdx_quote(quote, options());
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.type, EvidenceType::tdx);
  // check_tdx_quote.txt: a 4936-byte quote followed by 70 zero bytes in the file.
  EXPECT_EQ(r.claims["quote.trailing_bytes"], "70");
  EXPECT_EQ(r.claims["tee_tcb_svn"], "06010300000000000000000000000000");
  EXPECT_EQ(r.claims["mrtd"],
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
  EXPECT_EQ(r.claims["report_data"],
            "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20");
  EXPECT_EQ(r.claims["fmspc"], "b0c06f000000");
  EXPECT_EQ(r.claims["chain.1.subject"],
            "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX PCK Platform CA");
  for (const char* claim : {"rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrconfigid", "mrowner",
                            "mrownerconfig", "td_attributes", "debug"}) {
    EXPECT_EQ(r.claims.count(claim), 1u) << claim;
  }
  EXPECT_EQ(r.claims["debug"], "false");
  // QE ISVSVN 6 >= the TD_QE identity's top level 4; TDX module 1 (TEE_TCB_SVN[1]) at SVN 6
  // >= TDX_01's top level 4; and the platform level computed from the PCK certificate.
  EXPECT_EQ(r.claims["qe_identity.tcb_status"], "UpToDate");
  EXPECT_EQ(r.claims["tdx_module.tcb_status"], "UpToDate");
  EXPECT_EQ(r.claims["tcb_status"], "UpToDate");
  EXPECT_EQ(r.claims.count("tcb.advisory_ids"), 0u);  // the top level lists none
}

TEST_F(DcapQvlTdxQuote, FlippedBitInEachSignedRegionFailsItsOwnCheck) {
  const DcapQuote q = parse_or_fail(quote, DcapTee::tdx);
  struct Case {
    const char* region;
    std::size_t offset;
    const char* check;
  };
  const Case cases[] = {
      {"header", 10, "quote.signature"},
      {"body (MRTD)", offset_of(quote, q.body) + tdx_report::mrtd.offset, "quote.signature"},
      {"body (TD attributes)", offset_of(quote, q.body) + tdx_report::td_attributes.offset,
       "quote.signature"},
      {"quote signature", offset_of(quote, q.signature), "quote.signature"},
      {"QE report", offset_of(quote, q.qe_report) + 100, "qe_report.signature"},
      {"QE report REPORTDATA", offset_of(quote, q.qe_report) + sgx_report::report_data.offset + 3,
       "qe_report.report_data"},
      {"QE auth data", offset_of(quote, q.qe_auth_data) + 31, "qe_report.report_data"},
      {"QE report signature", offset_of(quote, q.qe_report_signature), "qe_report.signature"},
  };
  for (const auto& c : cases) {
    auto r = verify(flip_bit(quote, c.offset));
    EXPECT_EQ(failed_check(r), c.check) << c.region << "\n" << describe(r);
  }
}

TEST_F(DcapQvlTdxQuote, SgxQuoteIsNotATdxQuote) {
  EXPECT_EQ(failed_check(verify(read_bytes("dcap-qvl/sgx_quote"))), "quote.header.version");
  auto v4_sgx = quote;
  put_le32(v4_sgx, 4, 0);
  EXPECT_EQ(failed_check(verify(v4_sgx)), "quote.header.tee_type");
}

TEST_F(DcapQvlTdxQuote, TruncatedAndOverlongLengthsAreRejected) {
  EXPECT_EQ(failed_check(verify({quote.begin(), quote.begin() + 600})), "quote.body");
  const DcapQuote q = parse_or_fail(quote, DcapTee::tdx);
  // Certification data type 6's size, just before the QE report.
  auto outer = quote;
  put_le32(outer, offset_of(quote, q.qe_report) - 4, 0x10000);
  EXPECT_EQ(failed_check(verify(outer)), "quote.signature_data");
  auto outer_type = quote;
  put_le16(outer_type, offset_of(quote, q.qe_report) - 6, 5);
  EXPECT_EQ(failed_check(verify(outer_type)), "quote.signature_data");
}

TEST_F(DcapQvlTdxQuote, CollateralSignedByTheWrongCertificateIsRejected) {
  // The PCK chain in place of the TCB Signing chain: chains to the root, but is not the signer.
  auto pck_chain = read_text("go-tdx-guest/pckcrl_issuer_chain.pem");
  auto o = options();
  o.collateral_json = edit_collateral(collateral, "tcb_info_issuer_chain",
                                      [&](std::string& text) { text = pck_chain; });
  auto r = verify_tdx_quote(quote, o);
  EXPECT_EQ(failed_check(r), "collateral.tcb_info.chain");
  EXPECT_NE(failure_detail(r).find("not Intel SGX TCB Signing"), std::string::npos);
}

TEST_F(DcapQvlTdxQuote, QeIdentityOfTheWrongEnclaveIsRejected) {
  // Both items are genuinely signed by Intel, but the SGX QE's identity is not the TD QE's.
  auto sgx_bundle = nlohmann::json::parse(read_text("dcap-qvl/sgx_quote_collateral.json"));
  auto o = options();
  o.collateral_json = edit_collateral(collateral, "qe_identity", [&](std::string& text) {
    text = sgx_bundle.at("qe_identity").get<std::string>();
  });
  o.collateral_json = edit_collateral(*o.collateral_json, "qe_identity_signature",
                                      [&](std::string& text) {
                                        text = sgx_bundle.at("qe_identity_signature").get<std::string>();
                                      });
  EXPECT_EQ(failed_check(verify_tdx_quote(quote, o)), "qe_identity.type");
}

TEST(TdClaims, DebugAttributeIsReported) {
  auto quote = read_bytes("dcap-qvl/tdx_quote");
  const DcapQuote q = parse_or_fail(quote, DcapTee::tdx);
  std::vector<std::uint8_t> body(q.body.begin(), q.body.end());
  body[tdx_report::td_attributes.offset] |= tdx_report::kDebugBit;
  VerificationResult r;
  add_td_claims(body, r);
  EXPECT_EQ(r.claims["debug"], "true");
}

class GoTdxGuestQuote : public ::testing::Test {
 protected:
  std::vector<std::uint8_t> quote = read_bytes("go-tdx-guest/tdx_prod_quote_SPR_E4.dat");

  IntelVerifyOptions options() const {
    IntelVerifyOptions o;
    o.at_unix = kGoTdxGuestTime;
    o.root_pem = read_text("go-tdx-guest/trusted_root.pem");
    o.crl_der_or_pem = {read_text("go-tdx-guest/pckcrl"), read_text("go-tdx-guest/rootcrl.der")};
    return o;
  }
};

// Intel PCS responses {"<name>":{...},"signature":"<hex>"}: the signed text is the exact
// bytes of the inner object, so it is cut out of the response rather than re-serialised.
std::pair<std::string, std::string> signed_body(const std::string& response,
                                                const std::string& name) {
  const std::string head = "{\"" + name + "\":";
  const std::string tail = ",\"signature\":\"";
  const std::size_t end = response.rfind(tail);
  EXPECT_EQ(response.rfind(head, 0), 0u);
  EXPECT_NE(end, std::string::npos);
  const std::string signature = response.substr(end + tail.size(), 128);
  return {response.substr(head.size(), end - head.size()), signature};
}

// go-tdx-guest's TCB Info (FMSPC 50806f000000) and TD_QE identity as one bundle.
std::string go_tdx_guest_collateral() {
  const std::string chain = read_text("go-tdx-guest/tcb_signing_chain.pem");
  auto [tcb_info, tcb_signature] =
      signed_body(read_text("go-tdx-guest/sample_tcbInfo_response"), "tcbInfo");
  auto [qe_identity, qe_signature] =
      signed_body(read_text("go-tdx-guest/sample_qeIdentity_response"), "enclaveIdentity");
  return nlohmann::json{{"tcb_info", tcb_info},
                        {"tcb_info_signature", tcb_signature},
                        {"tcb_info_issuer_chain", chain},
                        {"qe_identity", qe_identity},
                        {"qe_identity_signature", qe_signature},
                        {"qe_identity_issuer_chain", chain}}
      .dump();
}

// TDX module version 0 (TEE_TCB_SVN[1] = 0): the SEAM is judged by TCB Info's tdxModule.
// Then the PCK certificate's SGX TCB (components 3,3,2,2,2,1,0,2, read with openssl
// asn1parse) is below both levels' (5,5,2,2,3,1,0,3): "TCB not supported", as in QVL.
TEST_F(GoTdxGuestQuote, ModuleVersionZeroAgainstItsOwnCollateral) {
  auto o = options();
  o.collateral_json = go_tdx_guest_collateral();
  auto r = verify_tdx_quote(quote, o);
  EXPECT_EQ(failed_check(r), "tcb.level") << describe(r);
  EXPECT_NE(failure_detail(r).find("PCK certificate's TCB is below every level"),
            std::string::npos)
      << describe(r);
  EXPECT_EQ(r.claims["qe_identity.tcb_status"], "UpToDate");
  EXPECT_EQ(r.claims.count("tdx_module.tcb_status"), 0u);  // version 0 has no module levels
  bool module_checked = false;
  for (const auto& c : r.checks) {
    module_checked |= c.name == "tcb.tdx_module" && c.passed &&
                      c.detail.find("match tdxModule") != std::string::npos;
  }
  EXPECT_TRUE(module_checked) << describe(r);
}

TEST_F(GoTdxGuestQuote, VerifiesAgainstTrustedRootWithCrls) {
  auto r = verify_tdx_quote(quote, options());
  ASSERT_TRUE(r.valid()) << describe(r);
  // check_v4.txt: 4935-byte quote, 39 bytes appended to the file.
  EXPECT_EQ(r.claims["quote.trailing_bytes"], "39");
  EXPECT_EQ(r.claims["mrtd"],
            "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb");
  EXPECT_EQ(r.claims["tee_tcb_svn"], "03000400000000000000000000000000");
  EXPECT_EQ(r.claims["fmspc"], "50806f000000");
  EXPECT_EQ(r.claims["pck.revocation"], "checked");
}

TEST_F(GoTdxGuestQuote, BuiltInRootIsTheSameCertificate) {
  auto o = options();
  o.root_pem.reset();
  auto r = verify_tdx_quote(quote, o);
  ASSERT_TRUE(r.valid()) << describe(r);
  EXPECT_EQ(r.claims["root.sha256"],
            "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
}

TEST_F(GoTdxGuestQuote, StaleCrlIsRejected) {
  auto o = options();
  o.at_unix = 1704067200;  // 2024-01-01: the PCK CRL's nextUpdate was 2023-07-08
  auto r = verify_tdx_quote(quote, o);
  EXPECT_EQ(failed_check(r), "pck.crl.validity");
  EXPECT_NE(failure_detail(r).find("past its nextUpdate"), std::string::npos) << failure_detail(r);
}

TEST_F(GoTdxGuestQuote, CollateralForAnotherFmspcIsRejected) {
  // dcap-qvl's TDX collateral is for FMSPC b0c06f000000; this platform is 50806f000000.
  IntelVerifyOptions o;
  o.at_unix = kDcapQvlTime;
  o.collateral_json = read_text("dcap-qvl/tdx_quote_collateral.json");
  auto r = verify_tdx_quote(quote, o);
  EXPECT_EQ(failed_check(r), "tcb_info.fmspc") << describe(r);
}

TEST_F(GoTdxGuestQuote, WrongRootIsRejected) {
  auto o = options();
  o.root_pem = read_text("intel-dcap-sampledata-testroot/trustedRootCaCert.pem");
  EXPECT_EQ(failed_check(verify_tdx_quote(quote, o)), "pck.chain");
}

}  // namespace
}  // namespace attestmq::attest
