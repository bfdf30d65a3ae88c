#pragma once
// SGX evidence through Gramine's /dev/attestation pseudo-files (Gramine docs, "Attestation
// and Secret Provisioning": attestation_type, user_report_data, quote). Only DCAP quotes are
// accepted: EPID is end-of-life and "none" means no attestation at all.
#include <filesystem>
#include <memory>
#include <string>

#include "attest/provider/provider.hpp"

namespace attestmq::attest {

class GramineProvider final : public Provider {
 public:
  // Fails unless `root`/attestation_type reads "dcap".
  static std::unique_ptr<GramineProvider> open(const std::filesystem::path& root,
                                               std::string& error);
  EvidenceType type() const override { return EvidenceType::sgx; }
  std::string description() const override;
  // Writes the 64 bytes to user_report_data, reads the quote, and checks that the quote's
  // REPORTDATA is what was written (a stale or foreign quote is an error, not evidence).
  ProviderOutcome evidence(const ReportData& report_data) override;
  // Gramine's MRENCLAVE-bound SGX sealing key (`root`/keys/_sgx_mrenclave, 16 bytes): only
  // this enclave, on this CPU, derives it. SGX has no monotonic counter for it (the default).
  SealingKeyOutcome sealing_key() override;

 private:
  explicit GramineProvider(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace attestmq::attest
