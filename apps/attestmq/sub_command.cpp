// `attestmq sub`: subscribe and print what arrives, like mosquitto_sub.
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "client/command_line.hpp"
#include "commands.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::app {
namespace {

using client::Status;

constexpr const char* kFooter = R"text(Output: each payload on its own line; with -v "TOPIC PAYLOAD" (an empty payload
prints as "(null)", as mosquitto_sub does).

Exit status (as mosquitto_sub):
  0    stopped normally: -C count reached, or interrupted (SIGINT/SIGTERM)
  1    usage error, network or protocol error, all subscriptions refused
  27   -W timeout passed ("Timed out")
  8    TLS failed, e.g. the server's certificate did not verify (mosquitto exits 1)
  N    the server refused the connection: N is its CONNACK code (MQTT 3.1.1: 1-5, e.g.
       5 "not authorised"; MQTT 5: 128-162, e.g. 135 "Not authorized")
)text";

constexpr int kTimedOut = 27;  // mosquitto_sub's exit code for -W
constexpr std::chrono::milliseconds kStopCheckInterval{200};

volatile std::sig_atomic_t g_stop = 0;
extern "C" void request_stop(int) { g_stop = 1; }

struct SubArguments {
  std::vector<std::string> topics;
  std::vector<std::string> unsubscribe_topics;
  std::vector<std::string> filtered_out;
  int count = 0;
  int timeout_seconds = 0;
  int attest_every_seconds = 0;
  bool verbose = false;
  bool no_newline = false;
  bool no_stale_retained = false;
  bool no_local = false;
  bool retain_as_published = false;
};

bool filtered_out(const SubArguments& args, const client::ReceivedMessage& message) {
  if (args.no_stale_retained && message.retain) return true;
  for (const auto& filter : args.filtered_out) {
    if (mqtt::topic_matches(filter, message.topic)) return true;
  }
  return false;
}

void print(const SubArguments& args, const client::ReceivedMessage& message) {
  if (args.verbose) {
    std::fwrite(message.topic.data(), 1, message.topic.size(), stdout);
    std::fputc(' ', stdout);
    if (message.payload.empty()) std::fputs("(null)", stdout);
  }
  // fwrite with a null pointer is undefined even for zero bytes (C17 7.1.4).
  if (!message.payload.empty()) std::fwrite(message.payload.data(), 1, message.payload.size(), stdout);
  if (!args.no_newline) std::fputc('\n', stdout);
  std::fflush(stdout);
}

int session_failed(const client::CommandLine& cli, const Status& status) {
  cli.report("Error: " + status.message);
  return 1;
}

int reattestation_failed(client::CommandLine& cli, const Status& status) {
  cli.report("Error: re-attestation failed: " +
             client::rejection_reason(cli.attestation(), status));
  return 1;
}

// Subscribes to every -t and drops every -U; 0 when at least one subscription was granted.
int set_up_subscriptions(const client::CommandLine& cli, client::Client& session,
                         const SubArguments& args) {
  std::vector<client::SubscriptionRequest> requests;
  for (const auto& topic : args.topics) {
    client::SubscriptionRequest request;
    request.filter = topic;
    request.qos = static_cast<std::uint8_t>(cli.common().qos);
    request.no_local = args.no_local;
    request.retain_as_published = args.retain_as_published;
    requests.push_back(std::move(request));
  }
  std::vector<mqtt::ReasonCode> reasons;
  if (Status subscribed = session.subscribe(requests, reasons); !subscribed.ok()) {
    return session_failed(cli, subscribed);
  }
  bool any_granted = false;
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    if (static_cast<std::uint8_t>(reasons[i]) < 0x80) {
      any_granted = true;
    } else {
      cli.report(fmt::format("Warning: subscription to '{}' refused: {}", args.topics[i],
                             mqtt::to_string(reasons[i])));
    }
  }
  if (!any_granted) {
    cli.report("All subscription requests were denied.");
    return 1;
  }
  if (!args.unsubscribe_topics.empty()) {
    if (Status dropped = session.unsubscribe(args.unsubscribe_topics, reasons); !dropped.ok()) {
      return session_failed(cli, dropped);
    }
  }
  return 0;
}

