#pragma once
// The 15 MQTT control packets (MQTT 5.0 section 3, MQTT 3.1.1 section 3) as plain structs.
// Decoded packets hold views into the input buffer: they are valid while that buffer is.
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "mqtt/properties.hpp"
#include "mqtt/reason_code.hpp"

namespace attestmq::mqtt {

// The protocol level byte of CONNECT (MQTT 5.0 section 3.1.2.2).
enum class Version : std::uint8_t { v311 = 4, v5 = 5 };

// MQTT 5.0 section 2.1.2: control packet types.
enum class PacketType : std::uint8_t {
  Connect = 1,
  Connack = 2,
  Publish = 3,
  Puback = 4,
  Pubrec = 5,
  Pubrel = 6,
  Pubcomp = 7,
  Subscribe = 8,
  Suback = 9,
  Unsubscribe = 10,
  Unsuback = 11,
  Pingreq = 12,
  Pingresp = 13,
  Disconnect = 14,
  Auth = 15,  // MQTT 5.0 only
};

struct Will {
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // will properties (MQTT 5.0 section 3.1.3.2)
  std::string_view topic;
  Bytes payload;
};

struct Connect {
  Version version = Version::v5;
  // MQTT 3.1 (protocol name "MQIsdp", level 3): laid out as 3.1.1, which it became, so the
  // codec treats it as v311; only the protocol name and the client identifier rules differ.
  bool mqtt31 = false;
  bool clean_start = true;  // "clean session" in 3.1.1
  std::uint16_t keep_alive = 0;
  Properties properties;
  std::string_view client_id;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<Bytes> password;
};

struct Connack {
  bool session_present = false;
  // In 3.1.1 only Success and the codes that map to ConnackReturnCode are representable.
  ReasonCode reason = ReasonCode::Success;
  Properties properties;
};

struct Publish {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string_view topic;  // may be empty in 5.0 when a topic alias is used
  std::uint16_t packet_id = 0;  // present only when qos > 0
  Properties properties;
  Bytes payload;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP share one layout (MQTT 5.0 sections 3.4-3.7).
template <PacketType Type>
struct Ack {
  static constexpr PacketType type = Type;
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::Success;
  Properties properties;
};
using Puback = Ack<PacketType::Puback>;
using Pubrec = Ack<PacketType::Pubrec>;
using Pubrel = Ack<PacketType::Pubrel>;
using Pubcomp = Ack<PacketType::Pubcomp>;

// MQTT 5.0 section 3.8.3.1: subscription options.
struct Subscription {
  std::string_view filter;
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<Subscription> subscriptions;
};

struct Suback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;  // 3.1.1: 0x00-0x02 granted QoS or 0x80 failure
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<std::string_view> filters;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::vector<ReasonCode> reasons;  // empty in 3.1.1, which has no payload
};

struct Pingreq {};
struct Pingresp {};

struct Disconnect {
  ReasonCode reason = ReasonCode::Success;
  Properties properties;
};

struct Auth {
  ReasonCode reason = ReasonCode::Success;
  Properties properties;
};

using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

}  // namespace attestmq::mqtt
