// The sim provider end to end: key file, evidence, envelope, and the verifier's decision
// under policy. SIMULATED, NO SECURITY.
#include "attest/sim/sim_provider.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "attest/common/hex.hpp"
#include "attest/envelope/envelope.hpp"
#include "attest/sim/sim_report.hpp"
#include "attest/verifier.hpp"
#include "provider_test_support.hpp"

namespace attestmq::attest {
namespace {

using testing::ScratchDir;

class SimEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0x5a);
    std::string error;
    provider_ = SimProvider::open(dir_.path() / "sim-platform.pem", measurement, error);
    ASSERT_TRUE(provider_) << error;
    claims_.module_sha256.fill(0x11);
    claims_.binder.assign(32, 0x22);
    claims_.nonce.assign(16, 0x33);
    const auto bytes = produce_envelope(*provider_, claims_, error);
    ASSERT_TRUE(bytes) << error;
    envelope_ = *bytes;
    request_.root_pem = provider_->public_key_pem();
  }

  std::string first_failure(std::span<const std::uint8_t> input) const {
    const auto result = verify_evidence(input, request_);
    const Check* failure = result.first_failure();
    return failure ? failure->name : "";
  }

  // The envelope after `edit`, re-encoded.
  std::vector<std::uint8_t> edited(void (*edit)(Envelope&)) const {
    std::string error;
    auto envelope = parse_envelope(envelope_, error);
    EXPECT_TRUE(envelope) << error;
    edit(*envelope);
    return *encode_envelope(*envelope, error);
  }

  ScratchDir dir_;
  std::unique_ptr<SimProvider> provider_;
  Claims claims_;
  std::vector<std::uint8_t> envelope_;
  VerifyRequest request_;
};

