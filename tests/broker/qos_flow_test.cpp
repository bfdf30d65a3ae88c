// QoS 0/1/2 in both directions (MQTT 5.0 sections 4.3, 4.4; 3.1.1 sections 4.3, 4.4):
// acknowledgements, exactly-once, the in-flight window and its queue, and redelivery with
// DUP on session resumption.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

class QosFlowTest : public ::testing::TestWithParam<Version> {
 protected:
  Broker broker;
};

TEST_P(QosFlowTest, Qos0IsForwardedWithoutPacketId) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("a/+", 2);
  pub.publish("a/b", "hello", 0);
  auto got = sub.take<mqtt::Publish>();
  EXPECT_EQ(got.topic, "a/b");
  EXPECT_EQ(TestClient::text_of(got.payload), "hello");
  EXPECT_EQ(got.qos, 0);
  EXPECT_FALSE(got.retain);
  EXPECT_TRUE(pub.idle());
}

TEST_P(QosFlowTest, Qos1BothWays) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 1);
  pub.publish("t", "m1", 1, false, 7);
  auto puback = pub.take<mqtt::Puback>();
  EXPECT_EQ(puback.packet_id, 7);
  EXPECT_EQ(puback.reason, ReasonCode::Success);
  auto got = sub.take<mqtt::Publish>();
  EXPECT_EQ(got.qos, 1);
  EXPECT_NE(got.packet_id, 0);
  EXPECT_FALSE(got.dup);
  sub.send(mqtt::Puback{got.packet_id, ReasonCode::Success, {}});
  EXPECT_TRUE(sub.idle());
}

TEST_P(QosFlowTest, DeliveredQosIsMinimumOfPublishedAndGranted) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 1);
  pub.publish("t", "two", 2, false, 3);
  EXPECT_EQ(pub.take<mqtt::Pubrec>().packet_id, 3);
  EXPECT_EQ(sub.take<mqtt::Publish>().qos, 1);
  pub.publish("t", "zero", 0);
  EXPECT_EQ(sub.take<mqtt::Publish>().qos, 0);
}

TEST_P(QosFlowTest, Qos2IncomingIsExactlyOnce) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 0);
  pub.publish("t", "once", 2, false, 9);
  EXPECT_EQ(pub.take<mqtt::Pubrec>().packet_id, 9);
  EXPECT_EQ(TestClient::text_of(sub.take<mqtt::Publish>().payload), "once");
  // Section 4.3.3: a retransmission before PUBREL is acknowledged, not delivered again.
  mqtt::Publish again;
  again.topic = "t";
  again.payload = TestClient::bytes_of("once");
  again.qos = 2;
  again.dup = true;
  again.packet_id = 9;
  pub.send(again);
  EXPECT_EQ(pub.take<mqtt::Pubrec>().packet_id, 9);
  EXPECT_TRUE(sub.idle());
  pub.send(mqtt::Pubrel{9, ReasonCode::Success, {}});
  auto pubcomp = pub.take<mqtt::Pubcomp>();
  EXPECT_EQ(pubcomp.packet_id, 9);
  EXPECT_EQ(pubcomp.reason, ReasonCode::Success);
  // After PUBCOMP the id is free: the same id is a new message.
  pub.publish("t", "again", 2, false, 9);
  pub.take<mqtt::Pubrec>();
  EXPECT_EQ(TestClient::text_of(sub.take<mqtt::Publish>().payload), "again");
}

TEST_P(QosFlowTest, Qos2OutgoingFlow) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 2);
  pub.publish("t", "x", 2);
  auto got = sub.take<mqtt::Publish>();
  EXPECT_EQ(got.qos, 2);
  sub.send(mqtt::Pubrec{got.packet_id, ReasonCode::Success, {}});
  EXPECT_EQ(sub.take<mqtt::Pubrel>().packet_id, got.packet_id);
  sub.send(mqtt::Pubcomp{got.packet_id, ReasonCode::Success, {}});
  EXPECT_TRUE(sub.idle());
}

TEST_P(QosFlowTest, PubrelForUnknownIdGetsPubcomp) {
  TestClient pub(broker, GetParam());
  pub.connect("pub");
  pub.send(mqtt::Pubrel{42, ReasonCode::Success, {}});
  auto pubcomp = pub.take<mqtt::Pubcomp>();
  EXPECT_EQ(pubcomp.packet_id, 42);
  if (GetParam() == Version::v5) {
    EXPECT_EQ(pubcomp.reason, ReasonCode::PacketIdentifierNotFound);
  }
}

