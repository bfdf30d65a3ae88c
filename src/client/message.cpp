#include "client/message.hpp"

namespace attestmq::client {
namespace {

std::optional<std::string> own(const std::optional<std::string_view>& view) {
  if (!view) return std::nullopt;
  return std::string(*view);
}

std::optional<std::string_view> view(const std::optional<std::string>& owned) {
  if (!owned) return std::nullopt;
  return std::string_view(*owned);
}

}  // namespace

PublishProperties own_publish_properties(const mqtt::Properties& wire) {
  PublishProperties owned;
  owned.payload_format_indicator = wire.payload_format_indicator;
  owned.message_expiry_interval = wire.message_expiry_interval;
  owned.content_type = own(wire.content_type);
  owned.response_topic = own(wire.response_topic);
  if (wire.correlation_data) {
    owned.correlation_data.emplace(wire.correlation_data->begin(), wire.correlation_data->end());
  }
  for (const auto& property : wire.user_properties) {
    owned.user_properties.push_back({std::string(property.name), std::string(property.value)});
  }
  owned.subscription_identifiers = wire.subscription_identifiers;
  return owned;
}

mqtt::Properties view_publish_properties(const PublishProperties& owned) {
  mqtt::Properties wire;
  wire.payload_format_indicator = owned.payload_format_indicator;
  wire.message_expiry_interval = owned.message_expiry_interval;
  wire.content_type = view(owned.content_type);
  wire.response_topic = view(owned.response_topic);
  if (owned.correlation_data) wire.correlation_data = mqtt::Bytes(*owned.correlation_data);
  wire.user_properties = view_user_properties(owned.user_properties);
  wire.subscription_identifiers = owned.subscription_identifiers;
  return wire;
}

std::vector<mqtt::UserProperty> view_user_properties(const std::vector<UserProperty>& owned) {
  std::vector<mqtt::UserProperty> wire;
  wire.reserve(owned.size());
  for (const auto& property : owned) wire.push_back({property.name, property.value});
  return wire;
}

}  // namespace attestmq::client
