// $SYS topics (Mosquitto's layout): retained, published at start and every sys_interval.
#include <map>

#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

std::map<std::string, std::string> by_topic(std::vector<mqtt::Packet> packets) {
  std::map<std::string, std::string> values;
  for (auto& packet : packets) {
    auto& publish = std::get<mqtt::Publish>(packet);
    values[std::string(publish.topic)] = TestClient::text_of(publish.payload);
  }
  return values;
}

TEST(SysTopics, PublishedAtStartAndEveryInterval) {
  Settings settings = open_settings();
  settings.sys_interval_s = 10;
  settings.version_string = "attestmq test";
  Broker broker(settings);
  TestClient sub(broker, Version::v311);
  sub.connect("sub");
  sub.subscribe("$SYS/#", 0);
  auto at_start = by_topic(sub.receive_all());
  EXPECT_EQ(at_start["$SYS/broker/version"], "attestmq test");
  EXPECT_EQ(at_start["$SYS/broker/uptime"], "0 seconds");
  EXPECT_EQ(at_start.size(), 12u);

  broker.advance(9'000);
  EXPECT_TRUE(sub.idle());
  broker.advance(1'000);
  auto later = by_topic(sub.receive_all());
  EXPECT_EQ(later["$SYS/broker/uptime"], "10 seconds");
  EXPECT_EQ(later["$SYS/broker/clients/connected"], "1");
  EXPECT_EQ(later["$SYS/broker/clients/total"], "1");
  EXPECT_EQ(later["$SYS/broker/subscriptions/count"], "1");
  EXPECT_EQ(later["$SYS/broker/retained messages/count"], "12");
  EXPECT_NE(later["$SYS/broker/messages/received"], "0");
  EXPECT_NE(later["$SYS/broker/bytes/sent"], "0");
  EXPECT_TRUE(later.contains("$SYS/broker/messages/sent"));
  EXPECT_TRUE(later.contains("$SYS/broker/bytes/received"));
  EXPECT_TRUE(later.contains("$SYS/broker/clients/disconnected"));
  EXPECT_TRUE(later.contains("$SYS/broker/publish/messages/dropped"));
}

TEST(SysTopics, DisabledWithZeroInterval) {
  Broker broker;  // open_settings() sets sys_interval_s = 0
  TestClient sub(broker, Version::v5);
  sub.connect("sub");
  sub.subscribe("$SYS/#", 0);
  broker.advance(60'000);
  EXPECT_TRUE(sub.idle());
}

}  // namespace
}  // namespace attestmq::broker::testing
