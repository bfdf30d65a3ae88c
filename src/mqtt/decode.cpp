// decode(): the fixed header rules common to all packets, then the packet's own decoder.
#include "mqtt/codec.hpp"
#include "mqtt/packet_decoders.hpp"

namespace attestmq::mqtt {
namespace {

// MQTT 5.0 section 2.1.3 / 3.1.1 section 2.2.2: the flags of the first byte.
DecodeStatus check_flags(const FixedHeader& header, Version version) {
  switch (header.type) {
    case PacketType::Publish: {
      const std::uint8_t qos = (header.flags >> 1) & 0x03;
      // Section 3.3.1.2: "A PUBLISH Packet MUST NOT have both QoS bits set to 1".
      if (qos == 3) return malformed("PUBLISH with QoS 3");
      // Section 3.3.1.1 [MQTT-3.3.1-2]: the DUP flag MUST be 0 for all QoS 0 messages.
      if (qos == 0 && (header.flags & 0x08) != 0) {
        return protocol_error("PUBLISH with QoS 0 and the DUP flag set");
      }
      return {};
    }
    case PacketType::Pubrel:
    case PacketType::Subscribe:
    case PacketType::Unsubscribe:
      if (header.flags != 0x2) return malformed("reserved fixed header flags must be 0010");
      return {};
    case PacketType::Auth:
      // 3.1.1 section 2.2.1: type 15 is reserved there.
      if (version == Version::v311) return malformed("AUTH does not exist in MQTT 3.1.1");
      [[fallthrough]];
    default:
      if (header.flags != 0) return malformed("reserved fixed header flags must be 0000");
      return {};
  }
}

template <PacketType Type>
DecodeStatus decode_ack_packet(WireReader& reader, Version version, Packet& out) {
  auto& ack = out.emplace<Ack<Type>>();
  return decode_publish_ack(reader, Type, version, ack.packet_id, ack.reason, ack.properties);
}

DecodeStatus decode_body(const FixedHeader& header, WireReader& reader, Version version,
                         Packet& out) {
  switch (header.type) {
    case PacketType::Connect: return decode_connect(reader, out.emplace<Connect>());
    case PacketType::Connack: return decode_connack(reader, version, out.emplace<Connack>());
    case PacketType::Publish:
      return decode_publish(reader, header.flags, version, out.emplace<Publish>());
    case PacketType::Puback: return decode_ack_packet<PacketType::Puback>(reader, version, out);
    case PacketType::Pubrec: return decode_ack_packet<PacketType::Pubrec>(reader, version, out);
    case PacketType::Pubrel: return decode_ack_packet<PacketType::Pubrel>(reader, version, out);
    case PacketType::Pubcomp:
      return decode_ack_packet<PacketType::Pubcomp>(reader, version, out);
    case PacketType::Subscribe:
      return decode_subscribe(reader, version, out.emplace<Subscribe>());
    case PacketType::Suback: return decode_suback(reader, version, out.emplace<Suback>());
    case PacketType::Unsubscribe:
      return decode_unsubscribe(reader, version, out.emplace<Unsubscribe>());
    case PacketType::Unsuback: return decode_unsuback(reader, version, out.emplace<Unsuback>());
    case PacketType::Pingreq: out.emplace<Pingreq>(); return {};
    case PacketType::Pingresp: out.emplace<Pingresp>(); return {};
    case PacketType::Disconnect:
      return decode_disconnect(reader, version, out.emplace<Disconnect>());
    case PacketType::Auth: return decode_auth(reader, out.emplace<Auth>());
  }
  return malformed("reserved packet type 0");
}

}  // namespace

DecodeStatus read_packet_id(WireReader& reader, std::uint16_t& packet_id) {
  if (auto status = reader.read_two_byte_integer(packet_id); !status.ok()) return status;
  if (packet_id == 0) return protocol_error("Packet Identifier is 0");
  return {};
}

DecodeStatus decode(const FixedHeader& header, std::span<const std::uint8_t> body,
                    Version version, Packet& out) {
  if (body.size() != header.remaining_length) {
    return malformed("body size differs from the Remaining Length");
  }
  if (auto status = check_flags(header, version); !status.ok()) return status;
  WireReader reader(body);
  if (auto status = decode_body(header, reader, version, out); !status.ok()) return status;
  // Every packet's layout accounts for all its bytes: anything left is not MQTT.
  if (!reader.at_end()) return malformed("bytes left over after the end of the packet");
  return {};
}

}  // namespace attestmq::mqtt
