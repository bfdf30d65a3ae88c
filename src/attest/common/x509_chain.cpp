#include "attest/common/x509_chain.hpp"

#include <array>
#include <optional>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "attest/common/hex.hpp"
#include "attest/common/iso8601.hpp"

namespace attestmq::attest {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

X509CrlPtr crl_from_der(const unsigned char* data, std::size_t size) {
  const unsigned char* p = data;
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(size)));
  // The whole buffer must be the CRL: trailing bytes mean it is not what it claims to be.
  if (crl && p != data + size) return nullptr;
  return crl;
}

bool is_self_signed(X509* cert) { return X509_check_issued(cert, cert) == X509_V_OK; }

// A root is identified by its subject and key, not by the bytes of one issuance: the same CA
// key is sometimes reissued with new validity dates.
bool same_root(X509* a, X509* b) {
  return X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) == 0 &&
         EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1;
}

}  // namespace

std::vector<X509Ptr> parse_pem_certificates(std::string_view pem) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  // Blocks are cut out one by one rather than read as one PEM stream: quotes in the wild
  // carry chains with no line break between END and the next BEGIN, and a NUL terminator.
  // Anything but whitespace or NUL between blocks makes the bundle malformed.
  auto only_padding = [](std::string_view gap) {
    return gap.find_first_not_of(std::string_view(" \t\r\n\0", 5)) == std::string_view::npos;
  };
  std::vector<X509Ptr> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t begin = pem.find(kBegin, pos);
    if (begin == std::string_view::npos) break;
    const std::size_t end = pem.find(kEnd, begin);
    if (!only_padding(pem.substr(pos, begin - pos)) || end == std::string_view::npos) return {};
    const std::string block = std::string(pem.substr(begin, end + kEnd.size() - begin)) + "\n";
    auto bio = memory_bio(block);
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    if (!cert) return {};
    out.push_back(std::move(cert));
    pos = end + kEnd.size();
  }
  if (!only_padding(pem.substr(pos))) return {};
  return out;
}

X509CrlPtr parse_crl(std::string_view text) {
  if (text.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    auto bio = memory_bio(text);
    X509CrlPtr crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    return crl;
  }
  if (auto bytes = from_hex(text); bytes && !bytes->empty()) {
    if (auto crl = crl_from_der(bytes->data(), bytes->size())) return crl;
  }
  ERR_clear_error();
  auto crl = crl_from_der(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  ERR_clear_error();
  return crl;
}

std::optional<std::int64_t> asn1_time_unix(const ASN1_TIME* time) {
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> epoch(ASN1_TIME_set(nullptr, 0),
                                                              ASN1_TIME_free);
  int days = 0;
  int seconds = 0;
  if (time == nullptr || !epoch || ASN1_TIME_diff(&days, &seconds, epoch.get(), time) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return std::int64_t{days} * 86400 + seconds;
}

std::string certificate_subject(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string certificate_common_name(X509* cert) {
  std::array<char, 256> cn{};
  const int len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                            cn.data(), static_cast<int>(cn.size()));
  return len < 0 ? std::string() : std::string(cn.data(), static_cast<std::size_t>(len));
}

std::string certificate_sha256_fingerprint(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1) return {};
  return to_hex(std::span<const std::uint8_t>(md.data(), len));
}

ChainVerdict verify_chain_to_pinned_root(const std::vector<X509Ptr>& chain, X509* pinned_root,
                                         std::time_t at) {
  if (chain.empty()) return {false, "no certificates in the chain"};
  if (pinned_root == nullptr) return {false, "no pinned root"};
  // The chain must end in the pinned root itself (same subject and key) with an intact
  // self-signature: path validation anchors at the pinned copy, so a top certificate that is
  // anything else would otherwise be silently ignored rather than rejected.
  X509* top = chain.back().get();
  if (!same_root(top, pinned_root)) {
    return {false, "chain root \"" + certificate_subject(top) + "\" (SHA-256 " +
                       certificate_sha256_fingerprint(top) + ") is not the pinned root (SHA-256 " +
                       certificate_sha256_fingerprint(pinned_root) + ")"};
  }
  if (!is_self_signed(top) || X509_verify(top, X509_get0_pubkey(top)) != 1) {
    ERR_clear_error();
    return {false, "chain root \"" + certificate_subject(top) + "\" carries a bad self-signature"};
  }
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                X509_STORE_free);
  auto free_stack = [](STACK_OF(X509)* s) { sk_X509_free(s); };  // frees the stack, not the certs
  std::unique_ptr<STACK_OF(X509), decltype(free_stack)> untrusted(sk_X509_new_null(), free_stack);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  if (!store || !untrusted || !ctx || X509_STORE_add_cert(store.get(), pinned_root) != 1) {
    return {false, "out of memory setting up chain verification"};
  }
  for (std::size_t i = 1; i + 1 < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
    return {false, "cannot initialise chain verification"};
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), at);
  const int rc = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (rc != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    return {false, std::string(X509_verify_cert_error_string(err)) + " at depth " +
                       std::to_string(depth) + (bad ? " (\"" + certificate_subject(bad) + "\")" : "") +
                       " at " + format_iso8601_utc(at)};
  }
  // Revocation is then checked link by link along `chain` (revocation.cpp), so the path OpenSSL
  // validated must be exactly `chain`: an extra certificate it skipped would pair a certificate
  // with something other than its issuer, and check it against the wrong CRL.
  STACK_OF(X509)* path = X509_STORE_CTX_get0_chain(ctx.get());
  bool exact = path != nullptr && sk_X509_num(path) == static_cast<int>(chain.size());
  for (std::size_t i = 0; exact && i + 1 < chain.size(); ++i) {
    exact = X509_cmp(sk_X509_value(path, static_cast<int>(i)), chain[i].get()) == 0;
  }
  if (!exact) {
    return {false, std::to_string(chain.size()) + " certificates given, but the path to the pinned "
                                                  "root is " +
                       std::to_string(path ? sk_X509_num(path) : 0) +
                       " long: the chain holds certificates off that path"};
  }
  std::optional<std::int64_t> valid_until;
  for (int i = 0; i < sk_X509_num(path); ++i) {
    const auto not_after = asn1_time_unix(X509_get0_notAfter(sk_X509_value(path, i)));
    if (!not_after) return {false, "a certificate's notAfter cannot be read"};
    if (!valid_until || *not_after < *valid_until) valid_until = not_after;
  }
  return {true,
          std::to_string(chain.size()) + " certificates verified to the pinned root at " +
              format_iso8601_utc(at) + ", valid until " + format_iso8601_utc(*valid_until),
          *valid_until};
}

}  // namespace attestmq::attest
