#pragma once
// One-line descriptions of packets for debug output (`-d`), in mosquitto_pub's style:
// "PUBLISH (d0, q1, r0, m1, 'a/b', ... (5 bytes))".
#include <string>

#include "mqtt/packet.hpp"

namespace attestmq::client {

std::string describe_packet(const mqtt::Packet& packet);

// "PUBLISH", "SUBACK", ... as the spec names the packet types.
const char* packet_type_name(mqtt::PacketType type);

}  // namespace attestmq::client
