#include "crl_builder.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "attest/common/hex.hpp"

namespace attestmq::attest::crl_test {

X509CrlPtr make_crl(const CrlSpec& spec) {
  X509CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(spec.issuer));
  ASN1_TIME* last = ASN1_TIME_set(nullptr, static_cast<std::time_t>(spec.this_update));
  ASN1_TIME* next = ASN1_TIME_set(nullptr, static_cast<std::time_t>(spec.next_update));
  X509_CRL_set1_lastUpdate(crl.get(), last);
  X509_CRL_set1_nextUpdate(crl.get(), next);
  for (X509* cert : spec.revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert));
    X509_REVOKED_set_revocationDate(entry, last);
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl.get());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = spec.rsa_pss ? EVP_sha384() : EVP_sha256();
  EXPECT_EQ(EVP_DigestSignInit(ctx, &pctx, md, nullptr, spec.signing_key), 1);
  if (spec.rsa_pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384());
  }
  EXPECT_GT(X509_CRL_sign_ctx(crl.get(), ctx), 0);
  EVP_MD_CTX_free(ctx);
  return crl;
}

std::vector<std::uint8_t> crl_der(X509_CRL* crl) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_CRL(crl, &der);
  std::vector<std::uint8_t> out(der, der + length);
  OPENSSL_free(der);
  return out;
}

std::string crl_pem(X509_CRL* crl) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return out;
}

std::string crl_hex(X509_CRL* crl) { return to_hex(crl_der(crl)); }

}  // namespace attestmq::attest::crl_test
