// apply_policy: the "policy.*" checks over the claims a verifier established.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "attest/common/iso8601.hpp"
#include "attest/policy/policy.hpp"

namespace attestmq::attest {

namespace {

class PolicyChecks {
 public:
  explicit PolicyChecks(VerificationResult& result) : result_(result) {}

  const std::string* claim(const std::string& name) const {
    const auto found = result_.claims.find(name);
    return found == result_.claims.end() ? nullptr : &found->second;
  }

  // The claim must be one of `accepted`. An empty list comes only from a key the policy left
  // out (parse_policy refuses []), so it is no constraint, unless `empty_accepts_none`: then
  // the list has a non-empty default and an empty one, set in code, accepts nothing.
  void one_of(const std::string& check, const std::string& claim_name,
              const std::vector<std::string>& accepted, bool empty_accepts_none = false) {
    if (accepted.empty() && !empty_accepts_none) return;
    const std::string* value = claim(claim_name);
    if (value == nullptr) {
      result_.check(check, false, fmt::format("the evidence established no {}", claim_name));
      return;
    }
    const bool ok = std::find(accepted.begin(), accepted.end(), *value) != accepted.end();
    result_.check(check, ok,
                  fmt::format("{} {} {} the {} accepted value(s)", claim_name, *value,
                              ok ? "is among" : "is not among", accepted.size()));
  }

