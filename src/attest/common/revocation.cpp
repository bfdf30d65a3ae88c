#include "attest/common/revocation.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

#include "attest/common/iso8601.hpp"
#include "attest/common/x509_chain.hpp"

namespace attestmq::attest {
namespace {

std::vector<X509_CRL*> crls_from(X509* issuer, const std::vector<X509_CRL*>& crls) {
  std::vector<X509_CRL*> out;
  for (X509_CRL* crl : crls) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0) {
      out.push_back(crl);
    }
  }
  return out;
}

// Whether `crl` can be relied on at `at` as the CRL of `issuer`: signed by its key and
// current. Only a failure is recorded, under the check it fails; a CRL relied on lowers the
// result's valid_until to its nextUpdate.
bool check_crl(const std::string& prefix, X509_CRL* crl, X509* issuer, std::time_t at,
               VerificationResult& result) {
  const std::string who = certificate_common_name(issuer);
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  const bool signed_by_issuer = key != nullptr && X509_CRL_verify(crl, key) == 1;
  ERR_clear_error();
  if (!signed_by_issuer) {
    return result.check(prefix + ".crl.signature", false,
                        fmt::format("a CRL naming \"{}\" as its issuer is not signed by its key",
                                    who));
  }
  const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl);
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  std::time_t t = at;
  const std::string when = format_iso8601_utc(at);
  if (last == nullptr || X509_cmp_time(last, &t) > 0) {
    return result.check(prefix + ".crl.validity", false,
                        fmt::format("the CRL of \"{}\" is not yet valid at {}", who, when));
  }
  const auto next_update = asn1_time_unix(next);
  if (!next_update || X509_cmp_time(next, &t) <= 0) {
    return result.check(
        prefix + ".crl.validity", false,
        fmt::format("the CRL of \"{}\" is past its nextUpdate at {} (or has none)", who, when));
  }
  // Its issuer may revoke from nextUpdate on: what it vouches for ends there.
  result.valid_no_later_than(*next_update);
  return true;
}

}  // namespace

std::vector<CertificateLink> chain_links(const std::vector<X509Ptr>& chain) {
  std::vector<CertificateLink> links;
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    links.push_back({chain[i].get(), chain[i + 1].get()});
  }
  return links;
}

bool check_revocation(const std::string& prefix, const std::vector<CertificateLink>& links,
                      const std::vector<X509_CRL*>& crls, std::time_t at, RevocationMode mode,
                      VerificationResult& result) {
  std::size_t used = 0;
  std::string unchecked;
  for (const auto& link : links) {
    const std::vector<X509_CRL*> own = crls_from(link.issuer, crls);
    const std::string subject = certificate_common_name(link.cert);
    const std::string issuer = certificate_common_name(link.issuer);
    if (own.empty()) {
      const std::string missing =
          fmt::format("no CRL from \"{}\" to check \"{}\" against", issuer, subject);
      if (mode == RevocationMode::required) {
        return result.check(prefix + ".crl.present", false, missing);
      }
      unchecked += (unchecked.empty() ? "" : "; ") + missing;
      continue;
    }
    for (X509_CRL* crl : own) {
      if (!check_crl(prefix, crl, link.issuer, at, result)) return false;
      X509_REVOKED* entry = nullptr;
      if (X509_CRL_get0_by_cert(crl, &entry, link.cert) == 1) {
        return result.check(prefix + ".revocation", false,
                            fmt::format("\"{}\" is revoked by the CRL of \"{}\"",
                                        certificate_subject(link.cert), issuer));
      }
    }
    used += own.size();
  }
  if (!unchecked.empty()) {
    result.claims[prefix + ".revocation"] = std::string(kRevocationNotChecked) + unchecked;
    return true;
  }
  const std::string at_text = format_iso8601_utc(at);
  result.check(prefix + ".crl.present", true,
               fmt::format("a CRL from the issuer of each of the {} certificates below the root",
                           links.size()));
  result.check(prefix + ".crl.signature", true,
               fmt::format("{} CRLs signed by their issuers", used));
  result.check(prefix + ".crl.validity", true,
               fmt::format("{} CRLs current at {}", used, at_text));
  result.claims[prefix + ".revocation"] = "checked";
  return result.check(prefix + ".revocation", true,
                      fmt::format("none of the {} certificates is revoked", links.size()));
}

}  // namespace attestmq::attest
