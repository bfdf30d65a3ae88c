#pragma once
// TDX and SEV-SNP evidence through Linux configfs-tsm (Documentation/ABI/testing/
// configfs-tsm): a report entry under ROOT/report/NAME with inblob, outblob, provider and
// generation attributes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "attest/provider/provider.hpp"

namespace attestmq::attest {

class TsmProvider final : public Provider {
 public:
  // Creates (or reuses) ROOT/report/NAME and learns the TEE from its "provider" attribute:
  // "tdx_guest" -> TDX quote, "sev_guest" -> SNP report. Anything else is an error.
  static std::unique_ptr<TsmProvider> open(const std::filesystem::path& root,
                                           const std::string& entry_name, std::string& error);
  EvidenceType type() const override { return type_; }
  std::string description() const override;
  // Reads generation, writes inblob, reads outblob and provider, re-reads generation: it
  // must be exactly one more than before, or another writer raced us and the outblob may
  // answer their inblob.
  ProviderOutcome evidence(const ReportData& report_data) override { return report(report_data); }
  // The same for any inblob of at most 64 bytes (the ABI's limit); longer is refused before
  // anything is written.
  ProviderOutcome report(std::span<const std::uint8_t> inblob);

 private:
  TsmProvider(std::filesystem::path entry, std::string provider, EvidenceType type)
      : entry_(std::move(entry)), provider_(std::move(provider)), type_(type) {}
  std::optional<std::uint64_t> generation(std::string& error) const;

  std::filesystem::path entry_;
  std::string provider_;
  EvidenceType type_;
};

}  // namespace attestmq::attest
