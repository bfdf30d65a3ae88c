#pragma once
// The broker's side of the attested-session protocol, shared by the native server and the
// Wasm guest. Transport B (docs/attestation.md section 7.4): the engine carries MQTT 5 enhanced authentication with the method
// "attestmq-attest-v1"; each step comes here with the connection's TLS session, and is answered
// with evidence from the TEE provider bound to that session, or with a refusal. With mutual
// attestation (section 7.7) the broker also asks the client for evidence and verifies it.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "attest/provider/provider.hpp"
#include "attest/verifier.hpp"
#include "broker/engine.hpp"
#include "broker/host.hpp"
#include "attested/cached_quote.hpp"
#include "tls/handshake_attestation.hpp"
#include "tls/session.hpp"

namespace attestmq::attested {

// What one listener asks of attested sessions (docs/attestation.md section 13).
struct AttestationListener {
  // attestation_require_client_auth: evidence only to a client that authenticated with a
  // certificate, a PSK or a password (section 7.4 step 3).
  bool require_client_auth = false;
  // attestation_client_policy: the client must attest itself and pass this (section 7.7).
  std::optional<attest::VerifyRequest> client_policy;
  // attestation_mode cached: the refresh period of its cached evidence (section 6.2); nullopt
  // for per-session evidence.
  std::optional<std::chrono::seconds> quote_period;
};

class AttestedSessions {
 public:
  using Log = std::function<void(broker::LogLevel, std::string_view)>;

  // `software`: what the broker runs (the native binary, or the Wasm module) and the digest
  // of its effective security configuration (docs/evidence.md), named in every evidence.
  // `listeners`: indexed like broker::Settings::listeners; a missing entry asks nothing more.
  // Cached listeners get their first quote here: nullptr and `error` if the provider cannot
  // make it.
  static std::unique_ptr<AttestedSessions> create(std::unique_ptr<attest::Provider> provider,
                                                  attest::Software software,
                                                  std::vector<AttestationListener> listeners,
                                                  std::string& error);
  AttestedSessions(const AttestedSessions&) = delete;
  AttestedSessions& operator=(const AttestedSessions&) = delete;

  // Section 6.2: refreshes every cached quote whose period has run out at `now`, logging each
  // outcome through `log`, and says when the next one is due (nullopt: nothing is cached).
  // The native server calls it from a thread of its own, so that a slow quote never stalls a
  // connection; the single-threaded Wasm guest calls it from its tick.
  std::optional<std::chrono::steady_clock::time_point> refresh_due(
      std::chrono::steady_clock::time_point now, const Log& log);

  // One step of the exchange on a connection whose TLS session is `tls` (null: plain TCP).
  // Runs on the connection's reactor, like evidence production: the verifier is called only
  // for an ANSWER to a REQUEST this broker sent, at most once per exchange.
  broker::AuthenticationOutcome step(const tls::Session* tls, const broker::AuthenticationStep& step);

  // Transport A (docs/attestation.md section 8.5): the EncryptedExtensions EVIDENCE answering
  // the ClientHello's REQUEST, or the alert of section 9.3. Called inside the handshake, on the
  // connection's reactor.
  std::variant<std::vector<std::uint8_t>, tls::HandshakeRefusal> handshake_evidence(
      const tls::HandshakeBinding& binding);

  const attest::Provider& provider() const { return *provider_; }
  // For sealing at start (the sealing key and the counter), before any other thread runs.
  attest::Provider& provider() { return *provider_; }
  const attest::Software& software() const { return software_; }

 private:
  struct CachedListener {
    std::uint32_t listener;
    std::chrono::seconds period;
    CachedQuote quote;
    std::chrono::steady_clock::time_point next_refresh;
  };

  AttestedSessions(std::unique_ptr<attest::Provider> provider,
                   attest::Software software,
                   std::vector<AttestationListener> listeners);
  broker::AuthenticationOutcome evidence_for(const tls::Session* tls,
                                             const broker::AuthenticationStep& step);
  broker::AuthenticationOutcome answered(const tls::Session* tls,
                                         const broker::AuthenticationStep& step);
  const AttestationListener& listener(std::uint32_t index) const;
  bool refresh(CachedListener& cached, std::chrono::steady_clock::time_point now, std::string& error);

  std::unique_ptr<attest::Provider> provider_;
  const attest::Software software_;
  const std::vector<AttestationListener> listeners_;
  // Fixed after create(); next_refresh is refresh_due's alone.
  std::vector<std::unique_ptr<CachedListener>> cached_;
};

// One step answered by `sessions`, or, on a host without a TEE provider (null), refused with
// Bad authentication method. No listener offers the method then, so a step cannot normally
// arrive; if one does, it fails closed.
broker::AuthenticationOutcome answer_step(AttestedSessions* sessions, const tls::Session* tls,
                                          const broker::AuthenticationStep& step);

}  // namespace attestmq::attested