  std::optional<std::uint64_t> number(const std::string& claim_name) const {
    const std::string* text = claim(claim_name);
    if (text == nullptr) return std::nullopt;
    std::string_view digits = *text;
    int base = 10;
    if (digits.starts_with("0x")) {
      digits.remove_prefix(2);
      base = 16;
    }
    std::uint64_t value = 0;
    const auto [end, status] =
        std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (status != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
  }

  void at_least(const std::string& check, const std::string& claim_name,
                std::optional<std::uint64_t> minimum) {
    if (!minimum) return;
    const auto value = number(claim_name);
    if (!value) {
      result_.check(check, false, fmt::format("the evidence established no {}", claim_name));
      return;
    }
    result_.check(check, *value >= *minimum,
                  fmt::format("{} {} (minimum {})", claim_name, *value, *minimum));
  }

  void equals(const std::string& check, const std::string& claim_name,
              std::optional<std::uint64_t> expected) {
    if (!expected) return;
    const auto value = number(claim_name);
    result_.check(check, value == expected,
                  value ? fmt::format("{} {} (expected {})", claim_name, *value, *expected)
                        : fmt::format("the evidence established no {}", claim_name));
  }

  // Debug TEEs expose their memory to the host: forbidden unless the policy says otherwise.
  void debug(const std::string& check, bool allowed) {
    const std::string* value = claim("debug");
    if (value == nullptr) {
      result_.check(check, false, "the evidence established no debug state");
      return;
    }
    const bool is_debug = *value != "false";
    result_.check(check, !is_debug || allowed,
                  is_debug ? (allowed ? "debug TEE, allowed by allow_debug"
                                      : "debug TEE forbidden (set allow_debug to accept)")
                           : "not a debug TEE");
  }

  VerificationResult& result() { return result_; }

 private:
  VerificationResult& result_;
};

void check_sgx(const SgxPolicy& sgx, PolicyChecks& checks) {
  checks.one_of("policy.sgx.mrenclave", "mrenclave", sgx.mrenclave);
  checks.one_of("policy.sgx.mrsigner", "mrsigner", sgx.mrsigner);
  checks.equals("policy.sgx.isv_prod_id", "isv_prod_id", sgx.isv_prod_id);
  checks.at_least("policy.sgx.min_isv_svn", "isv_svn", sgx.min_isv_svn);
  checks.debug("policy.sgx.debug", sgx.allow_debug);
}

void check_tdx(const TdxPolicy& tdx, PolicyChecks& checks) {
  checks.one_of("policy.tdx.mrtd", "mrtd", tdx.mrtd);
  for (std::size_t i = 0; i < tdx.rtmr.size(); ++i) {
    checks.one_of(fmt::format("policy.tdx.rtmr{}", i), fmt::format("rtmr{}", i), tdx.rtmr[i]);
  }
  checks.debug("policy.tdx.debug", tdx.allow_debug);
}

void check_snp(const SnpPolicy& snp, PolicyChecks& checks) {
  checks.one_of("policy.snp.measurement", "measurement", snp.measurement);
  if (snp.forbidden_policy_bits != 0 || snp.required_policy_bits != 0) {
    const auto guest_policy = checks.number("policy");
    const bool ok = guest_policy && (*guest_policy & snp.forbidden_policy_bits) == 0 &&
                    (*guest_policy & snp.required_policy_bits) == snp.required_policy_bits;
    checks.result().check(
        "policy.snp.policy_bits", ok,
        guest_policy
            ? fmt::format("guest policy {:#x}: forbidden {:#x}, required {:#x}", *guest_policy,
                          snp.forbidden_policy_bits, snp.required_policy_bits)
            : "the evidence established no guest policy");
  }
  checks.debug("policy.snp.debug", snp.allow_debug);
  // AMD SEV-SNP ABI, ATTESTATION_REPORT: REPORTED_TCB is what the VCEK was derived for.
  checks.at_least("policy.snp.min_tcb.bootloader", "reported_tcb.bootloader",
                  snp.min_tcb.bootloader);
  checks.at_least("policy.snp.min_tcb.tee", "reported_tcb.tee", snp.min_tcb.tee);
  checks.at_least("policy.snp.min_tcb.snp", "reported_tcb.snp", snp.min_tcb.snp);
  checks.at_least("policy.snp.min_tcb.microcode", "reported_tcb.microcode", snp.min_tcb.microcode);
}

void check_collateral_age(const Policy& policy, PolicyChecks& checks) {
  if (!policy.max_collateral_age_seconds) return;
  const std::string* issued_text = checks.claim("collateral.issue_date");
  const std::string* now_text = checks.claim("verified_at");
  const auto issued = issued_text ? parse_iso8601_utc(*issued_text) : std::nullopt;
  const auto now = now_text ? parse_iso8601_utc(*now_text) : std::nullopt;
  if (!issued || !now) {
    checks.result().check("policy.collateral_age", false,
                          "no collateral issue date established (give --collateral)");
    return;
  }
  const std::int64_t age = *now - *issued;
  checks.result().check(
      "policy.collateral_age", age <= *policy.max_collateral_age_seconds,
      fmt::format("collateral issued {} is {} s old at {} (maximum {} s)", *issued_text, age,
                  *now_text, *policy.max_collateral_age_seconds));
}

}  // namespace

void apply_policy(const Policy& policy, VerificationResult& result) {
  PolicyChecks checks(result);
  const bool accepted = std::find(policy.accepted_types.begin(), policy.accepted_types.end(),
                                  result.type) != policy.accepted_types.end();
  result.check(
      "policy.evidence_type", accepted,
      fmt::format("{} evidence is {}accepted", to_string(result.type), accepted ? "" : "not "));
  if (result.type == EvidenceType::sim) {
    result.check("policy.allow_simulated", policy.allow_simulated,
                 policy.allow_simulated
                     ? "SIMULATED, NO SECURITY: accepted because allow_simulated is true"
                     : "SIMULATED, NO SECURITY: rejected, the policy does not set "
                       "allow_simulated");
  }
  checks.one_of("policy.module_hash", "module_sha256", policy.accepted_module_hashes);
  checks.one_of("policy.configuration_digest", "configuration_digest",
                policy.accepted_configuration_digests);
  if (result.type == EvidenceType::sgx || result.type == EvidenceType::tdx) {
    if (checks.claim("tcb_status") == nullptr) {
      result.check("policy.tcb_status", false,
                   "TCB status unknown: no collateral given (--collateral), so the platform's "
                   "patch level cannot be judged");
    } else {
      checks.one_of("policy.tcb_status", "tcb_status", policy.accepted_tcb_statuses,
                    /*empty_accepts_none=*/true);
    }
    check_collateral_age(policy, checks);
  }
  switch (result.type) {
    case EvidenceType::sgx:
      check_sgx(policy.sgx, checks);
      break;
    case EvidenceType::tdx:
      check_tdx(policy.tdx, checks);
      break;
    case EvidenceType::snp:
      check_snp(policy.snp, checks);
      break;
    case EvidenceType::sim:
      break;
  }
}

}  // namespace attestmq::attest
