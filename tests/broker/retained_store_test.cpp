// RetainedStore against MQTT 5.0 section 3.3.1.3 (one retained message per topic, replaced
// by the next, cleared by an empty payload) and the matching rules of section 4.7.
#include "broker/retained_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mqtt/topic.hpp"

namespace attestmq::broker {
namespace {

MessagePtr retained(std::string topic, std::string payload = "x") {
  auto message = std::make_shared<Message>();
  message->topic = std::move(topic);
  message->payload.assign(payload.begin(), payload.end());
  message->retain = true;
  return message;
}

std::vector<std::string> matched_topics(const RetainedStore& store, std::string_view filter) {
  std::vector<std::string> topics;
  store.match(filter, [&](const MessagePtr& m) { topics.push_back(m->topic); });
  std::sort(topics.begin(), topics.end());
  return topics;
}

using Topics = std::vector<std::string>;

class RetainedStoreMatch : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* topic : {"sport", "sport/tennis", "sport/tennis/player1",
                              "sport/tennis/player1/ranking", "sport/golf", "sports", "/finance",
                              "a//b", "$SYS/broker/uptime", "$SYS", "$a/x", "x/$y"}) {
      store.set(retained(topic));
    }
  }
  RetainedStore store;
};

TEST_F(RetainedStoreMatch, LiteralFilterFindsItsTopicOnly) {
  EXPECT_EQ(matched_topics(store, "sport/tennis"), Topics{"sport/tennis"});
  EXPECT_EQ(matched_topics(store, "a//b"), Topics{"a//b"});
  EXPECT_EQ(matched_topics(store, "/finance"), Topics{"/finance"});
  EXPECT_TRUE(matched_topics(store, "finance").empty());
  EXPECT_TRUE(matched_topics(store, "Sport").empty());  // section 4.7.3: case sensitive
  EXPECT_TRUE(matched_topics(store, "sport/tennis/player2").empty());
}

TEST_F(RetainedStoreMatch, PlusMatchesOneLevel) {  // section 4.7.1.3
  EXPECT_EQ(matched_topics(store, "sport/+"), (Topics{"sport/golf", "sport/tennis"}));
  EXPECT_EQ(matched_topics(store, "sport/+/player1"), Topics{"sport/tennis/player1"});
  EXPECT_EQ(matched_topics(store, "+"), (Topics{"sport", "sports"}));
  EXPECT_EQ(matched_topics(store, "+/+"),
            (Topics{"/finance", "sport/golf", "sport/tennis", "x/$y"}));
  EXPECT_EQ(matched_topics(store, "/+"), Topics{"/finance"});
  EXPECT_EQ(matched_topics(store, "a/+/b"), Topics{"a//b"});
  EXPECT_EQ(matched_topics(store, "x/+"), Topics{"x/$y"});  // '$' only matters first
}

TEST_F(RetainedStoreMatch, HashMatchesParentAndSubtree) {  // section 4.7.1.2
  EXPECT_EQ(matched_topics(store, "sport/#"),
            (Topics{"sport", "sport/golf", "sport/tennis", "sport/tennis/player1",
                    "sport/tennis/player1/ranking"}));
  EXPECT_EQ(matched_topics(store, "sport/tennis/#"),
            (Topics{"sport/tennis", "sport/tennis/player1", "sport/tennis/player1/ranking"}));
  EXPECT_EQ(matched_topics(store, "+/tennis/#"),
            (Topics{"sport/tennis", "sport/tennis/player1", "sport/tennis/player1/ranking"}));
  EXPECT_EQ(matched_topics(store, "#"),
            (Topics{"/finance", "a//b", "sport", "sport/golf", "sport/tennis",
                    "sport/tennis/player1", "sport/tennis/player1/ranking", "sports", "x/$y"}));
}

TEST_F(RetainedStoreMatch, DollarTopicsOnlyForFiltersNamingThem) {  // section 4.7.2
  EXPECT_TRUE(matched_topics(store, "+/x").empty());
  EXPECT_TRUE(matched_topics(store, "+/broker/+").empty());
  EXPECT_EQ(matched_topics(store, "$SYS/#"), (Topics{"$SYS", "$SYS/broker/uptime"}));
  EXPECT_EQ(matched_topics(store, "$SYS/+/uptime"), Topics{"$SYS/broker/uptime"});
  EXPECT_EQ(matched_topics(store, "$a/x"), Topics{"$a/x"});
  EXPECT_EQ(matched_topics(store, "$a/+"), Topics{"$a/x"});
}

