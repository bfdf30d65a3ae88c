#include "client/packet_log.hpp"

#include <iterator>
#include <type_traits>

#include <fmt/format.h>

namespace attestmq::client {
namespace {

std::string reason_list(const std::vector<mqtt::ReasonCode>& reasons) {
  std::string text;
  for (const auto reason : reasons) {
    if (!text.empty()) text += ", ";
    text += std::to_string(static_cast<int>(reason));
  }
  return text;
}

}  // namespace

const char* packet_type_name(mqtt::PacketType type) {
  // MQTT 5.0 section 2.1.2, table 2-1.
  static constexpr const char* kNames[] = {
      "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
      "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"};
  const auto index = static_cast<std::size_t>(type) - 1;
  return index < std::size(kNames) ? kNames[index] : "reserved";
}

static_assert(std::is_same_v<std::variant_alternative_t<0, mqtt::Packet>, mqtt::Connect> &&
              std::is_same_v<std::variant_alternative_t<14, mqtt::Packet>, mqtt::Auth>);

std::string describe_packet(const mqtt::Packet& packet) {
  // The alternatives of mqtt::Packet are in packet type order, starting at CONNECT (1).
  const char* name = packet_type_name(static_cast<mqtt::PacketType>(packet.index() + 1));
  return std::visit(
      [name](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, mqtt::Publish>) {
          return fmt::format("{} (d{}, q{}, r{}, m{}, '{}', ... ({} bytes))", name, int{p.dup},
                             p.qos, int{p.retain}, p.packet_id, p.topic, p.payload.size());
        } else if constexpr (std::is_same_v<T, mqtt::Connack>) {
          return fmt::format("{} ({})", name, static_cast<int>(p.reason));
        } else if constexpr (std::is_same_v<T, mqtt::Subscribe>) {
          std::string filters;
          for (const auto& s : p.subscriptions) {
            filters += fmt::format(", Topic: {}, QoS: {}", s.filter, s.qos);
          }
          return fmt::format("{} (Mid: {}{})", name, p.packet_id, filters);
        } else if constexpr (std::is_same_v<T, mqtt::Suback> || std::is_same_v<T, mqtt::Unsuback>) {
          return fmt::format("{} (Mid: {}, {})", name, p.packet_id, reason_list(p.reasons));
        } else if constexpr (std::is_same_v<T, mqtt::Unsubscribe>) {
          return fmt::format("{} (Mid: {})", name, p.packet_id);
        } else if constexpr (requires { p.packet_id; p.reason; }) {
          return fmt::format("{} (Mid: {}, RC:{})", name, p.packet_id, static_cast<int>(p.reason));
        } else if constexpr (requires { p.reason; }) {
          return fmt::format("{} ({})", name, static_cast<int>(p.reason));
        } else {
          return name;
        }
      },
      packet);
}

}  // namespace attestmq::client
