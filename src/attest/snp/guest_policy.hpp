#pragma once
// The SEV-SNP guest policy (AMD SEV-SNP Firmware ABI specification 56860, section 4.3,
// "Guest Policy") and PLATFORM_INFO (section 7.3, table "PLATFORM_INFO Field"): what the
// guest owner allowed at launch and what the platform had enabled when it reported.
#include <cstdint>
#include <map>
#include <string>

namespace attestmq::attest {

// Guest policy bits. Bits 7:0 and 15:8 are the minimum ABI minor and major version.
inline constexpr std::uint64_t kSnpPolicySmt = 1ull << 16;        // SMT may be enabled
inline constexpr std::uint64_t kSnpPolicyReserved1 = 1ull << 17;  // must be one
inline constexpr std::uint64_t kSnpPolicyMigrateMa = 1ull << 18;  // migration agent allowed
inline constexpr std::uint64_t kSnpPolicyDebug = 1ull << 19;      // hypervisor may debug
inline constexpr std::uint64_t kSnpPolicySingleSocket = 1ull << 20;
inline constexpr std::uint64_t kSnpPolicyCxlAllow = 1ull << 21;
inline constexpr std::uint64_t kSnpPolicyMemAes256Xts = 1ull << 22;
inline constexpr std::uint64_t kSnpPolicyRaplDis = 1ull << 23;
inline constexpr std::uint64_t kSnpPolicyCiphertextHiding = 1ull << 24;
inline constexpr std::uint64_t kSnpPolicyPageSwapDisable = 1ull << 25;

// True if the hypervisor may read and write the guest's memory through the debug commands:
// such a guest keeps no secret from the host.
bool snp_policy_allows_debug(std::uint64_t policy);

// The bits of `policy` that `forbidden_mask` forbids (zero: the policy is acceptable).
std::uint64_t snp_policy_violations(std::uint64_t policy, std::uint64_t forbidden_mask);

// Names the flags set in `bits`, comma-separated ("debug, migrate_ma"); bits without a
// name are given as "bit N".
std::string describe_snp_policy_bits(std::uint64_t bits);

// Claims for the guest policy: "policy" (hex), "abi_major", "abi_minor", and one "true" or
// "false" per flag under the names describe_snp_policy_bits uses ("debug", "smt", ...).
void add_snp_policy_claims(std::uint64_t policy, std::map<std::string, std::string>& claims);

// Claims for PLATFORM_INFO: "platform_info" (hex) and "platform.smt_enabled",
// "platform.tsme_enabled", "platform.ecc_enabled", "platform.rapl_disabled",
// "platform.ciphertext_hiding_enabled", "platform.alias_check_complete",
// "platform.tio_enabled", each "true" or "false".
void add_snp_platform_info_claims(std::uint64_t platform_info,
                                  std::map<std::string, std::string>& claims);

}  // namespace attestmq::attest
