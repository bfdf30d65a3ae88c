// The attacks of docs/attestation.md section 10.3 against transport A (section 8), each failing
// closed at the victim client: a relay through a man in the middle with its own valid
// certificate, a replay of recorded EncryptedExtensions evidence, evidence naming another TLS
// key, and flipped bytes in the EVIDENCE. The genuine side is the broker's own: its TLS context
// from server::TlsContexts with AttestedSessions::handshake_evidence over the sim provider
// (SIMULATED, NO SECURITY); the victim is client::HandshakeAttestation with a policy, between
// real OpenSSL sessions over memory BIOs.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "../tls/session_pair.hpp"
#include "attest/common/hex.hpp"
#include "attest/session/session_protocol.hpp"
#include "client/attestation.hpp"
#include "fake_attested_broker.hpp"
#include "attested/attested_sessions.hpp"
#include "server/tls_contexts.hpp"

namespace attestmq::client::testing {
namespace {

using State = tls::Session::State;
using Answer = std::variant<Bytes, tls::HandshakeRefusal>;
using Responder = std::function<Answer(const tls::HandshakeBinding&)>;
constexpr std::uint16_t kCodepoint = 0xFF5A;

class HandshakeAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0x5a);
    std::string error;
    auto provider = attest::SimProvider::open(dir_.path() / "sim-platform.pem", measurement, error);
    ASSERT_TRUE(provider) << error;
    victim_policy_.root_pem = provider->public_key_pem();
    victim_policy_.policy.allow_simulated = true;
    std::array<std::uint8_t, 32> module{};
    module.fill(0x11);
    victim_policy_.policy.accepted_module_hashes = {attest::to_hex(module)};
    attested_ = attested::AttestedSessions::create(std::move(provider), module,
                                                 {attested::AttestationListener{}}, error);
    ASSERT_TRUE(attested_) << error;

