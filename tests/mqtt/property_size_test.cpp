// property_bytes answers without writing (a presence check, then per-value sizes): it must
// still equal, byte for byte, what write_properties writes, for every property alone, for
// growing sets of them, and across the Property Length and binary-length boundaries.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"

namespace attestmq::mqtt {
namespace {

// Checks property_bytes against the writer, and the counting writer against both.
void expect_exact_size(const Properties& properties) {
  std::vector<std::uint8_t> out;
  WireWriter writer(out);
  write_properties(properties, writer);
  const auto bytes = property_bytes(properties);
  const auto length = static_cast<std::uint32_t>(bytes);
  EXPECT_EQ(out.size(), variable_byte_integer_size(length) + bytes);
  WireWriter counter;
  write_properties(properties, counter);
  EXPECT_EQ(counter.size(), out.size());
}

using Setter = std::function<void(Properties&)>;

const std::string kLong(70'000, 'x');  // longer than a two-byte length can say

std::vector<Setter> every_property() {
  static const std::vector<std::uint8_t> data = {1, 2, 3};
  return {
      [](Properties& p) { p.payload_format_indicator = 1; },
      [](Properties& p) { p.message_expiry_interval = 60; },
      [](Properties& p) { p.content_type = "text/plain"; },
      [](Properties& p) { p.response_topic = "reply/here"; },
      [](Properties& p) { p.correlation_data = Bytes(data); },
      [](Properties& p) { p.subscription_identifiers.push_back(127); },
      [](Properties& p) { p.subscription_identifiers.push_back(268'435'455); },
      [](Properties& p) { p.session_expiry_interval = 0xFFFF'FFFF; },
      [](Properties& p) { p.assigned_client_identifier = "auto-1"; },
      [](Properties& p) { p.server_keep_alive = 30; },
      [](Properties& p) { p.authentication_method = "SCRAM-SHA-1"; },
      [](Properties& p) { p.authentication_data = Bytes(data); },
      [](Properties& p) { p.request_problem_information = 0; },
      [](Properties& p) { p.will_delay_interval = 5; },
      [](Properties& p) { p.request_response_information = 1; },
      [](Properties& p) { p.response_information = "info"; },
      [](Properties& p) { p.server_reference = "other:1883"; },
      [](Properties& p) { p.reason_string = kLong; },
      [](Properties& p) { p.receive_maximum = 10; },
      [](Properties& p) { p.topic_alias_maximum = 10; },
      [](Properties& p) { p.topic_alias = 3; },
      [](Properties& p) { p.maximum_qos = 1; },
      [](Properties& p) { p.retain_available = 0; },
      [](Properties& p) { p.user_properties.push_back({"k", "v"}); },
      [](Properties& p) { p.user_properties.push_back({kLong, ""}); },
      [](Properties& p) { p.maximum_packet_size = 1 << 20; },
      [](Properties& p) { p.wildcard_subscription_available = 1; },
      [](Properties& p) { p.subscription_identifier_available = 1; },
      [](Properties& p) { p.shared_subscription_available = 0; },
  };
}

TEST(PropertySize, NoPropertiesIsZero) {
  EXPECT_EQ(property_bytes(Properties{}), 0u);
  expect_exact_size(Properties{});
}

TEST(PropertySize, EachPropertyAlone) {
  for (const auto& set : every_property()) {
    Properties properties;
    set(properties);
    EXPECT_NE(property_bytes(properties), 0u);
    expect_exact_size(properties);
  }
}

TEST(PropertySize, GrowingSets) {
  Properties properties;
  for (const auto& set : every_property()) {
    set(properties);
    expect_exact_size(properties);
  }
}

// Section 1.5.5: the Subscription Identifier's own size steps at 128, 16384 and 2097152.
TEST(PropertySize, SubscriptionIdentifierSizes) {
  for (const std::uint32_t id : {1u, 127u, 128u, 16'383u, 16'384u, 2'097'151u, 2'097'152u}) {
    Properties properties;
    properties.subscription_identifiers = {id};
    EXPECT_EQ(property_bytes(properties), 1 + variable_byte_integer_size(id)) << id;
    expect_exact_size(properties);
  }
}

// A PUBLISH's encoded_size stays exact with and without properties, in both versions.
TEST(PropertySize, PublishEncodedSizeIsExact) {
  const std::vector<std::uint8_t> payload(100, 'p');
  Publish publish;
  publish.topic = "a/b";
  publish.payload = payload;
  for (const auto& set : every_property()) {
    for (const auto version : {Version::v311, Version::v5}) {
      std::vector<std::uint8_t> out;
      encode(publish, version, out);
      EXPECT_EQ(out.size(), encoded_size(publish, version));
    }
    set(publish.properties);
  }
}

}  // namespace
}  // namespace attestmq::mqtt
