// password_file: both of mosquitto_passwd's hash formats, files written by Debian's
// mosquitto_passwd, every refusal with its FILE:LINE, and loading per listener.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/password_file.hpp"
#include "config/security_files.hpp"
#include "config_test_helpers.hpp"

namespace attestmq::config {
namespace {

// Written by Debian 12's mosquitto_passwd 2.0.11: `-b FILE alice secret` and
// `-H sha512 -b FILE bob pass`.
constexpr std::string_view kMosquittoPbkdf2 =
    "alice:$7$101$tHpm64zMQdw2kjiT$2m4M+b5nvGNJS0PXAeytDtR8lEtQZdBg+aYCQvAGuKd6iNl9yF6bG6hyNbPl+"
    "eINLs1ybpRGA5B5xV16a1xlDg==";
constexpr std::string_view kMosquittoSha512 =
    "bob:$6$guG7kPTXMSAKWeFK$cELOwoJNSv1Qs19ql+K2F3RllAVoOtfk+W9/PtJerpFbyLku4CfP1rbAS1gTnf+"
    "GDQPTX+FgfYtTjtHg9SpV9A==";

std::shared_ptr<const PasswordFile> parse_ok(std::string_view text) {
  auto result = parse_password_file(text, "users.pw");
  if (const auto* error = std::get_if<ConfigError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << error->to_string();
    return std::make_shared<PasswordFile>();
  }
  return std::get<0>(std::move(result));
}

std::string parse_error(std::string_view text) {
  auto result = parse_password_file(text, "users.pw");
  if (const auto* error = std::get_if<ConfigError>(&result)) return error->to_string();
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(PasswordFile, VerifiesMosquittoPbkdf2AndSha512Entries) {
  const auto file = parse_ok(std::string(kMosquittoPbkdf2) + "\n" + std::string(kMosquittoSha512) + "\n");
  EXPECT_EQ(file->size(), 2u);
  EXPECT_TRUE(file->verify("alice", "secret"));
  EXPECT_TRUE(file->verify("bob", "pass"));
  EXPECT_FALSE(file->verify("alice", "Secret"));
  EXPECT_FALSE(file->verify("alice", "pass"));
  EXPECT_FALSE(file->verify("bob", "secret"));
  EXPECT_FALSE(file->verify("carol", "secret"));
  EXPECT_FALSE(file->verify("", ""));
}

// Without the dummy entry an unknown user would be refused without hashing at all, some
// a thousand times faster; the margin here absorbs a loaded machine.
TEST(PasswordFile, UnknownUserCostsAsMuchAsAWrongPassword) {
  const auto hash = hash_password("secret", HashKind::sha512_pbkdf2, 10'000);
  ASSERT_TRUE(hash);
  const auto file = parse_ok("alice:" + format_hash(*hash) + "\n");
  const auto fastest = [&](std::string_view username) {
    auto best = std::chrono::steady_clock::duration::max();
    for (int run = 0; run < 3; ++run) {
      const auto start = std::chrono::steady_clock::now();
      EXPECT_FALSE(file->verify(username, "wrong"));
      best = std::min(best, std::chrono::steady_clock::now() - start);
    }
    return best;
  };
  const auto known = fastest("alice");
  const auto unknown = fastest("mallory");
  EXPECT_GT(unknown * 4, known) << "unknown user refused without the hashing work";
}

TEST(PasswordFile, SkipsCommentsBlankLinesAndCarriageReturns) {
  const auto file = parse_ok("# users\n\n" + std::string(kMosquittoPbkdf2) + "\r\n\n");
  EXPECT_EQ(file->size(), 1u);
  EXPECT_TRUE(file->verify("alice", "secret"));
}

TEST(PasswordFile, EmptyFileKnowsNobody) {
  const auto file = parse_ok("");
  EXPECT_EQ(file->size(), 0u);
  EXPECT_FALSE(file->verify("alice", "secret"));
}

TEST(PasswordHash, FreshHashesVerifyAndSurviveFormatting) {
  for (const HashKind kind : {HashKind::sha512_pbkdf2, HashKind::sha512}) {
    const auto hash = hash_password("correct horse", kind, 1000);
    ASSERT_TRUE(hash);
    EXPECT_EQ(hash->salt.size(), kSaltBytes);
    EXPECT_EQ(hash->hash.size(), 64u);
    EXPECT_TRUE(password_matches(*hash, "correct horse"));
    EXPECT_FALSE(password_matches(*hash, "correct horsE"));
    const std::string text = format_hash(*hash);
    EXPECT_TRUE(text.starts_with(kind == HashKind::sha512 ? "$6$" : "$7$1000$")) << text;
    std::string error;
    const auto again = parse_hash(text, error);
    ASSERT_TRUE(again) << error;
    EXPECT_EQ(again->salt, hash->salt);
    EXPECT_EQ(again->hash, hash->hash);
    EXPECT_TRUE(password_matches(*again, "correct horse"));
  }
}

TEST(PasswordHash, SaltsAreRandom) {
  const auto first = hash_password("same", HashKind::sha512_pbkdf2, kDefaultIterations);
  const auto second = hash_password("same", HashKind::sha512_pbkdf2, kDefaultIterations);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->salt, second->salt);
  EXPECT_NE(first->hash, second->hash);
}

TEST(PasswordFile, RefusalsNameFileAndLine) {
  const std::string good(kMosquittoPbkdf2);
  EXPECT_EQ(parse_error(good + "\ncarol:$5$abc$def\n"),
            "users.pw:2: user 'carol': unknown hash type '$5$' (expected $7$ sha512-pbkdf2 or $6$ sha512)");
  EXPECT_EQ(parse_error("# comment\n\njust-a-name\n"), "users.pw:3: expected username:hash");
  EXPECT_EQ(parse_error(":$6$abc$def\n"), "users.pw:1: empty username");
  EXPECT_EQ(parse_error("dave:plaintext\n"),
            "users.pw:1: user 'dave': the password is not hashed (write the file with attestmq passwd "
            "or mosquitto_passwd)");
  EXPECT_EQ(parse_error(good + "\n" + good + "\n"), "users.pw:2: user 'alice' appears twice");
}

TEST(PasswordFile, RefusesMalformedHashes) {
  const std::string salt = "tHpm64zMQdw2kjiT";
  const std::string hash =
      "2m4M+b5nvGNJS0PXAeytDtR8lEtQZdBg+aYCQvAGuKd6iNl9yF6bG6hyNbPl+eINLs1ybpRGA5B5xV16a1xlDg==";
  EXPECT_EQ(parse_error("u:$7$101$" + salt + "\n"), "users.pw:1: user 'u': expected $7$ITERATIONS$SALT$HASH");
  EXPECT_EQ(parse_error("u:$6$" + salt + "$" + hash + "$x\n"), "users.pw:1: user 'u': expected $6$SALT$HASH");
  for (const std::string iterations : {"0", "-1", "1e3", "", "1000001", "99999999999999999999"}) {
    EXPECT_EQ(parse_error("u:$7$" + iterations + "$" + salt + "$" + hash),
              "users.pw:1: user 'u': iterations '" + iterations + "' must be a number from 1 to 1000000");
  }
  for (const std::string bad_salt : {"", "tHpm64zMQdw2kji", "tHpm64zMQdw2kj!T", "tH=m64zMQdw2kjiT", "===="}) {
    EXPECT_EQ(parse_error("u:$7$101$" + bad_salt + "$" + hash), "users.pw:1: user 'u': the salt is not base64")
        << bad_salt;
  }
  // A 63-byte hash, and 64 bytes that are not padded to a multiple of four characters.
  const std::string short_hash = hash.substr(0, 84);
  for (const std::string& bad_hash : {short_hash, hash.substr(0, 86), std::string("AAAA")}) {
    EXPECT_EQ(parse_error("u:$7$101$" + salt + "$" + bad_hash),
              "users.pw:1: user 'u': the hash is not 64 bytes of base64")
        << bad_hash;
  }
}

class PasswordFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attestmq-pw-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  void write(const char* name, std::string_view text) const { std::ofstream(dir_ / name) << text; }

  std::filesystem::path dir_;
};

// Interoperability: files written now by Debian's mosquitto_passwd, in both formats.
TEST_F(PasswordFiles, AcceptsFilesWrittenByMosquittoPasswd) {
  const std::string file = path("mosquitto.pw");
  const std::string tool = "mosquitto_passwd";
  ASSERT_EQ(std::system((tool + " -c -b " + file + " alice 'pässword 1'").c_str()), 0);
  ASSERT_EQ(std::system((tool + " -H sha512-pbkdf2 -b " + file + " bob b0b").c_str()), 0);
  ASSERT_EQ(std::system((tool + " -H sha512 -b " + file + " carol ':colon:'").c_str()), 0);
  auto result = load_password_file(file);
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const PasswordFile>>(result))
      << std::get<ConfigError>(result).to_string();
  const auto& users = std::get<0>(result);
  EXPECT_EQ(users->size(), 3u);
  EXPECT_TRUE(users->verify("alice", "pässword 1"));
  EXPECT_TRUE(users->verify("bob", "b0b"));
  EXPECT_TRUE(users->verify("carol", ":colon:"));
  EXPECT_FALSE(users->verify("alice", "b0b"));
}

TEST_F(PasswordFiles, UnreadableFileIsAnError) {
  auto result = load_password_file(path("missing.pw"));
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_EQ(std::get<ConfigError>(result).to_string(),
            path("missing.pw") + ": password_file: cannot read: No such file or directory");
}

TEST_F(PasswordFiles, ListenersSharingAFileShareOneCopy) {
  write("a.pw", kMosquittoPbkdf2);
  write("b.pw", kMosquittoSha512);
  const auto config = testing::parse_ok("per_listener_settings true\nlistener 1883\npassword_file " +
                                        path("a.pw") + "\nlistener 1884\npassword_file " + path("b.pw") +
                                        "\nlistener 1885\npassword_file " + path("a.pw") +
                                        "\nlistener 1886\n");
  ASSERT_EQ(config.settings.listeners.size(), 4u);
  const auto& policies = config.settings.listeners;
  ASSERT_TRUE(policies[0].passwords && policies[1].passwords && policies[2].passwords);
  EXPECT_TRUE(policies[0].passwords->verify("alice", "secret"));
  EXPECT_FALSE(policies[0].passwords->verify("bob", "pass"));
  EXPECT_TRUE(policies[1].passwords->verify("bob", "pass"));
  EXPECT_EQ(policies[0].passwords, policies[2].passwords);
  EXPECT_EQ(policies[3].passwords, nullptr);
}

TEST_F(PasswordFiles, GlobalFileAppliesToEveryListener) {
  write("a.pw", kMosquittoPbkdf2);
  const auto config =
      testing::parse_ok("password_file " + path("a.pw") + "\nlistener 1883\nlistener 1884\n");
  ASSERT_EQ(config.settings.listeners.size(), 2u);
  EXPECT_TRUE(config.settings.listeners[0].passwords->verify("alice", "secret"));
  EXPECT_EQ(config.settings.listeners[0].passwords, config.settings.listeners[1].passwords);
}

TEST_F(PasswordFiles, ABadFileFailsTheConfiguration) {
  write("bad.pw", std::string(kMosquittoPbkdf2) + "\nbob:$5$x$y\n");
  EXPECT_EQ(testing::parse_error("listener 1883\npassword_file " + path("bad.pw") + "\n"),
            path("bad.pw") + ":2: user 'bob': unknown hash type '$5$' (expected $7$ sha512-pbkdf2 or $6$ sha512)");
}

}  // namespace
}  // namespace attestmq::config
