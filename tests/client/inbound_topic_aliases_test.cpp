#include "client/inbound_topic_aliases.hpp"

#include <gtest/gtest.h>

namespace attestmq::client {
namespace {

using mqtt::ReasonCode;

TEST(InboundTopicAliases, TopicWithoutAliasPassesThrough) {
  InboundTopicAliases aliases(0);
  EXPECT_EQ(aliases.resolve("a/b", std::nullopt).topic, "a/b");
  EXPECT_EQ(aliases.resolve("", std::nullopt).error, ReasonCode::ProtocolError);
}

TEST(InboundTopicAliases, AliasIsDefinedThenUsedThenRedefined) {
  InboundTopicAliases aliases(2);
  EXPECT_EQ(aliases.resolve("first", 2).topic, "first");
  EXPECT_EQ(aliases.resolve("", 2).topic, "first");
  EXPECT_EQ(aliases.resolve("second", 2).topic, "second");
  EXPECT_EQ(aliases.resolve("", 2).topic, "second");
}

TEST(InboundTopicAliases, ZeroOrTooLargeAliasIsInvalid) {
  InboundTopicAliases aliases(2);
  EXPECT_EQ(aliases.resolve("t", 0).error, ReasonCode::TopicAliasInvalid);
  EXPECT_EQ(aliases.resolve("t", 3).error, ReasonCode::TopicAliasInvalid);
  InboundTopicAliases none(0);
  EXPECT_EQ(none.resolve("t", 1).error, ReasonCode::TopicAliasInvalid);
}

TEST(InboundTopicAliases, UnmappedAliasIsAProtocolError) {
  InboundTopicAliases aliases(5);
  EXPECT_EQ(aliases.resolve("", 4).error, ReasonCode::ProtocolError);
}

}  // namespace
}  // namespace attestmq::client
