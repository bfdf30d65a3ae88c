// TLS listener options and the security files: where each lands, per_listener_settings, and
// the errors for unreadable files and combinations Mosquitto refuses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config_test_helpers.hpp"

namespace attestmq::config {
namespace {

using testing::parse_error;
using testing::parse_ok;

// A directory of empty files standing in for certificates and security files: the parser
// only checks that they can be read; their contents are read later (TLS context, loaders).
class TlsSecurityOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attestmq-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    for (const char* name : {"ca.pem", "cert.pem", "key.pem", "crl.pem", "users", "acl", "psk"}) {
      std::ofstream(dir_ / name);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(TlsSecurityOptions, CertificateListener) {
  const auto config = parse_ok("listener 8883\ncafile " + path("ca.pem") + "\ncertfile " +
                               path("cert.pem") + "\nkeyfile " + path("key.pem") + "\ncrlfile " +
                               path("crl.pem") +
                               "\nrequire_certificate true\nuse_identity_as_username true\n"
                               "tls_version tlsv1.3\nciphers_tls1.3 TLS_AES_128_GCM_SHA256\n"
                               "ciphers ECDHE-ECDSA-AES128-GCM-SHA256\ncapath " + dir_.string() +
                               "\nlistener 1883\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  const ListenerTls& tls = config.listeners[0].tls;
  EXPECT_TRUE(tls.enabled());
  EXPECT_EQ(tls.cafile, path("ca.pem"));
  EXPECT_EQ(tls.capath, dir_.string());
  EXPECT_EQ(tls.certfile, path("cert.pem"));
  EXPECT_EQ(tls.keyfile, path("key.pem"));
  EXPECT_EQ(tls.crlfile, path("crl.pem"));
  EXPECT_TRUE(tls.require_certificate);
  EXPECT_TRUE(tls.use_identity_as_username);
  EXPECT_FALSE(tls.use_subject_as_username);
  EXPECT_EQ(tls.tls_version, "tlsv1.3");
  EXPECT_EQ(tls.ciphers_tls13, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(tls.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  // TLS options belong to the listener they follow.
  EXPECT_FALSE(config.listeners[1].tls.enabled());
}

TEST_F(TlsSecurityOptions, PskListenerTakesTheGlobalPskFile) {
  const auto config = parse_ok("psk_file " + path("psk") + "\nlistener 8884\npsk_hint broker\n");
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_TRUE(config.listeners[0].tls.enabled());
  EXPECT_EQ(config.listeners[0].tls.psk_hint, "broker");
  EXPECT_EQ(config.listeners[0].tls.psk_file, path("psk"));
}

TEST_F(TlsSecurityOptions, GlobalSecurityFilesApplyToEveryListener) {
  const auto config = parse_ok("password_file " + path("users") + "\nacl_file " + path("acl") +
                               "\nlistener 1883\nlistener 1884\n");
  for (const auto& listener : config.listeners) {
    EXPECT_EQ(listener.password_file, path("users"));
    EXPECT_EQ(listener.acl_file, path("acl"));
  }
}

TEST_F(TlsSecurityOptions, PerListenerSecurityFiles) {
  const auto config = parse_ok("per_listener_settings true\nlistener 1883\npassword_file " +
                               path("users") + "\nlistener 1884\nacl_file " + path("acl") + "\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].password_file, path("users"));
  EXPECT_EQ(config.listeners[0].acl_file, "");
  EXPECT_EQ(config.listeners[1].password_file, "");
  EXPECT_EQ(config.listeners[1].acl_file, path("acl"));
}

TEST_F(TlsSecurityOptions, ConnectTimeoutAndConnectionRate) {
  const auto config = parse_ok("connect_timeout 3\nlistener 1883\nmax_connection_rate 20\n");
  EXPECT_EQ(config.settings.connect_timeout_ms, 3000u);
  EXPECT_EQ(config.listeners[0].max_connection_rate, 20u);
  EXPECT_EQ(parse_ok("listener 1883\n").settings.connect_timeout_ms, 10'000u);
}

TEST_F(TlsSecurityOptions, UnreadableFilesNameTheirLine) {
  EXPECT_EQ(parse_error("listener 8883\ncertfile /nonexistent/cert.pem\n"),
            "test.conf:2: certfile: cannot read '/nonexistent/cert.pem': No such file or directory");
  EXPECT_EQ(parse_error("password_file /nonexistent/users\n"),
            "test.conf:1: password_file: cannot read '/nonexistent/users': No such file or directory");
  EXPECT_EQ(parse_error("listener 8883\ncapath " + path("ca.pem") + "\n"),
            "test.conf:2: capath: '" + path("ca.pem") + "' is not a directory");
  EXPECT_EQ(parse_error("listener 8883\ncafile " + dir_.string() + "\n"),
            "test.conf:2: cafile: '" + dir_.string() + "' is a directory");
}

TEST_F(TlsSecurityOptions, BadValues) {
  EXPECT_EQ(parse_error("listener 8883\ntls_version tlsv1.1\n"),
            "test.conf:2: tls_version: 'tlsv1.1' is not offered: AttestMQ speaks TLS 1.2 and 1.3 only");
  EXPECT_EQ(parse_error("listener 8883\ntls_version sslv3\n"),
            "test.conf:2: tls_version: expected tlsv1.3 or tlsv1.2, got 'sslv3'");
  EXPECT_EQ(parse_error("listener 8883\nrequire_certificate yes\n"),
            "test.conf:2: require_certificate: expected true or false, got 'yes'");
  EXPECT_EQ(parse_error("listener 8883\npsk_hint\n"), "test.conf:2: psk_hint: expected a value");
  EXPECT_EQ(parse_error("connect_timeout -1\n"),
            "test.conf:1: connect_timeout: expected an integer from 0 to 3600, got '-1'");
}

TEST_F(TlsSecurityOptions, CombinationsMosquittoRefuses) {
  const std::string cert = "certfile " + path("cert.pem") + "\n";
  const std::string key = "keyfile " + path("key.pem") + "\n";
  EXPECT_EQ(parse_error("listener 8883\n" + cert), "test.conf:1: certfile: needs keyfile");
  EXPECT_EQ(parse_error("listener 8883\n" + key), "test.conf:1: keyfile: needs certfile");
  EXPECT_EQ(parse_error("listener 8883\n" + cert + key + "require_certificate true\n"),
            "test.conf:1: require_certificate: needs cafile or capath to verify client "
            "certificates with");
  EXPECT_EQ(parse_error("listener 8883\npsk_hint h\n"), "test.conf:1: psk_hint: needs psk_file");
  EXPECT_EQ(parse_error("listener 1883\ntls_version tlsv1.3\n"),
            "test.conf:1: TLS options on a listener without certfile/keyfile or psk_hint");
  EXPECT_EQ(parse_error("listener 8883\n" + cert + key + "cafile " + path("ca.pem") +
                        "\nuse_identity_as_username true\nuse_subject_as_username true\n"),
            "test.conf:1: use_identity_as_username and use_subject_as_username: choose one");
}

// Found by fuzz/config_parse_fuzz: a TLS option with no listener line created the default
// listener without an origin, and the error named no file.
TEST_F(TlsSecurityOptions, ErrorsAboutTheDefaultListenerNameTheLineThatMadeIt) {
  EXPECT_EQ(parse_error("max_qos 1\ncafile " + path("ca.pem") + "\n"),
            "test.conf:2: TLS options on a listener without certfile/keyfile or psk_hint");
}

TEST_F(TlsSecurityOptions, SecurityFileBeforePerListenerSettingsIsRefused) {
  EXPECT_EQ(parse_error("acl_file " + path("acl") + "\nper_listener_settings true\n"),
            "test.conf:2: per_listener_settings: must come before any security option "
            "(the first is at test.conf:1)");
}

}  // namespace
}  // namespace attestmq::config
