#include "broker/authentication.hpp"

namespace attestmq::broker {

mqtt::ReasonCode authenticate(const ListenerPolicy& policy, const mqtt::Connect& connect) {
  // Mosquitto's allow_anonymous: a client that gives no user name is anonymous. There is no
  // password file yet, so any client that names itself is let in.
  if (!connect.username && !policy.allow_anonymous) return mqtt::ReasonCode::NotAuthorized;
  return mqtt::ReasonCode::Success;
}

}  // namespace attestmq::broker
