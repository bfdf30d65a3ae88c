#pragma once
// The host side of one guest instance: what the imports (wasi_imports.cpp, wasi_files.cpp,
// attestmq_imports.cpp) reach. wasm2c passes each import module's state to its functions as an
// opaque struct named after the module (Z_<module>_instance_t); the runner defines those
// structs, each pointing back at the Host that holds them.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wasm/runner/guest_files.hpp"
#include "wasm/runner/guest_memory.hpp"

namespace attestmq::wasm {
class Host;
}

struct Z_attestmq_instance_t {
  attestmq::wasm::Host* host;
};
struct Z_wasi_snapshot_preview1_instance_t {
  attestmq::wasm::Host* host;
};

namespace attestmq::wasm {

// Log levels as numbers on the import (the engine's broker::LogLevel, which the runner does
// not link).
namespace log_level {
inline constexpr std::uint32_t kDebug = 0, kInfo = 1, kNotice = 2, kWarning = 3, kError = 4;
}

// Where the guest's output goes. The callbacks run while guest code is on the stack: they must
// not throw (the guest's C frames cannot be unwound) and must not call back into the guest.
struct HostCalls {
  // attestmq.send: bytes the guest sends on a connection, valid only during the call.
  // Returns the bytes the host now holds unsent for that connection (flow control).
  std::function<std::uint64_t(std::uint32_t connection, std::span<const std::uint8_t> bytes)> send;
  // attestmq.close: flush, then close the connection.
  std::function<void(std::uint32_t connection)> close;
  // Runner log lines at a level (broker::LogLevel's numbers: 0 debug .. 4 error): the
  // guest's own (attestmq.log), refused import calls and traps.
  std::function<void(std::uint32_t level, std::string_view line)> log;
  // attestmq.evidence: the TEE's evidence over 64 bytes of REPORTDATA into `answer`, true; or
  // false with the reason in `answer`. Unset: the runner has no TEE provider.
  std::function<bool(std::span<const std::uint8_t, 64> report_data, std::vector<std::uint8_t>& answer)>
      evidence;
  // Persistence (unset: the runner keeps none). store_put / store_erase change a record of
  // the runner's database (kind 0..3, bytes valid only during the call); hold(connection): the
  // bytes sent on it from now wait for the commit of every change so far; store_commit commits
  // now. Each answers false when it failed.
  std::function<bool(std::uint8_t kind, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value)>
      store_put = {};
  std::function<bool(std::uint8_t kind, std::span<const std::uint8_t> key)> store_erase = {};
  std::function<void(std::uint32_t connection)> hold = {};
  std::function<bool()> store_commit = {};
  // attestmq.sealing_key: the TEE's sealing key into `answer`, true; or false with the reason.
  std::function<bool(std::vector<std::uint8_t>& answer)> sealing_key = {};
  // attestmq.counter: the TEE's monotonic counter raised to at least `at_least`; nullopt when
  // it failed (logged by the callback).
  std::function<std::optional<std::uint64_t>(std::uint64_t at_least)> counter = {};
};

class Host {
 public:
  // The guest sees `preopens` as its read-only filesystem (guest_files.hpp); none by default.
  explicit Host(HostCalls calls, const std::vector<Preopen>& preopens = {})
      : calls_(std::move(calls)), files_(preopens) {}
  Host(const Host&) = delete;  // the import structs point at this object
  Host& operator=(const Host&) = delete;

  // What a module's instantiate function takes for each import module.
  Z_attestmq_instance_t& attestmq_imports() { return attestmq_imports_; }
  Z_wasi_snapshot_preview1_instance_t& wasi_imports() { return wasi_imports_; }

  // Points the imports at a freshly instantiated guest's memory.
  void attach(const wasm_rt_memory_t& memory) { memory_ = &memory; }
  GuestMemory memory() const { return GuestMemory(*memory_); }

  const HostCalls& calls() const { return calls_; }
  GuestFiles& files() { return files_; }

  // An import call whose pointer or length lies outside memory: answered with an error code,
  // never acted on, and logged so that a misbehaving guest is visible.
  void refuse(std::string_view import, std::uint32_t pointer, std::uint64_t length);
  // The guest's range for `import`, or nullopt once the call was refused as above.
  std::optional<std::span<std::uint8_t>> range(std::string_view import, std::uint32_t pointer, std::uint64_t length) {
    auto bytes = memory().span(pointer, length);
    if (!bytes) refuse(import, pointer, length);
    return bytes;
  }
  std::uint64_t refused_calls() const { return refused_calls_; }

 private:
  HostCalls calls_;
  GuestFiles files_;
  Z_attestmq_instance_t attestmq_imports_{this};
  Z_wasi_snapshot_preview1_instance_t wasi_imports_{this};
  const wasm_rt_memory_t* memory_ = nullptr;
  std::uint64_t refused_calls_ = 0;
};

}  // namespace attestmq::wasm
