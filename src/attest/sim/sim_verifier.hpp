#pragma once
// Verification of sim reports. SIMULATED, NO SECURITY: a valid result proves only that the
// holder of the pinned sim key signed it. Policy must also allow simulated evidence.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "attest/common/verification.hpp"

namespace attestmq::attest {

// Checks "sim.format", "sim.root" (a pinned P-256 public key, PEM) and "sim.signature".
VerificationResult verify_sim_report(std::span<const std::uint8_t> report,
                                     const std::optional<std::string>& pinned_public_pem);

}  // namespace attestmq::attest
