// Routing (MQTT 5.0 sections 3.3.4, 3.8.3.1, 4.7, 4.8.2): overlapping subscriptions,
// subscription identifiers, No Local, shared subscriptions, the client's Maximum Packet
// Size, and $SYS being read-only for clients.
#include <algorithm>

#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

class RoutingTest : public ::testing::TestWithParam<Version> {
 protected:
  Broker broker;
};

TEST_P(RoutingTest, OverlappingSubscriptionsDeliverOnceAtHighestQos) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("a/#", 0);
  sub.subscribe("a/+", 1);
  sub.subscribe("a/b", 0);
  pub.publish("a/b", "x", 2);
  auto all = sub.receive_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(std::get<mqtt::Publish>(all[0]).qos, 1);
}

TEST_P(RoutingTest, SharedSubscriptionRoundRobin) {
  TestClient a(broker, GetParam()), b(broker, GetParam()), pub(broker, GetParam());
  a.connect("a");
  b.connect("b");
  pub.connect("pub");
  a.subscribe("$share/g/jobs/#", 0);
  b.subscribe("$share/g/jobs/#", 0);
  for (int i = 0; i < 4; ++i) pub.publish("jobs/1", std::to_string(i));
  EXPECT_EQ(a.receive_all().size(), 2u);
  EXPECT_EQ(b.receive_all().size(), 2u);
}

TEST_P(RoutingTest, SharedGroupPrefersAnOnlineMember) {
  TestClient pub(broker, GetParam()), online(broker, GetParam());
  pub.connect("pub");
  online.connect("online");
  online.subscribe("$share/g/t", 1);
  {
    TestClient leaving(broker, GetParam());
    leaving.connect("leaving", persistent());
    leaving.subscribe("$share/g/t", 1);
    leaving.send(mqtt::Disconnect{});
  }
  for (int i = 0; i < 4; ++i) pub.publish("t", std::to_string(i), 1);
  EXPECT_EQ(online.receive_all().size(), 4u);
}

TEST_P(RoutingTest, SharedAndOrdinarySubscriptionEachGetACopy) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("$share/g/t", 0);
  sub.subscribe("t", 0);
  pub.publish("t", "x");
  EXPECT_EQ(sub.receive_all().size(), 2u);
}

TEST_P(RoutingTest, ClientsCannotPublishToSys) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("$SYS/#", 0);
  pub.publish("$SYS/broker/version", "fake", 1);
  pub.take<mqtt::Puback>();
  EXPECT_TRUE(sub.idle());
  EXPECT_FALSE(pub.closed());
}

TEST_P(RoutingTest, WildcardsDoNotMatchSysTopics) {
  Settings settings = open_settings();
  settings.sys_interval_s = 10;
  Broker with_sys(settings);
  TestClient sub(with_sys, GetParam());
  sub.connect("sub");
  sub.subscribe("#", 0);
  with_sys.advance(10'000);
  EXPECT_TRUE(sub.idle());
}

TEST_P(RoutingTest, UnsubscribeStopsDeliveryAndReportsMissingFilters) {
  TestClient sub(broker, GetParam()), pub(broker, GetParam());
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 0);
  mqtt::Unsubscribe unsubscribe;
  unsubscribe.packet_id = 77;
  unsubscribe.filters = {"t", "never"};
  sub.send(unsubscribe);
  auto unsuback = sub.take<mqtt::Unsuback>();
  EXPECT_EQ(unsuback.packet_id, 77);
  if (GetParam() == Version::v5) {
    ASSERT_EQ(unsuback.reasons.size(), 2u);
    EXPECT_EQ(unsuback.reasons[0], ReasonCode::Success);
    EXPECT_EQ(unsuback.reasons[1], ReasonCode::NoSubscriptionExisted);
  }
  pub.publish("t", "x");
  EXPECT_TRUE(sub.idle());
  EXPECT_EQ(broker.engine->stats().subscriptions, 0u);
}

