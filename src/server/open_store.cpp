#include "server/open_store.hpp"

namespace attestmq::server {

std::variant<std::unique_ptr<store::SqliteStore>, std::string> open_store(const config::BrokerConfig& config) {
  if (!config.persistence.enabled) return std::unique_ptr<store::SqliteStore>();
  using Sync = config::PersistenceConfig::Sync;
  const auto sync = config.persistence.sync == Sync::full     ? store::SyncPolicy::full
                    : config.persistence.sync == Sync::normal ? store::SyncPolicy::normal
                                                              : store::SyncPolicy::off;
  return store::SqliteStore::open(config.persistence.path(), sync);
}

}  // namespace attestmq::server
