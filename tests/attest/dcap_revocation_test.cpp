// Revocation of the PCK chain and of the TCB signing chain, on dcap-qvl's real TDX quote and
// collateral (a PCK CRL past its nextUpdate: tdx_quote_verifier_test.cpp, StaleCrlIsRejected,
// on go-tdx-guest's real CRLs). A CRL that lists a real certificate would need Intel's key:
// for the PCK chain that case is in revocation_test.cpp, on a PKI made there; for the TCB
// signing chain dcap-qvl's TCB Info and QE Identity are re-signed here under a root made
// here, whose CRL lists the TCB Signing certificate. Elsewhere a CRL in an Intel CA's name
// is forged with another key.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/hex.hpp"
#include "attest/common/iso8601.hpp"
#include "attest/common/revocation.hpp"
#include "attest/dcap/collateral.hpp"
#include "attest/dcap/tdx_quote_verifier.hpp"
#include "attest/sim/sim_key.hpp"
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

std::string pem_of(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), certificate);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// An independent review's bypass: a genuine Intel CA slipped into the TCB Info issuer chain is
// skipped by path validation, but revocation went by position and checked the TCB Signing
// certificate against that CA's CRL instead of the root's. The path must be the chain.
TEST_F(DcapRevocation, ACertificateOffThePathInAnIssuerChainIsRefused) {
  const auto chain = pck_chain();
  ASSERT_EQ(chain.size(), 3u);
  const std::string bundle =
      edit_collateral(tdx.collateral, "tcb_info_issuer_chain", [&](std::string& pem) {
        const auto certs = parse_pem_certificates(pem);
        ASSERT_EQ(certs.size(), 2u);
        pem = pem_of(certs[0].get()) + pem_of(chain[1].get()) + pem_of(certs[1].get());
      });
  const auto r = verify(bundle);
  EXPECT_EQ(failed_check(r), "collateral.tcb_info.chain") << describe(r);
  EXPECT_NE(failure_detail(r).find("off that path"), std::string::npos) << failure_detail(r);
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

// A root and an "Intel SGX TCB Signing" certificate made here, both ECDSA P-256.
class GeneratedTcbSigningChain : public ::testing::Test {
 protected:
  EvpPkeyPtr root_key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  EvpPkeyPtr signing_key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  X509Ptr root = make_cert("Test SGX Root CA", nullptr, root_key.get(), 1);
  X509Ptr signing = make_cert("Intel SGX TCB Signing", root.get(), signing_key.get(), 2);

  X509Ptr make_cert(const std::string& cn, X509* issuer, EVP_PKEY* key, long serial) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    ASN1_TIME_set(X509_getm_notBefore(cert.get()), kDcapQvlTime - 365 * 86400);
    ASN1_TIME_set(X509_getm_notAfter(cert.get()), kDcapQvlTime + 365 * 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer ? issuer : cert.get()));
    X509_set_pubkey(cert.get(), key);
    if (issuer == nullptr) {
      for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                       std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value);
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
      }
    }
    X509_sign(cert.get(), issuer ? root_key.get() : key, EVP_sha256());
    return cert;
  }
  static std::string pem(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return out;
  }
  // dcap-qvl's TDX bundle, its TCB Info and QE Identity re-signed by the TCB Signing key made
  // here, with a root CRL listing `revoked`.
  std::string bundle(std::vector<X509*> revoked) {
    auto json = nlohmann::json::parse(read_text("dcap-qvl/tdx_quote_collateral.json"));
    const std::string chain = pem(signing.get()) + pem(root.get());
    for (const std::string item : {"tcb_info", "qe_identity"}) {
      const std::string text = json.at(item).get<std::string>();
      // sim_sign is the project's ECDSA P-256 signer with the r || s output Intel uses.
      const auto signature = sim_sign(
          signing_key.get(),
          std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
      EXPECT_TRUE(signature);
      json[item + "_signature"] = to_hex(*signature);
      json[item + "_issuer_chain"] = chain;
    }
    const X509CrlPtr crl = crl_test::make_crl({root.get(), root_key.get(), std::move(revoked),
                                               kDcapQvlTime - 86400, kDcapQvlTime + 86400});
    json["root_ca_crl"] = crl_test::crl_hex(crl.get());
    return json.dump();
  }
  std::string failure(const std::string& bundle_json) {
    VerificationResult result;
    const auto collateral =
        load_collateral(bundle_json, root.get(), kDcapQvlTime, {RevocationMode::required, {}},
                        result);
    EXPECT_EQ(collateral.has_value(), result.valid());
    return failed_check(result);
  }
};

TEST_F(GeneratedTcbSigningChain, CurrentRootCrlListingNothingPasses) {
  EXPECT_EQ(failure(bundle({})), "(none)");
}

TEST_F(GeneratedTcbSigningChain, RootCrlListingTheTcbSigningCertificateFails) {
  EXPECT_EQ(failure(bundle({signing.get()})), "collateral.tcb_info.revocation");
}

}  // namespace
}  // namespace attestmq::attest
