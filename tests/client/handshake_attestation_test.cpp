// The client's side of transport A (docs/attestation.md sections 8.6 and 10.3) between two real
// OpenSSL sessions: the server answers the ClientHello extension with EVIDENCE that the session
// library produces with the sim provider (SIMULATED, NO SECURITY), honestly or cheating in one
// way, and the client judges it inside the handshake with client::HandshakeAttestation.
#include <gtest/gtest.h>

#include "../tls/session_pair.hpp"
#include "attest/common/hex.hpp"
#include "attest/session/session_protocol.hpp"
#include "client/attestation.hpp"
#include "fake_attested_broker.hpp"

namespace attestmq::client::testing {
namespace {

using State = tls::Session::State;
constexpr std::uint16_t kCodepoint = 0xFF5A;

// How the server answers: honestly, or with one of the cheats of section 10.3.
enum class Cheat : std::uint8_t {
  none,
  replay,          // the EVIDENCE recorded from an earlier handshake
  public_binder,   // the prototype's flaw: a binder from public values only, SHA-256(REQUEST)
  other_key,       // key substitution: evidence naming another TLS key
  attest_yourself, // an EVIDENCE asking the client to attest, which transport A never does
};

class HandshakeAttestationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0x5a);
    std::string error;
    auto sim = attest::SimProvider::open(dir_.path() / "sim-platform.pem", measurement, error);
    ASSERT_TRUE(sim) << error;
    module_.fill(0x11);
    verify_.root_pem = sim->public_key_pem();
    provider_ = std::move(sim);
    verify_.policy.allow_simulated = true;
    verify_.policy.accepted_module_hashes = {std::string(64, '1')};
  }

  Bytes evidence(const tls::HandshakeBinding& binding) {
    std::string error;
    const auto request = session::parse_request(binding.request, error);
    EXPECT_TRUE(request) << error;
    if (!request) return {};
    Bytes binder(binding.binder.begin(), binding.binder.end());
    if (cheat == Cheat::public_binder) {
      const auto hash = sha256(std::string_view(
          reinterpret_cast<const char*>(binding.request.data()), binding.request.size()));
      binder.assign(hash.begin(), hash.end());
    }
    auto identity = session::tls_identity(binding.certificate_key_sha256, binding.psk_identity);
    if (cheat == Cheat::other_key) identity.certificate_key_sha256 = sha256("another key");
    const std::optional<session::Request> ask_back =
        cheat == Cheat::attest_yourself ? request : std::nullopt;
    auto message =
        session::produce_evidence(*provider_, *request, binder, identity, module_, error, ask_back);
    EXPECT_TRUE(message) << error;
    if (!message) return {};
    if (cheat == Cheat::replay && !recorded_.empty()) return recorded_;
    recorded_ = *message;
    return *message;
  }

  // One handshake; the client's verdict is in `attestation`.
  std::unique_ptr<tls::SessionPair> handshake(HandshakeAttestation& attestation) {
    tls::ServerHandshakeAttestation server;
    server.codepoint = kCodepoint;
    server.binder_label = std::string(session::kHandshakeBinderLabel);
    server.answer = [this](const tls::HandshakeBinding& binding)
        -> std::variant<Bytes, tls::HandshakeRefusal> { return evidence(binding); };
    std::string error;
    auto server_context = tls::Context::server(tls::certificate_listener(), error, server);
    auto client_context =
        tls::Context::client(tls::trusting_client(), error, attestation.tls_side());
    EXPECT_TRUE(server_context && client_context) << error;
    auto pair = std::make_unique<tls::SessionPair>(client_context, server_context);
    pair->handshake();
    return pair;
  }

  std::string failed_check(const HandshakeAttestation& attestation) {
    const attest::Check* failure =
        attestation.result() ? attestation.result()->first_failure() : nullptr;
    return failure != nullptr ? failure->name : "";
  }

  // A handshake under `cheat` that the client must refuse with `check`, the broker seeing
  // the alert before any application data.
  void expect_refused(Cheat with, const std::string& check, const std::string& alert) {
    cheat = with;
    HandshakeAttestation attestation(verify_, kCodepoint);
    const auto pair = handshake(attestation);
    EXPECT_EQ(pair->client.state(), State::failed);
    EXPECT_FALSE(attestation.verified());
    EXPECT_EQ(failed_check(attestation), check) << attestation.refusal();
    EXPECT_TRUE(attestation.refusal().starts_with(check + ": ")) << attestation.refusal();
    EXPECT_EQ(pair->server.state(), State::failed);
    EXPECT_NE(pair->server.error().find(alert), std::string::npos) << pair->server.error();
    EXPECT_TRUE(pair->server_plaintext.empty());
  }

  Cheat cheat = Cheat::none;
  attest::VerifyRequest verify_;

 private:
  attest::testing::ScratchDir dir_;
  std::unique_ptr<attest::Provider> provider_;
  std::array<std::uint8_t, 32> module_{};
  Bytes recorded_;
};

TEST_F(HandshakeAttestationTest, HonestEvidenceIsVerifiedInTheHandshake) {
  HandshakeAttestation attestation(verify_, kCodepoint);
  const auto pair = handshake(attestation);
  ASSERT_EQ(pair->client.state(), State::established) << pair->client.error();
  EXPECT_TRUE(attestation.verified());
  EXPECT_TRUE(attestation.refusal().empty());
  const auto& claims = attestation.result()->claims;
  EXPECT_EQ(claims.at("module_sha256"), std::string(64, '1'));
  EXPECT_EQ(claims.at("tls_certificate_key_sha256"),
            attest::to_hex(*pair->client.peer_certificate_key_sha256()));
}

TEST_F(HandshakeAttestationTest, ReplayedEvidenceFailsTheBinder) {
  cheat = Cheat::replay;
  HandshakeAttestation first(verify_, kCodepoint);
  ASSERT_EQ(handshake(first)->client.state(), State::established);
  expect_refused(Cheat::replay, "session.binder", "bad certificate");
}

TEST_F(HandshakeAttestationTest, BinderFromPublicValuesIsRefused) {
  expect_refused(Cheat::public_binder, "session.binder", "bad certificate");
}

TEST_F(HandshakeAttestationTest, EvidenceForAnotherTlsKeyIsRefused) {
  expect_refused(Cheat::other_key, "session.tls_key", "bad certificate");
}

TEST_F(HandshakeAttestationTest, EvidenceAskingTheClientToAttestIsMalformedHere) {
  expect_refused(Cheat::attest_yourself, "session.message", "bad certificate");
}

// A policy failure would be access_denied; OpenSSL only lets the client send handshake_failure
// there (docs/attestation.md section 9.3).
TEST_F(HandshakeAttestationTest, PolicyFailureIsAHandshakeFailureAlert) {
  verify_.policy.accepted_module_hashes = {std::string(64, '0')};
  expect_refused(Cheat::none, "policy.module_hash", "handshake failure");
}

}  // namespace
}  // namespace attestmq::client::testing
