#pragma once
// Transport A of docs/attestation.md (section 8): a TLS 1.3 ClientHello extension answered in
// EncryptedExtensions, with a binder from the server handshake traffic secret (section 4.2).
// The TLS layer carries the bytes, derives the binder and aborts with the alert it is told;
// what the bytes mean (REQUEST, EVIDENCE, the checks) is the caller's business (attest/),
// handed in as callbacks, so tls/ stays free of the attestation code (cmake/layers.cmake).
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace attestmq::tls {

// RFC 8446 section 6.2 alert descriptions that transport A sends (docs/attestation.md 9.3).
enum class Alert : std::uint8_t {
  handshake_failure = 40,
  bad_certificate = 42,
  illegal_parameter = 47,
  access_denied = 49,
  decode_error = 50,
  internal_error = 80,
  missing_extension = 109,
};

// Why a side aborts the handshake, and with which alert.
struct HandshakeRefusal {
  Alert alert = Alert::handshake_failure;
  std::string reason;
};

// What both sides know of the handshake when the evidence is made or judged.
struct HandshakeBinding {
  std::span<const std::uint8_t> request;  // the ClientHello extension body answered
  // HKDF-Expand-Label(server_handshake_traffic_secret, label, request, 32), section 4.2.
  std::span<const std::uint8_t> binder;
  // SHA-256 of the SubjectPublicKeyInfo of the server's certificate in this handshake (the one
  // it is about to send, on the server); nullopt in a PSK handshake.
  std::optional<std::array<std::uint8_t, 32>> certificate_key_sha256;
  std::string psk_identity;  // the external PSK's identity, if one authenticated the handshake
};

struct ServerHandshakeAttestation {
  std::uint16_t codepoint = 0;  // section 8.1, in 0xFF00..0xFFFF
  std::string binder_label;     // HkdfLabel.label without "tls13 "
  // The EncryptedExtensions body (EVIDENCE) answering binding.request, or why not.
  std::function<std::variant<std::vector<std::uint8_t>, HandshakeRefusal>(const HandshakeBinding&)>
      answer;
};

struct ClientHandshakeAttestation {
  std::uint16_t codepoint = 0;
  std::string binder_label;
  // A REQUEST with a fresh nonce, for each ClientHello that asks anew (section 8.3).
  std::function<std::vector<std::uint8_t>()> next_request;
  // Judges the server's answer (nullopt: none in EncryptedExtensions) once the server has
  // authenticated (its Certificate, or the PSK); a refusal aborts the handshake.
  std::function<std::optional<HandshakeRefusal>(const HandshakeBinding&,
                                                std::optional<std::span<const std::uint8_t>>)>
      judge;
};

// What one session's callbacks remember between ClientHello and the verdict.
struct HandshakeAttestationNotes {
  std::vector<std::uint8_t> request;  // the extension body received (server) or last sent (client)
  bool requested = false;             // server: this ClientHello carried the extension
  bool retry_echoed = false;          // client: a HelloRetryRequest carried it (empty)
  // The EncryptedExtensions body: the client's until judged, the server's until OpenSSL
  // copied it.
  std::optional<std::vector<std::uint8_t>> answer;
  // SERVER_HANDSHAKE_TRAFFIC_SECRET from the key log callback; wiped once the binder is made.
  std::vector<std::uint8_t> server_handshake_secret;
  bool judged = false;                // client: the judge ran (it runs once)
  std::optional<HandshakeRefusal> refusal;  // why this side aborted
  ~HandshakeAttestationNotes();
};

// Section 8.1: a private-use TLS ExtensionType (RFC 8447, 0xFF00..0xFFFF), written 0xFF5A or
// 65370; nullopt for anything else.
std::optional<std::uint16_t> parse_private_extension_type(std::string_view text);

// HKDF-Expand-Label(secret, label, context, length) of RFC 8446 section 7.1 with the hash
// `digest_name` ("SHA256", "SHA384"); nullopt if OpenSSL refuses.
std::optional<std::vector<std::uint8_t>> hkdf_expand_label(std::span<const std::uint8_t> secret,
                                                           std::string_view digest_name,
                                                           std::string_view label,
                                                           std::span<const std::uint8_t> context,
                                                           std::size_t length);

}  // namespace attestmq::tls
