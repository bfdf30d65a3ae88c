// The client's side of attested sessions (docs/attestation.md transport B) over real TLS on a
// real socket: a scripted broker produces evidence with the session library and the sim
// provider (SIMULATED, NO SECURITY), bound to its side of the same TLS session, and the client
// verifies it. The broker can be made to cheat in each way section 10.3 lists.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>

#include "attest/common/hex.hpp"
#include "attest/session/session_protocol.hpp"
#include "client/attestation.hpp"
#include "fake_attested_broker.hpp"
#include "scripted_server.hpp"
#include "test_pki.hpp"

namespace attestmq::client::testing {
namespace {

using mqtt::ReasonCode;
using mqtt::Version;

test::TestPki& pki() {
  static test::TestPki instance;
  return instance;
}

std::shared_ptr<const tls::Context> context(const tls::ServerTlsOptions& settings) {
  std::string error;
  auto made = tls::Context::server(settings, error);
  EXPECT_NE(made, nullptr) << error;
  return made;
}

std::shared_ptr<const tls::Context> context(const tls::ClientTlsOptions& options) {
  std::string error;
  auto made = tls::Context::client(options, error);
  EXPECT_NE(made, nullptr) << error;
  return made;
}

tls::ServerTlsOptions certificate_listener() {
  tls::ServerTlsOptions settings;
  settings.certfile = pki().server.certfile;
  settings.keyfile = pki().server.keyfile;
  return settings;
}

tls::ClientTlsOptions trusting_client() {
  tls::ClientTlsOptions options;
  options.cafile = pki().ca_file;
  options.server_name = "localhost";
  return options;
}

class AttestedConnect : public ::testing::Test {
 protected:
  // Connects through a TLS client over `listener` to the fake broker and attests.
  Status attest(const tls::ServerTlsOptions& listener = certificate_listener(),
                const tls::ClientTlsOptions& client_tls = trusting_client(),
                std::optional<SelfAttestation> self = std::nullopt) {
    server_ = std::make_unique<ScriptedServer>(broker_.responder(), context(listener));
    client_ = server_->client(context(client_tls));
    if (!client_) return Status::failure(ErrorKind::tls, "TLS handshake failed");
    std::string error;
    attestation_ = Attestation::over(client_->transport(), verify_, error, std::move(self));
    if (!attestation_) return Status::failure(ErrorKind::invalid_request, error);
    ConnectOptions options;
    options.version = Version::v5;
    options.client_id = "attested";
    options.timeout = std::chrono::seconds(3);
    options.authentication = attestation_->authentication();
    return client_->connect(options);
  }

  std::string failed_check() const {
    if (!attestation_ || !attestation_->result()) return "";
    const attest::Check* failure = attestation_->result()->first_failure();
    return failure != nullptr ? failure->name : "";
  }

  // The packets the client sent after CONNECT; the client must have closed or been closed.
  std::vector<std::vector<std::uint8_t>> client_packets() {
    if (client_) client_->abort();
    return server_->packets_from_client();
  }

  void SetUp() override {
    verify_.root_pem = broker_.root_pem();
    verify_.policy.allow_simulated = true;
    verify_.policy.accepted_module_hashes = {std::string(64, '1')};
  }

