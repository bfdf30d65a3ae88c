#include "server/tls_contexts.hpp"

#include <mutex>

namespace attestmq::server {

bool TlsContexts::load(const std::vector<config::ListenerConfig>& listeners, std::string& error) {
  std::vector<std::shared_ptr<const tls::Context>> built(listeners.size());
  for (std::size_t index = 0; index < listeners.size(); ++index) {
    const config::ListenerConfig& listener = listeners[index];
    if (!listener.tls.enabled()) continue;
    std::string context_error;
    built[index] = tls::Context::server(listener.tls, context_error);
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
