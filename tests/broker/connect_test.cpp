// CONNECT / CONNACK (MQTT 5.0 sections 3.1, 3.2; 3.1.1 sections 3.1, 3.2): each refusal,
// assigned identifiers, session present, take-over, and the CONNACK properties.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

class ConnectTest : public ::testing::TestWithParam<Version> {};

TEST_P(ConnectTest, AcceptsAndReportsNoSessionOnCleanStart) {
  Broker broker;
  TestClient client(broker, GetParam());
  auto connack = client.connect("alpha");
  EXPECT_EQ(connack.reason, ReasonCode::Success);
  EXPECT_FALSE(connack.session_present);
  EXPECT_FALSE(client.closed());
  EXPECT_TRUE(broker.host.logged("New client connected from 127.0.0.1:"));
  EXPECT_TRUE(broker.host.logged(GetParam() == Version::v5 ? "as alpha (p5, c1, k60)."
                                                           : "as alpha (p2, c1, k60)."));
  EXPECT_EQ(broker.engine->stats().clients_connected, 1u);
}

TEST_P(ConnectTest, AnonymousRefusedWhenListenerForbidsIt) {
  Settings settings = open_settings();
  settings.listeners.resize(2);
  settings.listeners[1].allow_anonymous = false;
  Broker broker(settings);
  TestClient anonymous(broker, GetParam(), 1);
  auto connack = anonymous.connect("anon");
  // 3.1.1 maps Not authorized to return code 5 (section 3.2.2.3).
  EXPECT_EQ(connack.reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(anonymous.closed());

  // Mosquitto 2.0: without a password_file nothing vouches for a username, so naming oneself
  // does not get round allow_anonymous false.
  TestClient named(broker, GetParam(), 1);
  EXPECT_EQ(named.connect("named", ConnectOptions().user("alice")).reason, ReasonCode::NotAuthorized);
  TestClient other_listener(broker, GetParam(), 0);
  EXPECT_EQ(other_listener.connect("anon2").reason, ReasonCode::Success);
}

TEST_P(ConnectTest, SessionPresentOnlyForPersistentSessions) {
  Broker broker;
  {
    TestClient first(broker, GetParam());
    EXPECT_FALSE(first.connect("keeper", persistent(300)).session_present);
    first.send(mqtt::Disconnect{});
  }
  TestClient second(broker, GetParam());
  EXPECT_TRUE(second.connect("keeper", persistent(300)).session_present);
  second.send(mqtt::Disconnect{});
  TestClient third(broker, GetParam());
  EXPECT_FALSE(third.connect("keeper").session_present);  // clean start discards it
}

TEST_P(ConnectTest, TakeOverClosesTheOldConnection) {
  Broker broker;
  TestClient old_client(broker, GetParam());
  old_client.connect("dup");
  TestClient new_client(broker, GetParam());
  EXPECT_EQ(new_client.connect("dup").reason, ReasonCode::Success);
  if (GetParam() == Version::v5) {
    // MQTT 5.0 section 3.1.4: DISCONNECT 0x8E to the old connection.
    EXPECT_EQ(old_client.take<mqtt::Disconnect>().reason, ReasonCode::SessionTakenOver);
  }
  EXPECT_TRUE(old_client.idle());
  EXPECT_TRUE(old_client.closed());
  EXPECT_FALSE(new_client.closed());
  EXPECT_EQ(broker.engine->stats().clients_connected, 1u);
}

TEST_P(ConnectTest, SecondConnectIsAProtocolError) {
  Broker broker;
  TestClient client(broker, GetParam());
  client.connect("twice");
  mqtt::Connect again;
  again.version = GetParam();
  again.client_id = "twice";
  client.send(again);
  if (GetParam() == Version::v5) {
    EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
  }
  EXPECT_TRUE(client.closed());
}

// Found by fuzz/engine_stream_fuzz: a second CONNECT with an unknown protocol level was
// answered with DISCONNECT 0x84, a code only CONNACK may carry (MQTT 5.0 section 3.14.2.1).
TEST(ConnectRegression, SecondConnectWithABadLevelIsStillAProtocolError) {
  Broker broker;
  TestClient client(broker, Version::v5);
  client.connect("twice");
  // CONNECT, protocol name MQTT, level 7, Clean Start, keep alive 60, no properties, id "x".
  client.send_bytes(std::vector<std::uint8_t>{0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x07,
                                              0x02, 0x00, 0x3c, 0x00, 0x00, 0x01, 'x'});
  EXPECT_EQ(client.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(client.closed());
}

TEST_P(ConnectTest, FirstPacketMustBeConnect) {
  Broker broker;
  TestClient client(broker, GetParam());
  client.send(mqtt::Pingreq{});
  EXPECT_TRUE(client.idle());
  EXPECT_TRUE(client.closed());
}

TEST_P(ConnectTest, WillQosAboveMaximumRefused) {
  Settings settings = open_settings();
  settings.max_qos = 1;
  Broker broker(settings);
  TestClient client(broker, GetParam());
  mqtt::Will will;
  will.topic = "w";
  will.qos = 2;
  auto connack = client.connect("w", ConnectOptions().with_will(will));
  if (GetParam() == Version::v5) {
    EXPECT_EQ(connack.reason, ReasonCode::QosNotSupported);
  } else {
    EXPECT_NE(connack.reason, ReasonCode::Success);
  }
  EXPECT_TRUE(client.closed());
}

INSTANTIATE_TEST_SUITE_P(Versions, ConnectTest, both_versions(), version_name);

TEST(ConnectV5, AssignsClientIdentifier) {
  Broker broker;
  TestClient client(broker, Version::v5);
  auto connack = client.connect("");
  ASSERT_EQ(connack.reason, ReasonCode::Success);
  ASSERT_TRUE(connack.properties.assigned_client_identifier);
  EXPECT_TRUE(connack.properties.assigned_client_identifier->starts_with("auto-"));
  EXPECT_EQ(connack.properties.assigned_client_identifier->size(), 21u);
}

TEST(ConnectV311, EmptyIdentifierNeedsCleanSession) {
  Broker broker;
  TestClient persistent(broker, Version::v311);
  auto refused = persistent.connect("", ConnectOptions().clean(false));
  EXPECT_EQ(mqtt::to_v311_connack(refused.reason), mqtt::ConnackReturnCode::IdentifierRejected);
  EXPECT_TRUE(persistent.closed());
  TestClient clean(broker, Version::v311);
  EXPECT_EQ(clean.connect("").reason, ReasonCode::Success);
}

TEST(ConnectV5, AuthenticationMethodIsRefused) {
  Broker broker;
  TestClient client(broker, Version::v5);
  ConnectOptions options;
  options.properties.authentication_method = "SCRAM-SHA-1";
  EXPECT_EQ(client.connect("auth", options).reason, ReasonCode::BadAuthenticationMethod);
  EXPECT_TRUE(client.closed());
}

TEST(ConnectV5, ConnackAnnouncesLimits) {
  Settings settings = open_settings();
  settings.max_inflight_messages = 7;
  settings.max_qos = 1;
  settings.retain_available = false;
  settings.max_packet_size = 1000;
  settings.max_topic_alias = 5;
  Broker broker(settings);
  TestClient client(broker, Version::v5);
  auto p = client.connect("limits").properties;
  EXPECT_EQ(p.receive_maximum, 7);
  EXPECT_EQ(p.maximum_qos, 1);
  EXPECT_EQ(p.retain_available, 0);
  EXPECT_EQ(p.maximum_packet_size, 1000u);
  EXPECT_EQ(p.topic_alias_maximum, 5);
  EXPECT_EQ(p.wildcard_subscription_available, 1);
  EXPECT_EQ(p.subscription_identifier_available, 1);
  EXPECT_EQ(p.shared_subscription_available, 1);
  EXPECT_FALSE(p.server_keep_alive);
  EXPECT_FALSE(p.assigned_client_identifier);
}

TEST(ConnectV5, DefaultsOmitUnlimitedProperties) {
  Broker broker;
  TestClient client(broker, Version::v5);
  auto p = client.connect("defaults").properties;
  EXPECT_EQ(p.receive_maximum, 20);
  EXPECT_FALSE(p.maximum_qos);
  EXPECT_FALSE(p.retain_available);
  EXPECT_FALSE(p.maximum_packet_size);
}

TEST(ConnectKeepalive, AboveMaximumGetsServerKeepAliveIn5) {
  Settings settings = open_settings();
  settings.max_keepalive = 30;
  Broker broker(settings);
  TestClient client(broker, Version::v5);
  auto connack = client.connect("ka", ConnectOptions().keepalive(100));
  EXPECT_EQ(connack.reason, ReasonCode::Success);
  EXPECT_EQ(connack.properties.server_keep_alive, 30);
}

TEST(ConnectKeepalive, AboveMaximumRefusedIn311) {
  Settings settings = open_settings();
  settings.max_keepalive = 30;
  Broker broker(settings);
  TestClient client(broker, Version::v311);
  auto connack = client.connect("ka", ConnectOptions().keepalive(100));
  EXPECT_EQ(mqtt::to_v311_connack(connack.reason), mqtt::ConnackReturnCode::IdentifierRejected);
  EXPECT_TRUE(client.closed());
}

TEST(ConnectMalformed, UnknownProtocolLevelGetsReturnCode1) {
  Broker broker;
  TestClient client(broker, Version::v311);
  // CONNECT with protocol level 3 ("MQIsdp" would be 3.1); here "MQTT" level 9.
  const std::uint8_t bytes[] = {0x10, 0x0D, 0x00, 0x04, 'M',  'Q',  'T', 'T',
                                0x09, 0x02, 0x00, 0x3C, 0x00, 0x01, 'x'};
  client.send_bytes(bytes);
  auto connack = client.take<mqtt::Connack>();
  EXPECT_EQ(mqtt::to_v311_connack(connack.reason),
            mqtt::ConnackReturnCode::UnacceptableProtocolVersion);
  EXPECT_TRUE(client.closed());
}

TEST(ConnectMalformed, BadPropertyInV5ConnectGetsConnackWithTheCode) {
  Broker broker;
  TestClient client(broker, Version::v5);
  ConnectOptions options;
  options.properties.receive_maximum = 0;  // MQTT 5.0 section 3.1.2.11.3: a protocol error
  EXPECT_EQ(client.connect("zero", options).reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("sent a bad CONNECT"));
}

}  // namespace
}  // namespace attestmq::broker::testing
