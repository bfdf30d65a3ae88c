# Edits to the C that wabt 1.0.32's wasm2c writes, for our runner (src/wasm/runner/wasm_rt.hpp
# says which wasm2c settings it builds with). Run as
#   cmake -DC_FILE=<module.c> -P wasm2c_edits.cmake
# Each edit is exact: if a future wasm2c spells its text differently, the build stops here
# rather than silently keeping (or losing) it. docs/benchmarks.md measures each ("What
# explicit bounds checks cost"; "The memory bound in the module, and the module linked as one
# program").
cmake_minimum_required(VERSION 3.25)

# 1. The guest's stack limit checked against the native stack, not counted. wasm2c counts
# calls in a global (at most 500 deep) incremented and decremented around every function. As
# a global it may alias any store into linear memory, so the compiler reloads and rewrites it
# around every store and cannot merge the pairs of inlined calls; the count also bounds
# frames, not bytes. Instead each function compares the address of a local with a floor that
# the runner sets before it calls into the guest (src/wasm/runner/guest_stack.hpp): a read,
# no write, and a bound in bytes. Running out still traps with WASM_RT_TRAP_EXHAUSTION.
set(counted [=[
#define FUNC_PROLOGUE                                            \
  if (++wasm_rt_call_stack_depth > WASM_RT_MAX_CALL_STACK_DEPTH) \
    TRAP(EXHAUSTION);

#define FUNC_EPILOGUE --wasm_rt_call_stack_depth
]=])
set(bounded [=[
extern uintptr_t attestmq_wasm_stack_floor;
#define FUNC_PROLOGUE                                                     \
  char w2c_stack_probe;                                                   \
  if (UNLIKELY((uintptr_t)&w2c_stack_probe < attestmq_wasm_stack_floor)) \
    TRAP(EXHAUSTION);

#define FUNC_EPILOGUE
]=])

# 2. The instance's linear memory bound in the translation unit. wasm2c reads the memory's
# base and size from the instance struct at every access, and every store into linear memory
# is a memcpy, which may alias anything, so after every store the compiler loaded both again.
# Here the module keeps them in file-static variables whose address is never taken, which no
# store through a pointer can alias, so they stay in registers across stores. Every export
# binds its instance's memory on entry, and memory.grow binds the grown memory again; the
# instance struct stays the truth for everything outside the module (the runner reads the
# memory through the `memory` export). This holds because runners enter a module from one
# thread, and a host function never calls into the guest (src/wasm/runner/runner.hpp). With
# explicit bounds (ATTESTMQ_WASM_BOUNDS) the check is wasm2c's, against the bound size; with
# guard pages there is none, and the access itself faults. Loads are not pinned: wasm2c ends
# each with `asm("" :: "r"(result))` so that a load whose value is never used still runs,
# and still traps when out of bounds. That pin cost as much as the explicit checks
# (docs/benchmarks.md, "Guard pages"). Without it the compiler may drop a dead load, which
# reads nothing and so cannot leak or corrupt memory; a guest that would have trapped there
# goes on instead, a departure from Wasm's trap semantics that no memory safety rests on.
# (The `__stack_pointer` global bound the same way was measured too, and was slower.)
set(instance_load [=[
#define DEFINE_LOAD(name, t1, t2, t3)                      \
  static inline t3 name(wasm_rt_memory_t* mem, u64 addr) { \
    MEMCHECK(mem, addr, t1);                               \
    t1 result;                                             \
    wasm_rt_memcpy(&result, &mem->data[addr], sizeof(t1)); \
    wasm_asm("" ::"r"(result));                            \
    return (t3)(t2)result;                                 \
  }
]=])
set(instance_store [=[
#define DEFINE_STORE(name, t1, t2)                                     \
  static inline void name(wasm_rt_memory_t* mem, u64 addr, t2 value) { \
    MEMCHECK(mem, addr, t1);                                           \
    t1 wrapped = (t1)value;                                            \
    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            \
  }
]=])
set(bound_load [=[
static u8* attestmq_bound_data;
static u64 attestmq_bound_size;

static void attestmq_bind_memory(const wasm_rt_memory_t* memory) {
  attestmq_bound_data = memory->data;
  attestmq_bound_size = memory->size;
}

#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
#define BOUND_MEMCHECK(addr, t)
#else
#define BOUND_MEMCHECK(addr, t) \
  if (UNLIKELY(addr + (uint64_t)sizeof(t) > attestmq_bound_size)) TRAP(OOB);
#endif

#define DEFINE_LOAD(name, t1, t2, t3)                                 \
  static inline t3 name(wasm_rt_memory_t* mem, u64 addr) {            \
    BOUND_MEMCHECK(addr, t1);                                         \
    t1 result;                                                        \
    wasm_rt_memcpy(&result, attestmq_bound_data + addr, sizeof(t1));  \
    return (t3)(t2)result;                                            \
  }
]=])
set(bound_store [=[
#define DEFINE_STORE(name, t1, t2)                                     \
  static inline void name(wasm_rt_memory_t* mem, u64 addr, t2 value) { \
    BOUND_MEMCHECK(addr, t1);                                          \
    t1 wrapped = (t1)value;                                            \
    wasm_rt_memcpy(attestmq_bound_data + addr, &wrapped, sizeof(t1));  \
  }
]=])
set(bind "  attestmq_bind_memory(&instance->w2c_memory);\n")

