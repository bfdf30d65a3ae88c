#include "broker/authentication.hpp"

namespace attestmq::broker {

Authentication authenticate(const ListenerPolicy& policy, const ConnectionInfo& transport,
                            const mqtt::Connect& connect) {
  using mqtt::ReasonCode;
  // use_identity_as_username / use_subject_as_username: the certificate or pre-shared key
  // already proved who the client is; CONNECT's username and password are not consulted.
  if (transport.transport_username) return {ReasonCode::Success, {}, transport.transport_username};

  if (!connect.username) {
    // A client without a username is anonymous (a 5.0 password without a username
    // authenticates nobody). MQTT 5.0 section 3.2.2.2: 0x87 Not authorized.
    if (policy.allow_anonymous) return {};
    return {ReasonCode::NotAuthorized, "anonymous clients are not allowed (allow_anonymous false)", {}};
  }
  std::string username(*connect.username);
  if (!policy.passwords) {
    // Mosquitto 2.0: with nothing to check a username against, a client that names itself is
    // let in only where anonymous clients are.
    if (policy.allow_anonymous) return {ReasonCode::Success, {}, std::move(username)};
    return {ReasonCode::NotAuthorized,
            "no password_file to check the username against and allow_anonymous false", {}};
  }
  // MQTT 5.0 section 3.2.2.2 / 3.1.1 section 3.2.2.3: 0x86 / 4 Bad User Name or Password.
  if (!connect.password) {
    return {ReasonCode::BadUserNameOrPassword, "a username without a password", {}};
  }
  return {ReasonCode::Success, {}, std::move(username), true};
}

Authentication password_outcome(PasswordVerdict verdict, std::optional<std::string> username) {
  switch (verdict) {
    case PasswordVerdict::valid: return {mqtt::ReasonCode::Success, {}, std::move(username)};
    case PasswordVerdict::invalid:
      return {mqtt::ReasonCode::BadUserNameOrPassword, "unknown username or wrong password", {}};
    case PasswordVerdict::unavailable: break;
  }
  // MQTT 5.0 section 3.2.2.2: 0x89 Server busy (3.1.1: 3, server unavailable).
  return {mqtt::ReasonCode::ServerBusy, "too many password checks waiting; try again later", {}};
}

}  // namespace attestmq::broker
