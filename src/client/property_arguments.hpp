#pragma once
// mosquitto_pub/mosquitto_sub's `-D COMMAND IDENTIFIER VALUE` (alias --property): MQTT 5.0
// properties for the packets the tools send. `user-property` takes two values (name, value).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/message.hpp"

namespace attestmq::client {

// The properties given for one packet type. Which identifiers each packet may carry follows
// MQTT 5.0 section 2.2.2.2 (the property table).
struct PropertySet {
  std::optional<std::uint8_t> payload_format_indicator;
  std::optional<std::uint32_t> message_expiry_interval;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::optional<std::uint32_t> session_expiry_interval;
  std::optional<std::uint32_t> will_delay_interval;
  std::optional<std::uint8_t> request_problem_information;
  std::optional<std::uint8_t> request_response_information;
  std::optional<std::uint16_t> receive_maximum;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint16_t> topic_alias;
  std::optional<std::uint32_t> maximum_packet_size;
  std::vector<UserProperty> user_properties;

  // The subset a PUBLISH or a will carries.
  PublishProperties publish_properties() const;
};

struct PropertyArguments {
  PropertySet connect;
  PropertySet publish;
  PropertySet will;
  PropertySet disconnect;
};

// The packet types a tool accepts -D for (mosquitto_pub: connect, publish, will, disconnect;
// mosquitto_sub: connect, will, disconnect).
enum PropertyCommand : unsigned {
  kConnectProperties = 1,
  kPublishProperties = 2,
  kWillProperties = 4,
  kDisconnectProperties = 8,
};

// Removes every -D/--property group from `args` (args[0] is the program name) and records it.
// On bad input returns false with `error` naming the problem in mosquitto's words.
bool extract_property_arguments(std::vector<std::string>& args, unsigned allowed_commands,
                                PropertyArguments& properties, std::string& error);

}  // namespace attestmq::client
