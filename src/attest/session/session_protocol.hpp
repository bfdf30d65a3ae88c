#pragma once
// The attested-session protocol of docs/attestation.md, version 1, transport B (MQTT 5 enhanced
// authentication) with per-session and cached evidence (section 6): its three messages
// (section 3), the claims a session adds (section 5), and the attester's and verifier's
// procedures (sections 7.4, 7.5). Pure functions: the TLS exporter value and the TLS identity
// come from the caller, which owns the TLS session (the broker's reactor, the client's
// transport).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/verification.hpp"
#include "attest/provider/provider.hpp"
#include "attest/session/cached_evidence.hpp"
#include "attest/session/envelope_cache.hpp"
#include "attest/verifier.hpp"

namespace attestmq::attest::session {

// Section 7.1: MQTT 5.0 Authentication Method (property 0x15).
inline constexpr std::string_view kAuthenticationMethod = "attestmq-attest-v1";
// Section 4.1: TLS exporter labels (RFC 8446 section 7.5), one per direction.
inline constexpr std::string_view kBrokerBinderLabel = "EXPERIMENTAL-attestmq-broker-binder-v1";
inline constexpr std::string_view kClientBinderLabel = "EXPERIMENTAL-attestmq-client-binder-v1";
inline constexpr std::size_t kBinderBytes = 32;
// Section 4.2: transport A's HKDF-Expand-Label label (without the "tls13 " prefix).
inline constexpr std::string_view kHandshakeBinderLabel = "attestmq binder v1";
// Section 8.1: transport A's default ExtensionType, in the private-use range.
inline constexpr std::uint16_t kDefaultExtensionCodepoint = 0xFF5A;

// Section 3.2, flags.
inline constexpr std::uint8_t kCachedOk = 0x01;
inline constexpr std::uint8_t kWantCollateral = 0x02;
inline constexpr std::uint8_t kCanAttest = 0x04;

// Section 3.3, evidence block: modes and flags.
inline constexpr std::uint8_t kModePerSession = 0x01;
inline constexpr std::uint8_t kModeCached = 0x02;
inline constexpr std::uint8_t kAttestYourself = 0x01;
inline constexpr std::size_t kSessionSignatureBytes = 64;
// Section 3.5: MQTT Authentication Data and a TLS extension body are at most 65,535 bytes.
inline constexpr std::size_t kMaxMessageBytes = 65535;

// The encode_* functions serialise what they are given: the caller keeps to section 3's bounds
// (a Request from parse_request does; produce_evidence checks the EVIDENCE's size).

// Section 3.2: REQUEST (verifier to attester).
struct Request {
  std::uint8_t flags = 0;
  std::vector<std::uint8_t> nonce;          // 16..64 bytes
  std::vector<EvidenceType> accepted_types;  // 1..4, distinct, most preferred first
  bool operator==(const Request&) const = default;
};
std::vector<std::uint8_t> encode_request(const Request& request);
std::optional<Request> parse_request(std::span<const std::uint8_t> bytes, std::string& error);

// Section 3.3, cached mode: the session claims and K's signature over their REPORTDATA.
struct CachedSession {
  std::vector<std::uint8_t> session_claims;  // canonical CBOR, 1..1,024 bytes
  std::array<std::uint8_t, kSessionSignatureBytes> signature{};  // r || s
  bool operator==(const CachedSession&) const = default;
};
// Section 3.3: an evidence block, mode 0x01 (no `cached`) or 0x02.
struct EvidenceBlock {
  std::vector<std::uint8_t> envelope;  // docs/evidence.md section 1
  std::optional<CachedSession> cached;
  bool operator==(const EvidenceBlock&) const = default;
};
// Section 3.3: EVIDENCE (attester to verifier).
struct EvidenceMessage {
  EvidenceBlock block;
  std::optional<Request> request_for_receiver;  // ATTEST_YOURSELF (mutual attestation)
  bool operator==(const EvidenceMessage&) const = default;
};
std::vector<std::uint8_t> encode_evidence(const EvidenceMessage& message);
std::optional<EvidenceMessage> parse_evidence(std::span<const std::uint8_t> bytes, std::string& error);

// Section 3.4: ANSWER (client to broker): empty, or the client's own evidence block.
std::vector<std::uint8_t> encode_answer(const std::optional<EvidenceBlock>& client_evidence);
std::optional<std::optional<EvidenceBlock>> parse_answer(std::span<const std::uint8_t> bytes,
                                                         std::string& error);

// Section 5.1, keys 5 and 6: what the attester authenticated with in this TLS handshake.
struct TlsIdentity {
  std::optional<std::array<std::uint8_t, 32>> certificate_key_sha256;  // SHA-256 of the SPKI DER
  std::optional<std::array<std::uint8_t, 32>> psk_identity_sha256;
};

// Section 7.4 step 5: the EVIDENCE answering `request` on a session whose exporter gave
// `binder`, with `request_for_receiver` (ATTEST_YOURSELF) when the broker asks the client to
// attest. With `cached` (section 6.2) and a request that set CACHED_OK: mode 0x02, the cached
// envelope and K's signature over the session claims; otherwise per-session evidence (6.1).
// nullopt with `error` when no evidence type in common, the binder is not 32 bytes, the
// identity names both a certificate and a PSK, the provider or the signature fails, or the
// message would exceed 65,535 bytes (section 3.5).
std::optional<std::vector<std::uint8_t>> produce_evidence(
    Provider& provider, const Request& request, std::span<const std::uint8_t> binder,
    const TlsIdentity& identity, const Software& software,
    std::string& error, const std::optional<Request>& request_for_receiver = std::nullopt,
    const CachedEvidence* cached = nullptr);

// Section 7.7: the client's evidence block for the broker's `request` (the ANSWER's content),
// with the same checks and errors as produce_evidence.
std::optional<EvidenceBlock> produce_evidence_block(
    Provider& provider, const Request& request, std::span<const std::uint8_t> binder,
    const TlsIdentity& identity, const Software& software,
    std::string& error, const CachedEvidence* cached = nullptr);

// Section 7.5: what the verifier knows of its own session.
struct Expectation {
  std::vector<std::uint8_t> request;  // the REQUEST bytes it sent
  std::vector<std::uint8_t> binder;   // TLS-Exporter(label, request, 32), computed on its side
  TlsIdentity peer;                   // the key the peer authenticated with in this handshake
  VerifyRequest verify;               // policy, roots, collateral, time
  // Section 6.2, client cache: cached-mode platform evidence verified earlier; null: none.
  VerifiedEnvelopeCache* cache = nullptr;
};

// Section 7.5, checks 1 to 11 (with section 6.2's in cached mode), each under its stable name;
// the first failure decides.
VerificationResult verify_evidence_message(std::span<const std::uint8_t> evidence_message,
                                           const Expectation& expectation);

}  // namespace attestmq::attest::session

namespace attestmq::attest::session {

// Section 5.1 keys 5 and 6 from what a TLS session knows: the SPKI hash of the certificate the
// attester authenticated with, or the PSK identity the client used (hashed here).
TlsIdentity tls_identity(const std::optional<std::array<std::uint8_t, 32>>& certificate_key_sha256,
                         std::string_view psk_identity);

}  // namespace attestmq::attest::session
