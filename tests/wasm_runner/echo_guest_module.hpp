#pragma once
// The Runner's adapter for the test guest (guest/echo_guest.c), over the names wasm2c
// generated for it.
#include "wasm/runner/runner.hpp"

#include "echo_guest.h"

namespace attestmq::wasm::test {

struct EchoGuest {
  using Instance = Z_echo_guest_instance_t;
  static void init_module() { Z_echo_guest_init_module(); }
  static void instantiate(Instance& instance, Host& host) {
    Z_echo_guest_instantiate(&instance, &host.attestmq_imports(), &host.wasi_imports());
  }
  static void initialize(Instance& instance) { Z_echo_guestZ__initialize(&instance); }
  static wasm_rt_memory_t& memory(Instance& instance) { return *Z_echo_guestZ_memory(&instance); }
  static void free(Instance& instance) { Z_echo_guest_free(&instance); }
};

}  // namespace attestmq::wasm::test
