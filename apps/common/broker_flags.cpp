#include "broker_flags.hpp"

namespace attestmq::app {

void add_broker_flags(CLI::App& app, BrokerFlags& flags) {
  app.add_option("-c,--config-file", flags.config_file,
                 "mosquitto.conf-style configuration file (default: local-only mode on port 1883)");
  app.add_option("-p,--port", flags.ports,
                 "port of the default listener (repeatable; with no listener configured, "
                 "local-only mode on this port)")
      ->check(CLI::Range(0, 65535))
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-v,--verbose", flags.verbose, "log every message type to stdout");
  app.add_flag("-d,--daemon", flags.daemon, "run in the background");
  app.add_option("--tee", flags.tee,
                 "attestation provider: none, sim (SIMULATED, no security), sgx-gramine or tsm; "
                 "with one, TLS listeners offer attested sessions (docs/attestation.md)")
      ->check(CLI::IsMember({"none", "sim", "sgx-gramine", "tsm"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // start-broker.sh ... --tee none
}

config::ConfigResult load_broker_config(const BrokerFlags& flags) {
  config::CommandLine command_line;
  for (const int port : flags.ports) command_line.ports.push_back(static_cast<std::uint16_t>(port));
  command_line.verbose = flags.verbose;
  if (!flags.tee.empty()) command_line.tee = flags.tee;
  return flags.config_file.empty() ? config::default_config(command_line)
                                   : config::load_config_file(flags.config_file, command_line);
}

}  // namespace attestmq::app
