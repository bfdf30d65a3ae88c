// CONNECT: MQTT 5.0 section 3.1, MQTT 3.1.1 section 3.1.
#include "mqtt/packet_decoders.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::mqtt {
namespace {

// Section 3.1.2.3: the Connect Flags byte.
struct ConnectFlags {
  bool username = false;
  bool password = false;
  bool will_retain = false;
  std::uint8_t will_qos = 0;
  bool will = false;
  bool clean_start = false;
  bool reserved = false;
};

ConnectFlags split_flags(std::uint8_t byte) {
  return {.username = (byte & 0x80) != 0,
          .password = (byte & 0x40) != 0,
          .will_retain = (byte & 0x20) != 0,
          .will_qos = static_cast<std::uint8_t>((byte >> 3) & 0x03),
          .will = (byte & 0x04) != 0,
          .clean_start = (byte & 0x02) != 0,
          .reserved = (byte & 0x01) != 0};
}

DecodeStatus check_flags(const ConnectFlags& flags, Version version) {
  // Section 3.1.2.3 [MQTT-3.1.2-3]: the reserved flag MUST be 0.
  if (flags.reserved) return malformed("CONNECT reserved flag is set");
  // Section 3.1.2.6: "A value of 3 (0x03) is a Malformed Packet".
  if (flags.will_qos == 3) return malformed("Will QoS 3");
  // Sections 3.1.2.6 and 3.1.2.7 [MQTT-3.1.2-11, -13]: without a Will, Will QoS and Will
  // Retain must be 0.
  if (!flags.will && (flags.will_qos != 0 || flags.will_retain)) {
    return malformed("Will QoS or Will Retain set without the Will Flag");
  }
  // 3.1.1 section 3.1.2.9 [MQTT-3.1.2-22]: no password without a user name (5.0 allows it).
  if (version == Version::v311 && flags.password && !flags.username) {
    return malformed("Password Flag set without the User Name Flag");
  }
  return {};
}

// Section 3.1.2.1 and 3.1.2.2: "MQTT" at level 4 (3.1.1) or 5 (5.0); MQTT 3.1's "MQIsdp" at
// level 3 (MQTT V3.1 Protocol Specification, "Variable header"), as Mosquitto and FlashMQ
// accept it. Anything else is a protocol this server does not speak.
DecodeStatus read_protocol(WireReader& reader, Version& version, bool& mqtt31) {
  std::string_view name;
  if (auto status = reader.read_utf8_string(name); !status.ok()) return status;
  std::uint8_t level = 0;
  if (auto status = reader.read_byte(level); !status.ok()) return status;
  mqtt31 = name == "MQIsdp" && level == 3;
  if (mqtt31) {
    version = Version::v311;
    return {};
  }
  if (name != "MQTT" || (level != 4 && level != 5)) {
    return {ReasonCode::UnsupportedProtocolVersion, "protocol is not MQTT 3.1, 3.1.1 or 5.0"};
  }
  version = static_cast<Version>(level);
  return {};
}

// Section 3.1.3.2-3.1.3.4: Will Properties (5.0), Will Topic, Will Payload.
DecodeStatus read_will(WireReader& reader, Version version, Will& will) {
  if (version == Version::v5) {
    if (auto status = read_properties(reader, kWillPropertiesScope, will.properties);
        !status.ok()) {
      return status;
    }
  }
  if (auto status = reader.read_utf8_string(will.topic); !status.ok()) return status;
  if (!valid_topic_name(will.topic)) {
    return {ReasonCode::TopicNameInvalid, "Will Topic is not a valid topic name"};
  }
  if (auto status = reader.read_binary_data(will.payload); !status.ok()) return status;
  // Section 3.1.3.2.3: the Will Payload obeys its Payload Format Indicator like a PUBLISH.
  return check_payload_format(will.properties, will.payload);
}

}  // namespace

DecodeStatus decode_connect(WireReader& reader, Connect& out) {
  if (auto status = read_protocol(reader, out.version, out.mqtt31); !status.ok()) return status;
  std::uint8_t flag_byte = 0;
  if (auto status = reader.read_byte(flag_byte); !status.ok()) return status;
  const auto flags = split_flags(flag_byte);
  if (auto status = check_flags(flags, out.version); !status.ok()) return status;
  out.clean_start = flags.clean_start;
  if (auto status = reader.read_two_byte_integer(out.keep_alive); !status.ok()) return status;
  if (out.version == Version::v5) {
    const auto scope = scope_of(PacketType::Connect);
    if (auto status = read_properties(reader, scope, out.properties); !status.ok()) {
      return status;
    }
  }
  // Section 3.1.3: Client Identifier, Will, User Name, Password, in that order. Whether an
  // empty Client Identifier is acceptable (3.1.3.1) is the server's decision, not the codec's.
  if (auto status = reader.read_utf8_string(out.client_id); !status.ok()) return status;
  if (flags.will) {
    auto& will = out.will.emplace();
    will.qos = flags.will_qos;
    will.retain = flags.will_retain;
    if (auto status = read_will(reader, out.version, will); !status.ok()) return status;
  }
  if (flags.username) {
    if (auto status = reader.read_utf8_string(out.username.emplace()); !status.ok()) {
      return status;
    }
  }
  if (flags.password) {
    if (auto status = reader.read_binary_data(out.password.emplace()); !status.ok()) {
      return status;
    }
  }
  return {};
}

}  // namespace attestmq::mqtt
