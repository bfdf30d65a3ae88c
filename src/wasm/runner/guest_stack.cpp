#include "wasm/runner/guest_stack.hpp"

extern "C" {
std::uintptr_t attestmq_wasm_stack_floor = UINTPTR_MAX;
}

namespace attestmq::wasm {

void arm_guest_stack() {
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  attestmq_wasm_stack_floor = here > kGuestStackBytes ? here - kGuestStackBytes : 0;
}

}  // namespace attestmq::wasm
