#pragma once
// CRLs made here with OpenSSL (RFC 5280 section 5), for the revocation tests: a CRL in the
// name of any issuer, signed by whatever key the test chooses, listing chosen certificates.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

#include "attest/common/x509_chain.hpp"

namespace attestmq::attest::crl_test {

struct CrlSpec {
  X509* issuer = nullptr;          // its subject becomes the CRL's issuer name
  EVP_PKEY* signing_key = nullptr;  // the issuer's key, or another one for a forged CRL
  std::vector<X509*> revoked;      // certificates the CRL lists by serial number
  std::int64_t this_update = 0;
  std::int64_t next_update = 0;
  bool rsa_pss = false;  // sign as AMD does: RSASSA-PSS, SHA-384, salt 48
};

X509CrlPtr make_crl(const CrlSpec& spec);
std::vector<std::uint8_t> crl_der(X509_CRL* crl);
std::string crl_pem(X509_CRL* crl);
std::string crl_hex(X509_CRL* crl);  // as Intel's collateral bundles carry CRLs

}  // namespace attestmq::attest::crl_test
