// Every option lands where it should, with Mosquitto's value syntax.
#include <gtest/gtest.h>

#include <fstream>

#include "config_test_helpers.hpp"

namespace attestmq::config {
namespace {

using testing::parse_ok;

TEST(ConfigOptions, EngineLimits) {
  const auto config = parse_ok(
      "max_inflight_messages 5\n"
      "max_queued_messages 200\n"
      "max_queued_bytes 1048576\n"
      "message_size_limit 4096\n"
      "max_packet_size 65536\n"
      "max_keepalive 120\n"
      "max_qos 1\n"
      "max_topic_alias 3\n"
      "retain_available false\n"
      "sys_interval 0\n"
      "connection_messages false\n"
      "max_client_output_bytes 65536\n");
  const auto& s = config.settings;
  EXPECT_EQ(s.max_inflight_messages, 5);
  EXPECT_EQ(s.max_queued_messages, 200u);
  EXPECT_EQ(s.max_queued_bytes, 1048576u);
  EXPECT_EQ(s.message_size_limit, 4096u);
  EXPECT_EQ(s.max_packet_size, 65536u);
  EXPECT_EQ(s.max_keepalive, 120);
  EXPECT_EQ(s.max_qos, 1);
  EXPECT_EQ(s.max_topic_alias, 3);
  EXPECT_FALSE(s.retain_available);
  EXPECT_EQ(s.sys_interval_s, 0u);
  EXPECT_FALSE(s.connection_messages);
  EXPECT_EQ(s.max_client_output_bytes, 65536u);
}

// Issue #7 item 7 and the memory bounds: Mosquitto options users carry over, and ours.
TEST(ConfigOptions, MosquittoParityAndMemoryBounds) {
  const auto config = parse_ok(
      "max_inflight_bytes 1000\n"
      "upgrade_outgoing_qos true\n"
      "max_connect_size 4096\n"
      "max_subscriptions_per_client 50\n"
      "listener 1883\n"
      "use_username_as_clientid true\n"
      "listener 1884\n");
  const auto& s = config.settings;
  EXPECT_EQ(s.max_inflight_bytes, 1000u);
  EXPECT_TRUE(s.upgrade_outgoing_qos);
  EXPECT_EQ(s.max_connect_size, 4096u);
  EXPECT_EQ(s.max_subscriptions_per_client, 50u);
  ASSERT_EQ(s.listeners.size(), 2u);
  EXPECT_TRUE(s.listeners[0].use_username_as_clientid) << "a listener option, as in Mosquitto";
  EXPECT_FALSE(s.listeners[1].use_username_as_clientid);
}

// Issue #11: Mosquitto's persistence options, and AttestMQ's persistence_sync.
TEST(ConfigOptions, Persistence) {
  using Sync = PersistenceConfig::Sync;
  const auto off = parse_ok("");
  EXPECT_FALSE(off.persistence.enabled);
  EXPECT_EQ(off.persistence.path(), "attestmq.db");
  EXPECT_EQ(off.persistence.sync, Sync::normal);
  const auto on = parse_ok(
      "persistence true\n"
      "persistence_location /var/lib/attestmq\n"
      "persistence_file broker.db\n"
      "persistence_sync full\n"
      "autosave_interval 1800\n"
      "autosave_on_changes false\n");
  EXPECT_TRUE(on.persistence.enabled);
  EXPECT_EQ(on.persistence.path(), "/var/lib/attestmq/broker.db");
  EXPECT_EQ(on.persistence.sync, Sync::full);
  EXPECT_EQ(parse_ok("persistence_location /var/lib/mosquitto/\n").persistence.path(),
            "/var/lib/mosquitto/attestmq.db");
  EXPECT_EQ(parse_ok("persistence_sync off\n").persistence.sync, Sync::off);
}

// Issue #9: the attestation provider and which TLS listeners offer attested sessions.
TEST(ConfigOptions, AttestationProvider) {
  const auto config = parse_ok(
      "tee sim\n"
      "tee_sim_key_file /var/lib/attestmq/sim.pem\n"
      "listener 8883\n"
      "attestation_auth false\n");
  EXPECT_EQ(config.tee, "sim");
  EXPECT_EQ(config.tee_sim_key_file, "/var/lib/attestmq/sim.pem");
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_FALSE(config.listeners[0].attestation_auth);
  EXPECT_EQ(parse_ok("").tee, "none");
  EXPECT_TRUE(parse_ok("listener 1883\n").listeners[0].attestation_auth);
  CommandLine command_line;
  command_line.tee = "none";  // --tee replaces the file's
  EXPECT_EQ(parse_ok("tee sim\n", command_line).tee, "none");
  EXPECT_EQ(testing::parse_error("tee sgx\n"),
            "test.conf:1: tee: expected none, sim, sgx-gramine or tsm, got 'sgx'");
}

// Issue #9, docs/attestation.md section 6.2: cached evidence per listener, and its period.
TEST(ConfigOptions, AttestationModeAndQuotePeriod) {
  using Mode = ListenerConfig::AttestationMode;
  const auto config = parse_ok(
      "listener 8883\n"
      "attestation_mode cached\n"
      "attestation_quote_period 600\n"
      "listener 8884\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].attestation_mode, Mode::cached);
  EXPECT_EQ(config.listeners[0].attestation_quote_period_s, 600u);
  EXPECT_EQ(config.listeners[1].attestation_mode, Mode::per_session);
  EXPECT_EQ(config.listeners[1].attestation_quote_period_s, 3600u);
  EXPECT_EQ(testing::parse_error("listener 8883\nattestation_mode sometimes\n"),
            "test.conf:2: attestation_mode: expected per-session or cached, got 'sometimes'");
  EXPECT_EQ(testing::parse_error("listener 8883\nattestation_quote_period 0\n"),
            "test.conf:2: attestation_quote_period: expected an integer from 1 to 604800, got '0'");
}

// docs/attestation.md section 13: what a listener asks of the clients it attests to.
TEST(ConfigOptions, AttestationClientOptionsArePerListener) {
  const std::string policy_file = ::testing::TempDir() + "attestmq-clients.json";
  const std::string policy_json = R"({"accepted_types": ["sim"]})";
  std::ofstream(policy_file) << policy_json;
  const auto config = parse_ok(
      "tee sim\n"
      "listener 8883\n"
      "attestation_require_client_auth true\n"
      "attestation_client_policy " + policy_file + "\n"
      "listener 8884\n");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_TRUE(config.listeners[0].attestation_require_client_auth);
  EXPECT_EQ(config.listeners[0].attestation_client_policy, policy_file);
  // Parsed from the bytes read once, for the policy and the configuration digest alike.
  ASSERT_NE(config.listeners[0].client_policy, nullptr);
  EXPECT_EQ(config.listeners[0].client_policy->accepted_types,
            std::vector<attestmq::attest::EvidenceType>{attestmq::attest::EvidenceType::sim});
  EXPECT_EQ(config.listeners[1].client_policy, nullptr);
  EXPECT_FALSE(config.listeners[1].attestation_require_client_auth);
  EXPECT_EQ(config.listeners[1].attestation_client_policy, "");
  EXPECT_EQ(testing::parse_error("listener 8883\nattestation_require_client_auth maybe\n"),
            "test.conf:2: attestation_require_client_auth: expected true or false, got 'maybe'");
  EXPECT_EQ(testing::parse_error("listener 8883\nattestation_client_policy\n"),
            "test.conf:2: attestation_client_policy: expected a value");
}

// Transport A (docs/attestation.md section 8): off by default, codepoint 0xFF5A by default and
// only in the private-use range 0xFF00..0xFFFF.
TEST(ConfigOptions, AttestationHandshake) {
  const auto defaults = parse_ok("listener 8883\n").listeners[0];
  EXPECT_FALSE(defaults.attestation_handshake);
  EXPECT_EQ(defaults.attestation_extension_codepoint, 0xFF5A);
  const auto config = parse_ok(
      "listener 8883\n"
      "attestation_handshake true\n"
      "attestation_extension_codepoint 0xff10\n"
      "listener 8884\n"
      "attestation_extension_codepoint 65535\n");
  EXPECT_TRUE(config.listeners[0].attestation_handshake);
  EXPECT_EQ(config.listeners[0].attestation_extension_codepoint, 0xFF10);
  EXPECT_EQ(config.listeners[1].attestation_extension_codepoint, 0xFFFF);
  const std::string expected =
      "test.conf:2: attestation_extension_codepoint: expected a private-use TLS extension type "
      "from 0xFF00 to 0xFFFF (RFC 8447), got ";
  for (const char* bad : {"0xFEFF", "0x10000", "43", "0x", "0xFF5G", "-1", "ff5a"}) {
    EXPECT_EQ(testing::parse_error(std::string("listener 8883\nattestation_extension_codepoint ") +
                                   bad + "\n"),
              expected + "'" + bad + "'");
  }
}

TEST(ConfigOptions, DefaultsFollowMosquitto) {
  const auto config = parse_ok("");
  const broker::Settings defaults;
  EXPECT_EQ(config.settings.max_inflight_messages, defaults.max_inflight_messages);
  EXPECT_EQ(config.settings.max_queued_messages, 1000u);
  EXPECT_EQ(config.settings.max_qos, 2);
  EXPECT_TRUE(config.settings.retain_available);
  EXPECT_FALSE(config.settings.persistent_client_expiration_s.has_value());
  EXPECT_EQ(config.settings.sys_interval_s, 10u);
  EXPECT_EQ(config.settings.max_inflight_bytes, 0u);
  EXPECT_FALSE(config.settings.upgrade_outgoing_qos);
  EXPECT_EQ(config.settings.max_connect_size, 65536u);
  EXPECT_EQ(config.settings.max_topic_levels, 200u);
  EXPECT_EQ(config.settings.max_subscriptions_per_client, 0u);
  EXPECT_FALSE(config.per_listener_settings);
  EXPECT_EQ(config.threads, 0u);
  EXPECT_TRUE(config.tcp_nodelay);
  EXPECT_EQ(config.log.types, kLogDefaultTypes);
  ASSERT_EQ(config.log.destinations.size(), 1u);
  EXPECT_EQ(config.log.destinations[0].kind, LogDestination::Kind::stderr_stream);
  EXPECT_TRUE(config.log.timestamp);
}

TEST(ConfigOptions, ThreadsAndNodelay) {
  const auto config = parse_ok("threads 4\nset_tcp_nodelay false\n");
  EXPECT_EQ(config.threads, 4u);
  EXPECT_FALSE(config.tcp_nodelay);
}

TEST(ConfigOptions, PersistentClientExpirationUnits) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"1h", 3600}, {"2d", 2 * 86400}, {"1w", 7 * 86400}, {"3m", 3 * 30 * 86400}, {"1y", 365 * 86400}};
  for (const auto& [text, seconds] : cases) {
    const auto config = parse_ok(std::string("persistent_client_expiration ") + text + "\n");
    EXPECT_EQ(config.settings.persistent_client_expiration_s, seconds) << text;
  }
}

