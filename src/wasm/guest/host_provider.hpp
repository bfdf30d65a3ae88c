#pragma once
// The module's TEE provider: what the runner's provider offers, through the imports of
// host_imports.hpp. Evidence comes over REPORTDATA the module computed; what the runner
// answers is not trusted here: the evidence is checked by whoever verifies it, against the
// REPORTDATA that binds it to the TLS session. The sealing key and the counter are the TEE's
// as the runner passes them on (docs/architecture.md, the trust argument for each import).
#include <string>

#include "attest/provider/provider.hpp"

namespace attestmq::wasm::guest {

class HostProvider final : public attest::Provider {
 public:
  // `type`: what the runner's provider makes, and whether it has a counter, as it said at configure.
  HostProvider(attest::EvidenceType type, bool has_counter) : type_(type), has_counter_(has_counter) {}
  attest::EvidenceType type() const override { return type_; }
  std::string description() const override;
  attest::ProviderOutcome evidence(const attest::ReportData& report_data) override;
  attest::SealingKeyOutcome sealing_key() override;
  bool has_counter() const override { return has_counter_; }
  attest::CounterOutcome raise_counter(std::uint64_t at_least) override;

 private:
  const attest::EvidenceType type_;
  const bool has_counter_;
};

}  // namespace attestmq::wasm::guest
