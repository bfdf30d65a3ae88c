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
  static std::unique_ptr<SimProvider> open(const std::filesystem::path& key_file,
                                           const std::array<std::uint8_t, 32>& measurement,
                                           std::string& error);
  EvidenceType type() const override { return EvidenceType::sim; }
  std::string description() const override;
  ProviderOutcome evidence(const ReportData& report_data) override;
  std::string public_key_pem() const { return sim_public_key_pem(key_.get()); }

 private:
  SimProvider(SimKeyPtr key, const std::array<std::uint8_t, 32>& measurement)
      : key_(std::move(key)), measurement_(measurement) {}
  SimKeyPtr key_;
  std::array<std::uint8_t, 32> measurement_;
};

}  // namespace attestmq::attest
