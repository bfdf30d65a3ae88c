#include "wasm/guest/host_provider.hpp"

#include <cstdint>
#include <functional>
#include <variant>
#include <vector>

#include "wasm/guest/host_imports.hpp"

namespace attestmq::wasm::guest {
namespace {

constexpr std::uint64_t kFailed = std::uint64_t{1} << 32;
// Quotes with their certificate chains fit: an SGX or TDX quote is 5 to 10 KB, an SNP report
// with its chain about 6 KB.
constexpr std::uint32_t kFirstCapacity = 16 * 1024;
// More than any real evidence; a runner that claims more is refused rather than obeyed.
constexpr std::uint32_t kMaxAnswer = 1024 * 1024;

// Bytes from an import that answers as `evidence` does: the length, with bit 32 set when
// the buffer holds the reason instead; asked again with a larger buffer when they did not fit.
// The bytes, or the reason there are none.
std::variant<std::vector<std::uint8_t>, std::string> ask_runner(
    const std::function<std::uint64_t(std::uint8_t*, std::uint32_t)>& call, std::string_view what) {
  std::vector<std::uint8_t> buffer(kFirstCapacity);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::uint64_t answer = call(buffer.data(), static_cast<std::uint32_t>(buffer.size()));
    const std::uint64_t length = answer & (kFailed - 1);
    if ((answer & ~(kFailed - 1)) > kFailed) return "the runner's " + std::string(what) + " answer is malformed";
    if ((answer & kFailed) != 0) {
      buffer.resize(std::min<std::uint64_t>(length, buffer.size()));
      return std::string(buffer.begin(), buffer.end());
    }
    if (length == 0) return "the runner's TEE provider gave an empty " + std::string(what);
    if (length <= buffer.size()) {
      buffer.resize(length);
      return buffer;
    }
    if (length > kMaxAnswer) return "the runner's " + std::string(what) + " is over 1 MiB";
    buffer.resize(length);
  }
  return "the runner's " + std::string(what) + " grew between two calls";
}

}  // namespace

std::string HostProvider::description() const {
  return std::string(attest::to_string(type_)) + " evidence from the runner's TEE provider";
}

attest::ProviderOutcome HostProvider::evidence(const attest::ReportData& report_data) {
  auto answer = ask_runner(
      [&](std::uint8_t* out, std::uint32_t capacity) { return attestmq_host_evidence(report_data.data(), out, capacity); },
      "evidence");
  if (auto* reason = std::get_if<std::string>(&answer)) return {std::nullopt, std::move(*reason)};
  return {attest::Evidence{type_, std::get<std::vector<std::uint8_t>>(std::move(answer))}, {}};
}

attest::SealingKeyOutcome HostProvider::sealing_key() {
  // A lambda, not the import's address: wabt 1.0.32 calls an import taken by address with the
  // wrong instance.
  auto answer = ask_runner(
      [](std::uint8_t* out, std::uint32_t capacity) { return attestmq_host_sealing_key(out, capacity); },
      "sealing key");
  if (auto* reason = std::get_if<std::string>(&answer)) return {{}, std::move(*reason)};
  return {std::get<std::vector<std::uint8_t>>(std::move(answer)), {}};
}

attest::CounterOutcome HostProvider::raise_counter(std::uint64_t at_least) {
  if (!has_counter_) return {std::nullopt, description() + " has no trusted monotonic counter"};
  const std::uint64_t value = attestmq_host_counter(at_least);
  // The runner is not trusted to have raised it: a lower answer is a failure.
  if (value == UINT64_MAX || value < at_least)
    return {std::nullopt, "the runner's TEE counter failed (its log says why)"};
  return {value, {}};
}

}  // namespace attestmq::wasm::guest