  FakeBroker broker_;
  attest::VerifyRequest verify_;
  std::unique_ptr<ScriptedServer> server_;
  std::unique_ptr<Client> client_;
  std::optional<Attestation> attestation_;
};

// The refusal of section 9.2: DISCONNECT 0x83 and no Reason String.
void expect_refused_with_0x83(const std::vector<std::vector<std::uint8_t>>& packets) {
  ASSERT_EQ(packets.size(), 1u);
  const mqtt::Packet packet = decode_one(packets[0], Version::v5);
  const auto* disconnect = std::get_if<mqtt::Disconnect>(&packet);
  ASSERT_NE(disconnect, nullptr);
  EXPECT_EQ(disconnect->reason, ReasonCode::ImplementationSpecificError);
  EXPECT_FALSE(disconnect->properties.reason_string.has_value());
}

TEST_F(AttestedConnect, VerifiesAndConnects) {
  const Status status = attest();
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_TRUE(attestation_->verified());
  ASSERT_TRUE(attestation_->result().has_value());
  const auto& result = *attestation_->result();
  EXPECT_TRUE(result.valid());
  EXPECT_EQ(result.type, attest::EvidenceType::sim);
  EXPECT_EQ(result.claims.at("module_sha256"), std::string(64, '1'));
  // Key 5 is the server certificate's key hash, as the client saw it in this handshake.
  const auto* tls = client_->transport().tls_session();
  EXPECT_EQ(result.claims.at("tls_certificate_key_sha256"),
            attest::to_hex(*tls->peer_certificate_key_sha256()));
  EXPECT_EQ(broker_.evidence_sent, 1);
  ASSERT_TRUE(client_->disconnect().ok());
  // The client's only packets: its ANSWER (empty), then DISCONNECT.
  const auto packets = server_->packets_from_client();
  ASSERT_EQ(packets.size(), 2u);
  const mqtt::Packet first = decode_one(packets[0], Version::v5);
  const auto* answer = std::get_if<mqtt::Auth>(&first);
  ASSERT_NE(answer, nullptr);
  const auto data = answer->properties.authentication_data.value_or(mqtt::Bytes());
  EXPECT_EQ(Bytes(data.begin(), data.end()), session::encode_answer(std::nullopt));
}

TEST_F(AttestedConnect, DefaultPolicyRefusesSimulatedEvidence) {
  verify_.policy = attest::Policy{};
  const Status status = attest();
  EXPECT_EQ(status.kind, ErrorKind::authentication);
  EXPECT_NE(status.message.find("policy.allow_simulated"), std::string::npos) << status.message;
  EXPECT_EQ(failed_check(), "policy.allow_simulated");
  EXPECT_FALSE(attestation_->verified());
  expect_refused_with_0x83(client_packets());
}

TEST_F(AttestedConnect, WrongModuleHashIsRefused) {
  broker_.module.fill(0x22);
  EXPECT_EQ(attest().kind, ErrorKind::authentication);
  EXPECT_EQ(failed_check(), "policy.module_hash");
  expect_refused_with_0x83(client_packets());
}

// Reflection and relay: a binder from another label (or another session) does not match.
TEST_F(AttestedConnect, BinderUnderAnotherLabelIsRefused) {
  broker_.label = session::kClientBinderLabel;
  EXPECT_EQ(attest().kind, ErrorKind::authentication);
  EXPECT_EQ(failed_check(), "session.binder");
  expect_refused_with_0x83(client_packets());
}

TEST_F(AttestedConnect, EvidenceForAnotherTlsKeyIsRefused) {
  broker_.other_key = true;
  EXPECT_EQ(attest().kind, ErrorKind::authentication);
  EXPECT_EQ(failed_check(), "session.tls_key");
  expect_refused_with_0x83(client_packets());
}

// Section 9.2: an EVIDENCE that does not parse is answered with 0x81.
TEST_F(AttestedConnect, MalformedEvidenceGetsDisconnect0x81) {
  broker_.corrupt_message_type = true;
  EXPECT_EQ(attest().kind, ErrorKind::authentication);
  EXPECT_EQ(failed_check(), "session.message");
  const auto packets = client_packets();
  ASSERT_EQ(packets.size(), 1u);
  const mqtt::Packet packet = decode_one(packets[0], Version::v5);
  ASSERT_NE(std::get_if<mqtt::Disconnect>(&packet), nullptr);
  EXPECT_EQ(std::get<mqtt::Disconnect>(packet).reason, ReasonCode::MalformedPacket);
}

// Stripping: a CONNACK without any evidence is not a success.
TEST_F(AttestedConnect, ConnackWithoutEvidenceIsAProtocolError) {
  broker_.skip_evidence = true;
  const Status status = attest();
  EXPECT_EQ(status.kind, ErrorKind::protocol);
  EXPECT_FALSE(attestation_->verified());
  EXPECT_FALSE(attestation_->result().has_value());
  const auto packets = client_packets();
  ASSERT_EQ(packets.size(), 1u);
  const mqtt::Packet packet = decode_one(packets[0], Version::v5);
  ASSERT_NE(std::get_if<mqtt::Disconnect>(&packet), nullptr);
  EXPECT_EQ(std::get<mqtt::Disconnect>(packet).reason, ReasonCode::ProtocolError);
}

TEST_F(AttestedConnect, ExternalPskIdentityIsBound) {
  const Bytes key(32, 0x42);
  tls::ServerTlsOptions listener;
  listener.psk_hint = "attestmq";
  listener.psk_file = pki().write_psk_file({{"sensor-1", key}}, "attested_psk.txt");
  tls::ClientTlsOptions client;
  client.server_name = "localhost";
  client.psk_identity = "sensor-1";
  client.psk_key = key;
  const Status status = attest(listener, client);
  ASSERT_TRUE(status.ok()) << status.message;
  EXPECT_EQ(attestation_->result()->claims.at("psk_identity_sha256"),
            attest::to_hex(sha256("sensor-1")));
  client_->disconnect();
}

// Section 7.6: a new REQUEST on the live connection gets evidence with a new binder.
TEST_F(AttestedConnect, ReattestationYieldsANewBinder) {
  ASSERT_TRUE(attest().ok());
  const std::string first_binder = attestation_->result()->claims.at("binder");
  const Status again = client_->reauthenticate(attestation_->next_request());
  ASSERT_TRUE(again.ok()) << again.message;
  EXPECT_TRUE(attestation_->verified());
  EXPECT_NE(attestation_->result()->claims.at("binder"), first_binder);
  EXPECT_EQ(broker_.evidence_sent, 2);
  client_->disconnect();
}

// Replay on the same connection: the first EVIDENCE does not answer the second REQUEST.
TEST_F(AttestedConnect, ReplayedEvidenceFailsReattestation) {
  broker_.reuse_first_evidence = true;
  ASSERT_TRUE(attest().ok());
  const Status again = client_->reauthenticate(attestation_->next_request());
  EXPECT_EQ(again.kind, ErrorKind::authentication);
  EXPECT_FALSE(attestation_->verified());
  EXPECT_EQ(failed_check(), "session.binder");
}

bool has_check(const attest::VerificationResult& result, std::string_view name) {
  return std::any_of(result.checks.begin(), result.checks.end(),
                     [name](const attest::Check& check) { return check.name == name; });
}

// Section 6.2: the client asks for cached evidence (CACHED_OK), and a reconnect to a broker in
// cached mode finds the platform's verdict in the process's cache: the platform checks are not
// made again, the session checks and K's signature are.
TEST_F(AttestedConnect, CachedEvidenceIsVerifiedOnceThenRemembered) {
  broker_.use_cached_mode();
  ASSERT_TRUE(attest().ok());
  const auto first = *attestation_->result();
  EXPECT_EQ(first.claims.at("evidence_mode"), "cached");
  EXPECT_TRUE(has_check(first, "sim.signature"));
  EXPECT_FALSE(has_check(first, "cached.platform"));
  client_->disconnect();

  ASSERT_TRUE(attest().ok());  // a new TLS session to the same broker
  const auto second = *attestation_->result();
  EXPECT_EQ(second.claims.at("evidence_mode"), "cached");
  EXPECT_FALSE(has_check(second, "sim.signature"));
  for (const auto* name : {"cached.platform", "cached.signature", "session.binder", "session.tls_key"}) {
    EXPECT_TRUE(has_check(second, name)) << name;
  }
  EXPECT_NE(second.claims.at("binder"), first.claims.at("binder"));
  client_->disconnect();
}

// Section 7.7: a client with a TEE of its own (a second sim platform here).
class MutualAttestation : public AttestedConnect {
 protected:
  MutualAttestation() {
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0xc1);
    std::string error;
    auto provider =
        attest::SimProvider::open(dir_.path() / "client-platform.pem", measurement, error);
    EXPECT_TRUE(provider) << error;
    client_root_ = provider->public_key_pem();
    self_.provider = std::move(provider);
    self_.module_sha256.fill(0xc2);
    session::Request ask;
    ask.nonce.assign(16, 0x77);
    ask.accepted_types = {attest::EvidenceType::sim};
    broker_.ask_client = ask;
  }

