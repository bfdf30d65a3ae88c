#pragma once
// The client's side of attested sessions, docs/attestation.md. Transport B: a REQUEST with a
// fresh nonce in CONNECT (or AUTH 0x19), the broker's EVIDENCE verified against this very
// TLS session (section 7.5), and an ANSWER only once it passed; it plugs into the client as
// an EnhancedAuthentication method (MQTT 5.0 section 4.12). With a TEE of its own the client
// offers to attest itself (CAN_ATTEST) and answers a broker that asks (section 7.7).
// Transport A (section 8): the REQUEST in a ClientHello extension and the EVIDENCE judged
// inside the TLS handshake.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/common/verification.hpp"
#include "attest/provider/provider.hpp"
#include "attest/verifier.hpp"
#include "client/client.hpp"
#include "client/session_options.hpp"
#include "client/transport.hpp"
#include "tls/handshake_attestation.hpp"

namespace attestmq::client {

// What this client proves about itself when the broker asks (mutual attestation, section 7.7).
struct SelfAttestation {
  std::shared_ptr<attest::Provider> provider;
  std::array<std::uint8_t, 32> module_sha256{};  // claims key 2: the code this client runs
};

class Attestation {
 public:
  // Section 7.1: attestation needs a TLS 1.3 session established by a full handshake.
  // nullopt with `error` otherwise. `transport` (normally owned by the Client that connects
  // over it) must outlive every use of this object and of what authentication() returns.
  // With `self`, the client sets CAN_ATTEST and attests itself when the broker asks.
  static std::optional<Attestation> over(const Transport& transport, attest::VerifyRequest verify,
                                         std::string& error,
                                         std::optional<SelfAttestation> self = std::nullopt);
  // For a client that queues its CONNECT while the handshake runs (the load generator): `tls`
  // must come from a context that offers only TLS 1.3 and no resumption; section 7.1 is
  // checked when the EVIDENCE arrives, and fails it then.
  static Attestation before_handshake(const tls::Session& tls, attest::VerifyRequest verify);

  // CONNECT's enhanced authentication: method attestmq-attest-v1, a fresh REQUEST (32-byte
  // nonce, the policy's accepted types, CACHED_OK, and CAN_ATTEST with a TEE of its own), and
  // respond() = the verifier of section 7.5 (with the process's cache of verified cached-mode
  // envelopes, section 6.2), which answers only when every check passed: with the client's own
  // evidence when the broker asked for it (section 7.7), else empty. complete() is true once
  // the evidence for the latest REQUEST was accepted.
  EnhancedAuthentication authentication();
  // Section 6: leave CACHED_OK clear from now on, so that a broker in cached mode produces a
  // fresh quote for this session (the load generator's --evidence per-session).
  void require_per_session();
  // A fresh REQUEST for Client::reauthenticate (section 7.6); the next EVIDENCE must answer it.
  std::vector<std::uint8_t> next_request();

  // The verdict on the latest EVIDENCE: established claims, every check, the first failure.
  // nullopt before any EVIDENCE arrived.
  const std::optional<attest::VerificationResult>& result() const;
  // Whether the EVIDENCE for the latest REQUEST was accepted.
  bool verified() const;

  struct State;

 private:
  explicit Attestation(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// Transport A (section 8.6): what a tls::Context needs to ask for evidence in the ClientHello
// and to judge the EncryptedExtensions answer (checks of section 7.5 with the binder of 4.2)
// before the handshake completes, and the verdict afterwards.
class HandshakeAttestation {
 public:
  HandshakeAttestation(attest::VerifyRequest verify, std::uint16_t codepoint);

  // For tls::Context::client; valid as long as this object or a copy lives.
  tls::ClientHandshakeAttestation tls_side() const;

  // The verdict on the EVIDENCE: nullopt if none arrived (or the handshake ended before).
  const std::optional<attest::VerificationResult>& result() const;
  bool verified() const;
  // Why this client aborted the handshake ("session.binder: binder does not match this
  // session"); empty if it did not.
  const std::string& refusal() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Section 7.2: connects `client` (not yet connected) with the broker attested in CONNECT.
// `attestation` is set as soon as the client's transport qualifies, so the caller can report
// the verdict (result()) whatever the outcome; a refused EVIDENCE fails with
// ErrorKind::authentication, a transport that cannot carry attestation with invalid_request.
Status connect_attested(Client& client, attest::VerifyRequest verify, ConnectOptions options,
                        std::optional<Attestation>& attestation,
                        std::optional<SelfAttestation> self = std::nullopt);

// Why attesting failed, for an error line: the first failed check of the latest EVIDENCE
// ("session.tls_key: evidence names another TLS key"), else the failure's message.
std::string rejection_reason(const std::optional<Attestation>& attestation, const Status& failure);

}  // namespace attestmq::client
