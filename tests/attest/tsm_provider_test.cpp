// The configfs-tsm provider against a fixture that behaves like the kernel: inblob and
// outblob are FIFOs served by a "kernel" thread that reads the request, advances the
// generation counter and writes the outblob. No real TDX or SEV-SNP hardware is involved.
#include "attest/provider/tsm_provider.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <utility>

#include "attest/envelope/envelope.hpp"
#include "attest/verifier.hpp"
#include "provider_test_support.hpp"
#include "snp_synthetic_chain.hpp"
#include "snp_test_data.hpp"

namespace attestmq::attest {
namespace {

using testing::attest_data;
using testing::read_bytes;
using testing::ScratchDir;
using testing::write_text;

class FakeTsmKernel {
 public:
  FakeTsmKernel(const std::filesystem::path& root, const std::string& provider) {
    entry_ = root / "report" / "attestmq";
    std::filesystem::create_directories(entry_);
    write_text(entry_ / "provider", provider + "\n");
    write_text(entry_ / "generation", "7\n");
    EXPECT_EQ(::mkfifo((entry_ / "inblob").c_str(), 0600), 0);
    EXPECT_EQ(::mkfifo((entry_ / "outblob").c_str(), 0600), 0);
  }
  ~FakeTsmKernel() {
    if (kernel_.joinable()) kernel_.join();
  }

  // Serves one request; `extra_writers` other processes' inblob writes land in between.
  void serve(std::vector<std::uint8_t> outblob, int extra_writers = 0) {
    kernel_ = std::thread([this, outblob = std::move(outblob), extra_writers] {
      const int in = ::open((entry_ / "inblob").c_str(), O_RDONLY);
      std::uint8_t chunk[256];
      for (ssize_t n; (n = ::read(in, chunk, sizeof chunk)) > 0;) {
        inblob_.insert(inblob_.end(), chunk, chunk + n);
      }
      ::close(in);
      const auto next = entry_ / "generation.next";
      write_text(next, std::to_string(8 + extra_writers) + "\n");
      std::filesystem::rename(next, entry_ / "generation");
      const int out = ::open((entry_ / "outblob").c_str(), O_WRONLY);
      EXPECT_EQ(::write(out, outblob.data(), outblob.size()), static_cast<ssize_t>(outblob.size()));
      ::close(out);
    });
  }

  void join() { kernel_.join(); }
  const std::vector<std::uint8_t>& inblob() const { return inblob_; }

 private:
  std::filesystem::path entry_;
  std::thread kernel_;
  std::vector<std::uint8_t> inblob_;
};

TEST(TsmProvider, TdxQuoteIntoAnEnvelope) {
  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "tdx_guest");
  const auto quote = read_bytes(attest_data("dcap-qvl/tdx_quote"));
  kernel.serve(quote);
  Claims claims;
  claims.nonce.assign(16, 9);
  std::string error;
  const auto envelope = testing::envelope_from("tsm", root.path(), claims, error);
  kernel.join();
  ASSERT_TRUE(envelope) << error;
  // The provider names the evidence type (tdx_guest -> tdx), and REPORTDATA commits to it.
  claims.evidence_type = EvidenceType::tdx;
  EXPECT_EQ(parse_envelope(*envelope, error)->claims, claims);
  const auto report_data = *compute_report_data(claims);
  EXPECT_EQ(kernel.inblob(), std::vector<std::uint8_t>(report_data.begin(), report_data.end()));
  // A genuine quote, but for some other REPORTDATA: verified, then rejected for the binding.
  VerifyRequest request;
  request.collateral_json = testing::read_text(attest_data("dcap-qvl/tdx_quote_collateral.json"));
  request.at_unix = 1751328000;  // 2025-07-01
  const auto result = verify_evidence(*envelope, request);
  ASSERT_NE(result.first_failure(), nullptr);
  EXPECT_EQ(result.first_failure()->name, "envelope.report_data");
}

TEST(TsmProvider, GenerationRaceDiscardsTheOutblob) {
  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "sev_guest");
  kernel.serve(read_bytes(attest_data("go-sev-guest-milan/attestation.bin")), 1);
  std::string error;
  auto provider = TsmProvider::open(root.path(), "attestmq", error);
  ASSERT_TRUE(provider) << error;
  EXPECT_EQ(provider->type(), EvidenceType::snp);
  const auto outcome = provider->evidence(ReportData{});
  kernel.join();
  EXPECT_FALSE(outcome.evidence);
  EXPECT_NE(outcome.error.find("generation went from 7 to 9"), std::string::npos) << outcome.error;
}

TEST(TsmProvider, SnpReportWithoutRace) {
  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "sev_guest");
  const auto report = read_bytes(attest_data("go-sev-guest-milan/attestation.bin"));
  kernel.serve(report);
  std::string error;
  auto provider = TsmProvider::open(root.path(), "attestmq", error);
  ASSERT_TRUE(provider) << error;
  const auto outcome = provider->evidence(ReportData{});
  kernel.join();
  ASSERT_TRUE(outcome.evidence) << outcome.error;
  EXPECT_EQ(outcome.evidence->type, EvidenceType::snp);
  EXPECT_EQ(outcome.evidence->bytes, report);
}

