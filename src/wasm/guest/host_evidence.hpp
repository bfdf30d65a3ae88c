#pragma once
// The module's TEE provider: evidence comes from the runner's provider through the evidence
// import (host_imports.hpp), over REPORTDATA the module computed. What the runner answers is
// not trusted here: the evidence is checked by whoever verifies it, against the REPORTDATA
// that binds it to the TLS session (docs/architecture.md, the evidence import).
#include <string>

#include "attest/provider/provider.hpp"

namespace attestmq::wasm::guest {

class HostEvidence final : public attest::Provider {
 public:
  // `type`: what the runner's provider makes, as it said at configure.
  explicit HostEvidence(attest::EvidenceType type) : type_(type) {}
  attest::EvidenceType type() const override { return type_; }
  std::string description() const override;
  attest::ProviderOutcome evidence(const attest::ReportData& report_data) override;

 private:
  const attest::EvidenceType type_;
};

}  // namespace attestmq::wasm::guest
