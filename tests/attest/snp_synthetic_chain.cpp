#include "snp_synthetic_chain.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "attest/snp/report.hpp"
#include "crl_builder.hpp"

namespace attestmq::attest::snp_test {
namespace {

constexpr std::int64_t kDay = 86400;

// RSA key generation dominates the cost, so the CA keys are made once per test binary.
// 2048 bits instead of AMD's 4096: the verifier does not depend on the size.
EVP_PKEY* shared_rsa_key(int which) {
  static EvpPkeyPtr keys[2] = {
      EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})),
      EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}))};
  return keys[which].get();
}

void set_common_name(X509_NAME* name, const std::string& cn) {
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Advanced Micro Devices"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

void add_config_extension(X509* cert, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void add_raw_extension(X509* cert, const std::string& oid, const std::vector<std::uint8_t>& value) {
  ASN1_OBJECT* object = OBJ_txt2obj(oid.c_str(), 1);
  ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(data, value.data(), static_cast<int>(value.size()));
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, object, 0, data);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(data);
  ASN1_OBJECT_free(object);
}

// As AMD signs: RSASSA-PSS, SHA-384, MGF1 SHA-384, salt 48.
void sign_pss(X509* cert, EVP_PKEY* issuer_key) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(EVP_DigestSignInit(ctx, &pctx, EVP_sha384(), nullptr, issuer_key), 1);
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48);
  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384());
  EXPECT_GT(X509_sign_ctx(cert, ctx), 0);
  EVP_MD_CTX_free(ctx);
}

X509Ptr make_cert(const std::string& subject, const std::string& issuer, EVP_PKEY* subject_key,
                  bool ca, std::int64_t at) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<std::time_t>(at - kDay));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<std::time_t>(at + 365 * kDay));
  set_common_name(X509_get_subject_name(cert.get()), subject);
  set_common_name(X509_get_issuer_name(cert.get()), issuer);
  X509_set_pubkey(cert.get(), subject_key);
  if (ca) {
    add_config_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_config_extension(cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  return cert;
}

std::vector<std::uint8_t> pem_of(const X509Ptr& cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.get());
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::vector<std::uint8_t> out(data, data + length);
  BIO_free(bio);
  return out;
}

std::vector<std::uint8_t> der_of(const X509Ptr& cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  std::vector<std::uint8_t> out(der, der + length);
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::vector<std::uint8_t> der_integer(int value) {
  return {0x02, 0x01, static_cast<std::uint8_t>(value)};
}

SyntheticVcek vcek_for(AmdProduct product, std::uint64_t tcb,
                       std::vector<std::uint8_t> hardware_id) {
  auto byte = [tcb](int index) { return static_cast<int>((tcb >> (8 * index)) & 0xff); };
  SyntheticVcek vcek;
  const bool turin = product == AmdProduct::turin;
  vcek.extensions = {
      {"1.3.6.1.4.1.3704.1.3.1", der_integer(byte(turin ? 1 : 0))},
      {"1.3.6.1.4.1.3704.1.3.2", der_integer(byte(turin ? 2 : 1))},
      {"1.3.6.1.4.1.3704.1.3.3", der_integer(byte(turin ? 3 : 6))},
      {"1.3.6.1.4.1.3704.1.3.8", der_integer(byte(7))},
      {"1.3.6.1.4.1.3704.1.4", std::move(hardware_id)},
  };
  if (turin) vcek.extensions.emplace_back("1.3.6.1.4.1.3704.1.3.9", der_integer(byte(0)));
  return vcek;
}

SyntheticChain make_synthetic_chain(AmdProduct product, const SyntheticVcek& spec,
                                    std::int64_t at) {
  SyntheticChain chain;
  chain.product = product;
  chain.vcek_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", spec.curve));
  const std::string name(to_string(product));
  EVP_PKEY* ark_key = shared_rsa_key(0);
  EVP_PKEY* ask_key = shared_rsa_key(1);

  X509Ptr ark = make_cert("ARK-" + name, "ARK-" + name, ark_key, true, at);
  sign_pss(ark.get(), ark_key);
  X509Ptr ask = make_cert("SEV-" + name, "ARK-" + name, ask_key, spec.ask_is_ca, at);
  sign_pss(ask.get(), ark_key);
  X509Ptr vcek = make_cert("SEV-VCEK", "SEV-" + name, chain.vcek_key.get(), false, at);
  for (const auto& [oid, value] : spec.extensions) add_raw_extension(vcek.get(), oid, value);
  sign_pss(vcek.get(), ask_key);

  std::vector<std::uint8_t> ask_ark = pem_of(ask);
  const std::vector<std::uint8_t> ark_pem = pem_of(ark);
  ask_ark.insert(ask_ark.end(), ark_pem.begin(), ark_pem.end());
  chain.options.certs = {der_of(vcek), ask_ark};
  chain.options.ark_pem = std::string(ark_pem.begin(), ark_pem.end());
  chain.options.at_unix = at;
  const X509CrlPtr crl =
      crl_test::make_crl({ark.get(), ark_key, {}, at - kDay, at + 7 * kDay, true});
  chain.options.crls = {crl_test::crl_der(crl.get())};
  chain.ark = std::move(ark);
  chain.ask = std::move(ask);
  chain.ark_key = ark_key;
  return chain;
}

void sign_report(std::vector<std::uint8_t>& report, EVP_PKEY* key) {
  ASSERT_EQ(report.size(), kSnpReportSize);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key), 1);
  ASSERT_EQ(EVP_DigestSign(ctx, nullptr, &length, report.data(), kSnpSignedSize), 1);
  std::vector<std::uint8_t> der(length);
  ASSERT_EQ(EVP_DigestSign(ctx, der.data(), &length, report.data(), kSnpSignedSize), 1);
  EVP_MD_CTX_free(ctx);
  const unsigned char* cursor = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(length));
  ASSERT_NE(sig, nullptr);
  std::fill(report.begin() + kSnpSignedSize, report.end(), 0);
  const int component = static_cast<int>(kSnpSignatureComponentSize);
  BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), report.data() + kSnpSignedSize, component);
  BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), report.data() + kSnpSignedSize + kSnpSignatureComponentSize,
                 component);
  ECDSA_SIG_free(sig);
}

}  // namespace attestmq::attest::snp_test
