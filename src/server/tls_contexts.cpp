#include "server/tls_contexts.hpp"

#include <mutex>

#include "attested/listener_attestation.hpp"

namespace attestmq::server {

bool TlsContexts::load(const std::vector<config::ListenerConfig>& listeners, std::string& error) {
  std::vector<std::shared_ptr<const tls::Context>> built(listeners.size());
  for (std::size_t index = 0; index < listeners.size(); ++index) {
    const config::ListenerConfig& listener = listeners[index];
    std::string context_error;
    auto attestation = attested::handshake_attestation(listener, attested_, context_error);
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
