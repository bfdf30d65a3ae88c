// One test per TCB evaluation rule (docs/tcb_evaluation.md), on synthetic TCB Info v3 JSON:
// the rules are about the signed JSON's content, whose signature is tested elsewhere.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attest/dcap/tcb_evaluation.hpp"

namespace attestmq::attest {
namespace {

using nlohmann::json;

json components(std::initializer_list<int> leading) {
  json list = json::array();
  for (int svn : leading) list.push_back({{"svn", svn}});
  while (list.size() < 16) list.push_back({{"svn", 0}});
  return list;
}

json level(std::initializer_list<int> sgx, int pcesvn, std::initializer_list<int> tdx,
           const char* status) {
  return {{"tcb",
           {{"sgxtcbcomponents", components(sgx)},
            {"pcesvn", pcesvn},
            {"tdxtcbcomponents", components(tdx)}}},
          {"tcbDate", "2024-03-13T00:00:00Z"},
          {"tcbStatus", status}};
}

json module(const char* id, std::initializer_list<std::pair<int, const char*>> levels) {
  json out = {{"id", id},
              {"mrsigner", std::string(96, '0')},
              {"attributes", "0000000000000000"},
              {"attributesMask", "FFFFFFFFFFFFFFFF"},
              {"tcbLevels", json::array()}};
  for (const auto& [isvsvn, status] : levels) {
    out["tcbLevels"].push_back({{"tcb", {{"isvsvn", isvsvn}}}, {"tcbStatus", status}});
  }
  return out;
}

// A TDX TCB Info with three levels, listed lowest first on purpose, and module TDX_01.
json tdx_tcb_info() {
  json levels = json::array({level({2, 2}, 5, {3, 0, 1}, "OutOfDate"),
                             level({2, 2}, 11, {5, 0, 1}, "OutOfDate"),
                             level({2, 2}, 11, {5, 0, 2}, "UpToDate")});
  levels[0]["advisoryIDs"] = {"INTEL-SA-00001", "INTEL-SA-00002"};
  return {{"id", "TDX"},
          {"version", 3},
          {"issueDate", "2025-06-19T10:16:03Z"},
          {"nextUpdate", "2025-07-19T10:16:03Z"},
          {"fmspc", "B0C06F000000"},
          {"pceId", "0000"},
          {"tdxModule",
           {{"mrsigner", std::string(96, '0')},
            {"attributes", "0000000000000000"},
            {"attributesMask", "FFFFFFFFFFFFFFFF"}}},
          {"tdxModuleIdentities",
           json::array({module("TDX_01", {{4, "UpToDate"}, {2, "OutOfDate"}}),
                        module("tdx_0a", {{1, "UpToDate"}})})},
          {"tcbLevels", levels}};
}

TcbInfo parse(const json& body) {
  std::string error;
  auto info = parse_tcb_info(body.dump(), error);
  EXPECT_TRUE(info) << error;
  return info.value_or(TcbInfo{});
}

std::string parse_error(const json& body) {
  std::string error;
  EXPECT_FALSE(parse_tcb_info(body.dump(), error));
  return error;
}

PckTcb pck(std::initializer_list<int> leading, int pcesvn) {
  PckTcb tcb;
  std::size_t i = 0;
  for (int svn : leading) tcb.cpusvn_components[i++] = static_cast<std::uint8_t>(svn);
  tcb.pcesvn = static_cast<std::uint16_t>(pcesvn);
  return tcb;
}

std::vector<std::uint8_t> svn(std::initializer_list<int> leading) {
  std::vector<std::uint8_t> out(16, 0);
  std::size_t i = 0;
  for (int v : leading) out[i++] = static_cast<std::uint8_t>(v);
  return out;
}

std::string tdx_status(const TcbInfo& info, const PckTcb& tcb, std::initializer_list<int> tee) {
  const TcbLevel* level = match_tcb_levels(info, tcb, svn(tee)).tdx;
  return level ? level->status + "/pcesvn" + std::to_string(level->pcesvn) : "not supported";
}

TEST(TcbRules, LevelsAreOrderedHighestFirstWhateverTheJsonOrder) {
  const TcbInfo info = parse(tdx_tcb_info());
  ASSERT_EQ(info.levels.size(), 3u);
  EXPECT_EQ(info.levels[0].status, "UpToDate");  // tdx component 2 is 2 > 1
  EXPECT_EQ(info.levels[1].pcesvn, 11);
  EXPECT_EQ(info.levels[2].pcesvn, 5);
  EXPECT_EQ(tdx_status(info, pck({2, 2}, 11), {5, 0, 2}), "UpToDate/pcesvn11");
}

TEST(TcbRules, OfEqualLevelsTheFirstListedCounts) {
  json body = tdx_tcb_info();
  body["tcbLevels"].push_back(level({2, 2}, 11, {5, 0, 2}, "Revoked"));
  const TcbInfo info = parse(body);
  ASSERT_EQ(info.levels.size(), 3u);
  EXPECT_EQ(info.levels[0].status, "UpToDate");
}

TEST(TcbRules, AdvisoryIdsAreKeptPerLevel) {
  const TcbInfo info = parse(tdx_tcb_info());
  EXPECT_EQ(info.levels[2].advisory_ids,
            (std::vector<std::string>{"INTEL-SA-00001", "INTEL-SA-00002"}));
  EXPECT_TRUE(info.levels[0].advisory_ids.empty());
  json bad = tdx_tcb_info();
  bad["tcbLevels"][0]["advisoryIDs"] = "INTEL-SA-00001";
  EXPECT_EQ(parse_error(bad), "tcb_info has a malformed TCB level");
}

TEST(TcbRules, UnknownStatusesAreRejected) {
  json bad = tdx_tcb_info();
  bad["tcbLevels"][0]["tcbStatus"] = "Fine";
  EXPECT_EQ(parse_error(bad), "tcb_info has a malformed TCB level");
  json bad_module = tdx_tcb_info();
  // A module level has only UpToDate, OutOfDate and Revoked.
  bad_module["tdxModuleIdentities"][0]["tcbLevels"][0]["tcbStatus"] = "SWHardeningNeeded";
  EXPECT_EQ(parse_error(bad_module), "tcb_info has a malformed TDX module identity");
}

TEST(TcbRules, TdxTcbInfoNeedsTheTdxModuleSigner) {
  json bad = tdx_tcb_info();
  bad.erase("tdxModule");
  EXPECT_EQ(parse_error(bad), "tcb_info lacks a well-formed tdxModule");
}

TEST(TcbRules, PcesvnAndEverySgxComponentMustBeMet) {
  const TcbInfo info = parse(tdx_tcb_info());
  EXPECT_EQ(tdx_status(info, pck({2, 2}, 10), {5, 0, 2}), "OutOfDate/pcesvn5");
  EXPECT_EQ(tdx_status(info, pck({2, 1}, 11), {5, 0, 2}), "not supported");
  EXPECT_EQ(match_tcb_levels(info, pck({2, 1}, 11), svn({5, 0, 2})).sgx, nullptr);
}

TEST(TcbRules, ModuleVersionZeroComparesAllSixteenTeeTcbSvnBytes) {
  const TcbInfo info = parse(tdx_tcb_info());
  // TEE_TCB_SVN[0] 4 < 5: only the pcesvn-5 level (tdx component 0 is 3) is met.
  EXPECT_EQ(tdx_status(info, pck({2, 2}, 11), {4, 0, 2}), "OutOfDate/pcesvn5");
  EXPECT_EQ(tdx_status(info, pck({2, 2}, 11), {2, 0, 2}), "not supported");
}

TEST(TcbRules, ModuleVersionAboveZeroSkipsTheFirstTwoBytes) {
  const TcbInfo info = parse(tdx_tcb_info());
  // Byte 0 (module SVN 0) would fail every level; with version 1 the module identity judges it.
  EXPECT_EQ(tdx_status(info, pck({2, 2}, 11), {0, 1, 2}), "UpToDate/pcesvn11");
  EXPECT_EQ(tdx_status(info, pck({2, 2}, 11), {0, 1, 1}), "OutOfDate/pcesvn11");
}

TEST(TcbRules, SgxLevelIsTheFirstMetBySgxComponentsAloneTdxTheFirstMetByBoth) {
  const TcbInfo info = parse(tdx_tcb_info());
  const TcbLevelMatch match = match_tcb_levels(info, pck({2, 2}, 11), svn({5, 0, 1}));
  ASSERT_NE(match.sgx, nullptr);
  ASSERT_NE(match.tdx, nullptr);
  EXPECT_EQ(match.sgx->status, "UpToDate");
  EXPECT_EQ(match.tdx->status, "OutOfDate");
}

TEST(TcbRules, ExpectedModuleIsTdxModuleForVersionZeroElseItsIdentity) {
  const TcbInfo info = parse(tdx_tcb_info());
  ASSERT_NE(expected_tdx_module(info, 0), nullptr);
  EXPECT_EQ(expected_tdx_module(info, 0)->id, "");
  EXPECT_EQ(expected_tdx_module(info, 1)->id, "TDX_01");
  EXPECT_EQ(tdx_module_identity_id(10), "TDX_0A");
  ASSERT_NE(expected_tdx_module(info, 10), nullptr);  // "tdx_0a": case is not significant
  EXPECT_EQ(expected_tdx_module(info, 2), nullptr);
}

TEST(TcbRules, ModuleLevelIsTheFirstWhoseIsvsvnTeeTcbSvnZeroMeets) {
  const TcbInfo info = parse(tdx_tcb_info());
  const TdxModuleIdentity& tdx01 = *expected_tdx_module(info, 1);
  EXPECT_EQ(select_tdx_module_level(tdx01, 4)->status, "UpToDate");
  EXPECT_EQ(select_tdx_module_level(tdx01, 3)->status, "OutOfDate");
  EXPECT_EQ(select_tdx_module_level(tdx01, 1), nullptr);
}

TEST(TcbRules, ComponentStatusConvergesIntoThePlatformStatus) {
  const std::pair<const char*, const char*> out_of_date[] = {
      {"UpToDate", "OutOfDate"},
      {"SWHardeningNeeded", "OutOfDate"},
      {"ConfigurationNeeded", "OutOfDateConfigurationNeeded"},
      {"ConfigurationAndSWHardeningNeeded", "OutOfDateConfigurationNeeded"},
      {"OutOfDate", "OutOfDate"},
      {"OutOfDateConfigurationNeeded", "OutOfDateConfigurationNeeded"},
  };
  for (const auto& [platform, converged] : out_of_date) {
    EXPECT_EQ(converge_tcb_status(platform, "OutOfDate"), converged) << platform;
    EXPECT_EQ(converge_tcb_status(platform, "UpToDate"), platform);
    EXPECT_EQ(converge_tcb_status(platform, ""), platform);
    EXPECT_EQ(converge_tcb_status(platform, "Revoked"), "Revoked");
  }
  EXPECT_EQ(converge_tcb_status("Revoked", "UpToDate"), "Revoked");
}

TEST(TcbRules, TdRelaunchAdvisedWhenOnlyTheModuleIsOutOfDateAndSvn2IsCurrent) {
  const TcbInfo info = parse(tdx_tcb_info());
  const auto current = svn({4, 1, 2});  // TDX_01's newest ISVSVN 4, newest tdx component 2 = 2
  RelaunchInputs in{current, "UpToDate", "OutOfDate", "OutOfDate", "UpToDate"};
  EXPECT_EQ(td_relaunch_status(info, in), "TDRelaunchAdvised");
  in.sgx_status = "ConfigurationNeeded";
  EXPECT_EQ(td_relaunch_status(info, in), "TDRelaunchAdvisedConfigurationNeeded");
  in.sgx_status = "UpToDate";
  in.tdx_status = "OutOfDateConfigurationNeeded";
  EXPECT_EQ(td_relaunch_status(info, in), "TDRelaunchAdvisedConfigurationNeeded");

  // Version 0 in TEE_TCB_SVN2: the newest level's tdx components 0 and 2 must be met.
  in.tdx_status = "OutOfDate";
  const auto version_zero = svn({5, 0, 2});
  in.tee_tcb_svn2 = version_zero;
  EXPECT_EQ(td_relaunch_status(info, in), "TDRelaunchAdvised");
}

TEST(TcbRules, NoRelaunchAdviceOtherwise) {
  const TcbInfo info = parse(tdx_tcb_info());
  const auto current = svn({4, 1, 2});
  const auto stale_module = svn({3, 1, 2});
  const auto stale_microcode = svn({4, 1, 1});
  const RelaunchInputs unchanged[] = {
      {stale_module, "UpToDate", "OutOfDate", "OutOfDate", "UpToDate"},
      {stale_microcode, "UpToDate", "OutOfDate", "OutOfDate", "UpToDate"},
      {current, "UpToDate", "OutOfDate", "OutOfDate", "OutOfDate"},      // QE out of date
      {current, "OutOfDate", "OutOfDate", "OutOfDate", "UpToDate"},      // SGX out of date
      {current, "UpToDate", "UpToDate", "UpToDate", "UpToDate"},         // nothing stale
      {current, "UpToDate", "OutOfDate", "UpToDate", "UpToDate"},        // not the module
  };
  for (const auto& in : unchanged) {
    EXPECT_EQ(td_relaunch_status(info, in), std::string(in.tdx_status));
  }
  const auto unknown_module = svn({4, 2, 2});  // no TDX_02
  RelaunchInputs in{unknown_module, "UpToDate", "OutOfDate", "OutOfDate", "UpToDate"};
  EXPECT_EQ(td_relaunch_status(info, in), std::nullopt);
}

}  // namespace
}  // namespace attestmq::attest
