#pragma once
// What one `attestmq bench` run does, as parsed from its command line.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "attest/verifier.hpp"
#include "mqtt/packet.hpp"
#include "tls/context.hpp"

namespace attestmq::app::bench {

enum class Scenario {
  pairs,   // N publishers, each to its own topic, and N subscribers, one per topic
  fanout,  // one publisher, N subscribers to its topic
  fanin,   // N publishers, each to its own topic, one subscriber to all of them
  shared,  // one publisher, N members of one shared subscription to its topic
  connect, // N clients, each connecting, waiting for CONNACK and disconnecting in a loop
};

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  Scenario scenario = Scenario::pairs;
  unsigned clients = 8;
  std::uint8_t qos = 0;
  std::size_t payload_size = 64;
  double duration_s = 10;
  double warmup_s = 2;
  double rate = 0;       // total messages per second over all publishers; 0 = saturate
  unsigned window = 64;  // messages a publisher may have outstanding
  unsigned threads = 1;
  mqtt::Version version = mqtt::Version::v5;
  // --session-expiry: every client keeps a persistent session (Clean Start 0 and this Session
  // Expiry Interval; Clean Session 0 in 3.1.1), so a broker with persistence stores its
  // QoS 1 messages. 0: clean sessions.
  std::uint32_t session_expiry_s = 0;
  int broker_pid = 0;  // when set, the broker's CPU time is sampled with the window
  bool json = false;
  // --tls: every connection runs TLS, verified with --cafile (and --cert/--key for mutual
  // TLS); the context is built once from these before the run.
  bool tls = false;
  tls::ClientTlsOptions tls_options;
  std::shared_ptr<const tls::Context> tls_context;
  // --attest POLICY (connect scenario): every connection attests the broker by transport B
  // (docs/attestation.md section 7) and verifies its evidence against the policy, as
  // `attestmq pub --attest` does.
  std::string attest_policy;
  std::optional<attest::VerifyRequest> attest;
  // --attest-transport handshake: transport A instead (section 8), judged inside each TLS
  // handshake by the client context's extension; the CONNECT is then a plain one.
  bool attest_in_handshake = false;

  unsigned publisher_count() const {
    return scenario == Scenario::fanout || scenario == Scenario::shared ? 1 : clients;
  }
  unsigned subscriber_count() const { return scenario == Scenario::fanin ? 1 : clients; }
  // Each message reaches this many subscribers.
  unsigned subscribers_per_publisher() const { return scenario == Scenario::fanout ? clients : 1; }
};

}  // namespace attestmq::app::bench
