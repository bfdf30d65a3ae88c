// Will messages (MQTT 5.0 sections 3.1.2.5, 3.1.3.2, 3.14.4; 3.1.1 section 3.1.2.5): when
// they are published, when not, and the Will Delay Interval against session expiry.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

mqtt::Will will_on(std::string_view topic, std::uint32_t delay_s = 0) {
  mqtt::Will will;
  will.topic = topic;
  will.payload = TestClient::bytes_of("gone");
  will.qos = 1;
  if (delay_s != 0) will.properties.will_delay_interval = delay_s;
  return will;
}

class WillTest : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    watcher.connect("watcher");
    watcher.subscribe("wills/#", 1);
  }
  Broker broker;
  TestClient watcher{broker, Version::v5};
};

TEST_P(WillTest, PublishedWhenTheConnectionDrops) {
  TestClient client(broker, GetParam());
  client.connect("c", ConnectOptions().with_will(will_on("wills/c")));
  broker.engine->closed(client.id());
  auto will = watcher.take<mqtt::Publish>();
  EXPECT_EQ(will.topic, "wills/c");
  EXPECT_EQ(TestClient::text_of(will.payload), "gone");
  EXPECT_TRUE(broker.host.logged("Client c closed its connection."));
}

TEST_P(WillTest, NotPublishedOnNormalDisconnect) {
  TestClient client(broker, GetParam());
  client.connect("c", ConnectOptions().with_will(will_on("wills/c")));
  client.send(mqtt::Disconnect{});
  broker.engine->closed(client.id());
  EXPECT_TRUE(watcher.idle());
}

TEST_P(WillTest, PublishedOnProtocolError) {
  TestClient client(broker, GetParam());
  client.connect("c", ConnectOptions().with_will(will_on("wills/c")));
  client.send(mqtt::Connack{});
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_P(WillTest, PublishedOnKeepaliveTimeout) {
  TestClient client(broker, GetParam());
  client.connect("c", ConnectOptions().keepalive(10).with_will(will_on("wills/c")));
  broker.advance(14'000);
  watcher.send(mqtt::Pingreq{});
  watcher.take<mqtt::Pingresp>();
  EXPECT_FALSE(client.closed());
  broker.advance(1'000);
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_P(WillTest, PublishedOnTakeOver) {
  TestClient client(broker, GetParam());
  client.connect("c", ConnectOptions().with_will(will_on("wills/c")));
  TestClient again(broker, GetParam());
  again.connect("c");
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_P(WillTest, PublishedOnShutdown) {
  TestClient client(broker, GetParam());
  client.connect("c", ConnectOptions().with_will(will_on("wills/c")));
  broker.engine->shutdown();
  if (GetParam() == Version::v5) {
    EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::ServerShuttingDown);
  }
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(watcher.closed());
}

INSTANTIATE_TEST_SUITE_P(Versions, WillTest, both_versions(), version_name);

class WillV5 : public WillTest {};

TEST_F(WillV5, PublishedOnDisconnectWithWill) {
  TestClient client(broker, Version::v5);
  client.connect("c", ConnectOptions().with_will(will_on("wills/c")));
  client.send(mqtt::Disconnect{ReasonCode::DisconnectWithWill, {}});
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_F(WillV5, DelayedThenPublished) {
  TestClient client(broker, Version::v5);
  client.connect("c", ConnectOptions().expiry(100).with_will(will_on("wills/c", 5)));
  broker.engine->closed(client.id());
  broker.advance(4'000);
  EXPECT_TRUE(watcher.idle());
  broker.advance(1'000);
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_F(WillV5, SessionEndComesFirst) {
  TestClient client(broker, Version::v5);
  client.connect("c", ConnectOptions().expiry(2).with_will(will_on("wills/c", 60)));
  broker.engine->closed(client.id());
  broker.advance(1'000);
  EXPECT_TRUE(watcher.idle());
  broker.advance(1'000);
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_F(WillV5, SessionExpiryZeroPublishesAtOnce) {
  TestClient client(broker, Version::v5);
  client.connect("c", ConnectOptions().with_will(will_on("wills/c", 60)));
  broker.engine->closed(client.id());
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
}

TEST_F(WillV5, CancelledByReconnectInTime) {
  TestClient client(broker, Version::v5);
  client.connect("c", persistent(100).with_will(will_on("wills/c", 5)));
  broker.engine->closed(client.id());
  broker.advance(2'000);
  TestClient back(broker, Version::v5);
  EXPECT_TRUE(back.connect("c", persistent(100)).session_present);
  broker.advance(10'000);
  EXPECT_TRUE(watcher.idle());
}

TEST_F(WillV5, WillPropertiesAndExpiryForwarded) {
  TestClient client(broker, Version::v5);
  mqtt::Will will = will_on("wills/c");
  will.properties.content_type = "text/plain";
  will.properties.message_expiry_interval = 30;
  will.properties.user_properties = {{"why", "test"}};
  client.connect("c", ConnectOptions().with_will(will));
  broker.engine->closed(client.id());
  auto got = watcher.take<mqtt::Publish>();
  EXPECT_EQ(got.properties.content_type, "text/plain");
  EXPECT_EQ(got.properties.message_expiry_interval, 30u);
  EXPECT_EQ(got.properties.user_properties, will.properties.user_properties);
}

TEST_F(WillV5, RetainedWill) {
  TestClient client(broker, Version::v5);
  mqtt::Will will = will_on("wills/r");
  will.retain = true;
  client.connect("c", ConnectOptions().with_will(will));
  broker.engine->closed(client.id());
  watcher.take<mqtt::Publish>();
  TestClient late(broker, Version::v5);
  late.connect("late");
  late.subscribe("wills/r", 0);
  EXPECT_TRUE(late.take<mqtt::Publish>().retain);
}

}  // namespace
}  // namespace attestmq::broker::testing
