#pragma once
// Application messages as the client's user sees them: owned strings and bytes, independent of
// the receive buffer the codec's views point into.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/properties.hpp"

namespace attestmq::client {

// An owned MQTT 5.0 User Property (section 3.3.2.3.7); mqtt::UserProperty is its view.
struct UserProperty {
  std::string name;
  std::string value;
  bool operator==(const UserProperty&) const = default;
};

// The properties a PUBLISH (and a will, section 3.1.3.2) can carry, owned.
struct PublishProperties {
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::uint32_t> message_expiry_interval;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::vector<std::uint8_t>> correlation_data;
  std::vector<UserProperty> user_properties;
  std::vector<std::uint32_t> subscription_identifiers;  // only server to client
};

// Copies the publication properties out of a decoded packet's views.
PublishProperties own_publish_properties(const mqtt::Properties& wire);

// Views of `owned` for encoding; the result is valid while `owned` is.
mqtt::Properties view_publish_properties(const PublishProperties& owned);

// Views of owned user properties for encoding.
std::vector<mqtt::UserProperty> view_user_properties(const std::vector<UserProperty>& owned);

struct OutgoingMessage {
  std::string topic;
  std::vector<std::uint8_t> payload;
  std::uint8_t qos = 0;
  bool retain = false;
  PublishProperties properties;
  // MQTT 5.0 section 3.3.2.3.4: when set, the client maps `topic` to this alias the first time
  // and sends an empty topic name afterwards.
  std::optional<std::uint16_t> topic_alias;
};

struct ReceivedMessage {
  std::string topic;  // with any topic alias already resolved
  std::vector<std::uint8_t> payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  PublishProperties properties;
};

}  // namespace attestmq::client
