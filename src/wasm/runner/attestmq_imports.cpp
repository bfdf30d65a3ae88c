// The runner's own import module, "attestmq": the host calls of the engine ABI
// (docs/architecture.md, "The Wasm runner's host interface"). Answers use WASI's error numbers.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

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

// evidence(report_data, out, capacity) -> length | failed << 32: the TEE's evidence over the
// 64 bytes at report_data, or (failed) the reason it has none. Written to out only when it
// fits in capacity; the guest asks again with a larger buffer otherwise.
extern "C" std::uint64_t Z_attestmqZ_evidence(Z_attestmq_instance_t* imports, std::uint32_t report_data,
                                              std::uint32_t out, std::uint32_t capacity) noexcept {
  constexpr std::uint64_t kFailed = std::uint64_t{1} << 32;
  Host& host = *imports->host;
  const auto data = host.memory().span(report_data, 64);
  if (!data) {
    host.refuse("attestmq evidence", report_data, 64);
    return kFailed;
  }
  if (!host.memory().span(out, capacity)) {
    host.refuse("attestmq evidence", out, capacity);
    return kFailed;
  }
  // A copy: the provider must see the bytes the guest gave, whatever happens to its memory.
  std::array<std::uint8_t, 64> copied{};
  std::memcpy(copied.data(), data->data(), copied.size());
  std::vector<std::uint8_t> answer;
  bool produced = false;
  if (host.calls().evidence) {
    produced = host.calls().evidence(copied, answer);
  } else {
    const std::string_view reason = "this runner has no TEE provider (--tee)";
    answer.assign(reason.begin(), reason.end());
  }
  // Evidence and reasons are far below 4 GiB; a reason is cut to fit, evidence never is.
  if (!produced && answer.size() > capacity) answer.resize(capacity);
  if (answer.size() > UINT32_MAX) return kFailed;
  if (answer.size() <= capacity) {
    const auto target = host.memory().span(out, static_cast<std::uint32_t>(answer.size()));
    if (target && !answer.empty()) std::memcpy(target->data(), answer.data(), answer.size());
  }
  return answer.size() | (produced ? 0 : kFailed);
}
