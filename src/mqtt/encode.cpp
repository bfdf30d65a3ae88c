// encode() and encoded_size(). Each packet's layout is one write_body() function, run with a
// WireWriter that either counts (for the Remaining Length and encoded_size) or appends.
#include <algorithm>
#include <type_traits>
#include <variant>

#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/reason_code_rules.hpp"
#include "mqtt/wire_writer.hpp"

namespace attestmq::mqtt {
namespace {

bool has_properties(const Properties& properties) { return property_bytes(properties) != 0; }

void write_v5_properties(const Properties& properties, Version version, WireWriter& w) {
  if (version == Version::v5) write_properties(properties, w);
}

// Section 3.1: variable header (3.1.2) and payload (3.1.3).
void write_body(const Connect& p, Version version, WireWriter& w) {
  w.utf8_string(p.mqtt31 ? "MQIsdp" : "MQTT");
  w.byte(p.mqtt31 ? std::uint8_t{3} : static_cast<std::uint8_t>(version));
  std::uint8_t flags = p.clean_start ? 0x02 : 0x00;
  if (p.will) {
    flags |= 0x04 | static_cast<std::uint8_t>((p.will->qos & 0x03) << 3);
    if (p.will->retain) flags |= 0x20;
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  w.byte(flags);
  w.two_byte_integer(p.keep_alive);
  write_v5_properties(p.properties, version, w);
  w.utf8_string(p.client_id);
  if (p.will) {
    write_v5_properties(p.will->properties, version, w);
    w.utf8_string(p.will->topic);
    w.binary_data(p.will->payload);
  }
  if (p.username) w.utf8_string(*p.username);
  if (p.password) w.binary_data(*p.password);
}

// Section 3.2.2; 3.1.1 section 3.2.2.3 for the return code.
void write_body(const Connack& p, Version version, WireWriter& w) {
  w.byte(p.session_present ? 0x01 : 0x00);
  if (version == Version::v311) {
    w.byte(static_cast<std::uint8_t>(to_v311_connack(p.reason)));
    return;
  }
  w.byte(static_cast<std::uint8_t>(p.reason));
  write_properties(p.properties, w);
}

// Section 3.3.2: Topic Name, Packet Identifier (QoS 1 and 2 only), properties; then payload.
void write_body(const Publish& p, Version version, WireWriter& w) {
  w.utf8_string(p.topic);
  if (p.qos > 0) w.two_byte_integer(p.packet_id);
  write_v5_properties(p.properties, version, w);
  w.raw(p.payload);
}

// Sections 3.4.2-3.7.2 (5.0): the reason code and properties are left out when they carry
// nothing (Success, no properties), and the properties alone when empty.
template <PacketType Type>
void write_body(const Ack<Type>& p, Version version, WireWriter& w) {
  w.two_byte_integer(p.packet_id);
  if (version == Version::v311) return;
  const bool properties = has_properties(p.properties);
  if (p.reason == ReasonCode::Success && !properties) return;
  w.byte(static_cast<std::uint8_t>(p.reason));
  if (properties) write_properties(p.properties, w);
}

// Section 3.8.2-3.8.3.
void write_body(const Subscribe& p, Version version, WireWriter& w) {
  w.two_byte_integer(p.packet_id);
  write_v5_properties(p.properties, version, w);
  for (const auto& s : p.subscriptions) {
    w.utf8_string(s.filter);
    auto options = static_cast<std::uint8_t>(s.qos & 0x03);
    if (version == Version::v5) {
      if (s.no_local) options |= 0x04;
      if (s.retain_as_published) options |= 0x08;
      options |= static_cast<std::uint8_t>((s.retain_handling & 0x03) << 4);
    }
    w.byte(options);
  }
}

// Section 3.9; 3.1.1 section 3.9.3 allows only 0, 1, 2 and 0x80.
void write_body(const Suback& p, Version version, WireWriter& w) {
  w.two_byte_integer(p.packet_id);
  write_v5_properties(p.properties, version, w);
  for (const auto reason : p.reasons) {
    w.byte(version == Version::v5 ? static_cast<std::uint8_t>(reason) : to_v311_suback(reason));
  }
}

// Section 3.10.
void write_body(const Unsubscribe& p, Version version, WireWriter& w) {
  w.two_byte_integer(p.packet_id);
  write_v5_properties(p.properties, version, w);
  for (const auto filter : p.filters) w.utf8_string(filter);
}

// Section 3.11; in 3.1.1 (section 3.11.3) UNSUBACK has no payload.
void write_body(const Unsuback& p, Version version, WireWriter& w) {
  w.two_byte_integer(p.packet_id);
  if (version == Version::v311) return;
  write_properties(p.properties, w);
  for (const auto reason : p.reasons) w.byte(static_cast<std::uint8_t>(reason));
}

void write_body(const Pingreq&, Version, WireWriter&) {}
void write_body(const Pingresp&, Version, WireWriter&) {}

// Section 3.14.2.1: Remaining Length 0 for a normal disconnection without properties, and
// no Property Length when there are none. 3.1.1 DISCONNECT has no variable header.
void write_body(const Disconnect& p, Version version, WireWriter& w) {
  if (version == Version::v311) return;
  const bool properties = has_properties(p.properties);
  if (p.reason == ReasonCode::Success && !properties) return;
  w.byte(static_cast<std::uint8_t>(p.reason));
  if (properties) write_properties(p.properties, w);
}

// Section 3.15.2.1: Remaining Length 0 for Success without properties, else both. AUTH does
// not exist in 3.1.1; encoding it for a 3.1.1 peer yields the 5.0 form.
void write_body(const Auth& p, Version, WireWriter& w) {
  if (p.reason == ReasonCode::Success && !has_properties(p.properties)) return;
  w.byte(static_cast<std::uint8_t>(p.reason));
  write_properties(p.properties, w);
}

// The packet type of each struct: Packet lists them in type order, Connect (1) first.
template <typename P, std::size_t Index = 0>
constexpr PacketType packet_type_of() {
  if constexpr (std::is_same_v<P, std::variant_alternative_t<Index, Packet>>) {
    return static_cast<PacketType>(Index + 1);
  } else {
    return packet_type_of<P, Index + 1>();
  }
}
static_assert(packet_type_of<Pubrel>() == PacketType::Pubrel);
static_assert(packet_type_of<Auth>() == PacketType::Auth);

// Section 2.1.3: the flags nibble.
template <typename P>
std::uint8_t flags_of(const P&) {
  constexpr auto type = packet_type_of<P>();
  // PUBREL, SUBSCRIBE and UNSUBSCRIBE carry the fixed value 0010, all others 0000.
  if constexpr (type == PacketType::Pubrel || type == PacketType::Subscribe ||
                type == PacketType::Unsubscribe) {
    return 0x02;
  } else {
    return 0x00;
  }
}
std::uint8_t flags_of(const Publish& p) {
  return static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | (p.qos & 0x03) << 1 |
                                   (p.retain ? 0x01 : 0));
}

template <typename P>
std::size_t body_size(const P& packet, Version version) {
  WireWriter counter;
  write_body(packet, version, counter);
  return counter.size();
}

template <typename P>
void encode_packet(const P& packet, Version version, std::vector<std::uint8_t>& out) {
  const auto body = static_cast<std::uint32_t>(body_size(packet, version));
  // Grow geometrically: callers append many packets to one output buffer.
  const auto needed = out.size() + 1 + variable_byte_integer_size(body) + body;
  if (out.capacity() < needed) out.reserve(std::max(needed, 2 * out.capacity()));
  WireWriter writer(out);
  writer.byte(static_cast<std::uint8_t>(static_cast<unsigned>(packet_type_of<P>()) << 4 |
                                        flags_of(packet)));
  writer.variable_byte_integer(body);
  write_body(packet, version, writer);
}

}  // namespace

void encode(const Packet& packet, Version version, std::vector<std::uint8_t>& out) {
  std::visit([&](const auto& p) { encode_packet(p, version, out); }, packet);
}

void encode(const Connect& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Connack& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Publish& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Puback& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Pubrec& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Pubrel& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Pubcomp& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Subscribe& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Suback& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Unsubscribe& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Unsuback& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Pingreq& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Pingresp& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Disconnect& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}
void encode(const Auth& p, Version v, std::vector<std::uint8_t>& out) {
  encode_packet(p, v, out);
}

std::size_t encoded_size(const Packet& packet, Version version) {
  return std::visit(
      [&](const auto& p) {
        const auto body = body_size(p, version);
        return 1 + variable_byte_integer_size(static_cast<std::uint32_t>(body)) + body;
      },
      packet);
}

}  // namespace attestmq::mqtt
