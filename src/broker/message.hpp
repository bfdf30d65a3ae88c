#pragma once
// An application message as the broker holds it: owned bytes, shared (immutable) between
// every subscriber queue and the retained store that refers to it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/properties.hpp"

namespace attestmq::broker {

struct MessageUserProperty {
  std::string name;
  std::string value;
};

struct Message {
  std::string topic;
  std::vector<std::uint8_t> payload;
  std::uint8_t qos = 0;
  bool retain = false;
  // MQTT 5.0 section 3.3.2.3: properties the broker forwards unaltered.
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::vector<std::uint8_t>> correlation_data;
  std::vector<MessageUserProperty> user_properties;
  // Section 3.3.2.3.3: absolute deadline on the host's monotonic clock; the interval sent
  // on is what remains of it.
  std::optional<std::uint64_t> expires_at_ms;
  // The publishing session (for No Local, section 3.8.3.1); 0 for the broker's own ($SYS,
  // wills are attributed to their client).
  std::uint64_t origin = 0;
};

using MessagePtr = std::shared_ptr<const Message>;

// Copies the properties a broker forwards unaltered (MQTT 5.0 section 3.3.2.3; for wills
// section 3.1.3.2) from a decoded PUBLISH or will into an owned message.
void copy_forwarded_properties(const mqtt::Properties& from, Message& to);

}  // namespace attestmq::broker