    // The broker's listener with attestation_handshake, built as at startup.
    config::ListenerConfig listener;
    listener.origin = "test";
    listener.tls.certfile = tls::pki().server.certfile;
    listener.tls.keyfile = tls::pki().server.keyfile;
    listener.attestation_handshake = true;
    listener.attestation_extension_codepoint = kCodepoint;
    server::TlsContexts contexts(false, attested_.get());
    ASSERT_TRUE(contexts.load({listener}, error)) << error;
    genuine_ = contexts.current(0);
    ASSERT_TRUE(genuine_ && genuine_->server_attestation());
  }

  // The genuine broker's EVIDENCE for `binding`, as its listener answers it.
  Answer genuine_answer(const tls::HandshakeBinding& binding) const {
    return genuine_->server_attestation()->answer(binding);
  }

  // A TLS 1.3 server presenting `certificate` whose EncryptedExtensions answer is `respond`.
  static std::shared_ptr<const tls::Context> server_with(const test::CertificateFiles& certificate,
                                                         Responder respond) {
    tls::ServerTlsOptions options;
    options.certfile = certificate.certfile;
    options.keyfile = certificate.keyfile;
    tls::ServerHandshakeAttestation attestation;
    attestation.codepoint = kCodepoint;
    attestation.binder_label = std::string(session::kHandshakeBinderLabel);
    attestation.answer = std::move(respond);
    std::string error;
    auto context = tls::Context::server(options, error, std::move(attestation));
    EXPECT_TRUE(context) << error;
    return context;
  }

  // The genuine broker's listener, answering through `respond` (which may call
  // genuine_answer), with the genuine certificate.
  std::shared_ptr<const tls::Context> genuine_with(Responder respond) const {
    return server_with(tls::pki().server, std::move(respond));
  }

  // One handshake of a fresh victim client against `server`.
  struct Outcome {
    std::unique_ptr<HandshakeAttestation> attestation;
    std::unique_ptr<tls::SessionPair> pair;
  };
  Outcome connect_victim(std::shared_ptr<const tls::Context> server) const {
    Outcome outcome;
    outcome.attestation = std::make_unique<HandshakeAttestation>(victim_policy_, kCodepoint);
    std::string error;
    auto client =
        tls::Context::client(tls::trusting_client(), error, outcome.attestation->tls_side());
    EXPECT_TRUE(client) << error;
    outcome.pair = std::make_unique<tls::SessionPair>(client, std::move(server));
    outcome.pair->handshake();
    return outcome;
  }

  // The victim's handshake against `server` must be aborted by the victim with a bad_certificate
  // alert, on the check `check`, before any application data.
  void expect_refused(std::shared_ptr<const tls::Context> server, const std::string& check) {
    const Outcome outcome = connect_victim(std::move(server));
    const HandshakeAttestation& attestation = *outcome.attestation;
    EXPECT_EQ(outcome.pair->client.state(), State::failed);
    EXPECT_FALSE(attestation.verified());
    EXPECT_TRUE(attestation.result().has_value()) << "the victim never judged any EVIDENCE";
    EXPECT_EQ(failed_check(attestation), check) << attestation.refusal();
    EXPECT_TRUE(attestation.refusal().starts_with(check + ": ")) << attestation.refusal();
    EXPECT_EQ(outcome.pair->server.state(), State::failed);
    EXPECT_NE(outcome.pair->server.error().find("bad certificate"), std::string::npos)
        << outcome.pair->server.error();
    EXPECT_TRUE(outcome.pair->server_plaintext.empty());
    EXPECT_TRUE(outcome.pair->client_plaintext.empty());
  }

  static std::string failed_check(const HandshakeAttestation& attestation) {
    const attest::Check* failure =
        attestation.result() ? attestation.result()->first_failure() : nullptr;
    return failure != nullptr ? failure->name : "";
  }

  // What the genuine broker said in one honest handshake with a victim that accepted it.
  struct Recording {
    Bytes evidence;
    std::optional<std::array<std::uint8_t, 32>> certificate_key_sha256;
  };
  Recording record_honest_session() {
    Recording recording;
    const Outcome honest = connect_victim(genuine_with([&](const tls::HandshakeBinding& binding) {
      recording.certificate_key_sha256 = binding.certificate_key_sha256;
      Answer answer = genuine_answer(binding);
      if (const auto* evidence = std::get_if<Bytes>(&answer)) recording.evidence = *evidence;
      return answer;
    }));
    EXPECT_EQ(honest.pair->client.state(), State::established) << honest.pair->client.error();
    EXPECT_TRUE(honest.attestation->verified()) << honest.attestation->refusal();
    EXPECT_FALSE(recording.evidence.empty());
    return recording;
  }

  attest::VerifyRequest victim_policy_;
  std::shared_ptr<const tls::Context> genuine_;  // the broker's listener, exactly as it serves

 private:
  attest::testing::ScratchDir dir_;
  std::unique_ptr<attested::AttestedSessions> attested_;
};

// The baseline every attack departs from: the broker's listener attests, the victim accepts.
TEST_F(HandshakeAttackTest, GenuineBrokerIsAccepted) {
  const Outcome outcome = connect_victim(genuine_);
  ASSERT_EQ(outcome.pair->client.state(), State::established) << outcome.pair->client.error();
  EXPECT_TRUE(outcome.attestation->verified());
}

// Section 10.3, relay: M holds its own certificate, valid for the name the victim expects. It
// terminates the victim's handshake, opens its own to the genuine broker with the victim's
// REQUEST bytes in its ClientHello, and hands the broker's EncryptedExtensions EVIDENCE to the
// victim in its own. The evidence is genuine, for the victim's nonce, but its binder comes from
// the broker's handshake with M, whose secret is not the victim's.
TEST_F(HandshakeAttackTest, RelayedEvidenceFailsTheBinder) {
  int relayed = 0;
  const Responder relay = [&](const tls::HandshakeBinding& victim) -> Answer {
    const Bytes request(victim.request.begin(), victim.request.end());
    std::optional<Bytes> broker_evidence;
    tls::ClientHandshakeAttestation forwarder;
    forwarder.codepoint = kCodepoint;
    forwarder.binder_label = std::string(session::kHandshakeBinderLabel);
    forwarder.next_request = [request] { return request; };
    forwarder.judge = [&broker_evidence](const tls::HandshakeBinding&,
                                         std::optional<std::span<const std::uint8_t>> answer)
        -> std::optional<tls::HandshakeRefusal> {
      if (answer) broker_evidence.emplace(answer->begin(), answer->end());
      return std::nullopt;
    };
    std::string error;
    auto m_client = tls::Context::client(tls::trusting_client(), error, std::move(forwarder));
    EXPECT_TRUE(m_client) << error;
    tls::SessionPair to_broker(m_client, genuine_);
    to_broker.handshake();
    EXPECT_EQ(to_broker.client.state(), State::established) << to_broker.client.error();
    if (!broker_evidence) return tls::HandshakeRefusal{tls::Alert::internal_error, "no evidence"};
    ++relayed;
    return std::move(*broker_evidence);
  };
  const auto mitm_certificate = tls::pki().issue_client("localhost", "mitm");
  expect_refused(server_with(mitm_certificate, relay), "session.binder");
  EXPECT_EQ(relayed, 1) << "the broker's evidence never reached the victim";
}

