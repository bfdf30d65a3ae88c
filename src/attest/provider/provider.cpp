#include "attest/provider/provider.hpp"

#include <fmt/format.h>

#include "attest/envelope/envelope.hpp"
#include "attest/provider/gramine_provider.hpp"
#include "attest/provider/tsm_provider.hpp"
#include "attest/sim/sim_provider.hpp"

namespace attestmq::attest {

std::unique_ptr<Provider> make_provider(const ProviderConfig& config, std::string& error) {
  if (config.kind == "sim") {
    return SimProvider::open(config.sim_key_file, config.sim_measurement, error);
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

std::optional<std::vector<std::uint8_t>> produce_envelope(Provider& provider, Claims claims,
                                                          std::string& error) {
  claims.evidence_type = provider.type();
  const auto report_data = compute_report_data(claims);
  if (!report_data) {
    error = "claims: binder or nonce longer than 64 bytes";
    return std::nullopt;
  }
  auto outcome = provider.evidence(*report_data);
  if (!outcome.evidence) {
    error = outcome.error;
    return std::nullopt;
  }
  Envelope envelope;
  envelope.evidence = std::move(outcome.evidence->bytes);
  envelope.claims = std::move(claims);
  return encode_envelope(envelope, error);
}

}  // namespace attestmq::attest
