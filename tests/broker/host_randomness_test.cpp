// A host without random bytes (Host::random returns false): the engine refuses only what
// needs them, an assigned client identifier (MQTT 5.0 section 3.1.3.1), with Server
// unavailable, and keeps serving everyone else.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

TEST(HostRandomness, AssignedIdentifierRefusedWithServerUnavailableInV5) {
  Broker broker;
  broker.host.random_fails = true;
  TestClient client(broker, Version::v5);
  const auto connack = client.connect("");
  EXPECT_EQ(connack.reason, ReasonCode::ServerUnavailable);
  EXPECT_FALSE(connack.properties.assigned_client_identifier);
  EXPECT_TRUE(client.closed());
  EXPECT_TRUE(broker.host.logged("no random bytes to assign a client identifier"));
}

TEST(HostRandomness, AssignedIdentifierRefusedWithServerUnavailableInV311) {
  Broker broker;
  broker.host.random_fails = true;
  TestClient client(broker, Version::v311);
  const auto connack = client.connect("");
  // MQTT 3.1.1 section 3.2.2.3: return code 3, Server unavailable.
  EXPECT_EQ(mqtt::to_v311_connack(connack.reason), mqtt::ConnackReturnCode::ServerUnavailable);
  EXPECT_TRUE(client.closed());
}

TEST(HostRandomness, ClientsWithTheirOwnIdentifierAreServed) {
  Broker broker;
  broker.host.random_fails = true;
  TestClient subscriber(broker, Version::v5);
  ASSERT_EQ(subscriber.connect("named-subscriber").reason, ReasonCode::Success);
  subscriber.subscribe("t", 0);
  TestClient refused(broker, Version::v5);
  EXPECT_EQ(refused.connect("").reason, ReasonCode::ServerUnavailable);
  TestClient publisher(broker, Version::v311);
  ASSERT_EQ(publisher.connect("named-publisher").reason, ReasonCode::Success);
  publisher.publish("t", "still served");
  const auto message = subscriber.take<mqtt::Publish>();
  EXPECT_EQ(message.topic, "t");
}

TEST(HostRandomness, IdentifiersAreAssignedAgainOnceRandomnessReturns) {
  Broker broker;
  broker.host.random_fails = true;
  TestClient refused(broker, Version::v5);
  EXPECT_EQ(refused.connect("").reason, ReasonCode::ServerUnavailable);
  broker.host.random_fails = false;
  TestClient served(broker, Version::v5);
  const auto connack = served.connect("");
  EXPECT_EQ(connack.reason, ReasonCode::Success);
  EXPECT_TRUE(connack.properties.assigned_client_identifier);
}

}  // namespace
}  // namespace attestmq::broker::testing
