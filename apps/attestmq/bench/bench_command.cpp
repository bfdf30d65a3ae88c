// `attestmq bench`: a load generator for MQTT brokers. One epoll loop per thread drives many
// non-blocking connections; payloads carry a sequence number and a send time so subscribers
// measure loss, duplicates and end-to-end latency.
#include <netdb.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_connect.hpp"
#include "bench_cpu.hpp"
#include "bench_options.hpp"
#include "bench_peers.hpp"
#include "bench_progress.hpp"
#include "bench_report.hpp"
#include "bench_worker.hpp"
#include "attest/policy/policy.hpp"
#include "attest/session/session_protocol.hpp"
#include "client/attestation.hpp"
#include "client/tls_arguments.hpp"
#include "commands.hpp"

namespace attestmq::app {

namespace {

using bench::Options;

// Rates below one message in 1,000 s would overflow the nanosecond schedule.
constexpr double kMinRate = 1e-3;

bool valid_rate(double rate) { return rate == 0 || (rate >= kMinRate && rate <= 1e9); }

// A rate option's check: 0 (as fast as the window allows) or a schedulable rate.
const CLI::Validator kRate(
    [](std::string& text) {
      double rate = -1;
      try {
        rate = std::stod(text);
      } catch (const std::exception&) {
      }
      return valid_rate(rate) ? std::string() : "0 or a rate from 0.001 to 1e9 msg/s";
    },
    "RATE");

// What the command line gives as text, checked and converted after parsing.
struct Texts {
  std::string version = "5";
  std::string psk;
  std::string attest_transport = "auth";
  std::string evidence = "cached";
  std::vector<std::string> steps;
};

void add_options(CLI::App& app, Options& options, Texts& texts) {
  app.set_help_flag("--help", "print this help and exit");
  app.add_option("--host", options.host, "broker host name or address")->capture_default_str();
  app.add_option("-p,--port", options.port, "broker TCP port")->capture_default_str();
  app.add_option("--scenario", options.scenario,
                 "pairs: N publishers each to its own topic, N subscribers; "
                 "fanout: 1 publisher, N subscribers; "
                 "fanin: N publishers each to its own topic, 1 subscriber to all; "
                 "shared: 1 publisher, N members of one $share group; "
                 "connect: N clients connect, wait for CONNACK and disconnect, in a loop")
      ->transform(CLI::CheckedTransformer(std::map<std::string, bench::Scenario>{
          {"pairs", bench::Scenario::pairs},
          {"fanout", bench::Scenario::fanout},
          {"fanin", bench::Scenario::fanin},
          {"shared", bench::Scenario::shared},
          {"connect", bench::Scenario::connect}}))
      ->default_str("pairs");
  app.add_option("-n,--clients", options.clients, "N: pairs, subscribers or publishers")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  app.add_option("-q,--qos", options.qos, "QoS of publications and subscriptions")
      ->check(CLI::Range(0, 2))
      ->default_str("0");
  app.add_option("-s,--size", options.payload_size,
                 "payload bytes (at least 16: sequence number and time stamp)")
      ->check(
          CLI::Range(std::size_t{bench::kStampSize}, std::size_t{mqtt::kMaxRemainingLength / 2}))
      ->capture_default_str();
  app.add_option("-d,--duration", options.duration_s, "seconds measured")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("-w,--warmup", options.warmup_s, "seconds sent before measuring")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option(
         "-r,--rate", options.rate,
         "total msg/s over all publishers, evenly scheduled; 0 = as fast as the window allows")
      ->check(kRate)
      ->capture_default_str();
  app.add_option("--publisher-rate", options.publisher_rate,
                 "msg/s of each publisher, instead of a total --rate (so a ramp of publishers "
                 "adds load with each one)")
      ->check(kRate)
      ->excludes("--rate");
  app.add_option("--subscribers", options.fanin_subscribers,
                 "fanin: subscribers, each to every publisher's topic")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  app.add_option("--ramp", options.ramp,
                 "grow one parameter in steps during the run, each step measured apart for "
                 "--duration: rate (the total --rate), subscribers (members of a shared "
                 "subscription, joining at their step) or publishers (fanin publishers, starting "
                 "at their step)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, bench::Ramp>{
          {"rate", bench::Ramp::rate},
          {"subscribers", bench::Ramp::subscribers},
          {"publishers", bench::Ramp::publishers}}));
  app.add_option("--steps", texts.steps,
                 "the ramped parameter's value in each step, comma-separated: msg/s ('max': as "
                 "fast as the window allows) or a growing number of clients")
      ->delimiter(',')
      ->needs("--ramp");
  app.add_option("--window", options.window,
                 "messages a publisher may have outstanding: not yet received by all its "
                 "subscribers and, at QoS 1 and 2, not yet acknowledged (also capped by the "
                 "broker's Receive Maximum)")
      ->check(CLI::Range(1u, 32767u))
      ->capture_default_str();
  app.add_option("-t,--threads", options.threads, "event-loop threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("-V,--protocol-version", texts.version, "MQTT version: 5 or 311")
      ->check(CLI::IsMember({"5", "311"}))
      ->capture_default_str();
  app.add_option("--session-expiry", options.session_expiry_s,
                 "seconds: every client keeps a persistent session that long (Clean Start 0), so "
                 "that a broker with persistence stores the messages; 0 = clean sessions")
      ->capture_default_str();
  app.add_option("--broker-pid", options.broker_pid,
                 "also report this process's CPU time over the measurement window")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", options.json, "print the results as one JSON object");
  auto& tls = options.tls_options;
  auto* tls_flag =
      app.add_flag("--tls", options.tls, "run TLS on every connection (needs --cafile or --psk)");
  app.add_option("--cafile", tls.cafile, "CA certificates (PEM) that verify the broker")
      ->needs(tls_flag)
      ->check(CLI::ExistingFile);
  auto* cert = app.add_option("--cert", tls.certfile, "client certificate (PEM) for mutual TLS")
                   ->needs(tls_flag)
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--key", tls.keyfile, "private key (PEM) of --cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  auto* psk_key = app.add_option("--psk", texts.psk,
                                 "pre-shared key in hexadecimal (no leading 0x): TLS-PSK with "
                                 "this key instead of the broker's certificate")
                      ->needs(tls_flag)
                      ->excludes("--cafile")
                      ->excludes(cert);
  auto* psk_identity =
      app.add_option("--psk-identity", tls.psk_identity, "identity sent with --psk");
  psk_key->needs(psk_identity);
  psk_identity->needs(psk_key);
  app.add_option("--attest", options.attest_policy,
                 "connect scenario: attest the broker on every connection by MQTT 5 enhanced "
                 "authentication (docs/attestation.md), verifying against this policy file")
      ->needs(tls_flag)
      ->check(CLI::ExistingFile);
  app.add_option("--attest-transport", texts.attest_transport,
                 "with --attest: auth (MQTT 5 AUTH, transport B) or handshake (a TLS ClientHello "
                 "extension, transport A, codepoint 0xFF5A)")
      ->check(CLI::IsMember({"auth", "handshake"}))
      ->capture_default_str();
  app.add_option("--evidence", texts.evidence,
                 "with --attest over auth: cached (accept a broker's cached quote with a "
                 "per-session signature) or per-session (ask for a fresh quote on every "
                 "connection, docs/attestation.md section 6)")
      ->check(CLI::IsMember({"cached", "per-session"}))
      ->capture_default_str();
}

// One value of --steps: a rate (msg/s, or 'max') or a number of clients larger than the one
// before.
bool parse_step(const Options& options, const std::string& text, double& value) {
  const bool rate = options.ramp == bench::Ramp::rate;
  if (rate && text == "max") {
    value = 0;
    return true;
  }
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  if (used != text.size() || !std::isfinite(value)) return false;
  if (rate) return valid_rate(value);
  return value >= 1 && value <= 100000 && value == std::floor(value) &&
         (options.ramp_steps.empty() || value > options.ramp_steps.back());
}

// --ramp and --steps: which scenario each ramp fits, and steps that make sense for it.
bool load_ramp(Options& options, const CLI::App& app, const std::vector<std::string>& steps,
               std::string& error) {
  if (options.ramp == bench::Ramp::none) return true;
  if (steps.empty()) {
    error = "--ramp needs --steps";
    return false;
  }
  switch (options.ramp) {
    case bench::Ramp::rate:
      if (options.scenario == bench::Scenario::connect) error = "not with --scenario connect";
      if (app.count("--rate") > 0) error = "the steps set the rate: not with --rate";
      if (options.publisher_rate > 0) {
        error = "the steps set the total rate: not with --publisher-rate";
      }
      break;
    case bench::Ramp::subscribers:
      if (options.scenario != bench::Scenario::shared) error = "needs --scenario shared";
      if (app.count("--clients") > 0) error = "the steps set the members: not with -n";
      break;
    case bench::Ramp::publishers:
      if (options.scenario != bench::Scenario::fanin) error = "needs --scenario fanin";
      if (app.count("--clients") > 0) error = "the steps set the publishers: not with -n";
      break;
    case bench::Ramp::none: break;
  }
  if (!error.empty()) {
    error = "--ramp: " + error;
    return false;
  }
  for (const std::string& text : steps) {
    double value = 0;
    if (!parse_step(options, text, value)) {
      error = "--steps '" + text + "': expected " +
              (options.ramp == bench::Ramp::rate
                   ? std::string("a rate in msg/s (0.001 to 1e9) or 'max'")
                   : std::string("a whole number of clients (1 to 100000), larger than the "
                                 "step before"));
      return false;
    }
    options.ramp_steps.push_back(value);
  }
  return true;
}

// --attest: the policy, and a TLS context that offers what section 7.1 requires.
bool load_attestation(Options& options, const CLI::App& app, const Texts& texts,
                      std::string& error) {
  const bool evidence_given = app.count("--evidence") > 0;
  options.attest_in_handshake = texts.attest_transport == "handshake";
  options.evidence_per_session = texts.evidence == "per-session";
  if (options.attest_policy.empty()) {
    if (options.attest_in_handshake) error = "--attest-transport needs --attest";
    if (evidence_given) error = "--evidence needs --attest";
    return error.empty();
  }
  // Section 8.5: transport A quotes every handshake; the choice exists in transport B only.
  if (options.attest_in_handshake && evidence_given) {
    error = "--evidence applies to --attest-transport auth (transport A quotes every handshake)";
    return false;
  }
  if (options.scenario != bench::Scenario::connect) {
    error = "needs --scenario connect";
    return false;
  }
  // Transport A's verdict lives in the client context that all connections share, so the
  // connections of a run must not overlap across threads.
  if (options.attest_in_handshake && options.threads != 1) {
    error = "--attest-transport handshake runs on one thread (-t 1)";
    return false;
  }
  if (!options.attest_in_handshake && options.version != mqtt::Version::v5) {
    error = "transport B is MQTT 5 enhanced authentication: -V 5, or --attest-transport handshake";
    return false;
  }
  auto policy = attest::load_policy(options.attest_policy, error);
  if (!policy) return false;
  options.attest.emplace();
  options.attest->policy = std::move(*policy);
  options.tls_options.tls_version = "tlsv1.3";
  return true;
}

// The TLS context every connection shares; the broker's name is checked against --host.
bool make_tls_context(Options& options, std::string& error) {
  if (!options.tls) return true;
  if (options.tls_options.cafile.empty() && options.tls_options.psk_key.empty()) {
    error = "--tls needs --cafile or --psk";
    return false;
  }
  options.tls_options.server_name = options.host;
  if (options.attest && options.attest_in_handshake) {
    // Connections run one after another per loop; the verdict of each is judged in its own
    // handshake, and a refusal fails that handshake (and the run).
    const client::HandshakeAttestation attestation(*options.attest,
                                                   attest::session::kDefaultExtensionCodepoint);
    options.tls_context = tls::Context::client(options.tls_options, error, attestation.tls_side());
  } else {
    options.tls_context = tls::Context::client(options.tls_options, error);
  }
  return options.tls_context != nullptr;
}

int run_connect(const Options& options, const sockaddr_storage& address,
                socklen_t address_size) {
  bench::ConnectReport report;
  if (std::string error; !bench::run_connect_scenario(options, address, address_size, report,
                                                       error)) {
    std::fprintf(stderr, "attestmq bench: %s:%u: %s\n", options.host.c_str(), options.port,
                 error.c_str());
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", bench::to_json(options, report).dump(2).c_str());
  } else {
    bench::print_text(options, report, stdout);
  }
  bench::warn_if_generator_busy(report.generator_busy, options.threads, "");
  return 0;
}

bool resolve(const Options& options, sockaddr_storage& address, socklen_t& size,
             std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  const int status = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found);
  if (status != 0) {
    error = "cannot resolve '" + options.host + "': " + ::gai_strerror(status);
    return false;
  }
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  size = found->ai_addrlen;
  ::freeaddrinfo(found);
  return true;
}

