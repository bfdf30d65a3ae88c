#include "wasm/runner/runner.hpp"

namespace attestmq::wasm {

std::string describe_trap(wasm_rt_trap_t trap, std::uint64_t instances_created) {
  return "guest trapped: " + std::string(wasm_rt_strerror(trap)) + " (trap " +
         std::to_string(static_cast<int>(trap)) + "); instance " +
         std::to_string(instances_created) + " dropped, re-creating it";
}

}  // namespace attestmq::wasm
