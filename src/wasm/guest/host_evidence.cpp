#include "wasm/guest/host_evidence.hpp"

#include <vector>

#include "wasm/guest/host_imports.hpp"

namespace attestmq::wasm::guest {
namespace {

constexpr std::uint64_t kFailed = std::uint64_t{1} << 32;
// Quotes with their certificate chains fit: an SGX or TDX quote is 5 to 10 KB, an SNP report
// with its chain about 6 KB.
constexpr std::uint32_t kFirstCapacity = 16 * 1024;
// More than any real evidence; a runner that claims more is refused rather than obeyed.
constexpr std::uint32_t kMaxEvidence = 1024 * 1024;

}  // namespace

std::string HostEvidence::description() const {
  return std::string(attest::to_string(type_)) + " evidence from the runner's TEE provider";
}

attest::ProviderOutcome HostEvidence::evidence(const attest::ReportData& report_data) {
  std::vector<std::uint8_t> buffer(kFirstCapacity);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::uint64_t answer = attestmq_host_evidence(report_data.data(), buffer.data(),
                                                        static_cast<std::uint32_t>(buffer.size()));
    const std::uint64_t length = answer & (kFailed - 1);
    if ((answer & ~(kFailed - 1)) > kFailed) return {std::nullopt, "the runner's evidence answer is malformed"};
    if ((answer & kFailed) != 0) {
      buffer.resize(std::min<std::uint64_t>(length, buffer.size()));
      return {std::nullopt, std::string(buffer.begin(), buffer.end())};
    }
    if (length == 0) return {std::nullopt, "the runner's TEE provider gave empty evidence"};
    if (length <= buffer.size()) {
      buffer.resize(length);
      return {attest::Evidence{type_, std::move(buffer)}, {}};
    }
    if (length > kMaxEvidence) return {std::nullopt, "the runner's evidence is over 1 MiB"};
    buffer.resize(length);
  }
  return {std::nullopt, "the runner's evidence grew between two calls"};
}

}  // namespace attestmq::wasm::guest
