// Mosquitto behaviour users carry over (issue #7 items 4, 5 and 7): MQTT 3.1 ("MQIsdp"),
// max_keepalive for clients that cannot be told a Server Keep Alive, max_inflight_bytes and
// upgrade_outgoing_qos.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

mqtt::Connack connect_31(TestClient& client, std::string_view client_id, std::uint16_t keep_alive = 60) {
  mqtt::Connect packet;
  packet.version = Version::v311;
  packet.mqtt31 = true;
  packet.client_id = client_id;
  packet.keep_alive = keep_alive;
  client.send(packet);
  return client.take<mqtt::Connack>();
}

TEST(Mqtt31, MQIsdpLevel3IsServedAs311) {
  Broker broker;
  TestClient client(broker, Version::v311);
  EXPECT_EQ(connect_31(client, "legacy-device").reason, ReasonCode::Success);
  client.subscribe("t", 1);
  client.publish("t", "hello", 1);
  EXPECT_EQ(TestClient::text_of(client.take<mqtt::Publish>().payload), "hello");
  EXPECT_EQ(client.take<mqtt::Puback>().packet_id, 2);
}

// MQTT V3.1's CONNACK has no Session Present flag: the byte is reserved, so it stays 0 even
// when a persistent session resumes.
TEST(Mqtt31, ConnackNeverSaysSessionPresent) {
  Broker broker;
  {
    TestClient first(broker, Version::v311);
    mqtt::Connect packet;
    packet.version = Version::v311;
    packet.mqtt31 = true;
    packet.clean_start = false;
    packet.client_id = "legacy";
    first.send(packet);
    first.take<mqtt::Connack>();
    first.send(mqtt::Disconnect{});
  }
  TestClient again(broker, Version::v311);
  mqtt::Connect packet;
  packet.version = Version::v311;
  packet.mqtt31 = true;
  packet.clean_start = false;
  packet.client_id = "legacy";
  again.send(packet);
  EXPECT_FALSE(again.take<mqtt::Connack>().session_present);
}

// MQTT V3.1 section 3.1: a client identifier of 1 to 23 characters, else return code 2.
TEST(Mqtt31, ClientIdentifierOutside1To23IsRefusedWith2) {
  for (const std::string_view id : {std::string_view(""), std::string_view("abcdefghijklmnopqrstuvwx")}) {
    Broker broker;
    TestClient client(broker, Version::v311);
    EXPECT_EQ(connect_31(client, id).reason, ReasonCode::ClientIdentifierNotValid) << id.size();
    EXPECT_TRUE(client.closed());
  }
  Broker broker;
  TestClient client(broker, Version::v311);
  EXPECT_EQ(connect_31(client, "abcdefghijklmnopqrstuvw").reason, ReasonCode::Success);
}

// mosquitto.conf(5) max_keepalive: a 3.1.1 or 3.1 client asking for more (or for 0, never)
// gets return code 2 "identifier rejected"; a 5.0 client is told a Server Keep Alive.
TEST(MaxKeepalive, OlderClientsAboveTheLimitAreRefusedWith2) {
  Settings settings = open_settings();
  settings.max_keepalive = 60;
  Broker broker(settings);
  for (const std::uint16_t keep_alive : {std::uint16_t{61}, std::uint16_t{0}}) {
    TestClient v311(broker, Version::v311);
    EXPECT_EQ(v311.connect("a", ConnectOptions().keepalive(keep_alive)).reason,
              ReasonCode::ClientIdentifierNotValid);
    TestClient v31(broker, Version::v311);
    EXPECT_EQ(connect_31(v31, "b", keep_alive).reason, ReasonCode::ClientIdentifierNotValid);
    TestClient v5(broker, Version::v5);
    const auto connack = v5.connect("c", ConnectOptions().keepalive(keep_alive));
    EXPECT_EQ(connack.reason, ReasonCode::Success);
    EXPECT_EQ(connack.properties.server_keep_alive, 60);
  }
  TestClient within(broker, Version::v311);
  EXPECT_EQ(within.connect("d", ConnectOptions().keepalive(60)).reason, ReasonCode::Success);
  EXPECT_TRUE(broker.host.logged("keepalive 61 above max_keepalive 60"));
}

TEST(MaxKeepalive, KeepaliveZeroIsAllowedWhileNoLimitIsSet) {
  Broker broker;
  TestClient client(broker, Version::v311);
  EXPECT_EQ(client.connect("a", ConnectOptions().keepalive(0)).reason, ReasonCode::Success);
}

std::size_t count_publishes(TestClient& client, std::vector<std::uint16_t>* ids = nullptr) {
  std::size_t count = 0;
  for (auto& packet : client.receive_all()) {
    if (auto* p = std::get_if<mqtt::Publish>(&packet)) {
      ++count;
      if (ids) ids->push_back(p->packet_id);
    }
  }
  return count;
}

// max_inflight_bytes 100, one QoS 1 subscriber to "t" and a publisher.
class MaxInflightBytes : public ::testing::Test {
 protected:
  static Settings limited() {
    Settings settings = open_settings();
    settings.max_inflight_bytes = 100;
    return settings;
  }
  void SetUp() override {
    sub.connect("sub");
    sub.subscribe("t", 1);
    pub.connect("pub");
  }
  // PUBACK the first message in flight and return how many went out then.
  std::size_t acknowledge_first(const std::vector<std::uint16_t>& ids) {
    sub.send(mqtt::Puback{ids.front(), ReasonCode::Success, {}});
    return count_publishes(sub);
  }

  Broker broker{limited()};
  TestClient sub{broker, Version::v5};
  TestClient pub{broker, Version::v5};
};

TEST_F(MaxInflightBytes, LimitsPayloadBytesInFlight) {
  for (int i = 0; i < 5; ++i) pub.publish("t", std::string(40, 'a'), 1);
  std::vector<std::uint16_t> ids;
  EXPECT_EQ(count_publishes(sub, &ids), 3u) << "sent while below 100 bytes: 0, 40, 80";
  EXPECT_EQ(acknowledge_first(ids), 1u) << "80 bytes again, below 100";
  EXPECT_EQ(count_publishes(sub), 0u);
}

TEST_F(MaxInflightBytes, AMessageLargerThanTheLimitGoesOutAlone) {
  pub.publish("t", std::string(150, 'a'), 1);
  pub.publish("t", "b", 1);
  std::vector<std::uint16_t> ids;
  EXPECT_EQ(count_publishes(sub, &ids), 1u);
  EXPECT_EQ(acknowledge_first(ids), 1u);
}

TEST(UpgradeOutgoingQos, DeliversAtTheSubscriptionQos) {
  for (const bool upgrade : {false, true}) {
    Settings settings = open_settings();
    settings.upgrade_outgoing_qos = upgrade;
    Broker broker(settings);
    TestClient sub(broker, Version::v311), pub(broker, Version::v311);
    sub.connect("sub");
    sub.subscribe("t", 2);
    pub.connect("pub");
    pub.publish("t", "x", 0);
    EXPECT_EQ(sub.take<mqtt::Publish>().qos, upgrade ? 2 : 0);
  }
}

}  // namespace
}  // namespace attestmq::broker::testing
