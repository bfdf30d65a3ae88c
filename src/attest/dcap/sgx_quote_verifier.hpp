#pragma once
// Verification of Intel SGX DCAP ECDSA quotes, versions 3 and 4.
#include <cstdint>
#include <span>

#include "attest/common/verification.hpp"
#include "attest/dcap/intel_verify_options.hpp"

namespace attestmq::attest {

VerificationResult verify_sgx_quote(std::span<const std::uint8_t> quote,
                                    const IntelVerifyOptions& options);

// The claims of an SGX report body (384 bytes): mrenclave, mrsigner,
// isv_prod_id, isv_svn, attributes, miscselect, cpusvn, debug ("true"/"false"), report_data.
void add_sgx_enclave_claims(std::span<const std::uint8_t> body, VerificationResult& result);

}  // namespace attestmq::attest
