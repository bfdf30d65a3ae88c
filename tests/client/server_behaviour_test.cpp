// The client's answers to server behaviour mosquitto does not show: topic aliases towards the
// client, retransmitted QoS 2 publications, failure reason codes, broken packets.
#include <gtest/gtest.h>

#include "scripted_server.hpp"

namespace attestmq::client::testing {
namespace {

using mqtt::ReasonCode;
using mqtt::Version;

constexpr auto kWait = std::chrono::seconds(3);

mqtt::Bytes bytes_of(std::string_view text) {
  return mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

mqtt::Publish publish(std::string_view topic, std::string_view payload, std::uint8_t qos = 0,
                      std::uint16_t packet_id = 0) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = bytes_of(payload);
  p.qos = qos;
  p.packet_id = packet_id;
  return p;
}

mqtt::Publish aliased(std::string_view topic, std::uint16_t alias, std::string_view payload) {
  auto p = publish(topic, payload);
  p.properties.topic_alias = alias;
  return p;
}

ConnectOptions options(Version version) {
  ConnectOptions o;
  o.version = version;
  o.client_id = "scripted";
  o.timeout = std::chrono::seconds(2);
  o.topic_alias_maximum = 5;
  return o;
}

template <typename T>
const T* packet_as(const std::vector<std::vector<std::uint8_t>>& packets, std::size_t index,
                   Version version, mqtt::Packet& storage) {
  if (index >= packets.size()) return nullptr;
  storage = decode_one(packets[index], version);
  return std::get_if<T>(&storage);
}

TEST(ServerBehaviour, IncomingTopicAliasIsResolved) {
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, aliased("long/topic", 1, "a"),
                                                 aliased("", 1, "b"), aliased("other", 1, "c"),
                                                 aliased("", 1, "d")}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  for (const char* expected : {"long/topic", "long/topic", "other", "other"}) {
    ReceivedMessage message;
    ASSERT_TRUE(client->receive(message, kWait).ok());
    EXPECT_EQ(message.topic, expected);
  }
  client->disconnect();
}

TEST(ServerBehaviour, UndefinedTopicAliasIsAProtocolError) {
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, aliased("", 2, "x")}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  ReceivedMessage message;
  const Status status = client->receive(message, kWait);
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_EQ(status.reason, ReasonCode::ProtocolError);
  mqtt::Packet storage;
  const auto* disconnect = packet_as<mqtt::Disconnect>(server.packets_from_client(), 0,
                                                       Version::v5, storage);
  ASSERT_NE(disconnect, nullptr);
  EXPECT_EQ(disconnect->reason, ReasonCode::ProtocolError);
}

TEST(ServerBehaviour, TopicAliasAboveOurMaximumIsInvalid) {
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, aliased("t", 6, "x")}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  ReceivedMessage message;
  EXPECT_EQ(client->receive(message, kWait).reason, ReasonCode::TopicAliasInvalid);
  mqtt::Packet storage;
  const auto* disconnect = packet_as<mqtt::Disconnect>(server.packets_from_client(), 0,
                                                       Version::v5, storage);
  ASSERT_NE(disconnect, nullptr);
  EXPECT_EQ(disconnect->reason, ReasonCode::TopicAliasInvalid);
}

class ExactlyOnceTest : public ::testing::TestWithParam<Version> {};

TEST_P(ExactlyOnceTest, RetransmittedQos2PublishIsDeliveredOnce) {
  const Version version = GetParam();
  auto duplicate = publish("q2", "once", 2, 7);
  duplicate.dup = true;
  mqtt::Pubrel release;
  release.packet_id = 7;
  ScriptedServer server(
      encode_all(version, {mqtt::Connack{}, publish("q2", "once", 2, 7), duplicate, release}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(version)).ok());
  ReceivedMessage message;
  ASSERT_TRUE(client->receive(message, kWait).ok());
  EXPECT_EQ(message.qos, 2);
  EXPECT_EQ(message.packet_id, 7);
  EXPECT_EQ(client->receive(message, std::chrono::milliseconds(500)).kind, ErrorKind::timeout);
  ASSERT_TRUE(client->disconnect().ok());

  const auto packets = server.packets_from_client();
  ASSERT_EQ(packets.size(), 4u);
  mqtt::Packet storage;
  for (std::size_t i : {0u, 1u}) {
    const auto* received = packet_as<mqtt::Pubrec>(packets, i, version, storage);
    ASSERT_NE(received, nullptr);
    EXPECT_EQ(received->packet_id, 7);
  }
  const auto* complete = packet_as<mqtt::Pubcomp>(packets, 2, version, storage);
  ASSERT_NE(complete, nullptr);
  EXPECT_EQ(complete->packet_id, 7);
  EXPECT_EQ(complete->reason, ReasonCode::Success);
  EXPECT_NE(packet_as<mqtt::Disconnect>(packets, 3, version, storage), nullptr);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, ExactlyOnceTest, ::testing::Values(Version::v311, Version::v5),
                         [](const auto& info) {
                           return info.param == Version::v5 ? std::string("v5")
                                                            : std::string("v311");
                         });

TEST(ServerBehaviour, PubrelForAnUnknownPacketIdIsAnsweredWithNotFound) {
  mqtt::Pubrel release;
  release.packet_id = 9;
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, release}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  ReceivedMessage message;
  EXPECT_EQ(client->receive(message, std::chrono::milliseconds(500)).kind, ErrorKind::timeout);
  client->abort();
  mqtt::Packet storage;
  const auto* complete = packet_as<mqtt::Pubcomp>(server.packets_from_client(), 0, Version::v5,
                                                  storage);
  ASSERT_NE(complete, nullptr);
  EXPECT_EQ(complete->reason, ReasonCode::PacketIdentifierNotFound);
}

