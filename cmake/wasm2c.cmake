# Guest modules for the wasm2c runner (src/wasm/runner, DESIGN.md section 2): C sources built
# into a WASI reactor module with clang-19, then translated to C by wabt's wasm2c and compiled
# into the native build, with the module's SHA-256 as a generated header.
find_program(ATTESTMQ_CLANG_WASM clang-19)
find_program(ATTESTMQ_WASM2C wasm2c)
if(NOT ATTESTMQ_CLANG_WASM OR NOT ATTESTMQ_WASM2C)
  message(FATAL_ERROR "the Wasm runner needs clang-19 and wabt's wasm2c: run scripts/setup.sh")
endif()

# attestmq_wasm_guest(OUTPUT file.wasm SOURCES a.c...): a reactor module (no main; exports
# what the sources mark export_name). No debug information and no paths in the output, so
# the bytes, hence the measurement, depend on the sources and the compiler only.
function(attestmq_wasm_guest)
  cmake_parse_arguments(PARSE_ARGV 0 guest "" "OUTPUT" "SOURCES")
  add_custom_command(
    OUTPUT ${guest_OUTPUT}
    COMMAND ${ATTESTMQ_CLANG_WASM} --target=wasm32-wasi -mexec-model=reactor -O2
            -nostdlibinc -idirafter /usr/include/wasm32-wasi -Wall -Wextra -Werror
            -o ${guest_OUTPUT} ${guest_SOURCES}
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
    DEPENDS ${module_WASM}
    COMMENT "Translating ${module_WASM} to C with wasm2c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${measurement}
    COMMAND ${CMAKE_COMMAND} -DWASM=${module_WASM} -DOUTPUT=${measurement}
            -DCONSTANT=${module_MEASUREMENT} -P ${PROJECT_SOURCE_DIR}/cmake/wasm_measurement.cmake
    DEPENDS ${module_WASM} ${PROJECT_SOURCE_DIR}/cmake/wasm_measurement.cmake
    COMMENT "Measuring ${module_WASM}"
    VERBATIM)
  add_library(${module_TARGET} STATIC ${c_file} ${measurement})
  # Generated code: its warnings are wasm2c's, not ours. Its call_indirect calls a function
  # defined with the module's instance type through a pointer taking void* (after checking
  # the Wasm-level signature itself), which UBSan's -fsanitize=function reports as soon as a
  # guest calls through a function pointer (wasi-libc's stdio does).
  set_source_files_properties(${c_file} PROPERTIES COMPILE_OPTIONS
                              "-w;$<$<C_COMPILER_ID:Clang>:-fno-sanitize=function>")
  target_include_directories(${module_TARGET} PUBLIC ${out})
  target_link_libraries(${module_TARGET} PUBLIC attestmq_wasm_runner)
endfunction()