// Topics and client ids carry the process id, so concurrent runs on one broker stay apart.
// Topics are one level below that prefix, so that a fanin subscriber takes them all with '+'.
std::string prefix() { return "attestmq-bench-" + std::to_string(::getpid()); }
std::string name(const char* kind, unsigned index) {
  return prefix() + "-" + kind + std::to_string(index);
}
std::string topic(unsigned index) { return prefix() + "/" + std::to_string(index); }

int run(Options& options) {
  sockaddr_storage address{};
  socklen_t address_size = 0;
  std::string error;
  if (!resolve(options, address, address_size, error) || !make_tls_context(options, error)) {
    std::fprintf(stderr, "attestmq bench: %s\n", error.c_str());
    return 1;
  }

  if (options.broker_pid > 0 && !bench::process_cpu_time(options.broker_pid)) {
    std::fprintf(stderr, "attestmq bench: --broker-pid %d: no such process\n", options.broker_pid);
    return 1;
  }
  if (options.scenario == bench::Scenario::connect) {
    return run_connect(options, address, address_size);
  }

  std::vector<std::unique_ptr<bench::Publisher>> publishers;
  std::vector<std::unique_ptr<bench::Subscriber>> subscribers;
  for (unsigned i = 0; i < options.publisher_count(); ++i) {
    publishers.push_back(std::make_unique<bench::Publisher>(options, name("pub", i), topic(i), i));
  }
  // The members of a shared subscription count the messages their group has had together.
  const auto group = options.scenario == bench::Scenario::shared
                         ? std::make_shared<std::atomic<std::uint64_t>>(0)
                         : nullptr;
  for (unsigned i = 0; i < options.subscriber_count(); ++i) {
    std::vector<bench::Publisher*> heard;
    if (options.scenario == bench::Scenario::fanin) {
      for (const auto& publisher : publishers) heard.push_back(publisher.get());
    } else {
      heard.push_back(publishers[i % publishers.size()].get());
    }
    std::string filter = heard.size() > 1 ? prefix() + "/+" : heard.front()->topic();
    // MQTT 5.0 section 4.8.2: $share/{ShareName}/{filter}; the name may hold no '/'.
    if (group) filter = "$share/" + prefix() + "/" + filter;
    subscribers.push_back(std::make_unique<bench::Subscriber>(
        options, name("sub", i), filter, heard, group,
        options.first_step_of(i, bench::Ramp::subscribers)));
    for (bench::Publisher* publisher : heard) publisher->add_subscriber(subscribers.back().get());
  }

  // Publisher i and subscriber i go to the same thread: in pairs both ends of a stream share
  // an event loop, so the QoS 0 window sees the subscriber's progress without waiting.
  bench::SharedRun shared(options.threads, options.step_count());
  std::vector<std::unique_ptr<bench::Worker>> workers;
  for (unsigned t = 0; t < options.threads; ++t) {
    workers.push_back(std::make_unique<bench::Worker>(options, address, address_size, shared, t));
  }
  for (unsigned i = 0; i < publishers.size(); ++i)
    workers[i % options.threads]->add(*publishers[i]);
  for (unsigned i = 0; i < subscribers.size(); ++i) {
    workers[i % options.threads]->add(*subscribers[i]);
  }

  std::vector<std::string> errors(options.threads);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < options.threads; ++t) {
    threads.emplace_back([&, t] { workers[t]->run(errors[t]); });
  }
  workers[0]->run(errors[0]);
  for (auto& thread : threads) thread.join();
  if (shared.failed) {
    for (const auto& message : errors) {
      if (!message.empty()) {
        std::fprintf(stderr, "attestmq bench: %s:%u: %s\n", options.host.c_str(), options.port,
                     message.c_str());
      }
    }
    return 1;
  }

  const bench::Report report = bench::summarize(options, publishers, subscribers, shared);
  if (options.json) {
    std::printf("%s\n", bench::to_json(options, report).dump(2).c_str());
  } else {
    bench::print_text(options, report, stdout);
  }
  bench::warn_if_generator_busy(options, report);
  return 0;
}

}  // namespace

