#pragma once
// MQTT 5.0 section 2.2.2: a property list (Property Length, then identifier/value pairs).
#include <cstdint>

#include "mqtt/packet.hpp"
#include "mqtt/wire_reader.hpp"
#include "mqtt/wire_writer.hpp"

namespace attestmq::mqtt {

// Which list is being read: one bit per packet type (bit N for type N), and bit 0, which no
// packet type uses (type 0 is reserved), for the Will Properties of a CONNECT.
using PropertyScope = std::uint16_t;
inline constexpr PropertyScope kWillPropertiesScope = 1;
constexpr PropertyScope scope_of(PacketType type) {
  return static_cast<PropertyScope>(1u << static_cast<unsigned>(type));
}

// Reads Property Length and the properties it covers into `out`, enforcing section 2.2.2.2:
// an identifier unknown or not allowed in `scope` is a Malformed Packet, a repeated property
// other than User Property (or Subscription Identifier in PUBLISH) is a Protocol Error, and
// each property's own value rule is checked (e.g. Receive Maximum 0 is a Protocol Error).
DecodeStatus read_properties(WireReader& reader, PropertyScope scope, Properties& out);

// Writes Property Length and the properties, in identifier order.
void write_properties(const Properties& properties, WireWriter& writer);

// The bytes of the properties alone (without Property Length): zero means "no properties".
std::size_t property_bytes(const Properties& properties);

}  // namespace attestmq::mqtt
