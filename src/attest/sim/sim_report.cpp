#include "attest/sim/sim_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace attestmq::attest {

std::vector<std::uint8_t> sim_signed_bytes(const SimReport& report) {
  std::vector<std::uint8_t> out(kSimMagic.begin(), kSimMagic.end());
  out.push_back(static_cast<std::uint8_t>(kSimVersion >> 8));
  out.push_back(static_cast<std::uint8_t>(kSimVersion & 0xff));
  out.push_back(0);
  out.push_back(0);
  out.insert(out.end(), report.measurement.begin(), report.measurement.end());
  out.insert(out.end(), report.report_data.begin(), report.report_data.end());
  return out;
}

std::vector<std::uint8_t> serialize_sim_report(const SimReport& report) {
  auto out = sim_signed_bytes(report);
  out.insert(out.end(), report.signature.begin(), report.signature.end());
  return out;
}

std::optional<SimReport> parse_sim_report(std::span<const std::uint8_t> bytes, std::string& error) {
  if (bytes.size() != kSimReportBytes) {
    error = fmt::format("sim report is {} bytes, expected {}", bytes.size(), kSimReportBytes);
    return std::nullopt;
  }
  if (!std::equal(kSimMagic.begin(), kSimMagic.end(), bytes.begin())) {
    error = "sim report: bad magic (expected \"AMQS\")";
    return std::nullopt;
  }
  const unsigned version = static_cast<unsigned>(bytes[4]) << 8 | bytes[5];
  if (version != kSimVersion) {
    error = fmt::format("sim report: unsupported version {}", version);
    return std::nullopt;
  }
  if (bytes[6] != 0 || bytes[7] != 0) {
    error = "sim report: reserved bytes are not zero";
    return std::nullopt;
  }
  SimReport report;
  auto cursor = bytes.begin() + kSimHeaderBytes;
  std::copy_n(cursor, 32, report.measurement.begin());
  std::copy_n(cursor + 32, 64, report.report_data.begin());
  std::copy_n(cursor + 96, kSimSignatureBytes, report.signature.begin());
  return report;
}

}  // namespace attestmq::attest