file(READ ${C_FILE} text)
foreach(expected IN ITEMS counted instance_load instance_store)
  string(FIND "${text}" "${${expected}}" first)
  string(FIND "${text}" "${${expected}}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "${C_FILE}: not the wasm2c 1.0.32 output these edits expect "
                        "(the text of '${expected}' is missing or repeated)")
  endif()
endforeach()

# A start function would run guest code inside instantiate, before any export has bound the
# instance's memory: wasm2c calls it after init_elem_instances, so that must end the body.
string(FIND "${text}" "  init_elem_instances(instance);\n}\n" instantiate_end)
if(instantiate_end EQUAL -1)
  message(FATAL_ERROR "${C_FILE}: the module has a start function, which would run before "
                      "its memory is bound")
endif()
# wabt 1.0.32's runtime keeps the size in 32 bits: a grow to exactly 65536 pages wraps it to
# 0, reallocates to nothing and leaves the old (freed) base in place. The modules are linked
# with a maximum below it (cmake/wasm2c.cmake, src/wasm/guest/CMakeLists.txt).
string(REGEX MATCH "wasm_rt_allocate_memory\\(&instance->w2c_memory, [0-9]+, 65536\\)" four_gib
       "${text}")
if(four_gib)
  message(FATAL_ERROR "${C_FILE}: the module's memory may grow to 4 GiB, where wasm2c's "
                      "runtime frees it on grow; link it with -Wl,--max-memory below 4 GiB")
endif()

string(REPLACE "${counted}" "${bounded}" text "${text}")
string(REPLACE "${instance_load}" "${bound_load}" text "${text}")
string(REPLACE "${instance_store}" "${bound_store}" text "${text}")

# Every export binds on entry, and every memory.grow after it: a grow may move the memory
# (realloc), and a call site left unbound would leave the module on the old base. Both
# rewrites need the exact shapes below, so the binds are counted afterwards, and any export
# or grow of another shape stops the build. (The counts match text without a ';': MATCHALL
# returns a CMake list, split at every ';'.)
string(REGEX REPLACE "(/\\* export: '[^']*' \\*/\n[^{]*\\) {\n)(  return )" "\\1${bind}\\2"
       text "${text}")
string(REGEX REPLACE "(w2c_i[0-9]+ = wasm_rt_grow_memory\\(&instance->w2c_memory, w2c_i[0-9]+\\);\n)"
       "\\1${bind}" text "${text}")
string(REGEX MATCHALL "/\\* export: " exports "${text}")
string(REGEX MATCHALL "wasm_rt_grow_memory\\(" grows "${text}")
string(REGEX MATCHALL "\n  attestmq_bind_memory\\(&instance->w2c_memory\\)" binds "${text}")
list(LENGTH exports export_count)
list(LENGTH grows grow_count)
list(LENGTH binds bind_count)
math(EXPR expected_binds "${export_count} + ${grow_count}")
if(export_count EQUAL 0 OR NOT bind_count EQUAL expected_binds)
  message(FATAL_ERROR "${C_FILE}: ${bind_count} memory binds for ${export_count} exports and "
                      "${grow_count} memory.grow calls: one of them has a shape these edits "
                      "do not bind")
endif()
file(WRITE ${C_FILE} "${text}")
