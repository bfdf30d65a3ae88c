#include "attest/common/verification.hpp"

namespace attestmq::attest {

std::string_view to_string(EvidenceType type) {
  switch (type) {
    case EvidenceType::sgx: return "sgx";
    case EvidenceType::tdx: return "tdx";
    case EvidenceType::snp: return "snp";
    case EvidenceType::sim: return "sim";
  }
  return "unknown";
}

bool VerificationResult::check(std::string name, bool passed, std::string detail) {
  checks.push_back(Check{std::move(name), passed, std::move(detail)});
  return passed;
}

void VerificationResult::valid_no_later_than(std::int64_t end) {
  if (!valid_until || end < *valid_until) valid_until = end;
}

const Check* VerificationResult::first_failure() const {
  for (const auto& c : checks) {
    if (!c.passed) return &c;
  }
  return nullptr;
}

}  // namespace attestmq::attest