TEST_P(QosFlowTest, InflightWindowQueuesTheRest) {
  Settings settings = open_settings();
  settings.max_inflight_messages = 2;
  Broker limited(settings);
  TestClient sub(limited, GetParam()), pub(limited, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 1);
  for (int i = 0; i < 5; ++i) pub.publish("t", std::to_string(i), 1);
  auto first = sub.receive_all();
  ASSERT_EQ(first.size(), 2u);
  auto p0 = std::get<mqtt::Publish>(first[0]);
  EXPECT_EQ(TestClient::text_of(p0.payload), "0");
  sub.send(mqtt::Puback{p0.packet_id, ReasonCode::Success, {}});
  auto next = sub.take<mqtt::Publish>();
  EXPECT_EQ(TestClient::text_of(next.payload), "2");
  EXPECT_TRUE(sub.idle());
}

TEST_P(QosFlowTest, RedeliveryWithDupOnResume) {
  TestClient pub(broker, GetParam());
  pub.connect("pub");
  std::uint16_t first_id = 0, second_id = 0;
  {
    TestClient sub(broker, GetParam());
    sub.connect("sub", persistent());
    sub.subscribe("t", 2);
    pub.publish("t", "q1", 1);
    pub.publish("t", "q2", 2);
    auto m1 = sub.take<mqtt::Publish>();
    auto m2 = sub.take<mqtt::Publish>();
    first_id = m1.packet_id;
    second_id = m2.packet_id;
    sub.send(mqtt::Pubrec{second_id, ReasonCode::Success, {}});
    sub.take<mqtt::Pubrel>();
    broker.engine->closed(sub.id());  // the network drops
  }
  pub.publish("t", "q3", 1);  // queued while offline
  TestClient back(broker, GetParam());
  EXPECT_TRUE(back.connect("sub", persistent()).session_present);
  auto again = back.take<mqtt::Publish>();
  EXPECT_TRUE(again.dup);
  EXPECT_EQ(again.packet_id, first_id);
  EXPECT_EQ(TestClient::text_of(again.payload), "q1");
  EXPECT_EQ(back.take<mqtt::Pubrel>().packet_id, second_id);
  auto queued = back.take<mqtt::Publish>();
  EXPECT_FALSE(queued.dup);
  EXPECT_EQ(TestClient::text_of(queued.payload), "q3");
}

TEST_P(QosFlowTest, OfflineQueueIsBoundedAndSkipsQos0) {
  Settings settings = open_settings();
  settings.max_queued_messages = 2;
  Broker limited(settings);
  TestClient pub(limited, GetParam());
  pub.connect("pub");
  {
    TestClient sub(limited, GetParam());
    sub.connect("sub", persistent());
    sub.subscribe("t", 1);
    sub.send(mqtt::Disconnect{});
  }
  pub.publish("t", "zero", 0);
  for (int i = 0; i < 4; ++i) pub.publish("t", std::to_string(i), 1);
  EXPECT_EQ(limited.engine->stats().messages_dropped, 2u);
  TestClient back(limited, GetParam());
  back.connect("sub", persistent());
  auto all = back.receive_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(TestClient::text_of(std::get<mqtt::Publish>(all[0]).payload), "0");
  EXPECT_EQ(TestClient::text_of(std::get<mqtt::Publish>(all[1]).payload), "1");
}

TEST_P(QosFlowTest, OfflineQueueBoundedInBytes) {
  Settings settings = open_settings();
  settings.max_queued_bytes = 20;
  Broker limited(settings);
  TestClient pub(limited, GetParam());
  pub.connect("pub");
  {
    TestClient sub(limited, GetParam());
    sub.connect("sub", persistent());
    sub.subscribe("t", 1);
    sub.send(mqtt::Disconnect{});
  }
  // Payload bytes, as Mosquitto counts them: the topic does not count.
  pub.publish("t", "1234567890", 1);  // 10
  pub.publish("t", "1234567890", 1);  // 20
  pub.publish("t", "1", 1);           // over
  TestClient back(limited, GetParam());
  back.connect("sub", persistent());
  EXPECT_EQ(back.receive_all().size(), 2u);
  EXPECT_EQ(limited.engine->stats().messages_dropped, 1u);
}

TEST_P(QosFlowTest, CleanSessionLosesEverything) {
  TestClient pub(broker, GetParam());
  pub.connect("pub");
  {
    TestClient sub(broker, GetParam());
    sub.connect("sub");
    sub.subscribe("t", 1);
    sub.send(mqtt::Disconnect{});
  }
  pub.publish("t", "lost", 1);
  EXPECT_EQ(pub.take<mqtt::Puback>().packet_id, 1);
  TestClient back(broker, GetParam());
  EXPECT_FALSE(back.connect("sub", persistent()).session_present);
  EXPECT_TRUE(back.idle());
}

INSTANTIATE_TEST_SUITE_P(Versions, QosFlowTest, both_versions(), version_name);

