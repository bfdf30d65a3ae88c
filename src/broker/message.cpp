#include "broker/message.hpp"

namespace attestmq::broker {

void copy_forwarded_properties(const mqtt::Properties& from, Message& to) {
  to.payload_format_indicator = from.payload_format_indicator;
  if (from.content_type) to.content_type.emplace(*from.content_type);
  if (from.response_topic) to.response_topic.emplace(*from.response_topic);
  if (from.correlation_data)
    to.correlation_data.emplace(from.correlation_data->begin(), from.correlation_data->end());
  for (const mqtt::UserProperty& up : from.user_properties)
    to.user_properties.push_back({std::string(up.name), std::string(up.value)});
}

}  // namespace attestmq::broker
