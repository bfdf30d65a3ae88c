// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK: MQTT 5.0 sections 3.8-3.11, 3.1.1 sections
// 3.8-3.11. Topic filter syntax is not judged here: a bad filter gets its own failure code in
// the SUBACK/UNSUBACK (5.0 section 3.9.3: 0x8F Topic Filter invalid), which is the server's
// answer to give; the codec only insists on well-formed UTF-8.
#include "mqtt/packet_decoders.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/reason_code_rules.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::mqtt {
namespace {

// An empty payload is a Protocol Error in 5.0 (sections 3.8.3, 3.10.3) and a malformed packet
// in 3.1.1 [MQTT-3.8.3-3], [MQTT-3.10.3-2].
DecodeStatus empty_payload(Version version, const char* detail) {
  return version == Version::v5 ? protocol_error(detail) : malformed(detail);
}

DecodeStatus read_id_and_properties(WireReader& reader, PacketType type, Version version,
                                    std::uint16_t& packet_id, Properties& properties) {
  if (auto status = read_packet_id(reader, packet_id); !status.ok()) return status;
  if (version == Version::v311) return {};
  return read_properties(reader, scope_of(type), properties);
}

// 5.0 section 3.8.3.1 / 3.1.1 section 3.8.3.1: the Subscription Options byte.
DecodeStatus read_options(WireReader& reader, Version version, Subscription& subscription) {
  std::uint8_t options = 0;
  if (auto status = reader.read_byte(options); !status.ok()) return status;
  const std::uint8_t reserved_mask = version == Version::v5 ? 0xC0 : 0xFC;
  // [MQTT-3.8.3-5] (5.0) / [MQTT-3-8.3-4] (3.1.1): reserved bits MUST be 0.
  if ((options & reserved_mask) != 0) return malformed("reserved subscription option bits set");
  subscription.qos = options & 0x03;
  // 5.0 section 3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3";
  // 3.1.1 [MQTT-3-8.3-4]: a malformed packet.
  if (subscription.qos == 3) {
    return version == Version::v5 ? protocol_error("subscription with QoS 3")
                                  : malformed("subscription with QoS 3");
  }
  subscription.no_local = (options & 0x04) != 0;
  subscription.retain_as_published = (options & 0x08) != 0;
  subscription.retain_handling = (options >> 4) & 0x03;
  // 5.0 section 3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3".
  if (subscription.retain_handling == 3) return protocol_error("Retain Handling 3");
  // [MQTT-3.8.3-4]: No Local on a Shared Subscription is a Protocol Error.
  if (subscription.no_local && parse_shared_filter(subscription.filter)) {
    return protocol_error("No Local set on a shared subscription");
  }
  return {};
}

}  // namespace

DecodeStatus decode_subscribe(WireReader& reader, Version version, Subscribe& out) {
  if (auto status = read_id_and_properties(reader, PacketType::Subscribe, version,
                                           out.packet_id, out.properties);
      !status.ok()) {
    return status;
  }
  if (reader.at_end()) return empty_payload(version, "SUBSCRIBE without a topic filter");
  while (!reader.at_end()) {
    auto& subscription = out.subscriptions.emplace_back();
    if (auto status = reader.read_utf8_string(subscription.filter); !status.ok()) {
      return status;
    }
    if (auto status = read_options(reader, version, subscription); !status.ok()) return status;
  }
  return {};
}

DecodeStatus decode_suback(WireReader& reader, Version version, Suback& out) {
  if (auto status = read_id_and_properties(reader, PacketType::Suback, version, out.packet_id,
                                           out.properties);
      !status.ok()) {
    return status;
  }
  if (reader.at_end()) return empty_payload(version, "SUBACK without a reason code");
  while (!reader.at_end()) {
    std::uint8_t byte = 0;
    if (auto status = reader.read_byte(byte); !status.ok()) return status;
    const auto reason = version == Version::v5 ? std::optional{static_cast<ReasonCode>(byte)}
                                               : from_v311_suback(byte);
    if (!reason || !reason_code_allowed(PacketType::Suback, *reason)) {
      return malformed("reason code not allowed in SUBACK");
    }
    out.reasons.push_back(*reason);
  }
  return {};
}

DecodeStatus decode_unsubscribe(WireReader& reader, Version version, Unsubscribe& out) {
  if (auto status = read_id_and_properties(reader, PacketType::Unsubscribe, version,
                                           out.packet_id, out.properties);
      !status.ok()) {
    return status;
  }
  if (reader.at_end()) return empty_payload(version, "UNSUBSCRIBE without a topic filter");
  while (!reader.at_end()) {
    if (auto status = reader.read_utf8_string(out.filters.emplace_back()); !status.ok()) {
      return status;
    }
  }
  return {};
}

DecodeStatus decode_unsuback(WireReader& reader, Version version, Unsuback& out) {
  if (auto status = read_id_and_properties(reader, PacketType::Unsuback, version,
                                           out.packet_id, out.properties);
      !status.ok()) {
    return status;
  }
  // 3.1.1 section 3.11.3: no payload.
  if (version == Version::v311) return {};
  if (reader.at_end()) return protocol_error("UNSUBACK without a reason code");
  while (!reader.at_end()) {
    std::uint8_t byte = 0;
    if (auto status = reader.read_byte(byte); !status.ok()) return status;
    const auto reason = static_cast<ReasonCode>(byte);
    if (!reason_code_allowed(PacketType::Unsuback, reason)) {
      return malformed("reason code not allowed in UNSUBACK");
    }
    out.reasons.push_back(reason);
  }
  return {};
}

}  // namespace attestmq::mqtt
