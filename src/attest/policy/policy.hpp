#pragma once
// The verifier's policy (docs/policy.md): what evidence is acceptable beyond being genuine.
// Loaded from JSON; unknown keys are errors, so a typo can never silently weaken a policy.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/revocation.hpp"
#include "attest/common/verification.hpp"

namespace attestmq::attest {

struct SgxPolicy {
  // Allow-lists: empty = the key was left out, no constraint (an explicit [] does not parse).
  std::vector<std::string> mrenclave;  // lower-case hex
  std::vector<std::string> mrsigner;
  std::optional<std::uint16_t> isv_prod_id;
  std::optional<std::uint16_t> min_isv_svn;
  bool allow_debug = false;
  bool operator==(const SgxPolicy&) const = default;
};

struct TdxPolicy {
  std::vector<std::string> mrtd;
  std::array<std::vector<std::string>, 4> rtmr;
  bool allow_debug = false;
  bool operator==(const TdxPolicy&) const = default;
};

struct SnpMinTcb {
  std::optional<std::uint32_t> bootloader, tee, snp, microcode;
  bool operator==(const SnpMinTcb&) const = default;
};

struct SnpPolicy {
  std::vector<std::string> measurement;
  std::uint64_t forbidden_policy_bits = 0;  // guest policy bits that must be clear
  std::uint64_t required_policy_bits = 0;   // guest policy bits that must be set
  SnpMinTcb min_tcb;                        // against the report's REPORTED_TCB
  bool allow_debug = false;
  bool operator==(const SnpPolicy&) const = default;
};

struct Policy {
  std::vector<EvidenceType> accepted_types{EvidenceType::sgx, EvidenceType::tdx, EvidenceType::snp,
                                           EvidenceType::sim};
  bool allow_simulated = false;
  std::vector<std::string> accepted_tcb_statuses{"UpToDate"};  // empty: none is accepted
  std::vector<std::string> accepted_module_hashes;  // empty = key left out: any (raw evidence too)
  // Claims key 7 (docs/policy.md): the broker configurations this client trusts; empty = any.
  std::vector<std::string> accepted_configuration_digests;
  std::map<EvidenceType, std::filesystem::path> pinned_roots;
  // The text of pinned roots already read by whoever loaded the policy: the broker reads
  // them once, with its other security files, and attests their digests (docs/evidence.md
  // 2.1). The verifier reads a pinned_roots path only for a type missing here.
  std::map<EvidenceType, std::string> pinned_root_pems;
  std::optional<std::int64_t> max_collateral_age_seconds;
  // docs/attestation.md section 6.2: how old a cached-mode quote may be (`cached.quote_age`).
  std::int64_t max_quote_age_seconds = 86400;
  // "required" | "skip-insecure": whether a missing CRL fails (docs/policy.md, "Revocation").
  RevocationMode revocation = RevocationMode::required;
  SgxPolicy sgx;
  TdxPolicy tdx;
  SnpPolicy snp;
  bool operator==(const Policy&) const = default;
};

// `base_dir` resolves relative pinned root paths. Errors name the offending key.
std::optional<Policy> parse_policy(std::string_view json_text,
                                   const std::filesystem::path& base_dir, std::string& error);
// Reads and parses the file; errors start with its path.
std::optional<Policy> load_policy(const std::filesystem::path& path, std::string& error);

// Adds "policy.*" checks for the claims in `result`. Claims it relies on, besides the
// verifiers' own: "module_sha256" (from an envelope), "verified_at" and
// "collateral.issue_date" (ISO 8601, set by the dispatcher and the DCAP verifier).
void apply_policy(const Policy& policy, VerificationResult& result);

}  // namespace attestmq::attest
