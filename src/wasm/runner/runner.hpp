#pragma once
// Runs one wasm2c-compiled guest module: instantiates it with the host's imports, calls it in
// batches under one trap point, and after a trap logs the cause and replaces the instance by a
// fresh one (the trapped one's state is not trusted any more, and the files it opened are
// closed). The guest's read-only filesystem is the preopens given at construction.
//
// `Module` adapts the module-specific names wasm2c generates (Z_<name>_...):
//   using Instance = Z_<name>_instance_t;
//   static void init_module();                         // once per process
//   static void instantiate(Instance&, Host&);          // passes the import structs
//   static void initialize(Instance&);                  // the reactor's _initialize export
//   static wasm_rt_memory_t& memory(Instance&);         // the exported linear memory
//   static void free(Instance&);
//
// wasm2c's trap state is global (one jump buffer), and so is the memory a translated module
// binds on entry (cmake/wasm2c_edits.cmake): guest code of one Runner at a time, in the whole
// process. A batch begun while another runs (nested in a host call, or on a second thread)
// would leave the first one trapping into the wrong frame and reading through the wrong
// memory bound, so it throws std::logic_error instead. Guest code runs only inside batch(),
// where a trap point is set: the instance is not reachable from outside it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "wasm/runner/guard_pages.hpp"
#include "wasm/runner/guest_stack.hpp"
#include "wasm/runner/host.hpp"

namespace attestmq::wasm {

// The runner's log line for a trap: names its cause.
std::string describe_trap(wasm_rt_trap_t trap, std::uint64_t instances_created);

// Held while guest code may run: one holder in the process at a time. Released by its
// destructor, which a trap does not skip (the trap returns into the frame that holds it).
class GuestTurn {
 public:
  GuestTurn() {
    if (taken().test_and_set()) {
      throw std::logic_error(
          "a Wasm runner batch began while another was running: batches do not nest, and "
          "one thread at a time runs guest code (wasm2c's trap state is global)");
    }
  }
  ~GuestTurn() {
    if constexpr (guard_pages::kEnabled) guard_pages::watch(nullptr);
    taken().clear();
  }
  GuestTurn(const GuestTurn&) = delete;
  GuestTurn& operator=(const GuestTurn&) = delete;

 private:
  static std::atomic_flag& taken() {
    static std::atomic_flag flag;
    return flag;
  }
};

template <class Module>
class Runner {
 public:
  using Instance = typename Module::Instance;

  explicit Runner(HostCalls calls, const std::vector<Preopen>& preopens = {})
      : host_(std::move(calls), preopens) {
    static std::once_flag module_ready;
    std::call_once(module_ready, [] {
      if (!wasm_rt_is_initialized()) wasm_rt_init();
      if constexpr (guard_pages::kEnabled) guard_pages::install();
      Module::init_module();
    });
    const GuestTurn turn;
    create_instance();
  }
  ~Runner() {
    if (instance_) drop_instance();
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Calls `calls(instance)` with one trap point set for all the guest calls it makes (setting
  // it is a setjmp, too dear per call). Returns WASM_RT_TRAP_NONE, or the trap that ended the
  // batch early, after the instance was replaced. A trap longjmps out of `calls`, skipping its
  // destructors: it must keep no object with a non-trivial destructor alive across a guest call.
  template <class Calls>
  wasm_rt_trap_t batch(Calls&& calls) {
    const GuestTurn turn;
    // 0 on the way in, the trap code on the way back (wasm_rt.hpp).
    const wasm_rt_trap_t trap = static_cast<wasm_rt_trap_t>(ATTESTMQ_WASM_TRAP_POINT());
    if (trap != WASM_RT_TRAP_NONE) {
      host_.calls().log(log_level::kError, describe_trap(trap, instances_created_));
      drop_instance();
      create_instance();
      return trap;
    }
    enter_guest();
    calls(*instance_);
    return WASM_RT_TRAP_NONE;
  }

  Host& host() { return host_; }
  GuestMemory memory() const { return host_.memory(); }
  std::uint64_t instances_created() const { return instances_created_; }

 private:
  void create_instance() {
    // A fresh instance starts with the preopens only: what the dropped one opened is closed,
    // so its descriptor numbers cannot reach the new one's files.
    host_.files().close_opened();
    instance_ = std::make_unique<Instance>();
    Module::instantiate(*instance_, host_);
    host_.attach(Module::memory(*instance_));
    ++instances_created_;
    if (ATTESTMQ_WASM_TRAP_POINT() != WASM_RT_TRAP_NONE) {
      drop_instance();
      throw std::runtime_error("the guest module trapped in _initialize");
    }
    enter_guest();
    Module::initialize(*instance_);
  }

  // Before guest code runs: its share of the native stack, and (with guard pages) the
  // reservation in which a fault is its out-of-bounds access.
  void enter_guest() {
    arm_guest_stack();
    if constexpr (guard_pages::kEnabled) guard_pages::watch(Module::memory(*instance_).data);
  }

  void drop_instance() {
    if constexpr (guard_pages::kEnabled) guard_pages::release_beyond(Module::memory(*instance_));
    Module::free(*instance_);
    instance_.reset();
  }

  Host host_;
  std::unique_ptr<Instance> instance_;
  std::uint64_t instances_created_ = 0;
};

}  // namespace attestmq::wasm
