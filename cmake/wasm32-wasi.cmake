# Toolchain for the Wasm build (DESIGN.md section 2): Debian's clang-19 and lld-19 targeting
# wasm32-wasi (WASI preview 1), with Debian's wasi-libc and libc++ for wasm32.
#   cmake --preset wasm   (or -DCMAKE_TOOLCHAIN_FILE=cmake/wasm32-wasi.cmake)
# Executables are WASI command modules (_start), which is what the unit tests need; the
# guest module of the enclave runner links with -mexec-model=reactor on its own target.
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

set(ATTESTMQ_WASI_TRIPLE wasm32-wasi)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_C_COMPILER_TARGET ${ATTESTMQ_WASI_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${ATTESTMQ_WASI_TRIPLE})
set(CMAKE_AR llvm-ar-19 CACHE FILEPATH "Archiver for wasm32 objects")
set(CMAKE_RANLIB llvm-ranlib-19 CACHE FILEPATH "Indexer for wasm32 archives")

# The sysroot is Debian's /usr: headers in /usr/include/wasm32-wasi, libraries in
# /usr/lib/wasm32-wasi. Passing --sysroot=/usr would also put /usr/include (the host's
# headers) on the search path, so instead we drop the default system directories and name
# the two wasm32 ones; -idirafter keeps clang's own headers between libc++ and libc, the
# order libc++'s #include_next relies on.
set(ATTESTMQ_WASI_INCLUDE /usr/include/${ATTESTMQ_WASI_TRIPLE})
set(ATTESTMQ_WASI_LIB /usr/lib/${ATTESTMQ_WASI_TRIPLE})
set(CMAKE_C_FLAGS_INIT "-mbulk-memory -nostdlibinc -idirafter ${ATTESTMQ_WASI_INCLUDE}")
# Wasm has no threads here and the engine is built without exceptions (house rules).
set(CMAKE_CXX_FLAGS_INIT
    "-mbulk-memory -nostdlibinc -isystem ${ATTESTMQ_WASI_INCLUDE}/c++/v1 -idirafter ${ATTESTMQ_WASI_INCLUDE} -fno-exceptions")
# The linker is clang's default for this target, wasm-ld-19 (package lld-19). Its default
# stack is 64 KiB, too small for GoogleTest's deeper frames.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-z,stack-size=1048576")

# Find nothing of the host's: only the wasm32 library directory is a root.
set(CMAKE_FIND_ROOT_PATH ${ATTESTMQ_WASI_LIB})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Test executables run under node's WASI (scripts/run-wasi.mjs), also for try_run.
cmake_path(SET ATTESTMQ_RUN_WASI NORMALIZE "${CMAKE_CURRENT_LIST_DIR}/../scripts/run-wasi.mjs")
set(CMAKE_CROSSCOMPILING_EMULATOR node --no-warnings ${ATTESTMQ_RUN_WASI})
