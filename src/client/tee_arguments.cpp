#include "client/tee_arguments.hpp"

#include "attest/provider/own_executable.hpp"

namespace attestmq::client {

void add_tee_options(CLI::App& app, TeeArguments& arguments) {
  app.add_option("--tee", arguments.tee,
                 "this client's TEE, to attest itself to a broker that asks (mutual "
                 "attestation, docs/attestation.md section 7.7); needs --attest")
      ->check(CLI::IsMember({"none", "sim", "sgx-gramine", "tsm"}));
  app.add_option("--tee-sim-key-file", arguments.sim_key_file,
                 "the sim TEE's platform key (PEM, P-256), created if missing; sim is "
                 "SIMULATED, NO SECURITY");
}

bool self_attestation(const TeeArguments& arguments, std::optional<SelfAttestation>& self,
                      std::string& error) {
  self.reset();
  if (arguments.tee == "none") return true;
  const auto module = attest::own_executable_sha256(error);
  if (!module) return false;
  attest::ProviderConfig config;
  config.kind = arguments.tee;
  config.sim_key_file = arguments.sim_key_file;
  config.sim_measurement = *module;
  auto provider = attest::make_provider(config, error);
  if (!provider) {
    error = "--tee " + arguments.tee + ": " + error;
    return false;
  }
  self = SelfAttestation{std::move(provider), *module};
  return true;
}

}  // namespace attestmq::client
