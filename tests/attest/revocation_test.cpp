// check_revocation on a PKI made here (root -> CA -> leaf, ECDSA P-256): the four ways a CRL
// can fail a chain, and what skip-insecure does and does not relax.
#include "attest/common/revocation.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "attest/common/ecdsa_p256.hpp"
#include "crl_builder.hpp"

namespace attestmq::attest {
namespace {

using crl_test::CrlSpec;
using crl_test::make_crl;

constexpr std::int64_t kAt = 1750000000;  // 2025-06-15
constexpr std::int64_t kDay = 86400;

struct Node {
  EvpPkeyPtr key;
  X509Ptr cert;
};

EvpPkeyPtr p256() { return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

Node make_node(const std::string& cn, const Node* issuer, long serial) {
  Node node{p256(), X509Ptr(X509_new())};
  X509* cert = node.cert.get();
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<std::time_t>(kAt - 30 * kDay));
  ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<std::time_t>(kAt + 365 * kDay));
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer->cert.get())
                                    : X509_get_subject_name(cert));
  X509_set_pubkey(cert, node.key.get());
  X509_sign(cert, issuer ? issuer->key.get() : node.key.get(), EVP_sha256());
  return node;
}

class RevocationTest : public ::testing::Test {
 protected:
  Node root = make_node("Test Root CA", nullptr, 1);
  Node ca = make_node("Test Intermediate CA", &root, 2);
  Node leaf = make_node("Test Leaf", &ca, 3);

  std::vector<CertificateLink> links() const {
    return {{leaf.cert.get(), ca.cert.get()}, {ca.cert.get(), root.cert.get()}};
  }
  X509CrlPtr crl_of(const Node& issuer, std::vector<X509*> revoked = {}) const {
    return make_crl({issuer.cert.get(), issuer.key.get(), std::move(revoked), kAt - kDay,
                     kAt + 30 * kDay});
  }
  // The name of the first failed check, or "(none)".
  std::string run(const std::vector<X509_CRL*>& crls,
                  RevocationMode mode = RevocationMode::required) {
    result = {};
    check_revocation("pck", links(), crls, kAt, mode, result);
    const Check* failure = result.first_failure();
    return failure ? failure->name : "(none)";
  }
  VerificationResult result;
};

TEST_F(RevocationTest, EveryCertificateCoveredByACurrentCrlPasses) {
  auto ca_crl = crl_of(ca), root_crl = crl_of(root);
  EXPECT_EQ(run({ca_crl.get(), root_crl.get()}), "(none)");
  EXPECT_TRUE(result.valid());
  EXPECT_EQ(result.claims.at("pck.revocation"), "checked");
}

TEST_F(RevocationTest, AMissingCrlFailsWithItsOwnCheck) {
  auto root_crl = crl_of(root);
  EXPECT_EQ(run({root_crl.get()}), "pck.crl.present");
  EXPECT_NE(result.first_failure()->detail.find("Test Intermediate CA"), std::string::npos);
  EXPECT_EQ(run({}), "pck.crl.present");
}

TEST_F(RevocationTest, ACrlListingTheLeafRevokesIt) {
  auto ca_crl = crl_of(ca, {leaf.cert.get()}), root_crl = crl_of(root);
  EXPECT_EQ(run({ca_crl.get(), root_crl.get()}), "pck.revocation");
  EXPECT_NE(result.first_failure()->detail.find("Test Leaf"), std::string::npos);
}

TEST_F(RevocationTest, ACrlListingTheIntermediateRevokesIt) {
  auto ca_crl = crl_of(ca), root_crl = crl_of(root, {ca.cert.get()});
  EXPECT_EQ(run({ca_crl.get(), root_crl.get()}), "pck.revocation");
}

TEST_F(RevocationTest, ACrlPastItsNextUpdateFails) {
  auto ca_crl = make_crl({ca.cert.get(), ca.key.get(), {}, kAt - 30 * kDay, kAt - kDay});
  auto root_crl = crl_of(root);
  EXPECT_EQ(run({ca_crl.get(), root_crl.get()}), "pck.crl.validity");
  auto future = make_crl({ca.cert.get(), ca.key.get(), {}, kAt + kDay, kAt + 30 * kDay});
  EXPECT_EQ(run({future.get(), root_crl.get()}), "pck.crl.validity");
}

TEST_F(RevocationTest, ACrlInTheIssuersNameSignedByAnotherKeyFails) {
  EvpPkeyPtr other = p256();
  auto forged = make_crl({ca.cert.get(), other.get(), {}, kAt - kDay, kAt + 30 * kDay});
  auto root_crl = crl_of(root);
  EXPECT_EQ(run({forged.get(), root_crl.get()}), "pck.crl.signature");
  // A genuine CRL beside the forged one does not make the forged one acceptable.
  auto genuine = crl_of(ca);
  EXPECT_EQ(run({genuine.get(), forged.get(), root_crl.get()}), "pck.crl.signature");
}

TEST_F(RevocationTest, SkipInsecureToleratesAMissingCrlAndSaysSo) {
  auto root_crl = crl_of(root);
  EXPECT_EQ(run({root_crl.get()}, RevocationMode::skip_insecure), "(none)");
  const std::string& claim = result.claims.at("pck.revocation");
  EXPECT_TRUE(claim.starts_with(kRevocationNotChecked)) << claim;
  EXPECT_NE(claim.find("Test Intermediate CA"), std::string::npos) << claim;
}

TEST_F(RevocationTest, SkipInsecureStillRejectsACrlThatIsGivenAndFails) {
  auto ca_crl = crl_of(ca, {leaf.cert.get()});
  EXPECT_EQ(run({ca_crl.get()}, RevocationMode::skip_insecure), "pck.revocation");
  EvpPkeyPtr other = p256();
  auto forged = make_crl({root.cert.get(), other.get(), {}, kAt - kDay, kAt + 30 * kDay});
  EXPECT_EQ(run({forged.get()}, RevocationMode::skip_insecure), "pck.crl.signature");
}

TEST_F(RevocationTest, CrlsOfOtherIssuersAreNotAboutThisChain) {
  Node stranger = make_node("Unrelated CA", nullptr, 9);
  auto ca_crl = crl_of(ca), root_crl = crl_of(root), other = crl_of(stranger, {leaf.cert.get()});
  EXPECT_EQ(run({other.get(), ca_crl.get(), root_crl.get()}), "(none)");
}

}  // namespace
}  // namespace attestmq::attest
