// Evaluation of acl_file rules (broker/access_control): each rule type, the anonymous
// section, %c and %u, deny precedence, '$' topics, and which subscription filters a client
// may subscribe to.
#include "broker/access_control.hpp"

#include <gtest/gtest.h>

namespace attestmq::broker {
namespace {

AccessControl rules(std::initializer_list<std::pair<std::optional<std::string>, AclRule>> topics,
                    std::initializer_list<AclRule> patterns = {}) {
  AccessControl acl;
  for (const auto& [user, rule] : topics) acl.add_topic_rule(user, rule);
  for (const auto& rule : patterns) acl.add_pattern_rule(rule);
  return acl;
}

TEST(AccessControl, EachAccessKindAllowsItsDirectionsOnly) {
  const auto acl = rules({{std::nullopt, {AclAccess::read, "r/#"}},
                          {std::nullopt, {AclAccess::write, "w/#"}},
                          {std::nullopt, {AclAccess::readwrite, "rw/#"}}});
  const auto client = acl.for_client("c1", std::nullopt);
  EXPECT_TRUE(client->may_read("r/x"));
  EXPECT_FALSE(client->may_write("r/x"));
  EXPECT_TRUE(client->may_write("w/x"));
  EXPECT_FALSE(client->may_read("w/x"));
  EXPECT_TRUE(client->may_read("rw/x"));
  EXPECT_TRUE(client->may_write("rw/x"));
  EXPECT_FALSE(client->may_read("other"));
  EXPECT_FALSE(client->may_write("other"));
}

TEST(AccessControl, AnonymousRulesDoNotApplyToUsersAndUserRulesNotToOthers) {
  const auto acl = rules({{std::nullopt, {AclAccess::readwrite, "public/#"}},
                          {std::string("alice"), {AclAccess::readwrite, "alice/#"}}});
  const auto anonymous = acl.for_client("c1", std::nullopt);
  const auto alice = acl.for_client("c2", "alice");
  const auto bob = acl.for_client("c3", "bob");
  EXPECT_TRUE(anonymous->may_write("public/a"));
  EXPECT_FALSE(anonymous->may_write("alice/a"));
  EXPECT_TRUE(alice->may_write("alice/a"));
  EXPECT_FALSE(alice->may_write("public/a"));
  EXPECT_FALSE(bob->may_write("alice/a"));
  EXPECT_FALSE(bob->may_write("public/a"));
}

TEST(AccessControl, PatternsSubstituteClientIdAndUsername) {
  const auto acl = rules({}, {{AclAccess::readwrite, "clients/%c/#"},
                              {AclAccess::read, "users/%u/inbox"},
                              {AclAccess::write, "mixed/%u-%c"}});
  const auto alice = acl.for_client("dev1", "alice");
  EXPECT_TRUE(alice->may_write("clients/dev1/x"));
  EXPECT_FALSE(alice->may_write("clients/dev2/x"));
  EXPECT_TRUE(alice->may_read("users/alice/inbox"));
  EXPECT_FALSE(alice->may_write("users/alice/inbox"));
  EXPECT_FALSE(alice->may_read("users/bob/inbox"));
  EXPECT_TRUE(alice->may_write("mixed/alice-dev1"));
}

TEST(AccessControl, PatternWithUsernameNeverMatchesAnonymousClient) {
  const auto acl =
      rules({}, {{AclAccess::readwrite, "users/%u/#"}, {AclAccess::readwrite, "c/%c"}});
  const auto anonymous = acl.for_client("dev1", std::nullopt);
  EXPECT_FALSE(anonymous->may_write("users/%u/x"));
  EXPECT_FALSE(anonymous->may_write("users/x"));
  EXPECT_TRUE(anonymous->may_write("c/dev1"));
}

TEST(AccessControl, WildcardInClientIdOrUsernameGetsNoPatternGrant) {
  const auto acl = rules({{std::string("evil/#"), {AclAccess::read, "own/topic"}}},
                         {{AclAccess::readwrite, "clients/%c/#"}, {AclAccess::read, "u/%u"}});
  EXPECT_FALSE(acl.for_client("#", std::nullopt)->may_write("clients/victim/x"));
  EXPECT_FALSE(acl.for_client("a+", std::nullopt)->may_write("clients/a+/x"));
  const auto evil = acl.for_client("ok", "evil/#");
  EXPECT_FALSE(evil->may_read("u/evil/anything"));
  EXPECT_FALSE(evil->may_write("clients/ok/x"));
  // The user's own topic rules still apply.
  EXPECT_TRUE(evil->may_read("own/topic"));
}

TEST(AccessControl, DenyWinsOverEveryAllow) {
  const auto acl = rules({{std::string("alice"), {AclAccess::readwrite, "#"}},
                          {std::string("alice"), {AclAccess::deny, "secret/#"}}},
                         {{AclAccess::deny, "private/%c/#"}});
  const auto alice = acl.for_client("dev1", "alice");
  EXPECT_TRUE(alice->may_write("open"));
  EXPECT_FALSE(alice->may_write("secret/a"));
  EXPECT_FALSE(alice->may_read("secret"));
  EXPECT_FALSE(alice->may_read("private/dev1/x"));
  EXPECT_TRUE(alice->may_read("private/dev2/x"));
}

TEST(AccessControl, WildcardRulesDoNotReachDollarTopics) {
  const auto acl = rules({{std::nullopt, {AclAccess::read, "#"}},
                          {std::nullopt, {AclAccess::read, "$SYS/broker/#"}}});
  const auto client = acl.for_client("c", std::nullopt);
  EXPECT_TRUE(client->may_read("a/b"));
  EXPECT_FALSE(client->may_read("$SYS/other"));
  EXPECT_TRUE(client->may_read("$SYS/broker/uptime"));
}

TEST(AccessControl, SubscriptionNeedsAReadRuleItCanMeet) {
  const auto acl = rules({{std::nullopt, {AclAccess::read, "sensors/+/temp"}},
                          {std::nullopt, {AclAccess::write, "cmd/#"}}});
  const auto client = acl.for_client("c", std::nullopt);
  EXPECT_TRUE(client->may_subscribe("sensors/kitchen/temp"));
  EXPECT_TRUE(client->may_subscribe("sensors/+/temp"));
  // Broader than the rule: granted, and delivery hands out only what may_read allows.
  EXPECT_TRUE(client->may_subscribe("sensors/#"));
  EXPECT_TRUE(client->may_subscribe("#"));
  EXPECT_TRUE(client->may_subscribe("$share/g/sensors/+/temp"));
  EXPECT_FALSE(client->may_subscribe("sensors/kitchen/humidity"));
  EXPECT_FALSE(client->may_subscribe("cmd/#"));  // write only
  EXPECT_FALSE(client->may_subscribe("$SYS/#"));
}

TEST(AccessControl, SubscriptionInsideADenyIsRefused) {
  const auto acl = rules({{std::nullopt, {AclAccess::read, "#"}},
                          {std::nullopt, {AclAccess::deny, "secret/#"}}});
  const auto client = acl.for_client("c", std::nullopt);
  EXPECT_FALSE(client->may_subscribe("secret/#"));
  EXPECT_FALSE(client->may_subscribe("secret/+/x"));
  EXPECT_FALSE(client->may_subscribe("secret"));
  EXPECT_TRUE(client->may_subscribe("#"));  // reaches other topics too
  EXPECT_FALSE(client->may_read("secret/x"));
}

TEST(FilterRelations, Intersect) {
  EXPECT_TRUE(filters_intersect("a/b", "a/b"));
  EXPECT_TRUE(filters_intersect("a/+", "+/b"));
  EXPECT_TRUE(filters_intersect("a/#", "a"));
  EXPECT_TRUE(filters_intersect("#", "a/b/c"));
  EXPECT_TRUE(filters_intersect("a/+/c", "a/#"));
  EXPECT_FALSE(filters_intersect("a/b", "a/c"));
  EXPECT_FALSE(filters_intersect("a/+", "a"));
  EXPECT_FALSE(filters_intersect("a/b/c", "a/+"));
  EXPECT_FALSE(filters_intersect("#", "$SYS/x"));
  EXPECT_FALSE(filters_intersect("+/x", "$SYS/x"));
  EXPECT_TRUE(filters_intersect("$SYS/#", "$SYS/+"));
}

TEST(FilterRelations, Covers) {
  EXPECT_TRUE(filter_covers("#", "a/+/b"));
  EXPECT_TRUE(filter_covers("a/#", "a"));
  EXPECT_TRUE(filter_covers("a/#", "a/+/#"));
  EXPECT_TRUE(filter_covers("a/+", "a/b"));
  EXPECT_TRUE(filter_covers("a/+", "a/+"));
  EXPECT_FALSE(filter_covers("a/b", "a/+"));
  EXPECT_FALSE(filter_covers("a/+", "a/#"));
  EXPECT_FALSE(filter_covers("a/+", "a/b/c"));
  EXPECT_FALSE(filter_covers("a/b/#", "a"));
  EXPECT_FALSE(filter_covers("#", "$SYS/x"));
  EXPECT_TRUE(filter_covers("$SYS/#", "$SYS/x"));
}

}  // namespace
}  // namespace attestmq::broker