TEST(QosFlowV5, PubackSaysNoMatchingSubscribers) {
  Broker broker;
  TestClient pub(broker, Version::v5);
  pub.connect("pub");
  pub.publish("nobody/listens", "x", 1);
  EXPECT_EQ(pub.take<mqtt::Puback>().reason, ReasonCode::NoMatchingSubscribers);
}

TEST(QosFlowV5, ClientReceiveMaximumLimitsTheWindow) {
  Broker broker;
  TestClient sub(broker, Version::v5), pub(broker, Version::v5);
  ConnectOptions options;
  options.properties.receive_maximum = 1;
  sub.connect("sub", options);
  pub.connect("pub");
  sub.subscribe("t", 1);
  pub.publish("t", "a", 1);
  pub.publish("t", "b", 1);
  auto all = sub.receive_all();
  ASSERT_EQ(all.size(), 1u);
  sub.send(mqtt::Puback{std::get<mqtt::Publish>(all[0]).packet_id, ReasonCode::Success, {}});
  EXPECT_EQ(TestClient::text_of(sub.take<mqtt::Publish>().payload), "b");
}

TEST(QosFlowV5, ReceiveMaximumExceededDisconnects) {
  Settings settings = open_settings();
  settings.max_inflight_messages = 2;
  Broker broker(settings);
  TestClient pub(broker, Version::v5);
  pub.connect("pub");
  pub.publish("t", "1", 2);
  pub.publish("t", "2", 2);
  pub.take<mqtt::Pubrec>();
  pub.take<mqtt::Pubrec>();
  pub.publish("t", "3", 2);
  EXPECT_EQ(pub.take<mqtt::Disconnect>().reason, ReasonCode::ReceiveMaximumExceeded);
  EXPECT_TRUE(pub.closed());
}

TEST(QosFlowV5, PubrecErrorEndsTheExchange) {
  Settings settings = open_settings();
  settings.max_inflight_messages = 1;
  Broker broker(settings);
  TestClient sub(broker, Version::v5), pub(broker, Version::v5);
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 2);
  pub.publish("t", "a", 2, false, 1);
  pub.send(mqtt::Pubrel{1, ReasonCode::Success, {}});  // our Receive Maximum is 1 too
  pub.publish("t", "b", 2, false, 2);
  auto first = sub.take<mqtt::Publish>();
  EXPECT_TRUE(sub.idle());
  sub.send(mqtt::Pubrec{first.packet_id, ReasonCode::UnspecifiedError, {}});
  EXPECT_EQ(TestClient::text_of(sub.take<mqtt::Publish>().payload), "b");
}

TEST(QosFlowV5, MessageExpiryDropsQueuedAndForwardsTheRemainder) {
  Broker broker;
  TestClient pub(broker, Version::v5);
  pub.connect("pub");
  {
    TestClient sub(broker, Version::v5);
    sub.connect("sub", persistent());
    sub.subscribe("t", 1);
    sub.send(mqtt::Disconnect{});
  }
  mqtt::Properties short_lived, long_lived;
  short_lived.message_expiry_interval = 5;
  long_lived.message_expiry_interval = 100;
  pub.publish("t", "short", 1, false, 0, short_lived);
  pub.publish("t", "long", 1, false, 0, long_lived);
  broker.advance(10'000);
  TestClient back(broker, Version::v5);
  back.connect("sub", persistent());
  auto got = back.take<mqtt::Publish>();
  EXPECT_EQ(TestClient::text_of(got.payload), "long");
  EXPECT_EQ(got.properties.message_expiry_interval, 90u);
  EXPECT_TRUE(back.idle());
}

TEST(QosFlowV5, PropertiesPassThroughUnaltered) {
  Broker broker;
  TestClient sub(broker, Version::v5), pub(broker, Version::v5);
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 1);
  const std::uint8_t correlation[] = {1, 2, 3};
  mqtt::Properties p;
  p.payload_format_indicator = 1;
  p.content_type = "text/plain";
  p.response_topic = "reply/here";
  p.correlation_data = mqtt::Bytes(correlation);
  p.user_properties = {{"k1", "v1"}, {"k1", "v2"}, {"z", ""}};
  pub.publish("t", "body", 1, false, 0, p);
  auto got = sub.take<mqtt::Publish>();
  EXPECT_EQ(got.properties.payload_format_indicator, 1);
  EXPECT_EQ(got.properties.content_type, "text/plain");
  EXPECT_EQ(got.properties.response_topic, "reply/here");
  ASSERT_TRUE(got.properties.correlation_data);
  EXPECT_EQ(got.properties.correlation_data->size(), 3u);
  EXPECT_EQ(got.properties.user_properties, p.user_properties);
}

}  // namespace
}  // namespace attestmq::broker::testing
