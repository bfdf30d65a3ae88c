#pragma once
// The configuration digest, claims key 7 (docs/evidence.md, "The configuration digest"): the
// SHA-256 of a canonical text of the effective security configuration, so that a client's
// policy can pin what rules the attested broker enforces, not only which code it runs.
#include <array>
#include <cstdint>
#include <string>

#include "config/broker_config.hpp"

namespace attestmq::attested {

// One "name value" line per option that decides who may connect and what they may do, per
// listener in order, with each security file as the SHA-256 of the bytes the broker parsed
// (config::ListenerConfig::file_digests). Ports and addresses are left out: where a broker
// listens does not change what it enforces.
std::string configuration_text(const config::BrokerConfig& config);

// SHA-256 of configuration_text(config).
std::array<std::uint8_t, 32> configuration_digest(const config::BrokerConfig& config);

}  // namespace attestmq::attested
