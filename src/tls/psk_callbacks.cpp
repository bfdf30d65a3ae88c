// Pre-shared keys on both sides. TLS 1.3 (RFC 8446 section 4.2.11) uses OpenSSL's session
// callbacks; the TLS 1.2 PSK cipher suites (RFC 4279) use the older identity callbacks, which
// is also what Debian's mosquitto_pub --psk (mosquitto 2.0.11) installs, in TLS 1.3 too:
// OpenSSL then falls back from the session callback to the identity callback.
#include <openssl/ssl.h>

#include <cstring>
#include <string_view>

#include "tls/callbacks.hpp"

namespace attestmq::tls {
namespace {

const Context& context_of(const SSL* ssl) {
  return *static_cast<const Context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

HandshakeNotes& notes_of(const SSL* ssl) {
  return *static_cast<HandshakeNotes*>(SSL_get_app_data(ssl));
}

// The key for `identity`, noting what the client offered; nullptr when unknown.
const std::vector<std::uint8_t>* find_key(const SSL* ssl, std::string_view identity) {
  const PskTable& table = context_of(ssl).psk_table();
  const auto found = table.find(identity);
  HandshakeNotes& notes = notes_of(ssl);
  notes.psk_identity.assign(identity);
  notes.psk_found = found != table.end();
  return notes.psk_found ? &found->second : nullptr;
}

// An external PSK as OpenSSL wants it for TLS 1.3: a session whose master key is the PSK.
// RFC 8446 section 4.2.11: a PSK without an associated hash uses SHA-256, so any
// SHA-256 suite will do; TLS_AES_128_GCM_SHA256 is mandatory to implement (section 9.1).
SSL_SESSION* new_psk_session(SSL* ssl, const std::vector<std::uint8_t>& key) {
  static constexpr unsigned char kAes128GcmSha256[] = {0x13, 0x01};
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kAes128GcmSha256);
  SSL_SESSION* session = SSL_SESSION_new();
  if (cipher == nullptr || session == nullptr ||
      SSL_SESSION_set1_master_key(session, key.data(), key.size()) != 1 ||
      SSL_SESSION_set_cipher(session, cipher) != 1 ||
      SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION) != 1) {
    SSL_SESSION_free(session);
    return nullptr;
  }
  return session;
}

int server_find_session(SSL* ssl, const unsigned char* identity, std::size_t identity_length,
                        SSL_SESSION** session) {
  *session = nullptr;
  const auto* key =
      find_key(ssl, std::string_view(reinterpret_cast<const char*>(identity), identity_length));
  // No session (but success): OpenSSL tries the TLS 1.2-style callback, then certificates.
  if (key == nullptr) return 1;
  *session = new_psk_session(ssl, *key);
  return *session != nullptr ? 1 : 0;
}

unsigned int server_identity_key(SSL* ssl, const char* identity, unsigned char* psk,
                                 unsigned int max_psk_length) {
  const auto* key = find_key(ssl, identity != nullptr ? identity : "");
  if (key == nullptr || key->size() > max_psk_length) return 0;
  std::memcpy(psk, key->data(), key->size());
  return static_cast<unsigned int>(key->size());
}

int client_use_session(SSL* ssl, const EVP_MD* handshake_digest, const unsigned char** identity,
                       std::size_t* identity_length, SSL_SESSION** session) {
  *session = nullptr;
  const auto& [name, key] = *context_of(ssl).psk_table().begin();
  SSL_SESSION* psk_session = new_psk_session(ssl, key);
  if (psk_session == nullptr) return 0;
  // After a HelloRetryRequest the suite's hash is fixed; a PSK for another hash cannot be
  // offered (RFC 8446 section 4.2.11).
  const EVP_MD* psk_digest = SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(psk_session));
  if (handshake_digest != nullptr &&
      EVP_MD_get_type(handshake_digest) != EVP_MD_get_type(psk_digest)) {
    SSL_SESSION_free(psk_session);
    return 1;
  }
  HandshakeNotes& notes = notes_of(ssl);
  notes.psk_identity = name;
  notes.psk_found = true;
  *identity = reinterpret_cast<const unsigned char*>(name.data());
  *identity_length = name.size();
  *session = psk_session;
  return 1;
}

unsigned int client_identity_key(SSL* ssl, const char* /*hint*/, char* identity,
                                 unsigned int max_identity_length, unsigned char* psk,
                                 unsigned int max_psk_length) {
  const auto& [name, key] = *context_of(ssl).psk_table().begin();
  if (name.size() >= max_identity_length || key.size() > max_psk_length) return 0;
  std::memcpy(identity, name.c_str(), name.size() + 1);
  std::memcpy(psk, key.data(), key.size());
  HandshakeNotes& notes = notes_of(ssl);
  notes.psk_identity = name;
  notes.psk_found = true;
  return static_cast<unsigned int>(key.size());
}

}  // namespace

void install_server_psk(SSL_CTX* ctx) {
  SSL_CTX_set_psk_find_session_callback(ctx, server_find_session);
  SSL_CTX_set_psk_server_callback(ctx, server_identity_key);
}

void install_client_psk(SSL_CTX* ctx) {
  SSL_CTX_set_psk_use_session_callback(ctx, client_use_session);
  SSL_CTX_set_psk_client_callback(ctx, client_identity_key);
}

}  // namespace attestmq::tls
