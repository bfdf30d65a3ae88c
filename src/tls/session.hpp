#pragma once
// One TLS connection as a sans-I/O state machine over OpenSSL memory BIOs (in the style of
// ngtcp2/nghttp2): the host feeds it ciphertext and sends on whatever it emits; plaintext
// goes in and out through plain byte vectors. Never blocks, never touches a socket, so the
// same code serves the native reactor and (later) the Wasm guest, where the host only ever
// sees ciphertext.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tls/context.hpp"
#include "tls/handshake_attestation.hpp"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace attestmq::tls {

// Who the peer proved to be during the handshake.
struct PeerIdentity {
  std::string protocol;          // "TLSv1.3"
  std::string cipher;            // "TLS_AES_256_GCM_SHA384"
  std::string certificate_cn;    // CN of the verified client certificate, if any
  std::string certificate_subject;  // its subject, RFC 2253 form (use_subject_as_username)
  std::string psk_identity;      // the PSK identity the client used, if any
};

// What the context's callbacks saw during the handshake, kept for peer() and error(): OpenSSL
// forgets an unknown PSK identity and the versions a refused client offered.
struct HandshakeNotes {
  std::string psk_identity;      // the identity the client offered
  bool psk_found = false;        // whether a key was found for it
  // Set once the handshake completed with a key from the psk_table (not a ticket).
  bool external_psk_used = false;
  int client_max_version = 0;    // highest ClientHello version (server side); TLS 1.3 = 0x0304
  // Client side: the server asked for a certificate and none was configured. In TLS 1.3 the
  // client completes its handshake before the server judges that (RFC 8446 section 4.4.2.4),
  // so the refusal arrives later, as an alert or a reset: this explains it.
  bool certificate_requested_without_one = false;
  // Client side: we sent a non-empty Certificate message (the server asked and we had one).
  bool certificate_sent = false;
  // Transport A (docs/attestation.md section 8), when the context carries it.
  HandshakeAttestationNotes attestation;
};

class Session {
 public:
  enum class State : std::uint8_t {
    handshaking,  // more bytes needed from the peer
    established,  // application data flows
    closed,       // the peer sent close_notify, or close() was called
    failed,       // handshake or record error; error() says why
  };

  explicit Session(std::shared_ptr<const Context> context);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Client side: sets SNI / the name to verify, then call start() to produce the ClientHello.
  void start(std::vector<std::uint8_t>& to_peer);

  // Ciphertext from the peer. Decrypted application data is appended to `plaintext`,
  // records to send (handshake messages, alerts, key updates) to `to_peer`. Returns the
  // state after the input; on `failed` the alert to send is already in `to_peer`.
  State receive(std::span<const std::uint8_t> ciphertext, std::vector<std::uint8_t>& plaintext,
                std::vector<std::uint8_t>& to_peer);

  // Application data to encrypt into `to_peer`; false if the session cannot send (not yet
  // established, failed or closed).
  bool send(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& to_peer);

  // Our close_notify into `to_peer` (RFC 8446 section 6.1).
  void close(std::vector<std::uint8_t>& to_peer);

  State state() const { return state_; }
  // True once, right after receive() completed the handshake: the host then opens the
  // MQTT connection with peer() known.
  bool take_handshake_completed();
  const PeerIdentity& peer() const { return peer_; }
  const HandshakeNotes& notes() const { return notes_; }
  // Why the session failed, in words for a log line: "certificate verify failed
  // (certificate has expired)", "unsupported protocol", "no PSK for identity \"x\"".
  const std::string& error() const { return error_; }

  // RFC 8446 section 7.5: TLS-Exporter(label, context, length), with a context (also an empty
  // one, which differs from none). nullopt until the handshake completed on this side: the
  // attestation binders (docs/attestation.md section 4.1) are bound to the whole handshake.
  std::optional<std::vector<std::uint8_t>> export_keying_material(
      std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const;
  // Whether the handshake resumed an earlier session (a ticket) rather than being a full one.
  // An external PSK (psk_file, --psk) is a full handshake for this purpose: OpenSSL counts it
  // as a resumption, but nothing earlier is reused. docs/attestation.md section 7.1.
  bool resumed() const;
  // SHA-256 of the DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) of our own certificate
  // and of the peer's, as `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`
  // computes it: claims key 5 (docs/attestation.md section 5.1). nullopt when that side
  // presented no certificate in this handshake, or before it completed.
  std::optional<std::array<std::uint8_t, 32>> local_certificate_key_sha256() const;
  std::optional<std::array<std::uint8_t, 32>> peer_certificate_key_sha256() const;

  SSL* native() const { return ssl_; }

 private:
  void advance_handshake();
  void read_application_data(std::vector<std::uint8_t>& plaintext);
  void drain(std::vector<std::uint8_t>& to_peer);
  void fail();
  void record_peer();

  std::shared_ptr<const Context> context_;
  SSL* ssl_ = nullptr;
  BIO* from_peer_ = nullptr;  // ciphertext the host fed, owned by ssl_
  BIO* to_peer_ = nullptr;    // ciphertext for the host to send, owned by ssl_
  HandshakeNotes notes_;
  State state_ = State::handshaking;
  bool handshake_completed_ = false;
  PeerIdentity peer_;
  std::string error_;
};

}  // namespace attestmq::tls
