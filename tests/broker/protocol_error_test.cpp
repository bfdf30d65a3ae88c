// Protocol errors and malformed input (MQTT 5.0 section 4.13; 3.1.1 section 4.8): each ends
// only the offending connection, with the prescribed reason code in 5.0 and a plain close in
// 3.1.1; nothing else is disturbed.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

class ProtocolErrorTest : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    bystander.connect("bystander");
    bystander.subscribe("t", 0);
  }
  // The client was cut off with `code` (5.0) and the bystander still works.
  void expect_disconnected(TestClient& client, ReasonCode code) {
    if (client.version() == Version::v5) {
      EXPECT_EQ(client.take<mqtt::Disconnect>().reason, code);
    }
    EXPECT_TRUE(client.idle());
    EXPECT_TRUE(client.closed());
    EXPECT_TRUE(broker.host.logged("protocol error"));
    TestClient other(broker, Version::v5);
    other.connect("other");
    other.publish("t", "still here");
    EXPECT_EQ(TestClient::text_of(bystander.take<mqtt::Publish>().payload), "still here");
    EXPECT_FALSE(bystander.closed());
  }
  Broker broker;
  TestClient bystander{broker, Version::v5};
};

TEST_P(ProtocolErrorTest, MalformedPublishQos3) {
  TestClient client(broker, GetParam());
  client.connect("bad");
  const std::uint8_t bytes[] = {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01};
  client.send_bytes(bytes);
  expect_disconnected(client, ReasonCode::MalformedPacket);
}

TEST_P(ProtocolErrorTest, PacketAboveMaximumPacketSize) {
  Settings settings = open_settings();
  settings.max_packet_size = 64;
  Broker limited(settings);
  TestClient client(limited, GetParam());
  client.connect("big");
  client.publish("t", std::string(100, 'x'));
  if (GetParam() == Version::v5) {
    EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::PacketTooLarge);
  }
  EXPECT_TRUE(client.closed());
}

TEST_P(ProtocolErrorTest, QosAboveMaximum) {
  Settings settings = open_settings();
  settings.max_qos = 1;
  Broker limited(settings);
  TestClient client(limited, GetParam());
  client.connect("q2");
  client.publish("t", "x", 2);
  if (GetParam() == Version::v5) {
    EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::QosNotSupported);
  }
  EXPECT_TRUE(client.closed());
}

TEST_P(ProtocolErrorTest, ServerOnlyPacketFromClient) {
  TestClient client(broker, GetParam());
  client.connect("bad");
  client.send(mqtt::Pingresp{});
  expect_disconnected(client, ReasonCode::ProtocolError);
}

TEST_P(ProtocolErrorTest, WildcardInTopicName) {
  TestClient client(broker, GetParam());
  client.connect("bad");
  client.publish("t/#", "x");
  expect_disconnected(client, ReasonCode::TopicNameInvalid);
}

TEST_P(ProtocolErrorTest, PartialInputIsBuffered) {
  TestClient client(broker, GetParam());
  client.connect("slow");
  std::vector<std::uint8_t> bytes;
  mqtt::Publish publish;
  publish.topic = "t";
  publish.payload = TestClient::bytes_of("byte by byte");
  mqtt::encode(publish, GetParam(), bytes);
  mqtt::encode(publish, GetParam(), bytes);
  for (std::uint8_t b : bytes) client.send_bytes(std::span(&b, 1));
  EXPECT_EQ(bystander.receive_all().size(), 2u);
  EXPECT_FALSE(client.closed());
}

INSTANTIATE_TEST_SUITE_P(Versions, ProtocolErrorTest, both_versions(), version_name);

class ProtocolErrorV5 : public ProtocolErrorTest {};

TEST_F(ProtocolErrorV5, AuthWithoutAuthenticationMethod) {
  TestClient client(broker, Version::v5);
  client.connect("bad");
  client.send(mqtt::Auth{ReasonCode::ReAuthenticate, {}});
  expect_disconnected(client, ReasonCode::ProtocolError);
}

TEST_F(ProtocolErrorV5, DisconnectMayNotProlongAZeroExpirySession) {
  TestClient client(broker, Version::v5);
  client.connect("bad");
  mqtt::Disconnect disconnect;
  disconnect.properties.session_expiry_interval = 60;
  client.send(disconnect);
  expect_disconnected(client, ReasonCode::ProtocolError);
}

TEST_F(ProtocolErrorV5, MessageSizeLimitAnswersQuotaExceeded) {
  Settings settings = open_settings();
  settings.message_size_limit = 4;
  Broker limited(settings);
  TestClient sub(limited, Version::v5), client(limited, Version::v5);
  sub.connect("sub");
  sub.subscribe("t", 2);
  client.connect("big");
  client.publish("t", "too long", 1);
  EXPECT_EQ(client.take<mqtt::Puback>().reason, ReasonCode::QuotaExceeded);
  client.publish("t", "too long", 2);
  EXPECT_EQ(client.take<mqtt::Pubrec>().reason, ReasonCode::QuotaExceeded);
  client.publish("t", "ok", 1);
  EXPECT_EQ(client.take<mqtt::Puback>().reason, ReasonCode::Success);
  EXPECT_EQ(sub.receive_all().size(), 1u);
  EXPECT_FALSE(client.closed());
}

TEST_F(ProtocolErrorV5, KeepaliveTimeout) {
  TestClient client(broker, Version::v5);
  client.connect("sleepy", ConnectOptions().keepalive(2));
  broker.advance(2'000);
  client.send(mqtt::Pingreq{});  // a packet resets the timer
  client.take<mqtt::Pingresp>();
  broker.advance(2'999);
  EXPECT_FALSE(client.closed());
  broker.advance(1);
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::KeepAliveTimeout);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("Client sleepy has exceeded timeout, disconnecting."));
}

TEST_F(ProtocolErrorV5, KeepaliveZeroNeverTimesOut) {
  TestClient client(broker, Version::v5);
  client.connect("forever", ConnectOptions().keepalive(0));
  broker.advance(1'000'000);
  EXPECT_FALSE(client.closed());
}

}  // namespace
}  // namespace attestmq::broker::testing
