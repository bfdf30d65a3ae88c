#pragma once
// Words for a refused connection, as mosquitto_pub/mosquitto_sub print them, so scripts that
// grep for those lines keep working.
#include <string>

#include "mqtt/packet.hpp"

namespace attestmq::client {

// 3.1.1: "Connection Refused: not authorised." (section 3.2.2.3 return codes);
// 5.0: the reason code's name (section 3.2.2.2), e.g. "Not authorized".
std::string connack_refusal_text(mqtt::Version version, mqtt::ReasonCode reason);

// The number the server put on the wire: a 3.1.1 return code or a 5.0 reason code. Like
// mosquitto_sub, the CLI exits with it when a connection is refused.
int connack_wire_code(mqtt::Version version, mqtt::ReasonCode reason);

}  // namespace attestmq::client
