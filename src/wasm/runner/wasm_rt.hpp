#pragma once
// The wasm2c runtime, as every runner translation unit must see it: explicit bounds checks
// instead of guard pages and a SIGSEGV handler (DESIGN.md section 2), so no signal handler and
// no 8 GiB reservation are needed, as inside an enclave. The setting changes the runtime's
// macros (stack-depth counting, setjmp flavour), so a unit built without it would disagree
// with the generated code: the build sets it on every target that links the runner.
#if !defined(WASM_RT_MEMCHECK_SIGNAL_HANDLER) || WASM_RT_MEMCHECK_SIGNAL_HANDLER != 0
#error "build with -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 (cmake/wasm2c.cmake sets it)"
#endif
#include <wasm-rt-impl.h>
