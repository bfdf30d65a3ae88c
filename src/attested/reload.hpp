#pragma once
// SIGHUP (docs/configuration.md, "Reloading the security files"), the part both hosts share:
// the native server and the Wasm guest read every security file again the same way, and
// refuse the same changes.
#include <optional>
#include <string>
#include <variant>

#include "attested/attested_sessions.hpp"
#include "config/broker_config.hpp"

namespace attestmq::attested {

// `running` with every security file read and parsed again. Refused, with the log line that
// says why, when a file cannot be read or parsed, or when `attested` (null: no TEE) names a
// configuration digest the new files would change: evidence must never name rules the broker
// no longer enforces, so new rules wait for a restart.
std::variant<config::BrokerConfig, std::string> reread_security_files(
    const config::BrokerConfig& running, const AttestedSessions* attested);

// The log lines of a reload, the same from both hosts: TLS contexts rebuilt for this many
// listeners (nullopt: none is a TLS listener), or why they were kept; the password and ACL
// files taken into the engine (nullopt: no listener names one).
std::optional<std::string> tls_reloaded_line(const config::BrokerConfig& config);
std::string tls_reload_failed_line(const std::string& error);
std::optional<std::string> security_files_reloaded_line(const config::BrokerConfig& config);

}  // namespace attestmq::attested
