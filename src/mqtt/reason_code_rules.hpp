#pragma once
// Which reason codes each MQTT 5.0 packet may carry (sections 3.2.2.2, 3.4.2.1, 3.5.2.1,
// 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1, 3.15.2.1), and the 3.1.1 forms of CONNACK and
// SUBACK codes.
#include <optional>

#include "mqtt/packet.hpp"

namespace attestmq::mqtt {

// True when `code` appears in the reason code table of packet `type` (MQTT 5.0).
bool reason_code_allowed(PacketType type, ReasonCode code);

// MQTT 3.1.1 section 3.2.2.3: the 5.0 reason code standing for a 3.1.1 CONNACK return code
// byte; nullopt for the reserved values 6-255.
std::optional<ReasonCode> from_v311_connack(std::uint8_t return_code);

// MQTT 3.1.1 section 3.9.3: a SUBACK return code byte (0, 1, 2 or 0x80) as a reason code.
std::optional<ReasonCode> from_v311_suback(std::uint8_t return_code);

// The 3.1.1 SUBACK byte for a reason code: the granted QoS, or 0x80 for any failure.
std::uint8_t to_v311_suback(ReasonCode code);

}  // namespace attestmq::mqtt
