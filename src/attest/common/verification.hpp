#pragma once
// The verifier's answer: every claim it established, every check it made, and the first
// check that failed. A result is valid only if no check failed and at least one passed.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attestmq::attest {

enum class EvidenceType { sgx, tdx, snp, sim };

std::string_view to_string(EvidenceType type);

struct Check {
  std::string name;    // stable identifier, e.g. "quote.signature", "pck.chain", "tcb.status"
  bool passed = false;
  std::string detail;  // what was compared, or why it failed, in English
};

struct VerificationResult {
  EvidenceType type = EvidenceType::sim;
  std::vector<Check> checks;
  // Claims as stable names -> values: measurements and REPORTDATA in lower-case hex
  // ("mrenclave", "mrsigner", "isv_prod_id", "isv_svn", "report_data", "mrtd", "rtmr0".."rtmr3",
  // "measurement", "tcb_status", "fmspc", "chain.0.subject", ...).
  std::map<std::string, std::string> claims;
  // The first instant (seconds since 1970) at which the verdict no longer holds: the earliest
  // end of every time-bounded input a check accepted (a certificate's notAfter, a CRL's or a
  // collateral item's nextUpdate). Unset when no accepted input had an end. A remembered
  // verdict must not outlive it (docs/attestation.md section 6.2, "Client cache").
  std::optional<std::int64_t> valid_until;

  // Records a check; returns `passed` so callers can write `if (!r.check(...)) return r;`.
  bool check(std::string name, bool passed, std::string detail);
  // Lowers valid_until to `end` if `end` is earlier: a verdict holds only while all its inputs do.
  void valid_no_later_than(std::int64_t end);
  // The first failed check, if any.
  const Check* first_failure() const;
  bool valid() const { return !checks.empty() && first_failure() == nullptr; }
};

}  // namespace attestmq::attest
