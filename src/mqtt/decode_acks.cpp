// The packets made of a reason code and properties: CONNACK (section 3.2), PUBACK, PUBREC,
// PUBREL, PUBCOMP (3.4-3.7), DISCONNECT (3.14) and AUTH (3.15). In 5.0 the later parts of
// most of them may be left out, which stands for Success and no properties.
#include "mqtt/packet_decoders.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/reason_code_rules.hpp"

namespace attestmq::mqtt {
namespace {

// A reason code outside the packet's table is a Malformed Packet (e.g. 5.0 section 3.4.2.1).
DecodeStatus read_reason(WireReader& reader, PacketType type, ReasonCode& reason) {
  std::uint8_t byte = 0;
  if (auto status = reader.read_byte(byte); !status.ok()) return status;
  reason = static_cast<ReasonCode>(byte);
  if (!reason_code_allowed(type, reason)) {
    return malformed("reason code not allowed in this packet type");
  }
  return {};
}

// The shared tail: an optional reason code, then optional properties (only when the reason
// code is present).
DecodeStatus read_optional_reason_and_properties(WireReader& reader, PacketType type,
                                                 ReasonCode& reason, Properties& properties) {
  if (reader.at_end()) return {};
  if (auto status = read_reason(reader, type, reason); !status.ok()) return status;
  if (reader.at_end()) return {};
  return read_properties(reader, scope_of(type), properties);
}

}  // namespace

DecodeStatus decode_connack(WireReader& reader, Version version, Connack& out) {
  std::uint8_t acknowledge_flags = 0;
  if (auto status = reader.read_byte(acknowledge_flags); !status.ok()) return status;
  // Section 3.2.2.1: bits 7-1 are reserved and MUST be 0.
  if ((acknowledge_flags & 0xFE) != 0) return malformed("CONNACK reserved flags are set");
  out.session_present = (acknowledge_flags & 0x01) != 0;
  if (version == Version::v311) {
    std::uint8_t return_code = 0;
    if (auto status = reader.read_byte(return_code); !status.ok()) return status;
    const auto reason = from_v311_connack(return_code);
    if (!reason) return malformed("reserved CONNACK return code");  // 3.1.1 section 3.2.2.3
    out.reason = *reason;
  } else {
    if (auto status = read_reason(reader, PacketType::Connack, out.reason); !status.ok()) {
      return status;
    }
    const auto scope = scope_of(PacketType::Connack);
    if (auto status = read_properties(reader, scope, out.properties); !status.ok()) {
      return status;
    }
  }
  // 5.0 section 3.2.2.1.1 [MQTT-3.2.2-6] / 3.1.1 [MQTT-3.2.2-4]: a refusal has no session.
  if (out.session_present && out.reason != ReasonCode::Success) {
    return protocol_error("Session Present set in a CONNACK that refuses the connection");
  }
  return {};
}

DecodeStatus decode_publish_ack(WireReader& reader, PacketType type, Version version,
                                std::uint16_t& packet_id, ReasonCode& reason,
                                Properties& properties) {
  if (auto status = read_packet_id(reader, packet_id); !status.ok()) return status;
  // 3.1.1 sections 3.4-3.7: the Packet Identifier is all there is.
  if (version == Version::v311) return {};
  // 5.0 section 3.4.2.1: Remaining Length 2 means Success; below 4, no properties.
  return read_optional_reason_and_properties(reader, type, reason, properties);
}

DecodeStatus decode_disconnect(WireReader& reader, Version version, Disconnect& out) {
  // 3.1.1 section 3.14: no variable header (decode() rejects any bytes left over).
  if (version == Version::v311) return {};
  // 5.0 section 3.14.2.1: Remaining Length 0 means Normal disconnection; below 2, no
  // properties.
  return read_optional_reason_and_properties(reader, PacketType::Disconnect, out.reason,
                                             out.properties);
}

DecodeStatus decode_auth(WireReader& reader, Auth& out) {
  // Section 3.15.2.1: Remaining Length 0 means Success and no properties; otherwise both the
  // reason code and the properties are present.
  if (reader.at_end()) return {};
  if (auto status = read_reason(reader, PacketType::Auth, out.reason); !status.ok()) {
    return status;
  }
  const auto scope = scope_of(PacketType::Auth);
  if (auto status = read_properties(reader, scope, out.properties); !status.ok()) return status;
  // Section 3.15.2.2.2: "It is a Protocol Error to omit the Authentication Method".
  if (!out.properties.authentication_method) {
    return protocol_error("AUTH without an Authentication Method");
  }
  return {};
}

}  // namespace attestmq::mqtt
