#include "attest/policy/policy.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "provider_test_support.hpp"

namespace attestmq::attest {
namespace {

std::string parse_error(const std::string& json) {
  std::string error;
  EXPECT_FALSE(parse_policy(json, "/policies", error)) << json;
  return error;
}

Policy parsed(const std::string& json) {
  std::string error;
  auto policy = parse_policy(json, "/policies", error);
  EXPECT_TRUE(policy) << error;
  return policy.value_or(Policy{});
}

const std::string kHash32(64, 'A');
const std::string kHash48(96, 'b');

TEST(PolicyParsing, EmptyObjectGivesTheStrictDefaults) {
  const Policy policy = parsed("{}");
  EXPECT_FALSE(policy.allow_simulated);
  EXPECT_EQ(policy.accepted_tcb_statuses, std::vector<std::string>{"UpToDate"});
  EXPECT_EQ(policy.accepted_types.size(), 4u);
  EXPECT_FALSE(policy.sgx.allow_debug);
  EXPECT_FALSE(policy.tdx.allow_debug);
  EXPECT_FALSE(policy.snp.allow_debug);
  EXPECT_FALSE(policy.max_collateral_age_seconds);
  EXPECT_EQ(policy.max_quote_age_seconds, 86400);  // docs/attestation.md section 6.2
}

TEST(PolicyParsing, EveryField) {
  const Policy policy = parsed(R"({
    "accepted_types": ["tdx", "sim"],
    "allow_simulated": true,
    "accepted_tcb_statuses": ["UpToDate", "SWHardeningNeeded"],
    "accepted_module_hashes": [")" +
                               kHash32 + R"("],
    "pinned_roots": {"sgx": "intel.pem", "snp": "/abs/ark.pem"},
    "max_collateral_age_seconds": 2592000,
    "max_quote_age_seconds": 600,
    "sgx": {"mrenclave": [")" + kHash32 +
                               R"("], "mrsigner": [")" + kHash32 + R"("],
            "isv_prod_id": 7, "min_isv_svn": 3, "allow_debug": true},
    "tdx": {"mrtd": [")" + kHash48 +
                               R"("], "rtmr0": [")" + kHash48 + R"("],
            "rtmr3": [")" + kHash48 +
                               R"("], "allow_debug": false},
    "snp": {"measurement": [")" +
                               kHash48 + R"("], "forbidden_policy_bits": "0x80000",
            "required_policy_bits": 65536, "allow_debug": false,
            "min_tcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}
  })");
  EXPECT_EQ(policy.accepted_types, (std::vector{EvidenceType::tdx, EvidenceType::sim}));
  EXPECT_TRUE(policy.allow_simulated);
  EXPECT_EQ(policy.accepted_tcb_statuses.size(), 2u);
  EXPECT_EQ(policy.accepted_module_hashes, std::vector<std::string>{std::string(64, 'a')});
  EXPECT_EQ(policy.pinned_roots.at(EvidenceType::sgx), "/policies/intel.pem");
  EXPECT_EQ(policy.pinned_roots.at(EvidenceType::snp), "/abs/ark.pem");
  EXPECT_EQ(policy.max_collateral_age_seconds, 2592000);
  EXPECT_EQ(policy.max_quote_age_seconds, 600);
  EXPECT_EQ(policy.sgx.mrenclave, std::vector<std::string>{std::string(64, 'a')});
  EXPECT_EQ(policy.sgx.isv_prod_id, 7);
  EXPECT_EQ(policy.sgx.min_isv_svn, 3);
  EXPECT_TRUE(policy.sgx.allow_debug);
  EXPECT_EQ(policy.tdx.mrtd.size(), 1u);
  EXPECT_EQ(policy.tdx.rtmr[0].size(), 1u);
  EXPECT_TRUE(policy.tdx.rtmr[1].empty());
  EXPECT_EQ(policy.tdx.rtmr[3].size(), 1u);
  EXPECT_EQ(policy.snp.forbidden_policy_bits, 0x80000u);
  EXPECT_EQ(policy.snp.required_policy_bits, 0x10000u);
  EXPECT_EQ(policy.snp.min_tcb.microcode, 115u);
  EXPECT_EQ(policy.snp.min_tcb.tee, 0u);
}

TEST(PolicyParsing, ErrorsNameTheKey) {
  EXPECT_EQ(parse_error("[]"), "policy: '(top level)' must be an object");
  EXPECT_EQ(parse_error("{"), "policy: not valid JSON");
  EXPECT_EQ(parse_error(R"({"allow_simulate": true})"),
            "policy: 'allow_simulate' is not a known key");
  EXPECT_EQ(parse_error(R"({"sgx": {"mrenclav": []}})"),
            "policy: 'sgx.mrenclav' is not a known key");
  EXPECT_EQ(parse_error(R"({"snp": {"min_tcb": {"fmc": 1}}})"),
            "policy: 'snp.min_tcb.fmc' is not a known key");
  EXPECT_EQ(parse_error(R"({"allow_simulated": "yes"})"),
            "policy: 'allow_simulated' must be true or false");
  EXPECT_EQ(parse_error(R"({"accepted_types": ["sev"]})"),
            "policy: 'accepted_types' has unknown type \"sev\"");
  EXPECT_EQ(parse_error(R"({"accepted_tcb_statuses": "UpToDate"})"),
            "policy: 'accepted_tcb_statuses' must be an array of strings");
  EXPECT_EQ(parse_error(R"({"accepted_module_hashes": ["abcd"]})"),
            "policy: 'accepted_module_hashes' entry \"abcd\" is not 32 bytes of hex");
  EXPECT_EQ(parse_error(R"({"tdx": {"mrtd": [")" + kHash32 + R"("]}})"),
            "policy: 'tdx.mrtd' entry \"" + kHash32 + "\" is not 48 bytes of hex");
  EXPECT_EQ(parse_error(R"({"sgx": {"isv_prod_id": 70000}})"),
            "policy: 'sgx.isv_prod_id' must be an integer 0..65535");
  EXPECT_EQ(parse_error(R"({"sgx": {"min_isv_svn": -1}})"),
            "policy: 'sgx.min_isv_svn' must be an integer 0..65535");
  EXPECT_EQ(parse_error(R"({"max_collateral_age_seconds": 1.5})"),
            "policy: 'max_collateral_age_seconds' must be an integer 0..4294967295");
  EXPECT_EQ(parse_error(R"({"max_quote_age_seconds": -1})"),
            "policy: 'max_quote_age_seconds' must be an integer 0..4294967295");
  EXPECT_EQ(parse_error(R"({"snp": {"forbidden_policy_bits": "0xZZ"}})"),
            "policy: 'snp.forbidden_policy_bits' must be a number or a \"0x...\" hex string");
  EXPECT_EQ(parse_error(R"({"pinned_roots": {"amd": "x.pem"}})"),
            "policy: 'pinned_roots.amd' is not a known key");
  EXPECT_EQ(parse_error(R"({"pinned_roots": {"snp": 1}})"),
            "policy: 'pinned_roots.snp' must be a path");
  EXPECT_EQ(parse_error(R"({"tdx": []})"), "policy: 'tdx' must be an object");
}

// An empty list would read as "no constraint" to one reader and "nothing" to another: it is
// an error for every allow-list, and leaving the key out keeps the default.
TEST(PolicyParsing, EveryEmptyAllowListIsAnError) {
  for (const std::string key : {"accepted_types", "accepted_tcb_statuses",
                                "accepted_module_hashes", "accepted_configuration_digests"}) {
    EXPECT_EQ(parse_error("{\"" + key + "\": []}"),
              "policy: '" + key + "' must not be empty (leave the key out for its default)");
  }
  const std::pair<const char*, const char*> nested[] = {
      {"sgx", "mrenclave"}, {"sgx", "mrsigner"}, {"tdx", "mrtd"},        {"tdx", "rtmr0"},
      {"tdx", "rtmr1"},     {"tdx", "rtmr2"},    {"tdx", "rtmr3"},       {"snp", "measurement"}};
  for (const auto& [section, key] : nested) {
    EXPECT_EQ(parse_error(fmt::format(R"({{"{}": {{"{}": []}}}})", section, key)),
              fmt::format("policy: '{}.{}' must not be empty (leave the key out for its default)",
                          section, key));
  }
}

TEST(PolicyParsing, RevocationIsRequiredUnlessSkippedByName) {
  EXPECT_EQ(parsed("{}").revocation, RevocationMode::required);
  EXPECT_EQ(parsed(R"({"revocation": "required"})").revocation, RevocationMode::required);
  EXPECT_EQ(parsed(R"({"revocation": "skip-insecure"})").revocation,
            RevocationMode::skip_insecure);
  EXPECT_EQ(parse_error(R"({"revocation": "skip"})"),
            "policy: 'revocation' must be \"required\" or \"skip-insecure\"");
  EXPECT_EQ(parse_error(R"({"revocation": false})"),
            "policy: 'revocation' must be \"required\" or \"skip-insecure\"");
}

TEST(PolicyParsing, LoadNamesTheFile) {
  testing::ScratchDir dir;
  std::string error;
  EXPECT_FALSE(load_policy(dir.path() / "absent.json", error));
  EXPECT_NE(error.find("absent.json: cannot open"), std::string::npos) << error;
  testing::write_text(dir.path() / "p.json", R"({"pinned_roots": {"sim": "sim.pem"}, "x": 1})");
  EXPECT_FALSE(load_policy(dir.path() / "p.json", error));
  EXPECT_EQ(error, (dir.path() / "p.json").string() + ": policy: 'x' is not a known key");
  testing::write_text(dir.path() / "p.json", R"({"pinned_roots": {"sim": "sim.pem"}})");
  const auto policy = load_policy(dir.path() / "p.json", error);
  ASSERT_TRUE(policy) << error;
  EXPECT_EQ(policy->pinned_roots.at(EvidenceType::sim), dir.path() / "sim.pem");
}

// A directory opens but cannot be read: that is a file the policy cannot come from, not a
// policy with invalid JSON.
TEST(PolicyParsing, DirectoryIsNotAPolicyFile) {
  testing::ScratchDir dir;
  std::string error;
  EXPECT_FALSE(load_policy(dir.path(), error));
  EXPECT_EQ(error, dir.path().string() + ": cannot open policy file");
}

// A verified platform result with these claims; apply_policy adds its checks after it.
std::vector<std::string> failures(const Policy& policy, EvidenceType type,
                                  std::map<std::string, std::string> claims) {
  VerificationResult result;
  result.type = type;
  result.claims = std::move(claims);
  result.check("platform", true, "verified by the platform verifier");
  apply_policy(policy, result);
  std::vector<std::string> names;
  for (const auto& check : result.checks) {
    if (!check.passed) names.push_back(check.name);
  }
  return names;
}

using Names = std::vector<std::string>;

std::map<std::string, std::string> sgx_claims() {
  return {{"mrenclave", std::string(64, 'a')},
          {"mrsigner", std::string(64, 'b')},
          {"isv_prod_id", "1"},
          {"isv_svn", "5"},
          {"debug", "false"},
          {"tcb_status", "UpToDate"}};
}

TEST(PolicyApply, SgxFields) {
  Policy policy;
  EXPECT_EQ(failures(policy, EvidenceType::sgx, sgx_claims()), Names{});
  policy.sgx.mrenclave = {std::string(64, 'c')};
  policy.sgx.mrsigner = {std::string(64, 'c')};
  policy.sgx.isv_prod_id = 2;
  policy.sgx.min_isv_svn = 6;
  EXPECT_EQ(failures(policy, EvidenceType::sgx, sgx_claims()),
            (Names{"policy.sgx.mrenclave", "policy.sgx.mrsigner", "policy.sgx.isv_prod_id",
                   "policy.sgx.min_isv_svn"}));
  policy.sgx.mrenclave = {std::string(64, 'c'), std::string(64, 'a')};
  policy.sgx.mrsigner = {std::string(64, 'b')};
  policy.sgx.isv_prod_id = 1;
  policy.sgx.min_isv_svn = 5;
  EXPECT_EQ(failures(policy, EvidenceType::sgx, sgx_claims()), Names{});
}

TEST(PolicyApply, DebugIsForbiddenUnlessAllowed) {
  Policy policy;
  auto claims = sgx_claims();
  claims["debug"] = "true";
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{"policy.sgx.debug"});
  policy.sgx.allow_debug = true;
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{});
  claims.erase("debug");
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{"policy.sgx.debug"});
  const std::map<std::string, std::string> td = {
      {"debug", "true"}, {"tcb_status", "UpToDate"}, {"mrtd", kHash48}};
  EXPECT_EQ(failures(Policy{}, EvidenceType::tdx, td), Names{"policy.tdx.debug"});
  EXPECT_EQ(failures(Policy{}, EvidenceType::snp, {{"debug", "true"}}), Names{"policy.snp.debug"});
}

