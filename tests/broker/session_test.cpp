// Session lifetime (MQTT 5.0 sections 3.1.2.4, 3.1.2.11.2, 3.14.2.2.2; 3.1.1 section
// 3.1.2.4): expiry of offline sessions, the DISCONNECT that changes it, and 3.1.1 persistent
// sessions that only expire with persistent_client_expiration.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

// Connects `id` persistently, subscribes to "t" at QoS 1 and drops the network.
void leave_session(Broker& broker, Version version, std::string_view id, ConnectOptions options) {
  TestClient client(broker, version);
  client.connect(id, options);
  client.subscribe("t", 1);
  broker.engine->closed(client.id());
}

TEST(SessionExpiry, OfflineSessionEndsAfterItsInterval) {
  Broker broker;
  leave_session(broker, Version::v5, "s", persistent(10));
  EXPECT_EQ(broker.engine->stats().clients_total, 1u);
  broker.advance(9'000);
  TestClient early(broker, Version::v5);
  EXPECT_TRUE(early.connect("s", persistent(10)).session_present);
  broker.engine->closed(early.id());
  broker.advance(10'000);
  EXPECT_EQ(broker.engine->stats().clients_total, 0u);
  EXPECT_EQ(broker.engine->stats().subscriptions, 0u);
  TestClient late(broker, Version::v5);
  EXPECT_FALSE(late.connect("s", persistent(10)).session_present);
}

TEST(SessionExpiry, DisconnectCanShortenIt) {
  Broker broker;
  TestClient client(broker, Version::v5);
  client.connect("s", persistent(3600));
  mqtt::Disconnect disconnect;
  disconnect.properties.session_expiry_interval = 0;
  client.send(disconnect);
  EXPECT_EQ(broker.engine->stats().clients_total, 0u);
}

TEST(SessionExpiry, V311PersistentSessionNeverExpiresByDefault) {
  Broker broker;
  leave_session(broker, Version::v311, "s", ConnectOptions().clean(false));
  broker.advance(365ull * 24 * 3600 * 1000);
  TestClient back(broker, Version::v311);
  EXPECT_TRUE(back.connect("s", ConnectOptions().clean(false)).session_present);
}

TEST(SessionExpiry, V311PersistentClientExpiration) {
  Settings settings = open_settings();
  settings.persistent_client_expiration_s = 60;
  Broker broker(settings);
  leave_session(broker, Version::v311, "s", ConnectOptions().clean(false));
  broker.advance(61'000);
  TestClient back(broker, Version::v311);
  EXPECT_FALSE(back.connect("s", ConnectOptions().clean(false)).session_present);
}

TEST(SessionExpiry, SharedMemberThatLeavesHandsOverToTheOthers) {
  Broker broker;
  TestClient pub(broker, Version::v5), stays(broker, Version::v5);
  pub.connect("pub");
  stays.connect("stays");
  stays.subscribe("$share/g/t", 0);
  {
    TestClient leaves(broker, Version::v5);
    leaves.connect("leaves");
    leaves.subscribe("$share/g/t", 0);
    broker.engine->closed(leaves.id());
  }
  for (int i = 0; i < 3; ++i) pub.publish("t", "m");
  EXPECT_EQ(stays.receive_all().size(), 3u);
}

}  // namespace
}  // namespace attestmq::broker::testing
