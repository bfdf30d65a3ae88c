// InflightWindow: send order, lookups by packet id, and the switch to a bitmap once many
// messages are in flight.
#include "broker/inflight_window.hpp"

#include <gtest/gtest.h>

#include "harness.hpp"

namespace attestmq::broker::testing {
namespace {

InflightMessage entry(std::uint16_t packet_id, bool awaiting_pubcomp = false) {
  InflightMessage message;
  message.packet_id = packet_id;
  message.awaiting_pubcomp = awaiting_pubcomp;
  return message;
}

TEST(InflightWindow, KeepsSendOrderAndFindsIdsAcrossTheBitmapSwitch) {
  InflightWindow window;
  for (std::uint16_t id = 100; id < 140; ++id) window.push_back(entry(id));
  EXPECT_EQ(window.size(), 40u);
  EXPECT_TRUE(window.contains(100));
  EXPECT_TRUE(window.contains(139));
  EXPECT_FALSE(window.contains(140));
  EXPECT_FALSE(window.contains(99));
  window.erase(window.find(120));
  EXPECT_FALSE(window.contains(120));
  EXPECT_EQ(window.find(120), window.end());
  window.erase(window.end() - 1);
  EXPECT_FALSE(window.contains(139));
  EXPECT_EQ(window.begin()->packet_id, 100);
  EXPECT_EQ(window.back().packet_id, 138);
  window.push_back(entry(65535));
  EXPECT_TRUE(window.contains(65535));
}

TEST(InflightWindow, SmallWindowLinearLookups) {
  InflightWindow window;
  window.push_back(entry(1));
  window.push_back(entry(2, true));
  EXPECT_TRUE(window.find(2)->awaiting_pubcomp);
  window.erase(window.begin());
  EXPECT_FALSE(window.contains(1));
  EXPECT_EQ(window.size(), 1u);
}

TEST(InflightWindow, LargeWindowThroughTheEngineGivesDistinctIds) {
  Settings settings = open_settings();
  settings.max_inflight_messages = 0;  // 65535
  Broker broker(settings);
  TestClient sub(broker, Version::v5), pub(broker, Version::v5);
  sub.connect("sub");
  pub.connect("pub");
  sub.subscribe("t", 1);
  for (int i = 0; i < 100; ++i) pub.publish("t", "m", 1);
  std::set<std::uint16_t> ids;
  for (auto& packet : sub.receive_all()) ids.insert(std::get<mqtt::Publish>(packet).packet_id);
  EXPECT_EQ(ids.size(), 100u);
  for (auto it = ids.rbegin(); it != ids.rend(); ++it)  // acknowledged out of order
    sub.send(mqtt::Puback{*it, ReasonCode::Success, {}});
  pub.publish("t", "after", 1);
  EXPECT_EQ(TestClient::text_of(sub.take<mqtt::Publish>().payload), "after");
}

}  // namespace
}  // namespace attestmq::broker::testing
