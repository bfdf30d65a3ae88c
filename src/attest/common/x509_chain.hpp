#pragma once
// X.509 plumbing for DCAP: PEM chains, CRLs, and chain verification against one pinned root at
// a chosen time, all through OpenSSL's X509 APIs.
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>

namespace attestmq::attest {

struct X509Free {
  void operator()(X509* c) const { X509_free(c); }
};
struct X509CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;

// All certificates of a PEM bundle, in order; empty if any block fails to parse or there is
// none.
std::vector<X509Ptr> parse_pem_certificates(std::string_view pem);

// A CRL given as PEM, DER, or DER in hex (as Intel PCS collateral bundles carry it); null if
// none of these parses.
X509CrlPtr parse_crl(std::string_view text);

std::string certificate_subject(X509* cert);  // RFC 2253 form, e.g. "CN=Intel SGX Root CA,..."
std::string certificate_common_name(X509* cert);
std::string certificate_sha256_fingerprint(X509* cert);  // lower-case hex

// `time` in seconds since 1970; nullopt if it is null or unreadable.
std::optional<std::int64_t> asn1_time_unix(const ASN1_TIME* time);

struct ChainVerdict {
  bool ok = false;
  std::string detail;
  // When ok: the earliest notAfter along the validated path, the pinned root's included. At
  // that instant path validation fails, so a verdict resting on the chain ends there too.
  std::int64_t valid_until = 0;
};

// `chain` is leaf first and must end in the pinned root: a certificate with the subject and
// key of `pinned_root` and a valid self-signature (a CA key is sometimes reissued with new
// dates, so the bytes may differ). The chain must then verify to `pinned_root` at `at`
// (RFC 5280 path validation by X509_verify_cert: signatures, validity periods, CA
// constraints).
ChainVerdict verify_chain_to_pinned_root(const std::vector<X509Ptr>& chain, X509* pinned_root,
                                         std::time_t at);

}  // namespace attestmq::attest
