#pragma once
// The wasm2c runtime, as every runner translation unit must see it. The build chooses how
// guest memory is bounded (ATTESTMQ_WASM_BOUNDS, cmake/wasm2c.cmake) and sets the same
// definitions on every target that links the runner, since they change the runtime's macros
// (setjmp flavour, memory allocation) and a unit built otherwise would disagree with the
// generated code:
//   explicit  WASM_RT_MEMCHECK_SIGNAL_HANDLER=0: a compare before every access, no signal
//             handler and no 8 GiB reservation (DESIGN.md section 2), as an SGX enclave needs;
//   guard     WASM_RT_MEMCHECK_SIGNAL_HANDLER=1 with WASM_RT_SKIP_SIGNAL_RECOVERY=1: guard
//             pages, with our own fault handler instead of wabt's (guard_pages.hpp).
// In both, WASM_RT_USE_STACK_DEPTH_COUNT=1: the guest's stack stays bounded by the probe that
// replaces the call counter (guest_stack.hpp), never by a native stack overflow.
#if !defined(WASM_RT_MEMCHECK_SIGNAL_HANDLER) || !defined(WASM_RT_USE_STACK_DEPTH_COUNT) || \
    WASM_RT_USE_STACK_DEPTH_COUNT != 1
#error "build with cmake/wasm2c.cmake's ATTESTMQ_WASM_RT_DEFINITIONS"
#endif
#if WASM_RT_MEMCHECK_SIGNAL_HANDLER && (!defined(WASM_RT_SKIP_SIGNAL_RECOVERY) || WASM_RT_SKIP_SIGNAL_RECOVERY != 1)
#error "guard pages here use the runner's fault handler: define WASM_RT_SKIP_SIGNAL_RECOVERY=1"
#endif
#include <wasm-rt-impl.h>

// wasm_rt_impl_try() without saving the signal mask. wasm-rt.h's trap point under guard pages
// is sigsetjmp(buf, 1), a rt_sigprocmask system call on every batch, as many as the reads;
// instead the fault handler unblocks the fault signals itself before it jumps
// (guard_pages.cpp), and no other trap changes the mask. A macro, as setjmp must be called
// in the frame it returns to.
#define ATTESTMQ_WASM_TRAP_POINT()                                          \
  (WASM_RT_SAVE_STACK_DEPTH(), wasm_rt_set_unwind_target(&wasm_rt_jmp_buf), \
   sigsetjmp(wasm_rt_jmp_buf, 0))
