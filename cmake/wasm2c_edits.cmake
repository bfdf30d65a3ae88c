# Two edits to the C that wabt 1.0.32's wasm2c writes, for our build with explicit bounds
# checks (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0). Run as
#   cmake -DC_FILE=<module.c> -P wasm2c_edits.cmake
# Each edit is exact: if a future wasm2c spells its text differently, the build stops here
# rather than silently keeping (or losing) it. docs/benchmarks.md ("What explicit bounds
# checks cost") measures both.
cmake_minimum_required(VERSION 3.25)

# 1. Unpinned loads. Every load ends in `wasm_asm("" ::"r"(result))`, which pins the loaded
# value in a register. That exists for guard pages: there the load itself is the bounds check
# (it faults), so the compiler must not drop or merge it. With explicit checks the check is an
# `if (...) TRAP(OOB)` before the load, which the compiler can never remove, so the pin only
# stops it from folding loads into arithmetic and from dropping dead ones.
set(pinned "#define wasm_asm __asm__\n")
set(unpinned "#define wasm_asm(X)\n")
set(explicit_checks "#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))\n")

# 2. The guest's stack limit checked against the native stack, not counted. wasm2c counts
# calls in a global (at most 500 deep) incremented and decremented around every function. As
# a global it may alias any store into linear memory, so the compiler reloads and rewrites it
# around every store and cannot merge the pairs of inlined calls; the count also bounds
# frames, not bytes. Instead each function compares the address of a local with a floor that
# the runner sets before it calls into the guest (src/wasm/runner/guest_stack.hpp): a read,
# no write, and a bound in bytes. Running out still traps with WASM_RT_TRAP_EXHAUSTION.
set(counted [[
#define FUNC_PROLOGUE                                            \
  if (++wasm_rt_call_stack_depth > WASM_RT_MAX_CALL_STACK_DEPTH) \
    TRAP(EXHAUSTION);

#define FUNC_EPILOGUE --wasm_rt_call_stack_depth
]])
set(bounded [[
extern uintptr_t attestmq_wasm_stack_floor;
#define FUNC_PROLOGUE                                                     \
  char w2c_stack_probe;                                                   \
  if (UNLIKELY((uintptr_t)&w2c_stack_probe < attestmq_wasm_stack_floor)) \
    TRAP(EXHAUSTION);

#define FUNC_EPILOGUE
]])

file(READ ${C_FILE} text)
foreach(expected IN ITEMS explicit_checks pinned counted)
  string(FIND "${text}" "${${expected}}" first)
  string(FIND "${text}" "${${expected}}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "${C_FILE}: not the wasm2c 1.0.32 output these edits expect "
                        "(the text of '${expected}' is missing or repeated)")
  endif()
endforeach()
string(REPLACE "${pinned}" "${unpinned}" text "${text}")
string(REPLACE "${counted}" "${bounded}" text "${text}")
file(WRITE ${C_FILE} "${text}")
