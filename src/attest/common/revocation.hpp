#pragma once
// Revocation of the certificates of a verified chain (RFC 5280 section 6.3): each certificate
// below the pinned root is looked up in a CRL from its issuer, and each CRL used must be
// signed by that issuer and current at the verification time. A missing CRL is a failure
// unless the policy says "revocation": "skip-insecure" (docs/policy.md).
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

#include "attest/common/verification.hpp"
#include "attest/common/x509_chain.hpp"

namespace attestmq::attest {

enum class RevocationMode { required, skip_insecure };

// One certificate and the certificate that issued it, as chain verification established.
struct CertificateLink {
  X509* cert = nullptr;
  X509* issuer = nullptr;
};

// The links of a chain that verify_chain_to_pinned_root accepted, leaf first: each
// certificate with the next one as its issuer. The last one, the root, is no link's subject.
std::vector<CertificateLink> chain_links(const std::vector<X509Ptr>& chain);

// How the "<prefix>.revocation" claim starts when a CRL was missing under skip-insecure (the
// missing CRLs follow); `attestmq verify` prints a warning for every claim that starts so.
inline constexpr std::string_view kRevocationNotChecked =
    "NOT CHECKED (revocation: skip-insecure): ";

// For every link, the CRLs of `crls` whose issuer name is the link's issuer are used; a CRL
// issued by no issuer of `links` is not about this chain and is ignored. Checks recorded,
// each under `prefix`, the first failure ending the run:
//   <prefix>.crl.present    some CRL comes from the issuer of each certificate
//   <prefix>.crl.signature  each CRL used verifies with its issuer's key
//   <prefix>.crl.validity   thisUpdate <= at < nextUpdate (a CRL without nextUpdate fails)
//                           and the result's valid_until is lowered to each one's nextUpdate
//   <prefix>.revocation     no CRL lists its certificate
// Sets the claim "<prefix>.revocation" to "checked" or, under skip-insecure with a CRL
// missing, to "NOT CHECKED: ..." naming the certificates left unchecked.
bool check_revocation(const std::string& prefix, const std::vector<CertificateLink>& links,
                      const std::vector<X509_CRL*>& crls, std::time_t at, RevocationMode mode,
                      VerificationResult& result);

}  // namespace attestmq::attest
