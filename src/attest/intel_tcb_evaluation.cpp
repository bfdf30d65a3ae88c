#include "attest/intel_tcb_evaluation.hpp"

#include <cstdio>

namespace attestmq::attest {
namespace {

bool all_at_least(std::span<const std::uint8_t> have, std::span<const std::uint8_t> need) {
  for (std::size_t i = 0; i < need.size(); ++i) {
    if (have[i] < need[i]) return false;
  }
  return true;
}

}  // namespace

bool tdx_module_has_identity(std::span<const std::uint8_t> tee_tcb_svn) {
  return tee_tcb_svn.size() == 16 && tee_tcb_svn[1] != 0;
}

std::string tdx_module_identity_id(std::span<const std::uint8_t> tee_tcb_svn) {
  char id[8];
  std::snprintf(id, sizeof(id), "TDX_%02X", tee_tcb_svn.size() > 1 ? tee_tcb_svn[1] : 0);
  return id;
}

const TcbLevel* select_tcb_level(const TcbInfo& info, const PckTcb& pck,
                                 std::span<const std::uint8_t> tee_tcb_svn) {
  const bool tdx = !tee_tcb_svn.empty();
  if (tdx && tee_tcb_svn.size() != 16) return nullptr;
  const std::size_t tdx_first = tdx_module_has_identity(tee_tcb_svn) ? 2 : 0;
  for (const TcbLevel& level : info.levels) {
    if (!all_at_least(pck.cpusvn_components, level.sgx_components) ||
        pck.pcesvn < level.pcesvn) {
      continue;
    }
    if (tdx) {
      if (!level.tdx_components) continue;
      if (!all_at_least(tee_tcb_svn.subspan(tdx_first),
                        std::span(*level.tdx_components).subspan(tdx_first))) {
        continue;
      }
    }
    return &level;
  }
  return nullptr;
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

}  // namespace attestmq::attest
