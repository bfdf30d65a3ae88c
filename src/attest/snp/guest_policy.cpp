#include "attest/snp/guest_policy.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace attestmq::attest {
namespace {

struct NamedBit {
  std::uint64_t bit;
  std::string_view name;
};

constexpr std::array kPolicyFlags{
    NamedBit{kSnpPolicySmt, "smt"},
    NamedBit{kSnpPolicyMigrateMa, "migrate_ma"},
    NamedBit{kSnpPolicyDebug, "debug"},
    NamedBit{kSnpPolicySingleSocket, "single_socket"},
    NamedBit{kSnpPolicyCxlAllow, "cxl_allow"},
    NamedBit{kSnpPolicyMemAes256Xts, "mem_aes_256_xts"},
    NamedBit{kSnpPolicyRaplDis, "rapl_dis"},
    NamedBit{kSnpPolicyCiphertextHiding, "ciphertext_hiding"},
    NamedBit{kSnpPolicyPageSwapDisable, "page_swap_disable"},
};

constexpr std::array kPlatformInfoFlags{
    NamedBit{1ull << 0, "platform.smt_enabled"},
    NamedBit{1ull << 1, "platform.tsme_enabled"},
    NamedBit{1ull << 2, "platform.ecc_enabled"},
    NamedBit{1ull << 3, "platform.rapl_disabled"},
    NamedBit{1ull << 4, "platform.ciphertext_hiding_enabled"},
    NamedBit{1ull << 5, "platform.alias_check_complete"},
    NamedBit{1ull << 7, "platform.tio_enabled"},
};

template <std::size_t N>
void add_flag_claims(std::uint64_t value, const std::array<NamedBit, N>& flags,
                     std::map<std::string, std::string>& claims) {
  for (const auto& flag : flags) {
    claims[std::string(flag.name)] = (value & flag.bit) != 0 ? "true" : "false";
  }
}

}  // namespace

bool snp_policy_allows_debug(std::uint64_t policy) { return (policy & kSnpPolicyDebug) != 0; }

std::uint64_t snp_policy_violations(std::uint64_t policy, std::uint64_t forbidden_mask) {
  return policy & forbidden_mask;
}

std::string describe_snp_policy_bits(std::uint64_t bits) {
  std::string out;
  for (unsigned i = 0; i < 64; ++i) {
    const std::uint64_t bit = 1ull << i;
    if ((bits & bit) == 0) continue;
    std::string name = fmt::format("bit {}", i);
    for (const auto& flag : kPolicyFlags) {
      if (flag.bit == bit) name = flag.name;
    }
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

void add_snp_policy_claims(std::uint64_t policy, std::map<std::string, std::string>& claims) {
  claims["policy"] = fmt::format("{:#x}", policy);
  claims["abi_minor"] = std::to_string(policy & 0xff);
  claims["abi_major"] = std::to_string((policy >> 8) & 0xff);
  add_flag_claims(policy, kPolicyFlags, claims);
}

void add_snp_platform_info_claims(std::uint64_t platform_info,
                                  std::map<std::string, std::string>& claims) {
  claims["platform_info"] = fmt::format("{:#x}", platform_info);
  add_flag_claims(platform_info, kPlatformInfoFlags, claims);
}

}  // namespace attestmq::attest
