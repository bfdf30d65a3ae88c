#pragma once
// What a client asks for when it opens, uses and closes a session, and what the server grants.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "client/message.hpp"
#include "mqtt/packet.hpp"

namespace attestmq::client {

// MQTT 5.0 section 3.1.3.2-3.1.3.4 / 3.1.1 section 3.1.3.2-3.1.3.3: the will message.
struct WillOptions {
  std::string topic;
  std::vector<std::uint8_t> payload;
  std::uint8_t qos = 0;
  bool retain = false;
  PublishProperties properties;                     // 5.0 only
  std::optional<std::uint32_t> will_delay_interval; // 5.0 only, section 3.1.3.2.2
};

// MQTT 5.0 section 4.12: enhanced authentication by any method, as a conversation between
// CONNECT, AUTH and CONNACK that the method's own code answers.
struct EnhancedAuthentication {
  std::string method;              // Authentication Method (property 0x15), compared byte for byte
  std::vector<std::uint8_t> data;  // Authentication Data (property 0x16) of CONNECT
  // Answers the Authentication Data of the server's AUTH 0x18 with the data of our AUTH 0x18.
  // nullopt refuses: the client sends DISCONNECT (0x83 unless refusal_reason says otherwise)
  // without a Reason String (the server learns nothing of why) and the call fails with
  // `error` in its message.
  std::function<std::optional<std::vector<std::uint8_t>>(std::span<const std::uint8_t> server_data,
                                                         std::string& error)>
      respond;
  // Whether the server may end the exchange now. CONNACK 0x00 (or, in re-authentication,
  // AUTH 0x00) while it says false is a protocol violation: a method that must see the
  // server's data first cannot be skipped by a server that just says yes. Empty: any time.
  std::function<bool()> complete;
  // The DISCONNECT reason after respond() refused (MQTT 5.0 section 3.14.2.1): a method may
  // say 0x81 Malformed Packet for data it could not parse. Empty: 0x83.
  std::function<mqtt::ReasonCode()> refusal_reason;
};

struct ConnectOptions {
  mqtt::Version version = mqtt::Version::v311;
  // Empty asks the server to assign one (5.0 section 3.1.3.1; 3.1.1 requires clean_start).
  std::string client_id;
  bool clean_start = true;
  std::uint16_t keep_alive = 60;  // seconds; 0 disables PINGREQ (section 3.1.2.10)
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<WillOptions> will;
  // MQTT 5.0 CONNECT properties (section 3.1.2.11); ignored in 3.1.1.
  std::optional<std::uint32_t> session_expiry_interval;
  std::optional<std::uint16_t> receive_maximum;
  std::optional<std::uint16_t> topic_alias_maximum;
  std::optional<std::uint32_t> maximum_packet_size;
  std::optional<std::uint8_t> request_problem_information;
  std::optional<std::uint8_t> request_response_information;
  std::vector<UserProperty> user_properties;
  std::optional<EnhancedAuthentication> authentication;  // 5.0 only
  // How long to wait for CONNACK and for each later acknowledgement.
  std::chrono::milliseconds timeout{10'000};
};

// The CONNACK: the outcome, and the limits the server imposes (MQTT 5.0 section 3.2.2.3).
struct ConnackInfo {
  bool session_present = false;
  mqtt::ReasonCode reason = mqtt::ReasonCode::Success;
  std::optional<std::string> assigned_client_identifier;
  std::optional<std::string> reason_string;
  std::optional<std::uint16_t> server_keep_alive;
  std::optional<std::uint32_t> session_expiry_interval;
  std::uint16_t receive_maximum = 65535;
  std::uint8_t maximum_qos = 2;
  bool retain_available = true;
  std::uint16_t topic_alias_maximum = 0;
  std::optional<std::uint32_t> maximum_packet_size;
  bool wildcard_subscription_available = true;
  bool subscription_identifier_available = true;
  bool shared_subscription_available = true;
  std::vector<UserProperty> user_properties;
};

// MQTT 5.0 section 3.8.3.1: one topic filter and its options.
struct SubscriptionRequest {
  std::string filter;
  std::uint8_t qos = 0;
  bool no_local = false;             // 5.0 only
  bool retain_as_published = false;  // 5.0 only
  std::uint8_t retain_handling = 0;  // 5.0 only
};

// MQTT 5.0 section 3.14: the client's DISCONNECT.
struct DisconnectOptions {
  mqtt::ReasonCode reason = mqtt::ReasonCode::Success;
  std::optional<std::uint32_t> session_expiry_interval;
  std::vector<UserProperty> user_properties;
};

}  // namespace attestmq::client
