#include "attest/snp/amd_certs.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <climits>

namespace attestmq::attest {
namespace {

bool looks_like_pem(std::span<const std::uint8_t> bytes) {
  constexpr std::string_view kMarker = "-----BEGIN";
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return text.find(kMarker) != std::string_view::npos;
}

constexpr std::string_view kCrlBegin = "-----BEGIN X509 CRL-----";
constexpr std::string_view kCrlEnd = "-----END X509 CRL-----";

// CRL blocks are cut out of the text; what is left must be certificate blocks and padding.
AmdCertificateLoad load_pem(std::span<const std::uint8_t> bytes) {
  AmdCertificateLoad result;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::string certificates;
  std::size_t pos = 0;
  for (std::size_t begin; (begin = text.find(kCrlBegin, pos)) != std::string_view::npos;) {
    const std::size_t end = text.find(kCrlEnd, begin);
    if (end == std::string_view::npos) {
      result.error = "an X509 CRL block has no end";
      return result;
    }
    X509CrlPtr crl = parse_crl(text.substr(begin, end + kCrlEnd.size() - begin));
    if (!crl) {
      result.error = "a damaged X509 CRL block";
      return result;
    }
    result.crls.push_back(std::move(crl));
    certificates += text.substr(pos, begin - pos);
    pos = end + kCrlEnd.size();
  }
  certificates += text.substr(pos);
  if (certificates.find("-----BEGIN") == std::string::npos) {
    if (result.crls.empty()) result.error = "no CERTIFICATE or X509 CRL block";
    if (certificates.find_first_not_of(" \t\r\n") != std::string::npos) {
      result.error = "text outside the PEM blocks";
    }
    return result;
  }
  result.certs = parse_pem_certificates(certificates);
  if (result.certs.empty()) {
    result.error = "a damaged CERTIFICATE block, or text between blocks";
  }
  return result;
}

AmdCertificateLoad load_der(std::span<const std::uint8_t> bytes) {
  AmdCertificateLoad result;
  const unsigned char* cursor = bytes.data();
  X509* cert = d2i_X509(nullptr, &cursor, static_cast<long>(bytes.size()));
  ERR_clear_error();
  if (cert == nullptr) {
    X509CrlPtr crl = parse_crl(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (crl) {
      result.crls.push_back(std::move(crl));
    } else {
      result.error = "neither a DER certificate nor a DER CRL";
    }
    return result;
  }
  result.certs.emplace_back(cert);
  if (cursor != bytes.data() + bytes.size()) {
    result.certs.clear();
    result.error =
        fmt::format("{} bytes follow the DER certificate", bytes.data() + bytes.size() - cursor);
  }
  return result;
}

}  // namespace

AmdCertificateLoad load_amd_certificates(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || bytes.size() > INT_MAX) {
    AmdCertificateLoad result;
    result.error = bytes.empty() ? "empty certificate file" : "certificate file too large";
    return result;
  }
  return looks_like_pem(bytes) ? load_pem(bytes) : load_der(bytes);
}

bool same_certificate(const X509* a, const X509* b) { return X509_cmp(a, b) == 0; }

std::string validity_problem(const X509* cert, std::time_t at) {
  std::time_t when = at;
  // X509_cmp_time: -1 when the certificate's time is at or before `when`, 1 after, 0 error.
  const int not_before = X509_cmp_time(X509_get0_notBefore(cert), &when);
  const int not_after = X509_cmp_time(X509_get0_notAfter(cert), &when);
  if (not_before == 0 || not_after == 0) return "its validity dates cannot be read";
  if (not_before > 0) return "it is not valid yet";
  if (not_after < 0) return "it has expired";
  return {};
}

std::string issued_by_problem(X509* cert, X509* issuer) {
  if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0) {
    return fmt::format("its issuer is not {}", certificate_subject(issuer));
  }
  if (X509_check_ca(issuer) == 0) {
    return fmt::format("{} is not a certificate authority", certificate_subject(issuer));
  }
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  const int verified = issuer_key != nullptr ? X509_verify(cert, issuer_key) : -1;
  ERR_clear_error();
  if (verified != 1) {
    return fmt::format("its signature does not verify with the key of {}",
                       certificate_subject(issuer));
  }
  return {};
}

}  // namespace attestmq::attest
