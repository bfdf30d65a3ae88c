#include "client/property_arguments.hpp"

#include <charconv>
#include <limits>
#include <string_view>

#include <fmt/format.h>

namespace attestmq::client {
namespace {

template <typename T>
bool parse_number(std::string_view text, std::optional<T>& out) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      value > std::numeric_limits<T>::max()) {
    return false;
  }
  out = static_cast<T>(value);
  return true;
}

// Byte-valued flags (payload format, request problem/response information) are 0 or 1.
bool parse_flag(std::string_view text, std::optional<std::uint8_t>& out) {
  return parse_number(text, out) && *out <= 1;
}

bool parse_text(std::string_view text, std::optional<std::string>& out) {
  out = std::string(text);
  return true;
}

struct Identifier {
  std::string_view name;
  unsigned commands;
  bool (*apply)(PropertySet& set, std::string_view value);
};

constexpr unsigned kPublishOrWill = kPublishProperties | kWillProperties;
constexpr unsigned kAllCommands =
    kConnectProperties | kPublishProperties | kWillProperties | kDisconnectProperties;

// MQTT 5.0 section 2.2.2.2: the property table, restricted to the packets the tools send.
constexpr Identifier kIdentifiers[] = {
    {"payload-format-indicator", kPublishOrWill,
     [](PropertySet& s, std::string_view v) { return parse_flag(v, s.payload_format_indicator); }},
    {"message-expiry-interval", kPublishOrWill,
     [](PropertySet& s, std::string_view v) { return parse_number(v, s.message_expiry_interval); }},
    {"content-type", kPublishOrWill,
     [](PropertySet& s, std::string_view v) { return parse_text(v, s.content_type); }},
    {"response-topic", kPublishOrWill,
     [](PropertySet& s, std::string_view v) { return parse_text(v, s.response_topic); }},
    {"correlation-data", kPublishOrWill,
     [](PropertySet& s, std::string_view v) { return parse_text(v, s.correlation_data); }},
    {"session-expiry-interval", kConnectProperties | kDisconnectProperties,
     [](PropertySet& s, std::string_view v) { return parse_number(v, s.session_expiry_interval); }},
    {"will-delay-interval", kWillProperties,
     [](PropertySet& s, std::string_view v) { return parse_number(v, s.will_delay_interval); }},
    {"request-problem-information", kConnectProperties,
     [](PropertySet& s, std::string_view v) { return parse_flag(v, s.request_problem_information); }},
    {"request-response-information", kConnectProperties,
     [](PropertySet& s, std::string_view v) {
       return parse_flag(v, s.request_response_information);
     }},
    // Section 3.1.2.11.3: Receive Maximum 0 is a Protocol Error.
    {"receive-maximum", kConnectProperties,
     [](PropertySet& s, std::string_view v) {
       return parse_number(v, s.receive_maximum) && *s.receive_maximum != 0;
     }},
    {"topic-alias-maximum", kConnectProperties,
     [](PropertySet& s, std::string_view v) { return parse_number(v, s.topic_alias_maximum); }},
    // Section 3.3.2.3.4: Topic Alias 0 is not permitted.
    {"topic-alias", kPublishProperties,
     [](PropertySet& s, std::string_view v) {
       return parse_number(v, s.topic_alias) && *s.topic_alias != 0;
     }},
    // Section 3.1.2.11.4: Maximum Packet Size 0 is a Protocol Error.
    {"maximum-packet-size", kConnectProperties,
     [](PropertySet& s, std::string_view v) {
       return parse_number(v, s.maximum_packet_size) && *s.maximum_packet_size != 0;
     }},
    {"user-property", kAllCommands, nullptr},
};

bool command_bit(std::string_view command, unsigned& bit) {
  if (command == "connect") bit = kConnectProperties;
  else if (command == "publish") bit = kPublishProperties;
  else if (command == "will") bit = kWillProperties;
  else if (command == "disconnect") bit = kDisconnectProperties;
  else if (command == "subscribe" || command == "unsubscribe" || command == "auth") bit = 0;
  else return false;
  return true;
}

PropertySet& set_for(PropertyArguments& properties, unsigned bit) {
  switch (bit) {
    case kConnectProperties: return properties.connect;
    case kPublishProperties: return properties.publish;
    case kWillProperties: return properties.will;
    default: return properties.disconnect;
  }
}

}  // namespace

PublishProperties PropertySet::publish_properties() const {
  PublishProperties properties;
  properties.payload_format_indicator = payload_format_indicator;
  properties.message_expiry_interval = message_expiry_interval;
  properties.content_type = content_type;
  properties.response_topic = response_topic;
  if (correlation_data) {
    properties.correlation_data.emplace(correlation_data->begin(), correlation_data->end());
  }
  properties.user_properties = user_properties;
  return properties;
}

bool extract_property_arguments(std::vector<std::string>& args, unsigned allowed_commands,
                                PropertyArguments& properties, std::string& error) {
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i == 0 || (args[i] != "-D" && args[i] != "--property")) {
      rest.push_back(std::move(args[i]));
      continue;
    }
    if (i + 2 >= args.size()) {
      error = "--property argument given but not enough arguments specified.";
      return false;
    }
    const std::string& command = args[i + 1];
    const std::string& name = args[i + 2];
    unsigned bit = 0;
    if (!command_bit(command, bit)) {
      error = fmt::format("Invalid command '{}' given in --property argument.", command);
      return false;
    }
    const Identifier* identifier = nullptr;
    for (const auto& candidate : kIdentifiers) {
      if (candidate.name == name) identifier = &candidate;
    }
    if (identifier == nullptr) {
      error = fmt::format("Invalid property name '{}' in --property argument.", name);
      return false;
    }
    if ((bit & allowed_commands & identifier->commands) == 0) {
      error = fmt::format("{} property not allowed for {} in --property argument.", name, command);
      return false;
    }
    PropertySet& set = set_for(properties, bit);
    const std::size_t values = identifier->apply == nullptr ? 2 : 1;
    if (i + 2 + values >= args.size()) {
      error = "--property argument given but not enough arguments specified.";
      return false;
    }
    if (identifier->apply == nullptr) {
      set.user_properties.push_back({args[i + 3], args[i + 4]});
    } else if (!identifier->apply(set, args[i + 3])) {
      error = fmt::format("Invalid value '{}' for {} in --property argument.", args[i + 3], name);
      return false;
    }
    i += 2 + values;
  }
  args = std::move(rest);
  return true;
}

}  // namespace attestmq::client
