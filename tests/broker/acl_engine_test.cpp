// The acl_file in the engine (MQTT 5.0 sections 3.3.4 and 3.9.3, MQTT 3.1.1 section 3.9.3):
// PUBLISH the client may not write, SUBSCRIBE per filter, delivery only to subscribers that
// may read, retained messages (stored and sent on subscribe) and will messages.
#include "broker/access_control.hpp"
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

// Anonymous clients: open/# both ways except open/secret/#, news/# read only, upload/#
// write only, and clients/<own id>/# both ways. User "reader" reads everything, user
// "admin" reads and writes everything.
Settings acl_settings() {
  auto acl = std::make_shared<AccessControl>();
  acl->add_topic_rule(std::nullopt, {AclAccess::readwrite, "open/#"});
  acl->add_topic_rule(std::nullopt, {AclAccess::deny, "open/secret/#"});
  acl->add_topic_rule(std::nullopt, {AclAccess::read, "news/#"});
  acl->add_topic_rule(std::nullopt, {AclAccess::write, "upload/#"});
  acl->add_topic_rule(std::string("reader"), {AclAccess::read, "#"});
  acl->add_topic_rule(std::string("admin"), {AclAccess::readwrite, "#"});
  acl->add_pattern_rule({AclAccess::readwrite, "clients/%c/#"});
  Settings settings = open_settings();
  settings.listeners.front().acl = std::move(acl);
  return settings;
}

mqtt::Subscribe subscribe_packet(std::uint16_t packet_id,
                                 std::initializer_list<std::string_view> filters) {
  mqtt::Subscribe packet;
  packet.packet_id = packet_id;
  for (std::string_view filter : filters) {
    mqtt::Subscription sub;
    sub.filter = filter;
    sub.qos = 1;
    packet.subscriptions.push_back(sub);
  }
  return packet;
}

class AclEngineTest : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    reader.connect("reader-1", ConnectOptions().user("reader"));
    reader.subscribe("#", 2);
    client.connect("p");
  }
  bool v5() const { return GetParam() == Version::v5; }

  Broker broker{acl_settings()};
  TestClient reader{broker, Version::v5};
  TestClient client{broker, GetParam()};
};

TEST_P(AclEngineTest, PublishNotWritableIsNotDelivered) {
  client.publish("news/a", "q0", 0);
  client.publish("news/a", "q1", 1, false, 10);
  client.publish("news/a", "q2", 2, false, 11);
  auto puback = client.take<mqtt::Puback>();
  EXPECT_EQ(puback.packet_id, 10);
  auto pubrec = client.take<mqtt::Pubrec>();
  EXPECT_EQ(pubrec.packet_id, 11);
  if (v5()) {
    // Section 3.3.4: 0x87 Not authorized.
    EXPECT_EQ(puback.reason, ReasonCode::NotAuthorized);
    EXPECT_EQ(pubrec.reason, ReasonCode::NotAuthorized);
  } else {
    // 3.1.1 acks carry no reason: the QoS 2 exchange completes as usual.
    client.send(mqtt::Pubrel{11, ReasonCode::Success, {}});
    EXPECT_EQ(client.take<mqtt::Pubcomp>().packet_id, 11);
  }
  EXPECT_TRUE(client.idle());
  EXPECT_TRUE(reader.idle());
  EXPECT_TRUE(broker.host.logged("Denied PUBLISH from p (q1, r0, 'news/a'): acl_file"));
}

TEST_P(AclEngineTest, PublishWritableIsDelivered) {
  client.publish("open/a", "hello", 1, false, 12);
  auto puback = client.take<mqtt::Puback>();
  EXPECT_EQ(puback.packet_id, 12);
  EXPECT_EQ(puback.reason, ReasonCode::Success);
  EXPECT_EQ(TestClient::text_of(reader.take<mqtt::Publish>().payload), "hello");
  client.publish("clients/p/state", "mine", 0);
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "clients/p/state");
  client.publish("clients/other/state", "theirs", 0);
  EXPECT_TRUE(reader.idle());
}

TEST_P(AclEngineTest, SubscribeRefusesOnlyTheUnauthorizedFilters) {
  client.send(subscribe_packet(7, {"upload/#", "news/#", "open/secret/#", "#", "$SYS/#"}));
  auto suback = client.take<mqtt::Suback>();
  EXPECT_EQ(suback.packet_id, 7);
  // Section 3.9.3: 0x87 in 5.0, 0x80 Failure in 3.1.1.
  const ReasonCode refused = v5() ? ReasonCode::NotAuthorized : ReasonCode::UnspecifiedError;
  const std::vector<ReasonCode> expected{refused, ReasonCode::GrantedQos1, refused,
                                         ReasonCode::GrantedQos1, refused};
  EXPECT_EQ(suback.reasons, expected);
  EXPECT_TRUE(broker.host.logged("Denied SUBSCRIBE from p to 'upload/#': acl_file"));
}