  // The client's ANSWER, the first packet it sent after CONNECT.
  Bytes answer_sent() {
    const auto packets = server_->packets_from_client();
    EXPECT_FALSE(packets.empty());
    if (packets.empty()) return {};
    const mqtt::Packet first = decode_one(packets[0], Version::v5);
    const auto* auth = std::get_if<mqtt::Auth>(&first);
    EXPECT_NE(auth, nullptr);
    if (auth == nullptr) return {};
    const auto data = auth->properties.authentication_data.value_or(mqtt::Bytes());
    return Bytes(data.begin(), data.end());
  }

  attest::testing::ScratchDir dir_;
  std::string client_root_;
  SelfAttestation self_;
};

TEST_F(MutualAttestation, TheClientOffersToAttestAndAnswersWithEvidenceForTheBrokersRequest) {
  const Status status = attest(certificate_listener(), trusting_client(), self_);
  ASSERT_TRUE(status.ok()) << status.message;
  ASSERT_TRUE(client_->disconnect().ok());
  std::string error;
  const auto sent = session::parse_request(broker_.request_received, error);
  ASSERT_TRUE(sent) << error;
  EXPECT_EQ(sent->flags & session::kCanAttest, session::kCanAttest);
  const auto answer = session::parse_answer(answer_sent(), error);
  ASSERT_TRUE(answer && *answer) << error;
  // The broker's verification (section 7.5 with the roles swapped) accepts it.
  session::Expectation expectation;
  expectation.request = session::encode_request(*broker_.ask_client);
  expectation.binder = broker_.expected_client_binder;
  expectation.verify.root_pem = client_root_;
  expectation.verify.policy.allow_simulated = true;
  expectation.verify.policy.accepted_module_hashes = {attest::to_hex(self_.module_sha256)};
  const auto result = session::verify_evidence_message(
      session::encode_evidence({**answer, std::nullopt}), expectation);
  ASSERT_TRUE(result.valid()) << (result.first_failure() ? result.first_failure()->name : "");
  std::array<std::uint8_t, 32> measurement{};
  measurement.fill(0xc1);
  EXPECT_EQ(result.claims.at("measurement"), attest::to_hex(measurement)) << "the client's TEE";
  EXPECT_EQ(result.claims.at("nonce"), std::string(32, '7')) << "the broker's nonce";
}

TEST_F(MutualAttestation, WithoutATeeTheClientRefusesABrokerThatAsks) {
  EXPECT_EQ(attest().kind, ErrorKind::authentication);
  EXPECT_EQ(failed_check(), "session.message");
}

TEST(AttestationPreconditions, PlainTcpIsRefused) {
  ScriptedServer server(Bytes{});
  auto client = server.client();
  std::string error;
  EXPECT_FALSE(Attestation::over(client->transport(), {}, error).has_value());
  EXPECT_NE(error.find("attestation needs TLS"), std::string::npos) << error;
  client->abort();
}

TEST(AttestationPreconditions, Tls12IsRefused) {
  tls::ServerTlsOptions listener = certificate_listener();
  listener.tls_version = "tlsv1.2";
  ScriptedServer server([](std::size_t, const Bytes&, const tls::Session*) { return Bytes{}; },
                        context(listener));
  auto client = server.client(context(trusting_client()));
  ASSERT_NE(client, nullptr);
  std::string error;
  EXPECT_FALSE(Attestation::over(client->transport(), {}, error).has_value());
  EXPECT_EQ(error, "attestation needs TLS 1.3, the server negotiated TLSv1.2");
  client->abort();
}

}  // namespace
}  // namespace attestmq::client::testing
