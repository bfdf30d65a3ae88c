#include "verification_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "attest/common/revocation.hpp"

namespace attestmq::app {
namespace {

using attest::EvidenceType;
using attest::VerificationResult;

// Only evidence that reached the sim verifier is called simulated; an unrecognised file
// keeps the result's default type but is not sim evidence.
bool simulated(const VerificationResult& result) {
  return result.type == EvidenceType::sim &&
         std::any_of(result.checks.begin(), result.checks.end(),
                     [](const attest::Check& check) { return check.name.starts_with("sim."); });
}

// What the verdict rests on less than a reader may assume: simulated evidence, a chain whose
// revocation was not checked (policy revocation: skip-insecure), an SNP report judged with
// no TCB floor. Printed before the verdict, valid or not, and in --json's "warnings".
std::vector<std::string> warnings(const VerificationResult& result, const attest::Policy& policy) {
  std::vector<std::string> out;
  if (simulated(result)) out.emplace_back(kSimWarning);
  for (const auto& [name, value] : result.claims) {
    constexpr std::string_view kSuffix = ".revocation";
    if (name.ends_with(kSuffix) && value.starts_with(attest::kRevocationNotChecked)) {
      out.push_back(fmt::format("revocation NOT checked for {} (policy revocation: "
                                "skip-insecure): {}",
                                name.substr(0, name.size() - kSuffix.size()),
                                value.substr(attest::kRevocationNotChecked.size())));
    }
  }
  const auto& floor = policy.snp.min_tcb;
  if (result.type == EvidenceType::snp && result.claims.contains("reported_tcb") &&
      !floor.bootloader && !floor.tee && !floor.snp && !floor.microcode) {
    out.emplace_back(
        "no SEV-SNP TCB floor applied: any firmware the VCEK was issued for is accepted (set "
        "snp.min_tcb in the policy)");
  }
  return out;
}

std::string type_label(const VerificationResult& result) {
  const bool recognised =
      std::none_of(result.checks.begin(), result.checks.end(), [](const attest::Check& check) {
        return check.name == "evidence.type" || check.name == "envelope.format";
      });
  return recognised ? std::string(attest::to_string(result.type)) : "unrecognised";
}

}  // namespace

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path, std::size_t limit) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::vector<std::uint8_t> bytes;
  char chunk[8192];
  while (file.read(chunk, sizeof chunk) || file.gcount() > 0) {
    bytes.insert(bytes.end(), chunk, chunk + file.gcount());
    if (bytes.size() > limit) return std::nullopt;
  }
  return bytes;
}

nlohmann::json verification_json(const VerificationResult& result, const attest::Policy& policy) {
  nlohmann::json out;
  out["valid"] = result.valid();
  out["type"] = type_label(result);
  if (simulated(result)) out["warning"] = kSimWarning;
  out["warnings"] = warnings(result, policy);
  out["claims"] = result.claims;
  out["checks"] = nlohmann::json::array();
  for (const auto& check : result.checks) {
    out["checks"].push_back(
        {{"name", check.name}, {"passed", check.passed}, {"detail", check.detail}});
  }
  if (const auto* failure = result.first_failure()) {
    out["first_failure"] = {{"name", failure->name}, {"detail", failure->detail}};
  } else {
    out["first_failure"] = nullptr;
  }
  return out;
}

void print_verification(const VerificationResult& result, const attest::Policy& policy) {
  for (const auto& warning : warnings(result, policy)) fmt::print("WARNING: {}\n", warning);
  if (const auto* failure = result.first_failure()) {
    fmt::print("INVALID {} evidence: check {} failed: {}\n", type_label(result), failure->name,
               failure->detail);
    return;
  }
  if (result.checks.empty()) {
    fmt::print("INVALID: no check was made\n");
    return;
  }
  fmt::print("VALID {} evidence ({} checks passed)\n", attest::to_string(result.type),
             result.checks.size());
  for (const auto& [name, value] : result.claims) fmt::print("  {}: {}\n", name, value);
}

void print_checks(const VerificationResult& result) {
  for (const auto& check : result.checks) {
    fmt::print("  {:<6}{}: {}\n", check.passed ? "ok" : "FAIL", check.name, check.detail);
  }
}

}  // namespace attestmq::app
