// `attestmq verify FILE`: verify a raw SGX/TDX quote, SNP report, sim report or AttestMQ
// envelope offline. Exit 0 valid, 1 invalid (the first failed check is printed), 2 usage.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "attest/common/iso8601.hpp"
#include "attest/common/revocation.hpp"
#include "attest/envelope/claims.hpp"
#include "attest/verifier.hpp"
#include "commands.hpp"

namespace attestmq::app {
namespace {

using attest::EvidenceType;
using attest::VerificationResult;

constexpr int kValid = 0;
constexpr int kInvalid = 1;
constexpr int kUsage = 2;
// Far above any quote, report or envelope (64 KiB): a larger file is not evidence.
constexpr std::size_t kMaxInputBytes = 1 << 20;
constexpr const char* kSimWarning = "SIMULATED evidence, NO SECURITY";

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

int usage_error(const std::string& message) {
  fmt::print(stderr, "attestmq verify: {}\n", message);
  return kUsage;
}

nlohmann::json to_json(const VerificationResult& result, const attest::Policy& policy) {
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

void print_text(const VerificationResult& result, const attest::Policy& policy) {
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

}  // namespace

int verify_main(int argc, char** argv) {
  CLI::App app{
      "Verify attestation evidence offline: a raw SGX/TDX quote, SEV-SNP report, "
      "sim report (SIMULATED, NO SECURITY) or AttestMQ envelope.",
      "attestmq verify"};
  std::string file, type_name = "auto", root_path, collateral_path, at_text, policy_path;
  std::vector<std::string> cert_paths, crl_paths;
  bool json_output = false;
  app.add_option("FILE", file, "evidence file")->required();
  app.add_option("--type", type_name, "auto|sgx|tdx|snp|sim")
      ->check(CLI::IsMember({"auto", "sgx", "tdx", "snp", "sim"}));
  app.add_option("--root", root_path,
                 "PEM root to pin (Intel SGX Root CA, AMD ARK, or the sim platform key)");
  app.add_option("--certs", cert_paths, "certificates the evidence does not embed (PEM/DER)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--crl", crl_paths,
                 "CRL (PEM or DER) for the evidence's chains: Intel's PCK or root CRL, AMD's "
                 "KDS CRL (docs/policy.md, Revocation)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--collateral", collateral_path, "Intel PCS-style collateral JSON");
  app.add_option("--at", at_text, "verification time, ISO 8601 UTC (default: now)");
  app.add_option("--policy", policy_path, "policy JSON (docs/policy.md)");
  app.add_flag("--json", json_output, "print claims, checks and the first failure as JSON");
  app.footer("Exit status: 0 valid, 1 invalid (the first failed check is printed), 2 usage.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsage;
  }

  attest::VerifyRequest request;
  if (type_name != "auto") request.type = attest::evidence_type_from_string(type_name);
  const auto input = read_file(file, kMaxInputBytes);
  if (!input) return usage_error(fmt::format("{}: cannot read (or larger than 1 MiB)", file));
  if (!root_path.empty()) {
    const auto pem = read_file(root_path, kMaxInputBytes);
    if (!pem) return usage_error(fmt::format("--root {}: cannot read", root_path));
    request.root_pem = std::string(pem->begin(), pem->end());
  }
  for (const auto& path : cert_paths) {
    auto cert = read_file(path, kMaxInputBytes);
    if (!cert) return usage_error(fmt::format("--certs {}: cannot read", path));
    request.certs.push_back(std::move(*cert));
  }
  for (const auto& path : crl_paths) {
    auto crl = read_file(path, kMaxInputBytes);
    if (!crl) return usage_error(fmt::format("--crl {}: cannot read", path));
    request.crls.push_back(std::move(*crl));
  }
  if (!collateral_path.empty()) {
    const auto collateral = read_file(collateral_path, kMaxInputBytes);
    if (!collateral)
      return usage_error(fmt::format("--collateral {}: cannot read", collateral_path));
    request.collateral_json = std::string(collateral->begin(), collateral->end());
  }
  if (!at_text.empty()) {
    const auto at = attest::parse_iso8601_utc(at_text);
    if (!at) {
      return usage_error(
          fmt::format("--at '{}': not ISO 8601 UTC (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)", at_text));
    }
    request.at_unix = *at;
  }
  if (!policy_path.empty()) {
    std::string error;
    auto policy = attest::load_policy(policy_path, error);
    if (!policy) return usage_error(error);
    request.policy = std::move(*policy);
  }

  const VerificationResult result = attest::verify_evidence(*input, request);
  if (json_output) {
    fmt::print("{}\n", to_json(result, request.policy).dump(2));
  } else {
    print_text(result, request.policy);
  }
  return result.valid() ? kValid : kInvalid;
}

}  // namespace attestmq::app