int bench_main(int argc, char** argv) {
  CLI::App app{"attestmq bench: MQTT load generator (throughput, loss, end-to-end latency)",
               "attestmq bench"};
  Options options;
  Texts texts;
  add_options(app, options, texts);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.version = texts.version == "311" ? mqtt::Version::v311 : mqtt::Version::v5;
  if (app.count("--psk") > 0 && !client::parse_hex_key(texts.psk, options.tls_options.psk_key)) {
    std::fprintf(stderr, "attestmq bench: --psk '%s': expected an even number of hexadecimal "
                         "digits\n", texts.psk.c_str());
    return 2;
  }
  if (app.count("--subscribers") > 0 && options.scenario != bench::Scenario::fanin) {
    std::fprintf(stderr, "attestmq bench: --subscribers: needs --scenario fanin (elsewhere -n "
                         "sets the subscribers)\n");
    return 2;
  }
  if (std::string error; !load_ramp(options, app, texts.steps, error)) {
    std::fprintf(stderr, "attestmq bench: %s\n", error.c_str());
    return 2;
  }
  if (std::string error; !load_attestation(options, app, texts, error)) {
    std::fprintf(stderr, "attestmq bench: --attest: %s\n", error.c_str());
    return 2;
  }
  options.progress = ::isatty(STDERR_FILENO) == 1;
  bench::install_stop_handler();
  return run(options);
}

}  // namespace attestmq::app
