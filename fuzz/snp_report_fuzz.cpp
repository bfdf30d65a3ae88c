// AMD SEV-SNP attestation reports from an untrusted guest (src/attest/snp/report).
// The report is fixed-size, so most inputs are refused at the size check; libFuzzer's
// mutations of the seed (a real Milan report) keep the size and reach the field decoding.
// Oracles, beyond "no crash, no sanitizer report": a report is accepted exactly when the
// documented conditions hold (size, version range, ECDSA P-384 signature algorithm), a refusal
// names its defect, and accepted fields hold the bytes at the offsets of the AMD SEV-SNP
// Firmware ABI specification (56860, table "ATTESTATION_REPORT Structure").
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "attest/snp/report.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

std::uint32_t little_endian_u32(std::span<const std::uint8_t> bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value |= std::uint32_t{bytes[offset + i]} << (8 * i);
  return value;
}

template <std::size_t N>
bool holds(const std::array<std::uint8_t, N>& field, std::span<const std::uint8_t> bytes,
           std::size_t offset) {
  return std::ranges::equal(field, bytes.subspan(offset, N));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attestmq::attest;
  const std::span<const std::uint8_t> bytes(data, size);
  const SnpReportParse parsed = parse_snp_report(bytes);
  const bool acceptable = size == kSnpReportSize &&
                          little_endian_u32(bytes, 0x00) >= kSnpMinReportVersion &&
                          little_endian_u32(bytes, 0x00) <= kSnpMaxReportVersion &&
                          little_endian_u32(bytes, 0x34) == kSnpSignatureAlgoEcdsaP384Sha384;
  require(parsed.report.has_value() == acceptable);
  if (!parsed.report) {
    require(parsed.defect != SnpReportDefect::none && !parsed.error.empty());
    return 0;
  }
  const SnpReport& report = *parsed.report;
  require(parsed.defect == SnpReportDefect::none);
  require(report.version == little_endian_u32(bytes, 0x00));
  require(report.vmpl == little_endian_u32(bytes, 0x30));
  require(holds(report.report_data, bytes, 0x50) && holds(report.measurement, bytes, 0x90) &&
          holds(report.chip_id, bytes, 0x1A0) && holds(report.signature_r, bytes, 0x2A0) &&
          holds(report.signature_s, bytes, 0x2E8));
  return 0;
}
