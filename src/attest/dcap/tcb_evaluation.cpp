#include "attest/dcap/tcb_evaluation.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace attestmq::attest {
namespace {

bool all_at_least(std::span<const std::uint8_t> have, std::span<const std::uint8_t> need) {
  for (std::size_t i = 0; i < need.size(); ++i) {
    if (have[i] < need[i]) return false;
  }
  return true;
}

bool same_id_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool needs_configuration(std::string_view status) {
  return status == "ConfigurationNeeded" || status == "ConfigurationAndSWHardeningNeeded" ||
         status == "OutOfDateConfigurationNeeded";
}

}  // namespace

TcbLevelMatch match_tcb_levels(const TcbInfo& info, const PckTcb& pck,
                               std::span<const std::uint8_t> tee_tcb_svn) {
  TcbLevelMatch match;
  const bool tdx = !tee_tcb_svn.empty();
  if (tdx && tee_tcb_svn.size() != 16) return match;
  // TCB Info v3 for TDX: with a module version (TEE_TCB_SVN[1] > 0) bytes 0 and 1 belong to
  // the module, which its identity judges; only bytes 2..15 meet the tdxtcbcomponents.
  const std::size_t tdx_first = tdx && tee_tcb_svn[1] != 0 ? 2 : 0;
  for (const TcbLevel& level : info.levels) {
    if (!all_at_least(pck.cpusvn_components, level.sgx_components) ||
        pck.pcesvn < level.pcesvn) {
      continue;
    }
    if (match.sgx == nullptr) match.sgx = &level;
    if (!tdx) return match;
    if (level.tdx_components &&
        all_at_least(tee_tcb_svn.subspan(tdx_first),
                     std::span(*level.tdx_components).subspan(tdx_first))) {
      match.tdx = &level;
      return match;
    }
  }
  return match;
}

std::string tdx_module_identity_id(std::uint8_t module_version) {
  char id[8];
  std::snprintf(id, sizeof(id), "TDX_%02X", module_version);
  return id;
}

const TdxModuleIdentity* expected_tdx_module(const TcbInfo& info, std::uint8_t module_version) {
  if (module_version == 0) return info.tdx_module ? &*info.tdx_module : nullptr;
  const std::string id = tdx_module_identity_id(module_version);
  auto it = std::find_if(info.tdx_modules.begin(), info.tdx_modules.end(),
                         [&](const TdxModuleIdentity& m) { return same_id_ignoring_case(m.id, id); });
  return it == info.tdx_modules.end() ? nullptr : &*it;
}

const QeIdentityLevel* select_qe_level(const QeIdentity& identity, std::uint16_t isvsvn) {
  for (const QeIdentityLevel& level : identity.levels) {
    if (isvsvn >= level.isvsvn) return &level;
  }
  return nullptr;
}

const TdxModuleLevel* select_tdx_module_level(const TdxModuleIdentity& module,
                                              std::uint8_t isvsvn) {
  for (const TdxModuleLevel& level : module.levels) {
    if (isvsvn >= level.isvsvn) return &level;
  }
  return nullptr;
}

std::string converge_tcb_status(std::string_view platform, std::string_view component) {
  if (component == "Revoked" || platform == "Revoked") return "Revoked";
  if (component != "OutOfDate") return std::string(platform);
  if (platform == "UpToDate" || platform == "SWHardeningNeeded") return "OutOfDate";
  if (platform == "ConfigurationNeeded" || platform == "ConfigurationAndSWHardeningNeeded") {
    return "OutOfDateConfigurationNeeded";
  }
  return std::string(platform);
}

std::optional<std::string> td_relaunch_status(const TcbInfo& info, const RelaunchInputs& in) {
  const std::string unchanged(in.tdx_status);
  const bool qe_current = in.qe_status != "OutOfDate" && in.qe_status != "Revoked";
  const bool sgx_current = in.sgx_status == "UpToDate" || in.sgx_status == "SWHardeningNeeded" ||
                           in.sgx_status == "ConfigurationNeeded" ||
                           in.sgx_status == "ConfigurationAndSWHardeningNeeded";
  const bool tdx_stale =
      in.tdx_status == "OutOfDate" || in.tdx_status == "OutOfDateConfigurationNeeded";
  if (!qe_current || !sgx_current || !tdx_stale || in.module_status != "OutOfDate" ||
      info.levels.empty() || !info.levels.front().tdx_components ||
      in.tee_tcb_svn2.size() != 16) {
    return unchanged;
  }
  const auto& newest = *info.levels.front().tdx_components;
  std::uint8_t module_svn_needed = newest[0];
  if (in.tee_tcb_svn2[1] != 0) {
    const TdxModuleIdentity* module = expected_tdx_module(info, in.tee_tcb_svn2[1]);
    if (module == nullptr || module->levels.empty()) return std::nullopt;
    module_svn_needed = module->levels.front().isvsvn;
  }
  if (in.tee_tcb_svn2[0] < module_svn_needed || in.tee_tcb_svn2[2] < newest[2]) return unchanged;
  return needs_configuration(in.sgx_status) || needs_configuration(in.tdx_status)
             ? "TDRelaunchAdvisedConfigurationNeeded"
             : "TDRelaunchAdvised";
}

}  // namespace attestmq::attest
