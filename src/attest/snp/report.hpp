#pragma once
// The SEV-SNP ATTESTATION_REPORT structure (AMD SEV-SNP Firmware ABI specification 56860,
// section 7.3, table "ATTESTATION_REPORT Structure"): 1184 bytes, little-endian, signed by
// the VCEK over bytes [0, 0x2A0).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace attestmq::attest {

inline constexpr std::size_t kSnpReportSize = 0x4A0;
inline constexpr std::size_t kSnpSignedSize = 0x2A0;           // the signature covers [0, 0x2A0)
inline constexpr std::size_t kSnpSignatureComponentSize = 72;  // r and s, little-endian
inline constexpr std::uint32_t kSnpMinReportVersion = 2;
// Versions 3 to 5 only fill fields that were reserved in version 2 (CPUID identity,
// mitigation vectors); a later version may move fields, so it is refused until read.
inline constexpr std::uint32_t kSnpMaxReportVersion = 5;
inline constexpr std::uint32_t kSnpSignatureAlgoEcdsaP384Sha384 = 1;

// SIGNING_KEY field of the report (bits 4:2 of the word at 0x48).
enum class SnpSigningKey : std::uint8_t { vcek = 0, vlek = 1, none = 7 };

struct SnpReport {
  std::uint32_t version = 0;
  std::uint32_t guest_svn = 0;
  std::uint64_t policy = 0;
  std::array<std::uint8_t, 16> family_id{};
  std::array<std::uint8_t, 16> image_id{};
  std::uint32_t vmpl = 0;
  std::uint32_t signature_algo = 0;
  std::uint64_t current_tcb = 0;
  std::uint64_t platform_info = 0;
  bool author_key_en = false;
  bool mask_chip_key = false;
  std::uint8_t signing_key = 0;  // compare with SnpSigningKey; other values are reserved
  std::array<std::uint8_t, 64> report_data{};
  std::array<std::uint8_t, 48> measurement{};
  std::array<std::uint8_t, 32> host_data{};
  std::array<std::uint8_t, 48> id_key_digest{};
  std::array<std::uint8_t, 48> author_key_digest{};
  std::array<std::uint8_t, 32> report_id{};
  std::array<std::uint8_t, 32> report_id_ma{};
  std::uint64_t reported_tcb = 0;
  // CPUID family, model and stepping of the chip (version 3 and later; absent before).
  std::optional<std::uint8_t> cpuid_family, cpuid_model, cpuid_stepping;
  std::array<std::uint8_t, 64> chip_id{};
  std::uint64_t committed_tcb = 0;
  std::uint8_t current_build = 0, current_minor = 0, current_major = 0;
  std::uint8_t committed_build = 0, committed_minor = 0, committed_major = 0;
  std::uint64_t launch_tcb = 0;
  std::array<std::uint8_t, kSnpSignatureComponentSize> signature_r{};  // little-endian
  std::array<std::uint8_t, kSnpSignatureComponentSize> signature_s{};  // little-endian
};

// What made a buffer unreadable as a report; each maps to its own verifier check.
enum class SnpReportDefect { none, size, version, signature_algo };

struct SnpReportParse {
  std::optional<SnpReport> report;
  SnpReportDefect defect = SnpReportDefect::none;
  std::string error;  // why `report` is empty, in English
};

// Reads a report. Refused: a buffer that is not exactly kSnpReportSize bytes (a report is
// fixed-size, so trailing bytes mean the caller framed it wrong), a version outside
// [kSnpMinReportVersion, kSnpMaxReportVersion], a signature algorithm other than ECDSA
// P-384 with SHA-384.
SnpReportParse parse_snp_report(std::span<const std::uint8_t> bytes);

}  // namespace attestmq::attest
