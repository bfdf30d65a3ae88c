// decode(encode(p)) == p for every packet type in both versions, and encoded_size() is exact.
#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace attestmq::mqtt::test {
namespace {

const std::uint8_t kBinary[] = {0x00, 0xFF, 0x10, 0x80};

Properties connect_properties() {
  Properties p;
  p.session_expiry_interval = 3600;
  p.receive_maximum = 20;
  p.maximum_packet_size = 65536;
  p.topic_alias_maximum = 10;
  p.request_response_information = 1;
  p.request_problem_information = 0;
  p.user_properties = {{"region", "eu"}, {"region", "us"}};
  p.authentication_method = "attestmq-tee";
  p.authentication_data = Bytes(kBinary);
  return p;
}

Properties will_properties() {
  Properties p;
  p.will_delay_interval = 30;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 120;
  p.content_type = "text/plain";
  p.response_topic = "replies/here";
  p.correlation_data = Bytes(kBinary);
  p.user_properties = {{"k", "v"}};
  return p;
}

Properties connack_properties() {
  Properties p;
  p.session_expiry_interval = 0;
  p.receive_maximum = 100;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.maximum_packet_size = 1 << 20;
  p.assigned_client_identifier = "auto-1";
  p.topic_alias_maximum = 0;
  p.reason_string = "welcome";
  p.user_properties = {{"a", "b"}};
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  p.server_keep_alive = 60;
  p.response_information = "resp/";
  p.server_reference = "other:1883";
  p.authentication_method = "attestmq-tee";
  p.authentication_data = Bytes(kBinary);
  return p;
}

Properties publish_properties() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 10;
  p.topic_alias = 3;
  p.response_topic = "r/t";
  p.correlation_data = Bytes(kBinary);
  p.user_properties = {{"x", "1"}, {"y", ""}};
  p.subscription_identifiers = {1, 268'435'455, 200};
  p.content_type = "application/json";
  return p;
}

Properties reason_properties() {
  Properties p;
  p.reason_string = "because";
  p.user_properties = {{"why", "test"}};
  return p;
}

void expect_round_trip(const Packet& packet, Version version) {
  const auto bytes = encode_bytes(packet, version);
  EXPECT_EQ(bytes.size(), encoded_size(packet, version));
  const auto decoded = decode_bytes(bytes, version);
  ASSERT_EQ(decoded.frame, FrameStatus::complete);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.detail;
  EXPECT_TRUE(same_packet(packet, decoded.packet));
}

class RoundTrip : public ::testing::TestWithParam<Version> {
 protected:
  bool v5() const { return GetParam() == Version::v5; }
  // Properties only survive in 5.0.
  Properties only_v5(Properties p) const { return v5() ? p : Properties{}; }
};

TEST_P(RoundTrip, ConnectMinimal) {
  Connect c;
  c.version = GetParam();
  c.client_id = "client-1";
  expect_round_trip(c, GetParam());
}

TEST_P(RoundTrip, ConnectWithEverything) {
  Connect c;
  c.version = GetParam();
  c.clean_start = false;
  c.keep_alive = 65535;
  c.properties = only_v5(connect_properties());
  c.client_id = "";
  c.will = Will{.qos = 2,
                .retain = true,
                .properties = only_v5(will_properties()),
                .topic = "last/will",
                .payload = as_bytes("gone")};
  c.username = "user";
  c.password = Bytes(kBinary);
  expect_round_trip(c, GetParam());
}

TEST_P(RoundTrip, ConnectWillQos1WithoutRetain) {
  Connect c;
  c.version = GetParam();
  c.client_id = "w";
  c.will = Will{.qos = 1, .retain = false, .properties = {}, .topic = "t", .payload = {}};
  c.username = "only-user";
  expect_round_trip(c, GetParam());
}

TEST_P(RoundTrip, Connack) {
  Connack c;
  c.session_present = true;
  c.properties = only_v5(connack_properties());
  expect_round_trip(c, GetParam());
  Connack refused;
  refused.reason = ReasonCode::NotAuthorized;
  expect_round_trip(refused, GetParam());
}

TEST_P(RoundTrip, PublishEachQos) {
  for (std::uint8_t qos = 0; qos <= 2; ++qos) {
    Publish p;
    p.qos = qos;
    p.dup = qos > 0;
    p.retain = qos == 1;
    p.topic = "a/b/c";
    p.packet_id = qos > 0 ? 0xBEEF : 0;
    p.properties = only_v5(publish_properties());
    p.payload = as_bytes("{\"temperature\": 21}");
    expect_round_trip(p, GetParam());
  }
}

TEST_P(RoundTrip, PublishEmptyPayload) {
  Publish p;
  p.topic = "x";
  expect_round_trip(p, GetParam());
}

TEST(RoundTripV5, PublishEmptyTopicWithAlias) {
  Publish p;
  p.properties.topic_alias = 7;
  p.payload = as_bytes("aliased");
  expect_round_trip(p, Version::v5);
}

