// `attestmq-enclave [-c FILE] [-p PORT] [-v] [-d] [--tee ...] | --print-measurement`: the
// broker engine compiled to Wasm, run by the wasm2c runner, with `attestmq broker`'s flags
// (DESIGN.md section 4). Exit codes as the broker's: 0 after a clean stop, 1 for a
// configuration or startup error, 2 for usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "config/config_parser.hpp"
#include "server/open_file_limit.hpp"
#include "server/signals.hpp"
#include "wasm/runner/enclave/enclave.hpp"

namespace {

constexpr int kExitConfigError = 1;
constexpr int kExitUsage = 2;

// The module's configure arguments (docs/architecture.md, "The engine ABI").
std::string configure_arguments(const std::string& config_file, const std::vector<int>& ports, bool verbose,
                                const std::string& tee) {
  std::string items;
  const auto add = [&](std::string_view name, std::string_view value) {
    items.append(name).append("=").append(value).push_back('\0');
  };
  if (!config_file.empty()) add("config", config_file);
  std::vector<char> cwd(4096);
  if (::getcwd(cwd.data(), cwd.size()) != nullptr) add("cwd", cwd.data());
  for (const int port : ports) add("port", std::to_string(port));
  if (verbose) add("verbose", "1");
  if (!tee.empty()) add("tee", tee);
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attestmq;
  CLI::App app{"Run the AttestMQ broker compiled to WebAssembly, in the wasm2c runner.", "attestmq-enclave"};
  app.set_help_flag("--help", "print this help and exit");
  std::string config_file;
  std::vector<int> ports;
  bool verbose = false;
  bool daemon = false;
  bool print_measurement = false;
  std::string tee;
  app.add_option("-c,--config-file", config_file,
                 "mosquitto.conf-style configuration file (default: local-only mode on port 1883)");
  app.add_option("-p,--port", ports, "port of the default listener (repeatable)")
      ->check(CLI::Range(0, 65535))
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-v,--verbose", verbose, "log every message type to stdout");
  app.add_flag("-d,--daemon", daemon, "run in the background (not offered by the enclave runner)");
  app.add_option("--tee", tee, "attestation provider: none, sim (SIMULATED, no security), sgx-gramine or tsm")
      ->check(CLI::IsMember({"none", "sim", "sgx-gramine", "tsm"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--print-measurement", print_measurement,
               "print the SHA-256 of the compiled-in module (hex) and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }
  if (print_measurement) {
    std::printf("%s\n", std::string(kAttestmqEngineSha256).c_str());
    return 0;
  }
  if (daemon) {
    std::fprintf(stderr, "attestmq-enclave: -d is not offered: run it under a service manager\n");
    return kExitUsage;
  }

  // The host's reading of the configuration: only for the sockets, the log destinations
  // and the output limits. The module reads it again for everything else.
  config::CommandLine command_line;
  for (const int port : ports) command_line.ports.push_back(static_cast<std::uint16_t>(port));
  command_line.verbose = verbose;
  if (!tee.empty()) command_line.tee = tee;
  auto loaded = config_file.empty() ? config::default_config(command_line)
                                    : config::load_config_file(config_file, command_line);
  if (const auto* error = std::get_if<config::ConfigError>(&loaded)) {
    std::fprintf(stderr, "attestmq-enclave: %s\n", error->to_string().c_str());
    return kExitConfigError;
  }
  std::optional<server::HoldStopSignals> held_signals;
  held_signals.emplace();
  const server::OpenFileLimit file_limit = server::raise_open_file_limit();
  auto created = wasm::Enclave::create(std::get<config::BrokerConfig>(std::move(loaded)),
                                       configure_arguments(config_file, ports, verbose, tee));
  if (const auto* error = std::get_if<std::string>(&created)) {
    std::fprintf(stderr, "attestmq-enclave: %s\n", error->c_str());
    return kExitConfigError;
  }
  auto& enclave = *std::get<std::unique_ptr<wasm::Enclave>>(created);
  enclave.log(file_limit.error.empty() ? wasm::log_level::kNotice : wasm::log_level::kWarning,
              server::describe(file_limit));
  if (!config_file.empty()) enclave.log(wasm::log_level::kNotice, "Config loaded from " + config_file + ".");
  for (const auto& bound : enclave.addresses()) {
    if (bound.ipv6) {
      std::printf("listening on [%s]:%u\n", bound.address.c_str(), unsigned{bound.port});
    } else {
      std::printf("listening on %s:%u\n", bound.address.c_str(), unsigned{bound.port});
    }
  }
  std::fflush(stdout);
  const server::StopOnSignals stop_on_signals(enclave);
  held_signals.reset();
  enclave.run();
  return 0;
}
