// Topic names, filters, matching and shared subscriptions: MQTT 5.0 sections 4.7 and 4.8.2.
#include <gtest/gtest.h>

#include <string>

#include "mqtt/topic.hpp"

namespace attestmq::mqtt {
namespace {

TEST(TopicName, Validity) {
  EXPECT_TRUE(valid_topic_name("a"));
  EXPECT_TRUE(valid_topic_name("/"));
  EXPECT_TRUE(valid_topic_name("a//b/"));
  EXPECT_TRUE(valid_topic_name("$SYS/broker/uptime"));
  EXPECT_TRUE(valid_topic_name(" spaces are fine "));
  EXPECT_FALSE(valid_topic_name(""));             // section 4.7.3
  EXPECT_FALSE(valid_topic_name("a/+/b"));        // section 4.7.1
  EXPECT_FALSE(valid_topic_name("a/#"));
  EXPECT_FALSE(valid_topic_name("a+"));
  EXPECT_FALSE(valid_topic_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_topic_name("\xC0\xAF"));
  EXPECT_TRUE(valid_topic_name(std::string(65535, 'x')));
  EXPECT_FALSE(valid_topic_name(std::string(65536, 'x')));
}

// Section 4.7.1.
TEST(TopicFilter, Validity) {
  for (const char* good : {"#", "+", "a/#", "+/+", "/+", "a/+/b", "sport/tennis/#", "+/#",
                           "a//#", "$SYS/#", "$share/g/a/#", "$share/g/#", "$sharex/+"}) {
    EXPECT_TRUE(valid_topic_filter(good)) << good;
  }
  for (const char* bad : {"", "a#", "a/#/b", "#/a", "a+/b", "a/b+", "sport/tennis#", "++",
                          "$share/", "$share//a", "$share/g", "$share/g+/a", "$share/g#/a",
                          "$share/g/", "$share/g/a#"}) {
    EXPECT_FALSE(valid_topic_filter(bad)) << bad;
  }
}

struct MatchCase {
  const char* filter;
  const char* topic;
  bool matches;
};

// Examples of sections 4.7.1.2, 4.7.1.3 and 4.7.2.
TEST(TopicMatching, SpecExamples) {
  const MatchCase cases[] = {
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"#", "anything/at/all", true},
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"#", "$SYS/uptime", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"a/b", "a/b", true},
      {"a/b", "a/b/c", false},
      {"a/b/c", "a/b", false},
      {"a/b", "A/b", false},
      {"a//b", "a//b", true},
      {"a/+/b", "a//b", true},
      {"a/#", "a", true},
      {"a/#", "ab", false},
      {"+/#", "a", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches) << c.filter << " vs " << c.topic;
  }
}

// Section 4.8.2.
TEST(SharedFilter, Parsing) {
  const auto shared = parse_shared_filter("$share/consumers/jobs/+/high");
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->group, "consumers");
  EXPECT_EQ(shared->filter, "jobs/+/high");
  EXPECT_FALSE(parse_shared_filter("jobs/#").has_value());
  EXPECT_FALSE(parse_shared_filter("$share/nogroupfilter").has_value());
  EXPECT_FALSE(parse_shared_filter("$share//jobs").has_value());
  EXPECT_FALSE(parse_shared_filter("$share/g+/jobs").has_value());
  EXPECT_FALSE(parse_shared_filter("$SHARE/g/jobs").has_value());  // case matters
  const auto empty_filter = parse_shared_filter("$share/g/");
  ASSERT_TRUE(empty_filter.has_value());  // parsed, but not a valid filter
  EXPECT_EQ(empty_filter->filter, "");
}

}  // namespace
}  // namespace attestmq::mqtt
