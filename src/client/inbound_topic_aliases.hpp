#pragma once
// MQTT 5.0 section 3.3.2.3.4: Topic Aliases the server sets on PUBLISH packets it sends us.
// The mapping lives for one network connection (section 3.3.2.3.4: "Topic Alias mappings exist
// only within a Network Connection").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/reason_code.hpp"

namespace attestmq::client {

class InboundTopicAliases {
 public:
  // `maximum` is the Topic Alias Maximum we sent in CONNECT (0: aliases not accepted).
  explicit InboundTopicAliases(std::uint16_t maximum = 0) : topics_(maximum) {}

  struct Resolution {
    mqtt::ReasonCode error = mqtt::ReasonCode::Success;  // what to DISCONNECT with on failure
    const char* detail = "";
    std::string topic;
  };

  // Resolves the topic of an incoming PUBLISH: with a topic name, (re)defines the alias; with
  // an empty topic name, looks the alias up.
  Resolution resolve(std::string_view topic, std::optional<std::uint16_t> alias);

 private:
  std::vector<std::optional<std::string>> topics_;  // index alias-1
};

}  // namespace attestmq::client
