#pragma once
// The files a listener's security options name (password_file, acl_file), read once at
// startup into the engine's per-listener policies.
#include <optional>

#include "config/broker_config.hpp"
#include "config/config_parser.hpp"

namespace attestmq::config {

// Fills config.settings.listeners[i] from config.listeners[i]'s files; listeners that name
// the same file share one loaded copy. The first file that cannot be read or parsed is the
// error.
std::optional<ConfigError> load_security_files(BrokerConfig& config);

}  // namespace attestmq::config
