#pragma once
// The simulated TEE's report (docs/evidence.md, "Sim report"). SIMULATED, NO SECURITY: the
// signing key is an ordinary file on an ordinary machine.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace attestmq::attest {

inline constexpr std::array<std::uint8_t, 4> kSimMagic = {'A', 'M', 'Q', 'S'};
inline constexpr std::uint16_t kSimVersion = 1;
inline constexpr std::size_t kSimHeaderBytes = 8;      // magic, version (u16 BE), reserved 0
inline constexpr std::size_t kSimSignedBytes = 104;    // header, measurement, report data
inline constexpr std::size_t kSimSignatureBytes = 64;  // ECDSA P-256 r || s, big-endian
inline constexpr std::size_t kSimReportBytes = kSimSignedBytes + kSimSignatureBytes;

struct SimReport {
  std::array<std::uint8_t, 32> measurement{};
  std::array<std::uint8_t, 64> report_data{};
  std::array<std::uint8_t, kSimSignatureBytes> signature{};
};

// The signed part: magic || version || 0x0000 || measurement || report_data.
std::vector<std::uint8_t> sim_signed_bytes(const SimReport& report);
std::vector<std::uint8_t> serialize_sim_report(const SimReport& report);
// Exact size, magic, version and reserved bytes are checked; the signature is not.
std::optional<SimReport> parse_sim_report(std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace attestmq::attest
