// The acl_file parser (config/acl_file): each rule type as written, the sections, and an
// error naming FILE:LINE for each kind of bad line.
#include "config/acl_file.hpp"
#include "config_test_helpers.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace attestmq::config {
namespace {

std::shared_ptr<const broker::AccessControl> parse_ok(std::string_view text) {
  auto result = parse_acl_file(text, "acl");
  if (const auto* error = std::get_if<ConfigError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << error->to_string();
    return std::make_shared<broker::AccessControl>();
  }
  return std::get<std::shared_ptr<const broker::AccessControl>>(result);
}

std::string parse_error(std::string_view text) {
  auto result = parse_acl_file(text, "acl");
  if (const auto* error = std::get_if<ConfigError>(&result)) return error->to_string();
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(AclFile, TopicRulesWithEachAccess) {
  const auto acl = parse_ok(
      "topic read r/#\n"
      "topic write w/#\n"
      "topic readwrite rw/#\n"
      "topic both/#\n"
      "topic read #\n"
      "topic deny r/secret\n");
  const auto client = acl->for_client("c", std::nullopt);
  EXPECT_TRUE(client->may_read("r/x"));
  EXPECT_FALSE(client->may_write("r/x"));
  EXPECT_TRUE(client->may_write("w/x"));
  EXPECT_TRUE(client->may_write("rw/x"));
  EXPECT_TRUE(client->may_write("both/x"));  // access omitted: readwrite
  EXPECT_TRUE(client->may_read("both/x"));
  EXPECT_FALSE(client->may_read("r/secret"));
}

TEST(AclFile, UserLinesStartSections) {
  const auto acl = parse_ok(
      "# anonymous clients\n"
      "topic read public/#\n"
      "\n"
      "user alice\n"
      "  topic alice/#\n"
      "user bob\n"
      "topic\tread\tbob/#\n");
  EXPECT_TRUE(acl->for_client("c", std::nullopt)->may_read("public/x"));
  EXPECT_FALSE(acl->for_client("c", std::nullopt)->may_read("alice/x"));
  EXPECT_TRUE(acl->for_client("c", "alice")->may_write("alice/x"));
  EXPECT_FALSE(acl->for_client("c", "alice")->may_read("public/x"));
  EXPECT_TRUE(acl->for_client("c", "bob")->may_read("bob/x"));
  EXPECT_FALSE(acl->for_client("c", "bob")->may_write("bob/x"));
}

TEST(AclFile, PatternsApplyToEveryone) {
  const auto acl = parse_ok(
      "user alice\n"
      "topic read x\n"
      "pattern write devices/%c/out\n"
      "pattern read users/%u/#\n");
  const auto anonymous = acl->for_client("d1", std::nullopt);
  EXPECT_TRUE(anonymous->may_write("devices/d1/out"));
  EXPECT_FALSE(anonymous->may_read("devices/d1/out"));
  const auto carol = acl->for_client("d2", "carol");
  EXPECT_TRUE(carol->may_read("users/carol/a"));
  EXPECT_TRUE(carol->may_write("devices/d2/out"));
}

TEST(AclFile, FilterMayHoldSpacesAfterTheAccess) {
  const auto acl = parse_ok("topic read a topic/with space  \r\n");
  EXPECT_TRUE(acl->for_client("c", std::nullopt)->may_read("a topic/with space"));
}

TEST(AclFile, EmptyFileDeniesEverything) {
  const auto client = parse_ok("# nothing\n\n")->for_client("c", std::nullopt);
  EXPECT_FALSE(client->may_read("a"));
  EXPECT_FALSE(client->may_write("a"));
}

TEST(AclFile, Errors) {
  EXPECT_EQ(parse_error("topic a\n\n\ntopic rw a/b\n"),
            "acl:4: expected read, write, readwrite or deny, got 'rw'");
  EXPECT_EQ(parse_error("topic\n"), "acl:1: topic: missing topic filter");
  EXPECT_EQ(parse_error("pattern  \n"), "acl:1: pattern: missing topic filter");
  EXPECT_EQ(parse_error("user\n"), "acl:1: user: missing username");
  EXPECT_EQ(parse_error("topic read a/#/b\n"), "acl:1: topic: invalid topic filter 'a/#/b'");
  EXPECT_EQ(parse_error("pattern write a+/%c\n"), "acl:1: pattern: invalid topic filter 'a+/%c'");
  EXPECT_EQ(parse_error("ok\ntopic x\n"),
            "acl:1: unknown rule 'ok', expected topic, pattern, user or attested");
  EXPECT_EQ(parse_error("topic x\nTopic y\n"),
            "acl:2: unknown rule 'Topic', expected topic, pattern, user or attested");
}

// AttestMQ's extension: `attested measurement|module HEX` starts a section, as `user` does.
const std::string kModule(64, 'a');
// 48 bytes (TDX, SNP), written partly in upper case.
const std::string kMeasurement = std::string(48, 'B') + std::string(48, 'c');

TEST(AclFile, AttestedLinesStartSectionsKeyedOnWhatTheClientProved) {
  const auto acl = parse_ok(
      "topic read public/#\n"
      "attested module " + kModule + "\n"
      "topic write secure/#\n"
      "topic deny secure/admin\n"
      "attested measurement " + kMeasurement + "\n"
      "topic readwrite measured/#\n"
      "user alice\n"
      "topic alice/#\n");
  const broker::AttestedClaims module_only{"sim", std::string(64, '0'), kModule};
  // The measurement was written in upper and lower case: the section matches lower-case hex.
  const broker::AttestedClaims measured{"tdx", std::string(48, 'b') + std::string(48, 'c'),
                                        std::string(64, '1')};
  const auto anonymous = acl->for_client("c", std::nullopt);
  EXPECT_FALSE(anonymous->may_write("secure/x")) << "not attested";
  const auto attested = acl->for_client("c", std::nullopt, &module_only);
  EXPECT_TRUE(attested->may_write("secure/x"));
  EXPECT_FALSE(attested->may_write("secure/admin")) << "a deny in the section";
  EXPECT_TRUE(attested->may_read("public/x")) << "the anonymous rules still apply";
  EXPECT_FALSE(attested->may_write("measured/x"));
  EXPECT_TRUE(acl->for_client("c", std::nullopt, &measured)->may_write("measured/x"));
  EXPECT_FALSE(acl->for_client("c", std::nullopt, &measured)->may_write("secure/x"));
  // `user` after `attested` starts that user's section again.
  const auto alice = acl->for_client("c", "alice", &module_only);
  EXPECT_TRUE(alice->may_write("alice/x"));
  EXPECT_TRUE(alice->may_write("secure/x"));
  EXPECT_FALSE(alice->may_read("public/x"));
  EXPECT_FALSE(acl->for_client("c", "alice")->may_write("secure/x"));
}

TEST(AclFile, AttestedErrors) {
  EXPECT_EQ(parse_error("attested\n"), "acl:1: attested: expected measurement or module, got ''");
  EXPECT_EQ(parse_error("attested mrenclave " + kModule + "\n"),
            "acl:1: attested: expected measurement or module, got 'mrenclave'");
  EXPECT_EQ(parse_error("attested module abc\n"),
            "acl:1: attested module: expected 64 hex digits (SHA-256), got 'abc'");
  EXPECT_EQ(parse_error("attested module " + std::string(63, 'a') + "g\n"),
            "acl:1: attested module: expected 64 hex digits (SHA-256), got '" +
                std::string(63, 'a') + "g'");
  EXPECT_EQ(parse_error("attested measurement " + std::string(66, 'a') + "\n"),
            "acl:1: attested measurement: expected 64 or 96 hex digits (32 or 48 bytes), got '" +
                std::string(66, 'a') + "'");
  EXPECT_EQ(parse_error("attested module " + kModule + " extra\n"),
            "acl:1: attested module: expected 64 hex digits (SHA-256), got '" + kModule +
                " extra'");
}

TEST(AclFile, LoadNamesTheFileItCannotRead) {
  auto result = load_acl_file("/nonexistent/acl");
  const auto* error = std::get_if<ConfigError>(&result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->file, "/nonexistent/acl");
  EXPECT_NE(error->message.find("acl_file: cannot read"), std::string::npos);
}

TEST(AclFile, LoadReadsAFile) {
  const std::string path = ::testing::TempDir() + "acl_file_test.acl";
  std::ofstream(path) << "user u\ntopic deny x\ntopic read #\n";
  auto result = load_acl_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const broker::AccessControl>>(result));
  const auto client = std::get<0>(result)->for_client("c", "u");
  EXPECT_TRUE(client->may_read("y"));
  EXPECT_FALSE(client->may_read("x"));
}

TEST(AclFile, ConfigOptionLoadsOneSharedCopyPerFile) {
  const std::string path = ::testing::TempDir() + "acl_file_config_test.acl";
  std::ofstream(path) << "topic read #\n";
  const auto config = testing::parse_ok("per_listener_settings true\nlistener 1883\nacl_file " +
                                        path + "\nlistener 1884\nacl_file " + path +
                                        "\nlistener 1885\n");
  std::remove(path.c_str());
  ASSERT_EQ(config.settings.listeners.size(), 3u);
  ASSERT_NE(config.settings.listeners[0].acl, nullptr);
  EXPECT_EQ(config.settings.listeners[0].acl, config.settings.listeners[1].acl);
  EXPECT_EQ(config.settings.listeners[2].acl, nullptr);
  EXPECT_TRUE(config.settings.listeners[0].acl->for_client("c", std::nullopt)->may_read("a"));
}

TEST(AclFile, ConfigErrorNamesTheAclFileLine) {
  const std::string path = ::testing::TempDir() + "acl_file_error_test.acl";
  std::ofstream(path) << "user alice\ntopic rw a\n";
  const std::string error = testing::parse_error("acl_file " + path + "\n");
  std::remove(path.c_str());
  EXPECT_EQ(error, path + ":2: expected read, write, readwrite or deny, got 'rw'");
}

}  // namespace
}  // namespace attestmq::config