// Section 10.3, replay: EncryptedExtensions EVIDENCE recorded from one honest session, presented
// in another handshake with the same broker certificate.
TEST_F(HandshakeAttackTest, ReplayedEvidenceFailsTheBinder) {
  const Bytes recorded = record_honest_session().evidence;
  expect_refused(genuine_with([&recorded](const tls::HandshakeBinding&) -> Answer {
                   return recorded;
                 }),
                 "session.binder");
}

// Section 10.3, key substitution: a server with the genuine attester but another certificate
// has it name the genuine broker's key (key 5) for this handshake's binder and nonce; the
// handshake presents its own key.
TEST_F(HandshakeAttackTest, EvidenceNamingAnotherCertificateKeyFailsTheTlsKey) {
  const auto genuine_key = record_honest_session().certificate_key_sha256;
  ASSERT_TRUE(genuine_key);
  const auto other_certificate = tls::pki().issue_client("localhost", "substitute");
  expect_refused(server_with(other_certificate,
                             [&](const tls::HandshakeBinding& binding) {
                               tls::HandshakeBinding named = binding;
                               EXPECT_NE(named.certificate_key_sha256, genuine_key);
                               named.certificate_key_sha256 = genuine_key;
                               return genuine_answer(named);
                             }),
                 "session.tls_key");
}

// Section 10.3, tampering: one flipped byte in the genuine EVIDENCE of this very handshake is
// refused wherever it is; each position names the check that catches it there. The layout is
// fixed (section 3.3; canonical CBOR; the sim report of 168 bytes ends the envelope, followed
// by its CMW indicator), so each position is the same field in every run.
TEST_F(HandshakeAttackTest, FlippedByteInTheEvidenceIsRefusedWherever) {
  using Locate = std::function<std::size_t(const Bytes& evidence, const tls::HandshakeBinding&)>;
  const auto at = [](std::size_t offset) -> Locate {
    return [offset](const Bytes&, const tls::HandshakeBinding&) { return offset; };
  };
  const auto from_end = [](std::size_t back) -> Locate {
    return [back](const Bytes& evidence, const tls::HandshakeBinding&) {
      return evidence.size() - back;
    };
  };
  struct Position {
    const char* field;
    Locate locate;
    const char* check;  // the first check that fails
  };
  const Position positions[] = {
      {"message type", at(0), "session.message"},
      {"flags (ATTEST_YOURSELF without a REQUEST)", at(3), "session.message"},
      {"envelope length", at(5), "session.message"},
      {"the binder in the envelope's claims",
       [](const Bytes& evidence, const tls::HandshakeBinding& binding) {
         const auto found = std::ranges::search(evidence, binding.binder);
         EXPECT_FALSE(found.empty()) << "the EVIDENCE does not carry the binder";
         return static_cast<std::size_t>(found.begin() - evidence.begin());
       },
       "envelope.report_data"},
      {"the sim report's signature", from_end(2), "sim.signature"},
      {"the CMW indicator", from_end(1), "envelope.format"},
  };
  for (const Position& position : positions) {
    SCOPED_TRACE(position.field);
    int tampered = 0;
    expect_refused(genuine_with([&](const tls::HandshakeBinding& binding) {
                     Answer answer = genuine_answer(binding);
                     if (auto* evidence = std::get_if<Bytes>(&answer)) {
                       (*evidence)[position.locate(*evidence, binding)] ^= 0x01;
                       ++tampered;
                     }
                     return answer;
                   }),
                   position.check);
    EXPECT_EQ(tampered, 1);
  }
}

}  // namespace
}  // namespace attestmq::client::testing
