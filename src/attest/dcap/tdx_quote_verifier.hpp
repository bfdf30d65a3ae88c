#pragma once
// Verification of Intel TDX DCAP ECDSA quotes, versions 4 and 5.
#include <cstdint>
#include <span>

#include "attest/common/verification.hpp"
#include "attest/dcap/intel_verify_options.hpp"

namespace attestmq::attest {

VerificationResult verify_tdx_quote(std::span<const std::uint8_t> quote,
                                    const IntelVerifyOptions& options);

// The claims of a TD report body (584 or 648 bytes): mrtd, rtmr0..3,
// mrconfigid, mrowner, mrownerconfig, mrseam, td_attributes, xfam, debug ("true"/"false"),
// tee_tcb_svn, report_data (and tee_tcb_svn2, mrservicetd for TDX 1.5).
void add_td_claims(std::span<const std::uint8_t> body, VerificationResult& result);

}  // namespace attestmq::attest