// The whole path with a report the verifier can accept: the Milan report carrying this
// envelope's REPORTDATA (offset 0x50), re-signed by a synthetic VCEK whose ARK the request
// pins. The guest is a debug guest, so the policy decides.
TEST(TsmProvider, SnpEnvelopeAcceptedOrRejectedByPolicy) {
  using namespace snp_test;
  Claims claims;
  claims.evidence_type = EvidenceType::snp;
  claims.module_sha256.fill(0x77);
  claims.nonce.assign(16, 5);
  const auto report_data = *compute_report_data(claims);
  auto report = read_bytes(attest_data("go-sev-guest-milan/attestation.bin"));
  std::copy(report_data.begin(), report_data.end(), report.begin() + 0x50);
  SyntheticChain chain = make_synthetic_chain(
      AmdProduct::milan,
      vcek_for(AmdProduct::milan, kReportedTcb,
               {report.begin() + 0x1A0, report.begin() + 0x1E0}),
      kInsideValidity);
  sign_report(report, chain.vcek_key.get());

  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "sev_guest");
  kernel.serve(report);
  std::string error;
  const auto envelope = testing::envelope_from("tsm", root.path(), claims, error);
  kernel.join();
  ASSERT_TRUE(envelope) << error;
  const auto parsed = parse_envelope(*envelope, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->claims, claims);
  EXPECT_EQ(parsed->evidence, report);

  VerifyRequest request;
  request.root_pem = chain.options.ark_pem;
  request.certs = chain.options.certs;
  request.crls = chain.options.crls;
  request.at_unix = kInsideValidity;
  auto first_failure = [&] {
    const auto result = verify_evidence(*envelope, request);
    return result.first_failure() ? result.first_failure()->name : std::string("(valid)");
  };
  EXPECT_EQ(first_failure(), "policy.snp.debug");  // the default policy forbids debug guests
  request.policy.snp.allow_debug = true;
  request.policy.snp.measurement = {kMeasurement};
  request.policy.accepted_module_hashes = {std::string(64, '7')};
  EXPECT_EQ(first_failure(), "(valid)");
  request.policy.snp.measurement = {std::string(96, '0')};
  EXPECT_EQ(first_failure(), "policy.snp.measurement");
}

TEST(TsmProvider, OversizeInblobIsRefusedBeforeWriting) {
  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "tdx_guest");
  std::string error;
  auto provider = TsmProvider::open(root.path(), "attestmq", error);
  ASSERT_TRUE(provider) << error;
  // No kernel thread serves this request: writing to the FIFO would block the test.
  const auto outcome = provider->report(std::vector<std::uint8_t>(65, 0));
  EXPECT_FALSE(outcome.evidence);
  EXPECT_NE(outcome.error.find("at most 64 bytes, got 65"), std::string::npos) << outcome.error;
}

TEST(TsmProvider, UnknownProviderAndBadEntryNames) {
  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "arm_cca_guest");
  std::string error;
  EXPECT_FALSE(TsmProvider::open(root.path(), "attestmq", error));
  EXPECT_NE(error.find("unsupported TSM provider 'arm_cca_guest'"), std::string::npos) << error;
  EXPECT_FALSE(TsmProvider::open(root.path(), "../escape", error));
  EXPECT_NE(error.find("single path component"), std::string::npos) << error;
  EXPECT_FALSE(TsmProvider::open(root.path() / "absent", "attestmq", error));
  EXPECT_NE(error.find("mkdir"), std::string::npos) << error;
}

TEST(TsmProvider, MalformedGenerationIsAnError) {
  ScratchDir root;
  FakeTsmKernel kernel(root.path(), "tdx_guest");
  write_text(root.path() / "report" / "attestmq" / "generation", "seven\n");
  std::string error;
  auto provider = TsmProvider::open(root.path(), "attestmq", error);
  ASSERT_TRUE(provider) << error;
  const auto outcome = provider->evidence(ReportData{});
  EXPECT_NE(outcome.error.find("'seven' is not a number"), std::string::npos) << outcome.error;
}

TEST(Providers, UnknownKindIsAnError) {
  ProviderConfig config;
  config.kind = "sev";
  std::string error;
  EXPECT_FALSE(make_provider(config, error));
  EXPECT_NE(error.find("unknown attestation provider 'sev'"), std::string::npos) << error;
}

// The broker and the clients configure no root: the providers must then use the paths the
// platform mounts, not names relative to the working directory. On these machines neither
// exists, so the error names the path; on a real TEE the provider opens and its description does.
TEST(Providers, WithoutARootTheyOpenThePlatformsOwnPaths) {
  const std::pair<std::string, std::string> kinds[] = {
      {"sgx-gramine", "/dev/attestation"},
      {"tsm", "/sys/kernel/config/tsm/report/attestmq"}};
  for (const auto& [kind, path] : kinds) {
    ProviderConfig config;
    config.kind = kind;
    std::string error;
    const auto provider = make_provider(config, error);
    const std::string said = provider ? provider->description() : error;
    EXPECT_NE(said.find(path), std::string::npos) << kind << ": " << said;
  }
}

}  // namespace
}  // namespace attestmq::attest
