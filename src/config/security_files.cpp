// Each security file is read once per path: a block per kind of file inside one loop over
// the listeners, each with its own cache of what it loaded.
#include "config/security_files.hpp"

#include <map>
#include <memory>
#include <string>
#include <variant>

#include "config/acl_file.hpp"
#include "config/password_file.hpp"

namespace attestmq::config {

namespace {

// Loads `path` into `cache` unless an earlier listener already did, so that listeners naming
// the same file share one loaded copy.
template <class Loaded>
std::optional<ConfigError> load_once(
    std::map<std::string, std::shared_ptr<const Loaded>>& cache, const std::string& path,
    std::variant<std::shared_ptr<const Loaded>, ConfigError> (*load)(const std::string&)) {
  auto& loaded = cache[path];
  if (loaded) return std::nullopt;
  auto result = load(path);
  if (auto* error = std::get_if<ConfigError>(&result)) return std::move(*error);
  loaded = std::get<std::shared_ptr<const Loaded>>(std::move(result));
  return std::nullopt;
}

}  // namespace

std::optional<ConfigError> load_security_files(BrokerConfig& config) {
  std::map<std::string, std::shared_ptr<const PasswordFile>> password_files;
  std::map<std::string, std::shared_ptr<const broker::AccessControl>> acl_files;
  for (std::size_t i = 0; i < config.listeners.size() && i < config.settings.listeners.size(); ++i) {
    const ListenerConfig& listener = config.listeners[i];
    broker::ListenerPolicy& policy = config.settings.listeners[i];

    if (!listener.password_file.empty()) {
      if (auto error = load_once(password_files, listener.password_file, load_password_file))
        return error;
      policy.passwords = password_files[listener.password_file];
    }
    if (!listener.acl_file.empty()) {
      if (auto error = load_once(acl_files, listener.acl_file, load_acl_file)) return error;
      policy.acl = acl_files[listener.acl_file];
    }
  }
  return std::nullopt;
}

}  // namespace attestmq::config
