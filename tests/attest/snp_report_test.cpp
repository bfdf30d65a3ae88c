// parse_snp_report: field offsets against the real Milan report, and the parser's refusal
// of every buffer that is not a whole report.
#include "attest/snp/report.hpp"

#include <random>

#include "snp_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace snp_test;

TEST(SnpReport, ReadsEveryFieldOfTheMilanReport) {
  const auto bytes = read_vector_file("attestation.bin");
  const SnpReportParse parsed = parse_snp_report(bytes);
  ASSERT_TRUE(parsed.report) << parsed.error;
  const SnpReport& r = *parsed.report;
  EXPECT_EQ(r.version, 2u);
  EXPECT_EQ(r.guest_svn, 0u);
  EXPECT_EQ(r.policy, kPolicy);
  EXPECT_EQ(r.vmpl, 0u);
  EXPECT_EQ(r.signature_algo, kSnpSignatureAlgoEcdsaP384Sha384);
  EXPECT_EQ(r.current_tcb, kReportedTcb);
  EXPECT_EQ(r.reported_tcb, kReportedTcb);
  EXPECT_EQ(r.committed_tcb, kReportedTcb);
  EXPECT_EQ(r.launch_tcb, kReportedTcb);
  EXPECT_EQ(r.platform_info, 1u);
  EXPECT_FALSE(r.author_key_en);
  EXPECT_FALSE(r.mask_chip_key);
  EXPECT_EQ(r.signing_key, static_cast<std::uint8_t>(SnpSigningKey::vcek));
  EXPECT_EQ(r.report_data[0], 0x01);
  EXPECT_EQ(r.report_data[4], 0x05);
  EXPECT_EQ(r.report_data[5], 0x00);
  EXPECT_EQ(r.measurement.front(), 0xb0);
  EXPECT_EQ(r.measurement.back(), 0x01);
  EXPECT_EQ(r.chip_id.front(), 0x3a);
  EXPECT_EQ(r.chip_id.back(), 0x5d);
  EXPECT_EQ(r.report_id.front(), 0x8e);
  EXPECT_EQ(r.report_id_ma.front(), 0xff);
  EXPECT_EQ(r.current_major, 1);
  EXPECT_EQ(r.current_minor, 0x31);
  EXPECT_EQ(r.current_build, 3);
  EXPECT_EQ(r.committed_major, 1);
  EXPECT_EQ(r.committed_minor, 0x31);
  EXPECT_EQ(r.committed_build, 3);
  EXPECT_EQ(r.signature_r.front(), 0x4f);
  EXPECT_EQ(r.signature_s.front(), 0xe6);
}

TEST(SnpReport, CpuidIdentityIsReadFromVersionThreeOn) {
  auto bytes = read_vector_file("attestation.bin");
  EXPECT_FALSE(parse_snp_report(bytes).report->cpuid_family);  // version 2: reserved
  bytes[0] = 3;
  bytes[0x188] = 0x19;
  bytes[0x189] = 0x01;
  bytes[0x18A] = 0x01;
  const SnpReportParse parsed = parse_snp_report(bytes);
  ASSERT_TRUE(parsed.report);
  EXPECT_EQ(parsed.report->cpuid_family, 0x19);
  EXPECT_EQ(parsed.report->cpuid_model, 0x01);
  EXPECT_EQ(parsed.report->cpuid_stepping, 0x01);
}

TEST(SnpReport, KeyFlagsAreDecoded) {
  auto bytes = read_vector_file("attestation.bin");
  bytes[0x48] = 0x1 | 0x2 | (7 << 2);
  const SnpReportParse parsed = parse_snp_report(bytes);
  ASSERT_TRUE(parsed.report);
  EXPECT_TRUE(parsed.report->author_key_en);
  EXPECT_TRUE(parsed.report->mask_chip_key);
  EXPECT_EQ(parsed.report->signing_key, static_cast<std::uint8_t>(SnpSigningKey::none));
}

TEST(SnpReport, EveryShorterBufferIsRefusedWithItsSize) {
  const auto bytes = read_vector_file("attestation.bin");
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const SnpReportParse parsed = parse_snp_report(std::span(bytes).first(size));
    ASSERT_FALSE(parsed.report) << size;
    EXPECT_EQ(parsed.defect, SnpReportDefect::size) << size;
  }
}

TEST(SnpReport, VersionsTwoToFiveAreReadOthersRefused) {
  auto bytes = read_vector_file("attestation.bin");
  for (std::uint32_t version : {0u, 1u, 6u, 0x100u, 0xffffffffu}) {
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(version >> (8 * i));
    const SnpReportParse parsed = parse_snp_report(bytes);
    EXPECT_EQ(parsed.defect, SnpReportDefect::version) << version;
    EXPECT_NE(parsed.error.find(std::to_string(version)), std::string::npos) << parsed.error;
  }
  for (std::uint32_t version : {2u, 3u, 4u, 5u}) {
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(version >> (8 * i));
    EXPECT_TRUE(parse_snp_report(bytes).report) << version;
  }
}

TEST(SnpReport, SignatureAlgorithmOtherThanEcdsaP384IsRefused) {
  auto bytes = read_vector_file("attestation.bin");
  bytes[0x34] = 0;
  EXPECT_EQ(parse_snp_report(bytes).defect, SnpReportDefect::signature_algo);
}

// Random damage never makes the parser read outside the buffer (run under the asan preset
// to make that visible) and every refusal comes with a reason.
TEST(SnpReport, RandomlyDamagedReportsAreParsedSafely) {
  const auto original = read_vector_file("attestation.bin");
  std::mt19937 rng(20261122);
  for (int round = 0; round < 2000; ++round) {
    auto bytes = original;
    std::uniform_int_distribution<std::size_t> position(0, 0x60);
    for (int flips = 0; flips < 4; ++flips)
      bytes[position(rng)] ^= static_cast<std::uint8_t>(rng());
    bytes.resize(
        std::uniform_int_distribution<std::size_t>(kSnpReportSize - 2, kSnpReportSize + 1)(rng));
    const SnpReportParse parsed = parse_snp_report(bytes);
    EXPECT_EQ(parsed.report.has_value(), parsed.error.empty());
  }
}

}  // namespace
}  // namespace attestmq::attest
