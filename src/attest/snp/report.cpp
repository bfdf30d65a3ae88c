#include "attest/snp/report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace attestmq::attest {
namespace {

// Field offsets from the ABI specification's ATTESTATION_REPORT table.
constexpr std::size_t kVersion = 0x00, kGuestSvn = 0x04, kPolicy = 0x08, kFamilyId = 0x10,
                      kImageId = 0x20, kVmpl = 0x30, kSignatureAlgo = 0x34, kCurrentTcb = 0x38,
                      kPlatformInfo = 0x40, kKeyFlags = 0x48, kReportData = 0x50,
                      kMeasurement = 0x90, kHostData = 0xC0, kIdKeyDigest = 0xE0,
                      kAuthorKeyDigest = 0x110, kReportId = 0x140, kReportIdMa = 0x160,
                      kReportedTcb = 0x180, kCpuidFamily = 0x188, kCpuidModel = 0x189,
                      kCpuidStepping = 0x18A, kChipId = 0x1A0, kCommittedTcb = 0x1E0,
                      kCurrentBuild = 0x1E8, kCurrentMinor = 0x1E9, kCurrentMajor = 0x1EA,
                      kCommittedBuild = 0x1EC, kCommittedMinor = 0x1ED, kCommittedMajor = 0x1EE,
                      kLaunchTcb = 0x1F0, kSignatureR = 0x2A0, kSignatureS = 0x2E8;

// Every read goes through this view; the caller has already established that the buffer
// is kSnpReportSize long and every offset above lies inside it.
class ReportBytes {
 public:
  explicit ReportBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  template <typename Uint>
  Uint le(std::size_t offset) const {
    Uint value = 0;
    for (std::size_t i = sizeof(Uint); i-- > 0;) value = (value << 8) | bytes_[offset + i];
    return value;
  }

  template <std::size_t N>
  void copy(std::size_t offset, std::array<std::uint8_t, N>& out) const {
    const auto field = bytes_.subspan(offset, N);
    std::copy(field.begin(), field.end(), out.begin());
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

static_assert(kSignatureS + kSnpSignatureComponentSize <= kSnpReportSize);

}  // namespace

SnpReportParse parse_snp_report(std::span<const std::uint8_t> bytes) {
  SnpReportParse result;
  if (bytes.size() != kSnpReportSize) {
    result.defect = SnpReportDefect::size;
    result.error =
        fmt::format("an SEV-SNP report is {} bytes, got {}", kSnpReportSize, bytes.size());
    return result;
  }
  const ReportBytes in(bytes);
  SnpReport r;
  r.version = in.le<std::uint32_t>(kVersion);
  if (r.version < kSnpMinReportVersion || r.version > kSnpMaxReportVersion) {
    result.defect = SnpReportDefect::version;
    result.error = fmt::format("report version {} is not supported (accepted: {} to {})", r.version,
                               kSnpMinReportVersion, kSnpMaxReportVersion);
    return result;
  }
  r.signature_algo = in.le<std::uint32_t>(kSignatureAlgo);
  if (r.signature_algo != kSnpSignatureAlgoEcdsaP384Sha384) {
    result.defect = SnpReportDefect::signature_algo;
    result.error =
        fmt::format("signature algorithm {} is not supported (only 1, ECDSA P-384 with SHA-384)",
                    r.signature_algo);
    return result;
  }
  r.guest_svn = in.le<std::uint32_t>(kGuestSvn);
  r.policy = in.le<std::uint64_t>(kPolicy);
  in.copy(kFamilyId, r.family_id);
  in.copy(kImageId, r.image_id);
  r.vmpl = in.le<std::uint32_t>(kVmpl);
  r.current_tcb = in.le<std::uint64_t>(kCurrentTcb);
  r.platform_info = in.le<std::uint64_t>(kPlatformInfo);
  const auto key_flags = in.le<std::uint32_t>(kKeyFlags);
  r.author_key_en = (key_flags & 0x1) != 0;
  r.mask_chip_key = (key_flags & 0x2) != 0;
  r.signing_key = static_cast<std::uint8_t>((key_flags >> 2) & 0x7);
  in.copy(kReportData, r.report_data);
  in.copy(kMeasurement, r.measurement);
  in.copy(kHostData, r.host_data);
  in.copy(kIdKeyDigest, r.id_key_digest);
  in.copy(kAuthorKeyDigest, r.author_key_digest);
  in.copy(kReportId, r.report_id);
  in.copy(kReportIdMa, r.report_id_ma);
  r.reported_tcb = in.le<std::uint64_t>(kReportedTcb);
  if (r.version >= 3) {
    r.cpuid_family = in.le<std::uint8_t>(kCpuidFamily);
    r.cpuid_model = in.le<std::uint8_t>(kCpuidModel);
    r.cpuid_stepping = in.le<std::uint8_t>(kCpuidStepping);
  }
  in.copy(kChipId, r.chip_id);
  r.committed_tcb = in.le<std::uint64_t>(kCommittedTcb);
  r.current_build = in.le<std::uint8_t>(kCurrentBuild);
  r.current_minor = in.le<std::uint8_t>(kCurrentMinor);
  r.current_major = in.le<std::uint8_t>(kCurrentMajor);
  r.committed_build = in.le<std::uint8_t>(kCommittedBuild);
  r.committed_minor = in.le<std::uint8_t>(kCommittedMinor);
  r.committed_major = in.le<std::uint8_t>(kCommittedMajor);
  r.launch_tcb = in.le<std::uint64_t>(kLaunchTcb);
  in.copy(kSignatureR, r.signature_r);
  in.copy(kSignatureS, r.signature_s);
  result.report = r;
  return result;
}

}  // namespace attestmq::attest
