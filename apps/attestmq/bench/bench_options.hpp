#pragma once
// What one `attestmq bench` run does, as parsed from its command line.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

// --ramp: the parameter that grows in steps during one run, each step measured apart.
enum class Ramp {
  none,
  rate,         // the total message rate (0 in a step: as fast as the window allows)
  subscribers,  // the members of the shared subscription, joining the group at their step
  publishers,   // the fanin publishers, starting their streams at their step
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
  double publisher_rate = 0;  // --publisher-rate: each publisher's own rate instead of --rate
  unsigned fanin_subscribers = 1;  // --subscribers: fanin subscribers, each hearing everyone
  Ramp ramp = Ramp::none;
  std::vector<double> ramp_steps;  // the ramped parameter's value in each step
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
  // --evidence per-session: the REQUEST leaves CACHED_OK clear, so that a broker in cached
  // mode produces a fresh quote for each connection (docs/attestation.md section 6).
  bool evidence_per_session = false;
  bool progress = false;  // a progress line on stderr (when it is a terminal)

  // The most clients of each kind the run has, in its last step for a ramp of them.
  unsigned publisher_count() const {
    if (ramp == Ramp::publishers) return static_cast<unsigned>(ramp_steps.back());
    return scenario == Scenario::fanout || scenario == Scenario::shared ? 1 : clients;
  }
  unsigned subscriber_count() const {
    if (ramp == Ramp::subscribers) return static_cast<unsigned>(ramp_steps.back());
    return scenario == Scenario::fanin ? fanin_subscribers : clients;
  }
  // Each message reaches this many subscribers (one member of a shared group).
  unsigned subscribers_per_publisher() const {
    return scenario == Scenario::fanout || scenario == Scenario::fanin ? subscriber_count() : 1;
  }

  unsigned step_count() const { return ramp == Ramp::none ? 1 : ramp_steps.size(); }
  double rate_in(unsigned step) const { return ramp == Ramp::rate ? ramp_steps[step] : rate; }
  unsigned publishers_in(unsigned step) const {
    return ramp == Ramp::publishers ? static_cast<unsigned>(ramp_steps[step]) : publisher_count();
  }
  unsigned subscribers_in(unsigned step) const {
    return ramp == Ramp::subscribers ? static_cast<unsigned>(ramp_steps[step])
                                     : subscriber_count();
  }
  // The first step in which client `index` of a ramped kind takes part.
  unsigned first_step_of(unsigned index, Ramp kind) const {
    if (ramp != kind) return 0;
    unsigned step = 0;
    while (step + 1 < ramp_steps.size() && ramp_steps[step] <= index) ++step;
    return step;
  }
  // Nanoseconds between one publisher's messages in `step`; 0: as fast as the window allows.
  std::int64_t interval_ns(unsigned step) const {
    if (publisher_rate > 0) return static_cast<std::int64_t>(1e9 / publisher_rate);
    const double total = rate_in(step);
    return total > 0 ? static_cast<std::int64_t>(1e9 * publishers_in(step) / total) : 0;
  }
};

}  // namespace attestmq::app::bench