TEST(ServerBehaviour, FailedPubackIsReportedWithItsReason) {
  mqtt::Puback refusal;
  refusal.packet_id = 1;  // the client's first packet identifier
  refusal.reason = ReasonCode::NotAuthorized;
  refusal.properties.reason_string = "acl denies topic";
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, refusal}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  OutgoingMessage message;
  message.topic = "secret";
  message.qos = 1;
  const Status status = client->publish(message);
  EXPECT_EQ(status.kind, ErrorKind::rejected);
  EXPECT_EQ(status.reason, ReasonCode::NotAuthorized);
  EXPECT_NE(status.message.find("acl denies topic"), std::string::npos) << status.message;
  client->abort();
}

TEST(ServerBehaviour, MalformedPacketEndsTheConnectionWithReason0x81) {
  std::vector<std::uint8_t> script = encode_all(Version::v5, {mqtt::Connack{}});
  // A PUBLISH whose Remaining Length continues past four bytes (MQTT 5.0 section 1.5.5).
  script.insert(script.end(), {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  ScriptedServer server(script);
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  ReceivedMessage message;
  const Status status = client->receive(message, kWait);
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_EQ(status.reason, ReasonCode::MalformedPacket);
  mqtt::Packet storage;
  const auto* disconnect = packet_as<mqtt::Disconnect>(server.packets_from_client(), 0,
                                                       Version::v5, storage);
  ASSERT_NE(disconnect, nullptr);
  EXPECT_EQ(disconnect->reason, ReasonCode::MalformedPacket);
}

TEST(ServerBehaviour, ServerDisconnectReasonAndReasonStringAreReported) {
  mqtt::Disconnect goodbye;
  goodbye.reason = ReasonCode::ServerShuttingDown;
  goodbye.properties.reason_string = "maintenance";
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, goodbye}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  ReceivedMessage message;
  const Status status = client->receive(message, kWait);
  EXPECT_EQ(status.kind, ErrorKind::server_disconnect);
  EXPECT_EQ(status.reason, ReasonCode::ServerShuttingDown);
  EXPECT_NE(status.message.find("maintenance"), std::string::npos) << status.message;
}

TEST(ServerBehaviour, PacketBeforeConnackIsAProtocolError) {
  ScriptedServer server(encode_all(Version::v5, {publish("early", "x")}));
  auto client = server.client();
  const Status status = client->connect(options(Version::v5));
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_NE(status.message.find("before CONNACK"), std::string::npos) << status.message;
}

TEST(ServerBehaviour, SilentServerTimesOutTheConnect) {
  ScriptedServer server({});
  auto client = server.client();
  auto o = options(Version::v311);
  o.timeout = std::chrono::milliseconds(300);
  const Status status = client->connect(o);
  EXPECT_EQ(status.kind, ErrorKind::timeout);
  EXPECT_EQ(status.message, "No CONNACK from the server in time.");
}

TEST(ServerBehaviour, ServerKeepAliveAndLimitsComeFromConnack) {
  mqtt::Connack connack;
  connack.properties.server_keep_alive = 30;
  connack.properties.maximum_qos = 1;
  connack.properties.retain_available = 0;
  connack.properties.assigned_client_identifier = "given-id";
  ScriptedServer server(encode_all(Version::v5, {connack}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  EXPECT_EQ(client->connack().server_keep_alive, 30);
  EXPECT_EQ(client->connack().assigned_client_identifier, "given-id");
  OutgoingMessage message;
  message.topic = "t";
  message.qos = 2;
  EXPECT_EQ(client->publish(message).kind, ErrorKind::invalid_request);
  message.qos = 0;
  message.retain = true;
  EXPECT_EQ(client->publish(message).kind, ErrorKind::invalid_request);
  client->abort();
}

TEST(ServerBehaviour, ServerMaximumPacketSizeIsRespected) {
  mqtt::Connack connack;
  connack.properties.maximum_packet_size = 32;
  ScriptedServer server(encode_all(Version::v5, {connack}));
  auto client = server.client();
  ASSERT_TRUE(client->connect(options(Version::v5)).ok());
  OutgoingMessage message;
  message.topic = "t";
  message.payload.assign(20, 'x');
  EXPECT_TRUE(client->publish(message).ok());
  message.payload.assign(40, 'x');
  const Status status = client->publish(message);
  EXPECT_EQ(status.kind, ErrorKind::invalid_request);
  EXPECT_NE(status.message.find("maximum packet size of 32 bytes"), std::string::npos)
      << status.message;
  client->abort();
  EXPECT_EQ(server.packets_from_client().size(), 1u);
}

TEST(ServerBehaviour, PacketAboveOurMaximumPacketSizeIsRefusedWith0x95) {
  const std::string big(100, 'x');
  ScriptedServer server(encode_all(Version::v5, {mqtt::Connack{}, publish("t", big)}));
  auto client = server.client();
  auto o = options(Version::v5);
  o.maximum_packet_size = 64;
  ASSERT_TRUE(client->connect(o).ok());
  ReceivedMessage message;
  EXPECT_EQ(client->receive(message, kWait).reason, ReasonCode::PacketTooLarge);
  mqtt::Packet storage;
  const auto* disconnect = packet_as<mqtt::Disconnect>(server.packets_from_client(), 0,
                                                       Version::v5, storage);
  ASSERT_NE(disconnect, nullptr);
  EXPECT_EQ(disconnect->reason, ReasonCode::PacketTooLarge);
}

}  // namespace
}  // namespace attestmq::client::testing
