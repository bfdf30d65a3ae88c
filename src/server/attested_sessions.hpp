#pragma once
// The broker's side of the attested-session protocol, transport B (docs/attestation.md section
// 7.4): the engine carries MQTT 5 enhanced authentication with the method
// "attestmq-attest-v1"; each step comes here with the connection's TLS session, and is answered
// with evidence from the TEE provider bound to that session, or with a refusal.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "attest/provider/provider.hpp"
#include "broker/engine.hpp"
#include "broker/host.hpp"
#include "tls/handshake_attestation.hpp"
#include "tls/session.hpp"

namespace attestmq::server {

class AttestedSessions {
 public:
  // `module_sha256`: what the broker runs (the native binary here; the Wasm module later).
  AttestedSessions(std::unique_ptr<attest::Provider> provider, std::array<std::uint8_t, 32> module_sha256);

  // One step of the exchange on a connection whose TLS session is `tls` (null: plain TCP).
  broker::AuthenticationOutcome step(const tls::Session* tls, const broker::AuthenticationStep& step);

  // Transport A (docs/attestation.md section 8.5): the EncryptedExtensions EVIDENCE answering
  // the ClientHello's REQUEST, or the alert of section 9.3. Called inside the handshake, on the
  // connection's reactor.
  std::variant<std::vector<std::uint8_t>, tls::HandshakeRefusal> handshake_evidence(
      const tls::HandshakeBinding& binding);

  const attest::Provider& provider() const { return *provider_; }
  const std::array<std::uint8_t, 32>& module_sha256() const { return module_sha256_; }

 private:
  broker::AuthenticationOutcome evidence_for(const tls::Session* tls,
                                             const broker::AuthenticationStep& step);

  std::unique_ptr<attest::Provider> provider_;
  const std::array<std::uint8_t, 32> module_sha256_;
};

// The SHA-256 of this process's executable (/proc/self/exe): the native broker's measurement.
std::optional<std::array<std::uint8_t, 32>> own_executable_sha256(std::string& error);

}  // namespace attestmq::server
