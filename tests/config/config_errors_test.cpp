// Every way a configuration is refused names the file, the line and the option.
#include <gtest/gtest.h>

#include <fstream>

#include "config_test_helpers.hpp"

namespace attestmq::config {
namespace {

using testing::parse_error;

TEST(ConfigErrors, UnknownOption) {
  EXPECT_EQ(parse_error("max_qos 1\n\nfoo bar\n"), "test.conf:3: unknown option 'foo'");
}

TEST(ConfigErrors, UnsupportedMosquittoOptions) {
  for (const char* option : {"dhparamfile dh.pem", "tls_engine pkcs11", "pid_file /run/p",
                             "ocsp_url http://ocsp", "tls_keyform engine", "clientid_prefixes x",
                             "bridge_protocol_version mqttv50", "connection bridge1",
                             "auth_opt_db x", "plugin /usr/lib/p.so", "user mosquitto"}) {
    const std::string text = std::string("max_qos 2\n") + option + "\n";
    const std::string name(std::string_view(option).substr(0, std::string_view(option).find(' ')));
    EXPECT_EQ(parse_error(text), "test.conf:2: " + name + ": not supported yet");
  }
}

TEST(ConfigErrors, PersistenceValues) {
  EXPECT_EQ(parse_error("persistence_sync always\n"),
            "test.conf:1: persistence_sync: expected full, normal or off, got 'always'");
  EXPECT_EQ(parse_error("persistence yes\n"), "test.conf:1: persistence: expected true or false, got 'yes'");
  EXPECT_EQ(parse_error("autosave_interval -1\n").substr(0, 32), "test.conf:1: autosave_interval: ");
}

TEST(ConfigErrors, UnsupportedValues) {
  EXPECT_EQ(parse_error("log_dest syslog\n"), "test.conf:1: log_dest: syslog: not supported yet");
  EXPECT_EQ(parse_error("log_dest topic\n"), "test.conf:1: log_dest: topic: not supported yet");
  EXPECT_EQ(parse_error("log_type subscribe\n"), "test.conf:1: log_type: subscribe: not supported yet");
  EXPECT_EQ(parse_error("listener 9001\nprotocol websockets\n"),
            "test.conf:2: protocol: websockets: not supported yet");
}

TEST(ConfigErrors, BadValues) {
  EXPECT_EQ(parse_error("max_qos 7\n"), "test.conf:1: max_qos: expected 0, 1 or 2, got '7'");
  EXPECT_EQ(parse_error("allow_anonymous yes\n"),
            "test.conf:1: allow_anonymous: expected true or false, got 'yes'");
  EXPECT_EQ(parse_error("retain_available 1\n"),
            "test.conf:1: retain_available: expected true or false, got '1'");
  EXPECT_EQ(parse_error("max_inflight_messages 70000\n"),
            "test.conf:1: max_inflight_messages: expected an integer from 0 to 65535, got '70000'");
  EXPECT_EQ(parse_error("max_keepalive -1\n"),
            "test.conf:1: max_keepalive: expected an integer from 0 to 65535, got '-1'");
  EXPECT_EQ(parse_error("max_queued_messages 10k\n"),
            "test.conf:1: max_queued_messages: expected an integer from 0 to 4294967295, got '10k'");
  EXPECT_EQ(parse_error("max_connections -2\n"),
            "test.conf:1: max_connections: expected an integer from -1 to 2147483647, got '-2'");
  EXPECT_EQ(parse_error("message_size_limit 268435456\n"),
            "test.conf:1: message_size_limit: expected an integer from 0 to 268435455, got '268435456'");
  EXPECT_EQ(parse_error("max_packet_size 10\n"),
            "test.conf:1: max_packet_size: expected 0 or an integer from 20 to 268435460, got '10'");
  EXPECT_EQ(parse_error("port 65536\n"),
            "test.conf:1: port: expected an integer from 0 to 65535, got '65536'");
  EXPECT_EQ(parse_error("listener http\n"),
            "test.conf:1: listener: expected an integer from 0 to 65535, got 'http'");
  EXPECT_EQ(parse_error("socket_domain ipx\n"), "test.conf:1: socket_domain: expected ipv4 or ipv6, got 'ipx'");
  EXPECT_EQ(parse_error("threads many\n"), "test.conf:1: threads: expected an integer from 0 to 256, got 'many'");
  EXPECT_EQ(parse_error("log_dest printer\n"),
            "test.conf:1: log_dest: expected stdout, stderr, file PATH or none, got 'printer'");
  EXPECT_EQ(parse_error("log_dest file\n"), "test.conf:1: log_dest: file: expected a path");
  EXPECT_EQ(parse_error("log_type verbose\n"),
            "test.conf:1: log_type: expected error, warning, notice, information, debug, all or none, got 'verbose'");
  EXPECT_EQ(parse_error("protocol mqtts\n"), "test.conf:1: protocol: expected mqtt or websockets, got 'mqtts'");
}

TEST(ConfigErrors, Durations) {
  for (const char* bad : {"10", "h", "0h", "1s", "-1d", "1.5d", "1hh"}) {
    EXPECT_EQ(parse_error(std::string("persistent_client_expiration ") + bad + "\n"),
              std::string("test.conf:1: persistent_client_expiration: expected a duration such as "
                          "1h, 2d, 1w, 1m or 1y, got '") + bad + "'");
  }
}

TEST(ConfigErrors, Arity) {
  EXPECT_EQ(parse_error("max_qos\n"), "test.conf:1: max_qos: expected a value");
  EXPECT_EQ(parse_error("max_qos 1 # one\n"),
            "test.conf:1: max_qos: unexpected extra argument '#' (comments must be on a line of their own)");
  EXPECT_EQ(parse_error("listener 1883 0.0.0.0 extra\n"),
            "test.conf:1: listener: unexpected extra argument 'extra' (comments must be on a line of their own)");
  EXPECT_EQ(parse_error("log_dest stdout now\n"), "test.conf:1: log_dest: unexpected argument 'now'");
  EXPECT_EQ(parse_error("include_dir\n"), "test.conf:1: include_dir: expected a directory");
}

TEST(ConfigErrors, PerListenerSettingsMustComeFirst) {
  EXPECT_EQ(parse_error("allow_anonymous true\nper_listener_settings true\n"),
            "test.conf:2: per_listener_settings: must come before any security option "
            "(the first is at test.conf:1)");
}

TEST(ConfigErrors, ConflictingPerListenerLimits) {
  EXPECT_EQ(parse_error("listener 1883\nmax_qos 1\nlistener 1884\nmax_qos 2\n"),
            "test.conf:4: max_qos: AttestMQ applies one value to every listener; 2 conflicts with "
            "1 set at test.conf:2");
  EXPECT_EQ(parse_error("listener 1883\nmax_topic_alias 5\nlistener 1884\nmax_topic_alias 6\n"),
            "test.conf:4: max_topic_alias: AttestMQ applies one value to every listener; 6 conflicts "
            "with 5 set at test.conf:2");
}

TEST(ConfigErrors, MissingFile) {
  auto result = load_config_file("/nonexistent/attestmq.conf");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_EQ(std::get<ConfigError>(result).to_string(),
            "/nonexistent/attestmq.conf: cannot read configuration file: No such file or directory");
}

TEST(ConfigErrors, LoadedFileNamesItsPath) {
  const std::string path = ::testing::TempDir() + "attestmq_errors.conf";
  std::ofstream(path) << "listener 1883\nmax_qos three\n";
  auto result = load_config_file(path);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_EQ(std::get<ConfigError>(result).to_string(),
            path + ":2: max_qos: expected 0, 1 or 2, got 'three'");
}

}  // namespace
}  // namespace attestmq::config
