// Intel DCAP collateral bodies (src/attest/dcap/collateral): TCB Info v3 and QE Identity v2
// JSON, which a verifier may receive from an untrusted peer in an envelope's collateral. The
// first byte picks the parser (bit 0: QE Identity, else TCB Info).
// Oracles, beyond "no crash, no sanitizer report" (nlohmann::json throws on a type misuse,
// which here would be an uncaught exception): a refusal says why, and an accepted body has
// one of the identities the Intel PCS API v4 defines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "attest/dcap/collateral.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attestmq::attest;
  if (size == 0) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string error;
  if (data[0] & 1) {
    const auto identity = parse_qe_identity(json, error);
    require(identity ? identity->id == "QE" || identity->id == "TD_QE" : !error.empty());
  } else {
    const auto info = parse_tcb_info(json, error);
    require(info ? info->id == "SGX" || info->id == "TDX" : !error.empty());
  }
  return 0;
}
