// The session protocol end to end with the real sim provider (SIMULATED, NO SECURITY):
// produce_evidence on the attester's side, verify_evidence_message on the verifier's
// (docs/attestation.md sections 7.4 and 7.5). 32 random bytes stand in for the TLS exporter.
#include "attest/common/hex.hpp"
#include "attest/envelope/envelope.hpp"
#include "session_fixture.hpp"

namespace attestmq::attest::session {
namespace {

TEST_F(SessionRoundTrip, VerifiesWithEveryCheckInOrder) {
  const auto message = produce();
  const auto result = verify_evidence_message(message, expectation_);
  ASSERT_TRUE(result.valid()) << result.first_failure()->name << ": "
                              << result.first_failure()->detail;
  EXPECT_EQ(result.type, EvidenceType::sim);
  std::vector<std::string> names;
  for (const auto& check : result.checks) names.push_back(check.name);
  const auto position = [&](std::string_view name) {
    return std::find(names.begin(), names.end(), name) - names.begin();
  };
  const std::vector<std::string_view> ordered{
      "session.message", "session.mode",     "envelope.report_data",  "session.evidence_type",
      "session.binder",  "session.nonce",    "session.tls_key",       "session.claims",
      "policy.allow_simulated"};
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    ASSERT_LT(position(ordered[i]), static_cast<std::ptrdiff_t>(names.size())) << ordered[i];
    if (i > 0) {
      EXPECT_LT(position(ordered[i - 1]), position(ordered[i])) << ordered[i];
    }
  }
  EXPECT_EQ(names.front(), "session.message");
  EXPECT_EQ(result.claims.at("binder"), to_hex(expectation_.binder));
  EXPECT_EQ(result.claims.at("nonce"), to_hex(request_.nonce));
  EXPECT_EQ(result.claims.at("tls_certificate_key_sha256"),
            to_hex(*identity_.certificate_key_sha256));
  EXPECT_EQ(result.claims.at("module_sha256"), std::string(64, '1'));
}

TEST_F(SessionRoundTrip, ThePskIdentityVerifiesUnderKeySix) {
  TlsIdentity psk;
  psk.psk_identity_sha256 = random_digest();
  expectation_.peer = psk;
  const auto result = verify_evidence_message(produce(expectation_.binder, psk), expectation_);
  ASSERT_TRUE(result.valid()) << result.first_failure()->name;
  EXPECT_EQ(result.claims.at("psk_identity_sha256"), to_hex(*psk.psk_identity_sha256));
}

TEST_F(SessionRoundTrip, RelayedFromAnotherSessionFailsTheBinder) {
  const auto message = produce(random_bytes(kBinderBytes), identity_);
  EXPECT_EQ(first_failure(message), "session.binder");
  const auto result = verify_evidence_message(message, expectation_);
  EXPECT_EQ(result.first_failure()->detail, "binder does not match this session");
}

TEST_F(SessionRoundTrip, ReplayedForAnotherRequestFails) {
  const auto message = produce();
  // The same session (binder) but a fresh nonce: only the nonce differs.
  Request fresh = request_;
  fresh.nonce = random_bytes(32);
  expectation_.request = encode_request(fresh);
  EXPECT_EQ(first_failure(message), "session.nonce");
  // As it happens for real: a new request is a new exporter context, so a new binder too.
  expectation_.binder = random_bytes(kBinderBytes);
  EXPECT_EQ(first_failure(message), "session.binder");
}

TEST_F(SessionRoundTrip, EvidenceBoundToAnotherTlsKeyFails) {
  TlsIdentity other;
  other.certificate_key_sha256 = random_digest();
  EXPECT_EQ(first_failure(produce(expectation_.binder, other)), "session.tls_key");
  TlsIdentity psk;
  psk.psk_identity_sha256 = identity_.certificate_key_sha256;  // same digest, other key
  EXPECT_EQ(first_failure(produce(expectation_.binder, psk)), "session.tls_key");
  const auto none = produce(expectation_.binder, TlsIdentity{});
  EXPECT_EQ(first_failure(none), "session.tls_key");
  EXPECT_EQ(verify_evidence_message(none, expectation_).first_failure()->detail,
            "evidence names no TLS key, but the peer authenticated in this handshake");
}

TEST_F(SessionRoundTrip, AnEvidenceTypeTheClientDidNotAcceptFails) {
  const auto message = produce();
  Request sgx_only = request_;
  sgx_only.accepted_types = {EvidenceType::sgx, EvidenceType::tdx};
  expectation_.request = encode_request(sgx_only);
  EXPECT_EQ(first_failure(message), "session.evidence_type");
}

TEST_F(SessionRoundTrip, NoEvidenceTypeInCommonIsRefusedByTheProducer) {
  request_.accepted_types = {EvidenceType::sgx, EvidenceType::tdx};
  std::string error;
  EXPECT_FALSE(produce_evidence(*provider_, request_, expectation_.binder, identity_, module_,
                                error));
  EXPECT_EQ(error, "no evidence type in common (client accepts sgx,tdx; broker offers sim)");
}

TEST_F(SessionRoundTrip, TheProducerRefusesABadBinderOrTwoIdentities) {
  std::string error;
  EXPECT_FALSE(produce_evidence(*provider_, request_, random_bytes(31), identity_, module_, error));
  EXPECT_EQ(error, "binder of 31 bytes, expected 32");
  TlsIdentity both = identity_;
  both.psk_identity_sha256 = random_digest();
  EXPECT_FALSE(produce_evidence(*provider_, request_, expectation_.binder, both, module_, error));
  EXPECT_EQ(error, "TLS identity names both a certificate key and a PSK identity");
}

TEST_F(SessionRoundTrip, EveryFlippedByteIsRejected) {
  const auto message = produce();
  ASSERT_TRUE(verify_evidence_message(message, expectation_).valid());
  for (std::size_t at = 0; at < message.size(); ++at) {
    for (const std::uint8_t mask : {0x01, 0x80}) {
      auto flipped = message;
      flipped[at] ^= mask;
      EXPECT_NE(first_failure(flipped), "") << "byte " << at << " mask " << int{mask};
    }
  }
}

TEST_F(SessionRoundTrip, AttestYourselfNeedsCanAttest) {
  const Request broker_request{0, random_bytes(16), {EvidenceType::sim}};
  const auto message = produce(expectation_.binder, identity_, broker_request);
  EXPECT_EQ(first_failure(message), "session.message");
  request_.flags = kCanAttest;
  expectation_.request = encode_request(request_);
  // The stand-in exporter value is kept: only the message check is at stake here.
  EXPECT_EQ(first_failure(message), "");
}

TEST_F(SessionRoundTrip, SimulatedEvidenceFailsTheDefaultPolicy) {
  expectation_.verify.policy = Policy{};
  EXPECT_EQ(first_failure(produce()), "policy.allow_simulated");
}

TEST_F(SessionRoundTrip, AnotherModuleFailsAPolicyPinningIt) {
  expectation_.verify.policy.accepted_module_hashes = {std::string(64, '2')};
  EXPECT_EQ(first_failure(produce()), "policy.module_hash");
  expectation_.verify.policy.accepted_module_hashes = {std::string(64, '1')};
  EXPECT_EQ(first_failure(produce()), "");
}

TEST_F(SessionRoundTrip, ARawReportInsteadOfAnEnvelopeIsRefused) {
  const auto message = produce();
  std::string error;
  const auto parsed = parse_evidence(message, error);
  ASSERT_TRUE(parsed) << error;
  const auto envelope = parse_envelope(parsed->block.envelope, error);
  ASSERT_TRUE(envelope) << error;
  const auto raw = encode_evidence({EvidenceBlock{envelope->evidence, std::nullopt}, std::nullopt});
  EXPECT_EQ(first_failure(raw), "envelope.format");
}

// The prototype's flaw (PAPER.md): a challenge depending on the nonce only. Here the same
// nonce in two sessions gives two REPORTDATA.
TEST_F(SessionRoundTrip, SameNonceTwoBindersTwoReportData) {
  const auto first = verify_evidence_message(produce(), expectation_);
  ASSERT_TRUE(first.valid());
  expectation_.binder = random_bytes(kBinderBytes);
  const auto second = verify_evidence_message(produce(), expectation_);
  ASSERT_TRUE(second.valid());
  EXPECT_EQ(first.claims.at("nonce"), second.claims.at("nonce"));
  EXPECT_NE(first.claims.at("report_data"), second.claims.at("report_data"));
}

}  // namespace
}  // namespace attestmq::attest::session
