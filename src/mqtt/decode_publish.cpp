// PUBLISH: MQTT 5.0 section 3.3, MQTT 3.1.1 section 3.3.
#include "mqtt/packet_decoders.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/utf8.hpp"

namespace attestmq::mqtt {

// Section 3.3.2.3.2: a receiver MAY check that a payload declared UTF-8 is; we do.
DecodeStatus check_payload_format(const Properties& properties, Bytes payload) {
  if (properties.payload_format_indicator == 1 &&
      !valid_utf8({reinterpret_cast<const char*>(payload.data()), payload.size()})) {
    return {ReasonCode::PayloadFormatInvalid, "payload declared UTF-8 is not valid UTF-8"};
  }
  return {};
}

DecodeStatus decode_publish(WireReader& reader, std::uint8_t flags, Version version,
                            Publish& out) {
  // Section 3.3.1: DUP, QoS and RETAIN live in the fixed header (already checked).
  out.dup = (flags & 0x08) != 0;
  out.qos = (flags >> 1) & 0x03;
  out.retain = (flags & 0x01) != 0;
  if (auto status = reader.read_utf8_string(out.topic); !status.ok()) return status;
  if (out.qos > 0) {
    if (auto status = read_packet_id(reader, out.packet_id); !status.ok()) return status;
  }
  if (version == Version::v5) {
    const auto scope = scope_of(PacketType::Publish);
    if (auto status = read_properties(reader, scope, out.properties); !status.ok()) {
      return status;
    }
  }
  out.payload = reader.read_rest();

  if (out.topic.empty()) {
    // Section 3.3.2.3.4: an empty Topic Name is only allowed together with a Topic Alias.
    if (version == Version::v5 && !out.properties.topic_alias) {
      return protocol_error("empty Topic Name without a Topic Alias");
    }
    if (version == Version::v311) {
      return {ReasonCode::TopicNameInvalid, "empty Topic Name"};  // 3.1.1 section 4.7.3
    }
  } else if (out.topic.find_first_of("+#") != std::string_view::npos) {
    // Section 3.3.2.1 [MQTT-3.3.2-2]: no wildcard characters in a Topic Name. (The rest of
    // valid_topic_name, UTF-8, was checked when the string was read.)
    return {ReasonCode::TopicNameInvalid, "Topic Name contains a wildcard"};
  }
  return check_payload_format(out.properties, out.payload);
}

}  // namespace attestmq::mqtt
