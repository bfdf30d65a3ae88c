#pragma once
// mosquitto.conf(5): use_identity_as_username takes the CN of the client certificate (or the
// PSK identity), use_subject_as_username its subject; either replaces the CONNECT's username.
// One rule for every host of the engine: the native reactor and the Wasm guest.
#include <optional>
#include <string>

#include "config/broker_config.hpp"
#include "tls/session.hpp"

namespace attestmq::config {

struct TransportUsername {
  // The username the transport proved, or nullopt when the listener takes it from CONNECT.
  std::optional<std::string> username;
  // Non-empty when the listener needs one and the client could not supply it: why it is
  // refused, for the log line ("use_identity_as_username is set and it sent no certificate").
  std::string refusal;
};

TransportUsername transport_username(const ListenerTls& options, const tls::PeerIdentity& peer);

}  // namespace attestmq::config
