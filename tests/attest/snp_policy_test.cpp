// Guest policy helpers the verifier policy builds on.
#include "attest/snp/guest_policy.hpp"

#include <gtest/gtest.h>

namespace attestmq::attest {
namespace {

TEST(SnpPolicy, DebugIsBitNineteen) {
  EXPECT_TRUE(snp_policy_allows_debug(0xb0000));  // the go-sev-guest Milan report's policy
  EXPECT_FALSE(snp_policy_allows_debug(0x30000));
  EXPECT_TRUE(snp_policy_allows_debug(kSnpPolicyDebug));
}

TEST(SnpPolicy, ViolationsAreTheForbiddenBitsThatAreSet) {
  const std::uint64_t forbidden = kSnpPolicyDebug | kSnpPolicyMigrateMa;
  EXPECT_EQ(snp_policy_violations(0x30000, forbidden), 0u);
  EXPECT_EQ(snp_policy_violations(0xb0000, forbidden), kSnpPolicyDebug);
  EXPECT_EQ(snp_policy_violations(0xf0000, forbidden), forbidden);
}

TEST(SnpPolicy, BitsAreDescribedByName) {
  EXPECT_EQ(describe_snp_policy_bits(kSnpPolicyMigrateMa | kSnpPolicyDebug), "migrate_ma, debug");
  EXPECT_EQ(describe_snp_policy_bits(1ull << 40), "bit 40");
  EXPECT_EQ(describe_snp_policy_bits(0), "");
}

TEST(SnpPolicy, ClaimsCoverEveryFlagAndTheAbiVersion) {
  std::map<std::string, std::string> claims;
  add_snp_policy_claims(0xb0000 | 0x0102, claims);
  EXPECT_EQ(claims.at("policy"), "0xb0102");
  EXPECT_EQ(claims.at("abi_major"), "1");
  EXPECT_EQ(claims.at("abi_minor"), "2");
  EXPECT_EQ(claims.at("debug"), "true");
  EXPECT_EQ(claims.at("smt"), "true");
  EXPECT_EQ(claims.at("migrate_ma"), "false");
  EXPECT_EQ(claims.at("page_swap_disable"), "false");
}

TEST(SnpPolicy, PlatformInfoClaims) {
  std::map<std::string, std::string> claims;
  add_snp_platform_info_claims(0x21, claims);
  EXPECT_EQ(claims.at("platform_info"), "0x21");
  EXPECT_EQ(claims.at("platform.smt_enabled"), "true");
  EXPECT_EQ(claims.at("platform.tsme_enabled"), "false");
  EXPECT_EQ(claims.at("platform.alias_check_complete"), "true");
}

}  // namespace
}  // namespace attestmq::attest
