#pragma once
// The TCB status of an SGX or TDX platform from Intel collateral, following the rules of
// Intel's PCS API v4 (TCB Info v3, Enclave Identity v2) as Intel's Quote Verification Library
// applies them; docs/tcb_evaluation.md lists each rule and where it comes from.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "attest/dcap/collateral.hpp"
#include "attest/dcap/pck_extensions.hpp"

namespace attestmq::attest {

// TCB levels are walked highest first. `sgx` is the first level whose 16 SGX components and
// PCESVN the PCK certificate meets or exceeds; for TDX (non-empty `tee_tcb_svn`, 16 bytes)
// `tdx` is the first of those whose tdxtcbcomponents TEE_TCB_SVN also meets: all 16 bytes
// when TEE_TCB_SVN[1] is 0, bytes 2..15 otherwise (the module is then judged by its
// identity). A null member means the platform is below every level ("TCB not supported").
struct TcbLevelMatch {
  const TcbLevel* sgx = nullptr;
  const TcbLevel* tdx = nullptr;
};
TcbLevelMatch match_tcb_levels(const TcbInfo& info, const PckTcb& pck,
                               std::span<const std::uint8_t> tee_tcb_svn);

// The TDX module that must have signed the TD's SEAM: TCB Info's "tdxModule" when the module
// version TEE_TCB_SVN[1] is 0, else the identity "TDX_<version as 2 hex digits>" (compared
// without regard to case). Null if TCB Info has none.
const TdxModuleIdentity* expected_tdx_module(const TcbInfo& info, std::uint8_t module_version);
std::string tdx_module_identity_id(std::uint8_t module_version);  // 1 -> "TDX_01"

// The first level whose ISVSVN the enclave (QE) or TDX module (TEE_TCB_SVN[0]) meets; null
// if below all.
const QeIdentityLevel* select_qe_level(const QeIdentity& identity, std::uint16_t isvsvn);
const TdxModuleLevel* select_tdx_module_level(const TdxModuleIdentity& module,
                                              std::uint8_t isvsvn);

// Folds a component's status (QE identity, TDX module) into the platform's: an OutOfDate
// component makes UpToDate and SWHardeningNeeded OutOfDate, and ConfigurationNeeded and
// ConfigurationAndSWHardeningNeeded OutOfDateConfigurationNeeded; a Revoked one revokes all.
std::string converge_tcb_status(std::string_view platform, std::string_view component);

// TDX 1.5 TD-preserving updates: a TD whose TCB is out of date only because its TDX module
// is, while TEE_TCB_SVN2 (the TCB the SEAM would have after relaunch) already reaches the
// newest level, is "TDRelaunchAdvised" ("...ConfigurationNeeded" if the SGX or TDX status
// needs configuration). Returns the status to report in place of `tdx_status`, or null if
// TEE_TCB_SVN2 names a module version TCB Info has no identity for.
struct RelaunchInputs {
  std::span<const std::uint8_t> tee_tcb_svn2;  // 16 bytes
  std::string_view sgx_status;     // of the matched SGX level
  std::string_view tdx_status;     // of the matched TDX level, converged with the module
  std::string_view module_status;  // of the TDX module's level; empty for version 0
  std::string_view qe_status;      // of the QE identity level
};
std::optional<std::string> td_relaunch_status(const TcbInfo& info, const RelaunchInputs& in);

}  // namespace attestmq::attest
