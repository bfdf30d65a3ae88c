// Session resumption against what the new connection may see (issue #7 items A, B and 6):
// read access is asked again for every stored message that goes out (MQTT 5.0 section 4.4
// resends, queued messages), the new connection's Receive Maximum bounds the resent window
// (section 3.3.4 [MQTT-3.3.4-9]), and a take-over that continues the session withholds the old
// connection's will (section 3.1.2.5).
#include <tuple>

#include "broker/access_control.hpp"
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

// Alice may read secret/#; Bob only public/#.
Settings alice_and_bob() {
  auto acl = std::make_shared<AccessControl>();
  acl->add_topic_rule(std::string("alice"), {AclAccess::read, "secret/#"});
  acl->add_topic_rule(std::string("bob"), {AclAccess::read, "public/#"});
  acl->add_topic_rule(std::string("writer"), {AclAccess::write, "#"});
  Settings settings = open_settings();
  settings.listeners.front().acl = std::move(acl);
  return settings;
}

std::vector<mqtt::Publish> publishes(TestClient& client) {
  std::vector<mqtt::Publish> out;
  for (auto& packet : client.receive_all())
    if (auto* p = std::get_if<mqtt::Publish>(&packet)) out.push_back(std::move(*p));
  return out;
}

// Alice subscribes to secret/# at QoS 1 in a persistent session under `client_id` and
// leaves; then the writer publishes to secret/plans, which is queued for her.
void queue_a_secret_for_alice(Broker& broker, Version version, std::string_view client_id) {
  {
    TestClient alice(broker, version);
    alice.connect(client_id, persistent().user("alice"));
    alice.subscribe("secret/#", 1);
    alice.send(mqtt::Disconnect{});
  }
  TestClient writer(broker, Version::v5);
  writer.connect("w", ConnectOptions().user("writer"));
  writer.publish("secret/plans", "attack at dawn", 1);
}

class ResumeAclTest : public ::testing::TestWithParam<Version> {};

// The review's reproduction: a message queued for Alice's offline session is not handed to
// Bob when he connects with her client id and clean start 0.
TEST_P(ResumeAclTest, QueuedMessageIsNotHandedToAnotherUser) {
  Broker broker(alice_and_bob());
  queue_a_secret_for_alice(broker, GetParam(), "alice-box");
  TestClient bob(broker, GetParam());
  EXPECT_TRUE(bob.connect("alice-box", persistent().user("bob")).session_present);
  EXPECT_TRUE(publishes(bob).empty());
  EXPECT_TRUE(broker.host.logged("Denied delivery of a stored message to alice-box on 'secret/plans'"));
}

// Messages already sent once (in flight, unacknowledged) are resent only to a user who may
// read them; Alice herself still gets hers with DUP.
TEST_P(ResumeAclTest, InflightMessagesAreResentOnlyToAReader) {
  for (const char* user : {"bob", "alice"}) {
    Broker broker(alice_and_bob());
    {
      TestClient alice(broker, GetParam());
      alice.connect("alice-box", persistent().user("alice"));
      alice.subscribe("secret/#", 1);
      TestClient writer(broker, Version::v5);
      writer.connect("w", ConnectOptions().user("writer"));
      writer.publish("secret/plans", "attack at dawn", 1);
      ASSERT_EQ(publishes(alice).size(), 1u);  // in flight, never acknowledged
    }
    TestClient next(broker, GetParam());
    next.connect("alice-box", persistent().user(user));
    const auto resent = publishes(next);
    if (std::string_view(user) == "bob") {
      EXPECT_TRUE(resent.empty());
    } else {
      ASSERT_EQ(resent.size(), 1u);
      EXPECT_TRUE(resent[0].dup);
    }
  }
}

TEST_P(ResumeAclTest, UseUsernameAsClientIdKeepsEachUserInHisOwnSession) {
  Settings settings = alice_and_bob();
  settings.listeners.front().use_username_as_clientid = true;
  Broker broker(settings);
  queue_a_secret_for_alice(broker, GetParam(), "shared-id");
  TestClient bob(broker, GetParam());
  EXPECT_FALSE(bob.connect("shared-id", persistent().user("bob")).session_present)
      << "Bob's session is 'bob', not the client id he asked for";
  TestClient alice(broker, GetParam());
  EXPECT_TRUE(alice.connect("anything", persistent().user("alice")).session_present);
  EXPECT_EQ(publishes(alice).size(), 1u);
}

TEST_P(ResumeAclTest, UseUsernameAsClientIdRefusesAnonymousClients) {
  Settings settings = open_settings();
  settings.listeners.front().use_username_as_clientid = true;
  Broker broker(settings);
  TestClient client(broker, GetParam());
  EXPECT_EQ(client.connect("c").reason, ReasonCode::NotAuthorized);
  EXPECT_TRUE(client.closed());
}

