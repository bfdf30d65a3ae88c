#pragma once
// How much native stack guest code may use. The runner's build edits wasm2c's output
// (cmake/wasm2c_edits.cmake) so that every translated function traps with
// WASM_RT_TRAP_EXHAUSTION when its frame lies below attestmq_wasm_stack_floor, where wasm2c
// would count calls instead. Deep or runaway recursion in the guest then ends in a trap the
// runner recovers from, never in a native stack overflow that would kill the process.
#include <cstddef>
#include <cstdint>

extern "C" {
// Below this address a guest function traps. Until the runner arms it, every guest call does.
extern std::uintptr_t attestmq_wasm_stack_floor;
}

namespace attestmq::wasm {

// The guest's share: far more than the engine or OpenSSL use (their large buffers live in
// linear memory, not in native frames), and a small part of the main thread's 8 MiB, which
// leaves the rest to the host functions the guest calls (deploy/gramine sets the enclave's
// stack to match).
inline constexpr std::size_t kGuestStackBytes = std::size_t{1} << 20;

// Lets guest code called from the caller's frame use kGuestStackBytes below it. Called
// before every entry into the guest.
void arm_guest_stack();

}  // namespace attestmq::wasm