TEST_P(RoundTrip, PublishLargePayloadUsesLongRemainingLength) {
  const std::vector<std::uint8_t> payload(300'000, 0x5A);
  Publish p;
  p.topic = "bulk";
  p.payload = payload;
  const auto bytes = encode_bytes(p, GetParam());
  EXPECT_EQ(bytes[1] & 0x80, 0x80);  // three length bytes
  expect_round_trip(p, GetParam());
}

template <typename A>
void ack_round_trips(Version version, ReasonCode failure, const Properties& properties) {
  A success;
  success.packet_id = 1;
  expect_round_trip(success, version);
  if (version == Version::v311) return;
  A failed;
  failed.packet_id = 65535;
  failed.reason = failure;
  expect_round_trip(failed, version);
  A detailed;
  detailed.packet_id = 42;
  detailed.reason = failure;
  detailed.properties = properties;
  expect_round_trip(detailed, version);
  A success_with_properties;
  success_with_properties.packet_id = 43;
  success_with_properties.properties = properties;
  expect_round_trip(success_with_properties, version);
}

TEST_P(RoundTrip, PublishAcks) {
  ack_round_trips<Puback>(GetParam(), ReasonCode::NoMatchingSubscribers, reason_properties());
  ack_round_trips<Pubrec>(GetParam(), ReasonCode::QuotaExceeded, reason_properties());
  ack_round_trips<Pubrel>(GetParam(), ReasonCode::PacketIdentifierNotFound,
                          reason_properties());
  ack_round_trips<Pubcomp>(GetParam(), ReasonCode::PacketIdentifierNotFound,
                           reason_properties());
}

TEST_P(RoundTrip, Subscribe) {
  Subscribe s;
  s.packet_id = 10;
  if (v5()) {
    s.properties.subscription_identifiers = {77};
    s.properties.user_properties = {{"u", "p"}};
  }
  s.subscriptions.push_back({.filter = "sensors/+/temp", .qos = 1});
  s.subscriptions.push_back({.filter = "#", .qos = 2});
  if (v5()) {
    s.subscriptions.push_back({.filter = "$share/g/jobs/#",
                               .qos = 0,
                               .no_local = false,
                               .retain_as_published = true,
                               .retain_handling = 2});
    s.subscriptions.push_back(
        {.filter = "own", .qos = 1, .no_local = true, .retain_handling = 1});
  }
  expect_round_trip(s, GetParam());
}

TEST_P(RoundTrip, Suback) {
  Suback s;
  s.packet_id = 10;
  s.properties = only_v5(reason_properties());
  s.reasons = {ReasonCode::Success, ReasonCode::GrantedQos1, ReasonCode::GrantedQos2,
               ReasonCode::UnspecifiedError};
  if (v5()) s.reasons.push_back(ReasonCode::SharedSubscriptionsNotSupported);
  expect_round_trip(s, GetParam());
}

TEST_P(RoundTrip, Unsubscribe) {
  Unsubscribe u;
  u.packet_id = 11;
  if (v5()) u.properties.user_properties = {{"u", "p"}};
  u.filters = {"a/+", "b/#", "c"};
  expect_round_trip(u, GetParam());
}

TEST_P(RoundTrip, Unsuback) {
  Unsuback u;
  u.packet_id = 11;
  if (v5()) {
    u.properties = reason_properties();
    u.reasons = {ReasonCode::Success, ReasonCode::NoSubscriptionExisted};
  }
  expect_round_trip(u, GetParam());
}

TEST_P(RoundTrip, Pings) {
  expect_round_trip(Pingreq{}, GetParam());
  expect_round_trip(Pingresp{}, GetParam());
}

TEST_P(RoundTrip, Disconnect) {
  expect_round_trip(Disconnect{}, GetParam());
  if (!v5()) return;
  Disconnect with_will;
  with_will.reason = ReasonCode::DisconnectWithWill;
  expect_round_trip(with_will, GetParam());
  Properties p = reason_properties();
  p.session_expiry_interval = 0;
  p.server_reference = "elsewhere";
  expect_round_trip(Disconnect{.reason = ReasonCode::ServerMoved, .properties = p},
                    GetParam());
  expect_round_trip(Disconnect{.reason = ReasonCode::Success, .properties = p}, GetParam());
}

TEST(RoundTripV5, Auth) {
  expect_round_trip(Auth{}, Version::v5);
  Properties p;
  p.authentication_method = "attestmq-tee";
  p.authentication_data = Bytes(kBinary);
  p.reason_string = "evidence follows";
  p.user_properties = {{"k", "v"}};
  expect_round_trip(Auth{.reason = ReasonCode::ContinueAuthentication, .properties = p},
                    Version::v5);
  expect_round_trip(Auth{.reason = ReasonCode::ReAuthenticate, .properties = p}, Version::v5);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, RoundTrip,
                         ::testing::Values(Version::v311, Version::v5),
                         [](const auto& info) {
                           return info.param == Version::v5 ? "v5" : "v311";
                         });

}  // namespace
}  // namespace attestmq::mqtt::test
