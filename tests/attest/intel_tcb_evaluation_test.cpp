// TCB level selection against real collateral and real PCK certificates, and what a changed
// CPUSVN, PCESVN or TEE_TCB_SVN does to the result.
#include "attest/dcap/tcb_evaluation.hpp"

#include <gtest/gtest.h>

#include "attest/common/hex.hpp"
#include "attest/common/x509_chain.hpp"
#include "dcap_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace dcap_test;

struct Platform {
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  PckExtensions pck;
  std::vector<std::uint8_t> tee_tcb_svn;  // empty for SGX
};

Platform load(const std::string& quote_file, const std::string& collateral_file, DcapTee tee) {
  Platform p;
  auto quote = read_bytes(quote_file);
  const DcapQuote q = parse_or_fail(quote, tee);
  auto chain = parse_pem_certificates(
      std::string_view(reinterpret_cast<const char*>(q.pck_chain_pem.data()), q.pck_chain_pem.size()));
  EXPECT_EQ(chain.size(), 3u);
  auto ext = parse_pck_extensions(chain.at(0).get());
  EXPECT_TRUE(ext.value) << ext.error;
  p.pck = *ext.value;
  auto bundle = nlohmann::json::parse(read_text(collateral_file));
  std::string error;
  auto info = parse_tcb_info(bundle.at("tcb_info").get<std::string>(), error);
  auto qe = parse_qe_identity(bundle.at("qe_identity").get<std::string>(), error);
  EXPECT_TRUE(info && qe) << error;
  p.tcb_info = *info;
  p.qe_identity = *qe;
  if (tee == DcapTee::tdx) p.tee_tcb_svn.assign(q.body.begin(), q.body.begin() + 16);
  return p;
}

TEST(PckExtensions, ReadFromTheSgxQuotesLeaf) {
  auto p = load("dcap-qvl/sgx_quote", "dcap-qvl/sgx_quote_collateral.json", DcapTee::sgx);
  EXPECT_EQ(to_hex(p.pck.fmspc), "00a067110000");
  EXPECT_EQ(to_hex(p.pck.pce_id), "0000");
  EXPECT_EQ(p.pck.tcb.cpusvn_components[0], p.pck.tcb.cpusvn[0]);
}

TEST(PckExtensions, ReadFromTheTdxQuotesLeaf) {
  // Values as `openssl asn1parse` shows them in the leaf's SGX extension.
  auto p = load("dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json", DcapTee::tdx);
  EXPECT_EQ(to_hex(p.pck.tcb.cpusvn), "03030202040100050000000000000000");
  EXPECT_EQ(p.pck.tcb.pcesvn, 11);
  EXPECT_EQ(to_hex(p.pck.fmspc), "b0c06f000000");
}

TEST(PckExtensions, CertificateWithoutTheExtensionIsReported) {
  auto root = parse_pem_certificates(read_text("go-tdx-guest/trusted_root.pem"));
  ASSERT_EQ(root.size(), 1u);
  auto ext = parse_pck_extensions(root[0].get());
  EXPECT_FALSE(ext.value);
  EXPECT_NE(ext.error.find("1.2.840.113741.1.13.1"), std::string::npos);
}

TEST(TcbLevelSelection, SgxPlatformAndModifiedCpusvn) {
  auto p = load("dcap-qvl/sgx_quote", "dcap-qvl/sgx_quote_collateral.json", DcapTee::sgx);
  auto status = [&](const PckTcb& tcb) {
    const TcbLevel* level = match_tcb_levels(p.tcb_info, tcb, {}).sgx;
    return level ? level->status : std::string("(below every level)");
  };
  EXPECT_EQ(status(p.pck.tcb), "ConfigurationAndSWHardeningNeeded");

  // Raising component 7 to the first level's 12 reaches that level.
  PckTcb raised = p.pck.tcb;
  raised.cpusvn_components[6] = 12;
  EXPECT_EQ(status(raised), "SWHardeningNeeded");

  // Lowering component 1 below 11 drops the platform to an older level.
  PckTcb lowered = p.pck.tcb;
  lowered.cpusvn_components[0] = 10;
  EXPECT_EQ(status(lowered), "OutOfDateConfigurationNeeded");

  // Below every level: no status at all, which the verifier reports as a failure.
  PckTcb ancient = p.pck.tcb;
  ancient.cpusvn_components.fill(0);
  EXPECT_EQ(status(ancient), "(below every level)");
  PckTcb old_pce = p.pck.tcb;
  old_pce.pcesvn = 0;
  EXPECT_EQ(status(old_pce), "(below every level)");
}

