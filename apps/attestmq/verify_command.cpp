// `attestmq verify FILE`: verify a raw SGX/TDX quote, SNP report, sim report or AttestMQ
// envelope offline. Exit 0 valid, 1 invalid (the first failed check is printed), 2 usage.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iterator>

#include "attest/common/iso8601.hpp"
#include "attest/envelope/claims.hpp"
#include "attest/verifier.hpp"
#include "commands.hpp"
#include "verification_report.hpp"

namespace attestmq::app {
namespace {

using attest::VerificationResult;

constexpr int kValid = 0;
constexpr int kInvalid = 1;
constexpr int kUsage = 2;
// Far above any quote, report or envelope (64 KiB): a larger file is not evidence.
constexpr std::size_t kMaxInputBytes = 1 << 20;

int usage_error(const std::string& message) {
  fmt::print(stderr, "attestmq verify: {}\n", message);
  return kUsage;
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
    fmt::print("{}\n", verification_json(result, request.policy).dump(2));
  } else {
    print_verification(result, request.policy);
  }
  return result.valid() ? kValid : kInvalid;
}

}  // namespace attestmq::app
