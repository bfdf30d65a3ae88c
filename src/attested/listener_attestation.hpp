#pragma once
// What each listener's attestation options (docs/attestation.md section 13) make of the
// engine, of the attested sessions and of the TLS context: the same for the native server and
// the Wasm guest, so that both hosts offer exactly the same protocol.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "attested/attested_sessions.hpp"
#include "broker/settings.hpp"
#include "config/broker_config.hpp"
#include "tls/context.hpp"

namespace attestmq::attested {

// Whether `listener` serves cached evidence (section 6.2) once a provider is set: only TLS
// listeners that offer attestation do.
bool offers_cached_evidence(const config::ListenerConfig& listener);

// What each listener asks of attested sessions, indexed like config.listeners; a client
// policy that does not load is an error naming the listener and the file.
std::variant<std::vector<AttestationListener>, std::string> attestation_listeners(
    const config::BrokerConfig& config);

// The listeners' policies as the engine runs them: those of the configuration, plus the
// attested-session method on every TLS listener that offers it while a provider is set.
std::vector<broker::ListenerPolicy> engine_policies(std::vector<broker::ListenerPolicy> policies,
                                                    const config::BrokerConfig& config,
                                                    bool attesting);
broker::Settings engine_settings(const config::BrokerConfig& config, bool attesting);

// The startup log lines that give the configuration digest the evidence carries and say which
// listeners serve cached evidence and which also attest in the TLS handshake (transport A is
// off by default, so where it is on is worth a line).
std::vector<std::string> attestation_notices(const config::BrokerConfig& config,
                                             const attest::Software& software);

// Transport A (section 8) for `listener`, answered by `attested`; nullopt if the listener did
// not ask for it, or with `error` set if it cannot have it (no provider, no TLS 1.3).
std::optional<tls::ServerHandshakeAttestation> handshake_attestation(
    const config::ListenerConfig& listener, AttestedSessions* attested, std::string& error);

}  // namespace attestmq::attested
