// SubscriptionIndex against the rules of MQTT 5.0 sections 3.8.4, 4.7 and 4.8.2, and against
// a brute-force topic_matches scan at 100,000 subscriptions.
#include "broker/subscription_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/topic.hpp"

namespace attestmq::broker {
namespace {

const auto kEveryoneAvailable = [](SubscriberId) { return true; };

SubscriptionOptions with_id(std::uint32_t subscription_id, std::uint8_t qos = 0) {
  SubscriptionOptions options;
  options.subscription_id = subscription_id;
  options.qos = qos;
  return options;
}

std::vector<SubscriptionMatch> match_all(SubscriptionIndex& index, std::string_view topic) {
  std::vector<SubscriptionMatch> out;
  index.match(topic, out, kEveryoneAvailable);
  return out;
}

// Sorted subscription identifiers of the matches: each test subscription gets its own.
std::vector<std::uint32_t> matched_ids(SubscriptionIndex& index, std::string_view topic) {
  std::vector<std::uint32_t> ids;
  for (const auto& m : match_all(index, topic)) ids.push_back(m.options.subscription_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool matches(std::string_view filter, std::string_view topic) {
  SubscriptionIndex index;
  index.subscribe(filter, 1, {});
  return !match_all(index, topic).empty();
}

TEST(SubscriptionIndex, LiteralFilterMatchesOnlyItsTopic) {
  EXPECT_TRUE(matches("a/b", "a/b"));
  EXPECT_FALSE(matches("a/b", "a"));
  EXPECT_FALSE(matches("a/b", "a/b/c"));
  EXPECT_FALSE(matches("a/b", "a/c"));
  EXPECT_FALSE(matches("A/b", "a/b"));  // section 4.7.3: case sensitive
  // Section 4.7.1.1: empty levels are levels like any other.
  EXPECT_TRUE(matches("a//b", "a//b"));
  EXPECT_FALSE(matches("a//b", "a/b"));
  EXPECT_TRUE(matches("/a", "/a"));
  EXPECT_FALSE(matches("/a", "a"));
}

TEST(SubscriptionIndex, PlusMatchesExactlyOneLevel) {  // section 4.7.1.3
  EXPECT_TRUE(matches("a/+/c", "a/b/c"));
  EXPECT_TRUE(matches("a/+/c", "a//c"));
  EXPECT_FALSE(matches("a/+/c", "a/c"));
  EXPECT_FALSE(matches("a/+/c", "a/b/x/c"));
  EXPECT_TRUE(matches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_FALSE(matches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(matches("sport/+", "sport"));
  EXPECT_TRUE(matches("sport/+", "sport/"));
  EXPECT_TRUE(matches("+", "a"));
  EXPECT_FALSE(matches("+", "a/b"));
  EXPECT_FALSE(matches("+", "/a"));
  EXPECT_TRUE(matches("+/+", "/finance"));
  EXPECT_TRUE(matches("/+", "/finance"));
}

TEST(SubscriptionIndex, HashMatchesTheParentAndEveryLevelBelow) {  // section 4.7.1.2
  EXPECT_TRUE(matches("sport/#", "sport"));
  EXPECT_TRUE(matches("sport/#", "sport/tennis"));
  EXPECT_TRUE(matches("sport/#", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(matches("sport/#", "sports"));
  EXPECT_FALSE(matches("sport/tennis/#", "sport"));
  EXPECT_TRUE(matches("#", "a"));
  EXPECT_TRUE(matches("#", "a/b/c"));
  EXPECT_TRUE(matches("#", "/"));
  EXPECT_TRUE(matches("+/#", "a"));
  EXPECT_TRUE(matches("a/+/#", "a/b"));
  EXPECT_FALSE(matches("a/+/#", "a"));
}

TEST(SubscriptionIndex, WildcardsInTheFirstLevelSkipDollarTopics) {  // section 4.7.2
  EXPECT_FALSE(matches("#", "$SYS/x"));
  EXPECT_FALSE(matches("#", "$SYS"));
  EXPECT_FALSE(matches("+/x", "$a/x"));
  EXPECT_FALSE(matches("+", "$a"));
  EXPECT_FALSE(matches("+/#", "$SYS/broker"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS/a"));
  EXPECT_TRUE(matches("$SYS/#", "$SYS"));
  EXPECT_TRUE(matches("$SYS/+", "$SYS/a"));
  EXPECT_TRUE(matches("$SYS/broker/+", "$SYS/broker/uptime"));
  EXPECT_TRUE(matches("$a/x", "$a/x"));
  // The rule applies to the filter inside a shared subscription too.
  EXPECT_FALSE(matches("$share/g/#", "$SYS/x"));
  EXPECT_TRUE(matches("$share/g/$SYS/#", "$SYS/x"));
  // Only the first level is special: '$' later on is an ordinary character.
  EXPECT_TRUE(matches("a/+", "a/$b"));
  EXPECT_TRUE(matches("a/#", "a/$b/c"));
}

// A match hashes each topic level once and reuses it in every node it reaches at that
// depth: levels reached through several '+' branches, repeated level names and empty levels
// must still find exactly their own filters, publish after publish.
TEST(SubscriptionIndex, LevelsReachedThroughSeveralBranches) {
  SubscriptionIndex index;
  index.subscribe("a/b/c", 1, with_id(1));
  index.subscribe("a/+/c", 2, with_id(2));
  index.subscribe("+/b/c", 3, with_id(3));
  index.subscribe("+/+/c", 4, with_id(4));
  index.subscribe("a/b/d", 5, with_id(5));
  index.subscribe("c/c/c", 6, with_id(6));
  index.subscribe("+//", 7, with_id(7));
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(matched_ids(index, "a/b/c"), (std::vector<std::uint32_t>{1, 2, 3, 4}));
    EXPECT_EQ(matched_ids(index, "x/b/c"), (std::vector<std::uint32_t>{3, 4}));
    EXPECT_EQ(matched_ids(index, "c/c/c"), (std::vector<std::uint32_t>{4, 6}));
    EXPECT_EQ(matched_ids(index, "a/b/d"), (std::vector<std::uint32_t>{5}));
    EXPECT_EQ(matched_ids(index, "a//"), (std::vector<std::uint32_t>{7}));
    EXPECT_TRUE(matched_ids(index, "a/c/b").empty());
  }
}

TEST(SubscriptionIndex, OverlappingSubscriptionsAreReturnedSeparately) {
  SubscriptionIndex index;
  EXPECT_TRUE(index.subscribe("a/b", 7, with_id(1, 0)));
  EXPECT_TRUE(index.subscribe("a/+", 7, with_id(2, 1)));
  EXPECT_TRUE(index.subscribe("#", 7, with_id(3, 2)));
  EXPECT_TRUE(index.subscribe("a/#", 8, with_id(4, 1)));
  EXPECT_EQ(index.size(), 4u);

  const auto out = match_all(index, "a/b");
  ASSERT_EQ(out.size(), 4u);
  std::map<std::uint32_t, SubscriptionMatch> by_id;
  for (const auto& m : out) by_id.emplace(m.options.subscription_id, m);
  EXPECT_EQ(by_id.at(1).subscriber, 7u);
  EXPECT_EQ(by_id.at(1).options.qos, 0);
  EXPECT_EQ(by_id.at(2).options.qos, 1);
  EXPECT_EQ(by_id.at(3).options.qos, 2);
  EXPECT_EQ(by_id.at(4).subscriber, 8u);
  for (const auto& m : out) EXPECT_FALSE(m.shared);

  EXPECT_EQ(matched_ids(index, "a/c"), (std::vector<std::uint32_t>{2, 3, 4}));
  EXPECT_EQ(matched_ids(index, "a"), (std::vector<std::uint32_t>{3, 4}));
}

TEST(SubscriptionIndex, MatchAppendsWithoutClearing) {
  SubscriptionIndex index;
  index.subscribe("t", 1, {});
  std::vector<SubscriptionMatch> out{{99, {}, false}};
  index.match("t", out, kEveryoneAvailable);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subscriber, 99u);
  EXPECT_EQ(out[1].subscriber, 1u);
}

TEST(SubscriptionIndex, ResubscribingReplacesTheOptions) {  // section 3.8.4
  SubscriptionIndex index;
  SubscriptionOptions first = with_id(5, 0);
  SubscriptionOptions second = with_id(6, 2);
  second.no_local = true;
  second.retain_as_published = true;
  second.retain_handling = 2;
  EXPECT_TRUE(index.subscribe("a/+", 1, first));
  EXPECT_FALSE(index.subscribe("a/+", 1, second));
  EXPECT_EQ(index.size(), 1u);

  const auto out = match_all(index, "a/b");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].options.subscription_id, 6u);
  EXPECT_EQ(out[0].options.qos, 2);
  EXPECT_TRUE(out[0].options.no_local);
  EXPECT_TRUE(out[0].options.retain_as_published);
  EXPECT_EQ(out[0].options.retain_handling, 2);
}

TEST(SubscriptionIndex, UnsubscribeOfUnknownFilterReportsIt) {  // section 3.11.3: 0x11
  SubscriptionIndex index;
  EXPECT_FALSE(index.unsubscribe("a/b", 1));
  index.subscribe("a/b", 1, {});
  EXPECT_FALSE(index.unsubscribe("a/b", 2));  // another session's subscription
  EXPECT_FALSE(index.unsubscribe("a", 1));    // a prefix of the filter
  EXPECT_FALSE(index.unsubscribe("a/b/c", 1));
  EXPECT_FALSE(index.unsubscribe("a/+", 1));  // a filter that matches is not the same filter
  EXPECT_FALSE(index.unsubscribe("$share/g/a/b", 1));  // shared and ordinary are distinct
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(index.unsubscribe("a/b", 1));
  EXPECT_FALSE(index.unsubscribe("a/b", 1));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(match_all(index, "a/b").empty());
}

TEST(SubscriptionIndex, EmptyNodesArePruned) {
  SubscriptionIndex index;
  index.subscribe("a/b/c", 1, {});
  EXPECT_EQ(index.node_count(), 3u);
  index.subscribe("a/b", 2, {});
  index.subscribe("a/+/#", 3, {});
  EXPECT_EQ(index.node_count(), 5u);
  EXPECT_TRUE(index.unsubscribe("a/b/c", 1));
  EXPECT_EQ(index.node_count(), 4u);  // "a/b" still holds a subscriber
  EXPECT_TRUE(index.unsubscribe("a/b", 2));
  EXPECT_EQ(index.node_count(), 3u);  // "a", "+", "#"
  EXPECT_TRUE(index.unsubscribe("a/+/#", 3));
  EXPECT_EQ(index.node_count(), 0u);
  EXPECT_EQ(index.size(), 0u);
}

TEST(SubscriptionIndex, ManySubscribersOfOneFilter) {
  SubscriptionIndex index;
  constexpr SubscriberId kCount = 1000;
  for (SubscriberId who = 0; who < kCount; ++who)
    EXPECT_TRUE(index.subscribe("x/#", who, with_id(who)));
  for (SubscriberId who = 0; who < kCount; who += 2)
    EXPECT_FALSE(index.subscribe("x/#", who, with_id(who + kCount)));
  for (SubscriberId who = 1; who < kCount; who += 4) EXPECT_TRUE(index.unsubscribe("x/#", who));
  EXPECT_FALSE(index.unsubscribe("x/#", 1));

  std::map<SubscriberId, std::uint32_t> got;
  for (const auto& m : match_all(index, "x/y"))
    EXPECT_TRUE(got.emplace(m.subscriber, m.options.subscription_id).second);
  std::map<SubscriberId, std::uint32_t> expected;
  for (SubscriberId who = 0; who < kCount; ++who) {
    if (who % 4 == 1) continue;
    expected.emplace(who, who % 2 == 0 ? who + kCount : who);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(index.size(), expected.size());
  for (const auto& [who, id] : expected) EXPECT_TRUE(index.unsubscribe("x/#", who));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.node_count(), 0u);
}

// The members chosen for `messages` publishes to `topic`.
std::vector<SubscriberId> shared_choices(SubscriptionIndex& index, std::string_view topic,
                                         int messages, const std::set<SubscriberId>& offline = {}) {
  std::vector<SubscriberId> chosen;
  for (int i = 0; i < messages; ++i) {
    std::vector<SubscriptionMatch> out;
    index.match(topic, out, [&](SubscriberId who) { return !offline.contains(who); });
    for (const auto& m : out) {
      if (m.shared) chosen.push_back(m.subscriber);
    }
  }
  return chosen;
}

TEST(SubscriptionIndex, SharedGroupDeliversToOneMemberRoundRobin) {  // section 4.8.2
  SubscriptionIndex index;
  EXPECT_TRUE(index.subscribe("$share/g/s/+", 1, {}));
  EXPECT_TRUE(index.subscribe("$share/g/s/+", 2, {}));
  EXPECT_TRUE(index.subscribe("$share/g/s/+", 3, {}));
  EXPECT_TRUE(index.subscribe("s/+", 4, {}));  // an ordinary subscription gets every message
  EXPECT_EQ(index.size(), 4u);

  EXPECT_EQ(shared_choices(index, "s/x", 6), (std::vector<SubscriberId>{1, 2, 3, 1, 2, 3}));
  for (int i = 0; i < 3; ++i) {
    const auto out = match_all(index, "s/x");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(std::count_if(out.begin(), out.end(), [](const auto& m) { return m.shared; }), 1);
    EXPECT_EQ(std::count_if(out.begin(), out.end(),
                            [](const auto& m) { return !m.shared && m.subscriber == 4; }),
              1);
  }
  EXPECT_TRUE(shared_choices(index, "s", 1).empty());
}

TEST(SubscriptionIndex, SharedGroupsAreKeyedByGroupAndFilter) {
  SubscriptionIndex index;
  index.subscribe("$share/g/s/#", 1, with_id(1));
  index.subscribe("$share/g/s/#", 2, with_id(2));
  index.subscribe("$share/h/s/#", 3, with_id(3));  // another group, same filter
  index.subscribe("$share/g/s/x", 4, with_id(4));  // same group name, another filter
  // Same session in two groups: two subscriptions.
  EXPECT_TRUE(index.subscribe("$share/h/s/#", 1, with_id(5)));
  EXPECT_EQ(index.size(), 5u);

  const auto out = match_all(index, "s/x");
  ASSERT_EQ(out.size(), 3u);  // one from g on s/#, one from h, one from g on s/x
  std::vector<std::uint32_t> ids;
  for (const auto& m : out) {
    EXPECT_TRUE(m.shared);
    ids.push_back(m.options.subscription_id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids[2], 4u);
  EXPECT_TRUE(ids[0] == 1 || ids[0] == 2);
  EXPECT_TRUE(ids[1] == 3 || ids[1] == 5);
  EXPECT_EQ(match_all(index, "s/y").size(), 2u);
}

TEST(SubscriptionIndex, SharedGroupSkipsUnavailableMembers) {
  SubscriptionIndex index;
  for (SubscriberId who : {1u, 2u, 3u}) index.subscribe("$share/g/t", who, {});
  EXPECT_EQ(shared_choices(index, "t", 4, {2}), (std::vector<SubscriberId>{1, 3, 1, 3}));
  EXPECT_EQ(shared_choices(index, "t", 2, {1, 3}), (std::vector<SubscriberId>{2, 2}));
}

TEST(SubscriptionIndex, SharedGroupWithNoAvailableMemberStillDelivers) {
  SubscriptionIndex index;
  for (SubscriberId who : {1u, 2u, 3u}) index.subscribe("$share/g/t", who, {});
  // Nobody can take it now: the next member in turn gets it queued, so turns still rotate.
  EXPECT_EQ(shared_choices(index, "t", 4, {1, 2, 3}), (std::vector<SubscriberId>{1, 2, 3, 1}));
}

TEST(SubscriptionIndex, SharedResubscribeAndUnsubscribe) {
  SubscriptionIndex index;
  EXPECT_TRUE(index.subscribe("$share/g/t/+", 1, with_id(1)));
  EXPECT_FALSE(index.subscribe("$share/g/t/+", 1, with_id(2)));
  EXPECT_TRUE(index.subscribe("$share/g/t/+", 2, with_id(3)));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_FALSE(index.unsubscribe("$share/h/t/+", 1));  // unknown group
  EXPECT_FALSE(index.unsubscribe("t/+", 1));           // not an ordinary subscription
  EXPECT_FALSE(index.unsubscribe("$share/g/t/#", 1));  // another filter

  EXPECT_TRUE(index.unsubscribe("$share/g/t/+", 2));
  EXPECT_EQ(shared_choices(index, "t/a", 3), (std::vector<SubscriberId>{1, 1, 1}));
  EXPECT_EQ(match_all(index, "t/a").front().options.subscription_id, 2u);
  EXPECT_TRUE(index.unsubscribe("$share/g/t/+", 1));
  EXPECT_TRUE(match_all(index, "t/a").empty());
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.node_count(), 0u);
}

TEST(SubscriptionIndex, SharedGroupKeepsRotatingWhenMembersLeaveAndJoin) {
  SubscriptionIndex index;
  for (SubscriberId who : {1u, 2u, 3u, 4u}) index.subscribe("$share/g/t", who, {});
  shared_choices(index, "t", 3);
  index.unsubscribe("$share/g/t", 2);
  index.subscribe("$share/g/t", 5, {});
  // Whatever the order, every member gets exactly one of the next four messages.
  auto next = shared_choices(index, "t", 4);
  std::sort(next.begin(), next.end());
  EXPECT_EQ(next, (std::vector<SubscriberId>{1, 3, 4, 5}));
}

TEST(SubscriptionIndex, DeepTopicsNeedNoRecursion) {
  // Tens of thousands of levels: matching and pruning walk explicit stacks, not recursion.
  std::string filter;
  for (int i = 0; i < 20000; ++i) filter += "+/";
  filter += "#";
  const std::string topic(2 * 30000 - 1, '/');
  SubscriptionIndex index;
  index.subscribe(filter, 1, {});
  EXPECT_EQ(match_all(index, topic).size(), 1u);
  EXPECT_TRUE(index.unsubscribe(filter, 1));
  EXPECT_EQ(index.node_count(), 0u);
}

// --- 100,000 subscriptions against brute force -------------------------------------------

class RandomTopics {
 public:
  explicit RandomTopics(unsigned seed) : random_(seed) {}

  std::string level() {
    static const char* const kWords[] = {"a", "b", "c", "d", "e", "f", "g", "", "$x", "sensor"};
    return kWords[pick(std::size(kWords))];
  }
  std::string topic() {
    std::string t = pick(20) == 0 ? "$SYS" : level();
    for (std::size_t depth = 1 + pick(5); depth > 1; --depth) t += "/" + level();
    return t.empty() ? "/" : t;  // a topic has at least one character (section 4.7.3)
  }
  std::string filter() {
    std::string f;
    const std::size_t depth = 1 + pick(5);
    for (std::size_t i = 0; i < depth; ++i) {
      if (i > 0) f += "/";
      if (i + 1 == depth && pick(8) == 0) return f + "#";
      f += pick(4) == 0 ? std::string("+")
                        : (i == 0 && pick(20) == 0 ? std::string("$SYS") : level());
    }
    return f.empty() ? "/" : f;
  }
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }

 private:
  std::mt19937 random_;
};

TEST(SubscriptionIndex, HundredThousandFiltersMatchLikeBruteForce) {
  constexpr std::uint32_t kOrdinary = 100000;
  constexpr std::uint32_t kGroups = 200, kMembersPerGroup = 5;
  RandomTopics random(2026);
  SubscriptionIndex index;

  // Subscription id - 1 -> filter and session; the filter is cleared once a later
  // subscribe of the same (filter, session) replaced it.
  std::vector<std::string> filters;
  std::map<std::pair<std::string, SubscriberId>, std::uint32_t> live;
  for (std::uint32_t i = 0; i < kOrdinary; ++i) {
    filters.push_back(random.filter());
    const auto who = static_cast<SubscriberId>(random.pick(kOrdinary / 4));
    ASSERT_TRUE(mqtt::valid_topic_filter(filters.back())) << filters.back();
    const bool added = index.subscribe(filters.back(), who, with_id(i + 1));
    auto [it, fresh] = live.try_emplace({filters.back(), who}, i);
    ASSERT_EQ(added, fresh);
    if (!fresh) {
      filters[it->second].clear();
      it->second = i;
    }
  }
  // Shared subscriptions: ids above kOrdinary, group g's members numbered g*members+k.
  std::vector<std::string> group_filters;
  for (std::uint32_t g = 0; g < kGroups; ++g) {
    group_filters.push_back(random.filter());
    for (std::uint32_t k = 0; k < kMembersPerGroup; ++k) {
      const std::string shared = "$share/g" + std::to_string(g) + "/" + group_filters.back();
      ASSERT_TRUE(index.subscribe(shared, g * kMembersPerGroup + k, with_id(kOrdinary + 1 + g)));
    }
  }

  EXPECT_EQ(index.size(), live.size() + kGroups * kMembersPerGroup);

  for (int sample = 0; sample < 64; ++sample) {
    const std::string topic = random.topic();
    std::vector<SubscriptionMatch> out;
    index.match(topic, out, kEveryoneAvailable);

    std::multiset<std::uint32_t> got_ordinary;
    std::multiset<std::uint32_t> got_groups;
    for (const auto& m : out) {
      if (m.shared) {
        const std::uint32_t g = m.options.subscription_id - kOrdinary - 1;
        EXPECT_EQ(m.subscriber / kMembersPerGroup, g);
        got_groups.insert(g);
      } else {
        got_ordinary.insert(m.options.subscription_id - 1);
      }
    }
    std::multiset<std::uint32_t> expected_ordinary;
    for (std::uint32_t i = 0; i < kOrdinary; ++i) {
      if (!filters[i].empty() && mqtt::topic_matches(filters[i], topic))
        expected_ordinary.insert(i);
    }
    std::multiset<std::uint32_t> expected_groups;
    for (std::uint32_t g = 0; g < kGroups; ++g) {
      if (mqtt::topic_matches(group_filters[g], topic)) expected_groups.insert(g);
    }
    ASSERT_EQ(got_ordinary, expected_ordinary) << topic;
    ASSERT_EQ(got_groups, expected_groups) << topic;
  }

  for (const auto& [key, id] : live) ASSERT_TRUE(index.unsubscribe(key.first, key.second));
  for (std::uint32_t g = 0; g < kGroups; ++g) {
    for (std::uint32_t k = 0; k < kMembersPerGroup; ++k) {
      const std::string shared = "$share/g" + std::to_string(g) + "/" + group_filters[g];
      ASSERT_TRUE(index.unsubscribe(shared, g * kMembersPerGroup + k));
    }
  }
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.node_count(), 0u);
  EXPECT_TRUE(match_all(index, "a/b").empty());
}

}  // namespace
}  // namespace attestmq::broker
