#include "codec_test_support.hpp"

#include <algorithm>
#include <sstream>

#include "mqtt/wire_writer.hpp"

namespace attestmq::mqtt::test {

DecodeResult decode_bytes(std::span<const std::uint8_t> bytes, Version version,
                          std::uint32_t max_packet_size) {
  DecodeResult result;
  FixedHeader header;
  result.frame = parse_frame(bytes, max_packet_size, header, result.status);
  if (result.frame != FrameStatus::complete) return result;
  if (header.total_size() != bytes.size()) {
    result.status = {ReasonCode::UnspecifiedError, "test input holds more than one packet"};
    return result;
  }
  result.status = decode(header, bytes.subspan(header.header_size), version, result.packet);
  return result;
}

ReasonCode decode_code(std::span<const std::uint8_t> bytes, Version version) {
  const auto result = decode_bytes(bytes, version);
  if (result.frame == FrameStatus::need_more) return ReasonCode::UnspecifiedError;
  return result.status.code;
}

ByteVector encode_bytes(const Packet& packet, Version version) {
  ByteVector out;
  encode(packet, version, out);
  return out;
}

ByteVector packet_with_body(std::uint8_t first_byte, const ByteVector& body) {
  ByteVector out;
  WireWriter writer(out);
  writer.byte(first_byte);
  writer.variable_byte_integer(static_cast<std::uint32_t>(body.size()));
  writer.raw(body);
  return out;
}

ByteVector packet_with_body(std::uint8_t first_byte, std::initializer_list<std::uint8_t> body) {
  return packet_with_body(first_byte, ByteVector(body));
}

namespace {

// Collects the name of the first field whose values differ.
class Comparison {
 public:
  template <typename T>
  void field(const char* name, const T& expected, const T& actual) {
    if (!mismatch_.empty()) return;
    if (!same(expected, actual)) mismatch_ = name;
  }
  ::testing::AssertionResult result() const {
    if (mismatch_.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "field `" << mismatch_ << "` differs";
  }

 private:
  template <typename T>
  static bool same(const T& a, const T& b) {
    return a == b;
  }
  static bool same(const Bytes& a, const Bytes& b) { return std::ranges::equal(a, b); }
  template <typename T>
  static bool same(const std::optional<T>& a, const std::optional<T>& b) {
    return a.has_value() == b.has_value() && (!a || same(*a, *b));
  }
  template <typename T>
  static bool same(const std::vector<T>& a, const std::vector<T>& b) {
    return std::ranges::equal(a, b, [](const T& x, const T& y) { return same(x, y); });
  }
  static bool same(const Properties& a, const Properties& b) {
    return same_properties(a, b);
  }
  static bool same(const Will& a, const Will& b) {
    return a.qos == b.qos && a.retain == b.retain && same(a.properties, b.properties) &&
           a.topic == b.topic && same(a.payload, b.payload);
  }
  static bool same(const Subscription& a, const Subscription& b) {
    return a.filter == b.filter && a.qos == b.qos && a.no_local == b.no_local &&
           a.retain_as_published == b.retain_as_published &&
           a.retain_handling == b.retain_handling;
  }

  std::string mismatch_;
};

void compare(Comparison& c, const Connect& a, const Connect& b) {
  c.field("version", a.version, b.version);
  c.field("clean_start", a.clean_start, b.clean_start);
  c.field("keep_alive", a.keep_alive, b.keep_alive);
  c.field("properties", a.properties, b.properties);
  c.field("client_id", a.client_id, b.client_id);
  c.field("will", a.will, b.will);
  c.field("username", a.username, b.username);
  c.field("password", a.password, b.password);
}
void compare(Comparison& c, const Connack& a, const Connack& b) {
  c.field("session_present", a.session_present, b.session_present);
  c.field("reason", a.reason, b.reason);
  c.field("properties", a.properties, b.properties);
}
void compare(Comparison& c, const Publish& a, const Publish& b) {
  c.field("dup", a.dup, b.dup);
  c.field("qos", a.qos, b.qos);
  c.field("retain", a.retain, b.retain);
  c.field("topic", a.topic, b.topic);
  c.field("packet_id", a.packet_id, b.packet_id);
  c.field("properties", a.properties, b.properties);
  c.field("payload", a.payload, b.payload);
}
template <PacketType Type>
void compare(Comparison& c, const Ack<Type>& a, const Ack<Type>& b) {
  c.field("packet_id", a.packet_id, b.packet_id);
  c.field("reason", a.reason, b.reason);
  c.field("properties", a.properties, b.properties);
}
void compare(Comparison& c, const Subscribe& a, const Subscribe& b) {
  c.field("packet_id", a.packet_id, b.packet_id);
  c.field("properties", a.properties, b.properties);
  c.field("subscriptions", a.subscriptions, b.subscriptions);
}
void compare(Comparison& c, const Suback& a, const Suback& b) {
  c.field("packet_id", a.packet_id, b.packet_id);
  c.field("properties", a.properties, b.properties);
  c.field("reasons", a.reasons, b.reasons);
}
void compare(Comparison& c, const Unsubscribe& a, const Unsubscribe& b) {
  c.field("packet_id", a.packet_id, b.packet_id);
  c.field("properties", a.properties, b.properties);
  c.field("filters", a.filters, b.filters);
}
void compare(Comparison& c, const Unsuback& a, const Unsuback& b) {
  c.field("packet_id", a.packet_id, b.packet_id);
  c.field("properties", a.properties, b.properties);
  c.field("reasons", a.reasons, b.reasons);
}
void compare(Comparison&, const Pingreq&, const Pingreq&) {}
void compare(Comparison&, const Pingresp&, const Pingresp&) {}
void compare(Comparison& c, const Disconnect& a, const Disconnect& b) {
  c.field("reason", a.reason, b.reason);
  c.field("properties", a.properties, b.properties);
}
void compare(Comparison& c, const Auth& a, const Auth& b) {
  c.field("reason", a.reason, b.reason);
  c.field("properties", a.properties, b.properties);
}

}  // namespace

::testing::AssertionResult same_properties(const Properties& a, const Properties& b) {
  Comparison c;
  c.field("payload_format_indicator", a.payload_format_indicator, b.payload_format_indicator);
  c.field("message_expiry_interval", a.message_expiry_interval, b.message_expiry_interval);
  c.field("content_type", a.content_type, b.content_type);
  c.field("response_topic", a.response_topic, b.response_topic);
  c.field("correlation_data", a.correlation_data, b.correlation_data);
  c.field("subscription_identifiers", a.subscription_identifiers, b.subscription_identifiers);
  c.field("session_expiry_interval", a.session_expiry_interval, b.session_expiry_interval);
  c.field("assigned_client_identifier", a.assigned_client_identifier,
          b.assigned_client_identifier);
  c.field("server_keep_alive", a.server_keep_alive, b.server_keep_alive);
  c.field("authentication_method", a.authentication_method, b.authentication_method);
  c.field("authentication_data", a.authentication_data, b.authentication_data);
  c.field("request_problem_information", a.request_problem_information,
          b.request_problem_information);
  c.field("will_delay_interval", a.will_delay_interval, b.will_delay_interval);
  c.field("request_response_information", a.request_response_information,
          b.request_response_information);
  c.field("response_information", a.response_information, b.response_information);
  c.field("server_reference", a.server_reference, b.server_reference);
  c.field("reason_string", a.reason_string, b.reason_string);
  c.field("receive_maximum", a.receive_maximum, b.receive_maximum);
  c.field("topic_alias_maximum", a.topic_alias_maximum, b.topic_alias_maximum);
  c.field("topic_alias", a.topic_alias, b.topic_alias);
  c.field("maximum_qos", a.maximum_qos, b.maximum_qos);
  c.field("retain_available", a.retain_available, b.retain_available);
  c.field("user_properties", a.user_properties, b.user_properties);
  c.field("maximum_packet_size", a.maximum_packet_size, b.maximum_packet_size);
  c.field("wildcard_subscription_available", a.wildcard_subscription_available,
          b.wildcard_subscription_available);
  c.field("subscription_identifier_available", a.subscription_identifier_available,
          b.subscription_identifier_available);
  c.field("shared_subscription_available", a.shared_subscription_available,
          b.shared_subscription_available);
  return c.result();
}

::testing::AssertionResult same_packet(const Packet& expected, const Packet& actual) {
  if (expected.index() != actual.index()) {
    return ::testing::AssertionFailure() << "packet type " << expected.index() + 1
                                         << " expected, got " << actual.index() + 1;
  }
  Comparison c;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        compare(c, e, std::get<T>(actual));
      },
      expected);
  return c.result();
}

}  // namespace attestmq::mqtt::test