TEST_P(AclEngineTest, DeliveryOnlyToSubscribersThatMayRead) {
  client.subscribe("#", 1);
  TestClient writer(broker, Version::v5);
  writer.connect("w");
  writer.publish("upload/file", "data", 1, false, 3);  // anonymous: write only
  EXPECT_EQ(writer.take<mqtt::Puback>().reason, ReasonCode::Success);
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "upload/file");
  writer.publish("clients/w/x", "own", 0);  // readable by w and reader, not by p
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "clients/w/x");
  writer.publish("open/x", "shared", 0);
  EXPECT_EQ(client.take<mqtt::Publish>().topic, "open/x");
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "open/x");
  EXPECT_TRUE(client.idle());
  EXPECT_TRUE(reader.idle());
}

TEST_P(AclEngineTest, DeniedRetainedPublishLeavesTheStoreAlone) {
  TestClient admin(broker, Version::v5);
  admin.connect("admin-1", ConnectOptions().user("admin"));
  admin.publish("news/today", "old", 0, true);
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "news/today");
  client.publish("news/today", "new", 0, true);
  client.publish("news/today", "", 0, true);  // an empty retained payload would clear it
  EXPECT_TRUE(reader.idle());
  TestClient late(broker, Version::v5);
  late.connect("late", ConnectOptions().user("reader"));
  late.subscribe("news/#", 0);
  auto retained = late.take<mqtt::Publish>();
  EXPECT_TRUE(retained.retain);
  EXPECT_EQ(TestClient::text_of(retained.payload), "old");
}

TEST_P(AclEngineTest, RetainedOnSubscribeOnlyWhenReadable) {
  TestClient admin(broker, Version::v5);
  admin.connect("admin-1", ConnectOptions().user("admin"));
  admin.publish("upload/u", "hidden", 0, true);
  admin.publish("open/o", "visible", 0, true);
  admin.publish("open/secret/s", "hidden", 0, true);
  reader.receive_all();
  client.subscribe("#", 0);
  auto retained = client.take<mqtt::Publish>();
  EXPECT_EQ(retained.topic, "open/o");
  EXPECT_TRUE(client.idle());
}

TEST_P(AclEngineTest, WillToATopicNotWritableIsDropped) {
  TestClient dying(broker, GetParam());
  mqtt::Will will;
  will.topic = "news/will";
  will.payload = TestClient::bytes_of("gone");
  dying.connect("d", ConnectOptions().with_will(will));
  broker.engine->closed(dying.id());
  EXPECT_TRUE(reader.idle());
  EXPECT_TRUE(broker.host.logged("Denied will of d to 'news/will': acl_file"));
}

TEST_P(AclEngineTest, WillGoesOnlyToSubscribersThatMayRead) {
  client.subscribe("#", 0);
  TestClient dying(broker, GetParam());
  mqtt::Will will;
  will.topic = "clients/d/status";
  will.payload = TestClient::bytes_of("gone");
  dying.connect("d", ConnectOptions().with_will(will));
  broker.engine->closed(dying.id());
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "clients/d/status");
  EXPECT_TRUE(client.idle());  // anonymous p may read only its own clients/p/#
}

TEST_P(AclEngineTest, UserWithoutSectionGetsOnlyPatterns) {
  TestClient stranger(broker, GetParam());
  stranger.connect("s", ConnectOptions().user("stranger"));
  stranger.publish("open/a", "x", 1, false, 5);  // anonymous rules are not a user's
  stranger.publish("clients/s/a", "y", 1, false, 6);
  const auto first = stranger.take<mqtt::Puback>();
  const auto second = stranger.take<mqtt::Puback>();
  if (v5()) {
    EXPECT_EQ(first.reason, ReasonCode::NotAuthorized);
    EXPECT_EQ(second.reason, ReasonCode::Success);
  }
  EXPECT_EQ(reader.take<mqtt::Publish>().topic, "clients/s/a");
  EXPECT_TRUE(reader.idle());
}

TEST_P(AclEngineTest, RulesFollowTheUsernameOfEachConnect) {
  TestClient first(broker, GetParam());
  first.connect("x", persistent().user("reader"));
  first.subscribe("#", 1);
  broker.engine->closed(first.id());
  TestClient again(broker, GetParam());
  EXPECT_TRUE(again.connect("x", persistent()).session_present);  // now anonymous
  client.publish("upload/a", "write-only", 1, false, 4);
  client.publish("open/a", "readable", 1, false, 5);
  client.receive_all();
  auto message = again.take<mqtt::Publish>();
  EXPECT_EQ(message.topic, "open/a");
  EXPECT_TRUE(again.idle());
}

INSTANTIATE_TEST_SUITE_P(Versions, AclEngineTest, both_versions(), version_name);

TEST(AclEngine, SharedGroupPrefersAMemberThatMayRead) {
  Broker broker{acl_settings()};
  TestClient anonymous(broker, Version::v5);
  anonymous.connect("a");
  anonymous.subscribe("$share/g/#", 0);
  TestClient reader(broker, Version::v5);
  reader.connect("r", ConnectOptions().user("reader"));
  reader.subscribe("$share/g/#", 0);
  TestClient admin(broker, Version::v5);
  admin.connect("admin-1", ConnectOptions().user("admin"));
  for (int i = 0; i < 4; ++i) admin.publish("upload/n", "x", 0);  // anonymous: write only
  EXPECT_EQ(reader.receive_all().size(), 4u);
  EXPECT_TRUE(anonymous.idle());
}

}  // namespace
}  // namespace attestmq::broker::testing
