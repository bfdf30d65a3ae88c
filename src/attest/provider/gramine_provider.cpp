#include "attest/provider/gramine_provider.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "attest/envelope/envelope.hpp"
#include "attest/provider/provider_files.hpp"

namespace attestmq::attest {

namespace {
// Intel SGX DCAP quote v3/v4: 48-byte header, then the 384-byte SGX report body whose last
// 64 bytes (offset 320 in the body) are REPORTDATA (Intel SGX ECDSA QuoteLibReference, A.4).
constexpr std::size_t kReportDataOffset = 48 + 320;
constexpr std::size_t kReportDataSize = 64;
}  // namespace

std::unique_ptr<GramineProvider> GramineProvider::open(const std::filesystem::path& root,
                                                       std::string& error) {
  const auto type = read_attribute(root / "attestation_type", error);
  if (!type) return nullptr;
  if (*type != "dcap") {
    error = fmt::format("{}: attestation type is '{}', AttestMQ requires 'dcap'",
                        (root / "attestation_type").string(), *type);
    return nullptr;
  }
  return std::unique_ptr<GramineProvider>(new GramineProvider(root));
}

std::string GramineProvider::description() const {
  return fmt::format("attestation provider sgx-gramine: DCAP quotes from {}", root_.string());
}

SealingKeyOutcome GramineProvider::sealing_key() {
  std::string error;
  auto key = read_pseudo_file(root_ / "keys" / "_sgx_mrenclave", 64, error);
  if (!key) return {{}, error};
  if (key->size() != 16) return {{}, (root_ / "keys" / "_sgx_mrenclave").string() + ": not a 16-byte SGX key"};
  return {std::move(*key), {}, "SGX's MRENCLAVE-bound sealing key (Gramine)"};
}

ProviderOutcome GramineProvider::evidence(const ReportData& report_data) {
  std::string error;
  if (!write_pseudo_file(root_ / "user_report_data", report_data, error)) return {{}, error};
  auto quote = read_pseudo_file(root_ / "quote", kMaxEvidenceBytes, error);
  if (!quote) return {{}, error};
  if (quote->size() < kReportDataOffset + kReportDataSize) {
    return {{},
            fmt::format("{}: {} bytes is too short for an SGX quote", (root_ / "quote").string(),
                        quote->size())};
  }
  if (!std::equal(report_data.begin(), report_data.end(), quote->begin() + kReportDataOffset)) {
    return {{},
            fmt::format("{}: quote does not carry the REPORTDATA just written",
                        (root_ / "quote").string())};
  }
  return {Evidence{EvidenceType::sgx, std::move(*quote)}, {}};
}

}  // namespace attestmq::attest
