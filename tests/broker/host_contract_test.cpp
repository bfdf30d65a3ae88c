// The host side of the engine interface (DESIGN.md section 1): closed() may come from inside
// Host::close() (the harness default) or later, for ids the engine knows or not, and a host
// may reuse a connection id.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

TEST(HostContract, ClosedReportedLaterAfterTakeOver) {
  Broker broker;
  broker.host.engine = nullptr;  // this host reports closed() on its own schedule
  TestClient first(broker, Version::v5);
  first.connect("c");
  TestClient second(broker, Version::v5);
  second.connect("c");
  EXPECT_TRUE(first.closed());
  first.send(mqtt::Pingreq{});  // input after close is ignored
  first.take<mqtt::Disconnect>();
  EXPECT_TRUE(first.idle());
  broker.engine->closed(first.id());
  broker.engine->closed(first.id());
  broker.engine->closed(9999);
  second.send(mqtt::Pingreq{});
  second.take<mqtt::Pingresp>();
  EXPECT_EQ(broker.engine->stats().clients_connected, 1u);
}

TEST(HostContract, ReusedConnectionIdEndsTheOldConnection) {
  Broker broker;
  TestClient watcher(broker, Version::v5);
  watcher.connect("watcher");
  watcher.subscribe("wills/#", 0);
  TestClient client(broker, Version::v5);
  mqtt::Will will;
  will.topic = "wills/c";
  client.connect("c", ConnectOptions().with_will(will));
  broker.engine->open(client.id(), connection_info(0, "127.0.0.1:1"));
  EXPECT_EQ(watcher.take<mqtt::Publish>().topic, "wills/c");
  EXPECT_EQ(client.connect("c").reason, ReasonCode::Success);
  EXPECT_EQ(broker.engine->stats().clients_connected, 2u);
}

TEST(HostContract, DisconnectLogLines) {
  Broker broker;
  TestClient client(broker, Version::v311);
  client.connect("polite");
  client.send(mqtt::Disconnect{});
  EXPECT_TRUE(broker.host.logged("Client polite disconnected."));
}

}  // namespace
}  // namespace attestmq::broker::testing
