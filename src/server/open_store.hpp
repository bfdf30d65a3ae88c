#pragma once
// The persistence database of a broker's configuration, for both native hosts: `attestmq
// broker` and attestmq-enclave (whose module seals what it puts there).
#include <memory>
#include <string>
#include <variant>

#include "config/broker_config.hpp"
#include "store/sqlite_store.hpp"

namespace attestmq::server {

// Opened and checked, or null with persistence off; the reason when it cannot be used.
std::variant<std::unique_ptr<store::SqliteStore>, std::string> open_store(const config::BrokerConfig& config);

}  // namespace attestmq::server
