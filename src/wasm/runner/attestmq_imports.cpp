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
  const auto bytes = host.range("attestmq send", pointer, length);
  if (!bytes) return UINT64_MAX;
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
  const auto text = host.range("attestmq log", pointer, length);
  if (!text) return wasi_errno::kFault;
  host.calls().log(std::min(level, attestmq::wasm::log_level::kError),
                   std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  return wasi_errno::kSuccess;
}

namespace {

constexpr std::uint64_t kFailed = std::uint64_t{1} << 32;

// The answer of an import that returns bytes or the reason there are none (evidence,
// sealing_key): the length, with bit 32 set for a reason. Written to out only when it fits in
// capacity; the guest asks again with a larger buffer otherwise. A reason is cut to fit; bytes
// never are.
std::uint64_t answer_bytes(Host& host, std::uint32_t out, std::uint32_t capacity, bool produced,
                           std::vector<std::uint8_t>& answer) {
  if (!produced && answer.size() > capacity) answer.resize(capacity);
  if (answer.size() > UINT32_MAX) return kFailed;
  if (answer.size() <= capacity) {
    const auto target = host.memory().span(out, static_cast<std::uint32_t>(answer.size()));
    if (target && !answer.empty()) std::memcpy(target->data(), answer.data(), answer.size());
  }
  return answer.size() | (produced ? 0 : kFailed);
}

std::vector<std::uint8_t> reason(std::string_view text) { return {text.begin(), text.end()}; }

}  // namespace

// evidence(report_data, out, capacity) -> length | failed << 32: the TEE's evidence over the
// 64 bytes at report_data, or (failed) the reason it has none.
extern "C" std::uint64_t Z_attestmqZ_evidence(Z_attestmq_instance_t* imports, std::uint32_t report_data,
                                              std::uint32_t out, std::uint32_t capacity) noexcept {
  Host& host = *imports->host;
  const auto data = host.range("attestmq evidence", report_data, 64);
  if (!data || !host.range("attestmq evidence", out, capacity)) return kFailed;
  // A copy: the provider must see the bytes the guest gave, whatever happens to its memory.
  std::array<std::uint8_t, 64> copied{};
  std::memcpy(copied.data(), data->data(), copied.size());
  std::vector<std::uint8_t> answer = reason("this runner has no TEE provider (--tee)");
  const bool produced = host.calls().evidence && host.calls().evidence(copied, answer);
  return answer_bytes(host, out, capacity, produced, answer);
}

// sealing_key(out, capacity) -> length | failed << 32: the TEE's sealing key, or the reason
// there is none.
extern "C" std::uint64_t Z_attestmqZ_sealing_key(Z_attestmq_instance_t* imports, std::uint32_t out,
                                                 std::uint32_t capacity) noexcept {
  Host& host = *imports->host;
  if (!host.range("attestmq sealing_key", out, capacity)) return kFailed;
  std::vector<std::uint8_t> answer = reason("this runner has no TEE provider (--tee)");
  const bool produced = host.calls().sealing_key && host.calls().sealing_key(answer);
  const std::uint64_t result = answer_bytes(host, out, capacity, produced, answer);
  std::fill(answer.begin(), answer.end(), 0);  // the runner keeps no copy of the key
  return result;
}

// counter(at_least) -> value, or UINT64_MAX when it failed or there is none.
extern "C" std::uint64_t Z_attestmqZ_counter(Z_attestmq_instance_t* imports, std::uint64_t at_least) noexcept {
  Host& host = *imports->host;
  if (!host.calls().counter) return UINT64_MAX;
  return host.calls().counter(at_least).value_or(UINT64_MAX);
}

// store_put(kind, key, key_length, value, value_length): one record of the runner's database.
extern "C" std::uint32_t Z_attestmqZ_store_put(Z_attestmq_instance_t* imports, std::uint32_t kind,
                                               std::uint32_t key, std::uint32_t key_length, std::uint32_t value,
                                               std::uint32_t value_length) noexcept {
  Host& host = *imports->host;
  const auto key_bytes = host.range("attestmq store_put", key, key_length);
  const auto value_bytes = key_bytes ? host.range("attestmq store_put", value, value_length) : std::nullopt;
  if (!value_bytes) return wasi_errno::kFault;
  if (!host.calls().store_put) return wasi_errno::kNosys;
  if (kind > 3) return wasi_errno::kInval;
  return host.calls().store_put(static_cast<std::uint8_t>(kind), *key_bytes, *value_bytes) ? wasi_errno::kSuccess
                                                                                            : wasi_errno::kIo;
}

// store_erase(kind, key, key_length).
extern "C" std::uint32_t Z_attestmqZ_store_erase(Z_attestmq_instance_t* imports, std::uint32_t kind,
                                                 std::uint32_t key, std::uint32_t key_length) noexcept {
  Host& host = *imports->host;
  const auto key_bytes = host.range("attestmq store_erase", key, key_length);
  if (!key_bytes) return wasi_errno::kFault;
  if (!host.calls().store_erase) return wasi_errno::kNosys;
  if (kind > 3) return wasi_errno::kInval;
  return host.calls().store_erase(static_cast<std::uint8_t>(kind), *key_bytes) ? wasi_errno::kSuccess
                                                                              : wasi_errno::kIo;
}

// hold(connection): what is sent on it from now waits for the commit of every change so far.
extern "C" std::uint32_t Z_attestmqZ_hold(Z_attestmq_instance_t* imports, std::uint32_t connection) noexcept {
  if (!imports->host->calls().hold) return wasi_errno::kNosys;
  imports->host->calls().hold(connection);
  return wasi_errno::kSuccess;
}

// store_commit(): every change so far, durable now.
extern "C" std::uint32_t Z_attestmqZ_store_commit(Z_attestmq_instance_t* imports) noexcept {
  if (!imports->host->calls().store_commit) return wasi_errno::kNosys;
  return imports->host->calls().store_commit() ? wasi_errno::kSuccess : wasi_errno::kIo;
}