TEST(PolicyApply, TcbStatus) {
  Policy policy;
  auto claims = sgx_claims();
  claims["tcb_status"] = "OutOfDate";
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{"policy.tcb_status"});
  policy.accepted_tcb_statuses = {"UpToDate", "OutOfDate"};
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{});
  claims.erase("tcb_status");
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{"policy.tcb_status"});
}

// Set in code (parse_policy refuses []), an empty accepted_tcb_statuses accepts no status.
TEST(PolicyApply, EmptyTcbStatusListAcceptsNothing) {
  Policy policy;
  policy.accepted_tcb_statuses.clear();
  EXPECT_EQ(failures(policy, EvidenceType::sgx, sgx_claims()), Names{"policy.tcb_status"});
}

TEST(PolicyApply, TdxMeasurements) {
  Policy policy;
  const std::map<std::string, std::string> claims = {
      {"mrtd", kHash48},         {"rtmr0", kHash48},
      {"rtmr1", kHash48},        {"rtmr2", std::string(96, 'c')},
      {"rtmr3", kHash48},        {"debug", "false"},
      {"tcb_status", "UpToDate"}};
  policy.tdx.mrtd = {kHash48};
  policy.tdx.rtmr[2] = {kHash48};
  EXPECT_EQ(failures(policy, EvidenceType::tdx, claims), Names{"policy.tdx.rtmr2"});
  policy.tdx.rtmr[2] = {std::string(96, 'c')};
  policy.tdx.mrtd = {std::string(96, 'd')};
  EXPECT_EQ(failures(policy, EvidenceType::tdx, claims), Names{"policy.tdx.mrtd"});
}

