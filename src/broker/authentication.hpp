#pragma once
// The single place where the broker decides whether a CONNECT may go on (MQTT 5.0 section
// 3.1.4, point 3), with Mosquitto 2.0's rules for allow_anonymous, password_file and
// use_identity_as_username. Attestation-based authentication plugs in here too.
#include <optional>
#include <string>
#include <string_view>

#include "broker/engine.hpp"
#include "broker/settings.hpp"
#include "mqtt/packet.hpp"

namespace attestmq::broker {

struct Authentication {
  // Success, or the CONNACK reason code that refuses the client.
  mqtt::ReasonCode verdict = mqtt::ReasonCode::Success;
  // Why the client was refused, for the log; empty on success.
  std::string_view refusal;
  // The username the client acts as (ACL %u, logs): the transport's when it gave one, else
  // CONNECT's; none for an anonymous client.
  std::optional<std::string> username;
  // The password_file must still verify CONNECT's password (Host::check_password); then
  // password_outcome() gives the verdict.
  bool needs_password_check = false;
};

Authentication authenticate(const ListenerPolicy& policy, const ConnectionInfo& transport,
                            const mqtt::Connect& connect);

// The verdict once the password_file has answered for `username`.
Authentication password_outcome(PasswordVerdict verdict, std::optional<std::string> username);

}  // namespace attestmq::broker
