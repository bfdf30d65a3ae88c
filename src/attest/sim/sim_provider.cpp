#include "attest/sim/sim_provider.hpp"

#include <fmt/format.h>

#include "attest/common/hex.hpp"
#include "attest/sim/sim_report.hpp"

namespace attestmq::attest {

std::unique_ptr<SimProvider> SimProvider::open(const std::filesystem::path& key_file,
                                               const std::array<std::uint8_t, 32>& measurement,
                                               std::string& error) {
  auto key = load_or_create_sim_key(key_file, error);
  if (!key) return nullptr;
  return std::unique_ptr<SimProvider>(new SimProvider(std::move(key), measurement));
}

std::string SimProvider::description() const {
  return fmt::format(
      "attestation provider sim: SIMULATED, NO SECURITY (software key, measurement {})",
      to_hex(measurement_));
}

ProviderOutcome SimProvider::evidence(const ReportData& report_data) {
  SimReport report;
  report.measurement = measurement_;
  report.report_data = report_data;
  const auto signature = sim_sign(key_.get(), sim_signed_bytes(report));
  if (!signature) return {std::nullopt, "sim (SIMULATED, NO SECURITY): signing failed"};
  report.signature = *signature;
  return {Evidence{EvidenceType::sim, serialize_sim_report(report)}, {}};
}

}  // namespace attestmq::attest
