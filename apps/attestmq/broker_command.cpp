// `attestmq broker [-c FILE] [-p PORT] [-v] [-d]`: mosquitto's command line (mosquitto(8)).
// Exit codes: 0 after a clean shutdown, 1 for a configuration or startup error, 2 for usage.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "config/config_parser.hpp"
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
  std::string config_file;
  std::vector<int> ports;
  bool verbose = false;
  bool daemon = false;
  app.add_option("-c,--config-file", config_file,
                 "mosquitto.conf-style configuration file (default: local-only mode on port 1883)");
  app.add_option("-p,--port", ports,
                 "port of the default listener (repeatable; with no listener configured, "
                 "local-only mode on this port)")
      ->check(CLI::Range(0, 65535))
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-v,--verbose", verbose, "log every message type to stdout");
  app.add_flag("-d,--daemon", daemon, "run in the background");
  std::string tee;
  app.add_option("--tee", tee,
                 "attestation provider: none, sim (SIMULATED, no security), sgx-gramine or tsm; "
                 "with one, TLS listeners offer attested sessions (docs/attestation.md)")
      ->check(CLI::IsMember({"none", "sim", "sgx-gramine", "tsm"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // start-broker.sh ... --tee none
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }

  config::CommandLine command_line;
  for (const int port : ports) command_line.ports.push_back(static_cast<std::uint16_t>(port));
  command_line.verbose = verbose;
  if (!tee.empty()) command_line.tee = tee;
  auto loaded = config_file.empty() ? config::default_config(command_line)
                                    : config::load_config_file(config_file, command_line);
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
  if (!config_file.empty()) server.log(broker::LogLevel::notice, "Config loaded from " + config_file + ".");
  print_addresses(server);
  if (daemon && !daemonise()) {
    std::perror("attestmq broker: cannot run in the background");
    return kExitConfigError;
  }
  const server::StopOnSignals stop_on_signals(server);
  held_signals.reset();
  server.run();
  return 0;
}

}  // namespace attestmq::app