TEST_F(SimEndToEnd, SaysItIsSimulated) {
  EXPECT_NE(provider_->description().find("SIMULATED, NO SECURITY"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat((dir_.path() / "sim-platform.pem").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(SimEndToEnd, RejectedUnlessThePolicyAllowsSimulated) {
  EXPECT_EQ(first_failure(envelope_), "policy.allow_simulated");
  const auto result = verify_evidence(envelope_, request_);
  EXPECT_NE(result.first_failure()->detail.find("SIMULATED, NO SECURITY"), std::string::npos);
}

TEST_F(SimEndToEnd, AcceptedWhenAllowedWithClaims) {
  request_.policy.allow_simulated = true;
  const auto result = verify_evidence(envelope_, request_);
  ASSERT_TRUE(result.valid()) << result.first_failure()->name;
  EXPECT_EQ(result.type, EvidenceType::sim);
  EXPECT_EQ(result.claims.at("module_sha256"), std::string(64, '1'));
  EXPECT_EQ(result.claims.at("measurement"), to_hex(std::vector<std::uint8_t>(32, 0x5a)));
  EXPECT_EQ(result.claims.at("report_data"), to_hex(*compute_report_data([&] {
              Claims claims = claims_;
              claims.evidence_type = EvidenceType::sim;
              return claims;
            }())));
  EXPECT_EQ(result.claims.at("simulated"), "SIMULATED, NO SECURITY");
}

TEST_F(SimEndToEnd, KeyPersistsAcrossRestarts) {
  std::string error;
  const auto again = SimProvider::open(dir_.path() / "sim-platform.pem", {}, error);
  ASSERT_TRUE(again) << error;
  EXPECT_EQ(again->public_key_pem(), provider_->public_key_pem());
}

TEST_F(SimEndToEnd, NeedsAPinnedKey) {
  request_.policy.allow_simulated = true;
  request_.root_pem.reset();
  EXPECT_EQ(first_failure(envelope_), "sim.root");
  testing::write_text(dir_.path() / "pinned.pem", provider_->public_key_pem());
  request_.policy.pinned_roots[EvidenceType::sim] = dir_.path() / "pinned.pem";
  EXPECT_EQ(first_failure(envelope_), "");
  request_.policy.pinned_roots[EvidenceType::sim] = dir_.path() / "absent.pem";
  EXPECT_EQ(first_failure(envelope_), "policy.pinned_root");
}

// A root the broker read at startup is the one used: the file is not read again, so what
// it holds later (here: nothing, then another key) changes nothing.
TEST_F(SimEndToEnd, APinnedRootReadAtStartupIsNotReadAgain) {
  request_.policy.allow_simulated = true;
  request_.root_pem.reset();
  request_.policy.pinned_roots[EvidenceType::sim] = dir_.path() / "absent.pem";
  request_.policy.pinned_root_pems[EvidenceType::sim] = provider_->public_key_pem();
  EXPECT_EQ(first_failure(envelope_), "");
  std::string error;
  const auto other = SimProvider::open(dir_.path() / "other.pem", {}, error);
  ASSERT_TRUE(other) << error;
  testing::write_text(dir_.path() / "absent.pem", other->public_key_pem());
  EXPECT_EQ(first_failure(envelope_), "");
  request_.policy.pinned_root_pems[EvidenceType::sim] = other->public_key_pem();
  EXPECT_EQ(first_failure(envelope_), "sim.signature");
}

TEST_F(SimEndToEnd, OtherKeyIsRejected) {
  request_.policy.allow_simulated = true;
  std::string error;
  const auto other = SimProvider::open(dir_.path() / "other.pem", {}, error);
  request_.root_pem = other->public_key_pem();
  EXPECT_EQ(first_failure(envelope_), "sim.signature");
  request_.root_pem = "not a key";
  EXPECT_EQ(first_failure(envelope_), "sim.root");
}

TEST_F(SimEndToEnd, EveryFlippedBitOfTheReportIsRejected) {
  request_.policy.allow_simulated = true;
  std::string error;
  const auto envelope = *parse_envelope(envelope_, error);
  for (std::size_t byte = 0; byte < kSimReportBytes; ++byte) {
    Envelope tampered = envelope;
    tampered.evidence[byte] ^= 0x01;
    const auto expected = byte < kSimHeaderBytes ? "sim.format" : "sim.signature";
    EXPECT_EQ(first_failure(*encode_envelope(tampered, error)), expected) << byte;
  }
}

TEST_F(SimEndToEnd, ClaimsNotCommittedByReportDataAreRejected) {
  request_.policy.allow_simulated = true;
  EXPECT_EQ(first_failure(edited([](Envelope& e) { e.claims.nonce[0] ^= 1; })),
            "envelope.report_data");
  EXPECT_EQ(first_failure(edited([](Envelope& e) { e.claims.module_sha256[0] ^= 1; })),
            "envelope.report_data");
  EXPECT_EQ(first_failure(edited([](Envelope& e) { e.claims.binder.clear(); })),
            "envelope.report_data");
}

TEST_F(SimEndToEnd, SessionBindingIsChecked) {
  request_.policy.allow_simulated = true;
  request_.expected_binder = claims_.binder;
  request_.expected_nonce = claims_.nonce;
  EXPECT_EQ(first_failure(envelope_), "");
  request_.expected_nonce->back() ^= 1;
  EXPECT_EQ(first_failure(envelope_), "envelope.nonce");
  request_.expected_nonce = claims_.nonce;
  request_.expected_binder->back() ^= 1;
  EXPECT_EQ(first_failure(envelope_), "envelope.binder");
}

TEST_F(SimEndToEnd, ModuleHashPolicy) {
  request_.policy.allow_simulated = true;
  request_.policy.accepted_module_hashes = {std::string(64, '1')};
  EXPECT_EQ(first_failure(envelope_), "");
  request_.policy.accepted_module_hashes = {std::string(64, '2')};
  EXPECT_EQ(first_failure(envelope_), "policy.module_hash");
  // A raw sim report has no AttestMQ claims, so no module hash to accept.
  std::string error;
  const auto raw = parse_envelope(envelope_, error)->evidence;
  EXPECT_EQ(first_failure(raw), "policy.module_hash");
  request_.policy.accepted_module_hashes.clear();
  EXPECT_EQ(first_failure(raw), "");
}

TEST_F(SimEndToEnd, SimTypeCanBeExcluded) {
  request_.policy.allow_simulated = true;
  request_.policy.accepted_types = {EvidenceType::sgx};
  EXPECT_EQ(first_failure(envelope_), "policy.evidence_type");
}

TEST(SimKey, UnreadableOrWrongKeyFileIsAnError) {
  ScratchDir dir;
  testing::write_text(dir.path() / "bad.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
  std::string error;
  EXPECT_FALSE(SimProvider::open(dir.path() / "bad.pem", {}, error));
  EXPECT_NE(error.find("not a PEM P-256 private key"), std::string::npos) << error;
  EXPECT_FALSE(SimProvider::open(dir.path() / "missing-dir" / "key.pem", {}, error));
  EXPECT_NE(error.find("missing-dir"), std::string::npos) << error;
}

}  // namespace
}  // namespace attestmq::attest

namespace attestmq::attest {
namespace {

// Sealing's half of the sim: a key that is the same for the same key file, and differs for
// another; and a counter that only goes up and survives reopening.
TEST(SimSealing, TheSealingKeyFollowsTheKeyFile) {
  testing::ScratchDir dir;
  std::string error;
  auto first = SimProvider::open(dir.path() / "sim.pem", {}, error);
  auto again = SimProvider::open(dir.path() / "sim.pem", {}, error);
  auto other = SimProvider::open(dir.path() / "other.pem", {}, error);
  ASSERT_TRUE(first && again && other) << error;
  const SealingKeyOutcome key = first->sealing_key();
  ASSERT_EQ(key.key.size(), 32u) << key.error;
  EXPECT_EQ(again->sealing_key().key, key.key);
  EXPECT_NE(other->sealing_key().key, key.key);
}

TEST(SimSealing, TheCounterOnlyRisesAndSurvivesReopening) {
  testing::ScratchDir dir;
  std::string error;
  auto provider = SimProvider::open(dir.path() / "sim.pem", {}, error);
  ASSERT_TRUE(provider) << error;
  EXPECT_EQ(provider->raise_counter(0).value, std::optional<std::uint64_t>(0));
  EXPECT_EQ(provider->raise_counter(5).value, std::optional<std::uint64_t>(5));
  EXPECT_EQ(provider->raise_counter(3).value, std::optional<std::uint64_t>(5));
  auto reopened = SimProvider::open(dir.path() / "sim.pem", {}, error);
  EXPECT_EQ(reopened->raise_counter(0).value, std::optional<std::uint64_t>(5));
  testing::write_text(dir.path() / "sim.pem.counter", "five\n");
  const CounterOutcome broken = reopened->raise_counter(0);
  EXPECT_FALSE(broken.value);
  EXPECT_EQ(broken.error, "sim counter " + (dir.path() / "sim.pem.counter").string() + ": not a number");
}

}  // namespace
}  // namespace attestmq::attest
