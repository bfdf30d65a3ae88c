// PEM bundles as quotes carry them, CRL encodings, and chain verification edge cases.
#include "attest/common/x509_chain.hpp"

#include <gtest/gtest.h>

#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

const std::string kRootFile = "go-tdx-guest/trusted_root.pem";

TEST(PemCertificates, BundleWithoutLineBreaksBetweenBlocksAndNulTerminator) {
  const std::string root = read_text(kRootFile);
  std::string joined = root.substr(0, root.find_last_not_of("\n") + 1);  // ends in -----
  joined += joined + std::string(1, '\0');
  EXPECT_EQ(parse_pem_certificates(joined).size(), 2u);
}

TEST(PemCertificates, AnythingButPaddingOutsideBlocksIsMalformed) {
  const std::string root = read_text(kRootFile);
  EXPECT_EQ(parse_pem_certificates(root).size(), 1u);
  EXPECT_TRUE(parse_pem_certificates("junk" + root).empty());
  EXPECT_TRUE(parse_pem_certificates(root + "junk").empty());
  EXPECT_TRUE(parse_pem_certificates(root.substr(0, root.size() - 30)).empty());
  EXPECT_TRUE(parse_pem_certificates("").empty());
}

TEST(Crls, DerPemAndHexAreAccepted) {
  const std::string der = read_text("go-tdx-guest/rootcrl.der");
  auto from_der = parse_crl(der);
  ASSERT_NE(from_der, nullptr);
  std::string hex;
  for (unsigned char c : der) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  EXPECT_NE(parse_crl(hex), nullptr);
  EXPECT_EQ(parse_crl(der + "x"), nullptr);  // trailing bytes
  EXPECT_EQ(parse_crl("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), nullptr);
}

TEST(ChainVerification, SelfSignedRootAloneVerifiesAndOtherRootsDoNot) {
  auto root = parse_pem_certificates(read_text(kRootFile));
  auto test_root =
      parse_pem_certificates(read_text("intel-dcap-sampledata-testroot/trustedRootCaCert.pem"));
  ASSERT_EQ(root.size(), 1u);
  ASSERT_EQ(test_root.size(), 1u);
  EXPECT_TRUE(verify_chain_to_pinned_root(root, root[0].get(), kDcapQvlTime).ok);
  auto other = verify_chain_to_pinned_root(test_root, root[0].get(), kDcapQvlTime);
  EXPECT_FALSE(other.ok);
  EXPECT_NE(other.detail.find("is not the pinned root"), std::string::npos) << other.detail;
  EXPECT_FALSE(verify_chain_to_pinned_root({}, root[0].get(), kDcapQvlTime).ok);
  // Before the root's notBefore (2018-05-21).
  EXPECT_FALSE(verify_chain_to_pinned_root(root, root[0].get(), 1500000000).ok);
}

}  // namespace
}  // namespace attestmq::attest
