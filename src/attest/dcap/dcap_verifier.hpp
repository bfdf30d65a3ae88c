#pragma once
// The verification steps SGX and TDX DCAP quotes share: quote signature, QE report binding and
// signature, PCK chain to the pinned Intel root and its revocation, and with collateral the
// QE identity and TCB status. Each step is a named check in the result; the first failure
// stops the run.
#include <cstdint>
#include <span>

#include "attest/common/verification.hpp"
#include "attest/dcap/intel_verify_options.hpp"
#include "attest/dcap/quote.hpp"

namespace attestmq::attest {

// Adds the claims of a verified report body (measurements, attributes, debug, REPORTDATA).
using BodyClaims = void (*)(std::span<const std::uint8_t> body, VerificationResult& result);

VerificationResult verify_dcap_quote(std::span<const std::uint8_t> bytes, DcapTee tee,
                                     const IntelVerifyOptions& options, BodyClaims body_claims);

}  // namespace attestmq::attest
