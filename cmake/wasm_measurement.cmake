# Writes a header with the SHA-256 of a Wasm module, computed when the module is built, from
# the same file wasm2c translates (cmake/wasm2c.cmake). Run as
#   cmake -DWASM=<module.wasm> -DOUTPUT=<header> -DCONSTANT=<name> -P wasm_measurement.cmake
cmake_minimum_required(VERSION 3.25)
file(SHA256 ${WASM} digest)
cmake_path(GET WASM FILENAME module)
file(CONFIGURE OUTPUT ${OUTPUT} CONTENT [[
#pragma once
// Generated from @module@ by cmake/wasm_measurement.cmake at build time: do not edit.
#include <string_view>

// SHA-256 of the module's bytes, lower-case hex: what --print-measurement prints.
inline constexpr std::string_view @CONSTANT@ = "@digest@";
]] @ONLY)
