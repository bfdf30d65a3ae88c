// `attestmq broker [-c FILE] [-p PORT] [-v] [-d]`: mosquitto's command line (mosquitto(8)).
// Exit codes: 0 after a clean shutdown, 1 for a configuration or startup error, 2 for usage.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "broker_flags.hpp"
#include "commands.hpp"
#include "server/server.hpp"

namespace attestmq::app {
namespace {

constexpr int kExitConfigError = 1;
constexpr int kExitUsage = 2;

// mosquitto -d: detach from the terminal. Done before any thread exists.
bool daemonise() {
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child > 0) ::_exit(0);
  if (::setsid() < 0) return false;
  if (::chdir("/") != 0) return false;
  const int null = ::open("/dev/null", O_RDWR);
  if (null < 0) return false;
  ::dup2(null, STDIN_FILENO);
  ::dup2(null, STDOUT_FILENO);
  ::dup2(null, STDERR_FILENO);
  if (null > STDERR_FILENO) ::close(null);
  return true;
}

void print_addresses(const server::Server& server) {
  for (const auto& bound : server.addresses()) {
    if (bound.ipv6) {
      std::printf("listening on [%s]:%u\n", bound.address.c_str(), unsigned{bound.port});
    } else {
      std::printf("listening on %s:%u\n", bound.address.c_str(), unsigned{bound.port});
    }
  }
  std::fflush(stdout);
}

}  // namespace

int broker_main(int argc, char** argv) {
  CLI::App app{"Run the AttestMQ MQTT broker (mosquitto-compatible configuration).",
               "attestmq broker"};
  // mosquitto's tools use -h for the host, so help is --help only.
  app.set_help_flag("--help", "print this help and exit");
  BrokerFlags flags;
  add_broker_flags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }

  auto loaded = load_broker_config(flags);
  if (const auto* error = std::get_if<config::ConfigError>(&loaded)) {
    std::fprintf(stderr, "attestmq broker: %s\n", error->to_string().c_str());
    return kExitConfigError;
  }
  std::optional<server::HoldStopSignals> held_signals;
  held_signals.emplace();
  auto created = server::Server::create(std::get<config::BrokerConfig>(loaded));
  if (const auto* error = std::get_if<std::string>(&created)) {
    std::fprintf(stderr, "attestmq broker: %s\n", error->c_str());
    return kExitConfigError;
  }
  auto& server = *std::get<std::unique_ptr<server::Server>>(created);
  if (!flags.config_file.empty()) {
    server.log(broker::LogLevel::notice, "Config loaded from " + flags.config_file + ".");
  }
  print_addresses(server);
  if (flags.daemon && !daemonise()) {
    std::perror("attestmq broker: cannot run in the background");
    return kExitConfigError;
  }
  const server::StopOnSignals stop_on_signals(server);
  held_signals.reset();
  server.run();
  return 0;
}

}  // namespace attestmq::app
