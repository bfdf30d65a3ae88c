#pragma once
// Selecting TCB levels from Intel collateral, as Intel's Quote Verification Library does:
// levels are listed highest first and the first one the platform meets or exceeds in every
// component is the platform's level.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "attest/collateral.hpp"
#include "attest/pck_extensions.hpp"

namespace attestmq::attest {

// The platform's level: all 16 SGX TCB components and PCESVN from the PCK certificate, and
// for TDX (non-empty `tee_tcb_svn`, 16 bytes) also TEE_TCB_SVN against tdxtcbcomponents.
// Null if the platform is below every level.
const TcbLevel* select_tcb_level(const TcbInfo& info, const PckTcb& pck,
                                 std::span<const std::uint8_t> tee_tcb_svn);

// TCB Info v3 for TDX: TEE_TCB_SVN[1] is the TDX module's major version; when it is not 0
// the module is judged by its own identity (TDX_<version>), so the first two TEE_TCB_SVN
// bytes are left out of the tdxtcbcomponents comparison.
bool tdx_module_has_identity(std::span<const std::uint8_t> tee_tcb_svn);
std::string tdx_module_identity_id(std::span<const std::uint8_t> tee_tcb_svn);  // "TDX_01"

// The first level whose ISVSVN the enclave meets; null if below all.
const QeIdentityLevel* select_qe_level(const QeIdentity& identity, std::uint16_t isvsvn);
const TdxModuleLevel* select_tdx_module_level(const TdxModuleIdentity& module,
                                              std::uint8_t isvsvn);

// Folds a component's status (QE identity, TDX module) into the platform's, as Intel's QVL
// converges them: an out-of-date component makes an up-to-date platform OutOfDate and a
// platform needing configuration OutOfDateConfigurationNeeded; a revoked one revokes all.
std::string converge_tcb_status(std::string_view platform, std::string_view component);

}  // namespace attestmq::attest
