#pragma once
// OpenSSL callbacks a Context installs and a Session relies on. They find their Context via
// SSL_CTX_get_app_data and the session's HandshakeNotes via SSL_get_app_data.
#include <string>

#include "tls/session.hpp"

namespace attestmq::tls {

// TLS 1.3 external PSKs (RFC 8446 section 4.2.11) and TLS 1.2 PSK cipher suites (RFC 4279),
// both from the context's psk_table().
void install_server_psk(SSL_CTX* ctx);
void install_client_psk(SSL_CTX* ctx);
// NSS key log lines into the context's keylog() file.
void install_keylog(SSL_CTX* ctx);
// Notes the highest version a ClientHello offers, for "unsupported protocol" messages.
void install_client_hello_notes(SSL_CTX* ctx);
// Client side: notes a CertificateRequest the client has no certificate for, and a
// certificate the client sent.
void install_certificate_request_notes(SSL_CTX* ctx);

// Why the handshake or a record failed, from OpenSSL's error queue (which it then clears),
// the verify result and the notes.
std::string describe_failure(SSL* ssl, const HandshakeNotes& notes);

}  // namespace attestmq::tls