TEST(TcbLevelSelection, TdxPlatformAndModifiedTeeTcbSvn) {
  auto p = load("dcap-qvl/tdx_quote", "dcap-qvl/tdx_quote_collateral.json", DcapTee::tdx);
  const TcbLevelMatch match = match_tcb_levels(p.tcb_info, p.pck.tcb, p.tee_tcb_svn);
  ASSERT_NE(match.tdx, nullptr);
  EXPECT_EQ(match.tdx->status, "UpToDate");
  EXPECT_EQ(match.sgx, match.tdx);
  EXPECT_EQ(p.tee_tcb_svn[1], 1);  // module version 1: judged by TDX_01

  // TEE_TCB_SVN[2] (TDX late microcode) below the top level's 2 moves the platform down.
  auto lowered = p.tee_tcb_svn;
  lowered[2] = 1;
  const TcbLevel* lower = match_tcb_levels(p.tcb_info, p.pck.tcb, lowered).tdx;
  EXPECT_TRUE(lower == nullptr || lower->status != "UpToDate");

  // With a module identity the first two bytes are judged by TDX_01, not by the levels.
  auto module_svn = p.tee_tcb_svn;
  module_svn[0] = 0;
  const TcbLevel* module_level = match_tcb_levels(p.tcb_info, p.pck.tcb, module_svn).tdx;
  ASSERT_NE(module_level, nullptr);
  EXPECT_EQ(module_level->status, "UpToDate");
  const TdxModuleIdentity* tdx01 = expected_tdx_module(p.tcb_info, 1);
  ASSERT_NE(tdx01, nullptr);
  ASSERT_EQ(tdx01->id, "TDX_01");
  EXPECT_EQ(expected_tdx_module(p.tcb_info, 3)->id, "TDX_03");
  EXPECT_EQ(expected_tdx_module(p.tcb_info, 2), nullptr);
  ASSERT_NE(expected_tdx_module(p.tcb_info, 0), nullptr);  // "tdxModule"
  EXPECT_EQ(expected_tdx_module(p.tcb_info, 0)->id, "");
  EXPECT_EQ(select_tdx_module_level(*tdx01, 6)->status, "UpToDate");
  EXPECT_EQ(select_tdx_module_level(*tdx01, 3)->status, "OutOfDate");
  EXPECT_EQ(select_tdx_module_level(*tdx01, 1), nullptr);
}

TEST(QeIdentityLevels, SelectedByIsvSvn) {
  auto p = load("dcap-qvl/sgx_quote", "dcap-qvl/sgx_quote_collateral.json", DcapTee::sgx);
  EXPECT_EQ(select_qe_level(p.qe_identity, 10)->status, "UpToDate");
  EXPECT_EQ(select_qe_level(p.qe_identity, 7)->status, "OutOfDate");
  EXPECT_EQ(select_qe_level(p.qe_identity, 0), nullptr);
}

TEST(TcbStatusConvergence, OutOfDateComponentsDemoteThePlatform) {
  EXPECT_EQ(converge_tcb_status("UpToDate", "UpToDate"), "UpToDate");
  EXPECT_EQ(converge_tcb_status("UpToDate", ""), "UpToDate");
  EXPECT_EQ(converge_tcb_status("SWHardeningNeeded", "OutOfDate"), "OutOfDate");
  EXPECT_EQ(converge_tcb_status("ConfigurationAndSWHardeningNeeded", "OutOfDate"),
            "OutOfDateConfigurationNeeded");
  EXPECT_EQ(converge_tcb_status("UpToDate", "Revoked"), "Revoked");
}

}  // namespace
}  // namespace attestmq::attest
