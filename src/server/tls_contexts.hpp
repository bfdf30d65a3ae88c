#pragma once
// The TLS context of every TLS listener, as new connections should get it. Built at startup
// (a failure stops the startup) and rebuilt from the same configuration on SIGHUP, so a
// renewed certificate or key on disk takes effect without a restart. Sessions hold their
// context by shared_ptr: a reload changes what new connections get, never an open session.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/broker_config.hpp"
#include "attested/attested_sessions.hpp"
#include "server/optional_mutex.hpp"
#include "tls/context.hpp"

namespace attestmq::server {

class TlsContexts {
 public:
  // `attested`: the attested-session host listeners with attestation_handshake answer
  // transport A from; null without a provider, which makes that option an error.
  TlsContexts(bool threaded, attested::AttestedSessions* attested) : mutex_(threaded), attested_(attested) {}

  // Builds a context for each listener whose tls.enabled(); plain listeners get none. On
  // failure nothing changes and the error names the listener's origin and the option:
  // "listener /etc/attestmq.conf:12: certfile /x.pem: No such file or directory".
  // A listener with attestation_handshake also gets transport A's extension.
  bool load(const std::vector<config::ListenerConfig>& listeners, std::string& error);

  // The context for a new connection on `listener`; null for a plain listener. Any thread.
  std::shared_ptr<const tls::Context> current(std::uint32_t listener);

 private:
  OptionalMutex mutex_;
  attested::AttestedSessions* attested_;
  std::vector<std::shared_ptr<const tls::Context>> contexts_;  // by listener index; mutex_
};

}  // namespace attestmq::server