INSTANTIATE_TEST_SUITE_P(Versions, ResumeAclTest, both_versions(), version_name);

// The review's reproduction: 10 unacknowledged QoS 1 messages, a reconnect with Receive
// Maximum 2; only 2 PUBLISH may be outstanding, the rest follow the PUBACKs in order.
TEST(ResumeReceiveMaximum, ResentWindowObeysTheNewReceiveMaximum) {
  Broker broker;
  {
    TestClient sub(broker, Version::v5);
    sub.connect("sub", persistent());
    sub.subscribe("t", 1);
    TestClient pub(broker, Version::v5);
    pub.connect("pub");
    for (int i = 0; i < 10; ++i) pub.publish("t", std::to_string(i), 1);
    ASSERT_EQ(publishes(sub).size(), 10u);
  }
  TestClient sub(broker, Version::v5);
  ConnectOptions options = persistent();
  options.properties.receive_maximum = 2;
  ASSERT_TRUE(sub.connect("sub", options).session_present);
  std::vector<std::string> seen;
  for (int round = 0; round < 6; ++round) {
    const auto resent = publishes(sub);
    ASSERT_LE(resent.size(), 2u) << "round " << round;
    for (const auto& p : resent) {
      EXPECT_TRUE(p.dup);
      seen.push_back(TestClient::text_of(p.payload));
      sub.send(mqtt::Puback{p.packet_id, ReasonCode::Success, {}});
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
}

// New messages wait behind the held-back ones (section 4.6: order per topic).
TEST(ResumeReceiveMaximum, NewMessagesQueueBehindTheHeldBackOnes) {
  Broker broker;
  TestClient pub(broker, Version::v5);
  pub.connect("pub");
  {
    TestClient sub(broker, Version::v5);
    sub.connect("sub", persistent());
    sub.subscribe("t", 1);
    for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), 1);
  }
  TestClient sub(broker, Version::v5);
  ConnectOptions options = persistent();
  options.properties.receive_maximum = 1;
  sub.connect("sub", options);
  pub.publish("t", "new", 1);
  std::vector<std::string> seen;
  for (int round = 0; round < 5; ++round) {
    const auto got = publishes(sub);
    ASSERT_LE(got.size(), 1u);
    for (const auto& p : got) {
      seen.push_back(TestClient::text_of(p.payload));
      sub.send(mqtt::Puback{p.packet_id, ReasonCode::Success, {}});
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2", "new"}));
}

mqtt::Will will_to(std::string_view topic) {
  mqtt::Will will;
  will.topic = topic;
  will.payload = TestClient::bytes_of("gone");
  return will;
}

// Parameters: the version, and whether the new connection asks for Clean Start.
class TakeOverWillTest : public ::testing::TestWithParam<std::tuple<Version, bool>> {};

TEST_P(TakeOverWillTest, TheWillIsPublishedOnlyWhenTheSessionEnds) {
  const auto [version, clean_start] = GetParam();
  Broker broker;
  TestClient watcher(broker, Version::v5);
  watcher.connect("watcher");
  watcher.subscribe("wills/#", 0);
  TestClient first(broker, version);
  first.connect("dev", persistent().with_will(will_to("wills/dev")));
  TestClient second(broker, version);
  ConnectOptions options = persistent();
  options.clean(clean_start);
  EXPECT_EQ(second.connect("dev", options).session_present, !clean_start);
  EXPECT_TRUE(first.closed());
  std::vector<std::string> topics;
  for (const auto& will : publishes(watcher)) topics.emplace_back(will.topic);
  EXPECT_EQ(topics, clean_start ? std::vector<std::string>{"wills/dev"} : std::vector<std::string>{});
}

// A session that ends when its connection does (3.1.1 clean session, 5.0 expiry 0) does not
// continue into the new connection, whatever it asks: the will is published.
TEST_P(TakeOverWillTest, TakingOverASessionThatEndsPublishesTheWill) {
  const Version version = std::get<0>(GetParam());
  Broker broker;
  TestClient watcher(broker, Version::v5);
  watcher.connect("watcher");
  watcher.subscribe("wills/#", 0);
  TestClient first(broker, version);
  first.connect("dev", ConnectOptions().with_will(will_to("wills/dev")));
  TestClient second(broker, version);
  EXPECT_FALSE(second.connect("dev", persistent()).session_present);
  EXPECT_EQ(publishes(watcher).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(VersionsAndCleanStart, TakeOverWillTest,
                         ::testing::Combine(both_versions(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == Version::v5 ? "v5" : "v311") +
                                  (std::get<1>(info.param) ? "_clean_start" : "_continued");
                         });

}  // namespace
}  // namespace attestmq::broker::testing
