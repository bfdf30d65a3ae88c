// The built-in AMD roots: each is the self-signed ARK of its product, and the Milan and
// Genoa ones are the ARKs that go-sev-guest ships.
#include "attest/snp/amd_roots.hpp"

#include "attest/snp/amd_certs.hpp"
#include "snp_test_data.hpp"

namespace attestmq::attest {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

X509Ptr only_certificate(std::span<const std::uint8_t> bytes) {
  AmdCertificateLoad load = load_amd_certificates(bytes);
  EXPECT_TRUE(load.error.empty()) << load.error;
  EXPECT_EQ(load.certs.size(), 1u);
  return load.certs.empty() ? nullptr : std::move(load.certs.front());
}

TEST(AmdRoots, EachBuiltInArkIsSelfSignedAndNamesItsProduct) {
  for (AmdProduct product : {AmdProduct::milan, AmdProduct::genoa, AmdProduct::turin}) {
    const X509Ptr ark = only_certificate(as_bytes(amd_builtin_ark_pem(product)));
    ASSERT_TRUE(ark);
    EXPECT_EQ(certificate_common_name(ark.get()), "ARK-" + std::string(to_string(product)));
    EXPECT_EQ(amd_product_from_ark_cn(certificate_common_name(ark.get())), product);
    EXPECT_EQ(issued_by_problem(ark.get(), ark.get()), "");
  }
}

TEST(AmdRoots, EachBuiltInArkHasItsPinnedFingerprint) {
  for (AmdProduct product : {AmdProduct::milan, AmdProduct::genoa, AmdProduct::turin}) {
    const X509Ptr ark = only_certificate(as_bytes(amd_builtin_ark_pem(product)));
    ASSERT_TRUE(ark);
    EXPECT_EQ(certificate_sha256_fingerprint(ark.get()), amd_builtin_ark_sha256(product));
  }
}

TEST(AmdRoots, BuiltInArksMatchTheTestVectorChains) {
  const std::pair<AmdProduct, const char*> chains[] = {{AmdProduct::milan, "ask_ark_milan.pem"},
                                                       {AmdProduct::genoa, "ask_ark_genoa.pem"}};
  for (const auto& [product, file] : chains) {
    AmdCertificateLoad load = load_amd_certificates(snp_test::read_vector_file(file));
    ASSERT_EQ(load.certs.size(), 2u) << file;
    const X509Ptr ark = only_certificate(as_bytes(amd_builtin_ark_pem(product)));
    EXPECT_TRUE(same_certificate(ark.get(), load.certs[1].get())) << file;
    EXPECT_EQ(issued_by_problem(load.certs[0].get(), ark.get()), "") << file;
  }
}

TEST(AmdRoots, ProductNamesAreExact) {
  EXPECT_EQ(amd_product_from_ask_cn("SEV-Milan"), AmdProduct::milan);
  EXPECT_EQ(amd_product_from_ask_cn("SEV-Turin"), AmdProduct::turin);
  EXPECT_FALSE(amd_product_from_ask_cn("SEV-VCEK"));
  EXPECT_FALSE(amd_product_from_ask_cn("SEV-Milan "));
  EXPECT_FALSE(amd_product_from_ark_cn("SEV-Milan"));
  EXPECT_FALSE(amd_product_from_ark_cn("ARK-"));
}

TEST(AmdRoots, ValidityIsJudgedAtTheGivenTime) {
  const X509Ptr ark = only_certificate(as_bytes(amd_builtin_ark_pem(AmdProduct::milan)));
  ASSERT_TRUE(ark);
  EXPECT_EQ(validity_problem(ark.get(), 1704067200), "");                     // 2024
  EXPECT_EQ(validity_problem(ark.get(), 1577836800), "it is not valid yet");  // 2020-01-01
  EXPECT_EQ(validity_problem(ark.get(), 2461449600), "it has expired");       // 2048
}

}  // namespace
}  // namespace attestmq::attest
