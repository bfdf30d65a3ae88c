#include "server/tls_contexts.hpp"

#include <mutex>

#include "attest/session/session_protocol.hpp"

namespace attestmq::server {

std::optional<tls::ServerHandshakeAttestation> TlsContexts::handshake_attestation(
    const config::ListenerConfig& listener, std::string& error) const {
  if (!listener.attestation_handshake) return std::nullopt;
  // docs/attestation.md section 8: evidence from a provider, in a TLS 1.3 handshake.
  if (attested_ == nullptr) {
    error = "attestation_handshake needs a TEE provider (tee or --tee)";
  } else if (!listener.tls.enabled()) {
    error = "attestation_handshake needs a TLS listener (certfile/keyfile or psk_hint/psk_file)";
  } else if (listener.tls.tls_version == "tlsv1.2") {
    error = "attestation_handshake needs TLS 1.3, but tls_version is tlsv1.2";
  } else {
    tls::ServerHandshakeAttestation attestation;
    attestation.codepoint = listener.attestation_extension_codepoint;
    attestation.binder_label = std::string(attest::session::kHandshakeBinderLabel);
    attestation.answer = [attested = attested_,
                          require_client_auth = listener.attestation_require_client_auth](
                             const tls::HandshakeBinding& binding)
        -> std::variant<std::vector<std::uint8_t>, tls::HandshakeRefusal> {
      // Section 8.5 step 3: in TLS 1.3 a client certificate comes only after EncryptedExtensions,
      // so before evidence only an external PSK can have authenticated the client.
      if (require_client_auth && binding.psk_identity.empty()) {
        return tls::HandshakeRefusal{tls::Alert::access_denied,
                                     "evidence is released to authenticated clients only, and "
                                     "only a PSK authenticates a client before EncryptedExtensions"};
      }
      return attested->handshake_evidence(binding);
    };
    return attestation;
  }
  return std::nullopt;
}

bool TlsContexts::load(const std::vector<config::ListenerConfig>& listeners, std::string& error) {
  std::vector<std::shared_ptr<const tls::Context>> built(listeners.size());
  for (std::size_t index = 0; index < listeners.size(); ++index) {
    const config::ListenerConfig& listener = listeners[index];
    std::string context_error;
    auto attestation = handshake_attestation(listener, context_error);
    if (!context_error.empty()) {
      error = "listener " + listener.origin + ": " + context_error;
      return false;
    }
    if (!listener.tls.enabled()) continue;
    built[index] = tls::Context::server(listener.tls, context_error, std::move(attestation));
    if (!built[index]) {
      error = "listener " + listener.origin + ": " + context_error;
      return false;
    }
  }
  std::lock_guard lock(mutex_);
  contexts_.swap(built);
  return true;
}

std::shared_ptr<const tls::Context> TlsContexts::current(std::uint32_t listener) {
  std::lock_guard lock(mutex_);
  return listener < contexts_.size() ? contexts_[listener] : nullptr;
}

}  // namespace attestmq::server
