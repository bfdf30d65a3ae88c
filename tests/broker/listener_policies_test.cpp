// Engine::update_listener_policies: new ACL rules reach clients that are already connected
// (their next publish, subscribe and delivery) and sessions that are offline, without
// ending any session; a replacement that does not fit the listeners changes nothing.
#include "broker/access_control.hpp"
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

// "admin" reads and writes everything; "alice" reads and writes under `alice_topics`.
std::shared_ptr<const AccessControl> acl_for_alice(std::string alice_topics) {
  auto acl = std::make_shared<AccessControl>();
  acl->add_topic_rule(std::string("admin"), {AclAccess::readwrite, "#"});
  acl->add_topic_rule(std::string("alice"), {AclAccess::readwrite, std::move(alice_topics)});
  return acl;
}

Settings settings_with(std::shared_ptr<const AccessControl> acl) {
  Settings settings = open_settings();
  settings.listeners.front().acl = std::move(acl);
  return settings;
}

std::vector<ListenerPolicy> policies_with(std::shared_ptr<const AccessControl> acl) {
  return settings_with(std::move(acl)).listeners;
}

class ListenerPoliciesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(admin.connect("admin-1", ConnectOptions().user("admin")).reason, ReasonCode::Success);
    ASSERT_EQ(alice.connect("alice-1", ConnectOptions().user("alice")).reason, ReasonCode::Success);
  }

  Broker broker{settings_with(acl_for_alice("a/#"))};
  TestClient admin{broker, Version::v5};
  TestClient alice{broker, Version::v5};
};

TEST_F(ListenerPoliciesTest, TheNextPublishMeetsTheNewRules) {
  admin.subscribe("#", 0);
  alice.publish("a/before", "allowed", 1, false, 1);
  EXPECT_EQ(alice.take<mqtt::Puback>().reason, ReasonCode::Success);
  EXPECT_EQ(admin.take<mqtt::Publish>().topic, "a/before");

  broker.engine->update_listener_policies(policies_with(acl_for_alice("b/#")));
  alice.publish("a/after", "now refused", 1, false, 2);
  EXPECT_EQ(alice.take<mqtt::Puback>().reason, ReasonCode::NotAuthorized);
  alice.publish("b/after", "now allowed", 1, false, 3);
  EXPECT_EQ(alice.take<mqtt::Puback>().reason, ReasonCode::Success);
  const auto delivered = admin.receive_all();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(std::get<mqtt::Publish>(delivered[0]).topic, "b/after");
  EXPECT_FALSE(alice.closed());
}

TEST_F(ListenerPoliciesTest, DeliveryOnAnExistingSubscriptionMeetsTheNewRules) {
  alice.subscribe("a/#", 0);
  broker.engine->update_listener_policies(policies_with(acl_for_alice("a/public/#")));
  admin.publish("a/secret", "no longer readable");
  admin.publish("a/public/news", "still readable");
  const auto delivered = alice.receive_all();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(std::get<mqtt::Publish>(delivered[0]).topic, "a/public/news");
}

TEST_F(ListenerPoliciesTest, TheNextSubscribeMeetsTheNewRules) {
  broker.engine->update_listener_policies(policies_with(acl_for_alice("b/#")));
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 5;
  for (const char* filter : {"a/#", "b/#"}) {
    mqtt::Subscription subscription;
    subscription.filter = filter;
    subscribe.subscriptions.push_back(subscription);
  }
  alice.send(subscribe);
  const auto suback = alice.take<mqtt::Suback>();
  ASSERT_EQ(suback.reasons.size(), 2u);
  EXPECT_EQ(suback.reasons[0], ReasonCode::NotAuthorized);
  EXPECT_EQ(suback.reasons[1], ReasonCode::Success);  // granted QoS 0
}

TEST_F(ListenerPoliciesTest, AnOfflineSessionQueuesOnlyWhatTheNewRulesLetItRead) {
  TestClient offline(broker, Version::v5);
  ASSERT_EQ(offline.connect("alice-2", persistent().user("alice")).reason, ReasonCode::Success);
  offline.subscribe("a/#", 1);
  offline.send(mqtt::Disconnect{});
  broker.engine->update_listener_policies(policies_with(acl_for_alice("a/public/#")));
  admin.publish("a/secret", "not for alice any more", 1, false, 7);
  admin.publish("a/public/news", "for alice", 1, false, 8);
  TestClient back(broker, Version::v5);
  EXPECT_TRUE(back.connect("alice-2", persistent().user("alice")).session_present);
  const auto delivered = back.receive_all();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(std::get<mqtt::Publish>(delivered[0]).topic, "a/public/news");
}

TEST_F(ListenerPoliciesTest, AReplacementForOtherListenersChangesNothing) {
  admin.subscribe("#", 0);
  auto two = policies_with(acl_for_alice("b/#"));
  two.push_back(two.front());
  broker.engine->update_listener_policies(std::move(two));
  EXPECT_TRUE(broker.host.logged("Listener policies not replaced: 2 given for 1 listeners."));
  alice.publish("a/still", "allowed", 1, false, 4);
  EXPECT_EQ(alice.take<mqtt::Puback>().reason, ReasonCode::Success);
  EXPECT_EQ(admin.take<mqtt::Publish>().topic, "a/still");
}

}  // namespace
}  // namespace attestmq::broker::testing