TEST(PolicyApply, SnpMeasurementPolicyBitsAndMinimumTcb) {
  Policy policy;
  const std::map<std::string, std::string> claims = {
      {"measurement", kHash48},         {"policy", "0x30000"},     {"debug", "false"},
      {"reported_tcb.bootloader", "3"}, {"reported_tcb.tee", "0"}, {"reported_tcb.snp", "8"},
      {"reported_tcb.microcode", "115"}};
  EXPECT_EQ(failures(policy, EvidenceType::snp, claims), Names{});
  policy.snp.measurement = {std::string(96, 'e')};
  policy.snp.forbidden_policy_bits = 0x20000;
  policy.snp.min_tcb.microcode = 116;
  policy.snp.min_tcb.snp = 8;
  EXPECT_EQ(
      failures(policy, EvidenceType::snp, claims),
      (Names{"policy.snp.measurement", "policy.snp.policy_bits", "policy.snp.min_tcb.microcode"}));
  policy.snp.measurement = {kHash48};
  policy.snp.forbidden_policy_bits = 0x80000;
  policy.snp.required_policy_bits = 0x40000;
  policy.snp.min_tcb.microcode = 115;
  EXPECT_EQ(failures(policy, EvidenceType::snp, claims), Names{"policy.snp.policy_bits"});
  policy.snp.required_policy_bits = 0x10000;
  EXPECT_EQ(failures(policy, EvidenceType::snp, claims), Names{});
}

