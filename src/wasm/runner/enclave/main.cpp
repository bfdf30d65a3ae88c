// `attestmq-enclave [-c FILE] [-p PORT] [-v] [-d] [--tee ...] | --print-measurement`: the
// broker engine compiled to Wasm, run by the wasm2c runner, with `attestmq broker`'s flags
// (DESIGN.md section 4). Exit codes as the broker's: 0 after a clean stop, 1 for a
// configuration or startup error, 2 for usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "broker_flags.hpp"
#include "server/open_file_limit.hpp"
#include "server/signals.hpp"
#include "wasm/runner/enclave/enclave.hpp"

namespace {

constexpr int kExitConfigError = 1;
constexpr int kExitUsage = 2;

// The module's configure arguments (docs/architecture.md, "The engine ABI").
std::string configure_arguments(const attestmq::app::BrokerFlags& flags) {
  std::string items;
  const auto add = [&](std::string_view name, std::string_view value) {
    items.append(name).append("=").append(value).push_back('\0');
  };
  if (!flags.config_file.empty()) add("config", flags.config_file);
  std::vector<char> cwd(4096);
  if (::getcwd(cwd.data(), cwd.size()) != nullptr) add("cwd", cwd.data());
  for (const int port : flags.ports) add("port", std::to_string(port));
  if (flags.verbose) add("verbose", "1");
  if (!flags.tee.empty()) add("tee", flags.tee);
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attestmq;
  CLI::App cli{"Run the AttestMQ broker compiled to WebAssembly, in the wasm2c runner.", "attestmq-enclave"};
  cli.set_help_flag("--help", "print this help and exit");
  app::BrokerFlags flags;
  app::add_broker_flags(cli, flags);
  bool print_measurement = false;
  cli.add_flag("--print-measurement", print_measurement,
               "print the SHA-256 of the compiled-in module (hex) and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = cli.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }
  if (print_measurement) {
    std::printf("%s\n", std::string(kAttestmqEngineSha256).c_str());
    return 0;
  }
  if (flags.daemon) {
    std::fprintf(stderr, "attestmq-enclave: -d is not offered: run it under a service manager\n");
    return kExitUsage;
  }

  // The host's reading of the configuration: only for the sockets, the log destinations
  // and the output limits. The module reads it again for everything else.
  auto loaded = app::load_broker_config(flags);
  if (const auto* error = std::get_if<config::ConfigError>(&loaded)) {
    std::fprintf(stderr, "attestmq-enclave: %s\n", error->to_string().c_str());
    return kExitConfigError;
  }
  std::optional<server::HoldStopSignals> held_signals;
  held_signals.emplace();
  const server::OpenFileLimit file_limit = server::raise_open_file_limit();
  auto created = wasm::Enclave::create(std::get<config::BrokerConfig>(std::move(loaded)),
                                       configure_arguments(flags));
  if (const auto* error = std::get_if<std::string>(&created)) {
    std::fprintf(stderr, "attestmq-enclave: %s\n", error->c_str());
    return kExitConfigError;
  }
  auto& enclave = *std::get<std::unique_ptr<wasm::Enclave>>(created);
  enclave.log(file_limit.error.empty() ? wasm::log_level::kNotice : wasm::log_level::kWarning,
              server::describe(file_limit));
  if (!flags.config_file.empty()) {
    enclave.log(wasm::log_level::kNotice, "Config loaded from " + flags.config_file + ".");
  }
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
