#include <fmt/format.h>

#include "attest/provider/gramine_provider.hpp"
#include "attest/provider/provider.hpp"
#include "attest/provider/tsm_provider.hpp"
#include "attest/sim/sim_provider.hpp"

// make_provider has its own file because it is native only: the Gramine and configfs-tsm
// providers read the platform's files, which the Wasm module never sees (there the runner
// supplies the evidence through an import), so the Wasm build leaves this file out.
namespace attestmq::attest {

std::unique_ptr<Provider> make_provider(const ProviderConfig& config, std::string& error) {
  if (config.kind == "sim") {
    return SimProvider::open(config.sim_key_file, config.sim_measurement, error, config.sim_counter_file);
  }
  // The broker and the clients leave `root` empty: a relative path would be resolved against
  // the working directory, which is not where the platform puts these files.
  const auto root_or = [&](const std::filesystem::path& platform_root) {
    return config.root.empty() ? platform_root : config.root;
  };
  if (config.kind == "sgx-gramine") {
    return GramineProvider::open(root_or(kGramineAttestationRoot), error);
  }
  if (config.kind == "tsm") {
    return TsmProvider::open(root_or(kTsmRoot), config.tsm_entry, error);
  }
  error = fmt::format("unknown attestation provider '{}' (sim, sgx-gramine or tsm)", config.kind);
  return nullptr;
}

}  // namespace attestmq::attest