int run(client::CommandLine& cli, const SubArguments& args) {
  if (args.topics.empty()) return cli.usage_error("You must specify a topic to subscribe to.");
  for (const auto& topics : {args.topics, args.unsubscribe_topics, args.filtered_out}) {
    for (const auto& topic : topics) {
      if (!mqtt::valid_topic_filter(topic)) {
        return cli.usage_error(fmt::format("Invalid subscription topic '{}', are all '+' and "
                                           "'#' wildcards correct?",
                                           topic));
      }
    }
  }
  if (args.count < 0) return cli.usage_error("Invalid -C count.");
  if (args.timeout_seconds < 0) return cli.usage_error("Invalid -W timeout.");
  if (args.attest_every_seconds < 0) return cli.usage_error("Invalid --attest-every interval.");
  if (args.attest_every_seconds > 0 && !cli.was_given("--attest")) {
    return cli.usage_error("--attest-every needs --attest.");
  }
  // docs/attestation.md section 8.7: transport A cannot re-attest a live connection.
  if (args.attest_every_seconds > 0 && cli.attests_in_handshake()) {
    return cli.usage_error("--attest-every needs --attest-transport auth.");
  }
  client::ConnectOptions options;
  if (auto exit_code = cli.connect_options(options)) return *exit_code;

  // Installed before connecting so an early signal is not lost; the loop below acts on it.
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  std::unique_ptr<client::Client> session;
  if (auto exit_code = cli.open_session(options, session)) return *exit_code;
  // mosquitto_sub: the -W timeout starts once the client is connected.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args.timeout_seconds);
  if (int failed = set_up_subscriptions(cli, *session, args); failed != 0) return failed;

  // docs/attestation.md section 7.6: fresh evidence on the live connection, every N seconds.
  const auto attest_interval = std::chrono::seconds(args.attest_every_seconds);
  auto next_attestation = std::chrono::steady_clock::now() + attest_interval;
  int printed = 0;
  while (g_stop == 0 && (args.count == 0 || printed < args.count)) {
    if (args.attest_every_seconds > 0 && std::chrono::steady_clock::now() >= next_attestation) {
      if (Status again = session->reauthenticate(cli.attestation()->next_request());
          !again.ok()) {
        return reattestation_failed(cli, again);
      }
      next_attestation = std::chrono::steady_clock::now() + attest_interval;
    }
    if (args.timeout_seconds > 0 && std::chrono::steady_clock::now() >= deadline) {
      session->disconnect(cli.disconnect_options());
      cli.report("Timed out");
      return kTimedOut;
    }
    client::ReceivedMessage message;
    Status received = session->receive(message, kStopCheckInterval);
    if (received.kind == client::ErrorKind::timeout) continue;
    if (!received.ok()) return session_failed(cli, received);
    if (filtered_out(args, message)) continue;
    print(args, message);
    ++printed;
  }
  if (Status closed = session->disconnect(cli.disconnect_options()); !closed.ok()) {
    return session_failed(cli, closed);
  }
  return 0;
}

}  // namespace

int sub_main(int argc, char** argv) {
  client::CommandLine cli("attestmq sub", "Subscribe to MQTT topics and print messages, like "
                                          "mosquitto_sub.",
                          client::kConnectProperties | client::kWillProperties |
                              client::kDisconnectProperties,
                          kFooter);
  SubArguments args;
  auto& app = cli.app();
  app.add_option("-t,--topic", args.topics, "topic filter to subscribe to (repeatable)");
  app.add_option("-U,--unsubscribe", args.unsubscribe_topics,
                 "topic filter to unsubscribe from after subscribing (repeatable)");
  app.add_option("-T,--filter-out", args.filtered_out,
                 "do not print messages whose topic matches this filter (repeatable)");
  app.add_option("-C,--count", args.count, "exit after this many messages");
  app.add_option("-W,--timeout", args.timeout_seconds,
                 "exit with status 27 after this many seconds (counted from the connection)");
  app.add_flag("-v,--verbose", args.verbose, "print \"TOPIC PAYLOAD\"");
  app.add_flag("-N", args.no_newline, "do not end each message with a newline");
  app.add_flag("-R", args.no_stale_retained, "do not print stale retained messages");
  app.add_flag("--nl", args.no_local, "MQTT 5: no local, do not receive our own publications");
  app.add_flag("--rap", args.retain_as_published, "MQTT 5: retain as published");
  app.add_option("--attest-every", args.attest_every_seconds,
                 "with --attest: re-attest the broker on the live connection every SECONDS "
                 "(MQTT 5 re-authentication)");
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  return run(cli, args);
}

}  // namespace attestmq::app
