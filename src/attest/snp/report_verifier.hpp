#pragma once
// Verification of an AMD SEV-SNP attestation report against its VCEK and the AMD chain.
#include <cstdint>
#include <span>

#include "attest/common/verification.hpp"
#include "attest/snp/verify_options.hpp"

namespace attestmq::attest {

// Checks, in order, each under its own name (the first failure ends verification):
//   report.size, report.version, report.signature_algo   the report cannot be read (on
//                                                         success one "report.format" check)
//   report.signing_key                                    it is signed by a VCEK
//   certs.*, chain.*                                      see verify_amd_cert_chain
//   report.signature                                      ECDSA P-384 by the VCEK
//   vcek.extensions                                       the VCEK's TCB and hwID readable
//   tcb.vcek_match                                        REPORTED_TCB == the VCEK's TCB
//   chip_id.vcek_match                                    CHIP_ID == the VCEK's hwID
// Claims, once the signature holds: "version", "guest_svn", "vmpl", "measurement",
// "report_data", "host_data", "chip_id", "family_id", "image_id", "id_key_digest",
// "author_key_digest", "report_id", "report_id_ma" (lower-case hex), the guest policy and
// PLATFORM_INFO flags (see snp/guest_policy.hpp: "debug", "smt", "migrate_ma", ...),
// "cpuid_family", "cpuid_model", "cpuid_stepping" (version 3 and later, hex),
// "current_tcb", "reported_tcb", "committed_tcb", "launch_tcb" (each with .bootloader,
// .tee, .snp, .microcode, and .fmc on Turin), "current_firmware" and "committed_firmware"
// (major.minor.build), plus "product" and the chain subjects. Guest policy is reported, not judged:
// forbidding debug is the policy's decision (snp_policy_allows_debug).
VerificationResult verify_snp_report(std::span<const std::uint8_t> report,
                                     const SnpVerifyOptions& options);

}  // namespace attestmq::attest