TEST(PolicyApply, CollateralAge) {
  Policy policy;
  policy.max_collateral_age_seconds = 86400;
  auto claims = sgx_claims();
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{"policy.collateral_age"});
  claims["collateral.issue_date"] = "2025-06-19T10:56:11Z";
  claims["verified_at"] = "2025-06-20T10:56:11Z";
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{});
  claims["verified_at"] = "2025-06-20T10:56:12Z";
  EXPECT_EQ(failures(policy, EvidenceType::sgx, claims), Names{"policy.collateral_age"});
}

TEST(PolicyApply, TypesSimulationAndModuleHash) {
  Policy policy;
  EXPECT_EQ(failures(policy, EvidenceType::sim, {}), Names{"policy.allow_simulated"});
  policy.allow_simulated = true;
  EXPECT_EQ(failures(policy, EvidenceType::sim, {}), Names{});
  policy.accepted_types = {EvidenceType::tdx};
  EXPECT_EQ(failures(policy, EvidenceType::sim, {}), Names{"policy.evidence_type"});
  policy.accepted_types = {EvidenceType::sim};
  policy.accepted_module_hashes = {std::string(64, 'f')};
  EXPECT_EQ(failures(policy, EvidenceType::sim, {}), Names{"policy.module_hash"});
  EXPECT_EQ(failures(policy, EvidenceType::sim, {{"module_sha256", std::string(64, 'f')}}),
            Names{});
}

// Claims key 7: a pinned configuration needs the claim, and that one.
TEST(PolicyApply, ConfigurationDigest) {
  Policy policy;
  policy.allow_simulated = true;
  EXPECT_EQ(failures(policy, EvidenceType::sim, {}), Names{});
  policy.accepted_configuration_digests = {std::string(64, 'c')};
  EXPECT_EQ(failures(policy, EvidenceType::sim, {}), Names{"policy.configuration_digest"});
  EXPECT_EQ(failures(policy, EvidenceType::sim, {{"configuration_digest", std::string(64, 'd')}}),
            Names{"policy.configuration_digest"});
  EXPECT_EQ(failures(policy, EvidenceType::sim, {{"configuration_digest", std::string(64, 'c')}}),
            Names{});
}

}  // namespace
}  // namespace attestmq::attest
