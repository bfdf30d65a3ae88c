#pragma once
// OpenSSL callbacks a Context installs and a Session relies on. They find their Context via
// SSL_CTX_get_app_data and the session's HandshakeNotes via SSL_get_app_data.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "tls/session.hpp"

typedef struct x509_st X509;

namespace attestmq::tls {

// TLS 1.3 external PSKs (RFC 8446 section 4.2.11) and TLS 1.2 PSK cipher suites (RFC 4279),
// both from the context's psk_table().
void install_server_psk(SSL_CTX* ctx);
void install_client_psk(SSL_CTX* ctx);
// NSS key log lines into the context's keylog() file, if any, and the secret transport A
// derives its binder from.
void install_keylog(SSL_CTX* ctx);
// Notes the highest version a ClientHello offers, for "unsupported protocol" messages, and
// forgets the previous ClientHello's transport A request.
void install_client_hello_notes(SSL_CTX* ctx);
// Client side: notes a CertificateRequest the client has no certificate for, and a
// certificate the client sent.
void install_certificate_request_notes(SSL_CTX* ctx);

// SHA-256 of the certificate's DER SubjectPublicKeyInfo; nullopt without a certificate.
std::optional<std::array<std::uint8_t, 32>> certificate_key_sha256(const X509* certificate);

// Transport A (handshake_attestation.cpp): the custom extension on each side (false if
// OpenSSL refuses the codepoint), the secret taken from a key log line, the ClientHello
// callback's reset, and the client's verdict once the server authenticated.
bool install_server_handshake_attestation(SSL_CTX* ctx, std::uint16_t codepoint);
bool install_client_handshake_attestation(SSL_CTX* ctx, std::uint16_t codepoint);
void note_server_handshake_secret(const SSL* ssl, const char* line);
void forget_client_hello_request(SSL* ssl);
std::optional<HandshakeRefusal> judge_handshake_attestation(
    SSL* ssl, const std::optional<std::array<std::uint8_t, 32>>& certificate_key,
    const std::string& psk_identity);

// Why the handshake or a record failed, from OpenSSL's error queue (which it then clears),
// the verify result and the notes.
std::string describe_failure(SSL* ssl, const HandshakeNotes& notes);

}  // namespace attestmq::tls
