// Several reactor threads: clients are spread over them and messages cross between them.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "test_peer.hpp"

namespace attestmq::server {
namespace {

using testing::RunningServer;
using testing::TestClient;

std::string text_of(const mqtt::Publish& publish) {
  return std::string(publish.payload.begin(), publish.payload.end());
}

TEST(ServerThreads, DeliversAcrossReactorsInOrder) {
  RunningServer running(testing::loopback_config(2));
  ASSERT_EQ(running.server().threads(), 2u);
  // Round robin: consecutive connections land on different reactors.
  TestClient first("127.0.0.1", running.port());
  TestClient second("127.0.0.1", running.port());
  first.connect("first");
  second.connect("second");
  first.subscribe("to/first", 0);
  second.subscribe("to/second", 1);

  constexpr int kMessages = 500;
  for (int i = 0; i < kMessages; ++i) {
    const std::string text = std::to_string(i);
    first.publish("to/second", std::vector<std::uint8_t>(text.begin(), text.end()));
  }
  for (int i = 0; i < kMessages; ++i) {
    const auto message = second.receive();
    ASSERT_TRUE(message && std::holds_alternative<mqtt::Publish>(*message)) << "message " << i;
    EXPECT_EQ(text_of(std::get<mqtt::Publish>(*message)), std::to_string(i));
  }
  second.publish("to/first", {'b', 'a', 'c', 'k'}, 1, 7);
  const auto puback = second.receive();
  ASSERT_TRUE(puback && std::holds_alternative<mqtt::Puback>(*puback));
  EXPECT_EQ(std::get<mqtt::Puback>(*puback).packet_id, 7);
  const auto back = first.receive();
  ASSERT_TRUE(back && std::holds_alternative<mqtt::Publish>(*back));
  EXPECT_EQ(text_of(std::get<mqtt::Publish>(*back)), "back");
}

TEST(ServerThreads, ConcurrentPublishersOnBothReactors) {
  RunningServer running(testing::loopback_config(2));
  constexpr int kPublishers = 4;
  constexpr int kMessages = 300;
  TestClient subscriber_a("127.0.0.1", running.port());
  TestClient subscriber_b("127.0.0.1", running.port());
  subscriber_a.connect("subscriber-a");
  subscriber_b.connect("subscriber-b");
  subscriber_a.subscribe("load/#", 0);
  subscriber_b.subscribe("load/#", 0);

  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      TestClient publisher("127.0.0.1", running.port());
      publisher.connect("publisher-" + std::to_string(p));
      const std::string topic = "load/" + std::to_string(p);
      for (int i = 0; i < kMessages; ++i) {
        const std::string text = std::to_string(i);
        publisher.publish(topic, std::vector<std::uint8_t>(text.begin(), text.end()));
      }
    });
  }
  for (TestClient* subscriber : {&subscriber_a, &subscriber_b}) {
    std::map<std::string, int> next;  // per topic: the message number expected next
    for (int i = 0; i < kPublishers * kMessages; ++i) {
      const auto message = subscriber->receive();
      ASSERT_TRUE(message && std::holds_alternative<mqtt::Publish>(*message)) << "message " << i;
      const auto& publish = std::get<mqtt::Publish>(*message);
      const std::string topic(publish.topic);
      EXPECT_EQ(text_of(publish), std::to_string(next[topic]++)) << topic;
    }
    for (int p = 0; p < kPublishers; ++p) EXPECT_EQ(next["load/" + std::to_string(p)], kMessages);
  }
  for (auto& publisher : publishers) publisher.join();
}

}  // namespace
}  // namespace attestmq::server
