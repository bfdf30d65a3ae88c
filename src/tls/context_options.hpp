#pragma once
// What a tls::Context is built from, in the TLS layer's own terms. The layer knows nothing of
// where the values come from: config/ fills ServerTlsOptions from a listener's
// mosquitto.conf(5) lines, the client from mosquitto_pub-style flags. Keeping these here
// keeps tls/ (and the client library above it) free of the broker engine and the
// configuration reader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attestmq::tls {

// A listener's side: mosquitto.conf(5) "Certificate based SSL/TLS support" and
// "Pre-shared-key based SSL/TLS support". Paths are as given.
struct ServerTlsOptions {
  std::string cafile;
  std::string capath;
  std::string certfile;
  std::string keyfile;
  std::string crlfile;
  bool require_certificate = false;
  std::string tls_version;    // empty: TLS 1.2 and 1.3; "tlsv1.3" or "tlsv1.2": only that one
  std::string ciphers;        // TLS 1.2 cipher list, OpenSSL syntax
  std::string ciphers_tls13;  // TLS 1.3 ciphersuites (option ciphers_tls1.3)
  std::string psk_hint;       // set: the listener accepts pre-shared keys
  std::string psk_file;       // identity:hexkey lines
  std::string keylog_file;    // NSS key log (tls_keylog_file): secrets for Wireshark, debug only
  // The server's order of cipher suites wins over the client's (the Wasm guest's choice of
  // constant-time ChaCha20-Poly1305; docs/security.md). Not a mosquitto.conf option.
  bool prefer_server_ciphers = false;
  // The bytes of cafile and psk_file as config/ read them and hashed them into the
  // configuration digest (docs/evidence.md); when set, the context is built from these bytes
  // and the paths are only named in messages, so that what is attested is what is used.
  std::optional<std::string> cafile_bytes;
  std::optional<std::string> psk_file_bytes;
  // Certificates (certfile) or PSK (psk_hint) make the listener a TLS listener.
  bool enabled() const { return !certfile.empty() || !psk_hint.empty(); }
};

// What a client offers: mosquitto_pub/mosquitto_sub's --cafile, --capath, --cert, --key,
// --insecure, --tls-version, --ciphers, --psk, --psk-identity.
struct ClientTlsOptions {
  std::string cafile;
  std::string capath;
  std::string certfile;  // client certificate (mutual TLS)
  std::string keyfile;
  std::string server_name;          // SNI and the name checked against the certificate
  bool verify_hostname = true;      // false with --insecure
  std::string tls_version;          // empty: TLS 1.2 and 1.3; "tlsv1.3" or "tlsv1.2" only
  std::string ciphers;              // TLS 1.2 cipher list
  std::string ciphers_tls13;        // TLS 1.3 ciphersuites
  std::string psk_identity;         // with psk_key: PSK instead of certificates
  std::vector<std::uint8_t> psk_key;
  std::string keylog_file;          // NSS key log, for debugging with Wireshark only
};

}  // namespace attestmq::tls
