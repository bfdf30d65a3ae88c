// The runner's own import module, "attestmq": the host calls of the engine ABI
// (docs/architecture.md, "The Wasm runner's host interface"). Answers use WASI's error numbers.
#include <algorithm>
#include <string>

#include "wasm/runner/host.hpp"
#include "wasm/runner/wasi_errno.hpp"

using attestmq::wasm::Host;
namespace wasi_errno = attestmq::wasm::wasi_errno;

// send(connection, bytes, length) -> backlog: bytes the guest wants on a connection's
// socket; answers how many bytes the runner now holds unsent for it, or UINT64_MAX for a
// range outside memory (nothing is sent).
extern "C" std::uint64_t Z_attestmqZ_send(Z_attestmq_instance_t* imports,
                                          std::uint32_t connection, std::uint32_t pointer,
                                          std::uint32_t length) noexcept {
  Host& host = *imports->host;
  const auto bytes = host.memory().span(pointer, length);
  if (!bytes) {
    host.refuse("attestmq send", pointer, length);
    return UINT64_MAX;
  }
  return host.calls().send(connection, *bytes);
}

// close(connection): flush what was sent, then close.
extern "C" std::uint32_t Z_attestmqZ_close(Z_attestmq_instance_t* imports,
                                           std::uint32_t connection) noexcept {
  imports->host->calls().close(connection);
  return wasi_errno::kSuccess;
}

// log(level, text, length): one line of the guest's log, as the engine wrote it (the
// broker's log lines are the guest's); a level above error is taken as error.
extern "C" std::uint32_t Z_attestmqZ_log(Z_attestmq_instance_t* imports, std::uint32_t level,
                                         std::uint32_t pointer, std::uint32_t length) noexcept {
  Host& host = *imports->host;
  const auto text = host.memory().span(pointer, length);
  if (!text) {
    host.refuse("attestmq log", pointer, length);
    return wasi_errno::kFault;
  }
  host.calls().log(std::min(level, attestmq::wasm::log_level::kError),
                   std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  return wasi_errno::kSuccess;
}
