#include "client/inbound_topic_aliases.hpp"

namespace attestmq::client {

InboundTopicAliases::Resolution InboundTopicAliases::resolve(
    std::string_view topic, std::optional<std::uint16_t> alias) {
  using mqtt::ReasonCode;
  if (!alias) {
    // Section 3.3.2.3.4: a PUBLISH without alias must carry a topic name.
    if (topic.empty()) {
      return {ReasonCode::ProtocolError, "PUBLISH has neither a topic name nor a topic alias", {}};
    }
    return {ReasonCode::Success, "", std::string(topic)};
  }
  // Section 3.3.2.3.4: 0 is not a valid alias, nor is one above our Topic Alias Maximum.
  if (*alias == 0 || *alias > topics_.size()) {
    return {ReasonCode::TopicAliasInvalid,
            "PUBLISH topic alias is 0 or above the Topic Alias Maximum we sent", {}};
  }
  auto& slot = topics_[*alias - 1];
  if (!topic.empty()) {
    slot = std::string(topic);
    return {ReasonCode::Success, "", *slot};
  }
  // Section 3.3.4: an alias the sender never mapped is a Protocol Error.
  if (!slot) {
    return {ReasonCode::ProtocolError, "PUBLISH uses a topic alias that was never defined", {}};
  }
  return {ReasonCode::Success, "", *slot};
}

}  // namespace attestmq::client
