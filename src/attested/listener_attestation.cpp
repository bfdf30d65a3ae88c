#include "attested/listener_attestation.hpp"

#include <cstdio>

#include "attest/common/hex.hpp"
#include "attest/policy/policy.hpp"
#include "attest/session/session_protocol.hpp"

namespace attestmq::attested {

bool offers_cached_evidence(const config::ListenerConfig& listener) {
  return listener.tls.enabled() && listener.attestation_auth &&
         listener.attestation_mode == config::ListenerConfig::AttestationMode::cached;
}

std::variant<std::vector<AttestationListener>, std::string> attestation_listeners(
    const config::BrokerConfig& config) {
  std::vector<AttestationListener> listeners;
  for (const config::ListenerConfig& listener : config.listeners) {
    AttestationListener& rules = listeners.emplace_back();
    rules.require_client_auth = listener.attestation_require_client_auth;
    if (offers_cached_evidence(listener)) {
      rules.quote_period = std::chrono::seconds(listener.attestation_quote_period_s);
    }
    // OpenSSL reads a capath's certificates when a handshake needs them, long after the
    // configuration digest was taken: an attesting broker could not say which CAs it trusts.
    if (config.tee != "none" && !listener.tls.capath.empty()) {
      return listener.origin + ": capath " + listener.tls.capath +
             ": an attesting broker (tee) takes its CAs from cafile, whose bytes are attested";
    }
    if (listener.attestation_client_policy.empty()) continue;
    // Section 7.7: the client proves itself inside the broker's exchange.
    if (config.tee == "none") {
      return listener.origin + ": attestation_client_policy needs a TEE provider (tee or --tee)";
    }
    // Without the method on this listener nobody could attest, and nobody would be refused.
    if (!listener.tls.enabled() || !listener.attestation_auth) {
      return listener.origin +
             ": attestation_client_policy needs a TLS listener with attestation_auth true";
    }
    // Parsed by config/ from the bytes it hashed into the configuration digest, the pinned
    // roots included: never a second read of a file.
    if (!listener.client_policy) {
      return listener.origin + ": attestation_client_policy " + listener.attestation_client_policy +
             ": not loaded with the other security files";
    }
    rules.client_policy.emplace();
    rules.client_policy->policy = *listener.client_policy;
  }
  return listeners;
}

std::vector<broker::ListenerPolicy> engine_policies(std::vector<broker::ListenerPolicy> policies,
                                                    const config::BrokerConfig& config,
                                                    bool attesting) {
  for (std::size_t i = 0; i < policies.size() && i < config.listeners.size(); ++i) {
    const config::ListenerConfig& listener = config.listeners[i];
    if (attesting && listener.tls.enabled() && listener.attestation_auth) {
      policies[i].authentication_methods = {std::string(attest::session::kAuthenticationMethod)};
      // Section 7.7: a client that did not attest gets CONNACK 0x87.
      policies[i].authentication_required = !listener.attestation_client_policy.empty();
    }
  }
  return policies;
}

broker::Settings engine_settings(const config::BrokerConfig& config, bool attesting) {
  broker::Settings settings = config.settings;
  settings.listeners = engine_policies(std::move(settings.listeners), config, attesting);
  return settings;
}

std::vector<std::string> attestation_notices(const config::BrokerConfig& config,
                                             const attest::Software& software) {
  std::vector<std::string> lines;
  if (software.configuration_digest) {
    lines.push_back("Configuration digest in every piece of evidence: " +
                    attest::to_hex(*software.configuration_digest));
  }
  for (const auto& listener : config.listeners) {
    if (!offers_cached_evidence(listener)) continue;
    lines.push_back("Listener " + listener.origin + ": cached attestation evidence, quote refreshed every " +
                    std::to_string(listener.attestation_quote_period_s) + " s.");
  }
  for (const auto& listener : config.listeners) {
    if (!listener.attestation_handshake) continue;
    char codepoint[8];
    std::snprintf(codepoint, sizeof codepoint, "0x%04X", listener.attestation_extension_codepoint);
    lines.push_back("Listener " + listener.origin + " also attests in the TLS handshake (extension " +
                    codepoint + ").");
  }
  return lines;
}

std::optional<tls::ServerHandshakeAttestation> handshake_attestation(
    const config::ListenerConfig& listener, AttestedSessions* attested, std::string& error) {
  if (!listener.attestation_handshake) return std::nullopt;
  // Section 8: evidence from a provider, in a TLS 1.3 handshake.
  if (attested == nullptr) {
    error = "attestation_handshake needs a TEE provider (tee or --tee)";
  } else if (!listener.tls.enabled()) {
    error = "attestation_handshake needs a TLS listener (certfile/keyfile or psk_hint/psk_file)";
  } else if (listener.tls.tls_version == "tlsv1.2") {
    error = "attestation_handshake needs TLS 1.3, but tls_version is tlsv1.2";
  } else {
    tls::ServerHandshakeAttestation attestation;
    attestation.codepoint = listener.attestation_extension_codepoint;
    attestation.binder_label = std::string(attest::session::kHandshakeBinderLabel);
    attestation.answer = [attested, require_client_auth = listener.attestation_require_client_auth](
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

}  // namespace attestmq::attested