TEST(ConfigOptions, LogDestinations) {
  const auto config = parse_ok("log_dest stdout\nlog_dest file /tmp/a b.log\nlog_dest stdout\n");
  ASSERT_EQ(config.log.destinations.size(), 2u) << "the default stderr is replaced, duplicates merged";
  EXPECT_EQ(config.log.destinations[0].kind, LogDestination::Kind::stdout_stream);
  EXPECT_EQ(config.log.destinations[1].kind, LogDestination::Kind::file);
  EXPECT_EQ(config.log.destinations[1].path, "/tmp/a b.log");
  EXPECT_TRUE(parse_ok("log_dest stderr\nlog_dest none\n").log.destinations.empty());
}

TEST(ConfigOptions, LogTypesAccumulate) {
  EXPECT_EQ(parse_ok("log_type error\nlog_type debug\n").log.types, kLogError | kLogDebug);
  EXPECT_EQ(parse_ok("log_type warning\nlog_type notice\nlog_type information\n").log.types,
            kLogWarning | kLogNotice | kLogInformation);
  EXPECT_EQ(parse_ok("log_type all\n").log.types, kLogAll);
  EXPECT_EQ(parse_ok("log_type all\nlog_type none\n").log.types, 0);
}

TEST(ConfigOptions, LogTimestamps) {
  const auto config = parse_ok("log_timestamp false\nlog_timestamp_format %Y-%m-%dT%H:%M:%S\n");
  EXPECT_FALSE(config.log.timestamp);
  EXPECT_EQ(config.log.timestamp_format, "%Y-%m-%dT%H:%M:%S");
}

TEST(ConfigOptions, CommentsBlankLinesAndWhitespace) {
  const auto config = parse_ok(
      "# a comment\n"
      "\n"
      "   # an indented comment\n"
      "\tmax_qos   1  \r\n"
      "max_queued_messages 7");  // no final newline
  EXPECT_EQ(config.settings.max_qos, 1);
  EXPECT_EQ(config.settings.max_queued_messages, 7u);
}

TEST(ConfigOptions, LaterValueWins) {
  EXPECT_EQ(parse_ok("max_queued_messages 1\nmax_queued_messages 2\n").settings.max_queued_messages, 2u);
}

TEST(ConfigOptions, VerboseLogsEverythingToStdout) {
  CommandLine command_line;
  command_line.verbose = true;
  const auto config = parse_ok("log_dest file /tmp/x.log\nlog_type error\n", command_line);
  EXPECT_EQ(config.log.types, kLogAll);
  ASSERT_EQ(config.log.destinations.size(), 1u);
  EXPECT_EQ(config.log.destinations[0].kind, LogDestination::Kind::stdout_stream);
}

}  // namespace
}  // namespace attestmq::config
