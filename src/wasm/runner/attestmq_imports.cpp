// The runner's own import module, "attestmq": the host calls of the engine ABI
// (docs/architecture.md, "The Wasm runner's host interface"). Answers use WASI's error numbers.
#include <string>

#include "wasm/runner/host.hpp"
#include "wasm/runner/wasi_errno.hpp"

using attestmq::wasm::Host;
namespace wasi_errno = attestmq::wasm::wasi_errno;

// send(connection, bytes, length): bytes the guest wants on a connection's socket.
extern "C" std::uint32_t Z_attestmqZ_send(Z_attestmq_instance_t* imports,
                                          std::uint32_t connection, std::uint32_t pointer,
                                          std::uint32_t length) noexcept {
  Host& host = *imports->host;
  const auto bytes = host.memory().span(pointer, length);
  if (!bytes) {
    host.refuse("attestmq send", pointer, length);
    return wasi_errno::kFault;
  }
  host.calls().send(connection, *bytes);
  return wasi_errno::kSuccess;
}

// log(text, length): one line of the guest's log, marked as the guest's in the runner's log.
extern "C" std::uint32_t Z_attestmqZ_log(Z_attestmq_instance_t* imports, std::uint32_t pointer,
                                         std::uint32_t length) noexcept {
  Host& host = *imports->host;
  const auto text = host.memory().span(pointer, length);
  if (!text) {
    host.refuse("attestmq log", pointer, length);
    return wasi_errno::kFault;
  }
  host.calls().log("guest: " + std::string(text->begin(), text->end()));
  return wasi_errno::kSuccess;
}
