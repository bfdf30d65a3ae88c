# GoogleTest and GoogleMock for the Wasm build, compiled from Debian's sources (package
# googletest, /usr/src/googletest) with the wasm32-wasi toolchain. googletest's own CMake
# project forces -fexceptions, which this target does not have, so the libraries are
# declared here from the single-file sources. The target names match FindGTest's, so test
# CMake code is the same for the native and the Wasm build.
set(ATTESTMQ_GOOGLETEST_SOURCE_DIR /usr/src/googletest CACHE PATH "Debian's googletest sources")
set(gtest_dir ${ATTESTMQ_GOOGLETEST_SOURCE_DIR}/googletest)
set(gmock_dir ${ATTESTMQ_GOOGLETEST_SOURCE_DIR}/googlemock)
if(NOT EXISTS ${gtest_dir}/src/gtest-all.cc)
  message(FATAL_ERROR "GoogleTest sources not found in ${ATTESTMQ_GOOGLETEST_SOURCE_DIR}: "
                      "apt-get install googletest (scripts/setup.sh does)")
endif()

# WASI preview 1 has no threads, no exceptions here, and no fork: say so rather than let
# gtest-port.h guess from a platform it does not know.
set(wasm_gtest_config GTEST_HAS_EXCEPTIONS=0 GTEST_HAS_PTHREAD=0 GTEST_HAS_DEATH_TEST=0
                      GTEST_HAS_STREAM_REDIRECTION=0 GTEST_HAS_POSIX_RE=0)

function(attestmq_wasm_gtest_library name source)
  add_library(${name} STATIC EXCLUDE_FROM_ALL ${source})
  target_include_directories(${name} SYSTEM PUBLIC ${gtest_dir}/include ${gmock_dir}/include)
  target_include_directories(${name} PRIVATE ${gtest_dir} ${gmock_dir})
  target_compile_definitions(${name} PUBLIC ${wasm_gtest_config})
  # Third-party code: our -Wall -Wextra are for our sources.
  target_compile_options(${name} PRIVATE -w)
  target_link_libraries(${name} PUBLIC ${ARGN})
  add_library(GTest::${name} ALIAS ${name})
endfunction()

attestmq_wasm_gtest_library(gtest ${gtest_dir}/src/gtest-all.cc)
attestmq_wasm_gtest_library(gtest_main ${gtest_dir}/src/gtest_main.cc gtest)
attestmq_wasm_gtest_library(gmock ${gmock_dir}/src/gmock-all.cc gtest)
attestmq_wasm_gtest_library(gmock_main ${gmock_dir}/src/gmock_main.cc gmock)
