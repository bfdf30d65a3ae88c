# Guest modules for the wasm2c runner (src/wasm/runner, DESIGN.md section 2): C sources built
# into a WASI reactor module with clang-19, then translated to C by wabt's wasm2c and compiled
# into the native build, with the module's SHA-256 as a generated header.
find_program(ATTESTMQ_CLANG_WASM clang-19)
find_program(ATTESTMQ_WASM2C wasm2c)
if(NOT ATTESTMQ_CLANG_WASM OR NOT ATTESTMQ_WASM2C)
  message(FATAL_ERROR "the Wasm runner needs clang-19 and wabt's wasm2c: run scripts/setup.sh")
endif()

# How the runner bounds guest memory (src/wasm/runner/wasm_rt.hpp; docs/architecture.md,
# "Bounds checks"): `explicit` compares, the default, which every TEE can host (DESIGN.md
# section 2, issue #10), or `guard` pages, faster, where the platform lets each instance
# reserve 8 GiB of address space (a process, a TDX or SEV-SNP VM; not an SGX enclave). The
# definitions go to the translated modules and to everything that links the runner alike.
set(ATTESTMQ_WASM_BOUNDS explicit CACHE STRING "How the Wasm runner bounds guest memory: explicit or guard")
set_property(CACHE ATTESTMQ_WASM_BOUNDS PROPERTY STRINGS explicit guard)
if(ATTESTMQ_WASM_BOUNDS STREQUAL "guard")
  set(ATTESTMQ_WASM_RT_DEFINITIONS WASM_RT_MEMCHECK_SIGNAL_HANDLER=1 WASM_RT_SKIP_SIGNAL_RECOVERY=1
      WASM_RT_USE_STACK_DEPTH_COUNT=1)
elseif(ATTESTMQ_WASM_BOUNDS STREQUAL "explicit")
  set(ATTESTMQ_WASM_RT_DEFINITIONS WASM_RT_MEMCHECK_SIGNAL_HANDLER=0 WASM_RT_USE_STACK_DEPTH_COUNT=1)
else()
  message(FATAL_ERROR "ATTESTMQ_WASM_BOUNDS is '${ATTESTMQ_WASM_BOUNDS}': use explicit or guard")
endif()
list(TRANSFORM ATTESTMQ_WASM_RT_DEFINITIONS PREPEND -D OUTPUT_VARIABLE ATTESTMQ_WASM_RT_FLAGS)

# attestmq_wasm_guest(OUTPUT file.wasm SOURCES a.c...): a reactor module (no main; exports
# what the sources mark export_name). No debug information and no paths in the output, so
# the bytes, hence the measurement, depend on the sources and the compiler only. Memory at
# most one page below 4 GiB, as for the engine (src/wasm/guest/CMakeLists.txt).
function(attestmq_wasm_guest)
  cmake_parse_arguments(PARSE_ARGV 0 guest "" "OUTPUT" "SOURCES")
  add_custom_command(
    OUTPUT ${guest_OUTPUT}
    COMMAND ${ATTESTMQ_CLANG_WASM} --target=wasm32-wasi -mexec-model=reactor -O2
            -nostdlibinc -idirafter /usr/include/wasm32-wasi -Wall -Wextra -Werror
            -Wl,--max-memory=4294901760 -o ${guest_OUTPUT} ${guest_SOURCES}
    DEPENDS ${guest_SOURCES}
    COMMENT "Building Wasm guest module ${guest_OUTPUT}"
    VERBATIM)
endfunction()

# attestmq_wasm2c_module(TARGET name MODULE c_name WASM file.wasm MEASUREMENT constant):
# a static library holding the module as C (symbols Z_<c_name>...; header <c_name>.h) and
# <c_name>_measurement.hpp, which defines `constant`, the hex SHA-256 of exactly the .wasm
# that was translated.
function(attestmq_wasm2c_module)
  cmake_parse_arguments(PARSE_ARGV 0 module "" "TARGET;MODULE;WASM;MEASUREMENT" "")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${module_TARGET})
  set(c_file ${out}/${module_MODULE}.c)
  set(measurement ${out}/${module_MODULE}_measurement.hpp)
  add_custom_command(
    OUTPUT ${c_file} ${out}/${module_MODULE}.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND ${ATTESTMQ_WASM2C} ${module_WASM} -n ${module_MODULE} -o ${c_file}
    COMMAND ${CMAKE_COMMAND} -DC_FILE=${c_file} -P ${PROJECT_SOURCE_DIR}/cmake/wasm2c_edits.cmake
    DEPENDS ${module_WASM} ${PROJECT_SOURCE_DIR}/cmake/wasm2c_edits.cmake
    COMMENT "Translating ${module_WASM} to C with wasm2c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${measurement}
    COMMAND ${CMAKE_COMMAND} -DWASM=${module_WASM} -DOUTPUT=${measurement}
            -DCONSTANT=${module_MEASUREMENT} -P ${PROJECT_SOURCE_DIR}/cmake/wasm_measurement.cmake
    DEPENDS ${module_WASM} ${PROJECT_SOURCE_DIR}/cmake/wasm_measurement.cmake
    COMMENT "Measuring ${module_WASM}"
    VERBATIM)
  # The generated C (tens of MB for a module holding OpenSSL) is compiled by clang-19 in
  # every preset: GCC 12 takes several times longer on it (docs/architecture.md). Its
  # warnings are wasm2c's, not ours. Not sanitised: its memory accesses are the guest's,
  # bounds-checked by wasm2c; the host code around it is what the asan preset checks.
  # -O3 as the native broker is built in Release, so that benchmarks compare like with like
  # (it saves the module a few per cent per message); -O2 elsewhere, a minute less to build.
  set(object ${out}/${module_MODULE}.o)
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${CMAKE_C_COMPILER_LAUNCHER} ${ATTESTMQ_CLANG_WASM} $<IF:$<CONFIG:Release>,-O3,-O2> -w -fPIC
            ${ATTESTMQ_WASM_RT_FLAGS} -I${ATTESTMQ_WASM2C_RUNTIME_DIR} -I${out}
            -c ${c_file} -o ${object}
    DEPENDS ${c_file} ${out}/${module_MODULE}.h
    COMMENT "Compiling the wasm2c translation of ${module_WASM}"
    VERBATIM)
  add_library(${module_TARGET} STATIC ${object} ${measurement})
  set_target_properties(${module_TARGET} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${module_TARGET} PUBLIC ${out})
  target_link_libraries(${module_TARGET} PUBLIC attestmq_wasm_runner)
endfunction()