TEST(RetainedStore, SetReplacesTheTopicsMessage) {
  RetainedStore store;
  store.set(retained("t", "first"));
  store.set(retained("t", "second"));
  EXPECT_EQ(store.size(), 1u);
  std::vector<std::string> payloads;
  store.match("t", [&](const MessagePtr& m) {
    payloads.emplace_back(m->payload.begin(), m->payload.end());
  });
  EXPECT_EQ(payloads, Topics{"second"});
}

TEST(RetainedStore, EraseClearsOnlyThatTopicAndPrunes) {
  RetainedStore store;
  store.set(retained("a/b/c"));
  store.set(retained("a"));
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.node_count(), 3u);

  store.erase("a/b");  // no message there: nothing changes
  store.erase("nothing/here");
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.node_count(), 3u);

  store.erase("a/b/c");
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.node_count(), 1u);
  EXPECT_EQ(matched_topics(store, "#"), Topics{"a"});
  store.erase("a/b/c");
  EXPECT_EQ(store.size(), 1u);

  store.erase("a");
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.node_count(), 0u);
  EXPECT_TRUE(matched_topics(store, "#").empty());
}

TEST(RetainedStore, EraseKeepsMessagesBelowTheErasedTopic) {
  RetainedStore store;
  store.set(retained("a"));
  store.set(retained("a/b"));
  store.erase("a");
  EXPECT_EQ(matched_topics(store, "a/#"), Topics{"a/b"});
  EXPECT_EQ(store.node_count(), 2u);
}

TEST(RetainedStore, VisitorsOfEveryShape) {
  RetainedStore store;
  store.set(retained("t"));
  int count = 0;
  auto counting = [&count](const MessagePtr&) { ++count; };
  store.match("t", counting);  // an lvalue
  const auto& constant = counting;
  store.match("t", constant);                             // a const lvalue
  store.match("#", [&](const MessagePtr&) { ++count; });  // a temporary
  EXPECT_EQ(count, 3);
}

TEST(RetainedStore, ManyTopicsMatchLikeBruteForce) {
  std::mt19937 random(7);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  static const char* const kWords[] = {"a", "b", "c", "d", "", "$s", "long-level-name"};
  const auto level = [&] { return std::string(kWords[pick(std::size(kWords))]); };

  RetainedStore store;
  std::map<std::string, std::string> expected_payload;  // topic -> payload
  for (int i = 0; i < 20000; ++i) {
    std::string topic = level();
    for (std::size_t depth = pick(5); depth > 0; --depth) topic += "/" + level();
    if (topic.empty()) continue;
    const std::string payload = std::to_string(i);
    if (pick(10) == 0) {
      store.erase(topic);
      expected_payload.erase(topic);
    } else {
      store.set(retained(topic, payload));
      expected_payload[topic] = payload;
    }
  }
  EXPECT_EQ(store.size(), expected_payload.size());

  for (int sample = 0; sample < 300; ++sample) {
    std::string filter;
    const std::size_t depth = 1 + pick(5);
    for (std::size_t i = 0; i < depth; ++i) {
      if (i > 0) filter += "/";
      if (i + 1 == depth && pick(4) == 0) {
        filter += "#";
        break;
      }
      filter += pick(3) == 0 ? std::string("+") : level();
    }
    if (filter.empty()) continue;
    ASSERT_TRUE(mqtt::valid_topic_filter(filter)) << filter;

    std::map<std::string, std::string> got;
    store.match(filter, [&](const MessagePtr& m) {
      EXPECT_TRUE(got.emplace(m->topic, std::string(m->payload.begin(), m->payload.end())).second);
    });
    std::map<std::string, std::string> want;
    for (const auto& [topic, payload] : expected_payload) {
      if (mqtt::topic_matches(filter, topic)) want.emplace(topic, payload);
    }
    ASSERT_EQ(got, want) << filter;
  }

  for (const auto& entry : expected_payload) store.erase(entry.first);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.node_count(), 0u);
}

}  // namespace
}  // namespace attestmq::broker
