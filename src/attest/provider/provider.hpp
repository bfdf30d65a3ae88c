#pragma once
// The producing side of attestation: a Provider turns 64 bytes of REPORTDATA into platform
// evidence. Chosen by configuration (`--tee sim|sgx-gramine|tsm`).
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/verification.hpp"
#include "attest/envelope/claims.hpp"
#include "attest/envelope/report_data.hpp"

namespace attestmq::attest {

struct Evidence {
  EvidenceType type = EvidenceType::sim;
  std::vector<std::uint8_t> bytes;
};

struct ProviderOutcome {
  std::optional<Evidence> evidence;
  std::string error;  // set when evidence is empty
};

// What sealing asks of a TEE (docs/persistence.md, "Sealed records"): a key only this enclave
// can derive, and a monotonic counter the host cannot roll back. Either may be missing.
struct SealingKeyOutcome {
  std::vector<std::uint8_t> key;  // empty: none, and `error` says why
  std::string error;
  std::string origin = {};  // where the key comes from, for the log: the sim says it is simulated
};
struct CounterOutcome {
  std::optional<std::uint64_t> value;  // none: no counter, or it failed, as `error` says
  std::string error;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual EvidenceType type() const = 0;
  // One line for the host's log at startup. The sim provider's says SIMULATED, NO SECURITY.
  virtual std::string description() const = 0;
  virtual ProviderOutcome evidence(const ReportData& report_data) = 0;
  virtual SealingKeyOutcome sealing_key() { return {{}, description() + " has no sealing key"}; }
  // Whether raise_counter is offered; when it is, a failure of it is a failure, not an absence.
  virtual bool has_counter() const { return false; }
  // Raises the counter to at least `at_least` (0: only reads it) and answers its value.
  virtual CounterOutcome raise_counter(std::uint64_t /*at_least*/) {
    return {std::nullopt, description() + " has no trusted monotonic counter"};
  }
};

// Where Gramine mounts its attestation pseudo-files inside the enclave, and where Linux mounts
// configfs-tsm in a TDX or SEV-SNP guest.
inline const std::filesystem::path kGramineAttestationRoot = "/dev/attestation";
inline const std::filesystem::path kTsmRoot = "/sys/kernel/config/tsm";

struct ProviderConfig {
  std::string kind;            // "sim", "sgx-gramine" or "tsm"
  // Empty means the platform's own: kGramineAttestationRoot or kTsmRoot (tests: fixtures).
  std::filesystem::path root;
  std::string tsm_entry = "attestmq";              // configfs-tsm report entry name
  std::filesystem::path sim_key_file;              // sim: PEM private key, created if missing
  // sim: the simulated monotonic counter, a number in a file; empty: sim_key_file + ".counter"
  std::filesystem::path sim_counter_file;
  std::array<std::uint8_t, 32> sim_measurement{};  // sim: what the simulated TEE reports
};

// nullptr and `error` for an unknown kind or a provider that cannot start.
std::unique_ptr<Provider> make_provider(const ProviderConfig& config, std::string& error);

// Fills claims.evidence_type from the provider, computes REPORTDATA, asks for evidence and
// wraps both in an envelope (docs/evidence.md).
std::optional<std::vector<std::uint8_t>> produce_envelope(Provider& provider, Claims claims,
                                                          std::string& error);

}  // namespace attestmq::attest
