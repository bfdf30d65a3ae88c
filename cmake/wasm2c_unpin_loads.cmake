# Edits the C that wabt 1.0.32's wasm2c writes, for a build with explicit bounds checks
# (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0). Run as
#   cmake -DC_FILE=<module.c> -P wasm2c_unpin_loads.cmake
#
# Every load wasm2c emits ends in `wasm_asm("" ::"r"(result))`, which pins the loaded value
# in a register. That exists for guard pages: there the load itself is the bounds check (it
# faults), so the compiler must not drop or merge it. With explicit checks the check is an
# `if (...) TRAP(OOB)` before the load, which the compiler can never remove, so the pin only
# stops it from folding loads into arithmetic and from dropping dead ones. Defining
# wasm_asm away keeps every range check and every trap, and makes the broker's messages
# 15-20 % cheaper in the module (docs/benchmarks.md, "Pinned loads").
#
# The edit is exact: if a future wasm2c spells the definition differently, the build stops
# here rather than silently keeping (or losing) it.
cmake_minimum_required(VERSION 3.25)
set(pinned "#define wasm_asm __asm__\n")
set(unpinned "#define wasm_asm(X)\n")
set(check "#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))\n")

file(READ ${C_FILE} text)
string(FIND "${text}" "${check}" has_check)
string(FIND "${text}" "${pinned}" first)
string(FIND "${text}" "${pinned}" last REVERSE)
if(has_check EQUAL -1 OR first EQUAL -1 OR NOT first EQUAL last)
  message(FATAL_ERROR "${C_FILE}: not the wasm2c 1.0.32 output this edit expects "
                      "(one '#define wasm_asm __asm__' and explicit RANGE_CHECKs)")
endif()
string(REPLACE "${pinned}" "${unpinned}" text "${text}")
file(WRITE ${C_FILE} "${text}")
