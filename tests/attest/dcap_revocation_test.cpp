// Revocation of the PCK chain and of the TCB signing chain, on dcap-qvl's real TDX quote and
// collateral (a PCK CRL past its nextUpdate: tdx_quote_verifier_test.cpp, StaleCrlIsRejected,
// on go-tdx-guest's real CRLs). A CRL that lists a real certificate would need
// Intel's key: that case is in revocation_test.cpp, on a PKI made there; here a CRL in an
// Intel CA's name is forged with another key.
#include <gtest/gtest.h>

#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/iso8601.hpp"
#include "attest/common/revocation.hpp"
#include "attest/dcap/tdx_quote_verifier.hpp"
#include "crl_builder.hpp"
#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

class DcapRevocation : public ::testing::Test {
 protected:
  DcapQvlQuote tdx{"tdx_quote", verify_tdx_quote};

  // The quote's own PCK chain: leaf, PCK CA, root.
  std::vector<X509Ptr> pck_chain() const {
    const DcapQuote q = parse_or_fail(tdx.quote, DcapTee::tdx);
    return parse_pem_certificates(std::string_view(
        reinterpret_cast<const char*>(q.pck_chain_pem.data()), q.pck_chain_pem.size()));
  }
  // A CRL in the name of `issuer`, current at kDcapQvlTime, signed by a key made here.
  static std::string forged_crl_hex(X509* issuer) {
    const EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    const X509CrlPtr crl = crl_test::make_crl(
        {issuer, key.get(), {}, kDcapQvlTime - 86400, kDcapQvlTime + 86400});
    return crl_test::crl_hex(crl.get());
  }
  VerificationResult verify(const std::string& bundle,
                            RevocationMode mode = RevocationMode::required) const {
    IntelVerifyOptions o = tdx.options();
    o.collateral_json = bundle;
    o.revocation = mode;
    return tdx.verify_with(o);
  }
};

TEST_F(DcapRevocation, FullCollateralChecksBothChains) {
  const auto r = verify(tdx.collateral);
  ASSERT_TRUE(r.valid()) << describe(r);
  for (const char* chain : {"pck", "collateral.tcb_info", "collateral.qe_identity"}) {
    EXPECT_EQ(r.claims.at(std::string(chain) + ".revocation"), "checked") << chain;
  }
}

// The review's reproduction: both CRLs deleted used to verify as VALID with no pck.crl check.
TEST_F(DcapRevocation, BundleWithoutCrlsFails) {
  const std::string bundle = edit_collateral(
      edit_collateral(tdx.collateral, "pck_crl", nullptr), "root_ca_crl", nullptr);
  const auto r = verify(bundle);
  EXPECT_EQ(failed_check(r), "collateral.tcb_info.crl.present") << describe(r);
  EXPECT_NE(failure_detail(r).find("no CRL from \"Intel SGX Root CA\" to check \"Intel SGX TCB "
                                   "Signing\""),
            std::string::npos)
      << failure_detail(r);
}

TEST_F(DcapRevocation, BundleWithoutPckCrlFails) {
  const auto r = verify(edit_collateral(tdx.collateral, "pck_crl", nullptr));
  EXPECT_EQ(failed_check(r), "pck.crl.present") << describe(r);
  EXPECT_NE(failure_detail(r).find("to check \"Intel SGX PCK Certificate\""), std::string::npos)
      << failure_detail(r);
}

TEST_F(DcapRevocation, SkipInsecureAcceptsTheBundleWithoutCrlsAndSaysSo) {
  const std::string bundle = edit_collateral(
      edit_collateral(tdx.collateral, "pck_crl", nullptr), "root_ca_crl", nullptr);
  const auto r = verify(bundle, RevocationMode::skip_insecure);
  ASSERT_TRUE(r.valid()) << describe(r);
  for (const char* chain : {"pck", "collateral.tcb_info", "collateral.qe_identity"}) {
    EXPECT_TRUE(r.claims.at(std::string(chain) + ".revocation").starts_with(kRevocationNotChecked))
        << chain;
  }
}

TEST_F(DcapRevocation, PckCrlSignedByAnotherKeyFails) {
  const auto chain = pck_chain();
  ASSERT_EQ(chain.size(), 3u);
  const std::string bundle = edit_collateral(
      tdx.collateral, "pck_crl", [&](std::string& hex) { hex = forged_crl_hex(chain[1].get()); });
  const auto r = verify(bundle);
  EXPECT_EQ(failed_check(r), "pck.crl.signature") << describe(r);
  // Skipping revocation does not make a forged CRL acceptable.
  EXPECT_EQ(failed_check(verify(bundle, RevocationMode::skip_insecure)), "pck.crl.signature");
}

TEST_F(DcapRevocation, RootCrlSignedByAnotherKeyFailsTheTcbSigningChain) {
  const auto chain = pck_chain();
  ASSERT_EQ(chain.size(), 3u);
  const std::string bundle =
      edit_collateral(tdx.collateral, "root_ca_crl",
                      [&](std::string& hex) { hex = forged_crl_hex(chain[2].get()); });
  EXPECT_EQ(failed_check(verify(bundle)), "collateral.tcb_info.crl.signature");
}

// dcap-qvl's root CRL is current until 2026-04-03 and the TCB Signing certificate for years
// after: a month later the root CRL, not the certificate, is what fails.
TEST_F(DcapRevocation, RootCrlPastItsNextUpdateFailsTheTcbSigningChain) {
  IntelVerifyOptions o = tdx.options();
  o.at_unix = *parse_iso8601_utc("2026-05-01T00:00:00Z");
  const auto r = tdx.verify_with(o);
  EXPECT_EQ(failed_check(r), "collateral.tcb_info.crl.validity") << describe(r);
  EXPECT_NE(failure_detail(r).find("nextUpdate"), std::string::npos) << failure_detail(r);
}

}  // namespace
}  // namespace attestmq::attest
