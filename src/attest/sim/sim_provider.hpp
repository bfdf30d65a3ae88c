#pragma once
// The sim provider: a software TEE for machines without one. SIMULATED, NO SECURITY.
#include <filesystem>
#include <memory>
#include <string>

#include "attest/provider/provider.hpp"
#include "attest/sim/sim_key.hpp"

namespace attestmq::attest {

class SimProvider final : public Provider {
 public:
  // `counter_file`: where the simulated monotonic counter is kept (empty: key_file.counter).
  static std::unique_ptr<SimProvider> open(const std::filesystem::path& key_file,
                                           const std::array<std::uint8_t, 32>& measurement,
                                           std::string& error,
                                           const std::filesystem::path& counter_file = {});
  EvidenceType type() const override { return EvidenceType::sim; }
  std::string description() const override;
  ProviderOutcome evidence(const ReportData& report_data) override;
  // SHA-256 of a label and the sim private key: whoever reads the key file can unseal.
  SealingKeyOutcome sealing_key() override;
  // A number in a file, replaced atomically: whoever can write the file can roll it back.
  bool has_counter() const override { return true; }
  CounterOutcome raise_counter(std::uint64_t at_least) override;
  std::string public_key_pem() const { return sim_public_key_pem(key_.get()); }

 private:
  SimProvider(SimKeyPtr key, std::filesystem::path counter_file, const std::array<std::uint8_t, 32>& measurement)
      : key_(std::move(key)), counter_file_(std::move(counter_file)), measurement_(measurement) {}
  SimKeyPtr key_;
  std::filesystem::path counter_file_;
  std::array<std::uint8_t, 32> measurement_;
};

}  // namespace attestmq::attest
