#pragma once
// How `attestmq verify` and `attestmq attest` print a verification result: warnings first
// (simulated evidence, unchecked revocation, no TCB floor), then the verdict and the
// established claims, or the same as JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/common/verification.hpp"
#include "attest/policy/policy.hpp"

namespace attestmq::app {

// A whole file (evidence, a PEM root, collateral); nullopt if unreadable or over `limit` bytes.
std::optional<std::vector<std::uint8_t>> read_file(const std::string& path, std::size_t limit);

inline constexpr const char* kSimWarning = "SIMULATED evidence, NO SECURITY";

// The verdict line ("VALID sim evidence (9 checks passed)" or "INVALID ... check X failed:
// ...") after the warnings, and the claims when valid.
void print_verification(const attest::VerificationResult& result, const attest::Policy& policy);
// Every check made, in order, one per line ("  ok    session.binder: ...").
void print_checks(const attest::VerificationResult& result);
// valid, type, warnings, claims, checks and first_failure.
nlohmann::json verification_json(const attest::VerificationResult& result,
                                 const attest::Policy& policy);

}  // namespace attestmq::app
