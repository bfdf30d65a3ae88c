// Memory a client can make the engine hold (issue #7 items 1 to 3): the first packet judged on
// its fixed header (MQTT 5.0 section 3.1), the pre-CONNECT bound max_connect_size, the topic
// level limit (Mosquitto's TOPIC_HIERARCHY_LIMIT of 200), max_subscriptions_per_client, and
// wills that obey message_size_limit.
#include <string>

#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

std::string levels(std::size_t count) {
  std::string topic = "l";
  for (std::size_t i = 1; i < count; ++i) topic += "/l";
  return topic;
}

TEST(FirstPacket, ANonConnectFirstByteEndsTheConnectionAtOnce) {
  Broker broker;
  TestClient client(broker, Version::v5);
  const std::uint8_t publish_header[] = {0x30};  // PUBLISH, its length not even sent yet
  client.send_bytes(publish_header);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("sent a packet other than CONNECT first"));
}

// A CONNECT announcing more than max_connect_size is refused on its fixed header: the bytes
// that follow are never buffered. A 5.0 client whose header carried the version gets 0x95.
TEST(FirstPacket, AnOversizedConnectIsRefusedOnItsHeader) {
  for (const bool says_v5 : {true, false}) {
    Settings settings = open_settings();
    settings.max_connect_size = 1024;
    Broker broker(settings);
    TestClient client(broker, says_v5 ? Version::v5 : Version::v311);
    // CONNECT, remaining length 240 MB, then "MQTT" and the protocol level.
    const std::uint8_t start[] = {0x10, 0x80, 0x80, 0x80, 0x73, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                  static_cast<std::uint8_t>(says_v5 ? 5 : 4)};
    client.send_bytes(start);
    EXPECT_TRUE(client.closed());
    if (says_v5) {
      EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::PacketTooLarge);
    } else {
      EXPECT_TRUE(client.idle()) << "3.1.1 has no code for it: the connection just ends";
    }
  }
}

TEST(FirstPacket, AConnectWithinTheBoundIsServed) {
  Settings settings = open_settings();
  settings.max_connect_size = 64;
  Broker broker(settings);
  TestClient client(broker, Version::v5);
  EXPECT_EQ(client.connect("small").reason, ReasonCode::Success);
  const std::string big(1000, 'x');
  client.subscribe("t", 0);
  client.publish("t", big, 0);  // after CONNECT only max_packet_size applies
  EXPECT_EQ(client.take<mqtt::Publish>().payload.size(), big.size());
}

class TopicDepthTest : public ::testing::TestWithParam<Version> {};

TEST_P(TopicDepthTest, FiltersDeeperThanTheLimitAreRefusedPerFilter) {
  Broker broker;
  TestClient client(broker, GetParam());
  client.connect("deep");
  mqtt::Subscribe packet;
  packet.packet_id = 7;
  const std::string ok = levels(200), deep = levels(201), shared = "$share/g/" + levels(201);
  for (const std::string* filter : {&ok, &deep, &shared}) {
    mqtt::Subscription sub;
    sub.filter = *filter;
    packet.subscriptions.push_back(sub);
  }
  client.send(packet);
  const auto suback = client.take<mqtt::Suback>();
  const ReasonCode refused = GetParam() == Version::v5 ? ReasonCode::TopicFilterInvalid
                                                       : ReasonCode::UnspecifiedError;
  EXPECT_EQ(suback.reasons, (std::vector<ReasonCode>{ReasonCode::Success, refused, refused}));
  EXPECT_EQ(broker.engine->stats().subscriptions, 1u);
}

TEST_P(TopicDepthTest, PublishDeeperThanTheLimitEndsTheConnection) {
  Broker broker;
  TestClient client(broker, GetParam());
  client.connect("deep");
  client.publish(levels(201), "x", 1);
  EXPECT_TRUE(client.closed());
  if (GetParam() == Version::v5) {
    EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::TopicNameInvalid);
  }
}

TEST_P(TopicDepthTest, WillDeeperThanTheLimitIsRefused) {
  Broker broker;
  TestClient client(broker, GetParam());
  mqtt::Will will;
  const std::string topic = levels(201);
  will.topic = topic;
  mqtt::Connect packet;
  packet.version = GetParam();
  packet.client_id = "deep";
  packet.will = will;
  client.send(packet);
  EXPECT_TRUE(client.closed());
  if (GetParam() == Version::v5) {
    EXPECT_EQ(client.take<mqtt::Connack>().reason, ReasonCode::TopicNameInvalid);
  } else {
    EXPECT_TRUE(client.idle());
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, TopicDepthTest, both_versions(), version_name);

TEST(SubscriptionQuota, MaxSubscriptionsPerClientRefusesNewFiltersOnly) {
  Settings settings = open_settings();
  settings.max_subscriptions_per_client = 2;
  Broker broker(settings);
  TestClient client(broker, Version::v5);
  client.connect("q");
  client.subscribe("a", 0);
  client.subscribe("b", 0);
  client.subscribe("a", 1);  // replacing one of its own is not a new subscription
  mqtt::Subscribe packet;
  packet.packet_id = 99;
  mqtt::Subscription sub;
  sub.filter = "c";
  packet.subscriptions.push_back(sub);
  client.send(packet);
  EXPECT_EQ(client.take<mqtt::Suback>().reasons, (std::vector<ReasonCode>{ReasonCode::QuotaExceeded}));
  EXPECT_EQ(broker.engine->stats().subscriptions, 2u);
  EXPECT_TRUE(broker.host.logged("max_subscriptions_per_client"));
}

// The index is torn down without recursion, however deep its filters are (a limit raised by a
// host, or a future default): 100,000 levels would overflow the stack if it recursed.
TEST(SubscriptionQuota, DeepIndexIsDestroyedWithoutRecursion) {
  Settings settings = open_settings();
  settings.max_topic_levels = 200'000;
  settings.max_packet_size = 0;
  auto broker = std::make_unique<Broker>(settings);
  TestClient client(*broker, Version::v5);
  client.connect("deep");
  client.subscribe(levels(30'000), 0);
  client.publish(levels(30'000), "x", 0, true);
  EXPECT_EQ(broker->engine->stats().retained_messages, 1u);
  broker.reset();
}

class WillLimitTest : public ::testing::TestWithParam<Version> {};

// Mosquitto: CONNACK 0x95 in 5.0, return code 5 in 3.1.1.
TEST_P(WillLimitTest, WillAboveMessageSizeLimitIsRefused) {
  Settings settings = open_settings();
  settings.message_size_limit = 10;
  Broker broker(settings);
  TestClient client(broker, GetParam());
  mqtt::Will will;
  will.topic = "w";
  will.payload = TestClient::bytes_of("eleven byte");
  const ReasonCode refused =
      GetParam() == Version::v5 ? ReasonCode::PacketTooLarge : ReasonCode::NotAuthorized;
  EXPECT_EQ(client.connect("c", ConnectOptions().with_will(will)).reason, refused);
  EXPECT_TRUE(client.closed());
  TestClient fits(broker, GetParam());
  will.payload = TestClient::bytes_of("ten bytes!");
  EXPECT_EQ(fits.connect("d", ConnectOptions().with_will(will)).reason, ReasonCode::Success);
}

INSTANTIATE_TEST_SUITE_P(Versions, WillLimitTest, both_versions(), version_name);

}  // namespace
}  // namespace attestmq::broker::testing
