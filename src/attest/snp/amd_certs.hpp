#pragma once
// The X.509 work the SEV-SNP verifier needs from OpenSSL 3: reading AMD's certificates
// (PEM bundles or DER) and judging one link of the VCEK <- ASK <- ARK chain.
#include <openssl/x509.h>

#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <vector>

#include "attest/common/x509_chain.hpp"

namespace attestmq::attest {

struct AmdCertificateLoad {
  std::vector<X509Ptr> certs;
  std::vector<X509CrlPtr> crls;
  std::string error;  // set when the bytes are not wholly certificates and CRLs
};

// Every certificate and CRL in `bytes`: PEM "CERTIFICATE" and "X509 CRL" blocks (AMD's KDS
// serves the chain as PEM and the CRL as DER, and an envelope carries both as one PEM
// text), or exactly one DER certificate or CRL with nothing after it.
AmdCertificateLoad load_amd_certificates(std::span<const std::uint8_t> bytes);

// True when both certificates have the same DER encoding.
bool same_certificate(const X509* a, const X509* b);

// Why `cert` is not valid at `at` (not yet valid, expired, unreadable dates), or "".
std::string validity_problem(const X509* cert, std::time_t at);

// Why `issuer` did not issue `cert`: names that do not chain, an issuer that is not a CA,
// or a signature that does not verify with the issuer's key (OpenSSL reads RSASSA-PSS
// parameters from the certificate itself). "" when the link holds.
std::string issued_by_problem(X509* cert, X509* issuer);

}  // namespace attestmq::attest
