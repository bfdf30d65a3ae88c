// Retained messages (MQTT 5.0 section 3.3.1.3) and Retain Handling at subscribe time
// (section 3.8.3.1).
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

class RetainTest : public ::testing::TestWithParam<Version> {
 protected:
  Broker broker;
};

TEST_P(RetainTest, NewSubscriberGetsRetainedWithRetainFlag) {
  TestClient pub(broker, GetParam());
  pub.connect("pub");
  pub.publish("r/1", "one", 1, true);
  pub.publish("r/2", "two", 0, true);
  pub.take<mqtt::Puback>();
  TestClient sub(broker, GetParam());
  sub.connect("sub");
  sub.subscribe("r/+", 2);
  auto all = sub.receive_all();
  ASSERT_EQ(all.size(), 2u);
  for (auto& packet : all) {
    auto& publish = std::get<mqtt::Publish>(packet);
    EXPECT_TRUE(publish.retain);
    EXPECT_EQ(publish.qos, publish.topic == "r/1" ? 1 : 0);
  }
  EXPECT_EQ(broker.engine->stats().retained_messages, 2u);
}

TEST_P(RetainTest, EmptyPayloadClears) {
  TestClient pub(broker, GetParam());
  pub.connect("pub");
  pub.publish("r", "keep", 0, true);
  pub.publish("r", "", 0, true);
  TestClient sub(broker, GetParam());
  sub.connect("sub");
  sub.subscribe("r", 0);
  EXPECT_TRUE(sub.idle());
  EXPECT_EQ(broker.engine->stats().retained_messages, 0u);
}

TEST_P(RetainTest, ForwardedToExistingSubscribersWithoutRetainFlag) {
  TestClient pub(broker, GetParam()), sub(broker, GetParam());
  pub.connect("pub");
  sub.connect("sub");
  sub.subscribe("r", 0);
  pub.publish("r", "live", 0, true);
  EXPECT_FALSE(sub.take<mqtt::Publish>().retain);
}

TEST_P(RetainTest, RetainUnavailableDisconnects) {
  Settings settings = open_settings();
  settings.retain_available = false;
  Broker limited(settings);
  TestClient pub(limited, GetParam());
  pub.connect("pub");
  pub.publish("r", "x", 0, true);
  if (GetParam() == Version::v5) {
    EXPECT_EQ(pub.take<mqtt::Disconnect>().reason, ReasonCode::RetainNotSupported);
  }
  EXPECT_TRUE(pub.closed());
}

TEST_P(RetainTest, NoRetainedMessagesForSharedSubscriptions) {
  TestClient pub(broker, GetParam());
  pub.connect("pub");
  pub.publish("r", "x", 0, true);
  TestClient sub(broker, GetParam());
  sub.connect("sub");
  sub.subscribe("$share/g/r", 0);
  EXPECT_TRUE(sub.idle());
}

INSTANTIATE_TEST_SUITE_P(Versions, RetainTest, both_versions(), version_name);

TEST(RetainHandling, ZeroOneTwo) {
  Broker broker;
  TestClient pub(broker, Version::v5), sub(broker, Version::v5);
  pub.connect("pub");
  sub.connect("sub");
  pub.publish("r", "x", 0, true);
  mqtt::Subscription options;
  options.retain_handling = 1;  // only for a new subscription
  sub.subscribe("r", 0, 0, options);
  EXPECT_EQ(sub.receive_all().size(), 1u);
  sub.subscribe("r", 0, 0, options);
  EXPECT_TRUE(sub.idle());
  options.retain_handling = 0;  // always
  sub.subscribe("r", 0, 0, options);
  EXPECT_EQ(sub.receive_all().size(), 1u);
  options.retain_handling = 2;  // never
  sub.subscribe("r/#", 0, 0, options);
  EXPECT_TRUE(sub.idle());
}

TEST(RetainHandling, ExpiredRetainedMessageIsNotSent) {
  Broker broker;
  TestClient pub(broker, Version::v5);
  pub.connect("pub");
  mqtt::Properties properties;
  properties.message_expiry_interval = 2;
  pub.publish("r", "x", 0, true, 0, properties);
  broker.advance(3000);
  TestClient sub(broker, Version::v5);
  sub.connect("sub");
  sub.subscribe("r", 0);
  EXPECT_TRUE(sub.idle());
}

TEST(RetainHandling, RetainedCarriesSubscriptionIdentifier) {
  Broker broker;
  TestClient pub(broker, Version::v5), sub(broker, Version::v5);
  pub.connect("pub");
  sub.connect("sub");
  pub.publish("r", "x", 0, true);
  sub.subscribe("r", 0, 9);
  EXPECT_EQ(sub.take<mqtt::Publish>().properties.subscription_identifiers,
            std::vector<std::uint32_t>{9});
}

}  // namespace
}  // namespace attestmq::broker::testing
