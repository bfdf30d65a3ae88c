#pragma once
// The client's own TEE for mutual attestation (docs/attestation.md section 7.7), spelled as the
// broker spells it (`--tee`, `tee_sim_key_file`): `attestmq pub`, `sub` and `attest` share it.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "client/attestation.hpp"

namespace attestmq::client {

struct TeeArguments {
  std::string tee = "none";                          // none|sim|sgx-gramine|tsm
  std::string sim_key_file = "attestmq-sim-key.pem";  // the sim platform key, created if missing
};

// --tee and --tee-sim-key-file.
void add_tee_options(CLI::App& app, TeeArguments& arguments);

// The provider the arguments name, measuring this program as its module (and, for sim, as
// its measurement, as the broker does); nullopt for `none`. False with `error` when the
// provider cannot start.
bool self_attestation(const TeeArguments& arguments, std::optional<SelfAttestation>& self,
                      std::string& error);

}  // namespace attestmq::client
