// The configuration digest (claims key 7, docs/evidence.md): what changes it, what does not,
// and that it covers the very bytes the broker enforces.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "attest/common/hex.hpp"
#include "attested/configuration_digest.hpp"
#include "broker/access_control.hpp"
#include "../config/config_test_helpers.hpp"

namespace attestmq::attested {
namespace {

using config::testing::parse_ok;

class ConfigurationDigest : public ::testing::Test {
 protected:
  void SetUp() override {
    acl_path_ = ::testing::TempDir() + "attestmq-digest-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".acl";
    write_acl("topic read sensors/#\n");
  }
  void write_acl(const std::string& text) { std::ofstream(acl_path_, std::ios::trunc) << text; }

  std::string with_acl(const std::string& listener) {
    return listener + "allow_anonymous true\nacl_file " + acl_path_ + "\n";
  }

  std::string acl_path_;
};

TEST_F(ConfigurationDigest, NamesEachSecurityFileByTheSha256OfItsBytes) {
  const auto config = parse_ok(with_acl("listener 1883\n"));
  const std::string text = configuration_text(config);
  std::array<std::uint8_t, 32> acl_sha{};
  const std::string acl = "topic read sensors/#\n";
  SHA256(reinterpret_cast<const unsigned char*>(acl.data()), acl.size(), acl_sha.data());
  EXPECT_EQ(text.rfind("attestmq-configuration-v1\n", 0), 0u) << text;
  EXPECT_NE(text.find("allow_anonymous true\n"), std::string::npos) << text;
  EXPECT_NE(text.find("acl_file sha256:" + attest::to_hex(acl_sha) + "\n"), std::string::npos) << text;
  // The path itself is not configuration: the same files elsewhere give the same digest.
  EXPECT_EQ(text.find(acl_path_), std::string::npos) << text;

  std::array<std::uint8_t, 32> expected{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), expected.data());
  EXPECT_EQ(configuration_digest(config), expected);
}

TEST_F(ConfigurationDigest, AnAclThatGrantsMoreIsAnotherDigest) {
  const auto before = configuration_digest(parse_ok(with_acl("listener 1883\n")));
  EXPECT_EQ(configuration_digest(parse_ok(with_acl("listener 1883\n"))), before);
  write_acl("topic readwrite #\n");
  EXPECT_NE(configuration_digest(parse_ok(with_acl("listener 1883\n"))), before);
}

TEST_F(ConfigurationDigest, SecurityOptionsChangeItAndPortsDoNot) {
  const auto base = configuration_digest(parse_ok(with_acl("listener 1883\n")));
  EXPECT_EQ(configuration_digest(parse_ok(with_acl("listener 1999\n"))), base);
  EXPECT_NE(configuration_digest(parse_ok("listener 1883\nallow_anonymous false\nacl_file " +
                                       acl_path_ + "\n")),
            base);
  EXPECT_NE(configuration_digest(parse_ok(with_acl("listener 1883\nuse_username_as_clientid true\n"))),
            base);
  EXPECT_NE(configuration_digest(parse_ok(with_acl("listener 1883\n") + "listener 1884\n")), base);
}

// A host that swaps the file after it was read cannot split what is attested from what is
// enforced: both come from the one read.
TEST_F(ConfigurationDigest, TheParsedBytesAreTheHashedBytes) {
  const auto config = parse_ok(with_acl("listener 1883\n"));
  write_acl("topic readwrite #\n");
  const auto digest = configuration_digest(config);
  ASSERT_EQ(config.listeners.size(), 1u);
  ASSERT_EQ(config.listeners[0].file_digests.size(), 1u);
  EXPECT_EQ(config.listeners[0].file_digests[0].option, "acl_file");
  const auto access = config.settings.listeners[0].acl->for_client("c", std::nullopt);
  EXPECT_TRUE(access->may_read("sensors/1"));
  EXPECT_FALSE(access->may_write("sensors/1"));
  EXPECT_NE(configuration_digest(parse_ok(with_acl("listener 1883\n"))), digest);
}

// The roots a client policy pins decide whose evidence the broker believes: swapping one is
// another configuration, and one that cannot be read is an error naming it.
TEST_F(ConfigurationDigest, TheRootsAClientPolicyPinsArePartOfIt) {
  const std::string dir = ::testing::TempDir();
  const std::string root = dir + "attestmq-digest-pinned-root.pem";
  const std::string policy = dir + "attestmq-digest-pinning-policy.json";
  std::ofstream(policy, std::ios::trunc) << R"({"pinned_roots": {"sim": "attestmq-digest-pinned-root.pem"}})";
  const std::string cert = dir + "attestmq-digest-pinning-cert.pem";
  std::ofstream(cert, std::ios::trunc) << "not parsed here\n";
  const std::string text = "tee sim\nlistener 8883\ncertfile " + cert + "\nkeyfile " + cert +
                           "\nattestation_client_policy " + policy + "\n";
  std::ofstream(root, std::ios::trunc) << "one key\n";
  const auto before = configuration_digest(parse_ok(text));
  std::ofstream(root, std::ios::trunc) << "another key\n";
  EXPECT_NE(configuration_digest(parse_ok(text)), before);
  std::remove(root.c_str());
  EXPECT_EQ(config::testing::parse_error(text),
            root + ": attestation_client_policy.pinned_roots.sim: cannot read: No such file or directory");
}

// The whole text, as docs/evidence.md section 2.1 specifies it for another implementation to
// recompute: every line, every file in its documented order.
TEST_F(ConfigurationDigest, TheTextIsTheDocumentedFormat) {
  const std::string dir = ::testing::TempDir();
  const auto file = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + name, std::ios::trunc) << text;
    std::array<std::uint8_t, 32> sha{};
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), sha.data());
    return std::pair{dir + name, "sha256:" + attest::to_hex(sha)};
  };
  const auto [passwords, passwords_sha] = file(
      "digest-users", "alice:$7$101$" + std::string(16, 'A') + "$" + std::string(86, 'A') + "==\n");
  const auto [psk, psk_sha] = file("digest-psk", "client:00ff\n");
  const auto [ca, ca_sha] = file("digest-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const auto [root, root_sha] = file("digest-root.pem", "-----BEGIN PUBLIC KEY-----\n");
  const auto [policy, policy_sha] =
      file("digest-policy.json", R"({"pinned_roots": {"sim": "digest-root.pem"}})");
  const std::string cert = file("digest-cert.pem", "not parsed here\n").first;
  const auto config = parse_ok("per_listener_settings true\nlistener 1883\nallow_anonymous true\n"
                            "listener 8883\ncertfile " + cert + "\nkeyfile " + cert +
                            "\ncafile " + ca + "\npsk_hint hint\npsk_file " + psk +
                            "\ntls_version tlsv1.3\nattestation_mode cached\n"
                            "attestation_quote_period 600\nattestation_client_policy " + policy +
                            "\npassword_file " + passwords + "\nacl_file " + acl_path_ + "\n");
  const std::string acl_sha = file(acl_path_.substr(dir.size()), "topic read sensors/#\n").second;
  EXPECT_EQ(configuration_text(config),
            "attestmq-configuration-v1\n"
            "per_listener_settings true\n"
            "listener 0\n"
            "allow_anonymous true\n"
            "use_username_as_clientid false\n"
            "tls false\n"
            "listener 1\n"
            "allow_anonymous false\n"
            "use_username_as_clientid false\n"
            "tls true\n"
            "tls_version tlsv1.3\n"
            "ciphers \n"
            "ciphers_tls1.3 \n"
            "require_certificate false\n"
            "use_identity_as_username false\n"
            "use_subject_as_username false\n"
            "psk_hint hint\n"
            "crlfile false\n"
            "tls_keylog_file false\n"
            "attestation_auth true\n"
            "attestation_handshake false\n"
            "attestation_extension_codepoint 65370\n"
            "attestation_mode cached\n"
            "attestation_quote_period 600\n"
            "attestation_require_client_auth false\n"
            "password_file " + passwords_sha + "\n"
            "acl_file " + acl_sha + "\n"
            "psk_file " + psk_sha + "\n"
            "cafile " + ca_sha + "\n"
            "attestation_client_policy " + policy_sha + "\n"
            "attestation_client_policy.pinned_roots.sim " + root_sha + "\n");
  // The verifier gets the bytes that were hashed, not the path to read again.
  EXPECT_EQ(config.listeners[1].client_policy->pinned_root_pems.at(attest::EvidenceType::sim),
            "-----BEGIN PUBLIC KEY-----\n");
}

}  // namespace
}  // namespace attestmq::attested