TEST_P(RoutingTest, SubackGrantsAtMostMaxQosAndRejectsBadFilters) {
  Settings settings = open_settings();
  settings.max_qos = 1;
  Broker limited(settings);
  TestClient sub(limited, GetParam());
  sub.connect("sub");
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 5;
  subscribe.subscriptions = {{"ok/#", 2, false, false, 0}, {"bad/#/x", 0, false, false, 0}};
  sub.send(subscribe);
  auto suback = sub.take<mqtt::Suback>();
  ASSERT_EQ(suback.reasons.size(), 2u);
  EXPECT_EQ(suback.reasons[0], ReasonCode::GrantedQos1);
  EXPECT_EQ(suback.reasons[1], GetParam() == Version::v5 ? ReasonCode::TopicFilterInvalid
                                                         : ReasonCode::UnspecifiedError);
}

INSTANTIATE_TEST_SUITE_P(Versions, RoutingTest, both_versions(), version_name);

TEST(RoutingV5, AllMatchingSubscriptionIdentifiers) {
  Broker broker;
  TestClient sub(broker, Version::v5), pub(broker, Version::v5);
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("a/#", 0, 11);
  sub.subscribe("a/+", 0, 22);
  sub.subscribe("a/b", 0);
  pub.publish("a/b", "x");
  auto got = sub.take<mqtt::Publish>();
  auto ids = got.properties.subscription_identifiers;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{11, 22}));
  EXPECT_TRUE(sub.idle());
}

TEST(RoutingV5, NoLocalSkipsOwnPublications) {
  Broker broker;
  TestClient both(broker, Version::v5), other(broker, Version::v5);
  both.connect("both");
  other.connect("other");
  mqtt::Subscription no_local;
  no_local.no_local = true;
  both.subscribe("t", 0, 0, no_local);
  both.publish("t", "mine");
  EXPECT_TRUE(both.idle());
  other.publish("t", "theirs");
  EXPECT_EQ(TestClient::text_of(both.take<mqtt::Publish>().payload), "theirs");
}

TEST(RoutingV5, NoLocalOnSharedSubscriptionIsAProtocolError) {
  Broker broker;
  TestClient sub(broker, Version::v5);
  sub.connect("sub");
  mqtt::Subscribe subscribe;
  subscribe.packet_id = 1;
  subscribe.subscriptions = {{"$share/g/t", 0, true, false, 0}};
  sub.send(subscribe);
  EXPECT_EQ(sub.take<mqtt::Disconnect>().reason, ReasonCode::ProtocolError);
  EXPECT_TRUE(sub.closed());
}

TEST(RoutingV5, RetainAsPublishedKeepsTheFlag) {
  Broker broker;
  TestClient plain(broker, Version::v5), rap(broker, Version::v5), pub(broker, Version::v5);
  plain.connect("plain");
  rap.connect("rap");
  pub.connect("pub");
  plain.subscribe("t", 0);
  mqtt::Subscription keep;
  keep.retain_as_published = true;
  rap.subscribe("t", 0, 0, keep);
  pub.publish("t", "r", 0, true);
  EXPECT_FALSE(plain.take<mqtt::Publish>().retain);
  EXPECT_TRUE(rap.take<mqtt::Publish>().retain);
}

TEST(RoutingV5, PublicationAboveClientMaximumPacketSizeIsDropped) {
  Broker broker;
  TestClient sub(broker, Version::v5), pub(broker, Version::v5);
  ConnectOptions options;
  options.properties.maximum_packet_size = 40;
  sub.connect("sub", options);
  pub.connect("pub");
  sub.subscribe("t", 1);
  pub.publish("t", std::string(100, 'x'), 1);
  pub.publish("t", "small", 1);
  auto got = sub.take<mqtt::Publish>();
  EXPECT_EQ(TestClient::text_of(got.payload), "small");
  EXPECT_TRUE(sub.idle());
  EXPECT_EQ(broker.engine->stats().messages_dropped, 1u);
}

}  // namespace
}  // namespace attestmq::broker::testing
