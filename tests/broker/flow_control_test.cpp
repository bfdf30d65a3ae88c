// Slow consumers: once the host holds more than max_client_output_bytes for a client,
// QoS 0 publications to it are dropped and counted and QoS 1/2 wait in its session queue
// until the host reports it writable again.
#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

TEST(FlowControl, SlowConsumerDropsQos0AndQueuesQos1) {
  Settings settings = open_settings();
  settings.max_client_output_bytes = 1000;
  Broker broker(settings);
  TestClient slow(broker, Version::v5), pub(broker, Version::v5);
  slow.connect("slow");
  pub.connect("pub");
  slow.subscribe("t", 1);
  broker.host.backlog[slow.id()] = 5000;  // the socket stopped draining
  pub.publish("t", "first", 0);           // sent; the reply says the backlog is too big
  pub.publish("t", "dropped", 0);
  pub.publish("t", "kept", 1);
  EXPECT_EQ(broker.engine->stats().messages_dropped, 1u);
  auto before = slow.receive_all();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(TestClient::text_of(std::get<mqtt::Publish>(before[0]).payload), "first");
  broker.host.backlog[slow.id()] = 0;
  broker.engine->writable(slow.id());
  auto kept = slow.take<mqtt::Publish>();
  EXPECT_EQ(TestClient::text_of(kept.payload), "kept");
  EXPECT_EQ(kept.qos, 1);
}

TEST(FlowControl, SlowConsumerDoesNotSlowOthers) {
  Settings settings = open_settings();
  settings.max_client_output_bytes = 1000;
  Broker broker(settings);
  TestClient slow(broker, Version::v311), fast(broker, Version::v311), pub(broker, Version::v311);
  slow.connect("slow");
  fast.connect("fast");
  pub.connect("pub");
  slow.subscribe("t", 0);
  fast.subscribe("t", 0);
  broker.host.backlog[slow.id()] = 5000;
  for (int i = 0; i < 10; ++i) pub.publish("t", "m");
  EXPECT_EQ(fast.receive_all().size(), 10u);
  EXPECT_EQ(slow.receive_all().size(), 1u);
  EXPECT_EQ(broker.engine->stats().messages_dropped, 9u);
}

}  // namespace
}  // namespace attestmq::broker::testing
