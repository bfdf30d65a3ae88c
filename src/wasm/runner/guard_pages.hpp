#pragma once
// Guest memory bounded by the MMU instead of a compare before every access
// (ATTESTMQ_WASM_BOUNDS=guard, docs/architecture.md "Bounds checks"). wabt's runtime then
// reserves 8 GiB of address space per linear memory, all of it inaccessible but the memory's
// current pages: a 32-bit guest address plus a 32-bit offset cannot leave the reservation,
// and any access past the memory's size faults. The handler installed here turns such a
// fault into WASM_RT_TRAP_OOB, only when guest code of a Runner is running and only for an
// address inside that instance's reservation; every other fault goes on to whoever handled
// it before (the default action, or a sanitizer), as if the handler were not there.
//
// With ATTESTMQ_WASM_BOUNDS=explicit (the default, which an SGX enclave's fixed address
// space needs), the translated module compares instead, and nothing here is used.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wasm/runner/wasm_rt.hpp"

namespace attestmq::wasm::guard_pages {

inline constexpr bool kEnabled = WASM_RT_MEMCHECK_SIGNAL_HANDLER != 0;
// For the runner's log: which of the two this build is.
inline constexpr std::string_view kBoundsDescription = kEnabled ? "guard pages" : "explicit checks";

// What wasm-rt-impl.c reserves for each memory (wasm_rt_allocate_memory): the 4 GiB a
// 32-bit address reaches and the 4 GiB a 32-bit offset adds to it.
inline constexpr std::size_t kReservationBytes = std::size_t{8} << 30;

// Once per process, before the first instance: checks that the address space can hold a
// reservation (throws std::runtime_error naming the build option otherwise, rather than
// letting wabt's runtime abort) and installs the SIGSEGV and SIGBUS handler.
void install();

// The reservation a fault may trap in: the linear memory of the instance whose guest code
// may run now. nullptr while no guest code runs.
void watch(const std::uint8_t* memory_base);

// Unmaps the part of a memory's reservation past its accessible pages, just before the memory
// is freed: wasm-rt-impl.c's wasm_rt_free_memory unmaps only those pages and would leak the
// rest of the 8 GiB with every dropped instance. Before, not after, so that no mapping made
// in between (by another thread) can land in the range and be unmapped with it.
void release_beyond(const wasm_rt_memory_t& memory);

}  // namespace attestmq::wasm::guard_pages
