// Callbacks that only watch the handshake: the NSS key log, the ClientHello's versions, a
// server's request for a certificate the client does not have, and whether the client sent one.
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <algorithm>

#include "tls/callbacks.hpp"

namespace attestmq::tls {
namespace {

// One NSS key log line per secret (CLIENT_HANDSHAKE_TRAFFIC_SECRET ...): into the keylog
// file if there is one (a single fprintf keeps lines whole when reactors on several threads
// share the context), and to transport A, whose binder needs one of the secrets.
void on_keylog_line(const SSL* ssl, const char* line) {
  const auto* context = static_cast<const Context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (context->keylog() != nullptr) {
    std::fprintf(context->keylog(), "%s\n", line);
    std::fflush(context->keylog());
  }
  note_server_handshake_secret(ssl, line);
}

// RFC 8446 section 4.2.1: supported_versions is a 1-byte length and 2-byte versions; without
// it the legacy_version field is the client's highest version. GREASE values (RFC 8701,
// 0x?A?A) and anything above TLS 1.3 are not versions a listener could require.
int note_client_hello(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  int highest = static_cast<int>(SSL_client_hello_get0_legacy_version(ssl));
  const unsigned char* extension = nullptr;
  std::size_t length = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &extension, &length) == 1 &&
      length >= 1) {
    const std::size_t end = std::min<std::size_t>(length, 1 + std::size_t{extension[0]});
    for (std::size_t i = 1; i + 1 < end; i += 2) {
      const int version = extension[i] << 8 | extension[i + 1];
      if (version <= TLS1_3_VERSION) highest = std::max(highest, version);
    }
  }
  static_cast<HandshakeNotes*>(SSL_get_app_data(ssl))->client_max_version = highest;
  // Transport A answers the REQUEST of the ClientHello it completes with (section 8.3).
  forget_client_hello_request(ssl);
  return SSL_CLIENT_HELLO_SUCCESS;
}

// Called only when the server sends CertificateRequest and the client has no certificate
// (RFC 8446 section 4.3.2); returning 0 sends none, as without the callback.
int note_certificate_request(SSL* ssl, X509** /*certificate*/, EVP_PKEY** /*key*/) {
  static_cast<HandshakeNotes*>(SSL_get_app_data(ssl))->certificate_requested_without_one = true;
  return 0;
}

// RFC 8446 section 4.4.2: Certificate = msg_type (11), uint24 length, an opaque<0..255>
// request context, then certificate_list<0..2^24-1>; an empty list means "no certificate".
void note_sent_certificate(int write_p, int /*version*/, int content_type, const void* buf,
                           std::size_t length, SSL* ssl, void* /*arg*/) {
  if (write_p != 1 || content_type != SSL3_RT_HANDSHAKE || length < 5) return;
  const auto* message = static_cast<const unsigned char*>(buf);
  if (message[0] != SSL3_MT_CERTIFICATE) return;
  const std::size_t list_at = 5 + std::size_t{message[4]};
  if (length < list_at + 3) return;
  const std::size_t list_length = std::size_t{message[list_at]} << 16 |
                                  std::size_t{message[list_at + 1]} << 8 | message[list_at + 2];
  if (list_length > 0) {
    static_cast<HandshakeNotes*>(SSL_get_app_data(ssl))->certificate_sent = true;
  }
}

}  // namespace

void install_keylog(SSL_CTX* ctx) { SSL_CTX_set_keylog_callback(ctx, on_keylog_line); }

void install_client_hello_notes(SSL_CTX* ctx) {
  SSL_CTX_set_client_hello_cb(ctx, note_client_hello, nullptr);
}

void install_certificate_request_notes(SSL_CTX* ctx) {
  SSL_CTX_set_client_cert_cb(ctx, note_certificate_request);
  SSL_CTX_set_msg_callback(ctx, note_sent_certificate);
}

}  // namespace attestmq::tls
