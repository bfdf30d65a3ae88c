// Transport A's OpenSSL side (docs/attestation.md section 8): a custom extension (RFC 8446
// section 4.2, private-use codepoint) in ClientHello, HelloRetryRequest and
// EncryptedExtensions, and the binder of section 4.2 from the server handshake traffic secret,
// which OpenSSL hands out only through its key log callback (DESIGN.md section 2).
#include "tls/handshake_attestation.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <charconv>
#include <cstring>
#include <string_view>

#include "tls/callbacks.hpp"

namespace attestmq::tls {
namespace {

// The extension lives in these messages only, and only in TLS 1.3 (section 8.1): a TLS 1.2
// server ignores it, and the client, which offers TLS 1.3 only, never gets that far.
constexpr unsigned int kExtensionContexts =
    SSL_EXT_TLS1_3_ONLY | SSL_EXT_CLIENT_HELLO | SSL_EXT_TLS1_3_ENCRYPTED_EXTENSIONS |
    SSL_EXT_TLS1_3_HELLO_RETRY_REQUEST;
// RFC 8446 section 4.2: an extension body is at most 65,535 bytes.
constexpr std::size_t kMaxExtensionBytes = 65535;
constexpr std::size_t kBinderBytes = 32;
// The key log label of the secret section 4.2 derives the binder from.
constexpr std::string_view kServerHandshakeSecret = "SERVER_HANDSHAKE_TRAFFIC_SECRET ";

const Context& context_of(const SSL* ssl) {
  return *static_cast<const Context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

HandshakeNotes& notes_of(const SSL* ssl) {
  return *static_cast<HandshakeNotes*>(SSL_get_app_data(ssl));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Section 4.2: the binder, from the secret the key log callback kept, which is wiped here:
// it is needed once, and must never outlive the handshake.
std::optional<std::vector<std::uint8_t>> derive_binder(const SSL* ssl,
                                                       HandshakeAttestationNotes& notes,
                                                       std::string_view label) {
  const SSL_CIPHER* cipher = SSL_get_pending_cipher(ssl);
  if (cipher == nullptr) cipher = SSL_get_current_cipher(ssl);
  const EVP_MD* digest = cipher != nullptr ? SSL_CIPHER_get_handshake_digest(cipher) : nullptr;
  if (digest == nullptr || notes.server_handshake_secret.empty()) return std::nullopt;
  auto binder = hkdf_expand_label(notes.server_handshake_secret, EVP_MD_get0_name(digest), label,
                                  notes.request, kBinderBytes);
  OPENSSL_cleanse(notes.server_handshake_secret.data(), notes.server_handshake_secret.size());
  notes.server_handshake_secret.clear();
  return binder;
}

// ---- server ----

// Section 8.5: a ClientHello (the second one too, after a HelloRetryRequest) is answered on
// its own REQUEST.
int server_parse(SSL* ssl, unsigned int /*type*/, unsigned int /*context*/,
                 const unsigned char* in, std::size_t length, X509* /*x*/,
                 std::size_t /*chain_index*/, int* /*alert*/, void* /*arg*/) {
  HandshakeAttestationNotes& notes = notes_of(ssl).attestation;
  notes.requested = true;
  notes.request.assign(in, in + length);
  return 1;
}

std::optional<HandshakeRefusal> server_answer(SSL* ssl, HandshakeNotes& notes) {
  const ServerHandshakeAttestation& attestation = *context_of(ssl).server_attestation();
  const auto binder = derive_binder(ssl, notes.attestation, attestation.binder_label);
  if (!binder) {
    return HandshakeRefusal{Alert::internal_error, "no server handshake traffic secret"};
  }
  // Tickets are never issued (Context::server), so a PSK handshake here is an external PSK.
  const bool external_psk = SSL_session_reused(ssl) == 1 && notes.psk_found;
  HandshakeBinding binding;
  binding.request = notes.attestation.request;
  binding.binder = *binder;
  // Section 8.4: key 5 names the certificate this server is about to send; it is chosen
  // before ServerHello (DESIGN.md section 2).
  if (external_psk) {
    binding.psk_identity = notes.psk_identity;
  } else {
    binding.certificate_key_sha256 = certificate_key_sha256(SSL_get_certificate(ssl));
  }
  auto answer = attestation.answer(binding);
  if (auto* refusal = std::get_if<HandshakeRefusal>(&answer)) return std::move(*refusal);
  auto& body = std::get<std::vector<std::uint8_t>>(answer);
  if (body.size() > kMaxExtensionBytes) {
    return HandshakeRefusal{Alert::internal_error,
                            "EVIDENCE of " + std::to_string(body.size()) + " bytes exceeds 65,535"};
  }
  notes.attestation.answer = std::move(body);
  return std::nullopt;
}

// EncryptedExtensions: the evidence, or an alert, never silence (section 8.5 step 4).
// HelloRetryRequest: the extension with an empty body (section 8.3). OpenSSL calls this only
// when the ClientHello carried the extension.
int server_add(SSL* ssl, unsigned int /*type*/, unsigned int context, const unsigned char** out,
               std::size_t* length, X509* /*x*/, std::size_t /*chain_index*/, int* alert,
               void* /*arg*/) {
  static constexpr unsigned char kEmpty[1] = {0};
  HandshakeNotes& notes = notes_of(ssl);
  if (!notes.attestation.requested) return 0;
  if ((context & SSL_EXT_TLS1_3_HELLO_RETRY_REQUEST) != 0) {
    *out = kEmpty;
    *length = 0;
    return 1;
  }
  if (auto refusal = server_answer(ssl, notes)) {
    *alert = static_cast<int>(refusal->alert);
    notes.attestation.refusal = std::move(refusal);
    return -1;
  }
  // The notes own the bytes until the session ends; OpenSSL copies them into EE.
  *out = notes.attestation.answer->data();
  *length = notes.attestation.answer->size();
  return 1;
}

// OpenSSL has copied the EVIDENCE into EncryptedExtensions: up to 64 KiB that an idle
// connection should not keep.
void server_free(SSL* ssl, unsigned int /*type*/, unsigned int /*context*/,
                 const unsigned char* /*out*/, void* /*arg*/) {
  notes_of(ssl).attestation.answer.reset();
}

// ---- client ----

// Section 8.3: a fresh REQUEST in the first ClientHello and after a HelloRetryRequest that
// carried the extension; the same bytes after one that did not (RFC 8446 section 4.1.2).
int client_add(SSL* ssl, unsigned int /*type*/, unsigned int /*context*/,
               const unsigned char** out, std::size_t* length, X509* /*x*/,
               std::size_t /*chain_index*/, int* /*alert*/, void* /*arg*/) {
  HandshakeAttestationNotes& notes = notes_of(ssl).attestation;
  if (notes.request.empty() || notes.retry_echoed) {
    notes.request = context_of(ssl).client_attestation()->next_request();
  }
  *out = notes.request.data();
  *length = notes.request.size();
  return 1;
}

int client_parse(SSL* ssl, unsigned int /*type*/, unsigned int context, const unsigned char* in,
                 std::size_t length, X509* /*x*/, std::size_t /*chain_index*/, int* alert,
                 void* /*arg*/) {
  HandshakeAttestationNotes& notes = notes_of(ssl).attestation;
  if ((context & SSL_EXT_TLS1_3_HELLO_RETRY_REQUEST) != 0) {
    if (length != 0) {
      notes.refusal = HandshakeRefusal{Alert::illegal_parameter,
                                       "the HelloRetryRequest's extension is not empty"};
      *alert = static_cast<int>(Alert::illegal_parameter);
      return 0;
    }
    notes.retry_echoed = true;
    return 1;
  }
  notes.answer.emplace(in, in + length);
  return 1;
}

// The server's certificate chain as OpenSSL would verify it, then the evidence: this is the
// last point before the client's Finished where the client can still abort with an alert.
// OpenSSL turns the verify error into the alert: X509_V_ERR_CERT_REJECTED gives
// bad_certificate, X509_V_ERR_APPLICATION_VERIFICATION handshake_failure. No verify error
// maps to missing_extension or access_denied, so those refusals go out as handshake_failure
// (docs/attestation.md section 9.3).
int client_verify_certificate(X509_STORE_CTX* store, void* /*arg*/) {
  const int chain = X509_verify_cert(store);
  if (chain <= 0) return chain;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto refusal = judge_handshake_attestation(
      ssl, certificate_key_sha256(X509_STORE_CTX_get0_cert(store)), {});
  if (!refusal) return 1;
  const bool bad_certificate = refusal->alert == Alert::bad_certificate;
  X509_STORE_CTX_set_error(store, bad_certificate ? X509_V_ERR_CERT_REJECTED
                                                  : X509_V_ERR_APPLICATION_VERIFICATION);
  notes_of(ssl).attestation.refusal->alert =
      bad_certificate ? Alert::bad_certificate : Alert::handshake_failure;
  return 0;
}

}  // namespace

HandshakeAttestationNotes::~HandshakeAttestationNotes() {
  OPENSSL_cleanse(server_handshake_secret.data(), server_handshake_secret.size());
}

std::optional<std::uint16_t> parse_private_extension_type(std::string_view text) {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0xFF00 ||
      value > 0xFFFF) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<std::vector<std::uint8_t>> hkdf_expand_label(std::span<const std::uint8_t> secret,
                                                           std::string_view digest_name,
                                                           std::string_view label,
                                                           std::span<const std::uint8_t> context,
                                                           std::size_t length) {
  // RFC 8446 section 7.1: HkdfLabel = uint16 length, opaque label<7..255> = "tls13 " + label,
  // opaque context<0..255>.
  const std::string full_label = "tls13 " + std::string(label);
  if (full_label.size() > 255 || context.size() > 255 || length > 0xFFFF) return std::nullopt;
  std::vector<unsigned char> info(4 + full_label.size() + context.size());
  info[0] = static_cast<unsigned char>(length >> 8);
  info[1] = static_cast<unsigned char>(length & 0xFF);
  info[2] = static_cast<unsigned char>(full_label.size());
  std::memcpy(info.data() + 3, full_label.data(), full_label.size());
  info[3 + full_label.size()] = static_cast<unsigned char>(context.size());
  if (!context.empty()) {
    std::memcpy(info.data() + 4 + full_label.size(), context.data(), context.size());
  }

  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* kctx = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (kctx == nullptr) return std::nullopt;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  std::string digest(digest_name);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  std::vector<std::uint8_t> out(length);
  const bool derived = EVP_KDF_derive(kctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(kctx);
  if (!derived) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

void note_server_handshake_secret(const SSL* ssl, const char* line) {
  const Context& context = context_of(ssl);
  if (!context.server_attestation() && !context.client_attestation()) return;
  const std::string_view text(line);
  if (!text.starts_with(kServerHandshakeSecret)) return;
  // A server keeps the secret only for a ClientHello that asked (it comes after ClientHello).
  if (SSL_is_server(ssl) && !notes_of(ssl).attestation.requested) return;
  // "SERVER_HANDSHAKE_TRAFFIC_SECRET <client random hex> <secret hex>"
  const auto space = text.find(' ', kServerHandshakeSecret.size());
  if (space == std::string_view::npos) return;
  const std::string_view hex = text.substr(space + 1);
  std::vector<std::uint8_t>& secret = notes_of(ssl).attestation.server_handshake_secret;
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int high = hex_digit(hex[i]);
    const int low = hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) break;
    secret.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
}

bool install_server_handshake_attestation(SSL_CTX* ctx, std::uint16_t codepoint) {
  return SSL_CTX_add_custom_ext(ctx, codepoint, kExtensionContexts, server_add, server_free,
                                nullptr, server_parse, nullptr) == 1;
}

bool install_client_handshake_attestation(SSL_CTX* ctx, std::uint16_t codepoint) {
  if (SSL_CTX_add_custom_ext(ctx, codepoint, kExtensionContexts, client_add, nullptr, nullptr,
                             client_parse, nullptr) != 1) {
    return false;
  }
  SSL_CTX_set_cert_verify_callback(ctx, client_verify_certificate, nullptr);
  return true;
}

void forget_client_hello_request(SSL* ssl) {
  HandshakeAttestationNotes& notes = notes_of(ssl).attestation;
  notes.requested = false;
  notes.request.clear();
}

std::optional<HandshakeRefusal> judge_handshake_attestation(
    SSL* ssl, const std::optional<std::array<std::uint8_t, 32>>& certificate_key,
    const std::string& psk_identity) {
  HandshakeAttestationNotes& notes = notes_of(ssl).attestation;
  const ClientHandshakeAttestation& attestation = *context_of(ssl).client_attestation();
  notes.judged = true;
  const auto binder = derive_binder(ssl, notes, attestation.binder_label);
  if (!binder) {
    notes.refusal = HandshakeRefusal{Alert::internal_error, "no server handshake traffic secret"};
    return notes.refusal;
  }
  HandshakeBinding binding;
  binding.request = notes.request;
  binding.binder = *binder;
  binding.certificate_key_sha256 = certificate_key;
  binding.psk_identity = psk_identity;
  std::optional<std::span<const std::uint8_t>> answer;
  if (notes.answer) answer = std::span<const std::uint8_t>(*notes.answer);
  notes.refusal = attestation.judge(binding, answer);
  return notes.refusal;
}

}  // namespace attestmq::tls
