// Topic aliases in both directions (MQTT 5.0 section 3.3.2.3.4).
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

mqtt::Properties alias(std::uint16_t value) {
  mqtt::Properties properties;
  properties.topic_alias = value;
  return properties;
}

class TopicAliasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sub.connect("sub");
    pub.connect("pub");
    sub.subscribe("long/topic/name", 0);
  }
  Broker broker;
  TestClient sub{broker, Version::v5}, pub{broker, Version::v5};
};

TEST_F(TopicAliasTest, IncomingAliasIsResolved) {
  pub.publish("long/topic/name", "1", 0, false, 0, alias(3));
  pub.publish("", "2", 0, false, 0, alias(3));
  auto first = sub.take<mqtt::Publish>();
  auto second = sub.take<mqtt::Publish>();
  EXPECT_EQ(second.topic, "long/topic/name");
  EXPECT_EQ(TestClient::text_of(second.payload), "2");
  EXPECT_FALSE(second.properties.topic_alias);
}

TEST_F(TopicAliasTest, AliasZeroIsInvalid) {
  pub.publish("long/topic/name", "1", 0, false, 0, alias(0));
  EXPECT_EQ(pub.take<mqtt::Disconnect>().reason, ReasonCode::TopicAliasInvalid);
  EXPECT_TRUE(pub.closed());
}

TEST_F(TopicAliasTest, AliasAboveMaximumIsInvalid) {
  pub.publish("long/topic/name", "1", 0, false, 0, alias(11));  // default maximum is 10
  EXPECT_EQ(pub.take<mqtt::Disconnect>().reason, ReasonCode::TopicAliasInvalid);
}

TEST_F(TopicAliasTest, UnknownAliasIsAProtocolError) {
  pub.publish("", "1", 0, false, 0, alias(4));
  EXPECT_EQ(pub.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(sub.idle());
}

TEST_F(TopicAliasTest, OutgoingAliasesWhileTheClientAllowsThem) {
  TestClient aliased(broker, Version::v5);
  ConnectOptions options;
  options.properties.topic_alias_maximum = 1;
  aliased.connect("aliased", options);
  aliased.subscribe("x/#", 0);
  pub.publish("x/1", "a");
  pub.publish("x/1", "b");
  pub.publish("x/2", "c");
  auto a = aliased.take<mqtt::Publish>();
  EXPECT_EQ(a.topic, "x/1");
  EXPECT_EQ(a.properties.topic_alias, 1);
  auto b = aliased.take<mqtt::Publish>();
  EXPECT_EQ(b.topic, "");
  EXPECT_EQ(b.properties.topic_alias, 1);
  auto c = aliased.take<mqtt::Publish>();  // no room for a second alias
  EXPECT_EQ(c.topic, "x/2");
  EXPECT_FALSE(c.properties.topic_alias);
}

TEST_F(TopicAliasTest, NoOutgoingAliasesByDefault) {
  pub.publish("long/topic/name", "a");
  pub.publish("long/topic/name", "b");
  sub.take<mqtt::Publish>();
  auto b = sub.take<mqtt::Publish>();
  EXPECT_EQ(b.topic, "long/topic/name");
  EXPECT_FALSE(b.properties.topic_alias);
}

}  // namespace
}  // namespace attestmq::broker::testing
