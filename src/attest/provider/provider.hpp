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

class Provider {
 public:
  virtual ~Provider() = default;
  virtual EvidenceType type() const = 0;
  // One line for the host's log at startup. The sim provider's says SIMULATED, NO SECURITY.
  virtual std::string description() const = 0;
  virtual ProviderOutcome evidence(const ReportData& report_data) = 0;
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
  std::array<std::uint8_t, 32> sim_measurement{};  // sim: what the simulated TEE reports
};

// nullptr and `error` for an unknown kind or a provider that cannot start.
std::unique_ptr<Provider> make_provider(const ProviderConfig& config, std::string& error);

// Fills claims.evidence_type from the provider, computes REPORTDATA, asks for evidence and
// wraps both in an envelope (docs/evidence.md).
std::optional<std::vector<std::uint8_t>> produce_envelope(Provider& provider, Claims claims,
                                                          std::string& error);

}  // namespace attestmq::attest
