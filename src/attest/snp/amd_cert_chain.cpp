#include "attest/snp/amd_cert_chain.hpp"

#include <fmt/format.h>

#include <string>

#include "attest/common/iso8601.hpp"
#include "attest/common/revocation.hpp"
#include "attest/snp/amd_roots.hpp"

namespace attestmq::attest {
namespace {

constexpr std::string_view kVcekCommonName = "SEV-VCEK";

struct SuppliedCertificates {
  X509Ptr vcek;
  X509Ptr ask;
  X509Ptr ark;
  std::vector<X509CrlPtr> crls;  // from options.crls and from the certificate files
};

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Fills an empty slot; the same certificate twice is harmless, two different ones for the
// same role leave the chain ambiguous.
bool fill_role(X509Ptr& slot, X509Ptr cert, std::string_view role, std::string& error) {
  if (slot && !same_certificate(slot.get(), cert.get())) {
    error = fmt::format("two different {} certificates were supplied", role);
    return false;
  }
  if (!slot) slot = std::move(cert);
  return true;
}

bool sort_certificates(const SnpVerifyOptions& options, SuppliedCertificates& out,
                       VerificationResult& result) {
  std::vector<X509Ptr> all;
  for (std::size_t i = 0; i < options.certs.size(); ++i) {
    AmdCertificateLoad load = load_amd_certificates(options.certs[i]);
    if (!load.error.empty()) {
      return result.check("certs.parse", false,
                          fmt::format("certificate file {}: {}", i + 1, load.error));
    }
    for (auto& cert : load.certs) all.push_back(std::move(cert));
    for (auto& crl : load.crls) out.crls.push_back(std::move(crl));
  }
  for (std::size_t i = 0; i < options.crls.size(); ++i) {
    const auto& bytes = options.crls[i];
    X509CrlPtr crl =
        parse_crl(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!crl) {
      return result.check("certs.parse", false,
                          fmt::format("CRL file {}: neither a PEM nor a DER CRL", i + 1));
    }
    out.crls.push_back(std::move(crl));
  }
  result.check("certs.parse", true,
               fmt::format("{} certificates and {} CRLs read from {} files", all.size(),
                           out.crls.size(), options.certs.size() + options.crls.size()));

  std::string error;
  for (auto& cert : all) {
    const std::string cn = certificate_common_name(cert.get());
    bool placed = false;
    if (cn == kVcekCommonName) {
      placed = fill_role(out.vcek, std::move(cert), "VCEK", error);
    } else if (amd_product_from_ask_cn(cn)) {
      placed = fill_role(out.ask, std::move(cert), "ASK", error);
    } else if (amd_product_from_ark_cn(cn)) {
      placed = fill_role(out.ark, std::move(cert), "ARK", error);
    } else {
      error =
          fmt::format("a certificate with subject CN \"{}\" is not an AMD VCEK, ASK or ARK", cn);
    }
    if (!placed) return result.check("certs.roles", false, error);
  }
  return result.check("certs.roles", true, "each certificate is a VCEK, an ASK or an ARK") &&
         result.check("certs.vcek", out.vcek != nullptr,
                      out.vcek ? "VCEK supplied" : "no VCEK (subject CN SEV-VCEK) was supplied") &&
         result.check("certs.ask", out.ask != nullptr,
                      out.ask ? "ASK supplied" : "no ASK (subject CN SEV-<product>) was supplied");
}

// The root to trust: the caller's, or AMD's built-in one for the product. Its CN must name
// the product the ASK belongs to. Returns null with `error` set otherwise.
X509Ptr load_pinned_ark(const SnpVerifyOptions& options, AmdProduct product, std::string& error) {
  const bool from_caller = options.ark_pem.has_value();
  AmdCertificateLoad load = load_amd_certificates(
      as_bytes(from_caller ? std::string_view(*options.ark_pem) : amd_builtin_ark_pem(product)));
  if (!load.error.empty()) {
    error = fmt::format("the pinned root cannot be read: {}", load.error);
    return nullptr;
  }
  X509Ptr ark;
  for (auto& cert : load.certs) {
    if (!amd_product_from_ark_cn(certificate_common_name(cert.get()))) continue;
    if (ark) {
      error = "the pinned root PEM holds more than one ARK";
      return nullptr;
    }
    ark = std::move(cert);
  }
  if (!ark) {
    error = "the pinned root PEM holds no ARK (subject CN ARK-<product>)";
    return nullptr;
  }
  const std::string cn = certificate_common_name(ark.get());
  if (amd_product_from_ark_cn(cn) != product) {
    error = fmt::format("the pinned root is {}, but the chain is for {}", cn, to_string(product));
    return nullptr;
  }
  if (!from_caller &&
      certificate_sha256_fingerprint(ark.get()) != amd_builtin_ark_sha256(product)) {
    error = fmt::format("the built-in {} does not have its pinned SHA-256 {}", cn,
                        amd_builtin_ark_sha256(product));
    return nullptr;
  }
  return ark;
}

bool check_link(const char* name, X509* cert, X509* issuer, std::string_view what,
                VerificationResult& result) {
  const std::string problem = issued_by_problem(cert, issuer);
  return result.check(
      name, problem.empty(),
      problem.empty() ? fmt::format("{} verifies", what) : fmt::format("{}: {}", what, problem));
}

bool check_validity(const AmdCertChain& chain, std::time_t at, VerificationResult& result) {
  const std::pair<const char*, const X509*> certs[] = {
      {"VCEK", chain.vcek.get()}, {"ASK", chain.ask.get()}, {"ARK", chain.ark.get()}};
  for (const auto& [role, cert] : certs) {
    const auto not_after = asn1_time_unix(X509_get0_notAfter(cert));
    const std::string problem =
        not_after ? validity_problem(cert, at) : "its notAfter cannot be read";
    if (!problem.empty()) {
      return result.check("chain.validity", false,
                          fmt::format("{} at {}: {}", role, format_iso8601_utc(at), problem));
    }
    result.valid_no_later_than(*not_after);
  }
  return result.check("chain.validity", true,
                      fmt::format("VCEK, ASK and ARK are valid at {}", format_iso8601_utc(at)));
}

}  // namespace

std::optional<AmdCertChain> verify_amd_cert_chain(const SnpVerifyOptions& options, std::time_t at,
                                                  VerificationResult& result) {
  SuppliedCertificates supplied;
  if (!sort_certificates(options, supplied, result)) return std::nullopt;

  AmdCertChain chain;
  chain.product = *amd_product_from_ask_cn(certificate_common_name(supplied.ask.get()));
  std::string error;
  chain.ark = load_pinned_ark(options, chain.product, error);
  // A supplied ARK is only accepted as the pinned one itself: the same CN and a valid
  // self-signature are what anyone can forge.
  if (chain.ark && supplied.ark && !same_certificate(supplied.ark.get(), chain.ark.get())) {
    error = fmt::format("the supplied {} (SHA-256 {}) is not the pinned root (SHA-256 {})",
                        certificate_common_name(supplied.ark.get()),
                        certificate_sha256_fingerprint(supplied.ark.get()),
                        certificate_sha256_fingerprint(chain.ark.get()));
  }
  if (!result.check("chain.ark_pinned", error.empty(),
                    error.empty()
                        ? fmt::format("root is the pinned ARK-{}", to_string(chain.product))
                        : error)) {
    return std::nullopt;
  }
  chain.vcek = std::move(supplied.vcek);
  chain.ask = std::move(supplied.ask);

  if (!check_link("chain.ark_self_signed", chain.ark.get(), chain.ark.get(), "ARK self-signature",
                  result) ||
      !check_link("chain.ask_signed_by_ark", chain.ask.get(), chain.ark.get(),
                  "ASK signature by the ARK", result) ||
      !check_link("chain.vcek_signed_by_ask", chain.vcek.get(), chain.ask.get(),
                  "VCEK signature by the ASK", result) ||
      !check_validity(chain, at, result)) {
    return std::nullopt;
  }
  // AMD's KDS CRL is the ARK's and lists revoked ASKs (and ASVKs); AMD publishes no CRL from
  // the ASK, so the VCEK, bound to one TCB, is retired by the policy's snp.min_tcb instead.
  std::vector<X509_CRL*> crls;
  for (const auto& crl : supplied.crls) crls.push_back(crl.get());
  if (!check_revocation("chain", {{chain.ask.get(), chain.ark.get()}}, crls, at,
                        options.revocation, result)) {
    return std::nullopt;
  }
  result.claims["product"] = std::string(to_string(chain.product));
  result.claims["chain.0.subject"] = certificate_subject(chain.vcek.get());
  result.claims["chain.1.subject"] = certificate_subject(chain.ask.get());
  result.claims["chain.2.subject"] = certificate_subject(chain.ark.get());
  return chain;
}

}  // namespace attestmq::attest
