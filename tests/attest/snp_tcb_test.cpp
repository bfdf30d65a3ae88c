// TCB_VERSION decoding per product, and the comparison of a report's TCB with the one its
// VCEK was issued for (read from the real Milan VCEK's extensions).
#include "attest/snp/tcb.hpp"

#include "attest/snp/amd_certs.hpp"
#include "attest/snp/vcek_extensions.hpp"
#include "snp_test_data.hpp"

namespace attestmq::attest {
namespace {

using namespace snp_test;

X509Ptr milan_vcek() {
  AmdCertificateLoad load = load_amd_certificates(read_vector_file("vcek.testcer"));
  EXPECT_TRUE(load.error.empty()) << load.error;
  return load.certs.empty() ? nullptr : std::move(load.certs.front());
}

TEST(SnpTcb, MilanLayoutPutsSnpInByteSix) {
  const SnpTcb tcb = decode_snp_tcb(kReportedTcb, AmdProduct::milan);
  EXPECT_FALSE(tcb.fmc);
  EXPECT_EQ(tcb.bootloader, 2);
  EXPECT_EQ(tcb.tee, 0);
  EXPECT_EQ(tcb.snp, 5);
  EXPECT_EQ(tcb.microcode, 0x44);
  EXPECT_EQ(to_string(tcb), "bl=2 tee=0 snp=5 ucode=68");
  EXPECT_EQ(decode_snp_tcb(kReportedTcb, AmdProduct::genoa), tcb);
}

TEST(SnpTcb, TurinLayoutStartsWithFmc) {
  const SnpTcb tcb = decode_snp_tcb(0x4800000004030201, AmdProduct::turin);
  ASSERT_TRUE(tcb.fmc);
  EXPECT_EQ(*tcb.fmc, 1);
  EXPECT_EQ(tcb.bootloader, 2);
  EXPECT_EQ(tcb.tee, 3);
  EXPECT_EQ(tcb.snp, 4);
  EXPECT_EQ(tcb.microcode, 0x48);
  EXPECT_EQ(to_string(tcb), "fmc=1 bl=2 tee=3 snp=4 ucode=72");
}

TEST(SnpTcb, MilanVcekExtensionsHoldTheReportsTcbAndChipId) {
  const X509Ptr vcek = milan_vcek();
  ASSERT_TRUE(vcek);
  const VcekExtensionsRead read = read_vcek_extensions(vcek.get(), AmdProduct::milan);
  ASSERT_TRUE(read.extensions) << read.error;
  EXPECT_EQ(read.extensions->tcb, decode_snp_tcb(kReportedTcb, AmdProduct::milan));
  ASSERT_EQ(read.extensions->hardware_id.size(), 64u);
  EXPECT_EQ(read.extensions->hardware_id.front(), 0x3a);
  EXPECT_EQ(read.extensions->hardware_id.back(), 0x5d);
  EXPECT_EQ(snp_tcb_mismatch(decode_snp_tcb(kReportedTcb, AmdProduct::milan), read.extensions->tcb),
            "");
}

TEST(SnpTcb, ChangedReportedTcbIsDetectedAgainstTheVcek) {
  const X509Ptr vcek = milan_vcek();
  ASSERT_TRUE(vcek);
  const VcekExtensionsRead read = read_vcek_extensions(vcek.get(), AmdProduct::milan);
  ASSERT_TRUE(read.extensions) << read.error;
  const std::uint64_t newer_snp = (kReportedTcb & ~(0xffull << 48)) | (6ull << 48);
  EXPECT_EQ(snp_tcb_mismatch(decode_snp_tcb(newer_snp, AmdProduct::milan), read.extensions->tcb),
            "snp: report 6, VCEK 5");
  const std::uint64_t older_everything = 0x4304000000000001;
  EXPECT_EQ(
      snp_tcb_mismatch(decode_snp_tcb(older_everything, AmdProduct::milan), read.extensions->tcb),
      "bootloader: report 1, VCEK 2, snp: report 4, VCEK 5, microcode: report 67, VCEK 68");
}

TEST(SnpTcb, FmcPresentOnOneSideOnlyIsAMismatch) {
  const SnpTcb turin = decode_snp_tcb(0, AmdProduct::turin);
  const SnpTcb milan = decode_snp_tcb(0, AmdProduct::milan);
  EXPECT_NE(snp_tcb_mismatch(turin, milan), "");
}

TEST(SnpTcb, TurinVcekNeedsFmcExtension) {
  // The Milan VCEK has no fmcSPL (1.3.6.1.4.1.3704.1.3.9): read as Turin it must fail.
  const X509Ptr vcek = milan_vcek();
  ASSERT_TRUE(vcek);
  const VcekExtensionsRead read = read_vcek_extensions(vcek.get(), AmdProduct::turin);
  EXPECT_FALSE(read.extensions);
  EXPECT_NE(read.error.find("1.3.6.1.4.1.3704.1.3.9"), std::string::npos) << read.error;
}

TEST(SnpTcb, ClaimsNameEachComponent) {
  std::map<std::string, std::string> claims;
  add_snp_tcb_claims("reported_tcb", kReportedTcb, decode_snp_tcb(kReportedTcb, AmdProduct::milan),
                     claims);
  EXPECT_EQ(claims.at("reported_tcb"), "0x4405000000000002");
  EXPECT_EQ(claims.at("reported_tcb.snp"), "5");
  EXPECT_EQ(claims.at("reported_tcb.microcode"), "68");
  EXPECT_EQ(claims.count("reported_tcb.fmc"), 0u);
}

}  // namespace
}  // namespace attestmq::attest
