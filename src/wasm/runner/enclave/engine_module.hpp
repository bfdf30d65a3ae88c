#pragma once
// The Runner's adapter for attestmq-engine.wasm (src/wasm/guest), over the names wasm2c gives
// its exports; and the module's SHA-256, measured at build time from the exact .wasm that was
// translated (cmake/wasm_measurement.cmake).
#include "attestmq_engine.h"
#include "attestmq_engine_measurement.hpp"
#include "wasm/runner/runner.hpp"

namespace attestmq::wasm {

struct EngineModule {
  using Instance = Z_attestmq_engine_instance_t;
  static void init_module() { Z_attestmq_engine_init_module(); }
  static void instantiate(Instance& instance, Host& host) {
    Z_attestmq_engine_instantiate(&instance, &host.attestmq_imports(), &host.wasi_imports());
  }
  static void initialize(Instance& instance) { Z_attestmq_engineZ__initialize(&instance); }
  static wasm_rt_memory_t& memory(Instance& instance) { return *Z_attestmq_engineZ_memory(&instance); }
  static void free(Instance& instance) { Z_attestmq_engine_free(&instance); }
};

}  // namespace attestmq::wasm
