// `attestmq pub`: publish one message, a file, stdin, or stdin line by line, like mosquitto_pub.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <fmt/format.h>

#include "client/command_line.hpp"
#include "commands.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::app {
namespace {

using client::Status;

constexpr const char* kFooter = R"text(Message source: exactly one of -m, -f, -l, -s, -n.

Exit status (as mosquitto_pub):
  0    every message was published (and acknowledged, for QoS 1 and 2)
  1    usage error, network or protocol error, or a message the server rejected
  8    TLS failed, e.g. the server's certificate did not verify (mosquitto exits 1)
  N    the server refused the connection: N is its CONNACK code (MQTT 3.1.1: 1-5, e.g.
       5 "not authorised"; MQTT 5: 128-162, e.g. 135 "Not authorized")
)text";

struct PubArguments {
  std::string topic;
  std::string message;
  std::string file;
  bool lines = false;
  bool whole_stdin = false;
  bool null_message = false;
  bool retain = false;
  int repeat = 1;
  double repeat_delay = 0;
};

// Reads standard input line by line without blocking the session: `next` waits at most
// `timeout` so the caller can keep the connection alive while stdin is idle.
class StdinLines {
 public:
  enum class Result { line, idle, end };

  Result next(std::string& line, std::chrono::milliseconds timeout) {
    for (;;) {
      if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
        line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        return Result::line;
      }
      if (eof_) {
        if (pending_.empty()) return Result::end;
        line = std::move(pending_);
        pending_.clear();
        return Result::line;
      }
      pollfd input{STDIN_FILENO, POLLIN, 0};
      if (::poll(&input, 1, static_cast<int>(timeout.count())) == 0) return Result::idle;
      char buffer[4096];
      const ssize_t count = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (count <= 0) {
        eof_ = true;
      } else {
        pending_.append(buffer, static_cast<std::size_t>(count));
      }
    }
  }

 private:
  std::string pending_;
  bool eof_ = false;
};

std::vector<std::uint8_t> read_all(std::istream& in) {
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

int publish_failed(const client::CommandLine& cli, const Status& status) {
  cli.report("Error: " + status.message);
  return 1;
}

// -l: one message per line until end of input, pinging while stdin is quiet.
int publish_lines(const client::CommandLine& cli, client::Client& session,
                  client::OutgoingMessage message) {
  StdinLines input;
  const auto idle = std::chrono::milliseconds(cli.common().keepalive * 1000 / 2);
  std::string line;
  for (;;) {
    const auto result = input.next(line, idle);
    if (result == StdinLines::Result::end) return 0;
    if (result == StdinLines::Result::idle) {
      if (Status alive = session.ping(); !alive.ok()) return publish_failed(cli, alive);
      continue;
    }
    message.payload.assign(line.begin(), line.end());
    if (Status sent = session.publish(message); !sent.ok()) return publish_failed(cli, sent);
  }
}

int run(client::CommandLine& cli, const PubArguments& args) {
  const int sources = cli.was_given("-m") + cli.was_given("-f") + int{args.lines} +
                      int{args.whole_stdin} + int{args.null_message};
  if (args.topic.empty() || sources == 0) {
    return cli.usage_error("Both topic and message must be supplied.");
  }
  if (sources > 1) return cli.usage_error("Only one type of message can be sent at once.");
  if (!mqtt::valid_topic_name(args.topic)) {
    return cli.usage_error(
        fmt::format("Invalid publish topic '{}', does it contain '+' or '#'?", args.topic));
  }
  if (args.repeat < 1) return cli.usage_error("--repeat argument must be at least 1.");
  client::ConnectOptions options;
  if (auto exit_code = cli.connect_options(options)) return *exit_code;

  const auto& common = cli.common();
  client::OutgoingMessage message;
  message.topic = args.topic;
  message.qos = static_cast<std::uint8_t>(common.qos);
  message.retain = args.retain;
  message.properties = common.properties.publish.publish_properties();
  message.topic_alias = common.properties.publish.topic_alias;
  if (cli.was_given("-m")) {
    message.payload.assign(args.message.begin(), args.message.end());
  } else if (cli.was_given("-f")) {
    std::ifstream file(args.file, std::ios::binary);
    if (!file) {
      cli.report(fmt::format("Error: Unable to read file \"{}\".", args.file));
      return 1;
    }
    message.payload = read_all(file);
  } else if (args.whole_stdin) {
    message.payload = read_all(std::cin);
  }

  std::unique_ptr<client::Client> session;
  if (auto exit_code = cli.open_session(options, session)) return *exit_code;
  int exit_code = 0;
  if (args.lines) {
    exit_code = publish_lines(cli, *session, std::move(message));
  } else {
    for (int i = 0; i < args.repeat && exit_code == 0; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::duration<double>(args.repeat_delay));
      if (Status sent = session->publish(message); !sent.ok()) exit_code = publish_failed(cli, sent);
    }
  }
  if (exit_code == 0) {
    if (Status closed = session->disconnect(cli.disconnect_options()); !closed.ok()) {
      return publish_failed(cli, closed);
    }
  }
  return exit_code;
}

}  // namespace

int pub_main(int argc, char** argv) {
  client::CommandLine cli("attestmq pub", "Publish MQTT messages, like mosquitto_pub.",
                          client::kConnectProperties | client::kPublishProperties |
                              client::kWillProperties | client::kDisconnectProperties,
                          kFooter);
  PubArguments args;
  auto& app = cli.app();
  app.add_option("-t,--topic", args.topic, "topic to publish to");
  app.add_option("-m,--message", args.message, "message payload");
  app.add_option("-f,--file", args.file, "send the contents of a file as the message");
  app.add_flag("-l,--stdin-line", args.lines, "send each line of stdin as a separate message");
  app.add_flag("-s,--stdin-file", args.whole_stdin, "send all of stdin as one message");
  app.add_flag("-n,--null-message", args.null_message, "send a zero-length message");
  app.add_flag("-r,--retain", args.retain, "ask the broker to retain the message");
  app.add_option("--repeat", args.repeat, "with -m, -f, -s or -n: publish N times");
  app.add_option("--repeat-delay", args.repeat_delay, "seconds between repeats (default 0)");
  if (auto exit_code = cli.parse(argc, argv)) return *exit_code;
  return run(cli, args);
}

}  // namespace attestmq::app
